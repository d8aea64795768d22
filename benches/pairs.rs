//! The `pools` rows' drivers, shared by the criterion bench (`pools.rs`)
//! and the profiling loop (`profile_buffer_pool.rs`), so that the
//! instructions counted for a row are those of the row timed.
//!
//! Every row is a concrete type behind the `Pair` trait, called through a
//! generic function (static dispatch): a dynamic call would cost about half
//! of what is measured. No row writes into the buffer; each makes the
//! buffer observable with `black_box` so that nothing is optimised away.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::hint::black_box;
use std::sync::Mutex;

use crossbeam_queue::ArrayQueue;
use lockfree_object_pool::LinearObjectPool;
use tikv_jemallocator::Jemalloc;
use verified_pools::pool::{
    BufferPool, Epoch, PointerNode, PoolConfig, Serialization, Tagged, Variant,
};
use verified_pools::tls::{TlsConfig, TlsPool};

/// Buffers pre-allocated by every pool that pre-allocates.
pub const COUNT: usize = 64;

/// One get + return pair.
pub trait Pair: Sync {
    /// One get and one return (or the row's equivalent).
    fn pair(&self);
}

pub struct Ours<V: Variant>(pub BufferPool<V>);

fn config(size: usize) -> PoolConfig {
    PoolConfig {
        count: COUNT,
        serialization_size: size,
        compression_size: 64,
        simd_len: 8,
    }
}

impl<V: Variant> Ours<V> {
    pub fn new(size: usize) -> Self {
        Self(BufferPool::new(config(size)).expect("valid pool config"))
    }
}

/// The tagged pool behind the thread-local cache front.
pub struct Cached(pub TlsPool<Tagged>);

impl Cached {
    pub fn new(size: usize) -> Self {
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
pub struct OursGuard(pub Ours<Tagged>);

impl Pair for OursGuard {
    #[inline]
    fn pair(&self) {
        let mut guard = self.0.0.serialization_guard();
        black_box(&mut *guard);
    }
}

pub struct Linear(pub LinearObjectPool<Vec<u8>>);

impl Linear {
    pub fn new(size: usize) -> Self {
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

pub struct ObjectPool {
    pool: object_pool::Pool<Vec<u8>>,
    size: usize,
}

impl ObjectPool {
    pub fn new(size: usize) -> Self {
        Self {
            pool: object_pool::Pool::new(COUNT, move || Vec::with_capacity(size)),
            size,
        }
    }
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

pub struct Queue {
    queue: ArrayQueue<Vec<u8>>,
    size: usize,
}

impl Queue {
    pub fn new(size: usize) -> Self {
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

pub struct Slab {
    pool: sharded_slab::Pool<Vec<u8>>,
    size: usize,
}

impl Slab {
    pub fn new(size: usize) -> Self {
        Self {
            pool: sharded_slab::Pool::new(),
            size,
        }
    }
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

pub struct Locked {
    stack: Mutex<Vec<Vec<u8>>>,
    size: usize,
}

impl Locked {
    pub fn new(size: usize) -> Self {
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
pub struct TlsVecControl(pub usize);

std::thread_local! {
    static CONTROL_STACK: UnsafeCell<Vec<Vec<u8>>> = const { UnsafeCell::new(Vec::new()) };
}

impl TlsVecControl {
    pub fn new(size: usize) -> Self {
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
pub struct System(pub usize);

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
pub struct Jemallocd(pub usize);

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

/// Something that takes the rows one by one (a criterion group, or the
/// profiling loop looking for one row).
pub trait Rows {
    /// One row, by its name in the results.
    fn row<P: Pair>(&mut self, name: &'static str, pool: P);
}

/// Every `pools` row for buffers of `size` bytes, in the results' order.
pub fn pool_rows(size: usize, rows: &mut impl Rows) {
    rows.row("tagged", Ours::<Tagged>::new(size));
    rows.row("tagged_guard", OursGuard(Ours::new(size)));
    rows.row("tagged_tls_front", Cached::new(size));
    rows.row("epoch", Ours::<Epoch>::new(size));
    rows.row("pointer_node", Ours::<PointerNode>::new(size));
    rows.row("lockfree_object_pool_linear", Linear::new(size));
    rows.row("object_pool", ObjectPool::new(size));
    rows.row("crossbeam_array_queue", Queue::new(size));
    rows.row("sharded_slab", Slab::new(size));
    rows.row("mutex_vec", Locked::new(size));
    rows.row("control_tls_vec", TlsVecControl::new(size));
    rows.row("system_malloc", System(size));
    rows.row("jemalloc", Jemallocd(size));
}
