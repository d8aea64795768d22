//! A thread-local cache front for the typed pool, in the magazine style
//! (Bonwick & Adams, 2001): steady-state get + return touch only the calling
//! thread's own cache — no atomic read-modify-write, no lock, no allocation.
//!
//! A [`TlsPool`] is a [`BufferPool`] plus, per kind:
//!
//! * a **depot** of full magazines (`depot.rs`): whole batches of
//!   `batch = ⌈per_thread / 2⌉` buffers pushed and popped with one CAS on
//!   its list;
//! * **room** (`cache.rs`): the count of free places, which keeps the pool's
//!   bound exact — at most `count` buffers per kind are pooled, cached or not;
//! * the **loose list** (the shelf's own free list): the pre-allocation and
//!   overflow, taken one buffer at a time;
//! * one **cache per thread** (a slot of the registry, `registry.rs`, found
//!   through the thread's table, `local.rs`): a stack of at most
//!   `per_thread` buffers and the places reserved for them.
//!
//! A get pops the thread's cache. An empty cache gives its free places back
//! to `room`, then takes a whole magazine from the depot, else one buffer
//! from the loose list (whose place goes straight to `room`), else
//! allocates (a miss). A get that would leave more than `batch` free places
//! in the cache gives most of them back. A return pushes into the cache if
//! it has a free place; else it first moves its bottom batch to the depot
//! if it holds one, then claims places from `room` — one, doubling up to a
//! batch while the thread only returns — and none left means the pool is
//! full.
//!
//! # Contract: no spurious misses or refusals, within a stated slack
//! Per kind, with `batch = ⌈per_thread / 2⌉`:
//!
//! * **Bound** (exact): at most `count` buffers are pooled, in the shared
//!   lists and all caches together, at every instant.
//! * **Returns**: a return is refused ([`ReturnOutcome::PoolFull`]) only
//!   when the shared room is empty and the returning thread's cache has no
//!   free place, i.e. when at least `count − batch × (other threads holding
//!   a cache)` buffers are pooled: each other cache holds at most `batch`
//!   free places between its owner's calls (a thread whose cache ran empty
//!   holds none).
//! * **Gets**: a get misses only when its own cache, the depot and the
//!   loose list are empty, i.e. every pooled buffer sits in another
//!   thread's cache: at most `batch` in the cache of a thread that only
//!   returns, at most `per_thread` in one that also gets (its own gets
//!   drain it). A thread's first gets take one buffer each, so threads that
//!   each use one buffer take one each.
//! * **Cost**: a thread that holds at most `batch` buffers at a time gets
//!   and returns with no atomic read-modify-write. A thread that only gets
//!   or only returns (a hand-off) pays a few atomics per batch: a depot
//!   pop or push and one `room` update.
//! * With one thread every outcome (hit, miss, accepted, pool full, and
//!   which buffer comes back) is the plain pool's.
//!
//! In a hand-off (one thread gets, another returns), the two caches hold at
//! most a batch each, so with `count ≥ in flight + 2 × batch` every get
//! hits and no return is refused once the first batch has gone round
//! (`tests/tls_threads.rs` measures it; `proofs/spin/tls.pml` checks the
//! rules in every interleaving of a small configuration).
//!
//! # Invariants (details in each file)
//! 1. Places: `room + Σ cache places + depot + loose = count` (plus those
//!    in one thread's hands mid-call), so at most `count` buffers of a kind
//!    are pooled.
//! 2. Every buffer has exactly one owner: a cache, the depot, the loose list
//!    or one caller. A cache is touched only by the thread owning its slot.
//! 3. Memory: besides the pooled buffers (≤ `count` per kind), a slot per
//!    thread using the pool at once, each with three `Vec`s of `per_thread`
//!    handles, and the depot's `count / batch + min(count, 16)` magazines
//!    of `batch` handles.
//! 4. No loss: a thread that exits (or calls [`TlsPool::flush_local`])
//!    moves its cached buffers to the depot and its free places to `room`;
//!    dropping the pool frees every buffer not in a cache being flushed at
//!    that moment, and those are freed with the last reference.
//!
//! # Linearization points
//! A cache hit or a return into a free cached place: the owner's step on its
//! own cache (invisible to other threads). A refill: the depot pop's CAS (or
//! the loose list's pop, or the pop that finds it empty: a miss). A return
//! needing a place: the `room` CAS granting it, or the load that finds none
//! (pool full). Window rejections need no shared state.
//!
//! ```
//! use verified_pools::pool::{PoolConfig, ReturnOutcome, Serialization};
//! use verified_pools::tls::{TlsConfig, TlsPool};
//!
//! let pool: TlsPool = TlsPool::new(TlsConfig {
//!     pool: PoolConfig { count: 8, ..PoolConfig::default() },
//!     per_thread: 4,
//! })?;
//! let mut buf = pool.get::<Serialization>();
//! buf.extend_from_slice(b"payload");
//! assert_eq!(pool.give_back::<Serialization>(buf), ReturnOutcome::Accepted);
//! let s = pool.stats();
//! assert_eq!((s.serialization.pool.hits, s.serialization.pool.pooled), (1, 8));
//! assert_eq!(s.serialization.cached, 1); // one buffer came to this thread
//! # Ok::<(), verified_pools::tls::TlsConfigError>(())
//! ```

