//! A handed-out run of vectors; dropping it releases the run.

use core::fmt;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use super::{RELEASED, RingRef};
use crate::sync::Ordering::*;
use crate::sync::mutation::ord;

/// `len_vectors × feature_dim` contiguous `f32`s owned by one handle.
///
/// Derefs to `[f32]` (mutably for its owner), is `Send`, and releases its
/// vectors when dropped, on any thread and in any order. Use it through the
/// aliases [`PoolSlice<'ring>`](super::PoolSlice) (borrows the pool) and
/// [`ArcPoolSlice`](super::ArcPoolSlice) (keeps it alive).
///
/// With the borrowed flavour the borrow checker keeps the pool alive for as
/// long as any slice exists:
///
/// ```compile_fail
/// use verified_pools::ring::{RingConfig, RingPool};
/// let pool = RingPool::new(RingConfig::new(4, 8, 4)).unwrap();
/// let slice = pool.producer().unwrap().alloc(1).unwrap();
/// drop(pool); // error: `pool` is borrowed by `slice`
/// drop(slice);
/// ```
///
/// and a pool leaked (or in a static) gives `'static` slices that can move to
/// any thread:
///
/// ```
/// use verified_pools::ring::{PoolSlice, RingConfig, RingPool};
/// let pool: &'static RingPool = Box::leak(Box::new(RingPool::new(RingConfig::new(4, 8, 4)).unwrap()));
/// let mut producer = pool.producer().unwrap();
/// let mut s: PoolSlice<'static> = producer.alloc(2).unwrap();
/// s.vector_mut(1).unwrap()[3] = 7.0;
/// let t = std::thread::spawn(move || assert_eq!(s[2 * 4 - 1], 7.0));
/// t.join().unwrap();
/// ```
///
/// Leaking a slice (`mem::forget`) is safe but stops all reuse behind it
/// until the pool is dropped; [`RingError::Full`](super::RingError) and
/// [`RingStats::oldest_live`](super::RingStats) show it.
pub struct Slice<R: RingRef> {
    // Two words, a pointer and one `u64`, so a function returning a slice
    // returns it in two registers. A larger slice, or one of three fields
    // (even in 16 bytes), comes back through a stack slot written field by
    // field, and the caller's 16-byte reload of it stalls on a failed
    // store-to-load forward. The data pointer and float count are
    // recomputed from the pool.
    //
    // `ring` is given up by hand at the end of `drop` (`end_slice`), so the
    // whole drop (release and giving up the hold) is one inlinable body
    // rather than drop glue called out of line with the slice in memory;
    // for the `Arc` flavour it is a copy that owns no strong count of its
    // own (`hold.rs`).
    ring: ManuallyDrop<R>,
    /// The first vector (low 32 bits) and the length in vectors (high 32).
    span: u64,
}

// The size the layout comment above relies on (std's `Arc` is one pointer).
#[cfg(all(target_pointer_width = "64", not(any(loom, shuttle))))]
const _: () = assert!(core::mem::size_of::<Slice<crate::sync::Arc<super::RingPool>>>() == 16);

// SAFETY: the slice owns its vectors exclusively (no other handle covers
// them until its drop releases them), and dropping it on another thread is
// the protocol's point: the release store is an atomic on the shared pool.
// `R: Send` keeps the pool reachable from that thread.
unsafe impl<R: RingRef + Send> Send for Slice<R> {}
// SAFETY: `&Slice` only gives `&[f32]`.
unsafe impl<R: RingRef + Sync> Sync for Slice<R> {}

impl<R: RingRef> Slice<R> {
    /// # Safety
    /// Vectors `first..first + len` were just moved from the free region to
    /// this slice and nothing else covers them; `ring` came from
    /// `for_slice` (one hold, given up by this slice's drop).
    #[inline(always)]
    pub(crate) unsafe fn new(ring: ManuallyDrop<R>, first: usize, len: usize) -> Self {
        Self {
            ring,
            span: first as u64 | (len as u64) << 32,
        }
    }

