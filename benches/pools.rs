//! `BufferPool` (each free-list variant) against peer pools and allocators:
//! one get + one return per iteration, 4 KiB and 128 KiB buffers, 1 thread
//! (both sizes) and 2 threads (4 KiB).
//!
//! Every row is a concrete type behind the `Pair` trait, called through a
//! generic function (static dispatch): a dynamic call would cost about half
//! of what is measured. No row writes into the buffer; each makes the
//! buffer observable with `black_box` so that nothing is optimised away.

mod common;

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::hint::black_box;
use std::sync::Mutex;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use crossbeam_queue::ArrayQueue;
use lockfree_object_pool::LinearObjectPool;
use tikv_jemallocator::Jemalloc;
use verified_pools::pool::{
    BufferPool, Epoch, PointerNode, PoolConfig, Serialization, Tagged, Variant,
};
use verified_pools::tls::{TlsConfig, TlsPool};

/// Buffers pre-allocated by every pool that pre-allocates.
const COUNT: usize = 64;

/// One get + return pair.
trait Pair: Sync {
    fn pair(&self);
}

struct Ours<V: Variant>(BufferPool<V>);

fn config(size: usize) -> PoolConfig {
    PoolConfig {
        count: COUNT,
        serialization_size: size,
        compression_size: 64,
        simd_len: 8,
    }
}

impl<V: Variant> Ours<V> {
    fn new(size: usize) -> Self {
        Self(BufferPool::new(config(size)).expect("valid pool config"))
    }
}

/// The tagged pool behind the thread-local cache front.
struct Cached(TlsPool<Tagged>);

impl Cached {
    fn new(size: usize) -> Self {
        let config = TlsConfig {
            pool: config(size),
            per_thread: 16,
        };
        Self(TlsPool::new(config).expect("valid cache config"))
    }
}

impl Pair for Cached {
    #[inline]
    fn pair(&self) {
        let mut buf = self.0.get::<Serialization>();
        black_box(&mut buf);
        black_box(self.0.give_back::<Serialization>(buf));
    }
}

impl<V: Variant> Pair for Ours<V> {
    #[inline]
    fn pair(&self) {
        let mut buf = self.0.get_serialization_buffer();
        black_box(&mut buf);
        black_box(self.0.return_serialization_buffer(buf));
    }
}

/// The same pool through its RAII guard.
struct OursGuard(Ours<Tagged>);

impl Pair for OursGuard {
    #[inline]
    fn pair(&self) {
        let mut guard = self.0.0.serialization_guard();
        black_box(&mut *guard);
    }
}

struct Linear(LinearObjectPool<Vec<u8>>);

impl Linear {
    fn new(size: usize) -> Self {
        let pool = LinearObjectPool::new(move || Vec::with_capacity(size), |v| v.clear());
        // Pre-allocate like the others: pull COUNT at once, then return them.
        let held: Vec<_> = (0..COUNT).map(|_| pool.pull()).collect();
        drop(held);
        Self(pool)
    }
}

impl Pair for Linear {
    #[inline]
    fn pair(&self) {
        let mut r = self.0.pull();
        black_box(&mut *r);
    }
}

struct ObjectPool {
    pool: object_pool::Pool<Vec<u8>>,
    size: usize,
}

impl Pair for ObjectPool {
    #[inline]
    fn pair(&self) {
        let size = self.size;
        let mut r = self.pool.pull(|| Vec::with_capacity(size));
        r.clear();
        black_box(&mut *r);
    }
}

struct Queue {
    queue: ArrayQueue<Vec<u8>>,
    size: usize,
}

impl Queue {
    fn new(size: usize) -> Self {
        let queue = ArrayQueue::new(COUNT);
        for _ in 0..COUNT {
            let _ = queue.push(Vec::with_capacity(size));
        }
        Self { queue, size }
    }
}

impl Pair for Queue {
    #[inline]
    fn pair(&self) {
        let mut buf = match self.queue.pop() {
            Some(mut b) => {
                b.clear();
                b
            }
            None => Vec::with_capacity(self.size),
        };
        black_box(&mut buf);
        // Full: the buffer is dropped, as the pools do.
        let _ = self.queue.push(buf);
    }
}

struct Slab {
    pool: sharded_slab::Pool<Vec<u8>>,
    size: usize,
}

impl Pair for Slab {
    #[inline]
    fn pair(&self) {
        let mut r = self.pool.create().expect("a slab slot");
        if r.capacity() < self.size {
            r.reserve_exact(self.size);
        }
        black_box(&mut *r);
        let key = r.key();
        drop(r);
        // `Clear for Vec` keeps the capacity for the next `create`.
        self.pool.clear(key);
    }
}

struct Locked {
    stack: Mutex<Vec<Vec<u8>>>,
    size: usize,
}

impl Locked {
    fn new(size: usize) -> Self {
        let stack = (0..COUNT).map(|_| Vec::with_capacity(size)).collect();
        Self {
            stack: Mutex::new(stack),
            size,
        }
    }
}

impl Pair for Locked {
    #[inline]
    fn pair(&self) {
        let popped = self.stack.lock().expect("unpoisoned").pop();
        let mut buf = match popped {
            Some(mut b) => {
                b.clear();
                b
            }
            None => Vec::with_capacity(self.size),
        };
        black_box(&mut buf);
        let mut stack = self.stack.lock().expect("unpoisoned");
        if stack.len() < COUNT {
            stack.push(buf);
        }
    }
}

