//! The buffer pool's reference model and the state-machine test that drives
//! a pool front against it; shared by `proptest_pool.rs` (`BufferPool`) and
//! `proptest_tls.rs` (`TlsPool`), each of which implements [`Front`].
//!
//! The reference tracks, per kind, how many buffers are pooled and every
//! counter the pool reports; the test holds buffers by value and in guards
//! between steps, returns them every possible way, offers foreign buffers of
//! chosen sizes, and resets the stats (and, for a front with a thread-local
//! cache, flushes that cache, which must change nothing visible). After every
//! step the front's [`Front::check`] must find the pool's whole `PoolStats`
//! equal to the reference's, and every buffer handed out must be cleared and
//! inside its kind's window.

use std::marker::PhantomData;
use std::ops::DerefMut;

use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use simd_aligned::VecSimd;
use verified_pools::pool::{KindId, KindStats, PoolConfig, PoolStats, ReturnOutcome};
use wide::f64x4;

/// 1,000 cases per test unless `PROPTEST_CASES` says otherwise.
pub fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    Config::with_cases(cases)
}

// ---------------------------------------------------------------------------
// Reference
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    Value,
    Guard,
}

#[derive(Clone, Copy, Debug)]
pub enum Release {
    /// By value (`return_*`) or the guard's `give_back`.
    GiveBack,
    /// Guard dropped (by-value buffer: dropped by the user, never returned).
    Drop,
    /// The guard's `into_inner`; the buffer is then held by value.
    TakeOut,
}

#[derive(Clone, Debug)]
pub enum Step {
    Get(KindId, Hold),
    Release(usize, Release),
    /// A buffer the pool never made, of the given size.
    Foreign(KindId, usize),
    ResetStats,
    /// Give this thread's cache back (no visible change). Generated only for
    /// a front with a thread-local cache ([`Front::LOCAL_CACHE`]).
    FlushLocal,
}

#[derive(Clone, Debug, Default)]
pub struct RefKind {
    size: usize,
    /// Sizes of the pooled buffers, top last: a foreign buffer the window
    /// accepted is handed out again later, with its own size.
    pooled: Vec<usize>,
    /// Signed: foreign returns lower it below zero.
    in_use: i64,
    /// Places kept for guards' buffers (see [`RefPool::guards_keep_places`]):
    /// they count against the bound like pooled buffers.
    kept: usize,
    stats: KindStats,
}

#[derive(Clone, Debug)]
pub struct RefPool {
    pub config: PoolConfig,
    /// The thread-local front's per-thread capacity; `None` for the plain
    /// pool.
    pub per_thread: Option<usize>,
    /// How a by-value return outside the window counts: the plain pool
    /// takes it for a foreign buffer and leaves `in_use` alone
    /// ([`InUseRule::WindowRejectsAreForeign`]).
    pub in_use_rule: InUseRule,
    kinds: [RefKind; 3],
    /// The plain pool's rule: a guard that got a pooled buffer keeps its
    /// place until it ends; a by-value return cannot take that place, and
    /// the guard's in-window return always gets it back. A thread-local
    /// front keeps no places.
    pub guards_keep_places: bool,
    /// Kind, how it is held, its size, and whether it keeps a place.
    held: Vec<(KindId, Hold, usize, bool)>,
}

/// What a returned buffer does to `in_use`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InUseRule {
    /// The plain pool's contract: a guard return always lowers `in_use`; a
    /// by-value return lowers it only if its size is inside the window
    /// (accepted or pool-full). One outside the window cannot be a buffer
    /// the pool handed out unchanged and is not counted as coming back.
    WindowRejectsAreForeign,
    /// Every return lowers `in_use`, whatever its outcome: the thread-local
    /// front's rule (its caches cannot tell a foreign buffer from its own).
    #[allow(dead_code)] // used by the fronts' machines only
    EveryReturn,
}

/// Initial states for a thread-local front (`TlsPool`, or `KindTlsPool`s of
/// user kinds): 1–6 buffers per kind, a per-thread capacity up to the count,
/// and the front's `in_use` rule.
#[allow(dead_code)] // used by the fronts' machines only
pub fn front_initial_states() -> BoxedStrategy<RefPool> {
    (1usize..7, 1usize..40, 1usize..40, 1usize..12)
        .prop_flat_map(|(count, s, c, v)| (Just((count, s, c, v)), 1..=count))
        .prop_map(|((count, s, c, v), per_thread)| {
            let mut pool = RefPool::new(count, [s, c, v], Some(per_thread))
                .with_in_use_rule(InUseRule::EveryReturn);
            pool.guards_keep_places = false;
            pool
        })
        .boxed()
}

