//! The shared core ([`RingPool`]) and the one producer handle
//! ([`RingProducer`]) that allocates from it and reclaims into it.

use super::config::RingConfig;
use super::error::{OldestLive, RingError};
use super::slice::Slice;
use super::storage::Region;
use super::wake::Wake;
use super::{RELEASED, RingRef, header_len};
use crate::sync::mutation::ord;
use crate::sync::{Arc, AtomicBool, AtomicU32, AtomicUsize, Ordering::*, UnsafeCell, thread};
use std::time::{Duration, Instant};

#[path = "fifo_mutant.rs"]
pub(crate) mod fifo_mutant;
use fifo_mutant::FifoCursor;

/// The producer's private cursor state. Only the holder of the producer
/// handle touches it (the `producer_taken` flag makes that one thread at a
/// time, and its Acquire/Release hands the state between successive
/// producers).
pub(crate) struct ProducerState {
    /// Monotonic positions in vectors: `read_pos <= write_pos <= read_pos + cap`.
    read_pos: u64,
    write_pos: u64,
    /// The same cursors as region indices (`pos` modulo the capacity, except
    /// that both are rewound to 0 whenever the ring is empty).
    read_idx: usize,
    write_idx: usize,
    /// `serials[i]`: the allocation number of the slice starting at `i`.
    serials: Box<[u64]>,
    /// Holds on the pool taken for `Arc`-flavour slices and not yet given
    /// to one (`hold.rs`); 0 between producers.
    slice_credits: usize,
    stats: RingStats,
}

/// Counters kept by the producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RingStats {
    /// Successful allocations.
    pub allocations: u64,
    /// Vectors handed out by them.
    pub vectors_handed_out: u64,
    /// Vectors skipped as tail padding (a slice never straddles the end).
    pub padded_vectors: u64,
    /// Allocations refused with [`RingError::Full`].
    pub full_events: u64,
    /// Times [`alloc_wait`](RingProducer::alloc_wait) put the producer to
    /// sleep (each park, including the ones that end in a wake-up that
    /// still found no room).
    pub waits: u64,
    /// [`alloc_wait`](RingProducer::alloc_wait) calls that ended in
    /// [`RingError::Timeout`].
    pub timeouts: u64,
    /// The most vectors ever in use (live, released-but-unreclaimed, and
    /// padding), measured just after each allocation.
    pub high_water_vectors: usize,
    /// Vectors in use now (after reclaiming).
    pub used_vectors: usize,
    /// The region's size.
    pub capacity_vectors: usize,
    /// The oldest live slice, if any.
    pub oldest_live: Option<OldestLive>,
}

/// A ring of `f32` vectors: the region, one header per vector, and the
/// producer's cursor state.
///
/// One [`RingProducer`] at a time allocates; slices are released by dropping
/// them on any thread, in any order. Two handle flavours share this core:
///
/// * [`RingPool::producer`] → [`Producer<'ring>`](super::Producer) whose
///   slices, [`PoolSlice<'ring>`](super::PoolSlice), borrow the pool (no
///   reference count; `'static` for a pool in a static or leaked);
/// * [`RingPool::arc_producer`] → [`ArcProducer`](super::ArcProducer) whose
///   slices, [`ArcPoolSlice`](super::ArcPoolSlice), keep the pool alive
///   until the last of them drops (they share one strong count of its
///   `Arc`, so a slice costs no reference-count RMW of its own on
///   hand-out).
///
/// ```
/// use verified_pools::ring::{RingConfig, RingError, RingPool};
///
/// let pool = RingPool::new(RingConfig::new(4, 8, 4)).unwrap();
/// let mut producer = pool.producer().unwrap();
/// let mut a = producer.alloc(3).unwrap();
/// a.fill(1.0);
/// assert_eq!(a.len(), 3 * 4);
/// let b = producer.alloc(4).unwrap();
/// // 7 of 8 vectors are out: a 2-vector request does not fit.
/// assert!(matches!(producer.alloc(2), Err(RingError::Full { free_vectors: 1, .. })));
/// drop(a); // release order is free: b is still out
/// let c = producer.alloc(2).unwrap();
/// # drop((b, c));
/// ```
pub struct RingPool {
    pub(crate) feature_dim: usize,
    pub(crate) capacity: usize,
    pub(crate) max_vectors: usize,
    /// `headers[i]`, for `i` the first vector of a slice or pad:
    /// `len << 1 | released`. Other entries are stale and never read.
    pub(crate) headers: Box<[AtomicU32]>,
    pub(crate) region: Region,
    producer_taken: AtomicBool,
    /// Live `Arc`-flavour slices plus the producer's credits; while
    /// non-zero they own one strong count of the pool's `Arc` (`hold.rs`).
    pub(crate) slice_refs: AtomicUsize,
    state: UnsafeCell<ProducerState>,
    /// The FIFO-release mutant's shared cursor (model builds only; empty
    /// under std).
    pub(crate) fifo: FifoCursor,
    /// Where a producer in `alloc_wait` sleeps, and how releases wake it.
    pub(crate) wake: Wake,
}