mod cache;
mod config;
mod depot;
mod local;
mod owned;
mod registry;
mod stats;

pub use config::{MAX_PER_THREAD, TlsConfig, TlsConfigError};
pub use owned::OwnedCachedBuf;
pub use stats::{TlsKindStats, TlsStats};

use core::fmt;

use simd_aligned::VecSimd;
use wide::f64x4;

use crate::pool::{
    BufferPool, Compression, ConfigError, Guard, Home, HomeSealed, KindStats, ProvidedKind,
    ReturnOutcome, Serialization, Simd, Tagged, Token, Variant,
};
use crate::stack::{CapacityError, FreeList};
use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering::Relaxed};

use cache::{Counts, Front, KindCache};
use depot::Depot;
use local::Registration;
use registry::{Registry, Slot};

/// A kind the cache front serves: the pool's three
/// [`ProvidedKind`]s.
pub trait CachedKind: ProvidedKind + sealed::Sealed {}

impl CachedKind for Serialization {}
impl CachedKind for Compression {}
impl CachedKind for Simd {}

mod sealed {
    use super::{Front, Inner, KindCache, Slot, Variant};
    use crate::pool::ProvidedKind;

    /// Maps a kind to its part of the shared state and of a slot.
    pub trait Sealed: ProvidedKind {
        fn front<V: Variant>(inner: &Inner<V>) -> &Front<Self>;
        fn cache(slot: &Slot) -> &KindCache<Self>;
    }

    impl Sealed for crate::pool::Serialization {
        #[inline(always)]
        fn front<V: Variant>(inner: &Inner<V>) -> &Front<Self> {
            &inner.serialization
        }
        #[inline(always)]
        fn cache(slot: &Slot) -> &KindCache<Self> {
            &slot.serialization
        }
    }

    impl Sealed for crate::pool::Compression {
        #[inline(always)]
        fn front<V: Variant>(inner: &Inner<V>) -> &Front<Self> {
            &inner.compression
        }
        #[inline(always)]
        fn cache(slot: &Slot) -> &KindCache<Self> {
            &slot.compression
        }
    }

    impl Sealed for crate::pool::Simd {
        #[inline(always)]
        fn front<V: Variant>(inner: &Inner<V>) -> &Front<Self> {
            &inner.simd
        }
        #[inline(always)]
        fn cache(slot: &Slot) -> &KindCache<Self> {
            &slot.simd
        }
    }
}

/// Nominally `pub` (the sealed trait's signatures name it) but in a private
/// module: no path outside `tls` reaches it.
mod shared {
    use super::{
        AtomicBool, BufferPool, Compression, Front, Registry, Serialization, Simd, TlsConfig,
        Variant,
    };