fn index(kind: KindId) -> usize {
    kind as usize
}

impl RefPool {
    /// A full pool of `count` buffers per kind, sized `[serialization,
    /// compression, simd]`, nothing held.
    pub fn new(count: usize, sizes: [usize; 3], per_thread: Option<usize>) -> Self {
        let [s, c, v] = sizes;
        let config = PoolConfig {
            count,
            serialization_size: s,
            compression_size: c,
            simd_len: v,
        };
        let kind = |size| RefKind {
            size,
            pooled: vec![size; count],
            in_use: 0,
            kept: 0,
            stats: KindStats {
                fresh_allocations: count,
                pooled: count,
                ..KindStats::default()
            },
        };
        RefPool {
            config,
            per_thread,
            in_use_rule: InUseRule::WindowRejectsAreForeign,
            kinds: [kind(s), kind(c), kind(v)],
            guards_keep_places: true,
            held: Vec::new(),
        }
    }

    /// The same pool, counting `in_use` by `rule`.
    #[allow(dead_code)] // used by proptest_tls only
    pub fn with_in_use_rule(mut self, rule: InUseRule) -> Self {
        self.in_use_rule = rule;
        self
    }

    fn kind(&mut self, kind: KindId) -> &mut RefKind {
        &mut self.kinds[index(kind)]
    }

    /// The acceptance rule, stated independently of the pool's code; `kept`
    /// if the buffer comes back to a place kept for it.
    fn outcome(&self, kind: KindId, size: usize, kept: bool) -> ReturnOutcome {
        let k = &self.kinds[index(kind)];
        if 2 * size < k.size {
            ReturnOutcome::TooSmall
        } else if size > 2 * k.size {
            ReturnOutcome::TooLarge
        } else if !kept && k.pooled.len() + k.kept == self.config.count {
            ReturnOutcome::PoolFull
        } else {
            ReturnOutcome::Accepted
        }
    }

    /// A return of a buffer of `size`; `by_value` if it came back through
    /// `return_*` / `give_back::<K>` rather than a guard.
    fn note_return(&mut self, kind: KindId, size: usize, by_value: bool, kept: bool) {
        let outcome = self.outcome(kind, size, kept);
        let window_reject = matches!(outcome, ReturnOutcome::TooSmall | ReturnOutcome::TooLarge);
        let lowers = match self.in_use_rule {
            InUseRule::WindowRejectsAreForeign => !(by_value && window_reject),
            InUseRule::EveryReturn => true,
        };
        let k = self.kind(kind);
        if kept {
            // Back in its place, or the place given up with the buffer.
            k.kept -= 1;
        }
        if lowers {
            k.in_use -= 1;
        }
        k.stats.in_use = k.in_use.max(0) as usize;
        match outcome {
            ReturnOutcome::Accepted => {
                k.pooled.push(size);
                k.stats.returns_accepted += 1;
            }
            ReturnOutcome::TooSmall => k.stats.rejected_too_small += 1,
            ReturnOutcome::TooLarge => k.stats.rejected_too_large += 1,
            ReturnOutcome::PoolFull => k.stats.rejected_pool_full += 1,
        }
        k.stats.pooled = k.pooled.len();
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            serialization: self.kinds[0].stats,
            compression: self.kinds[1].stats,
            simd: self.kinds[2].stats,
        }
    }
}

fn any_kind() -> impl Strategy<Value = KindId> {
    prop_oneof![
        Just(KindId::Serialization),
        Just(KindId::Compression),
        Just(KindId::Simd)
    ]
}

/// Sizes around the window's edges, plus anything small.
fn foreign_size(size: usize) -> impl Strategy<Value = usize> {
    let edges = vec![
        0,
        size.div_ceil(2).saturating_sub(1),
        size.div_ceil(2),
        size,
        2 * size,
        2 * size + 1,
        4 * size,
    ];
    prop_oneof![proptest::sample::select(edges), 0..(3 * size + 2)]
}

