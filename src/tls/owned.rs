//! `OwnedCachedBuf`: a cached buffer whose guard (the pool's one
//! [`Guard`]) holds an `Arc` of the pool, so it can move into
//! `thread::spawn` or a task and go back (through the dropping thread's
//! cache) wherever it is dropped.
//!
//! The `Arc` is the user's handle, `std::sync::Arc<TlsPool<V>>` (a method
//! receiver must be a std smart pointer); it touches none of the pool's
//! shared state, which every back end sees through `crate::sync` as before.

use std::sync::Arc;

use crate::pool::{Guard, Home, HomeSealed, Place, ReturnOutcome, Tagged, Token, Variant};

use super::{CachedKind, TlsPool};

/// A cached buffer that owns a reference to its pool and goes back (through
/// the dropping thread's cache) when dropped.
///
/// ```
/// use std::sync::Arc;
/// use verified_pools::pool::{PoolConfig, Serialization};
/// use verified_pools::tls::{TlsConfig, TlsPool};
///
/// let pool: Arc<TlsPool> = Arc::new(TlsPool::new(TlsConfig {
///     pool: PoolConfig { count: 4, ..PoolConfig::default() },
///     per_thread: 2,
/// })?);
/// let mut buf = pool.guard_owned::<Serialization>();
/// buf.extend_from_slice(b"crosses threads");
/// std::thread::spawn(move || assert_eq!(&buf[..], b"crosses threads"))
///     .join()
///     .unwrap(); // returned on the worker, into its cache, given back at its exit
/// assert_eq!(pool.stats().serialization.pool.returns_accepted, 1);
/// # Ok::<(), verified_pools::tls::TlsConfigError>(())
/// ```
pub type OwnedCachedBuf<K, V = Tagged> = Guard<K, Arc<TlsPool<V>>>;

impl<V: Variant> TlsPool<V> {
    /// A cleared buffer of kind `K` in a guard holding an `Arc` of the pool:
    /// it may outlive the borrow of `self` and move to another thread.
    #[inline]
    pub fn guard_owned<K: CachedKind>(self: &Arc<Self>) -> OwnedCachedBuf<K, V> {
        Guard::new(self.get::<K>(), Arc::clone(self))
    }
}

impl<V: Variant> HomeSealed for Arc<TlsPool<V>> {}

impl<K: CachedKind, V: Variant> Home<K> for Arc<TlsPool<V>> {
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
