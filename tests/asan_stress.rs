//! AddressSanitizer stress: every safe free list, the typed pool, the
//! thread-local front and the ring
//! on real threads, at least 10^7 operations each, checked for conservation
//! at the end; plus the seed's multi-popper `pop_shared`, which ASan must
//! report as a heap-use-after-free.
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
use std::sync::{Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use std::sync::Arc;
use verified_pools::pool::{BufferPool, PoolConfig, Serialization, Tagged};
use verified_pools::ring::{ArcPoolSlice, RingConfig, RingError, RingPool};
use verified_pools::tls::{TlsConfig, TlsPool};
use verified_pools::{EpochStack, FreeList, PointerNodeStack, TaggedStack};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Operations per variant (each push, pop attempt, get, return, alloc or
/// drop counts as one).
fn total_ops() -> u64 {
    env_u64("ASAN_STRESS_OPS", 10_000_000)
}

fn threads() -> usize {
    env_u64("ASAN_STRESS_THREADS", 4).clamp(2, 64) as usize
}

/// Prints the line `cargo xtask verify` collects.
fn evidence(algo: &str, scenario: &str, ops: u64, threads: usize, start: Instant) {
    println!(
        "evidence: checker=asan algo={algo} scenario={scenario} result=pass ops={ops} threads={threads} secs={:.2}",
        start.elapsed().as_secs_f64()
    );
}

/// `threads` threads pop a few items into a hand and push them back, until
/// they have done `total_ops()` pushes and pop attempts between them; then the
/// list must hold every item exactly once.
fn churn<S: FreeList<usize> + Send + Sync>(algo: &str, threads: usize) {
    const ITEMS: usize = 64;
    let start = Instant::now();
    let stack = S::with_capacity(ITEMS).expect("capacity");
    for i in 0..ITEMS {
        stack.push(i).expect("room for the initial items");
    }
    let quota = total_ops().div_ceil(threads as u64);
    let go = Barrier::new(threads);
    let done: u64 = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (stack, go) = (&stack, &go);
                s.spawn(move || {
                    go.wait();
                    let mut hand = Vec::with_capacity(8);
                    let mut ops = 0u64;
                    let mut round = t;
                    while ops < quota {
                        for _ in 0..(round % 5) {
                            hand.extend(stack.pop());
                            ops += 1;
                        }
                        for item in hand.drain(..) {
                            assert!(stack.push(item).is_ok(), "full: an item was duplicated");
                            ops += 1;
                        }
                        round += 1;
                    }
                    ops
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let mut seen: Vec<usize> = std::iter::from_fn(|| stack.pop()).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..ITEMS).collect::<Vec<_>>(),
        "items lost or duplicated"
    );
    assert!(done >= total_ops());
    evidence(algo, "churn", done, threads, start);
}

#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_tagged_stack() {
    churn::<TaggedStack<usize>>("tagged", threads());
}

#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_epoch_stack() {
    churn::<EpochStack<usize>>("epoch", threads());
}

/// The pointer-node stack through its locked `FreeList::pop` (one popper at
/// a time, any number of pushers). Two threads: a preempted popper makes
/// the others spin.
#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_pointer_node_locked_pop() {
    churn::<PointerNodeStack<usize>>("pointer_node", threads().min(2));
}

