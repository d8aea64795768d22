//! The cache front with real threads: the shared scenarios, config errors,
//! memory bounds, and a rough timing loop (ignored by default).

#[path = "../models/scenarios/tls.rs"]
mod scenarios;

use std::time::Instant;

use verified_pools::pool::{BufferPool, PoolConfig, ReturnOutcome, Serialization, Tagged};
use verified_pools::tls::{MAX_PER_THREAD, TlsConfig, TlsConfigError, TlsPool};

#[test]
fn scenarios_on_std_threads() {
    for _ in 0..200 {
        scenarios::exit_with_full_cache(2);
        scenarios::exit_with_full_cache(3);
        scenarios::slot_reuse();
        scenarios::drop_pool_while_cached();
    }
}

#[test]
fn bad_configs_are_typed_errors() {
    let pool = PoolConfig {
        count: 8,
        ..PoolConfig::default()
    };
    let new = |per_thread| TlsPool::<Tagged>::new(TlsConfig { pool, per_thread }).err();
    assert_eq!(new(0), Some(TlsConfigError::ZeroPerThread));
    assert_eq!(
        new(9),
        Some(TlsConfigError::PerThreadTooLarge {
            requested: 9,
            max: 8
        })
    );
    assert_eq!(new(8), None);
    let big = PoolConfig {
        count: MAX_PER_THREAD + 1,
        serialization_size: 1,
        compression_size: 1,
        simd_len: 1,
    };
    assert_eq!(
        TlsConfig {
            pool: big,
            per_thread: MAX_PER_THREAD + 1
        }
        .validate(),
        Err(TlsConfigError::PerThreadTooLarge {
            requested: MAX_PER_THREAD + 1,
            max: MAX_PER_THREAD
        })
    );
    let zero = PoolConfig { count: 0, ..pool };
    assert!(matches!(
        TlsPool::<Tagged>::new(TlsConfig {
            pool: zero,
            per_thread: 1
        }),
        Err(TlsConfigError::Pool(_))
    ));
}

/// Many threads returning more than the bound: pooled never exceeds count,
/// and everything is conserved once they exit.
#[test]
fn bound_is_exact_across_threads() {
    let count = 16;
    let config = TlsConfig {
        pool: PoolConfig {
            count,
            serialization_size: 64,
            compression_size: 64,
            simd_len: 8,
        },
        per_thread: 4,
    };
    let pool = std::sync::Arc::new(TlsPool::<Tagged>::new(config).unwrap());
    // `spawn` + `join`, not `thread::scope`: a scope may return as soon as
    // each closure has finished, before the threads' thread-local
    // destructors (which give the caches back) have run; `join` waits for
    // the thread to exit.
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for round in 0..200 {
                    let held: Vec<_> = (0..(round % 7) + 1)
                        .map(|_| pool.get::<Serialization>())
                        .collect();
                    for b in held {
                        pool.give_back::<Serialization>(b);
                    }
                    assert!(pool.stats().serialization.pool.pooled <= count);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker panicked");
    }
    let s = pool.stats();
    assert_eq!(s.threads, 0, "every worker gave its slot back");
    let k = s.serialization;
    assert_eq!(k.cached, 0, "exited threads keep nothing cached");
    assert_eq!(k.pool.in_use, 0);
    assert!(k.pool.pooled <= count);
    assert_eq!(
        k.pool.pooled + k.pool.rejected_pool_full,
        count + k.pool.misses
    );
    assert!(s.slots <= 8);
}

/// Rough ns per get + return pair, cached front vs plain pool, same run.
/// `cargo test --release --test tls_threads -- --ignored --nocapture`
#[test]
#[ignore]
fn timing_get_return_pair() {
    const N: u32 = 20_000_000;
    let config = TlsConfig::default();
    let tls = TlsPool::<Tagged>::new(config).unwrap();
    let plain = BufferPool::<Tagged>::new(config.pool).unwrap();
    for round in 0..3 {
        let start = Instant::now();
        for _ in 0..N {
            let b = tls.get::<Serialization>();
            std::hint::black_box(&b);
            let r = tls.give_back::<Serialization>(b);
            debug_assert_eq!(r, ReturnOutcome::Accepted);
        }
        let t = start.elapsed().as_nanos() as f64 / f64::from(N);
        let start = Instant::now();
        for _ in 0..N {
            let b = plain.get::<Serialization>();
            std::hint::black_box(&b);
            plain.give_back::<Serialization>(b);
        }
        let p = start.elapsed().as_nanos() as f64 / f64::from(N);
        println!(
            "round {round}: tls-front {t:.2} ns/pair, plain tagged pool {p:.2} ns/pair, ratio {:.2}",
            t / p
        );
    }
}
