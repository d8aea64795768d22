//! The pool scenario on real threads, many times, for every variant; plus a
//! heavier std-only stress of mixed traffic checked at quiescence.

#[path = "../models/scenarios/mod.rs"]
mod all_scenarios;
use all_scenarios::pool as scenarios;

use std::sync::Arc;
use std::thread;

use scenarios::Script;
use verified_pools::pool::{BufferPool, Epoch, PointerNode, PoolConfig, Tagged, Variant};

fn rounds() -> usize {
    std::env::var("POOL_STRESS_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

#[test]
fn scenario_on_std_threads_tagged() {
    for _ in 0..rounds() {
        scenarios::guards_and_values::<Tagged>(3, Script::Full);
    }
}

#[test]
fn scenario_on_std_threads_epoch() {
    for _ in 0..rounds() {
        scenarios::guards_and_values::<Epoch>(3, Script::Full);
    }
}

#[test]
fn scenario_on_std_threads_pointer_node() {
    for _ in 0..rounds() {
        scenarios::guards_and_values::<PointerNode>(3, Script::Full);
    }
}

/// Eight threads hammer all three kinds; at the end the counts must add up
/// exactly and the pool must hold at most its bound.
fn hammer<V: Variant>() {
    const THREADS: usize = 8;
    const OPS: usize = 5_000;
    let config = PoolConfig {
        count: 4,
        serialization_size: 64,
        compression_size: 32,
        simd_len: 8,
    };
    let pool = Arc::new(BufferPool::<V>::new(config).unwrap());
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                for i in 0..OPS {
                    match (t + i) % 3 {
                        0 => {
                            let mut g = pool.serialization_guard();
                            assert!(g.is_empty());
                            g.push(t as u8);
                            assert_eq!(&g[..], [t as u8]);
                        }
                        1 => {
                            let mut b = pool.get_compression_buffer();
                            assert!(b.is_empty());
                            b.extend_from_slice(&[t as u8; 3]);
                            assert_eq!(&b[..], [t as u8; 3]);
                            pool.return_compression_buffer(b);
                        }
                        _ => {
                            let mut v = pool.get_simd_buffer();
                            assert!(v.flat().iter().all(|x| *x == 0.0));
                            v.flat_mut()[1] = t as f64;
                            pool.return_simd_buffer(v);
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let stats = pool.stats();
    let mut total_gets = 0;
    for s in [stats.serialization, stats.compression, stats.simd] {
        assert_eq!(s.gets(), s.returns(), "every get was returned");
        assert_eq!(s.in_use, 0);
        assert_eq!(s.pooled + s.returns_rejected(), config.count + s.misses);
        assert!(s.pooled <= config.count);
        assert!(s.peak_in_use <= THREADS);
        total_gets += s.gets();
    }
    assert_eq!(total_gets, THREADS * OPS);
}

#[test]
fn hammer_tagged() {
    hammer::<Tagged>();
}

#[test]
fn hammer_epoch() {
    hammer::<Epoch>();
}

#[test]
fn hammer_pointer_node() {
    hammer::<PointerNode>();
}
