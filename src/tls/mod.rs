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
//! allocates (a miss). A get that would leave more than `spare = ⌈batch /
//! 2⌉` free places in the cache gives them all back. A return pushes into
//! the cache if it has a free place; else it first moves its bottom batch
//! to the depot if it holds one, then claims places from `room` — one,
//! doubling up to `spare` while the thread only returns — and none left
//! means the pool is full.
//!
//! # Contract: no spurious misses or refusals, within a stated slack
//! Per kind, with `batch = ⌈per_thread / 2⌉` and `spare = ⌈batch / 2⌉`:
//!
//! * **Bound** (exact): at most `count` buffers are pooled, in the shared
//!   lists and all caches together, at every instant.
//! * **Returns**: a return is refused ([`ReturnOutcome::PoolFull`]) only
//!   when the shared room is empty and the returning thread's cache has no
//!   free place, i.e. when at least `count − spare × (other threads holding
//!   a cache)` buffers are pooled: each other cache holds at most `spare`
//!   free places between its owner's calls (a thread whose cache ran empty
//!   holds none).
//! * **Gets**: a get misses only when its own cache, the depot and the
//!   loose list are empty, i.e. every pooled buffer sits in another
//!   thread's cache: at most `batch` in the cache of a thread that only
//!   returns, at most `per_thread` in one that also gets (its own gets
//!   drain it). A thread's first gets take one buffer each, so threads that
//!   each use one buffer take one each.
//! * **Cost**: a thread that holds at most `spare` buffers at a time gets
//!   and returns with no atomic read-modify-write. A thread that only gets
//!   or only returns (a hand-off) pays a few atomics per batch: a depot
//!   pop or push and two `room` updates.
//! * With one thread every outcome (hit, miss, accepted, pool full, and
//!   which buffer comes back) is the plain pool's.
//!
//! In a hand-off (one thread only gets, another only returns), a refused
//! return finds every free place in the getter's cache, at most `spare`;
//! its buffer is dropped, which leaves one more place free for good. So
//! with `count > in flight + batch + spare` no get ever misses and **at
//! most `spare` returns are refused in the whole run**, all while warming
//! up; after them every get hits and every return is accepted
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
mod shared;
mod single;
mod stats;

pub use config::{KindTlsConfig, MAX_PER_THREAD, TlsConfig, TlsConfigError};
pub use owned::OwnedCachedBuf;
pub use single::{KindCachedBuf, KindTlsPool, OwnedKindCachedBuf};
pub use stats::{TlsKindStats, TlsStats};

use core::fmt;

use simd_aligned::VecSimd;
use wide::f64x4;

use crate::pool::{
    BufferPool, Compression, ConfigError, Guard, Home, HomeSealed, Place, ProvidedKind,
    ReturnOutcome, Serialization, Simd, Tagged, Token, Variant,
};
use crate::stack::CapacityError;

use cache::{Front, KindCache};
use registry::SlotCaches;
use shared::{Core, Kinds, Serves, discard_kind, drain_kind, flush_kind, new_front};

/// A kind the cache front serves: the pool's three
/// [`ProvidedKind`]s. (A user kind gets the same front as a
/// [`KindTlsPool`].)
pub trait CachedKind: ProvidedKind + sealed::Sealed {}

impl CachedKind for Serialization {}
impl CachedKind for Compression {}
impl CachedKind for Simd {}

mod sealed {
    use super::{Front, KindCache, Provided, ProvidedCaches, Variant};
    use crate::pool::ProvidedKind;

    /// Maps a provided kind to its part of the shared state and of a slot.
    pub trait Sealed: ProvidedKind {
        fn front<V: Variant>(kinds: &Provided<V>) -> &Front<Self>;
        fn cache(caches: &ProvidedCaches) -> &KindCache<Self>;
    }

