//! `BufferPool` (each free-list variant) against peer pools and allocators:
//! one get + one return per iteration, 4 KiB and 128 KiB buffers, 1 thread
//! (both sizes) and 2 threads (4 KiB). The rows' drivers are in `pairs.rs`.

mod common;
mod pairs;

use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use crossbeam_queue::ArrayQueue;
use pairs::{Cached, Jemallocd, Linear, ObjectPool, Ours, Pair, Rows, Slab, System};
use tikv_jemallocator::Jemalloc;
use verified_pools::pool::{Serialization, Tagged};

/// One criterion group taking the `pools` rows, on `threads` threads.
struct Group<'g, 'c> {
    group: &'g mut BenchmarkGroup<'c, WallTime>,
    threads: usize,
}

impl Rows for Group<'_, '_> {
    fn row<P: Pair>(&mut self, name: &'static str, pool: P) {
        let threads = self.threads;
        self.group.bench_function(name, |b| {
            if threads == 1 {
                b.iter(|| pool.pair());
            } else {
                b.iter_custom(|iters| common::two_threads(iters, || (), |_| pool.pair()));
            }
        });
    }
}

fn pools(c: &mut Criterion) {
    for (size, label, threads) in [
        (4 << 10, "4KiB", 1),
        (128 << 10, "128KiB", 1),
        (4 << 10, "4KiB", 2),
    ] {
        let mut g = c.benchmark_group(format!("pools/{label}/{threads}t"));
        pairs::pool_rows(
            size,
            &mut Group {
                group: &mut g,
                threads,
            },
        );
        g.finish();
    }
}

// ---------------------------------------------------------------------------
// Traffic patterns: hand-off (one thread gets, another returns) and many
// threads at once.
// ---------------------------------------------------------------------------

/// Buffers in flight between the producer and the consumer (the queue).
const HAND_OFF_DEPTH: usize = 16;

/// Runs `iters` buffers from this thread (`produce`) to a consumer thread
/// (`consume`) through a `HAND_OFF_DEPTH`-deep bounded queue (both sides
/// spin, then yield, rather than park: a parking channel's wake-ups would
/// be most of what is measured); returns the wall time until the consumer
/// has taken the last one.
fn hand_off<T: Send>(
    iters: u64,
    produce: impl Fn() -> T,
    consume: impl Fn(T) + Sync,
) -> std::time::Duration {
    let queue = ArrayQueue::<T>::new(HAND_OFF_DEPTH);
    let wait = |spins: &mut u32| {
        *spins += 1;
        if *spins < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    };
    std::thread::scope(|scope| {
        let (queue, consume) = (&queue, &consume);
        let consumer = scope.spawn(move || {
            for _ in 0..iters {
                let mut spins = 0;
                let item = loop {
                    match queue.pop() {
                        Some(item) => break item,
                        None => wait(&mut spins),
                    }
                };
                consume(item);
            }
        });
        let start = std::time::Instant::now();
        for _ in 0..iters {
            let mut item = produce();
            let mut spins = 0;
            while let Err(back) = queue.push(item) {
                item = back;
                wait(&mut spins);
            }
        }
        consumer.join().expect("consumer panicked");
        start.elapsed()
    })
}

/// The hand-off's hit rate for the two rows that count hits.
fn report_hits(name: &str, hits: usize, misses: usize, full: usize) {
    let total = (hits + misses).max(1);
    eprintln!(
        "hand-off {name}: hit rate {:.2}% ({hits} hits, {misses} misses, {full} pool full)",
        100.0 * hits as f64 / total as f64
    );
}

