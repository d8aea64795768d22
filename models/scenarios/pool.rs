//! Pool scenarios shared by the loom, shuttle and std-thread harnesses.
//!
//! Only `backend`'s threads, `Arc` and atomics are used for concurrency, so
//! the same code runs under `loom::model`, shuttle's schedulers and real
//! threads.
//!
//! Each worker gets and returns buffers through guards and by value, marks
//! every buffer it holds with its own id and checks the mark before letting
//! go (two threads holding one buffer would see each other's mark), offers a
//! foreign buffer of the wrong size, and takes one buffer out for good. Its
//! own tally of what it did is the ground truth the pool's stats must match
//! at quiescence, and draining the free lists at the end must find exactly
//! `pooled` distinct buffers: conservation.

use super::backend::{Arc, AtomicUsize, Ordering::SeqCst, spin_loop, thread};
use super::fact;
use verified_pools::pool::{
    BufferKind, BufferPool, KindStats, PoolConfig, ProvidedKind, ReturnOutcome, Serialization,
    Simd, Variant,
};

/// Fact: a get was served from the free list.
pub const HITS: &str = "hits";
/// Fact: a get found the free list empty and allocated.
pub const MISSES: &str = "misses";
/// Fact: a return was refused because the pool was at its bound.
pub const POOL_FULL: &str = "pool_full";
/// Fact: a foreign buffer of the wrong size was rejected.
pub const WRONG_SIZE: &str = "wrong_size";
/// Fact: the stats' peak matched two holders at once.
pub const PEAK_TWO_HOLDERS: &str = "peak_two_holders";
/// Fact: a guard came back after a by-value return tried to take its place.
pub const GUARD_AFTER_FOREIGN: &str = "guard_after_foreign";

/// Tiny buffers and a bound of 2, so two busy threads overflow it.
pub fn tiny_config() -> PoolConfig {
    PoolConfig {
        count: 2,
        serialization_size: 8,
        compression_size: 8,
        simd_len: 4,
    }
}

/// What one thread did to one kind.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub gets: usize,
    pub accepted: usize,
    pub too_small: usize,
    pub too_large: usize,
    pub full: usize,
    pub taken_out: usize,
}

impl Tally {
    fn note(&mut self, outcome: ReturnOutcome) {
        match outcome {
            ReturnOutcome::Accepted => self.accepted += 1,
            ReturnOutcome::TooSmall => self.too_small += 1,
            ReturnOutcome::TooLarge => self.too_large += 1,
            ReturnOutcome::PoolFull => self.full += 1,
        }
    }

    fn add(&mut self, other: Tally) {
        self.gets += other.gets;
        self.accepted += other.accepted;
        self.too_small += other.too_small;
        self.too_large += other.too_large;
        self.full += other.full;
        self.taken_out += other.taken_out;
    }

    fn returns(&self) -> usize {
        self.accepted + self.too_small + self.too_large + self.full
    }
}

/// Per-thread tallies for the serialization and SIMD kinds.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tallies {
    pub bytes: Tally,
    pub simd: Tally,
}

fn mark_bytes(buffer: &mut Vec<u8>, id: u8) {
    assert!(buffer.is_empty(), "a reused buffer was not cleared");
    buffer.push(id);
}

fn check_bytes(buffer: &[u8], id: u8) {
    assert_eq!(buffer, [id], "another thread wrote to a buffer we hold");
}

/// Which traffic a worker makes. The full script is for shuttle and real
/// threads; loom runs the two halves as separate models to stay small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// Serialization: a guard and a by-value buffer held at once, both
    /// returned (with a bound of 2, two such threads overflow the pool).
    Hold,
    /// SIMD through a dropped guard plus a foreign SIMD buffer; the first
    /// worker also takes a serialization buffer out for good and offers a
    /// wrong-size foreign one.
    Edges,
    /// Both.
    Full,
}

/// One worker's traffic. `id` ≥ 1.
pub fn worker<V: Variant>(pool: &BufferPool<V>, id: u8, script: Script) -> Tallies {
    let mut t = Tallies::default();
    if script != Script::Edges {
        hold(pool, id, &mut t.bytes);
    }
    if script != Script::Hold {
        edges(pool, id, &mut t);
    }
    t
}

fn hold<V: Variant>(pool: &BufferPool<V>, id: u8, t: &mut Tally) {
    let mut guard = pool.serialization_guard();
    t.gets += 1;
    mark_bytes(&mut guard, id);
    let mut value = pool.get_serialization_buffer();
    t.gets += 1;
    mark_bytes(&mut value, id);
    check_bytes(&guard, id);
    check_bytes(&value, id);
    t.note(pool.return_serialization_buffer(value));
    t.note(guard.give_back());
}

