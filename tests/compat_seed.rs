//! The seed's own unit tests, run against the compatibility module.
//!
//! Copied from the seed's `rusty_bin/monitor/lockfree_buffer_pool.rs`
//! (`#[cfg(test)] mod tests`, six tests), unmodified except for its
//! `use super::*;`, which names `verified_pools::compat::lockfree_buffer_pool`
//! instead: that one line is what a user of the seed changes to switch (a
//! blank line after it keeps rustfmt from moving it below the `std` imports).

#[cfg(test)]
mod tests {
    use verified_pools::compat::lockfree_buffer_pool::*;

    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn test_lockfree_buffer_pool_basic_operations() {
        let config = LockFreeBufferPoolConfig::default();
        let pool = LockFreeBufferPool::new(config);

        // Test serialization buffer
        let buffer1 = pool.get_serialization_buffer();
        assert!(buffer1.capacity() > 0);
        pool.return_serialization_buffer(buffer1);

        // Test compression buffer
        let buffer2 = pool.get_compression_buffer();
        assert!(buffer2.capacity() > 0);
        pool.return_compression_buffer(buffer2);

        // Test SIMD buffer
        let buffer3 = pool.get_simd_buffer();
        assert!(!buffer3.is_empty());
        pool.return_simd_buffer(buffer3);

        let stats = pool.get_stats();
        assert_eq!(stats.pool_hits, 3);
        assert_eq!(stats.deallocations, 3);
    }

    #[test]
    fn test_lockfree_buffer_pool_guard() {
        let config = LockFreeBufferPoolConfig::default();
        let pool = LockFreeBufferPool::new(config);

        // Test automatic return with guard
        {
            let mut guard = pool.get_serialization_buffer_guard();
            let buffer = guard.as_mut();
            buffer.extend_from_slice(b"test data");
            assert_eq!(buffer.len(), 9);
        } // Buffer automatically returned here

        let stats = pool.get_stats();
        assert_eq!(stats.deallocations, 1);
    }

    #[test]
    fn test_lockfree_buffer_pool_concurrent_access() {
        let config = LockFreeBufferPoolConfig {
            buffer_count: 100,
            ..Default::default()
        };
        let pool = Arc::new(LockFreeBufferPool::new(config));
        let mut handles = Vec::new();

        // Spawn multiple threads to test concurrent access
        for _ in 0..10 {
            let pool_clone = Arc::clone(&pool);
            let handle = thread::spawn(move || {
                for _ in 0..100 {
                    // Test serialization buffers
                    let buffer = pool_clone.get_serialization_buffer();
                    thread::sleep(Duration::from_micros(1)); // Simulate work
                    pool_clone.return_serialization_buffer(buffer);

                    // Test SIMD buffers
                    let simd_buffer = pool_clone.get_simd_buffer();
                    thread::sleep(Duration::from_micros(1)); // Simulate work
                    pool_clone.return_simd_buffer(simd_buffer);
                }
            });
            handles.push(handle);
        }

        // Wait for all threads to complete
        for handle in handles {
            handle.join().unwrap();
        }

        let stats = pool.get_stats();
        assert_eq!(stats.deallocations, 2000); // 10 threads * 100 iterations * 2 buffer types
        assert!(stats.hit_rate > 0.8); // Should have high hit rate with 100 pre-allocated buffers
    }

    #[test]
    fn test_lockfree_buffer_pool_memory_bounds() {
        let config = LockFreeBufferPoolConfig {
            buffer_count: 10,
            serialization_buffer_size: 1024,
            ..Default::default()
        };
        let pool = LockFreeBufferPool::new(config);

        // Get more buffers than pre-allocated
        let mut buffers = Vec::new();
        for _ in 0..20 {
            buffers.push(pool.get_serialization_buffer());
        }

        // Return all buffers
        for buffer in buffers {
            pool.return_serialization_buffer(buffer);
        }

        let stats = pool.get_stats();
        assert!(stats.pool_misses > 0); // Should have some misses
        assert!(stats.hit_rate < 1.0); // Hit rate should be less than 100%
    }

    #[test]
    fn test_lockfree_buffer_pool_stats() {
        let config = LockFreeBufferPoolConfig::default();
        let pool = LockFreeBufferPool::new(config);

        // Reset stats and test
        pool.reset_stats();

        let buffer = pool.get_serialization_buffer();
        pool.return_serialization_buffer(buffer);

        let stats = pool.get_stats();
        assert_eq!(stats.pool_hits, 1);
        assert_eq!(stats.deallocations, 1);
        assert_eq!(stats.hit_rate, 1.0);

        let counts = pool.get_available_counts();
        assert_eq!(counts.total_capacity, 256); // Default buffer count
    }

    #[test]
    fn test_buffer_guard_early_return() {
        let config = LockFreeBufferPoolConfig::default();
        let pool = LockFreeBufferPool::new(config);

        pool.reset_stats();

        // Test early return
        let guard = pool.get_serialization_buffer_guard();
        guard.return_early();

        let stats = pool.get_stats();
        assert_eq!(stats.deallocations, 1);
    }
}