    /// The state shared by a pool's handle and every thread caching for it.
    pub struct Inner<V: Variant> {
        /// Windows, sizes and the loose lists (each shelf's free list).
        pub(super) pool: BufferPool<V>,
        pub(super) serialization: Front<Serialization>,
        pub(super) compression: Front<Compression>,
        pub(super) simd: Front<Simd>,
        pub(super) registry: Registry,
        /// Set when the handle is dropped: late flushes free their buffers.
        pub(super) closed: AtomicBool,
        pub(super) config: TlsConfig,
    }
}
use shared::Inner;

impl<V: Variant> Inner<V> {
    fn is_closed(&self) -> bool {
        // Relaxed: a stale `false` only sends a late flush to the depot,
        // whose buffers are freed with the last reference (invariant 4).
        self.closed.load(Relaxed)
    }

    /// Flushes (or, if closed, discards) every kind of `slot`.
    ///
    /// # Safety
    /// The caller owns `slot` (won its state CAS).
    unsafe fn flush_slot(&self, slot: &Slot) {
        let closed = self.is_closed();
        // SAFETY: forwarded from the caller.
        unsafe {
            self.flush_kind::<Serialization>(slot, closed);
            self.flush_kind::<Compression>(slot, closed);
            self.flush_kind::<Simd>(slot, closed);
        }
    }

    /// # Safety
    /// As [`Self::flush_slot`].
    unsafe fn flush_kind<K: CachedKind>(&self, slot: &Slot, closed: bool) {
        let loose = self.pool.shelf::<K>().free_list();
        // SAFETY: forwarded from the caller.
        unsafe { K::front(self).flush(K::cache(slot), loose, closed) }
    }

    /// Gives a slot back: flush, then FREE.
    fn release_slot(&self, slot: &Slot) {
        if Registry::begin_release(slot) {
            // SAFETY: `begin_release` moved the slot OWNED → EXITING for us.
            unsafe { self.flush_slot(slot) };
            Registry::end_release(slot);
        }
    }
}

impl<V: Variant> Registration for Arc<Inner<V>> {
    fn release(&self, slot: &Slot) {
        self.release_slot(slot);
    }

    fn closed(&self) -> bool {
        self.is_closed()
    }
}

/// A [`BufferPool`] behind per-thread caches: get + return with no atomic
/// read-modify-write in the steady state. `V` picks the pool's own free list
/// (the depot is always a tagged stack of magazines).
///
/// The handle is not `Clone`; share it by reference or in an `Arc`. Threads
/// register on their first call (a slot claimed lock-free) and give their
/// cache back when they exit.
pub struct TlsPool<V: Variant = Tagged> {
    inner: Arc<Inner<V>>,
}

/// Depot magazines beyond `count / batch`, for partial batches.
const PARTIAL_MAGAZINES: usize = 16;

/// The behaviour mutants of the front, for the models (`mutation::is_active`
/// is a constant `false` outside a model run). Public only in model builds.
mod mutants {
    /// A get keeps every free place it makes in its own cache (no give-back
    /// to `room`).
    pub const HOARD_PLACES: &str = "tls.hoard_places";

    /// A cache that only receives returns keeps up to `per_thread` buffers
    /// before moving a batch to the depot (the old rule).
    pub const HOARD_ITEMS: &str = "tls.hoard_items";
}
#[cfg(any(loom, shuttle))]
pub use mutants::{HOARD_ITEMS, HOARD_PLACES};
#[cfg(not(any(loom, shuttle)))]
use mutants::{HOARD_ITEMS, HOARD_PLACES};

fn depot_error(e: CapacityError) -> TlsConfigError {
    TlsConfigError::Pool(match e {
        CapacityError::Zero => ConfigError::ZeroCount,
        CapacityError::TooLarge { requested, max } => ConfigError::CountTooLarge { requested, max },
    })
}

fn front<K: CachedKind>(config: &TlsConfig) -> Result<Front<K>, TlsConfigError> {
    let batch = config.batch();
    let count = config.pool.count;
    // Whole batches of the count, plus room for a few partial magazines
    // (a cache given back at thread exit); past those, the loose list.
    let slots = count / batch + count.min(PARTIAL_MAGAZINES);
    let depot = Depot::new(slots, batch).map_err(depot_error)?;
    // The pre-allocation stays on the shelf's free list (the loose list):
    // a thread's first get takes one buffer from it, not a batch.
    Ok(Front::new(
        depot,
        config.pool.size_of(K::ID),
        count,
        config.per_thread,
    ))
}