/// The control for any thread-local cache: a thread-local `Vec<Vec<u8>>`,
/// popped and pushed with no statistics, no size window and no bound but
/// `COUNT` (a pool reduced to its storage). The rows of one size run on the
/// thread that built them (1 thread) or on fresh threads, whose first pair
/// allocates (2 threads).
struct TlsVecControl(usize);

std::thread_local! {
    static CONTROL_STACK: UnsafeCell<Vec<Vec<u8>>> = const { UnsafeCell::new(Vec::new()) };
}

impl TlsVecControl {
    fn new(size: usize) -> Self {
        CONTROL_STACK.with(|stack| {
            // SAFETY: this thread's own vector; no other borrow of it is
            // alive (each access here and in `pair` ends before the next).
            let stack = unsafe { &mut *stack.get() };
            stack.clear();
            stack.extend((0..COUNT).map(|_| Vec::with_capacity(size)));
        });
        Self(size)
    }
}

impl Pair for TlsVecControl {
    #[inline]
    fn pair(&self) {
        let popped = CONTROL_STACK.with(|stack| {
            // SAFETY: as in `new`.
            let stack = unsafe { &mut *stack.get() };
            let len = stack.len().checked_sub(1)?;
            // The popped buffer is read with a volatile read, as the front's
            // pop does (`pop_volatile` in `src/tls/cache.rs`): `Vec::pop` lets LLVM copy
            // it out with a 16-byte load over the 8-byte stores of the last
            // push, a failed store-to-load forward that doubles this row.
            // SAFETY: `len` is below the old length, so the element is
            // initialised, and lowering the length first hands it to us.
            unsafe {
                stack.set_len(len);
                Some(std::ptr::read_volatile(stack.as_ptr().add(len)))
            }
        });
        let mut buf = match popped {
            Some(mut b) => {
                b.clear();
                b
            }
            None => Vec::with_capacity(self.0),
        };
        black_box(&mut buf);
        CONTROL_STACK.with(|stack| {
            // SAFETY: as in `new`.
            let stack = unsafe { &mut *stack.get() };
            if stack.len() < COUNT {
                stack.push(buf);
            }
        });
    }
}

/// The global (glibc) allocator: `Vec::with_capacity` + drop.
struct System(usize);

impl Pair for System {
    #[inline]
    fn pair(&self) {
        let mut buf: Vec<u8> = Vec::with_capacity(black_box(self.0));
        black_box(&mut buf);
    }
}

/// jemalloc called through `GlobalAlloc` with the same layout a
/// `Vec<u8>::with_capacity` asks for, so the other rows keep the system
/// allocator.
struct Jemallocd(usize);

impl Pair for Jemallocd {
    #[inline]
    fn pair(&self) {
        let layout = Layout::array::<u8>(black_box(self.0)).expect("layout");
        // SAFETY: the layout has a non-zero size; the pointer is freed with
        // the same allocator and layout.
        unsafe {
            let p = Jemalloc.alloc(layout);
            assert!(!p.is_null(), "jemalloc out of memory");
            black_box(p);
            Jemalloc.dealloc(p, layout);
        }
    }
}

fn row<P: Pair>(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, threads: usize, pool: P) {
    g.bench_function(name, |b| {
        if threads == 1 {
            b.iter(|| pool.pair());
        } else {
            b.iter_custom(|iters| common::two_threads(iters, || (), |_| pool.pair()));
        }
    });
}

fn pools(c: &mut Criterion) {
    for (size, label, threads) in [
        (4 << 10, "4KiB", 1),
        (128 << 10, "128KiB", 1),
        (4 << 10, "4KiB", 2),
    ] {
        let mut g = c.benchmark_group(format!("pools/{label}/{threads}t"));
        row(&mut g, "tagged", threads, Ours::<Tagged>::new(size));
        row(&mut g, "tagged_guard", threads, OursGuard(Ours::new(size)));
        row(&mut g, "tagged_tls_front", threads, Cached::new(size));
        row(&mut g, "epoch", threads, Ours::<Epoch>::new(size));
        row(
            &mut g,
            "pointer_node",
            threads,
            Ours::<PointerNode>::new(size),
        );
        row(
            &mut g,
            "lockfree_object_pool_linear",
            threads,
            Linear::new(size),
        );
        let object = ObjectPool {
            pool: object_pool::Pool::new(COUNT, move || Vec::with_capacity(size)),
            size,
        };
        row(&mut g, "object_pool", threads, object);
        row(&mut g, "crossbeam_array_queue", threads, Queue::new(size));
        let slab = Slab {
            pool: sharded_slab::Pool::new(),
            size,
        };
        row(&mut g, "sharded_slab", threads, slab);
        row(&mut g, "mutex_vec", threads, Locked::new(size));
        row(&mut g, "control_tls_vec", threads, TlsVecControl::new(size));
        row(&mut g, "system_malloc", threads, System(size));
        row(&mut g, "jemalloc", threads, Jemallocd(size));
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
    let object = object_pool::Pool::new(COUNT, move || Vec::<u8>::with_capacity(size));
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
    let object = ObjectPool {
        pool: object_pool::Pool::new(COUNT, move || Vec::with_capacity(size)),
        size,
    };
    row(&mut g, "object_pool", object);
    let slab = Slab {
        pool: sharded_slab::Pool::new(),
        size,
    };
    row(&mut g, "sharded_slab", slab);
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
