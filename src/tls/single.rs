//! `KindTlsPool<K, V>`: the thread-local front for one kind — a user's own
//! [`BufferKind`] included — with the same caches, depot, room, contract,
//! outcomes and stats as [`TlsPool`](super::TlsPool), which is the same
//! front over the three provided kinds (see `shared.rs`).

use core::fmt;
use std::sync::Arc;

use crate::pool::{
    BufferKind, Guard, Home, HomeSealed, KindPool, Place, ReturnOutcome, Tagged, Token, Variant,
};

use super::cache::{Front, KindCache};
use super::config::{KindTlsConfig, TlsConfigError};
use super::depot_error;
use super::registry::SlotCaches;
use super::shared::{Core, Kinds, Serves, discard_kind, drain_kind, flush_kind, new_front};
use super::stats::TlsKindStats;

/// One kind's shared state: its pool (window, size and the loose list) and
/// its front. Nominally `pub` (the handle's private field names it) but
/// unreachable from outside `tls`.
pub struct Single<K: BufferKind, V: Variant> {
    pool: KindPool<K, V>,
    front: Front<K>,
    config: KindTlsConfig,
}

impl<K: BufferKind> SlotCaches for KindCache<K> {
    fn new(per_thread: usize) -> Self {
        KindCache::new(per_thread)
    }
}

impl<K: BufferKind, V: Variant> Kinds for Single<K, V> {
    type Caches = KindCache<K>;

    fn per_thread(&self) -> usize {
        self.config.per_thread
    }

    unsafe fn flush(&self, caches: &KindCache<K>, closed: bool) {
        // SAFETY: forwarded from the caller.
        unsafe { flush_kind::<K, _>(self, caches, closed) }
    }

    unsafe fn discard(&self, caches: &KindCache<K>) {
        // SAFETY: forwarded from the caller.
        unsafe { discard_kind::<K, _>(self, caches) }
    }

    fn drain(&self) {
        drain_kind::<K, _>(self);
    }
}

impl<K: BufferKind, V: Variant> Serves<K> for Single<K, V> {
    type Loose = V::List<K::Buffer>;

    #[inline(always)]
    fn front(&self) -> &Front<K> {
        &self.front
    }

    #[inline(always)]
    fn loose(&self) -> &V::List<K::Buffer> {
        self.pool.free_list()
    }

    #[inline(always)]
    fn cache(caches: &KindCache<K>) -> &KindCache<K> {
        caches
    }
}

/// A [`KindPool`] of kind `K` behind per-thread caches: the front of
/// [`TlsPool`](super::TlsPool) (its contract, in the [module
/// docs](super), holds word for word) for one kind of the user's choosing.
///
/// ```
/// use verified_pools::pool::{BufferKind, KindConfig, ReturnOutcome};
/// use verified_pools::tls::{KindTlsConfig, KindTlsPool};
///
/// enum Line {}
/// impl BufferKind for Line {
///     type Buffer = String;
///     const NAME: &'static str = "line";
///     fn fresh(size: usize) -> String { String::with_capacity(size) }
///     fn try_fresh(size: usize) -> Option<String> {
///         let mut s = String::new();
///         s.try_reserve_exact(size).ok()?;
///         Some(s)
///     }
///     fn reset(s: &mut String) { s.clear() }
///     fn size_of(s: &String) -> usize { s.capacity() }
/// }
///
/// let pool: KindTlsPool<Line> = KindTlsPool::new(KindTlsConfig {
///     kind: KindConfig { count: 4, size: 80 },
///     per_thread: 2,
/// })?;
/// {
///     let mut line = pool.guard();
///     line.push_str("cached");
/// } // back into this thread's cache
/// assert_eq!(pool.get().capacity(), 80); // the same buffer, cleared
/// assert!(pool.try_get().is_some());
/// let s = pool.stats();
/// assert_eq!((s.pool.hits, s.pool.misses, s.pool.returns_accepted), (3, 0, 1));
/// # Ok::<(), verified_pools::tls::TlsConfigError<&'static str>>(())
/// ```
pub struct KindTlsPool<K: BufferKind, V: Variant = Tagged> {
    core: Core<Single<K, V>>,
}