    #[inline(always)]
    fn first_index(&self) -> usize {
        self.span as u32 as usize
    }

    #[inline(always)]
    fn vectors(&self) -> usize {
        (self.span >> 32) as usize
    }

    /// The slice's `f32`s: where they start, and how many.
    #[inline(always)]
    fn span(&self) -> (NonNull<f32>, usize) {
        let pool = self.ring.pool();
        (
            pool.region.vector_ptr(self.first_index()),
            self.vectors() * pool.feature_dim,
        )
    }

    /// Index of the first vector in the region.
    pub fn first_vector(&self) -> usize {
        self.first_index()
    }

    /// Length in vectors.
    pub fn len_vectors(&self) -> usize {
        self.vectors()
    }

    /// `f32`s per vector.
    pub fn feature_dim(&self) -> usize {
        self.ring.pool().feature_dim
    }

    /// Vector `i` of the slice, if `i < len_vectors()`.
    pub fn vector(&self, i: usize) -> Option<&[f32]> {
        let dim = self.feature_dim();
        self.get(i * dim..(i + 1) * dim)
    }

    /// Vector `i` of the slice, mutably, if `i < len_vectors()`.
    pub fn vector_mut(&mut self, i: usize) -> Option<&mut [f32]> {
        let dim = self.feature_dim();
        self.get_mut(i * dim..(i + 1) * dim)
    }
}

impl<R: RingRef> Deref for Slice<R> {
    type Target = [f32];

    #[inline]
    fn deref(&self) -> &[f32] {
        self.ring
            .pool()
            .region
            .on_read(self.first_index(), self.vectors());
        let (data, floats) = self.span();
        // SAFETY: the slice owns these `floats` initialised (zeroed at
        // mapping) `f32`s until it drops.
        unsafe { core::slice::from_raw_parts(data.as_ptr(), floats) }
    }
}

impl<R: RingRef> DerefMut for Slice<R> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [f32] {
        self.ring
            .pool()
            .region
            .on_write(self.first_index(), self.vectors());
        let (data, floats) = self.span();
        // SAFETY: as in `deref`, and `&mut self` makes this the only borrow.
        unsafe { core::slice::from_raw_parts_mut(data.as_ptr(), floats) }
    }
}

impl<R: RingRef> Drop for Slice<R> {
    #[inline(always)]
    fn drop(&mut self) {
        let pool = self.ring.pool();
        let (first, len) = (self.first_index(), self.vectors());
        // Model builds only: the FIFO-release mutant skips the store.
        if !pool.fifo.release(len) {
            // Release: every access this handle made to its vectors must
            // happen-before the producer's next hand-out of them, which
            // follows its Acquire load of this header in `reclaim`. After
            // this store the vectors are the producer's; this handle does
            // not touch them again.
            // SAFETY: `alloc_in` made this slice at a first vector below
            // `capacity`.
            unsafe { pool.header(first) }.store(
                ((len as u32) << 1) | RELEASED,
                ord(Release, "ring.release.store"),
            );
        }
        // Model builds only: clear the ghost "live" bits. The checkers switch
        // threads only at their own operations, so this runs as one step
        // with the release above (see `storage.rs`).
        pool.region.on_release(first, len);
        // SeqCst (the wake fence; a compiler fence where the waiter's side
        // is `membarrier`): orders the RELEASED store before the load of
        // `waiting`, against the producer's wait fence, so a producer asleep
        // in `alloc_wait` is never missed. Then one Relaxed load; the unpark
        // only if a producer waits.
        pool.wake.after_release(ord(SeqCst, "ring.wake.fence"));
        // The hold is given up last: after it the pool may be gone.
        R::end_slice(&mut self.ring);
    }
}

impl<R: RingRef> fmt::Debug for Slice<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolSlice")
            .field("first_vector", &self.first_index())
            .field("len_vectors", &self.vectors())
            .finish_non_exhaustive()
    }
}
