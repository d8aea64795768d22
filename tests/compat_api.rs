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

#[test]
fn the_hit_rate_is_hits_over_gets() {
    let pool = LockFreeBufferPool::new(small());
    assert_eq!(pool.get_stats().hit_rate, 0.0, "no gets yet");
    let held: Vec<Vec<u8>> = (0..4).map(|_| pool.get_serialization_buffer()).collect();
    let stats = pool.get_stats();
    assert_eq!((stats.pool_hits, stats.pool_misses), (3, 1));
    assert_eq!(stats.hit_rate, 0.75);
    for buffer in held {
        pool.return_serialization_buffer(buffer);
    }
    pool.reset_stats();
    let stats = pool.get_stats();
    assert_eq!(
        (stats.pool_hits, stats.deallocations, stats.hit_rate),
        (0, 0, 0.0)
    );
}

#[test]
fn a_guard_reads_and_writes_its_own_buffer_by_every_accessor() {
    let pool = LockFreeBufferPool::new(small());
    let mut guard = pool.get_compression_buffer_guard();
    guard.data_mut().push(1);
    guard.push(2); // `DerefMut`
    guard.as_mut().push(3);
    assert_eq!(guard.data().as_slice(), [1, 2, 3]);
    assert_eq!(guard.as_slice(), [1, 2, 3]); // `Deref`
    assert_eq!(guard.as_ref().as_slice(), [1, 2, 3]);
    assert_eq!(guard.capacity(), 700, "the pooled buffer, not a new one");
    guard.return_early();
    assert_eq!(pool.get_available_counts().compression_available, 3);
    assert_eq!(pool.get_stats().deallocations, 1);
    let buffer = pool.get_compression_buffer();
    assert!(buffer.is_empty(), "returned buffers come back cleared");
}
