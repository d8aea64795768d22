//! The SIMD kind: pooled `VecSimd<f64x4>` buffers (aligned `f64` lanes) for
//! vector arithmetic, named through the crate's re-exports so no
//! `simd_aligned`/`wide` dependency of one's own is needed.
//!
//! Computes a moving-window z-score of a price series, one pooled SIMD
//! buffer per window, and checks it against a scalar computation.
//!
//! ```text
//! cargo run --release --example simd_kind
//! ```

use verified_pools::pool::{BufferPool, PoolConfig, ReturnOutcome};
use verified_pools::simd_aligned::VecSimd;
use verified_pools::wide::f64x4;

/// `f64` lanes per window (16 `f64x4` vectors).
const WINDOW: usize = 64;

/// Mean and variance of the lanes of `v`, four lanes at a time.
fn mean_var(v: &VecSimd<f64x4>) -> (f64, f64) {
    let n = v.flat().len() as f64;
    let mut sum = f64x4::ZERO;
    let mut sum_sq = f64x4::ZERO;
    for &x in v.iter() {
        sum += x;
        sum_sq += x * x;
    }
    let mean = sum.reduce_add() / n;
    (mean, sum_sq.reduce_add() / n - mean * mean)
}

fn series(len: usize) -> Vec<f64> {
    (0..len)
        .map(|i| 100.0 + (i as f64 * 0.37).sin() * 5.0 + (i % 7) as f64 * 0.1)
        .collect()
}

fn main() {
    let pool: BufferPool = BufferPool::new(PoolConfig {
        count: 4,
        simd_len: WINDOW,
        ..PoolConfig::default()
    })
    .expect("a valid pool config");

    let prices = series(50_000);
    let mut scores = Vec::with_capacity(prices.len() - WINDOW);
    for end in WINDOW..prices.len() {
        let mut window = pool.simd_guard();
        // Pooled SIMD buffers come back zero-filled.
        assert!(window.flat().iter().all(|&x| x == 0.0));
        window
            .flat_mut()
            .copy_from_slice(&prices[end - WINDOW..end]);
        let (mean, var) = mean_var(&window);
        scores.push((prices[end] - mean) / var.sqrt());
    }

    // The scalar reference, on the last window.
    let last = &prices[prices.len() - 1 - WINDOW..prices.len() - 1];
    let mean = last.iter().sum::<f64>() / WINDOW as f64;
    let var = last.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / WINDOW as f64;
    let expected = (prices[prices.len() - 1] - mean) / var.sqrt();
    let got = *scores.last().expect("at least one window");
    println!("windows: {}, last z-score {got:.6}", scores.len());
    assert!((got - expected).abs() < 1e-9, "{got} != {expected}");

    // A buffer of another length is outside the window and is not kept.
    let foreign = VecSimd::<f64x4>::with(0.0, WINDOW * 4);
    assert_eq!(pool.return_simd_buffer(foreign), ReturnOutcome::TooLarge);

    let s = pool.stats().simd;
    println!(
        "simd: {} gets, {} misses, {} rejected, pooled {}",
        s.gets(),
        s.misses,
        s.returns_rejected(),
        s.pooled
    );
    assert_eq!(s.gets(), scores.len());
    assert_eq!((s.misses, s.in_use, s.pooled), (0, 0, 4));
    assert_eq!(s.rejected_too_large, 1);
    println!("ok");
}