    macro_rules! provided {
        ($kind:ty, $field:ident) => {
            impl Sealed for $kind {
                #[inline(always)]
                fn front<V: Variant>(kinds: &Provided<V>) -> &Front<Self> {
                    &kinds.$field
                }
                #[inline(always)]
                fn cache(caches: &ProvidedCaches) -> &KindCache<Self> {
                    &caches.$field
                }
            }
        };
    }

    provided!(crate::pool::Serialization, serialization);
    provided!(crate::pool::Compression, compression);
    provided!(crate::pool::Simd, simd);
}

/// The three provided kinds' shared state: the pool (windows, sizes and
/// the loose lists: each kind pool's free list) and a front per kind.
/// Nominally `pub` (the sealed trait names it) but in a private module's
/// reach only.
pub struct Provided<V: Variant> {
    pool: BufferPool<V>,
    serialization: Front<Serialization>,
    compression: Front<Compression>,
    simd: Front<Simd>,
    config: TlsConfig,
}

/// One thread's caches of the three provided kinds.
pub struct ProvidedCaches {
    serialization: KindCache<Serialization>,
    compression: KindCache<Compression>,
    simd: KindCache<Simd>,
}

impl SlotCaches for ProvidedCaches {
    fn new(per_thread: usize) -> Self {
        Self {
            serialization: KindCache::new(per_thread),
            compression: KindCache::new(per_thread),
            simd: KindCache::new(per_thread),
        }
    }
}

impl<V: Variant> Kinds for Provided<V> {
    type Caches = ProvidedCaches;

    fn per_thread(&self) -> usize {
        self.config.per_thread
    }

    unsafe fn flush(&self, caches: &ProvidedCaches, closed: bool) {
        // SAFETY: forwarded from the caller.
        unsafe {
            flush_kind::<Serialization, _>(self, caches, closed);
            flush_kind::<Compression, _>(self, caches, closed);
            flush_kind::<Simd, _>(self, caches, closed);
        }
    }

    unsafe fn discard(&self, caches: &ProvidedCaches) {
        // SAFETY: forwarded from the caller.
        unsafe {
            discard_kind::<Serialization, _>(self, caches);
            discard_kind::<Compression, _>(self, caches);
            discard_kind::<Simd, _>(self, caches);
        }
    }

    fn drain(&self) {
        drain_kind::<Serialization, _>(self);
        drain_kind::<Compression, _>(self);
        drain_kind::<Simd, _>(self);
    }
}

impl<K: CachedKind, V: Variant> Serves<K> for Provided<V> {
    type Loose = V::List<K::Buffer>;

    #[inline(always)]
    fn front(&self) -> &Front<K> {
        K::front(self)
    }

    #[inline(always)]
    fn loose(&self) -> &V::List<K::Buffer> {
        self.pool.shelf::<K>().free_list()
    }

    #[inline(always)]
    fn cache(caches: &ProvidedCaches) -> &KindCache<K> {
        K::cache(caches)
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
    core: Core<Provided<V>>,
}

/// The behaviour mutants of the front, for the models (`mutation::is_active`
/// is a constant `false` outside a model run). Public only in model builds.
mod mutants {
    /// A get keeps every free place it makes in its own cache (no give-back
    /// to `room`).
    pub const HOARD_PLACES: &str = "tls.hoard_places";

    /// A cache that only receives returns keeps up to `per_thread` buffers
    /// before moving a batch to the depot (the old rule).
    pub const HOARD_ITEMS: &str = "tls.hoard_items";