/// The typed pool on the tagged free list: every thread gets and returns all
/// three kinds (a bound of 4 per kind, so misses allocate and full returns
/// free); at the end every get was returned and the counts add up.
#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_pool_tagged() {
    let start = Instant::now();
    let threads = threads();
    let config = PoolConfig {
        count: 4,
        serialization_size: 64,
        compression_size: 32,
        simd_len: 8,
    };
    let pool = BufferPool::<Tagged>::new(config).unwrap();
    // One get and one return per step.
    let steps = total_ops().div_ceil(2 * threads as u64);
    let go = Barrier::new(threads);
    thread::scope(|s| {
        for t in 0..threads {
            let (pool, go) = (&pool, &go);
            s.spawn(move || {
                go.wait();
                for i in 0..steps {
                    match (t as u64 + i) % 3 {
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
            });
        }
    });
    let stats = pool.stats();
    let mut gets = 0;
    for k in [stats.serialization, stats.compression, stats.simd] {
        assert_eq!(k.gets(), k.returns(), "every get was returned");
        assert_eq!(k.in_use, 0);
        assert_eq!(k.pooled + k.returns_rejected(), config.count + k.misses);
        assert!(k.pooled <= config.count);
        gets += k.gets();
    }
    assert_eq!(gets as u64, steps * threads as u64);
    evidence("pool", "get_return_tagged", 2 * gets as u64, threads, start);
}

/// The thread-local front: each thread gets and returns through its own
/// cache, and every fourth step also hands a buffer to the next thread
/// through a channel, so buffers (and batches, when caches overflow) cross
/// caches. Threads exit with full caches; once joined (thread-local
/// destructors have run) every buffer is back: nothing cached, nothing in
/// use, nothing lost.
#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_tls_front() {
    let start = Instant::now();
    let threads = threads();
    let config = TlsConfig {
        pool: PoolConfig {
            count: 32,
            serialization_size: 64,
            compression_size: 32,
            simd_len: 8,
        },
        per_thread: 8,
    };
    let pool = std::sync::Arc::new(TlsPool::<Tagged>::new(config).unwrap());
    // One get and one return per step.
    let steps = total_ops().div_ceil(2 * threads as u64);
    let go = std::sync::Arc::new(Barrier::new(threads));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..threads).map(|_| mpsc::channel()).unzip();
    let workers: Vec<_> = receivers
        .into_iter()
        .enumerate()
        .map(|(t, inbox)| {
            let (pool, go) = (pool.clone(), go.clone());
            let next: mpsc::Sender<Vec<u8>> = senders[(t + 1) % threads].clone();
            thread::spawn(move || {
                go.wait();
                for i in 0..steps {
                    let mut b = pool.get::<Serialization>();
                    assert!(b.is_empty(), "a pooled buffer comes back cleared");
                    b.push(t as u8);
                    if i % 4 == 0 {
                        // The neighbour returns it into its own cache.
                        next.send(b).expect("neighbour alive");
                    } else {
                        pool.give_back::<Serialization>(b);
                    }
                    while let Ok(foreign) = inbox.try_recv() {
                        pool.give_back::<Serialization>(foreign);
                    }
                }
                drop(next);
                // Buffers still in flight to us: return them too.
                go.wait();
                while let Ok(foreign) = inbox.try_recv() {
                    pool.give_back::<Serialization>(foreign);
                }
            })
        })
        .collect();
    drop(senders);
    for worker in workers {
        worker.join().expect("worker panicked");
    }
    let stats = pool.stats();
    let k = stats.serialization;
    assert_eq!(stats.threads, 0, "every exited thread gave its slot back");
    assert_eq!(k.cached, 0, "exited threads keep nothing cached");
    assert_eq!(k.pool.in_use, 0, "every get was returned");
    assert_eq!(k.pool.gets(), k.pool.returns());
    assert_eq!(
        k.pool.pooled + k.pool.returns_rejected(),
        config.pool.count + k.pool.misses,
        "conservation"
    );
    assert!(k.pool.pooled <= config.pool.count);
    assert_eq!(k.pool.gets() as u64, steps * threads as u64);
    evidence(
        "tls",
        "get_return_cross_thread",
        2 * k.pool.gets() as u64,
        threads,
        start,
    );
}

/// One producer allocates stamped slices and hands them, in batches, to
/// droppers on other threads, which check each stamp and drop the slices in
/// a scrambled order. At the end the ring is empty and every allocation was
/// dropped.
#[test]
#[ignore = "ASan stress: run by `cargo xtask verify`"]
fn safe_ring_cross_thread_drops() {
    const BATCH: usize = 64;
    let start = Instant::now();
    let droppers = threads() - 1;
    // One alloc and one drop per slice.
    let slices = total_ops().div_ceil(2);
    let pool = Arc::new(RingPool::new(RingConfig::new(4, 4096, 16)).unwrap());
    let mut prod = RingPool::arc_producer(&pool).unwrap();
    let (txs, handles): (Vec<_>, Vec<_>) = (0..droppers)
        .map(|d| {
            let (tx, rx) = mpsc::sync_channel::<Vec<(u64, ArcPoolSlice)>>(4);
            let h = thread::spawn(move || {
                let mut dropped = 0u64;
                for mut batch in rx {
                    while !batch.is_empty() {
                        let i = (dropped as usize * 7 + d) % batch.len();
                        let (id, s) = batch.swap_remove(i);
                        assert!(
                            s.iter().all(|&x| x == id as f32),
                            "dropper {d}: live slice {id} overwritten"
                        );
                        drop(s);
                        dropped += 1;
                    }
                }
                dropped
            });
            (tx, h)
        })
        .unzip();
    let mut id = 0u64;
    let mut batch = Vec::with_capacity(BATCH);
    let mut full = 0u64;
    while id < slices {
        match prod.alloc(1 + (id as usize * 7) % 16) {
            Ok(mut s) => {
                // Stamps are exact in f32 up to 2^24; wrap them there.
                s.fill((id % (1 << 24)) as f32);
                batch.push((id % (1 << 24), s));
                id += 1;
                if batch.len() == BATCH || id == slices {
                    let out = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    txs[(id / BATCH as u64) as usize % droppers]
                        .send(out)
                        .unwrap();
                }
            }
            Err(RingError::Full { .. }) => {
                full += 1;
                if !batch.is_empty() {
                    let out = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    txs[(id / BATCH as u64) as usize % droppers]
                        .send(out)
                        .unwrap();
                }
                thread::yield_now();
            }
            Err(e) => panic!("{e}"),
        }
    }
    drop(txs);
    let dropped: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(dropped, slices, "every slice dropped once");
    let s = prod.stats();
    assert_eq!(s.used_vectors, 0, "the ring drains to empty");
    assert_eq!(s.allocations, slices);
    assert_eq!(s.full_events, full);
    evidence(
        "ring",
        "producer_to_droppers",
        slices + dropped,
        droppers + 1,
        start,
    );
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
