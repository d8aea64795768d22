//! The seed's `LockFreeBufferPool` API over the verified [`BufferPool`].
//!
//! Code written against the seed's `lockfree_buffer_pool` module compiles
//! against this one unchanged once its `use` line names
//! `verified_pools::compat::lockfree_buffer_pool`: the same types
//! ([`LockFreeBufferPool`], [`LockFreeBufferPoolConfig`], [`BufferGuard`],
//! [`BufferPoolStats`], [`BufferCounts`]), fields and method signatures. The
//! seed's own unit tests run against it as `tests/compat_seed.rs`.
//!
//! ```
//! use verified_pools::compat::lockfree_buffer_pool::*;
//!
//! let pool = LockFreeBufferPool::new(LockFreeBufferPoolConfig {
//!     buffer_count: 4,
//!     ..Default::default()
//! });
//! {
//!     let mut guard = pool.get_serialization_buffer_guard();
//!     guard.data_mut().extend_from_slice(b"payload");
//!     assert_eq!(guard.data().len(), 7);
//! } // returned here
//! let stats = pool.get_stats();
//! assert_eq!((stats.pool_hits, stats.pool_misses, stats.deallocations), (1, 0, 1));
//! assert_eq!(pool.get_available_counts().serialization_available, 4);
//! ```
//!
//! # What differs from the seed, and why
//!
//! The names and shapes are the seed's; the behaviour is the verified
//! pool's wherever the seed's was wrong:
//!
//! * **Returns are bounded.** Each kind keeps at most `buffer_count`
//!   buffers; a return beyond that is dropped (freed). The seed kept every
//!   in-window return, so a burst of misses grew the pool without limit.
//!   Dropped returns are not `deallocations` (which count buffers taken back
//!   into the pool, as in the seed); [`LockFreeBufferPool::inner`] gives the
//!   per-kind `rejected_pool_full` count.
//! * **SIMD returns are checked** against the same acceptance window as the
//!   byte kinds (`[⌈n/2⌉, n×2]` `f64` lanes); the seed took back any length.
//! * **Availability is per kind and exact.**
//!   [`get_available_counts`](LockFreeBufferPool::get_available_counts)
//!   reports each kind's pooled buffers, exact at quiescence. The seed gave
//!   all three kinds one estimate, `buffer_count − (misses − accepted
//!   returns)`, which mixes kinds and counts unrelated events.
//!   `total_capacity` is `buffer_count`, the bound of each kind, as in the
//!   seed.
//! * **`reset_stats` keeps the state.** Counts restart from zero; the pooled
//!   figures above are state, not counts, and stay true across a reset.
//! * **A bad config is reported.** [`LockFreeBufferPool::try_new`] returns
//!   a typed [`ConfigError`] (zero count or size, a size whose window
//!   overflows, more than 2^24 − 1 buffers per kind, a refused
//!   pre-allocation). [`LockFreeBufferPool::new`] keeps the seed's
//!   infallible signature and panics on those configs; the seed instead ran
//!   with a `[0, 0]` window, overflowed or aborted.
//! * **The free list is sound.** Buffers live in the tagged arena (no
//!   allocation after construction except a miss), not in the seed's
//!   pointer-node Treiber stack, whose concurrent pops read freed nodes and
//!   suffer ABA. See `DESIGN.md`, "What it fixes from the seed".
//!
//! Everything else the verified pool offers — why a return was rejected,
//! `hits`/`misses`/`pooled`/`in_use`/`peak_in_use` per kind, guards that
//! cannot be returned twice — is one [`inner`](LockFreeBufferPool::inner)
//! call away.

use core::fmt;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

use simd_aligned::VecSimd;
use wide::f64x4;

use crate::pool::{BufferPool, ConfigError, KindStats, PoolConfig};

/// Sizes and counts of a [`LockFreeBufferPool`] (the seed's names for
/// [`PoolConfig`]'s fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockFreeBufferPoolConfig {
    /// Buffers pre-allocated per kind, and the most each kind keeps.
    pub buffer_count: usize,
    /// Capacity in bytes of a serialization buffer.
    pub serialization_buffer_size: usize,
    /// Capacity in bytes of a compression buffer.
    pub compression_buffer_size: usize,
    /// Flat length of a SIMD buffer in `f64` lanes (64 lanes are 16
    /// `f64x4` vectors, 512 bytes).
    pub simd_buffer_elements: usize,
}

impl Default for LockFreeBufferPoolConfig {
    /// The seed's defaults: 256 buffers per kind, 128 KiB serialization and
    /// 64 KiB compression buffers, 64-lane SIMD buffers.
    fn default() -> Self {
        PoolConfig::default().into()
    }
}

impl From<LockFreeBufferPoolConfig> for PoolConfig {
    fn from(c: LockFreeBufferPoolConfig) -> Self {
        PoolConfig {
            count: c.buffer_count,
            serialization_size: c.serialization_buffer_size,
            compression_size: c.compression_buffer_size,
            simd_len: c.simd_buffer_elements,
        }
    }
}