// SAFETY: the header atomics are shared by design; the producer state is only
// touched by the unique producer handle (see `ProducerState`); a vector of the
// region is touched only by the owner of the slice covering it, or by the
// producer when no slice covers it (invariants in `ring/mod.rs`).
unsafe impl Sync for RingPool {}
// SAFETY: as above; nothing in the pool is tied to a thread.
unsafe impl Send for RingPool {}

impl RingPool {
    /// Maps (and by default pretouches) a region as configured.
    pub fn new(cfg: RingConfig) -> Result<Self, RingError> {
        cfg.validate()?;
        let region = Region::new(&cfg)?;
        let capacity = cfg.capacity_vectors;
        Ok(Self {
            feature_dim: cfg.feature_dim,
            capacity,
            max_vectors: cfg.max_vectors,
            headers: (0..capacity).map(|_| AtomicU32::new(0)).collect(),
            region,
            producer_taken: AtomicBool::new(false),
            slice_refs: AtomicUsize::new(0),
            state: UnsafeCell::new(ProducerState {
                read_pos: 0,
                write_pos: 0,
                read_idx: 0,
                write_idx: 0,
                serials: vec![0; capacity].into_boxed_slice(),
                slice_credits: 0,
                stats: RingStats {
                    capacity_vectors: capacity,
                    ..RingStats::default()
                },
            }),
            fifo: FifoCursor::default(),
            wake: Wake::new(),
        })
    }

    /// `f32`s per vector.
    pub fn feature_dim(&self) -> usize {
        self.feature_dim
    }

    /// Vectors in the region.
    pub fn capacity_vectors(&self) -> usize {
        self.capacity
    }

    /// The longest slice, in vectors.
    pub fn max_vectors(&self) -> usize {
        self.max_vectors
    }

    /// The producer handle whose slices borrow this pool, or
    /// [`RingError::ProducerTaken`] while another producer handle exists.
    pub fn producer(&self) -> Result<RingProducer<&Self>, RingError> {
        self.take_producer()?;
        Ok(RingProducer { ring: self })
    }

    /// The producer handle whose slices keep the pool alive, or
    /// [`RingError::ProducerTaken`] while another producer handle exists.
    ///
    /// ```
    /// use verified_pools::ring::{RingConfig, RingPool};
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(RingPool::new(RingConfig::new(2, 16, 4)).unwrap());
    /// let mut producer = RingPool::arc_producer(&pool).unwrap();
    /// let slice = producer.alloc(2).unwrap();
    /// drop((producer, pool)); // the region lives on in `slice`
    /// std::thread::spawn(move || assert_eq!(slice.len(), 4)).join().unwrap();
    /// ```
    pub fn arc_producer(this: &Arc<Self>) -> Result<RingProducer<Arc<Self>>, RingError> {
        this.take_producer()?;
        Ok(RingProducer { ring: this.clone() })
    }

    /// The header of vector `i`, without a bounds check (the hot path's
    /// three header accesses are a tenth of its instructions with them).
    ///
    /// # Safety
    /// `i < capacity`: the read and write indices are (invariant 1, and
    /// `advance` wraps at `capacity`), and so is a slice's first vector.
    #[inline(always)]
    pub(crate) unsafe fn header(&self, i: usize) -> &AtomicU32 {
        debug_assert!(i < self.headers.len());
        // SAFETY: `headers` has `capacity` entries and the caller passes an
        // index below it.
        unsafe { self.headers.get_unchecked(i) }
    }

    fn take_producer(&self) -> Result<(), RingError> {
        // Acquire: the previous producer's state updates (released by its
        // drop) must be visible before this one reads the state. Relaxed on
        // failure: nothing is read then. A CAS rather than a swap, so that a
        // refused attempt writes nothing.
        self.producer_taken
            .compare_exchange(false, true, ord(Acquire, "ring.producer.take"), Relaxed)
            .map(drop)
            .map_err(|_| RingError::ProducerTaken)
    }
}