fn edges<V: Variant>(pool: &BufferPool<V>, id: u8, t: &mut Tallies) {
    // SIMD through a guard dropped at end of scope.
    {
        let mut simd = pool.simd_guard();
        t.simd.gets += 1;
        assert!(
            simd.flat().iter().all(|x| *x == 0.0),
            "SIMD buffer not zeroed"
        );
        simd.flat_mut()[0] = f64::from(id);
        assert_eq!(
            simd.flat()[0],
            f64::from(id),
            "another thread wrote to our SIMD buffer"
        );
    }
    // A foreign SIMD buffer far above the window (the seed kept any size).
    t.simd.note(pool.shelf::<Simd>().give_back(Simd::fresh(64)));

    if id == 1 {
        let kept = pool.guard::<Serialization>().into_inner();
        t.bytes.gets += 1;
        t.bytes.taken_out += 1;
        // A wrong-size foreign buffer: counted, dropped, never pooled.
        t.bytes
            .note(pool.return_serialization_buffer(Vec::with_capacity(1)));
        drop(kept);
    }
}

/// The stats must match the threads' tallies, and the free list must hold
/// exactly `pooled` distinct buffers. `guard_drops` are returns made by
/// dropping a guard (outcome unseen by the worker); `foreign` counts buffers
/// offered back that the pool never made.
pub fn check_quiescent<V: Variant, K: ProvidedKind>(
    pool: &BufferPool<V>,
    tally: Tally,
    guard_drops: usize,
    foreign: usize,
    ptr_of: impl Fn(&K::Buffer) -> usize,
) -> KindStats {
    let s = pool.shelf::<K>().stats();
    let count = pool.config().count;
    assert_eq!(s.hits + s.misses, tally.gets, "hits + misses != gets");
    assert_eq!(
        s.returns(),
        tally.returns() + guard_drops,
        "accepted + rejected != returns"
    );
    assert_eq!(s.rejected_too_small, tally.too_small);
    assert_eq!(s.rejected_too_large, tally.too_large);
    assert_eq!(s.taken_out, tally.taken_out);
    assert_eq!(s.in_use, 0, "every buffer was returned or taken out");
    assert!(s.peak_in_use <= tally.gets, "peak above the gets made");
    assert!(tally.gets == 0 || s.peak_in_use >= 1, "gets made, no peak");
    // Conservation: every buffer that entered the pool's hands (pre-
    // allocated, allocated on a miss, or foreign and offered back) is now
    // pooled, dropped by a rejected return, or taken out (none is held).
    assert_eq!(
        s.pooled + s.returns_rejected() + s.taken_out,
        count + s.misses + foreign,
        "a buffer is unaccounted for"
    );
    // Ground truth: drain the shelf through its public API. The first
    // `pooled` gets must all be hits and the next one a miss.
    let shelf = pool.shelf::<K>();
    let drained: Vec<K::Buffer> = (0..s.pooled).map(|_| shelf.get()).collect();
    assert_eq!(
        shelf.stats().misses,
        s.misses,
        "stats disagree with the free list: it held fewer than `pooled`"
    );
    let extra = shelf.get();
    assert_eq!(
        shelf.stats().misses,
        s.misses + 1,
        "stats disagree with the free list: it held more than `pooled`"
    );
    assert!(s.pooled <= count, "bound exceeded");
    let mut seen: Vec<usize> = drained.iter().map(&ptr_of).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), s.pooled, "one buffer pooled twice");
    drop((drained, extra));
    s
}

/// `threads` workers share a tiny pool; checked at quiescence.
pub fn guards_and_values<V: Variant>(threads: u8, script: Script) {
    let pool = Arc::new(BufferPool::<V>::new(tiny_config()).expect("tiny config is valid"));
    let handles: Vec<_> = (1..=threads)
        .map(|id| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || worker(&*pool, id, script))
        })
        .collect();
    let mut total = Tallies::default();
    for handle in handles {
        let t = handle.join().expect("worker panicked");
        total.bytes.add(t.bytes);
        total.simd.add(t.simd);
    }
    let edges = usize::from(script != Script::Hold);
    let bytes =
        check_quiescent::<V, Serialization>(&pool, total.bytes, 0, edges, |b| b.as_ptr() as usize);
    // Each SIMD guard drop is a return whose outcome the worker cannot see;
    // each worker also offered one foreign SIMD buffer.
    let simd_drops = edges * usize::from(threads);
    let simd = check_quiescent::<V, Simd>(&pool, total.simd, simd_drops, simd_drops, |b| {
        b.flat().as_ptr() as usize
    });
    fact(HITS, bytes.hits + simd.hits > 0);
    fact(MISSES, bytes.misses + simd.misses > 0);
    fact(
        POOL_FULL,
        bytes.rejected_pool_full + simd.rejected_pool_full > 0,
    );
    fact(
        WRONG_SIZE,
        bytes.rejected_too_small + bytes.rejected_too_large + simd.rejected_too_large > 0,
    );
}

