//! Shared bench plumbing: lean criterion settings and the two-thread timer.
#![allow(dead_code)] // each bench target uses a different part of this module

use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::Criterion;

/// The settings every group starts from: short warm-up and measurement so
/// that the whole `cargo bench` fits in 15 minutes on two vCPUs.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .nresamples(20_000)
        .without_plots()
        .configure_from_args()
}

/// Runs `op` `iters` times on each of two threads started together behind
/// a barrier; returns the slower thread's time, i.e. the wall time of
/// `iters` operations per thread while both threads run.
///
/// `setup` runs once per thread before the barrier and hands `op` its
/// thread-local state.
pub fn two_threads<S, T, F>(iters: u64, setup: S, op: F) -> Duration
where
    S: Fn() -> T + Sync,
    F: Fn(&mut T) + Sync,
{
    let barrier = Barrier::new(2);
    std::thread::scope(|scope| {
        let run = || {
            let mut state = setup();
            barrier.wait();
            let start = Instant::now();
            for _ in 0..iters {
                op(&mut state);
            }
            start.elapsed()
        };
        let a = scope.spawn(run);
        let b = scope.spawn(run);
        let a = a.join().expect("bench thread panicked");
        let b = b.join().expect("bench thread panicked");
        a.max(b)
    })
}