impl<V: Variant> TlsPool<V> {
    /// Validates `config`, pre-allocates `count` buffers of each kind and
    /// moves whole batches of them into the depots.
    ///
    /// ```
    /// use verified_pools::pool::PoolConfig;
    /// use verified_pools::tls::{TlsConfig, TlsConfigError, TlsPool};
    ///
    /// let pool = PoolConfig { count: 4, ..PoolConfig::default() };
    /// let err = TlsPool::<verified_pools::pool::Tagged>::new(TlsConfig { pool, per_thread: 5 });
    /// assert_eq!(err.err(), Some(TlsConfigError::PerThreadTooLarge { requested: 5, max: 4 }));
    /// ```
    pub fn new(config: TlsConfig) -> Result<Self, TlsConfigError> {
        config.validate()?;
        let pool = BufferPool::<V>::new(config.pool)?;
        let inner = Inner {
            serialization: front::<Serialization>(&config)?,
            compression: front::<Compression>(&config)?,
            simd: front::<Simd>(&config)?,
            pool,
            registry: Registry::new(config.per_thread),
            closed: AtomicBool::new(false),
            config,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The configuration the pool was built with.
    pub fn config(&self) -> &TlsConfig {
        &self.inner.config
    }

    #[inline(always)]
    fn key(&self) -> *const () {
        Arc::as_ptr(&self.inner).cast()
    }

    /// Runs `f` on this thread's slot (registering on first use). When the
    /// thread's table is gone (thread-local destructors running), borrows a
    /// slot for the one call and gives it straight back.
    ///
    /// Both cases hand `f` a slot pointer, so `f` is inlined once and its
    /// result stays in registers (no return slot in memory).
    #[inline(always)]
    fn with_slot<R>(&self, f: impl FnOnce(&Inner<V>, &Slot) -> R) -> R {
        let inner = &*self.inner;
        let (slot, borrowed) = match local::slot_of(self.key(), || self.register()) {
            Some(slot) => (slot, false),
            None => (self.borrow_slot(), true),
        };
        // SAFETY: the slot is this thread's (its table entry, which lives
        // while the entry's `Arc` does — at least as long as `&self`), or
        // claimed just now for this one call.
        let r = f(inner, unsafe { &*slot });
        if borrowed {
            // SAFETY: as above.
            inner.release_slot(unsafe { &*slot });
        }
        r
    }

    /// Claims a slot for this thread's table entry (first use).
    #[cold]
    #[inline(never)]
    fn register(&self) -> (*const Slot, Box<dyn Registration>) {
        let slot: *const Slot = self.inner.registry.claim();
        (slot, Box::new(Arc::clone(&self.inner)))
    }

    /// Claims a slot for one call (the thread's table is gone).
    #[cold]
    #[inline(never)]
    fn borrow_slot(&self) -> *const Slot {
        self.inner.registry.claim()
    }

    /// A cleared buffer of kind `K`: from this thread's cache, else a batch
    /// from the depot, else the pool's free list, else freshly allocated (a
    /// miss, counted).
    #[inline]
    pub fn get<K: CachedKind>(&self) -> K::Buffer {
        self.with_slot(|inner, slot| {
            let loose = inner.pool.shelf::<K>().free_list();
            // SAFETY: `with_slot` hands us a slot this thread owns.
            unsafe { K::front(inner).get(K::cache(slot), loose) }
        })
    }

    /// A cleared buffer of kind `K`, or `None` without allocating when this
    /// thread's cache, the depot and the loose list are empty: back-pressure
    /// instead of a miss. Each `None` is counted in
    /// [`KindStats::try_get_empty`] (it is not a get, so not a miss). Under
    /// the contract's slack, buffers in other threads' caches are out of
    /// reach (a `get` would miss there too).
    ///
    /// ```
    /// use verified_pools::pool::{PoolConfig, Serialization};
    /// use verified_pools::tls::{TlsConfig, TlsPool};
    ///
    /// let pool: TlsPool = TlsPool::new(TlsConfig {
    ///     pool: PoolConfig { count: 1, ..PoolConfig::default() },
    ///     per_thread: 1,
    /// })?;
    /// let held = pool.try_get::<Serialization>().expect("one buffer is free");
    /// assert!(pool.try_get::<Serialization>().is_none()); // nothing allocated
    /// pool.give_back::<Serialization>(held);
    /// assert!(pool.try_guard::<Serialization>().is_some());
    /// let s = pool.stats().serialization.pool;
    /// assert_eq!((s.hits, s.misses, s.try_get_empty, s.fresh_allocations), (2, 0, 1, 1));
    /// # Ok::<(), verified_pools::tls::TlsConfigError>(())
    /// ```
    #[inline]
    pub fn try_get<K: CachedKind>(&self) -> Option<K::Buffer> {
        self.with_slot(|inner, slot| {
            let loose = inner.pool.shelf::<K>().free_list();
            // SAFETY: `with_slot` hands us a slot this thread owns.
            unsafe { K::front(inner).try_get(K::cache(slot), loose) }
        })
    }

    /// A cleared buffer of kind `K` in a guard, or `None` without allocating
    /// (see [`try_get`](Self::try_get)).
    #[inline]
    pub fn try_guard<K: CachedKind>(&self) -> Option<CachedBuf<'_, K, V>> {
        self.try_get::<K>().map(|buffer| Guard::new(buffer, self))
    }

    /// Offers a buffer of kind `K` back: kept (in this thread's cache) if
    /// its size is in the kind's window and the pool holds fewer than
    /// `count`, else dropped. Either way the outcome is counted.
    #[inline]
    pub fn give_back<K: CachedKind>(&self, buffer: K::Buffer) -> ReturnOutcome {
        self.with_slot(|inner, slot| {
            let loose = inner.pool.shelf::<K>().free_list();
            // SAFETY: `with_slot` hands us a slot this thread owns.
            unsafe { K::front(inner).give_back(K::cache(slot), loose, buffer) }
        })
    }

    /// A cleared buffer of kind `K` in a guard that gives it back (through
    /// the dropping thread's cache) when dropped.
    #[inline]
    pub fn guard<K: CachedKind>(&self) -> CachedBuf<'_, K, V> {
        Guard::new(self.get::<K>(), self)
    }

