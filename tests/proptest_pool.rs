//! `BufferPool` against a reference model of its counts and acceptance rules.
//!
//! The reference and the state-machine test live in
//! `common/pool_reference.rs` (shared with `proptest_tls.rs`): the test holds
//! buffers by value and in guards between steps, returns them every possible
//! way, offers foreign buffers of chosen sizes, and resets the stats. After
//! every step the pool's whole `PoolStats` must equal the reference's, and
//! every buffer handed out must be cleared and inside its kind's window.
//!
//! Cases: 1,000 per variant unless `PROPTEST_CASES` says otherwise.

#[path = "common/pool_reference.rs"]
mod pool_reference;

use pool_reference::{Front, Guard, PoolTest, RefPool, config};
use proptest::prelude::*;
use proptest_state_machine::prop_state_machine;
use simd_aligned::VecSimd;
use verified_pools::pool::{
    BufferKind, BufferPool, Compression, Epoch, KindId, PointerNode, PoolConfig, PooledBuf,
    ReturnOutcome, Serialization, Simd, Tagged, Variant,
};
use wide::f64x4;

impl<K: BufferKind, V: Variant> Guard for PooledBuf<'static, K, V> {
    fn give_back(self) -> ReturnOutcome {
        PooledBuf::give_back(self)
    }

    fn into_inner(self) -> K::Buffer {
        PooledBuf::into_inner(self)
    }

    fn as_mut_buffer(&mut self) -> &mut K::Buffer {
        AsMut::as_mut(self)
    }
}

impl<V: Variant> Front for BufferPool<V> {
    type SerGuard = PooledBuf<'static, Serialization, V>;
    type CompGuard = PooledBuf<'static, Compression, V>;
    type SimdGuard = PooledBuf<'static, Simd, V>;

    const LOCAL_CACHE: bool = false;

    fn init_state() -> BoxedStrategy<RefPool> {
        (1usize..5, 1usize..40, 1usize..40, 1usize..12)
            .prop_map(|(count, s, c, v)| RefPool::new(count, [s, c, v], None))
            .boxed()
    }

    fn build(config: PoolConfig, _per_thread: Option<usize>) -> Self {
        BufferPool::new(config).expect("generated configs are valid")
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
        BufferPool::serialization_guard(self)
    }

    fn compression_guard(&'static self) -> Self::CompGuard {
        self.guard::<Compression>()
    }

    fn simd_guard(&'static self) -> Self::SimdGuard {
        BufferPool::simd_guard(self)
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

    fn check(&self, reference: &RefPool) {
        let stats = self.stats();
        assert_eq!(stats, reference.stats());
        for kind in KindId::ALL {
            let s = stats.of(kind);
            assert!(s.pooled <= reference.config.count, "bound exceeded");
        }
    }
}

type TaggedPool = BufferPool<Tagged>;
type EpochPool = BufferPool<Epoch>;
type PointerNodePool = BufferPool<PointerNode>;

prop_state_machine! {
    #![proptest_config(config())]

    #[test]
    fn tagged_pool_matches_reference(sequential 1..48 => PoolTest<TaggedPool>);

    #[test]
    fn epoch_pool_matches_reference(sequential 1..48 => PoolTest<EpochPool>);

    #[test]
    fn pointer_node_pool_matches_reference(sequential 1..48 => PoolTest<PointerNodePool>);
}