/// Two threads each get a serialization buffer and hold it until both hold
/// one (a rendezvous on a counter), then return it: at one instant exactly
/// two buffers are out, and never more. `peak_in_use` must then be exactly
/// 2 — a lost update of the peak (two gets racing to raise it) shows as 1.
pub fn two_holders_peak<V: Variant>() {
    let pool = Arc::new(BufferPool::<V>::new(tiny_config()).expect("tiny config is valid"));
    let holding = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (1..=2u8)
        .map(|id| {
            let pool = Arc::clone(&pool);
            let holding = Arc::clone(&holding);
            thread::spawn(move || {
                let mut guard = pool.serialization_guard();
                mark_bytes(&mut guard, id);
                holding.fetch_add(1, SeqCst);
                while holding.load(SeqCst) < 2 {
                    spin_loop();
                }
                check_bytes(&guard, id);
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("holder panicked");
    }
    let s = pool.shelf::<Serialization>().stats();
    assert_eq!(
        s.peak_in_use, 2,
        "peak_in_use is not the true maximum of concurrent holders (2): {s:?}"
    );
    assert_eq!((s.in_use, s.hits + s.misses), (0, 2), "{s:?}");
    fact(PEAK_TWO_HOLDERS, s.peak_in_use == 2);
}

/// A guard keeps its buffer's place while it is out. The main thread takes
/// a guard (a hit) and gives it back while a worker takes a buffer by
/// value, returns it, and offers a foreign one of in-window size. In every
/// interleaving the guard's return is accepted and the foreign one refused
/// (one pooled + one kept place is the bound of 2): a pool that freed the
/// place at the get would, when the worker's returns come first, accept the
/// foreign buffer and refuse the guard's. Then, alone, a guard grown out of
/// the window gives its place up, and by-value returns fill it.
pub fn guard_keeps_its_place<V: Variant>() {
    let pool = Arc::new(BufferPool::<V>::new(tiny_config()).expect("tiny config is valid"));
    let foreign_done = Arc::new(AtomicUsize::new(0));
    let guard = pool.serialization_guard();
    let worker = {
        let pool = Arc::clone(&pool);
        let foreign_done = Arc::clone(&foreign_done);
        thread::spawn(move || {
            let value = pool.get_serialization_buffer();
            let own = pool.return_serialization_buffer(value);
            let foreign = pool.return_serialization_buffer(Vec::with_capacity(8));
            foreign_done.store(1, SeqCst);
            (own, foreign)
        })
    };
    let after_foreign = foreign_done.load(SeqCst) == 1;
    let guard_back = guard.give_back();
    let (own, foreign) = worker.join().expect("worker panicked");
    assert_eq!(
        guard_back,
        ReturnOutcome::Accepted,
        "a guard's return was refused: a by-value return took its place"
    );
    assert_eq!(own, ReturnOutcome::Accepted);
    assert_eq!(
        foreign,
        ReturnOutcome::PoolFull,
        "a foreign buffer took a place a guard kept"
    );
    let tally = Tally {
        gets: 2,
        accepted: 2,
        full: 1,
        ..Tally::default()
    };
    check_quiescent::<V, Serialization>(&pool, tally, 0, 1, |b| b.as_ptr() as usize);

    // The drain in `check_quiescent` emptied the shelf. Pool one buffer, lend
    // it to a guard that grows out of the window: its rejection must give
    // the place up, so both places take a by-value return again.
    let fresh = || Vec::with_capacity(8);
    assert_eq!(
        pool.return_serialization_buffer(fresh()),
        ReturnOutcome::Accepted
    );
    let mut grown = pool.serialization_guard();
    grown.reserve_exact(64); // above the window of [4, 16]
    assert_eq!(grown.give_back(), ReturnOutcome::TooLarge);
    for _ in 0..2 {
        assert_eq!(
            pool.return_serialization_buffer(fresh()),
            ReturnOutcome::Accepted,
            "a rejected guard kept its place"
        );
    }
    fact(GUARD_AFTER_FOREIGN, after_foreign);
}