    fn note_taken_out<K: CachedKind>(&self) {
        self.with_slot(|inner, slot| {
            // SAFETY: `with_slot` hands us a slot this thread owns.
            unsafe { K::front(inner).note_taken_out(K::cache(slot)) }
        })
    }

    /// A cleared serialization buffer (see [`get`](Self::get)).
    #[inline]
    pub fn get_serialization_buffer(&self) -> Vec<u8> {
        self.get::<Serialization>()
    }

    /// Offers a serialization buffer back (see [`give_back`](Self::give_back)).
    #[inline]
    pub fn return_serialization_buffer(&self, buffer: Vec<u8>) -> ReturnOutcome {
        self.give_back::<Serialization>(buffer)
    }

    /// A cleared compression buffer (see [`get`](Self::get)).
    #[inline]
    pub fn get_compression_buffer(&self) -> Vec<u8> {
        self.get::<Compression>()
    }

    /// Offers a compression buffer back (see [`give_back`](Self::give_back)).
    #[inline]
    pub fn return_compression_buffer(&self, buffer: Vec<u8>) -> ReturnOutcome {
        self.give_back::<Compression>(buffer)
    }

    /// A zero-filled SIMD buffer (see [`get`](Self::get)).
    #[inline]
    pub fn get_simd_buffer(&self) -> VecSimd<f64x4> {
        self.get::<Simd>()
    }

    /// Offers a SIMD buffer back (see [`give_back`](Self::give_back)).
    #[inline]
    pub fn return_simd_buffer(&self, buffer: VecSimd<f64x4>) -> ReturnOutcome {
        self.give_back::<Simd>(buffer)
    }

