//! `TlsPool` (the thread-local cache front) against the plain pool's
//! reference model: caching must not change what the user sees.
//!
//! This is `proptest_pool.rs`'s reference (`common/pool_reference.rs`),
//! unchanged, driven through a `TlsPool` with a generated per-thread
//! capacity, plus a step that gives the thread's cache back mid-run
//! (`flush_local`, as thread exit does). With one thread the place count
//! makes every outcome — hit or miss, accepted or pool full, and which buffer
//! comes back — the plain pool's. Besides the pool's figures, the cache
//! figures must stay within their bounds.
//!
//! The reference tracks, per kind, how many buffers are pooled and every
//! counter the pool reports; the test holds buffers by value and in guards
//! between steps, returns them every possible way, offers foreign buffers of
//! chosen sizes, and resets the stats. After every step the pool's whole
//! `PoolStats` must equal the reference's, and every buffer handed out must
//! be cleared and inside its kind's window.
//!
//! Cases: 1,000 per variant unless `PROPTEST_CASES` says otherwise.

#[path = "common/pool_reference.rs"]
mod pool_reference;

use pool_reference::{Front, Guard, PoolTest, RefPool, config, front_initial_states};
use proptest::prelude::*;
use proptest_state_machine::prop_state_machine;
use simd_aligned::VecSimd;
use verified_pools::pool::{
    Compression, Epoch, KindId, PointerNode, PoolConfig, ReturnOutcome, Serialization, Simd,
    Tagged, Variant,
};
use verified_pools::tls::{CachedBuf, CachedKind, TlsConfig, TlsPool};
use wide::f64x4;

impl<K: CachedKind, V: Variant> Guard for CachedBuf<'static, K, V> {
    fn give_back(self) -> ReturnOutcome {
        CachedBuf::give_back(self)
    }

    fn into_inner(self) -> K::Buffer {
        CachedBuf::into_inner(self)
    }

    /// `CachedBuf` has no `AsMut`: through `DerefMut`.
    fn as_mut_buffer(&mut self) -> &mut K::Buffer {
        self
    }
}

impl<V: Variant> Front for TlsPool<V> {
    type SerGuard = CachedBuf<'static, Serialization, V>;
    type CompGuard = CachedBuf<'static, Compression, V>;
    type SimdGuard = CachedBuf<'static, Simd, V>;

    const LOCAL_CACHE: bool = true;

    fn init_state() -> BoxedStrategy<RefPool> {
        front_initial_states()
    }

    fn build(config: PoolConfig, per_thread: Option<usize>) -> Self {
        let config = TlsConfig {
            pool: config,
            per_thread: per_thread.expect("TLS references carry a per-thread capacity"),
        };
        TlsPool::new(config).expect("generated configs are valid")
    }

    fn get_serialization(&self) -> Vec<u8> {
        self.get_serialization_buffer()
    }

    fn get_compression(&self) -> Vec<u8> {
        self.get_compression_buffer()
    }

    fn get_simd(&self) -> VecSimd<f64x4> {
        self.get_simd_buffer()
    }

    fn serialization_guard(&'static self) -> Self::SerGuard {
        self.guard::<Serialization>()
    }

    fn compression_guard(&'static self) -> Self::CompGuard {
        self.guard::<Compression>()
    }

    fn simd_guard(&'static self) -> Self::SimdGuard {
        self.guard::<Simd>()
    }

    fn give_back_serialization(&self, buffer: Vec<u8>) -> ReturnOutcome {
        self.return_serialization_buffer(buffer)
    }

    fn give_back_compression(&self, buffer: Vec<u8>) -> ReturnOutcome {
        self.give_back::<Compression>(buffer)
    }

    fn give_back_simd(&self, buffer: VecSimd<f64x4>) -> ReturnOutcome {
        self.return_simd_buffer(buffer)
    }

    fn reset(&self) {
        self.reset_stats()
    }

    fn flush(&self) {
        self.flush_local()
    }

    fn check(&self, reference: &RefPool) {
        let stats = self.stats();
        assert_eq!(stats.pool(), reference.stats());
        assert!(
            stats.threads <= 1 && stats.slots <= 1,
            "one thread, one slot"
        );
        let per_thread = reference.per_thread.expect("set by init_state");
        for kind in KindId::ALL {
            let s = stats.of(kind);
            assert!(s.pool.pooled <= reference.config.count, "bound exceeded");
            assert!(s.cached <= s.pool.pooled, "more cached than pooled");
            assert!(
                s.cached + s.reserved <= per_thread,
                "a cache beyond its capacity: {s:?}"
            );
            // The contract's slack: between calls a cache holds at most
            // `spare = ⌈batch / 2⌉` free places.
            assert!(
                s.reserved <= per_thread.div_ceil(2).div_ceil(2),
                "a cache hoards free places: {s:?}"
            );
            assert!(s.peak_in_use_exact, "one slot: the peak is exact");
        }
    }
}

type TaggedTls = TlsPool<Tagged>;
type EpochTls = TlsPool<Epoch>;
type PointerNodeTls = TlsPool<PointerNode>;