impl<K: BufferKind, V: Variant> KindTlsPool<K, V> {
    /// Validates `config` for `K`, pre-allocates `count` buffers and builds
    /// the front (errors as [`KindTlsConfig::validate`] and
    /// [`KindPool::new`]).
    pub fn new(config: KindTlsConfig) -> Result<Self, TlsConfigError<&'static str>> {
        config.validate::<K>()?;
        let pool = KindPool::<K, V>::new(config.kind)?;
        let front = new_front(config.kind.size, config.kind.count, config.per_thread)
            .map_err(depot_error)?;
        Ok(Self {
            core: Core::new(Single {
                pool,
                front,
                config,
            }),
        })
    }

    /// The configuration the pool was built with.
    pub fn config(&self) -> &KindTlsConfig {
        &self.core.kinds().config
    }

    /// A cleared buffer: from this thread's cache, else a batch from the
    /// depot, else the pool's free list, else freshly allocated (a miss,
    /// counted).
    #[inline]
    pub fn get(&self) -> K::Buffer {
        self.core.get::<K>()
    }

    /// A cleared buffer, or `None` without allocating when this thread's
    /// cache, the depot and the loose list are empty (counted in
    /// `try_get_empty`; see [`TlsPool::try_get`](super::TlsPool::try_get)).
    #[inline]
    pub fn try_get(&self) -> Option<K::Buffer> {
        self.core.try_get::<K>()
    }

    /// Offers a buffer back: kept (in this thread's cache) if its size is
    /// in the kind's window and the pool holds fewer than `count`, else
    /// dropped. Either way the outcome is counted.
    #[inline]
    pub fn give_back(&self, buffer: K::Buffer) -> ReturnOutcome {
        self.core.give_back::<K>(buffer)
    }

    /// A cleared buffer in a guard that gives it back (through the dropping
    /// thread's cache) when dropped.
    #[inline]
    pub fn guard(&self) -> KindCachedBuf<'_, K, V> {
        Guard::new(self.get(), self)
    }

    /// A cleared buffer in a guard, or `None` without allocating (see
    /// [`try_get`](Self::try_get)).
    #[inline]
    pub fn try_guard(&self) -> Option<KindCachedBuf<'_, K, V>> {
        self.try_get().map(|buffer| Guard::new(buffer, self))
    }

    /// A cleared buffer in a guard holding an `Arc` of the pool: it may
    /// move to another thread and goes back through that thread's cache.
    #[inline]
    pub fn guard_owned(self: &Arc<Self>) -> OwnedKindCachedBuf<K, V> {
        Guard::new(self.get(), Arc::clone(self))
    }

    /// Gives this thread's cache back to the pool now (as thread exit
    /// does; see [`TlsPool::flush_local`](super::TlsPool::flush_local)).
    pub fn flush_local(&self) {
        self.core.flush_local();
    }

    /// The kind's statistics, caches included; exact at quiescence (see
    /// [`TlsPool::stats`](super::TlsPool::stats)).
    pub fn stats(&self) -> TlsKindStats {
        self.core.kind_stats::<K>()
    }

    /// Restarts every count from zero (see
    /// [`TlsPool::reset_stats`](super::TlsPool::reset_stats)).
    pub fn reset_stats(&self) {
        self.core.reset_kind::<K>();
    }

    /// The underlying kind pool (window, size, bound). Its own statistics
    /// do not see traffic through the caches; use [`stats`](Self::stats).
    pub fn pool(&self) -> &KindPool<K, V> {
        &self.core.kinds().pool
    }
}

impl<K: BufferKind, V: Variant> fmt::Debug for KindTlsPool<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindTlsPool")
            .field("kind", &K::NAME)
            .field("variant", &V::NAME)
            .field("config", self.config())
            .field("stats", &self.stats())
            .finish()
    }
}

/// A buffer from a [`KindTlsPool`] that goes back (through the dropping
/// thread's cache) when dropped: the pool's one [`Guard`].
pub type KindCachedBuf<'pool, K, V = Tagged> = Guard<K, &'pool KindTlsPool<K, V>>;

/// A buffer from a [`KindTlsPool`] held by `Arc`
/// ([`KindTlsPool::guard_owned`]).
pub type OwnedKindCachedBuf<K, V = Tagged> = Guard<K, Arc<KindTlsPool<K, V>>>;

/// A borrowed or shared `KindTlsPool` as a home: the two spell alike.
macro_rules! front_home {
    ($($home:ty),*) => {$(
        impl<K: BufferKind, V: Variant> HomeSealed for $home {}

        impl<K: BufferKind, V: Variant> Home<K> for $home {
            #[inline]
            unsafe fn give_back_loan(&self, buffer: K::Buffer, _: Place, _: Token) -> ReturnOutcome {
        // The front keeps no places: its guards carry `Place::NONE`.
                self.give_back(buffer)
            }

            #[inline]
            unsafe fn note_taken_out(&self, _: Place, _: Token) {
                self.core.note_taken_out::<K>();
            }
        }
    )*};
}

front_home!(&KindTlsPool<K, V>, Arc<KindTlsPool<K, V>>);