impl From<PoolConfig> for LockFreeBufferPoolConfig {
    fn from(c: PoolConfig) -> Self {
        LockFreeBufferPoolConfig {
            buffer_count: c.count,
            serialization_buffer_size: c.serialization_size,
            compression_buffer_size: c.compression_size,
            simd_buffer_elements: c.simd_len,
        }
    }
}

/// The seed's pool: three kinds of pre-allocated buffers, served by a
/// verified [`BufferPool`] (see the [module docs](self) for what differs).
pub struct LockFreeBufferPool {
    pool: BufferPool,
    config: LockFreeBufferPoolConfig,
}

impl LockFreeBufferPool {
    /// Pre-allocates `config.buffer_count` buffers of each kind.
    ///
    /// # Panics
    ///
    /// If `config` is invalid (see [`try_new`](Self::try_new), which
    /// returns the reason instead).
    pub fn new(config: LockFreeBufferPoolConfig) -> Self {
        match Self::try_new(config) {
            Ok(pool) => pool,
            Err(e) => panic!("invalid LockFreeBufferPoolConfig: {e}"),
        }
    }

    /// Pre-allocates `config.buffer_count` buffers of each kind, or says
    /// why the config cannot be built.
    ///
    /// ```
    /// use verified_pools::compat::lockfree_buffer_pool::*;
    /// use verified_pools::pool::ConfigError;
    ///
    /// let zero = LockFreeBufferPoolConfig { buffer_count: 0, ..Default::default() };
    /// assert!(matches!(LockFreeBufferPool::try_new(zero), Err(ConfigError::ZeroCount)));
    /// ```
    pub fn try_new(config: LockFreeBufferPoolConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            pool: BufferPool::new(config.into())?,
            config,
        })
    }

    /// The configuration the pool was built with.
    pub fn config(&self) -> &LockFreeBufferPoolConfig {
        &self.config
    }

    /// The verified pool underneath: return outcomes, per-kind statistics
    /// and guards that report what happened to their buffer.
    pub fn inner(&self) -> &BufferPool {
        &self.pool
    }

    /// A cleared serialization buffer; allocates only when the kind is
    /// empty (a miss).
    #[inline]
    pub fn get_serialization_buffer(&self) -> Vec<u8> {
        self.pool.get_serialization_buffer()
    }

    /// Offers a serialization buffer back; kept if its capacity is in the
    /// window and the kind is below its bound, else dropped.
    #[inline]
    pub fn return_serialization_buffer(&self, buffer: Vec<u8>) {
        self.pool.return_serialization_buffer(buffer);
    }

    /// A cleared compression buffer; allocates only when the kind is empty.
    #[inline]
    pub fn get_compression_buffer(&self) -> Vec<u8> {
        self.pool.get_compression_buffer()
    }

    /// Offers a compression buffer back; kept if its capacity is in the
    /// window and the kind is below its bound, else dropped.
    #[inline]
    pub fn return_compression_buffer(&self, buffer: Vec<u8>) {
        self.pool.return_compression_buffer(buffer);
    }

    /// A zero-filled SIMD buffer; allocates only when the kind is empty.
    #[inline]
    pub fn get_simd_buffer(&self) -> VecSimd<f64x4> {
        self.pool.get_simd_buffer()
    }

    /// Offers a SIMD buffer back; kept if its flat length is in the window
    /// and the kind is below its bound, else dropped.
    #[inline]
    pub fn return_simd_buffer(&self, buffer: VecSimd<f64x4>) {
        self.pool.return_simd_buffer(buffer);
    }

    /// A serialization buffer that returns itself when dropped.
    pub fn get_serialization_buffer_guard(&self) -> BufferGuard<'_, Vec<u8>> {
        BufferGuard::new(
            self.get_serialization_buffer(),
            self,
            Self::return_serialization_buffer,
        )
    }

    /// A compression buffer that returns itself when dropped.
    pub fn get_compression_buffer_guard(&self) -> BufferGuard<'_, Vec<u8>> {
        BufferGuard::new(
            self.get_compression_buffer(),
            self,
            Self::return_compression_buffer,
        )
    }

    /// A SIMD buffer that returns itself when dropped.
    pub fn get_simd_buffer_guard(&self) -> BufferGuard<'_, VecSimd<f64x4>> {
        BufferGuard::new(self.get_simd_buffer(), self, Self::return_simd_buffer)
    }

    /// The three kinds' counts added up, in the seed's terms. Exact at
    /// quiescence (see [`BufferPool::stats`]).
    pub fn get_stats(&self) -> BufferPoolStats {
        let s = self.pool.stats();
        let kinds = [s.serialization, s.compression, s.simd];
        let sum = |f: fn(&KindStats) -> usize| kinds.iter().map(f).sum::<usize>();
        let pool_hits = sum(|k| k.hits);
        let pool_misses = sum(|k| k.misses);
        BufferPoolStats {
            allocations: pool_misses,
            deallocations: sum(|k| k.returns_accepted),
            pool_hits,
            pool_misses,
            hit_rate: match pool_hits + pool_misses {
                0 => 0.0,
                gets => pool_hits as f64 / gets as f64,
            },
        }
    }

    /// Restarts every count from zero; the pooled figures of
    /// [`get_available_counts`](Self::get_available_counts) are unchanged.
    pub fn reset_stats(&self) {
        self.pool.reset_stats();
    }

    /// Buffers in the pool now, per kind; exact at quiescence.
    ///
    /// ```
    /// use verified_pools::compat::lockfree_buffer_pool::*;
    /// use verified_pools::simd_aligned::VecSimd;
    ///
    /// let pool = LockFreeBufferPool::new(LockFreeBufferPoolConfig {
    ///     buffer_count: 2,
    ///     ..Default::default()
    /// });
    /// let held = [(); 3].map(|()| pool.get_compression_buffer()); // the third is a miss
    /// let counts = pool.get_available_counts();
    /// assert_eq!((counts.serialization_available, counts.compression_available), (2, 0));
    /// for buffer in held {
    ///     pool.return_compression_buffer(buffer);
    /// }
    /// // The third return is beyond the bound: dropped, not a deallocation.
    /// assert_eq!(pool.get_available_counts().compression_available, 2);
    /// assert_eq!((pool.get_stats().allocations, pool.get_stats().deallocations), (1, 2));
    /// assert_eq!(pool.inner().stats().compression.rejected_pool_full, 1);
    /// // A SIMD buffer far outside the window is not taken back either.
    /// pool.return_simd_buffer(VecSimd::with(0.0, 1024));
    /// assert_eq!(pool.inner().stats().simd.rejected_too_large, 1);
    /// ```
    pub fn get_available_counts(&self) -> BufferCounts {
        let s = self.pool.stats();
        BufferCounts {
            serialization_available: s.serialization.pooled,
            compression_available: s.compression.pooled,
            simd_available: s.simd.pooled,
            total_capacity: self.config.buffer_count,
        }
    }
}