    /// Gives this thread's cache back to the pool now (as thread exit
    /// does): its buffers go to the depot, its free places to the shared
    /// room. The next call from this thread registers again. A thread that
    /// stops using the pool for a while can call it so that its cached
    /// buffers serve other threads meanwhile.
    pub fn flush_local(&self) {
        local::release(self.key());
    }

    /// Statistics of every kind and of the caches. Exact at quiescence —
    /// no call in flight and the reader synchronised with the threads that
    /// made them (joined them, say) — including buffers sitting in thread
    /// caches; see [`TlsKindStats::pool`] for `peak_in_use`.
    pub fn stats(&self) -> TlsStats {
        let inner = &*self.inner;
        let (mut threads, mut slots) = (0, 0);
        for slot in inner.registry.iter() {
            slots += 1;
            threads += usize::from(slot.is_owned());
        }
        TlsStats {
            serialization: self.kind_stats::<Serialization>(),
            compression: self.kind_stats::<Compression>(),
            simd: self.kind_stats::<Simd>(),
            threads,
            slots,
            per_thread_capacity: inner.config.per_thread,
            batch: inner.config.batch(),
        }
    }

    /// Raw totals of kind `K` over every slot: counts, cached, places, and
    /// the sum of the slots' peaks.
    fn totals<K: CachedKind>(&self) -> (Counts, usize, usize, usize) {
        let inner = &*self.inner;
        let (mut sum, mut cached, mut places, mut peak) =
            (Counts::default(), 0usize, 0usize, 0usize);
        for slot in inner.registry.iter() {
            let r = K::cache(slot).read();
            sum.add(&r.counts);
            cached = cached.wrapping_add(r.counts.cached());
            places = places.wrapping_add(r.places);
            peak = peak.wrapping_add(r.peak);
        }
        (sum, cached, places, peak)
    }

    fn kind_stats<K: CachedKind>(&self) -> TlsKindStats {
        let front = K::front(&*self.inner);
        let (raw, cached, places, peak) = self.totals::<K>();
        let base = &front.base;
        // Relaxed (every baseline load): statistics only.
        let since = |now: usize, at: &AtomicUsize| non_negative(now.wrapping_sub(at.load(Relaxed)));
        let misses = since(raw.misses, &base.misses);
        let prealloc = if base.reset.load(Relaxed) == 0 {
            front.count
        } else {
            0
        };
        let in_use = non_negative(raw.in_use());
        // One slot: every call went through one cache, whose high-water mark
        // is the pool's. Several: the sum of the caches' marks bounds the
        // peak from above, and so does every buffer ever made (the
        // pre-allocation plus every miss, counted from the start, not since
        // a reset): nothing can be out that was never made.
        let peak_in_use_exact = inner_slots(&self.inner) <= 1;
        let peak_in_use = if peak_in_use_exact {
            peak.max(in_use)
        } else {
            peak.min(front.count.saturating_add(raw.misses)).max(in_use)
        };
        TlsKindStats {
            pool: KindStats {
                hits: since(raw.hits(), &base.hits),
                misses,
                fresh_allocations: prealloc.saturating_add(misses),
                returns_accepted: since(raw.accepted, &base.accepted),
                rejected_too_small: since(raw.too_small, &base.too_small),
                rejected_too_large: since(raw.too_large, &base.too_large),
                rejected_pool_full: since(raw.full, &base.full),
                taken_out: since(raw.taken_out, &base.taken_out),
                pooled: non_negative(
                    front
                        .count
                        .wrapping_add(raw.accepted)
                        .wrapping_sub(raw.hits()),
                ),
                in_use,
                peak_in_use,
                try_get_empty: since(raw.try_empty, &base.try_empty),
            },
            peak_in_use_exact,
            cached: non_negative(cached),
            reserved: non_negative(places.wrapping_sub(cached)),
        }
    }

    /// Restarts every count from zero; `pooled`, `in_use` and `cached`
    /// describe the present and are unchanged; `peak_in_use` restarts at
    /// `in_use` (each cache's peak at its own in-use figure). Meant for
    /// quiescence.
    pub fn reset_stats(&self) {
        self.reset_kind::<Serialization>();
        self.reset_kind::<Compression>();
        self.reset_kind::<Simd>();
    }

