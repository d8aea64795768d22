//! What the compatibility module adds to the seed's API (`try_new`,
//! `config`, `inner`): the seed's own tests (`tests/compat_seed.rs`) do not
//! call it.

use verified_pools::compat::lockfree_buffer_pool::{LockFreeBufferPool, LockFreeBufferPoolConfig};
use verified_pools::pool::{ConfigError, KindId, PoolConfig};

fn small() -> LockFreeBufferPoolConfig {
    LockFreeBufferPoolConfig {
        buffer_count: 3,
        serialization_buffer_size: 1000,
        compression_buffer_size: 700,
        simd_buffer_elements: 24,
    }
}

#[test]
fn the_pool_reports_the_config_it_was_built_with() {
    let pool = LockFreeBufferPool::new(small());
    assert_eq!(*pool.config(), small());
    assert_eq!(*pool.inner().config(), PoolConfig::from(small()));
    assert_eq!(pool.get_available_counts().total_capacity, 3);
    assert_eq!(pool.get_serialization_buffer().capacity(), 1000);
    assert_eq!(pool.get_compression_buffer().capacity(), 700);
    assert_eq!(pool.get_simd_buffer().flat().len(), 24);
}

#[test]
fn bad_configs_are_typed_errors() {
    let zero_count = LockFreeBufferPoolConfig {
        buffer_count: 0,
        ..small()
    };
    assert!(matches!(
        LockFreeBufferPool::try_new(zero_count),
        Err(ConfigError::ZeroCount)
    ));
    let zero_size = LockFreeBufferPoolConfig {
        compression_buffer_size: 0,
        ..small()
    };
    assert!(matches!(
        LockFreeBufferPool::try_new(zero_size),
        Err(ConfigError::ZeroSize(KindId::Compression))
    ));
    assert!(LockFreeBufferPool::try_new(small()).is_ok());
}