pub struct PoolRef<P>(PhantomData<P>);

impl<P: Front> ReferenceStateMachine for PoolRef<P> {
    type State = RefPool;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<RefPool> {
        P::init_state()
    }

    fn transitions(state: &RefPool) -> BoxedStrategy<Step> {
        let held = state.held.len().max(1);
        let sizes = state.kinds.clone();
        let foreign = any_kind().prop_flat_map(move |kind| {
            foreign_size(sizes[index(kind)].size).prop_map(move |n| Step::Foreign(kind, n))
        });
        let how = prop_oneof![
            Just(Release::GiveBack),
            Just(Release::Drop),
            Just(Release::TakeOut)
        ];
        let hold = prop_oneof![Just(Hold::Value), Just(Hold::Guard)];
        let get = (any_kind(), hold).prop_map(|(k, h)| Step::Get(k, h));
        let release = (0..held, how).prop_map(|(i, r)| Step::Release(i, r));
        // Separate arm lists, so a front without a local cache draws its
        // steps as if `FlushLocal` did not exist.
        if P::LOCAL_CACHE {
            prop_oneof![
                4 => get,
                4 => release,
                2 => foreign,
                1 => Just(Step::ResetStats),
                1 => Just(Step::FlushLocal),
            ]
            .boxed()
        } else {
            prop_oneof![
                4 => get,
                4 => release,
                2 => foreign,
                1 => Just(Step::ResetStats),
            ]
            .boxed()
        }
    }

    fn preconditions(state: &RefPool, step: &Step) -> bool {
        match step {
            Step::Release(i, _) => *i < state.held.len(),
            _ => true,
        }
    }

    fn apply(mut state: RefPool, step: &Step) -> RefPool {
        match *step {
            Step::Get(kind, hold) => {
                let keeps = hold == Hold::Guard && state.guards_keep_places;
                let k = state.kind(kind);
                let (size, kept) = match k.pooled.pop() {
                    Some(size) => {
                        k.stats.hits += 1;
                        k.kept += usize::from(keeps);
                        (size, keeps)
                    }
                    None => {
                        k.stats.misses += 1;
                        k.stats.fresh_allocations += 1;
                        (k.size, false)
                    }
                };
                k.in_use += 1;
                k.stats.in_use = k.in_use.max(0) as usize;
                k.stats.peak_in_use = k.stats.peak_in_use.max(k.stats.in_use);
                k.stats.pooled = k.pooled.len();
                state.held.push((kind, hold, size, kept));
            }
            Step::Release(i, how) => {
                let (kind, hold, size, kept) = state.held.remove(i);
                match (hold, how) {
                    (_, Release::GiveBack) | (Hold::Guard, Release::Drop) => {
                        state.note_return(kind, size, hold == Hold::Value, kept)
                    }
                    // The user drops a by-value buffer: the pool never hears.
                    (Hold::Value, Release::Drop) => {}
                    (Hold::Guard, Release::TakeOut) => {
                        let k = state.kind(kind);
                        k.kept -= usize::from(kept);
                        k.in_use -= 1;
                        k.stats.in_use = k.in_use.max(0) as usize;
                        k.stats.taken_out += 1;
                        state.held.push((kind, Hold::Value, size, false));
                    }
                    // Nothing to take out of a by-value buffer: keep it.
                    (Hold::Value, Release::TakeOut) => {
                        state.held.insert(i, (kind, hold, size, kept))
                    }
                }
            }
            Step::Foreign(kind, size) => state.note_return(kind, size, true, false),
            Step::ResetStats => {
                for k in &mut state.kinds {
                    k.stats = KindStats {
                        pooled: k.pooled.len(),
                        in_use: k.stats.in_use,
                        peak_in_use: k.stats.in_use,
                        ..KindStats::default()
                    };
                }
            }
            Step::FlushLocal => {}
        }
        state
    }
}

// ---------------------------------------------------------------------------
// System under test
// ---------------------------------------------------------------------------