/// The one allocating handle of a [`RingPool`]: not `Clone`, `Send`.
///
/// Use it through the aliases [`Producer<'ring>`](super::Producer) and
/// [`ArcProducer`](super::ArcProducer).
pub struct RingProducer<R: RingRef> {
    ring: R,
}

impl<R: RingRef> Drop for RingProducer<R> {
    fn drop(&mut self) {
        self.with_state(|ring, _, st| ring.end_producer(&mut st.slice_credits));
        // Release: hands this producer's state writes to the next producer's
        // Acquire swap in `take_producer`.
        self.ring
            .pool()
            .producer_taken
            .store(false, ord(Release, "ring.producer.return"));
    }
}

impl<R: RingRef> RingProducer<R> {
    /// The pool this producer allocates from.
    pub fn pool(&self) -> &RingPool {
        self.ring.pool()
    }

    #[inline(always)]
    fn with_state<T>(&mut self, f: impl FnOnce(&R, &RingPool, &mut ProducerState) -> T) -> T {
        let ring = &self.ring;
        let pool = ring.pool();
        // Both closures always inlined: `alloc`'s body must end up in its
        // caller (see `alloc`), and a closure is otherwise LLVM's choice.
        pool.state.with_mut(
            #[inline(always)]
            // SAFETY: `&mut self` on the unique producer handle (the
            // `producer_taken` flag) makes this the only access to the state.
            |s| f(ring, pool, unsafe { &mut *s }),
        )
    }

    /// Hands out `n` contiguous vectors, or a typed error; never blocks.
    ///
    /// Errors: [`RingError::ZeroLength`], [`RingError::TooLong`], and
    /// [`RingError::Full`] (which reports the free space and the oldest live
    /// slice). An empty ring always satisfies a valid `n`.
    // Always inlined: called out of line, the `Result` (it holds a
    // `RingError`, several words) comes back through a stack slot the callee
    // wrote field by field, and the caller's wider reload of the slice waits
    // for those stores (a failed store-to-load forward: 20 ns a pair instead
    // of 6 in `profile_buffer_pool ring_borrowed`).
    // The errors are built out of line, so the inlined body is small.
    #[inline(always)]
    pub fn alloc(&mut self, n: usize) -> Result<Slice<R>, RingError> {
        let (first, ring) = self.with_state(
            #[inline(always)]
            |ring, pool, st| {
                if n.wrapping_sub(1) >= pool.max_vectors {
                    return Err(bad_length(pool, n));
                }
                reclaim(pool, st);
                match alloc_in(pool, st, n) {
                    // The slice's hold is taken only for a slice actually
                    // handed out.
                    Some(first) => Ok((first, ring.for_slice(&mut st.slice_credits))),
                    None => Err(full(pool, st, n)),
                }
            },
        )?;
        // SAFETY: `alloc_in` just moved `first..first + n` from the free
        // region to this new slice, its only owner.
        Ok(unsafe { Slice::new(ring, first, n) })
    }

    /// Like [`alloc`](Self::alloc), but when the ring is full, sleeps until
    /// releases make room for `n` vectors or `timeout` passes.
    ///
    /// A drop on any thread wakes the producer (no polling, no lost
    /// wake-up: see `ring/wake.rs`); the producer then reclaims and retries,
    /// and sleeps again if the space freed is not enough (only a release of
    /// the oldest live slice moves the read cursor). `Duration::MAX` waits
    /// without limit.
    ///
    /// Errors: [`RingError::ZeroLength`] and [`RingError::TooLong`] at once
    /// (such a request can never fit, so it never waits), and
    /// [`RingError::Timeout`] (which reports the oldest live slice) if the
    /// room did not appear in time. Slices held by the calling thread
    /// itself cannot be released while it sleeps: waiting on them ends in
    /// `Timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use verified_pools::ring::{RingConfig, RingError, RingPool};
    ///
    /// let pool = RingPool::new(RingConfig::new(4, 4, 4)).unwrap();
    /// let mut producer = pool.producer().unwrap();
    /// let all = producer.alloc(4).unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(move || drop(all)); // a worker finishes with the slice
    ///     let next = producer.alloc_wait(4, Duration::from_secs(10)).unwrap();
    ///     assert_eq!(next.len_vectors(), 4);
    ///     let late = producer.alloc_wait(1, Duration::from_millis(1));
    ///     assert!(matches!(late, Err(RingError::Timeout { .. })));
    /// });
    /// ```
    pub fn alloc_wait(&mut self, n: usize, timeout: Duration) -> Result<Slice<R>, RingError> {
        let (first, ring) = self.with_state(|ring, pool, st| {
            if n.wrapping_sub(1) >= pool.max_vectors {
                return Err(bad_length(pool, n));
            }
            reclaim(pool, st);
            let first = match alloc_in(pool, st, n) {
                Some(first) => first,
                None => wait_for_room(pool, st, n, timeout)?,
            };
            Ok((first, ring.for_slice(&mut st.slice_credits)))
        })?;
        // SAFETY: as in `alloc`: `first..first + n` just became this slice's.
        Ok(unsafe { Slice::new(ring, first, n) })
    }