    fn reset_kind<K: CachedKind>(&self) {
        let (raw, ..) = self.totals::<K>();
        let base = &K::front(&*self.inner).base;
        // Relaxed (all): statistics only.
        base.hits.store(raw.hits(), Relaxed);
        base.misses.store(raw.misses, Relaxed);
        base.accepted.store(raw.accepted, Relaxed);
        base.too_small.store(raw.too_small, Relaxed);
        base.too_large.store(raw.too_large, Relaxed);
        base.full.store(raw.full, Relaxed);
        base.taken_out.store(raw.taken_out, Relaxed);
        base.try_empty.store(raw.try_empty, Relaxed);
        base.reset.store(1, Relaxed);
        for slot in self.inner.registry.iter() {
            let cache = K::cache(slot);
            cache.reset_peak(non_negative(cache.read().counts.in_use()));
        }
    }

    /// The underlying pool (windows, sizes, bound). Its own statistics do
    /// not see traffic through the caches; use [`stats`](Self::stats).
    pub fn pool(&self) -> &BufferPool<V> {
        &self.inner.pool
    }
}

/// Slots ever made in `inner`'s registry.
fn inner_slots<V: Variant>(inner: &Inner<V>) -> usize {
    inner.registry.iter().count()
}

/// Clamps a wrapping difference that should be non-negative to `0..`.
fn non_negative(value: usize) -> usize {
    if (value as isize) < 0 { 0 } else { value }
}

impl<V: Variant> Drop for TlsPool<V> {
    fn drop(&mut self) {
        let inner = &*self.inner;
        // Relaxed: threads that see it late flush into the depot, which the
        // last reference frees (invariant 4).
        inner.closed.store(true, Relaxed);
        for slot in inner.registry.iter() {
            if Registry::reclaim(slot) {
                // SAFETY: `reclaim` moved the slot to RECLAIMED for us; its
                // owner will never touch it again.
                unsafe {
                    discard_kind::<Serialization, V>(inner, slot);
                    discard_kind::<Compression, V>(inner, slot);
                    discard_kind::<Simd, V>(inner, slot);
                }
            }
        }
        drain::<Serialization, V>(inner);
        drain::<Compression, V>(inner);
        drain::<Simd, V>(inner);
    }
}

/// # Safety
/// The caller owns `slot` (reclaimed it).
unsafe fn discard_kind<K: CachedKind, V: Variant>(inner: &Inner<V>, slot: &Slot) {
    // SAFETY: forwarded from the caller.
    unsafe { K::front(inner).discard(K::cache(slot)) }
}

/// Frees the buffers in `K`'s depot and loose list now, rather than when the
/// last thread holding a reference exits.
fn drain<K: CachedKind, V: Variant>(inner: &Inner<V>) {
    let front = K::front(inner);
    let mut out = Vec::with_capacity(front.depot.batch());
    while front.depot.pop_batch(&mut out).is_some() {
        out.clear();
    }
    let loose = inner.pool.shelf::<K>().free_list();
    while loose.pop().is_some() {}
}

impl<V: Variant> fmt::Debug for TlsPool<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsPool")
            .field("variant", &V::NAME)
            .field("config", self.config())
            .field("stats", &self.stats())
            .finish()
    }
}

/// A cached buffer that goes back (through the dropping thread's cache)
/// when dropped: the pool's one [`Guard`], borrowing the front.
pub type CachedBuf<'pool, K, V = Tagged> = Guard<K, &'pool TlsPool<V>>;

impl<V: Variant> HomeSealed for &TlsPool<V> {}

impl<K: CachedKind, V: Variant> Home<K> for &TlsPool<V> {
    #[inline]
    fn give_back_loan(&self, buffer: K::Buffer, _: Token) -> ReturnOutcome {
        self.give_back::<K>(buffer)
    }

    #[inline]
    fn note_taken_out(&self, _: Token) {
        TlsPool::note_taken_out::<K>(self);
    }
}