    /// A get gives free places back only past `batch`, down to `batch / 2`
    /// (the rule before `spare`).
    pub const HALF_GIVE_BACK: &str = "tls.half_give_back";
}
#[cfg(any(loom, shuttle))]
pub use mutants::{HALF_GIVE_BACK, HOARD_ITEMS, HOARD_PLACES};
#[cfg(not(any(loom, shuttle)))]
use mutants::{HALF_GIVE_BACK, HOARD_ITEMS, HOARD_PLACES};

/// A depot that cannot be built, as the config error it stands for.
fn depot_error<Kind>(e: CapacityError) -> TlsConfigError<Kind> {
    TlsConfigError::Pool(match e {
        CapacityError::Zero => ConfigError::ZeroCount,
        CapacityError::TooLarge { requested, max } => ConfigError::CountTooLarge { requested, max },
    })
}

fn provided_front<K: CachedKind>(config: &TlsConfig) -> Result<Front<K>, TlsConfigError> {
    new_front(
        config.pool.size_of(K::ID),
        config.pool.count,
        config.per_thread,
    )
    .map_err(depot_error)
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
        Ok(Self {
            core: Core::new(Provided {
                serialization: provided_front(&config)?,
                compression: provided_front(&config)?,
                simd: provided_front(&config)?,
                pool,
                config,
            }),
        })
    }

    /// The configuration the pool was built with.
    pub fn config(&self) -> &TlsConfig {
        &self.core.kinds().config
    }

    /// A cleared buffer of kind `K`: from this thread's cache, else a batch
    /// from the depot, else the pool's free list, else freshly allocated (a
    /// miss, counted).
    #[inline]
    pub fn get<K: CachedKind>(&self) -> K::Buffer {
        self.core.get::<K>()
    }

    /// A cleared buffer of kind `K`, or `None` without allocating when this
    /// thread's cache, the depot and the loose list are empty: back-pressure
    /// instead of a miss. Each `None` is counted in
    /// [`KindStats::try_get_empty`](crate::pool::KindStats::try_get_empty) (it is not a get, so not a miss). Under
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
        self.core.try_get::<K>()
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
        self.core.give_back::<K>(buffer)
    }

    /// A cleared buffer of kind `K` in a guard that gives it back (through
    /// the dropping thread's cache) when dropped.
    #[inline]
    pub fn guard<K: CachedKind>(&self) -> CachedBuf<'_, K, V> {
        Guard::new(self.get::<K>(), self)
    }

    fn note_taken_out<K: CachedKind>(&self) {
        self.core.note_taken_out::<K>();
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
        self.core.flush_local();
    }

    /// Statistics of every kind and of the caches. Exact at quiescence —
    /// no call in flight and the reader synchronised with the threads that
    /// made them (joined them, say) — including buffers sitting in thread
    /// caches; see [`TlsKindStats::pool`] for `peak_in_use`.
    pub fn stats(&self) -> TlsStats {
        let (threads, slots) = self.core.threads_and_slots();
        let config = self.config();
        TlsStats {
            serialization: self.core.kind_stats::<Serialization>(),
            compression: self.core.kind_stats::<Compression>(),
            simd: self.core.kind_stats::<Simd>(),
            threads,
            slots,
            per_thread_capacity: config.per_thread,
            batch: config.batch(),
        }
    }

    /// Restarts every count from zero; `pooled`, `in_use` and `cached`
    /// describe the present and are unchanged; `peak_in_use` restarts at
    /// `in_use` (each cache's peak at its own in-use figure). Meant for
    /// quiescence.
    pub fn reset_stats(&self) {
        self.core.reset_kind::<Serialization>();
        self.core.reset_kind::<Compression>();
        self.core.reset_kind::<Simd>();
    }

    /// The underlying pool (windows, sizes, bound). Its own statistics do
    /// not see traffic through the caches; use [`stats`](Self::stats).
    pub fn pool(&self) -> &BufferPool<V> {
        &self.core.kinds().pool
    }
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
    unsafe fn give_back_loan(&self, buffer: K::Buffer, _: Place, _: Token) -> ReturnOutcome {
        // The front keeps no places: its guards carry `Place::NONE`.
        self.give_back::<K>(buffer)
    }

    #[inline]
    unsafe fn note_taken_out(&self, _: Place, _: Token) {
        TlsPool::note_taken_out::<K>(self);
    }
}