    /// Moves the read cursor over every released slice at the front of the
    /// ring; returns the vectors reclaimed. [`alloc`](Self::alloc) does this
    /// itself.
    pub fn reclaim(&mut self) -> usize {
        self.with_state(|_, pool, st| reclaim(pool, st))
    }

    /// Reclaims, then reports the counters and the oldest live slice.
    pub fn stats(&mut self) -> RingStats {
        self.with_state(|_, pool, st| {
            reclaim(pool, st);
            let mut s = st.stats;
            s.used_vectors = used(st);
            s.oldest_live = oldest_live(pool, st);
            s
        })
    }

    /// Index of the read cursor in the region (the first vector of the oldest
    /// unreclaimed slice, or where the next slice goes if the ring is empty).
    pub fn read_index(&mut self) -> usize {
        self.with_state(|_, _, st| st.read_idx)
    }

    /// Index of the write cursor in the region.
    pub fn write_index(&mut self) -> usize {
        self.with_state(|_, _, st| st.write_idx)
    }
}

/// `ZeroLength` or `TooLong` for an `n` outside `1..=max_vectors` (off the
/// hot path: the error is built out of line).
#[cold]
#[inline(never)]
fn bad_length(pool: &RingPool, n: usize) -> RingError {
    if n == 0 {
        RingError::ZeroLength
    } else {
        RingError::TooLong {
            requested: n,
            max_vectors: pool.max_vectors,
        }
    }
}

#[inline(always)]
fn used(st: &ProducerState) -> usize {
    (st.write_pos - st.read_pos) as usize
}

#[inline(always)]
fn advance(idx: usize, by: usize, cap: usize) -> usize {
    let next = idx + by;
    if next >= cap { next - cap } else { next }
}

/// Advances the read cursor over the released prefix.
#[inline(always)]
fn reclaim(pool: &RingPool, st: &mut ProducerState) -> usize {
    let before = st.read_pos;
    if !pool.fifo.reclaim(st, pool.capacity) {
        while st.read_pos < st.write_pos {
            // Acquire: pairs with the dropper's Release store of RELEASED, so
            // everything the slice's owner did to its vectors happens-before
            // the producer hands them out again.
            // SAFETY: `read_idx < capacity` (invariant 1).
            let header = unsafe { pool.header(st.read_idx) };
            let h = header.load(ord(Acquire, "ring.reclaim.load"));
            if h & RELEASED == 0 {
                break;
            }
            let len = header_len(h);
            st.read_pos += len as u64;
            st.read_idx = advance(st.read_idx, len, pool.capacity);
        }
        if st.read_pos == st.write_pos {
            // Empty: rewind, so any valid request fits and hot data stays at
            // the front of the region.
            st.read_idx = 0;
            st.write_idx = 0;
        }
    }
    (st.read_pos - before) as usize
}

/// The sleeping part of `alloc_wait` (off the hot path): announce, fence,
/// re-check, park; on every wake-up reclaim and re-check.
#[cold]
#[inline(never)]
fn wait_for_room(
    pool: &RingPool,
    st: &mut ProducerState,
    n: usize,
    timeout: Duration,
) -> Result<usize, RingError> {
    // `None`: no deadline (`Duration::MAX` or beyond the clock's range).
    let deadline = Instant::now().checked_add(timeout);
    // SeqCst (the wait fence): orders the `waiting` store before the header
    // loads of the re-check below, against the releasers' wake fence.
    let reliable = pool.wake.announce(ord(SeqCst, "ring.wait.fence"));
    let out = loop {
        reclaim(pool, st);
        if let Some(first) = alloc_in(pool, st, n) {
            break Ok(first);
        }
        let left = match deadline {
            None => None,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => {
                    st.stats.timeouts += 1;
                    break Err(RingError::Timeout {
                        requested: n,
                        largest_fit: largest_fit(pool, st),
                        oldest_live: oldest_live(pool, st),
                    });
                }
            },
        };
        st.stats.waits += 1;
        // Polls only if the kernel refused the barrier (`Wake::announce`).
        const POLL: Duration = Duration::from_millis(1);
        match (left, reliable) {
            (None, true) => thread::park(),
            (None, false) => thread::park_timeout(POLL),
            (Some(left), true) => thread::park_timeout(left),
            (Some(left), false) => thread::park_timeout(left.min(POLL)),
        }
    };
    pool.wake.withdraw();
    out
}

