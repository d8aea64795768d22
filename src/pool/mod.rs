//! The typed buffer pool: kinds of pre-allocated buffers, handed out and
//! taken back lock-free, with exact per-kind statistics.
//!
//! A [`KindPool<K>`](KindPool) pools one kind: any [`BufferKind`], the
//! user's own included. It is a bounded free list (chosen by the
//! [`Variant`] parameter; [`Tagged`] by default), the kind's acceptance
//! window and a cache-padded block of counters. A [`BufferPool`] is three
//! independent `KindPool`s, one per provided kind ([`Serialization`] and
//! [`Compression`] `Vec<u8>`s, [`Simd`] `VecSimd<f64x4>`s). Kinds share
//! nothing, so traffic on one never contends with another.
//!
//! # Invariants (per kind; see `kind_pool.rs`)
//! 1. Every pooled buffer's size lies in the kind's window (by default
//!    `[⌈size/2⌉, size×2]`).
//! 2. A kind's pooled buffers plus the places its guards keep never exceed
//!    `count`.
//! 3. Every buffer has exactly one owner: the free list or one caller.
//! 4. At quiescence, for each kind, with `in_use` the signed count of
//!    buffers out and `foreign` the by-value returns rejected by the window:
//!    `pooled = count + misses − (rejected − foreign) − taken_out − in_use`
//!    (every buffer the pool made is pooled, out, dropped on a rejected
//!    return, or taken out), `hits + misses = gets` and
//!    `accepted + rejected = returns`. A by-value return outside the window
//!    never changes `in_use` (see [`KindStats::in_use`]).
//!
//! # Linearization points
//! Those of the shelf's free list: a get is its pop, an accepted or
//! pool-full return is its push; a window rejection touches only counters.
//!
//! # Cost
//! A by-value hit is one free-list pop plus one counter RMW; an accepted
//! by-value return is one push plus two counter RMWs. A guard *lends*: its
//! buffer keeps its place in the list while it is out, so with [`Tagged`] a
//! guard's get and return are one CAS each instead of two (a by-value pop
//! or push is two: the arena's `full` and `vacant` lists), and its return
//! counts `accepted` in the slot's own count instead of an RMW: four locked
//! instructions per guard pair against seven by value. The bound counts
//! a kept place as taken: while a guard is out, a by-value return finds one
//! place fewer, and the guard's own return (in the window) is never
//! refused. With [`Tagged`] nothing allocates after construction except a
//! miss (which must: it hands out a new buffer).
//!
//! ```
//! use verified_pools::pool::{BufferPool, PoolConfig, ReturnOutcome};
//!
//! let pool: BufferPool = BufferPool::new(PoolConfig::default())?;
//! let mut buf = pool.get_serialization_buffer();
//! buf.extend_from_slice(b"payload");
//! assert_eq!(pool.return_serialization_buffer(buf), ReturnOutcome::Accepted);
//! // A buffer far outside the window is counted and dropped, not kept.
//! let tiny = Vec::with_capacity(16);
//! assert_eq!(pool.return_serialization_buffer(tiny), ReturnOutcome::TooSmall);
//! assert_eq!(pool.stats().serialization.rejected_too_small, 1);
//! # Ok::<(), verified_pools::pool::ConfigError>(())
//! ```

mod capped;
mod config;
mod guard;
mod kind;
mod kind_pool;
mod lend;
mod stats;
mod variant;

pub use crate::stack::ContentionStats;
pub use capped::Capped;
pub use config::{ConfigError, KindConfig, KindConfigError, PoolConfig};
pub(crate) use guard::sealed::{Sealed as HomeSealed, Token};
pub use guard::{Guard, Home, OwnedKindBuf, OwnedPooledBuf, PooledBuf};
pub use kind::{
    BufferKind, Compression, KindId, ProvidedKind, Serialization, Simd, default_window,
};
pub use kind_pool::{KindPool, Shelf};
pub(crate) use lend::Place;
#[cfg(any(loom, shuttle))]
pub use lend::{COUNT_AFTER_RESTORE, GUARD_FREES_PLACE};
pub use stats::{KindStats, ReturnOutcome};
pub use variant::{Epoch, PointerNode, Tagged, Variant};