prop_state_machine! {
    #![proptest_config(config())]

    #[test]
    fn tls_tagged_matches_pool_reference(sequential 1..64 => PoolTest<TaggedTls>);

    #[test]
    fn tls_epoch_matches_pool_reference(sequential 1..48 => PoolTest<EpochTls>);

    #[test]
    fn tls_pointer_node_matches_pool_reference(sequential 1..48 => PoolTest<PointerNodeTls>);
}

/// The front's contract with two threads, each step made at quiescence:
/// this thread (A) and a worker (B) get buffers, return any held buffer
/// whoever got it (the hand-off), and flush. Before every step the stats
/// are exact (the worker answered the previous step), so each outcome can be
/// judged against the contract of `src/tls/mod.rs`:
/// * the bound: never more than `count` pooled;
/// * a refused return: the returner has no free place and the shared room
///   is empty, so every free place is the other cache's: `count − pooled ≤
///   reserved ≤ spare` (`⌈batch / 2⌉`);
/// * a miss: every pooled buffer is in the other thread's cache (`pooled ≤
///   cached`).
mod two_threads {
    use std::sync::mpsc;

    use proptest::prelude::*;
    use verified_pools::pool::{PoolConfig, ReturnOutcome, Serialization, Tagged};
    use verified_pools::tls::{TlsConfig, TlsKindStats, TlsPool};

    #[derive(Debug, Clone, Copy)]
    enum Op {
        Get { on_b: bool },
        Return { on_b: bool, which: usize },
        Flush { on_b: bool },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => any::<bool>().prop_map(|on_b| Op::Get { on_b }),
            4 => (any::<bool>(), any::<usize>()).prop_map(|(on_b, which)| Op::Return { on_b, which }),
            1 => any::<bool>().prop_map(|on_b| Op::Flush { on_b }),
        ]
    }

    enum Cmd {
        Get,
        Return(Vec<u8>),
        Flush,
    }

    enum Reply {
        Got(Vec<u8>, bool),
        Returned(ReturnOutcome),
        Flushed,
    }

    /// One step on `pool` from the calling thread; the bool says whether a
    /// get missed (read from this thread's own exact totals).
    fn step(pool: &TlsPool<Tagged>, cmd: Cmd) -> Reply {
        match cmd {
            Cmd::Get => {
                let before = pool.stats().serialization.pool.misses;
                let b = pool.get::<Serialization>();
                let missed = pool.stats().serialization.pool.misses > before;
                Reply::Got(b, missed)
            }
            Cmd::Return(b) => Reply::Returned(pool.give_back::<Serialization>(b)),
            Cmd::Flush => {
                pool.flush_local();
                Reply::Flushed
            }
        }
    }

    fn check(count: usize, spare: usize, before: &TlsKindStats, reply: &Reply) {
        match reply {
            Reply::Returned(ReturnOutcome::PoolFull) => {
                let free = count - before.pool.pooled;
                assert!(
                    free <= before.reserved && before.reserved <= spare,
                    "spurious pool full: {free} places free, the other cache held {}: {before:?}",
                    before.reserved
                );
            }
            Reply::Got(_, true) => assert!(
                before.pool.pooled <= before.cached,
                "spurious miss: {} pooled, only {} in caches: {before:?}",
                before.pool.pooled,
                before.cached
            ),
            _ => {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(300)
        ))]

        #[test]
        fn hand_off_keeps_the_contract(
            (count, per_thread) in (1usize..8).prop_flat_map(|c| (Just(c), 1..=c)),
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            let config = TlsConfig {
                pool: PoolConfig { count, serialization_size: 16, compression_size: 16, simd_len: 4 },
                per_thread,
            };
            let spare = config.batch().div_ceil(2);
            let pool = std::sync::Arc::new(TlsPool::<Tagged>::new(config).unwrap());
            let (to_b, b_rx) = mpsc::channel::<Cmd>();
            let (b_tx, from_b) = mpsc::channel::<Reply>();
            let worker = {
                let pool = std::sync::Arc::clone(&pool);
                std::thread::spawn(move || {
                    for cmd in b_rx {
                        b_tx.send(step(&pool, cmd)).unwrap();
                    }
                })
            };
            let mut held: Vec<Vec<u8>> = Vec::new();
            for op in ops {
                let before = pool.stats().serialization;
                let (on_b, cmd) = match op {
                    Op::Get { on_b } => (on_b, Cmd::Get),
                    Op::Return { on_b, which } => {
                        if held.is_empty() {
                            continue;
                        }
                        (on_b, Cmd::Return(held.swap_remove(which % held.len())))
                    }
                    Op::Flush { on_b } => (on_b, Cmd::Flush),
                };
                let reply = if on_b {
                    to_b.send(cmd).unwrap();
                    from_b.recv().unwrap()
                } else {
                    step(&pool, cmd)
                };
                check(count, spare, &before, &reply);
                if let Reply::Got(b, _) = reply {
                    held.push(b);
                }
                let after = pool.stats().serialization;
                prop_assert!(after.pool.pooled <= count, "bound exceeded: {:?}", after);
                prop_assert!(after.reserved <= 2 * spare, "hoarded places: {:?}", after);
            }
            drop(to_b);
            worker.join().unwrap();
        }
    }
}
