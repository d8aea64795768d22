//! `BufferPool`, and pools of user-defined kinds (`KindPool`, and the
//! thread-local `KindTlsPool`), against a reference model of their counts
//! and acceptance rules.
//!
//! The user kinds (`common/user_kinds.rs`) are defined outside the crate as
//! a user would, with the default window; three pools of them stand in for
//! the reference's three kinds, so the same model judges every outcome and
//! every figure of a user kind's pool, guards and thread-local front.
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
#[path = "common/user_kinds.rs"]
mod user_kinds;

use pool_reference::{Front, Guard, PoolTest, RefPool, config, front_initial_states};
use proptest::prelude::*;
use proptest_state_machine::prop_state_machine;
use simd_aligned::VecSimd;
use user_kinds::{UserBytes, UserVectors};
use verified_pools::pool::{
    BufferKind, BufferPool, Compression, Epoch, Home, KindConfig, KindId, KindPool, PointerNode,
    PoolConfig, PoolStats, PooledBuf, ReturnOutcome, Serialization, Simd, Tagged, Variant,
};
use verified_pools::tls::{KindCachedBuf, KindTlsConfig, KindTlsPool};
use wide::f64x4;

/// Every guard of the crate is one generic type.
impl<K: BufferKind, H: Home<K> + 'static> Guard for verified_pools::pool::Guard<K, H> {
    fn give_back(self) -> ReturnOutcome {
        verified_pools::pool::Guard::give_back(self)
    }

    fn into_inner(self) -> K::Buffer {
        verified_pools::pool::Guard::into_inner(self)
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

/// The calls of [`Front`] on three single-kind pools (`ser`, `comp`,
/// `simd`), which `KindPool` and `KindTlsPool` spell alike.
macro_rules! three_user_kinds {
    () => {
        fn get_serialization(&self) -> Vec<u8> {
            self.ser.get()
        }

        fn get_compression(&self) -> Vec<u8> {
            self.comp.get()
        }

        fn get_simd(&self) -> VecSimd<f64x4> {
            self.simd.get()
        }

        fn serialization_guard(&'static self) -> Self::SerGuard {
            self.ser.guard()
        }

        fn compression_guard(&'static self) -> Self::CompGuard {
            self.comp.guard()
        }

        fn simd_guard(&'static self) -> Self::SimdGuard {
            self.simd.guard()
        }

        fn give_back_serialization(&self, buffer: Vec<u8>) -> ReturnOutcome {
            self.ser.give_back(buffer)
        }

        fn give_back_compression(&self, buffer: Vec<u8>) -> ReturnOutcome {
            self.comp.give_back(buffer)
        }

        fn give_back_simd(&self, buffer: VecSimd<f64x4>) -> ReturnOutcome {
            self.simd.give_back(buffer)
        }

        fn reset(&self) {
            self.ser.reset_stats();
            self.comp.reset_stats();
            self.simd.reset_stats();
        }
    };
}

/// Three pools of user kinds, standing in for the reference's three kinds.
struct UserPools<V: Variant> {
    ser: KindPool<UserBytes<0>, V>,
    comp: KindPool<UserBytes<1>, V>,
    simd: KindPool<UserVectors, V>,
}

impl<V: Variant> Front for UserPools<V> {
    type SerGuard = PooledBuf<'static, UserBytes<0>, V>;
    type CompGuard = PooledBuf<'static, UserBytes<1>, V>;
    type SimdGuard = PooledBuf<'static, UserVectors, V>;

    const LOCAL_CACHE: bool = false;

    fn init_state() -> BoxedStrategy<RefPool> {
        BufferPool::<V>::init_state()
    }

    fn build(config: PoolConfig, _per_thread: Option<usize>) -> Self {
        let kind = |size| KindConfig {
            count: config.count,
            size,
        };
        UserPools {
            ser: KindPool::new(kind(config.serialization_size)).expect("valid"),
            comp: KindPool::new(kind(config.compression_size)).expect("valid"),
            simd: KindPool::new(kind(config.simd_len)).expect("valid"),
        }
    }

    three_user_kinds!();

    fn check(&self, reference: &RefPool) {
        let stats = PoolStats {
            serialization: self.ser.stats(),
            compression: self.comp.stats(),
            simd: self.simd.stats(),
        };
        assert_eq!(stats, reference.stats());
        assert!(self.ser.bound() == reference.config.count);
    }
}

/// Three thread-local fronts of user kinds, as `TlsPool` is of the provided
/// ones (`proptest_tls.rs` drives `TlsPool` the same way).
struct UserFronts<V: Variant> {
    ser: KindTlsPool<UserBytes<0>, V>,
    comp: KindTlsPool<UserBytes<1>, V>,
    simd: KindTlsPool<UserVectors, V>,
}

impl<V: Variant> Front for UserFronts<V> {
    type SerGuard = KindCachedBuf<'static, UserBytes<0>, V>;
    type CompGuard = KindCachedBuf<'static, UserBytes<1>, V>;
    type SimdGuard = KindCachedBuf<'static, UserVectors, V>;

    const LOCAL_CACHE: bool = true;

    fn init_state() -> BoxedStrategy<RefPool> {
        front_initial_states()
    }

    fn build(config: PoolConfig, per_thread: Option<usize>) -> Self {
        let per_thread = per_thread.expect("TLS references carry a per-thread capacity");
        let front = |size| KindTlsConfig {
            kind: KindConfig {
                count: config.count,
                size,
            },
            per_thread,
        };
        UserFronts {
            ser: KindTlsPool::new(front(config.serialization_size)).expect("valid"),
            comp: KindTlsPool::new(front(config.compression_size)).expect("valid"),
            simd: KindTlsPool::new(front(config.simd_len)).expect("valid"),
        }
    }

    three_user_kinds!();

    fn flush(&self) {
        self.ser.flush_local();
        self.comp.flush_local();
        self.simd.flush_local();
    }

    fn check(&self, reference: &RefPool) {
        let (ser, comp, simd) = (self.ser.stats(), self.comp.stats(), self.simd.stats());
        let stats = PoolStats {
            serialization: ser.pool,
            compression: comp.pool,
            simd: simd.pool,
        };
        assert_eq!(stats, reference.stats());
        let per_thread = reference.per_thread.expect("set by init_state");
        for s in [ser, comp, simd] {
            assert!(s.pool.pooled <= reference.config.count, "bound exceeded");
            assert!(s.cached <= s.pool.pooled, "more cached than pooled");
            assert!(
                s.cached + s.reserved <= per_thread,
                "a cache beyond its capacity"
            );
            assert!(
                s.reserved <= per_thread.div_ceil(2),
                "a cache hoards free places: {s:?}"
            );
            assert!(s.peak_in_use_exact, "one slot: the peak is exact");
        }
    }
}

type TaggedPool = BufferPool<Tagged>;
type UserTaggedPools = UserPools<Tagged>;
type UserEpochPools = UserPools<Epoch>;
type UserTaggedFronts = UserFronts<Tagged>;
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

    #[test]
    fn user_kind_pool_matches_reference(sequential 1..48 => PoolTest<UserTaggedPools>);

    #[test]
    fn user_kind_epoch_pool_matches_reference(sequential 1..48 => PoolTest<UserEpochPools>);

    #[test]
    fn user_kind_front_matches_reference(sequential 1..64 => PoolTest<UserTaggedFronts>);
}
