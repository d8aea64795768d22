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

use pool_reference::{Front, Guard, InUseRule, PoolTest, RefPool, config};
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
        (1usize..7, 1usize..40, 1usize..40, 1usize..12)
            .prop_flat_map(|(count, s, c, v)| (Just((count, s, c, v)), 1..=count))
            .prop_map(|((count, s, c, v), per_thread)| {
                // The front's own rule until its redesign (see `InUseRule`).
                RefPool::new(count, [s, c, v], Some(per_thread))
                    .with_in_use_rule(InUseRule::EveryReturn)
            })
            .boxed()
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