/// The largest slice that fits now (see `ring/mod.rs`, cursor arithmetic).
fn largest_fit(pool: &RingPool, st: &ProducerState) -> usize {
    let used = used(st);
    if used == pool.capacity {
        0
    } else if st.write_idx >= st.read_idx {
        (pool.capacity - st.write_idx).max(st.read_idx)
    } else {
        st.read_idx - st.write_idx
    }
}

fn oldest_live(pool: &RingPool, st: &ProducerState) -> Option<OldestLive> {
    if st.read_pos == st.write_pos {
        return None;
    }
    // Relaxed: only the length is read (written by this producer at
    // hand-out); no memory is accessed on the strength of this load.
    let h = pool.headers[st.read_idx].load(Relaxed);
    Some(OldestLive {
        first_vector: st.read_idx,
        len_vectors: header_len(h),
        allocations_ago: st.stats.allocations - 1 - st.serials[st.read_idx],
    })
}

/// `Full` for a request of `n` that does not fit (counted; built out of
/// line, off the hot path).
#[cold]
#[inline(never)]
fn full(pool: &RingPool, st: &mut ProducerState, n: usize) -> RingError {
    st.stats.full_events += 1;
    RingError::Full {
        requested: n,
        free_vectors: pool.capacity - used(st),
        largest_fit: largest_fit(pool, st),
        oldest_live: oldest_live(pool, st),
    }
}

/// Hands out `n` vectors (`1..=max_vectors`) and returns the first, or
/// `None` (nothing changed) when they do not fit: the caller builds the
/// `Full` error out of line, so the hot path returns a plain index.
#[inline(always)]
fn alloc_in(pool: &RingPool, st: &mut ProducerState, n: usize) -> Option<usize> {
    let cap = pool.capacity;
    let tail = cap - st.write_idx;
    let pad = if n > tail { tail } else { 0 };
    if used(st) + pad + n > cap {
        return None;
    }
    if pad > 0 {
        // Relaxed: a pad is released at birth and read back only by this
        // producer (program order).
        // SAFETY: `write_idx < capacity` (invariant 1).
        unsafe { pool.header(st.write_idx) }.store((pad as u32) << 1 | RELEASED, Relaxed);
        pool.fifo.on_pad(pad);
        st.write_pos += pad as u64;
        st.write_idx = 0;
        st.stats.padded_vectors += pad as u64;
    }
    let first = st.write_idx;
    // Relaxed: the slice reaches its dropper through whatever moves it to
    // that thread, which orders this store before the dropper's Release
    // store to the same header.
    // SAFETY: `first` is the write index, below `capacity` (invariant 1).
    unsafe { pool.header(first) }.store((n as u32) << 1, Relaxed);
    // SAFETY: `serials` has `capacity` entries, and `first < capacity`.
    *unsafe { st.serials.get_unchecked_mut(first) } = st.stats.allocations;
    st.write_pos += n as u64;
    st.write_idx = advance(first, n, cap);
    st.stats.allocations += 1;
    st.stats.vectors_handed_out += n as u64;
    st.stats.high_water_vectors = st.stats.high_water_vectors.max(used(st));
    pool.region.on_hand_out(first, n);
    Some(first)
}

/// Model builds only: dropping the pool touches the producer state and every
/// vector, so the checkers report any access (a slice's, or a producer's)
/// that does not happen-before the drop: the evidence that the `Arc`
/// flavour's shared hold (`hold.rs`) frees the pool only after its last
/// user. Under std the pool has no `Drop` of its own.
#[cfg(any(loom, shuttle))]
impl Drop for RingPool {
    fn drop(&mut self) {
        self.state.with_mut(|_| ());
        self.region.on_free();
    }
}

impl core::fmt::Debug for RingPool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingPool")
            .field("feature_dim", &self.feature_dim)
            .field("capacity_vectors", &self.capacity)
            .field("max_vectors", &self.max_vectors)
            .finish_non_exhaustive()
    }
}

impl<R: RingRef> core::fmt::Debug for RingProducer<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RingProducer")
            .field("pool", self.ring.pool())
            .finish()
    }
}