/// A guard a front hands out (`PooledBuf`, `CachedBuf`): the buffer behind
/// `DerefMut`, and the two ways to end it before it is dropped.
pub trait Guard: DerefMut<Target: Sized> {
    fn give_back(self) -> ReturnOutcome;
    fn into_inner(self) -> Self::Target;
    /// The buffer through the guard's `AsMut` where it has one, else through
    /// `DerefMut`.
    fn as_mut_buffer(&mut self) -> &mut Self::Target;
}

/// A pool front under test: how to build it, and each call the test makes.
pub trait Front: Sized + 'static {
    type SerGuard: Guard<Target = Vec<u8>>;
    type CompGuard: Guard<Target = Vec<u8>>;
    type SimdGuard: Guard<Target = VecSimd<f64x4>>;

    /// The front keeps a thread-local cache: generate `FlushLocal` steps.
    const LOCAL_CACHE: bool;

    /// The starting reference: a full pool (see [`RefPool::new`]).
    fn init_state() -> BoxedStrategy<RefPool>;
    fn build(config: PoolConfig, per_thread: Option<usize>) -> Self;

    fn get_serialization(&self) -> Vec<u8>;
    fn get_compression(&self) -> Vec<u8>;
    fn get_simd(&self) -> VecSimd<f64x4>;
    fn serialization_guard(&'static self) -> Self::SerGuard;
    fn compression_guard(&'static self) -> Self::CompGuard;
    fn simd_guard(&'static self) -> Self::SimdGuard;
    fn give_back_serialization(&self, buffer: Vec<u8>) -> ReturnOutcome;
    fn give_back_compression(&self, buffer: Vec<u8>) -> ReturnOutcome;
    fn give_back_simd(&self, buffer: VecSimd<f64x4>) -> ReturnOutcome;
    fn reset(&self);
    /// `Step::FlushLocal`; a front without a local cache never sees it.
    fn flush(&self) {}

    /// The checks after every step: the front's figures against the
    /// reference's.
    fn check(&self, reference: &RefPool);
}

enum Held<P: Front> {
    Bytes(KindId, Vec<u8>),
    Vector(VecSimd<f64x4>),
    SerGuard(P::SerGuard),
    CompGuard(P::CompGuard),
    SimdGuard(P::SimdGuard),
}

pub struct Sut<P: Front> {
    /// Leaked so guards can borrow it across steps; reclaimed in teardown.
    pool: &'static P,
    held: Vec<Held<P>>,
    /// The reference before the step being applied (`apply` is handed the
    /// state after it), to predict each return's outcome.
    before: RefPool,
}

/// A buffer just handed out must be cleared and inside the window; then we
/// scribble on it so the next get of it proves the pool clears again.
fn check_and_dirty_bytes(buffer: &mut Vec<u8>, expected: usize) {
    assert!(buffer.is_empty(), "handed out a non-empty Vec");
    assert_eq!(
        buffer.capacity(),
        expected,
        "not the buffer the model predicts"
    );
    buffer.extend(std::iter::repeat_n(0xAB, buffer.capacity()));
}

fn check_and_dirty_simd(buffer: &mut VecSimd<f64x4>, expected: usize) {
    assert_eq!(
        buffer.flat().len(),
        expected,
        "not the buffer the model predicts"
    );
    assert!(buffer.flat().iter().all(|x| *x == 0.0), "not zero-filled");
    buffer.flat_mut().fill(7.0);
}

fn give_back_bytes<P: Front>(pool: &P, kind: KindId, b: Vec<u8>) -> ReturnOutcome {
    match kind {
        KindId::Serialization => pool.give_back_serialization(b),
        KindId::Compression => pool.give_back_compression(b),
        KindId::Simd => unreachable!("SIMD buffers are not Vec<u8>"),
    }
}

pub struct PoolTest<P>(PhantomData<P>);

impl<P: Front> StateMachineTest for PoolTest<P> {
    type SystemUnderTest = Sut<P>;
    type Reference = PoolRef<P>;

    fn init_test(reference: &RefPool) -> Sut<P> {
        let pool = P::build(reference.config, reference.per_thread);
        Sut {
            pool: Box::leak(Box::new(pool)),
            held: Vec::new(),
            before: reference.clone(),
        }
    }

    fn apply(mut sut: Sut<P>, reference: &RefPool, step: Step) -> Sut<P> {
        let pool = sut.pool;
        // The size the reference says the buffer just got has.
        let got = reference.held.last().map_or(0, |h| h.2);
        match step {
            Step::Get(kind, Hold::Value) => sut.held.push(match kind {
                KindId::Serialization => {
                    let mut b = pool.get_serialization();
                    check_and_dirty_bytes(&mut b, got);
                    Held::Bytes(kind, b)
                }
                KindId::Compression => {
                    let mut b = pool.get_compression();
                    check_and_dirty_bytes(&mut b, got);
                    Held::Bytes(kind, b)
                }
                KindId::Simd => {
                    let mut b = pool.get_simd();
                    check_and_dirty_simd(&mut b, got);
                    Held::Vector(b)
                }
            }),
            Step::Get(kind, Hold::Guard) => sut.held.push(match kind {
                KindId::Serialization => {
                    let mut g = pool.serialization_guard();
                    check_and_dirty_bytes(&mut g, got);
                    Held::SerGuard(g)
                }
                KindId::Compression => {
                    let mut g = pool.compression_guard();
                    check_and_dirty_bytes(g.as_mut_buffer(), got);
                    Held::CompGuard(g)
                }
                KindId::Simd => {
                    let mut g = pool.simd_guard();
                    check_and_dirty_simd(&mut g, got);
                    Held::SimdGuard(g)
                }
            }),
            Step::Release(i, how) => {
                let kept = sut.before.held[i].3;
                let held = sut.held.remove(i);
                match (held, how) {
                    (Held::Bytes(kind, b), Release::GiveBack) => {
                        let expected = sut.before.outcome(kind, b.capacity(), kept);
                        assert_eq!(give_back_bytes(pool, kind, b), expected);
                    }
                    (Held::Vector(b), Release::GiveBack) => {
                        let expected = sut.before.outcome(KindId::Simd, b.flat().len(), kept);
                        assert_eq!(pool.give_back_simd(b), expected);
                    }
                    (Held::SerGuard(g), Release::GiveBack) => {
                        let expected =
                            sut.before
                                .outcome(KindId::Serialization, g.capacity(), kept);
                        assert_eq!(g.give_back(), expected);
                    }
                    (Held::CompGuard(g), Release::GiveBack) => {
                        let expected = sut.before.outcome(KindId::Compression, g.capacity(), kept);
                        assert_eq!(g.give_back(), expected);
                    }
                    (Held::SimdGuard(g), Release::GiveBack) => {
                        let expected = sut.before.outcome(KindId::Simd, g.flat().len(), kept);
                        assert_eq!(g.give_back(), expected);
                    }
                    (Held::SerGuard(g), Release::TakeOut) => sut
                        .held
                        .push(Held::Bytes(KindId::Serialization, g.into_inner())),
                    (Held::CompGuard(g), Release::TakeOut) => sut
                        .held
                        .push(Held::Bytes(KindId::Compression, g.into_inner())),
                    (Held::SimdGuard(g), Release::TakeOut) => {
                        sut.held.push(Held::Vector(g.into_inner()))
                    }
                    (held @ (Held::Bytes(..) | Held::Vector(_)), Release::TakeOut) => {
                        sut.held.insert(i, held)
                    }
                    (held, Release::Drop) => drop(held),
                }
            }
            Step::Foreign(kind, size) => {
                let outcome = match kind {
                    KindId::Simd => pool.give_back_simd(VecSimd::with(1.0, size)),
                    _ => {
                        let b = Vec::with_capacity(size);
                        assert_eq!(b.capacity(), size, "allocator rounded a u8 Vec");
                        give_back_bytes(pool, kind, b)
                    }
                };
                assert_eq!(outcome, sut.before.outcome(kind, size, false));
            }
            Step::ResetStats => pool.reset(),
            Step::FlushLocal => pool.flush(),
        }
        sut.before = reference.clone();
        sut
    }

    fn check_invariants(sut: &Sut<P>, reference: &RefPool) {
        sut.pool.check(reference);
    }

    fn teardown(sut: Sut<P>, _: RefPool) {
        let Sut { pool, held, .. } = sut;
        drop(held);
        // SAFETY: `pool` came from `Box::leak` in `init_test`, and every
        // guard borrowing it was in `held`, now dropped; nothing else holds
        // the reference, so reclaiming the box is sound.
        drop(unsafe { Box::from_raw(pool as *const P as *mut P) });
    }
}