fn hand_off_rows(c: &mut Criterion) {
    let size = 4 << 10;
    let mut g = c.benchmark_group(format!("handoff/4KiB/depth{HAND_OFF_DEPTH}"));
    let tls = Cached::new(size);
    g.bench_function("tagged_tls_front", |b| {
        b.iter_custom(|iters| {
            hand_off(
                iters,
                || tls.0.get::<Serialization>(),
                |buf| {
                    black_box(tls.0.give_back::<Serialization>(buf));
                },
            )
        })
    });
    let s = tls.0.stats().serialization.pool;
    report_hits("tagged_tls_front", s.hits, s.misses, s.rejected_pool_full);
    let plain = Ours::<Tagged>::new(size);
    g.bench_function("tagged", |b| {
        b.iter_custom(|iters| {
            hand_off(
                iters,
                || plain.0.get_serialization_buffer(),
                |buf| {
                    black_box(plain.0.return_serialization_buffer(buf));
                },
            )
        })
    });
    let s = plain.0.stats().serialization;
    report_hits("tagged", s.hits, s.misses, s.rejected_pool_full);
    let linear = Linear::new(size);
    g.bench_function("lockfree_object_pool_linear", |b| {
        b.iter_custom(|iters| hand_off(iters, || linear.0.pull(), drop))
    });
    let object = object_pool::Pool::new(pairs::COUNT, move || Vec::<u8>::with_capacity(size));
    g.bench_function("object_pool", |b| {
        b.iter_custom(|iters| {
            hand_off(
                iters,
                || {
                    let mut r = object.pull(|| Vec::with_capacity(size));
                    r.clear();
                    r
                },
                drop,
            )
        })
    });
    let slab: sharded_slab::Pool<Vec<u8>> = sharded_slab::Pool::new();
    g.bench_function("sharded_slab", |b| {
        b.iter_custom(|iters| {
            hand_off(
                iters,
                || {
                    let mut r = slab.create().expect("a slab slot");
                    if r.capacity() < size {
                        r.reserve_exact(size);
                    }
                    black_box(&mut *r);
                    r.key()
                },
                |key| {
                    slab.clear(key);
                },
            )
        })
    });
    g.bench_function("system_malloc", |b| {
        b.iter_custom(|iters| hand_off(iters, || Vec::<u8>::with_capacity(black_box(size)), drop))
    });
    let layout = Layout::array::<u8>(size).expect("layout");
    g.bench_function("jemalloc", |b| {
        b.iter_custom(|iters| {
            hand_off(
                iters,
                // SAFETY: a non-zero layout; freed below with the same one.
                || unsafe { Jemalloc.alloc(layout) } as usize,
                // SAFETY: allocated above by jemalloc with `layout`.
                |p| unsafe { Jemalloc.dealloc(p as *mut u8, layout) },
            )
        })
    });
    g.finish();
}

/// Threads running at once in the many-threads group.
const MANY: usize = 64;

/// `iters` get + return pairs split over `MANY` threads started together;
/// returns the wall time for all of them (so ns per pair of the whole
/// machine, not per thread).
fn many_threads(iters: u64, pair: impl Fn() + Sync) -> std::time::Duration {
    let per_thread = iters.div_ceil(MANY as u64);
    let barrier = std::sync::Barrier::new(MANY + 1);
    std::thread::scope(|scope| {
        for _ in 0..MANY {
            scope.spawn(|| {
                barrier.wait();
                for _ in 0..per_thread {
                    pair();
                }
            });
        }
        barrier.wait();
        let start = std::time::Instant::now();
        // The scope joins every thread before returning.
        start
    })
    .elapsed()
}

fn many_thread_rows(c: &mut Criterion) {
    let size = 4 << 10;
    let mut g = c.benchmark_group(format!("many_threads/4KiB/{MANY}t"));
    fn row<P: Pair>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, pool: P) {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| many_threads(iters, || pool.pair()))
        });
    }
    row(&mut g, "tagged_tls_front", Cached::new(size));
    row(&mut g, "tagged", Ours::<Tagged>::new(size));
    row(&mut g, "lockfree_object_pool_linear", Linear::new(size));
    row(&mut g, "object_pool", ObjectPool::new(size));
    row(&mut g, "sharded_slab", Slab::new(size));
    row(&mut g, "system_malloc", System(size));
    row(&mut g, "jemalloc", Jemallocd(size));
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = pools, hand_off_rows, many_thread_rows
}
criterion_main!(benches);