use core::fmt;
use std::sync::Arc;

use simd_aligned::VecSimd;
use wide::f64x4;

/// Pre-allocated `Vec<u8>` and `VecSimd<f64x4>` buffers, handed out and taken
/// back lock-free. `V` picks the free list ([`Tagged`] by default).
pub struct BufferPool<V: Variant = Tagged> {
    serialization: KindPool<Serialization, V>,
    compression: KindPool<Compression, V>,
    simd: KindPool<Simd, V>,
    config: PoolConfig,
}

/// Statistics of all three kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Serialization buffers.
    pub serialization: KindStats,
    /// Compression buffers.
    pub compression: KindStats,
    /// SIMD buffers.
    pub simd: KindStats,
}

impl PoolStats {
    /// The statistics of `kind`.
    pub fn of(&self, kind: KindId) -> &KindStats {
        match kind {
            KindId::Serialization => &self.serialization,
            KindId::Compression => &self.compression,
            KindId::Simd => &self.simd,
        }
    }
}

impl<V: Variant> BufferPool<V> {
    /// Validates `config` and pre-allocates `config.count` buffers of each
    /// kind.
    ///
    /// Errors: everything [`PoolConfig::validate`] rejects (zero count or
    /// size, a size whose window or allocation would overflow, a count above
    /// [`MAX_INDEXED`](crate::stack::MAX_INDEXED)), and
    /// [`ConfigError::OutOfMemory`] when the allocator refuses a
    /// pre-allocation of any kind (nothing is leaked: the buffers made so
    /// far are freed).
    ///
    /// ```
    /// use verified_pools::pool::{BufferPool, ConfigError, Epoch, PoolConfig};
    ///
    /// let config = PoolConfig { count: 4, ..PoolConfig::default() };
    /// let pool: BufferPool<Epoch> = BufferPool::new(config)?;
    /// assert_eq!(pool.stats().simd.pooled, 4);
    ///
    /// let too_many = PoolConfig { count: 1 << 24, ..config };
    /// assert!(matches!(
    ///     BufferPool::<verified_pools::pool::Tagged>::new(too_many),
    ///     Err(ConfigError::CountTooLarge { .. })
    /// ));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn new(config: PoolConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            serialization: part(&config)?,
            compression: part(&config)?,
            simd: part(&config)?,
            config,
        })
    }

    /// The configuration the pool was built with.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// The part of kind `K`: a [`KindPool`] with its own
    /// get/return/guard/stats.
    #[inline]
    pub fn shelf<K: ProvidedKind>(&self) -> &KindPool<K, V> {
        K::shelf_of(self)
    }

    /// A cleared buffer of kind `K` (see [`Shelf::get`]).
    #[inline]
    pub fn get<K: ProvidedKind>(&self) -> K::Buffer {
        self.shelf::<K>().get()
    }

    /// Offers a buffer of kind `K` back (see [`Shelf::give_back`]).
    #[inline]
    pub fn give_back<K: ProvidedKind>(&self, buffer: K::Buffer) -> ReturnOutcome {
        self.shelf::<K>().give_back(buffer)
    }

    /// A cleared buffer of kind `K` in a guard.
    #[inline]
    pub fn guard<K: ProvidedKind>(&self) -> PooledBuf<'_, K, V> {
        self.shelf::<K>().guard()
    }

    /// A cleared buffer of kind `K` in a guard holding an `Arc` of the pool:
    /// it may outlive the borrow of `self`, move into `thread::spawn` or a
    /// task, and go back wherever it is dropped.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use verified_pools::pool::{BufferPool, PoolConfig, Serialization};
    ///
    /// let pool: Arc<BufferPool> = Arc::new(BufferPool::new(PoolConfig::default())?);
    /// let mut buf = pool.guard_owned::<Serialization>();
    /// buf.extend_from_slice(b"crosses threads");
    /// std::thread::spawn(move || assert_eq!(&buf[..], b"crosses threads"))
    ///     .join()
    ///     .unwrap(); // dropped on the worker: back in the pool
    /// assert_eq!(pool.stats().serialization.returns_accepted, 1);
    /// # Ok::<(), verified_pools::pool::ConfigError>(())
    /// ```
    #[inline]
    pub fn guard_owned<K: ProvidedKind>(self: &Arc<Self>) -> OwnedPooledBuf<K, V> {
        let (buffer, place) = self.shelf::<K>().lend();
        Guard::lent(buffer, Arc::clone(self), place)
    }

    /// A cleared buffer of kind `K`, or `None` when the kind is empty:
    /// back-pressure instead of an allocation. Each `None` is counted in
    /// [`KindStats::try_get_empty`] (it is not a miss).
    ///
    /// ```
    /// use verified_pools::pool::{BufferPool, PoolConfig, Serialization};
    ///
    /// let pool: BufferPool = BufferPool::new(PoolConfig { count: 1, ..PoolConfig::default() })?;
    /// let held = pool.try_get::<Serialization>().expect("one buffer is free");
    /// assert!(pool.try_get_serialization_buffer().is_none()); // empty: nothing allocated
    /// pool.return_serialization_buffer(held);
    /// assert!(pool.try_guard::<Serialization>().is_some());
    /// let s = pool.stats().serialization;
    /// assert_eq!((s.hits, s.misses, s.try_get_empty, s.fresh_allocations), (2, 0, 1, 1));
    /// # Ok::<(), verified_pools::pool::ConfigError>(())
    /// ```
    #[inline]
    pub fn try_get<K: ProvidedKind>(&self) -> Option<K::Buffer> {
        self.shelf::<K>().try_get()
    }

    /// A cleared buffer of kind `K` in a guard, or `None` when the kind is
    /// empty (see [`try_get`](Self::try_get)).
    #[inline]
    pub fn try_guard<K: ProvidedKind>(&self) -> Option<PooledBuf<'_, K, V>> {
        self.shelf::<K>().try_guard()
    }

    /// A cleared serialization buffer, or `None` without allocating when the
    /// pool has none (see [`try_get`](Self::try_get)).
    #[inline]
    pub fn try_get_serialization_buffer(&self) -> Option<Vec<u8>> {
        self.serialization.try_get()
    }

    /// A cleared compression buffer, or `None` without allocating when the
    /// pool has none (see [`try_get`](Self::try_get)).
    #[inline]
    pub fn try_get_compression_buffer(&self) -> Option<Vec<u8>> {
        self.compression.try_get()
    }

    /// A zero-filled SIMD buffer, or `None` without allocating when the pool
    /// has none (see [`try_get`](Self::try_get)).
    #[inline]
    pub fn try_get_simd_buffer(&self) -> Option<VecSimd<f64x4>> {
        self.simd.try_get()
    }

    /// A cleared serialization buffer; allocates (and counts a miss) only
    /// when the pool has none.
    #[inline]
    pub fn get_serialization_buffer(&self) -> Vec<u8> {
        self.serialization.get()
    }

    /// Offers a serialization buffer back; kept only if its capacity is in
    /// the window and the kind is below its bound.
    #[inline]
    pub fn return_serialization_buffer(&self, buffer: Vec<u8>) -> ReturnOutcome {
        self.serialization.give_back(buffer)
    }

    /// A serialization buffer in a guard.
    #[inline]
    pub fn serialization_guard(&self) -> PooledBuf<'_, Serialization, V> {
        self.serialization.guard()
    }

    /// A cleared compression buffer; allocates (and counts a miss) only when
    /// the pool has none.
    #[inline]
    pub fn get_compression_buffer(&self) -> Vec<u8> {
        self.compression.get()
    }

    /// Offers a compression buffer back; kept only if its capacity is in the
    /// window and the kind is below its bound.
    #[inline]
    pub fn return_compression_buffer(&self, buffer: Vec<u8>) -> ReturnOutcome {
        self.compression.give_back(buffer)
    }

    /// A compression buffer in a guard.
    #[inline]
    pub fn compression_guard(&self) -> PooledBuf<'_, Compression, V> {
        self.compression.guard()
    }

    /// A zero-filled SIMD buffer; allocates (and counts a miss) only when
    /// the pool has none.
    ///
    /// ```
    /// use verified_pools::pool::{BufferPool, PoolConfig, ReturnOutcome};
    ///
    /// let pool: BufferPool = BufferPool::new(PoolConfig::default())?;
    /// let mut v = pool.get_simd_buffer();
    /// v.flat_mut()[0] = 1.5;
    /// assert_eq!(pool.return_simd_buffer(v), ReturnOutcome::Accepted);
    /// assert_eq!(pool.get_simd_buffer().flat()[0], 0.0); // zeroed on reuse
    /// # Ok::<(), verified_pools::pool::ConfigError>(())
    /// ```
    #[inline]
    pub fn get_simd_buffer(&self) -> VecSimd<f64x4> {
        self.simd.get()
    }

    /// Offers a SIMD buffer back; kept only if its flat length is in the
    /// window and the kind is below its bound.
    #[inline]
    pub fn return_simd_buffer(&self, buffer: VecSimd<f64x4>) -> ReturnOutcome {
        self.simd.give_back(buffer)
    }

    /// A SIMD buffer in a guard.
    #[inline]
    pub fn simd_guard(&self) -> PooledBuf<'_, Simd, V> {
        self.simd.guard()
    }

    /// Statistics of every kind.
    ///
    /// Counters are `Relaxed` and independent: each stored count (misses,
    /// accepted and rejected returns, take-outs) is monotone, and every
    /// figure — including the derived `hits`, `pooled` and `in_use` — is
    /// **exact at quiescence**, i.e. when no pool call is in flight and the
    /// reader has synchronised with the threads that made them (joined
    /// them, say). While calls are in flight a snapshot may be off by those
    /// calls. `peak_in_use` is the exact maximum of `in_use` over the
    /// history once the gets that set it have returned.
    ///
    /// ```
    /// use verified_pools::pool::{BufferPool, PoolConfig};
    ///
    /// let pool: BufferPool = BufferPool::new(PoolConfig { count: 1, ..PoolConfig::default() })?;
    /// let a = pool.get_compression_buffer(); // hit
    /// let b = pool.get_compression_buffer(); // miss: allocated
    /// pool.return_compression_buffer(a);     // accepted
    /// pool.return_compression_buffer(b);     // rejected: the kind is full
    /// let s = pool.stats().compression;
    /// assert_eq!((s.hits, s.misses, s.returns_accepted, s.rejected_pool_full), (1, 1, 1, 1));
    /// assert_eq!((s.pooled, s.in_use, s.peak_in_use), (1, 0, 2));
    /// # Ok::<(), verified_pools::pool::ConfigError>(())
    /// ```
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            serialization: self.serialization.stats(),
            compression: self.compression.stats(),
            simd: self.simd.stats(),
        }
    }

    /// Restarts every count from zero. `pooled` and `in_use` describe the
    /// present and are unchanged; `peak_in_use` restarts at `in_use`. Meant
    /// for quiescence: calls in flight may be counted on either side.
    pub fn reset_stats(&self) {
        self.serialization.reset_stats();
        self.compression.reset_stats();
        self.simd.reset_stats();
    }
}

impl<V: Variant> fmt::Debug for BufferPool<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("variant", &V::NAME)
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

/// The part of a pool built from `config` for the provided kind `K`.
fn part<K: ProvidedKind, V: Variant>(config: &PoolConfig) -> Result<KindPool<K, V>, ConfigError> {
    KindPool::build(config.size_of(K::ID), config.count).map_err(|e| e.map_kind(|()| K::ID))
}

impl kind::sealed::Sealed for Serialization {
    #[inline(always)]
    fn shelf_of<V: Variant>(pool: &BufferPool<V>) -> &KindPool<Self, V> {
        &pool.serialization
    }
}

impl kind::sealed::Sealed for Compression {
    #[inline(always)]
    fn shelf_of<V: Variant>(pool: &BufferPool<V>) -> &KindPool<Self, V> {
        &pool.compression
    }
}

impl kind::sealed::Sealed for Simd {
    #[inline(always)]
    fn shelf_of<V: Variant>(pool: &BufferPool<V>) -> &KindPool<Self, V> {
        &pool.simd
    }
}
