//! AddressSanitizer stress: every safe free list, the typed pool, the
//! thread-local front and the ring on real threads (the workloads of
//! `common/stress.rs`, shared with `tsan_stress.rs`), at least 10^7
//! operations each, checked for conservation at the end; plus the seed's
//! multi-popper `pop_shared`, which ASan must report as a
//! heap-use-after-free.
//!
//! Every test is `#[ignore]`: they are meant for an ASan build, which
//! `cargo xtask verify` runs as
//!
//! ```text
//! RUSTFLAGS="-Zsanitizer=address --cfg asan_stress" CARGO_TARGET_DIR=target/asan \
//!     cargo +nightly test --release --target x86_64-unknown-linux-gnu \
//!     --test asan_stress -- --ignored --nocapture --test-threads 1 safe_
//! ```
//!
//! and the negative one (`seed_pointer_node_shared_pop_use_after_free`) in a
//! process of its own, since ASan aborts it. Each safe test prints one
//! `evidence:` line (the format of `models/support.rs`).
//!
//! Environment: `ASAN_STRESS_OPS` (operations per variant, default
//! 10,000,000), `ASAN_STRESS_THREADS` (default 4, the pointer-node stack's
//! locked pop uses at most 2), `ASAN_UAF_SECS` (time budget of the negative
//! test, default 60) and `ASAN_UAF_THREADS` (default 2). `--cfg asan_stress`
//! lets the negative test ask ASan to print its operation count when it
//! reports.
#![allow(unexpected_cfgs)]
// `asan_stress`, set only in ASan builds
// Real threads and the real allocator only: not under the model checkers.
#![cfg(not(any(loom, shuttle)))]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use verified_pools::{EpochStack, FreeList, PointerNodeStack, TaggedStack};

#[path = "common/stress.rs"]
mod stress;

use stress::{Run, env_u64};

/// `ASAN_STRESS_OPS` operations per variant (default 10,000,000) on
/// `ASAN_STRESS_THREADS` threads (default 4).
fn run() -> Run {
    Run {
        ops: env_u64("ASAN_STRESS_OPS", 10_000_000),
        threads: env_u64("ASAN_STRESS_THREADS", 4).clamp(2, 64) as usize,
    }
}

#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_tagged_stack() {
    let run = run();
    stress::churn::<TaggedStack<usize>>(&run, "tagged", run.threads).evidence("asan");
}

#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_epoch_stack() {
    let run = run();
    stress::churn::<EpochStack<usize>>(&run, "epoch", run.threads).evidence("asan");
}

/// The pointer-node stack through its locked `FreeList::pop` (one popper at
/// a time, any number of pushers). Two threads: a preempted popper makes
/// the others spin.
#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_pointer_node_locked_pop() {
    let run = run();
    stress::churn::<PointerNodeStack<usize>>(&run, "pointer_node", run.threads.min(2))
        .evidence("asan");
}

#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_pool_tagged() {
    stress::pool_tagged(&run()).evidence("asan");
}

#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_tls_front() {
    stress::tls_front(&run()).evidence("asan");
}

#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_ring_cross_thread_drops() {
    stress::ring_cross_thread_drops(&run()).evidence("asan");
}

/// Operations done so far by the negative test (published every 1,024).
static UAF_OPS: AtomicU64 = AtomicU64::new(0);

/// Called by ASan when it is about to abort: says how far we got.
#[cfg_attr(not(asan_stress), allow(dead_code))]
extern "C" fn report_ops_at_death() {
    let line = format!(
        "\nasan-uaf: ops={} at the report\n",
        UAF_OPS.load(Ordering::Relaxed)
    );
    // SAFETY: writes a valid buffer to stderr; no locks are taken.
    unsafe { libc::write(2, line.as_ptr().cast(), line.len()) };
}

/// Registers [`report_ops_at_death`] with the ASan runtime. Only in builds
/// with `--cfg asan_stress` (which `cargo xtask verify` adds to
/// `-Zsanitizer=address`): elsewhere the symbol does not exist.
fn register_death_callback() {
    #[cfg(asan_stress)]
    {
        unsafe extern "C" {
            fn __sanitizer_set_death_callback(callback: extern "C" fn());
        }
        // SAFETY: the ASan runtime's documented interface; the callback only
        // writes to stderr.
        unsafe { __sanitizer_set_death_callback(report_ops_at_death) };
    }
}

/// The seed's bug, on purpose: `pop_shared` from several threads at once.
/// Under ASan this must end in a "heap-use-after-free" report (a popper
/// reads `next` from a node another popper already freed). It runs until
/// then, or until `ASAN_UAF_SECS`, and fails if nothing was detected.
#[test]
#[ignore = "negative ASan model: run by `cargo xtask verify` in its own process"]
fn seed_pointer_node_shared_pop_use_after_free() {
    register_death_callback();
    let budget = Duration::from_secs(env_u64("ASAN_UAF_SECS", 60));
    let threads = env_u64("ASAN_UAF_THREADS", 2).max(2) as usize;
    let stack = PointerNodeStack::<usize>::new();
    for i in 0..16 {
        stack.push(i).unwrap();
    }
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    thread::scope(|s| {
        for _ in 0..threads {
            let (stack, stop) = (&stack, &stop);
            s.spawn(move || {
                let mut ops = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    // SAFETY: none; this is the violated contract under test.
                    if let Some(v) = unsafe { stack.pop_shared() } {
                        stack.push(v).unwrap();
                    }
                    ops += 2;
                    if ops == 1024 {
                        UAF_OPS.fetch_add(ops, Ordering::Relaxed);
                        ops = 0;
                    }
                }
            });
        }
        let mut next_print = Duration::from_secs(5);
        while start.elapsed() < budget {
            thread::sleep(Duration::from_millis(50));
            if start.elapsed() >= next_print {
                eprintln!(
                    "asan-uaf: {} ops in {:.0} s, no report yet",
                    UAF_OPS.load(Ordering::Relaxed),
                    start.elapsed().as_secs_f64()
                );
                next_print += Duration::from_secs(5);
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    panic!(
        "no use-after-free detected in {} ops over {:.0} s (is this an ASan build?)",
        UAF_OPS.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
}