impl fmt::Debug for LockFreeBufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFreeBufferPool")
            .field("pool", &self.pool)
            .finish()
    }
}

/// All kinds' counts, in the seed's terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BufferPoolStats {
    /// Buffers allocated because a kind was empty (one per miss; the
    /// pre-allocation is not counted, as in the seed).
    pub allocations: usize,
    /// Returns taken back into the pool.
    pub deallocations: usize,
    /// Gets served from the pool.
    pub pool_hits: usize,
    /// Gets that found their kind empty.
    pub pool_misses: usize,
    /// `pool_hits / (pool_hits + pool_misses)`, or 0 with no gets.
    pub hit_rate: f64,
}

/// Buffers available per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferCounts {
    /// Serialization buffers in the pool.
    pub serialization_available: usize,
    /// Compression buffers in the pool.
    pub compression_available: usize,
    /// SIMD buffers in the pool.
    pub simd_available: usize,
    /// The most buffers each kind keeps (`buffer_count`).
    pub total_capacity: usize,
}

/// A buffer on loan that goes back to its pool when dropped (or by
/// [`return_early`](Self::return_early)).
///
/// It borrows the pool it came from and every way out consumes it, so it
/// cannot be returned twice or outlive the pool. It also derefs to the
/// buffer, like [`PooledBuf`](crate::pool::PooledBuf).
pub struct BufferGuard<'a, T> {
    // ManuallyDrop so `return_early` and `Drop` move the buffer out without
    // an `Option` unwrapped on every access.
    buffer: ManuallyDrop<T>,
    pool: &'a LockFreeBufferPool,
    give_back: fn(&LockFreeBufferPool, T),
}

impl<'a, T> BufferGuard<'a, T> {
    fn new(buffer: T, pool: &'a LockFreeBufferPool, give_back: fn(&LockFreeBufferPool, T)) -> Self {
        Self {
            buffer: ManuallyDrop::new(buffer),
            pool,
            give_back,
        }
    }

    /// The buffer.
    pub fn data(&self) -> &T {
        &self.buffer
    }

    /// The buffer, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.buffer
    }

    /// Returns the buffer now rather than at end of scope.
    pub fn return_early(self) {
        drop(self);
    }
}

impl<T> Drop for BufferGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and nothing else takes the buffer out
        // (`return_early` goes through `drop`), so it is still here and is
        // taken exactly once; `self.buffer` is not used afterwards.
        let buffer = unsafe { ManuallyDrop::take(&mut self.buffer) };
        (self.give_back)(self.pool, buffer);
    }
}

impl<T> Deref for BufferGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.buffer
    }
}

impl<T> DerefMut for BufferGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.buffer
    }
}

impl<T> AsRef<T> for BufferGuard<'_, T> {
    fn as_ref(&self) -> &T {
        &self.buffer
    }
}

impl<T> AsMut<T> for BufferGuard<'_, T> {
    fn as_mut(&mut self) -> &mut T {
        &mut self.buffer
    }
}

impl<T: fmt::Debug> fmt::Debug for BufferGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferGuard")
            .field("buffer", &*self.buffer)
            .finish()
    }
}
