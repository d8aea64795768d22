//! The sanitizer stress workloads, shared by `asan_stress.rs` (ASan) and
//! `tsan_stress.rs` (TSan): every safe free list, the typed pool, the
//! thread-local front and the ring on real threads, each checked for
//! conservation at the end. Each returns a [`Done`], which prints the
//! `evidence:` line (the format of `models/support.rs`) for its sanitizer.
#![allow(dead_code)]

use std::sync::{Barrier, mpsc};
use std::thread;
use std::time::Instant;

use std::sync::Arc;
use verified_pools::FreeList;
use verified_pools::pool::{BufferPool, PoolConfig, Serialization, Tagged};
use verified_pools::ring::{ArcPoolSlice, RingConfig, RingError, RingPool};
use verified_pools::tls::{TlsConfig, TlsPool};

/// An integer from the environment (`_` separators allowed), or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// How much each workload does.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Operations per workload (each push, pop attempt, get, return, alloc
    /// or drop counts as one).
    pub ops: u64,
    /// Threads per workload (the pointer-node stack uses at most 2).
    pub threads: usize,
}

/// What a workload did, once its checks passed.
#[derive(Debug)]
#[must_use = "print it: it is the evidence"]
pub struct Done {
    algo: &'static str,
    scenario: &'static str,
    /// Operations done.
    pub ops: u64,
    threads: usize,
    start: Instant,
}

impl Done {
    /// Prints the line `cargo xtask verify` collects, for `checker`.
    pub fn evidence(&self, checker: &str) {
        println!(
            "evidence: checker={checker} algo={} scenario={} result=pass ops={} threads={} secs={:.2}",
            self.algo,
            self.scenario,
            self.ops,
            self.threads,
            self.start.elapsed().as_secs_f64()
        );
    }
}

/// `threads` threads pop a few items into a hand and push them back, until
/// they have done `run.ops` pushes and pop attempts between them; then the
/// list must hold every item exactly once.
pub fn churn<S: FreeList<usize> + Send + Sync>(
    run: &Run,
    algo: &'static str,
    threads: usize,
) -> Done {
    const ITEMS: usize = 64;
    let start = Instant::now();
    let stack = S::with_capacity(ITEMS).expect("capacity");
    for i in 0..ITEMS {
        stack.push(i).expect("room for the initial items");
    }
    let quota = run.ops.div_ceil(threads as u64);
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
    assert!(done >= run.ops);
    Done {
        algo,
        scenario: "churn",
        ops: done,
        threads,
        start,
    }
}

/// The typed pool on the tagged free list: every thread gets and returns all
/// three kinds (a bound of 4 per kind, so misses allocate and full returns
/// free); at the end every get was returned and the counts add up.
pub fn pool_tagged(run: &Run) -> Done {
    let start = Instant::now();
    let threads = run.threads;
    let config = PoolConfig {
        count: 4,
        serialization_size: 64,
        compression_size: 32,
        simd_len: 8,
    };
    let pool = BufferPool::<Tagged>::new(config).unwrap();
    // One get and one return per step.
    let steps = run.ops.div_ceil(2 * threads as u64);
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
    Done {
        algo: "pool",
        scenario: "get_return_tagged",
        ops: 2 * gets as u64,
        threads,
        start,
    }
}

/// The thread-local front: each thread gets and returns through its own
/// cache, and every fourth step also hands a buffer to the next thread
/// through a channel, so buffers (and batches, when caches overflow) cross
/// caches. Threads exit with full caches; once joined (thread-local
/// destructors have run) every buffer is back: nothing cached, nothing in
/// use, nothing lost.
pub fn tls_front(run: &Run) -> Done {
    let start = Instant::now();
    let threads = run.threads;
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
    let steps = run.ops.div_ceil(2 * threads as u64);
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
    Done {
        algo: "tls",
        scenario: "get_return_cross_thread",
        ops: 2 * k.pool.gets() as u64,
        threads,
        start,
    }
}

/// One producer allocates stamped slices and hands them, in batches, to
/// droppers on other threads, which check each stamp and drop the slices in
/// a scrambled order. At the end the ring is empty and every allocation was
/// dropped.
pub fn ring_cross_thread_drops(run: &Run) -> Done {
    const BATCH: usize = 64;
    let start = Instant::now();
    let droppers = run.threads - 1;
    // One alloc and one drop per slice.
    let slices = run.ops.div_ceil(2);
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
    Done {
        algo: "ring",
        scenario: "producer_to_droppers",
        ops: slices + dropped,
        threads: droppers + 1,
        start,
    }
}
