//! `OwnedCachedBuf`: a cached buffer whose guard holds an `Arc` of the pool,
//! so it can move into `thread::spawn` or a task and go back (through the
//! dropping thread's cache) wherever it is dropped.
//!
//! The `Arc` is the user's handle, `std::sync::Arc<TlsPool<V>>` (a method
//! receiver must be a std smart pointer); it touches none of the pool's
//! shared state, which every back end sees through `crate::sync` as before.

use core::fmt;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::pool::{ReturnOutcome, Tagged, Variant};

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
pub struct OwnedCachedBuf<K: CachedKind, V: Variant = Tagged> {
    buffer: ManuallyDrop<K::Buffer>,
    pool: ManuallyDrop<Arc<TlsPool<V>>>,
}

impl<V: Variant> TlsPool<V> {
    /// A cleared buffer of kind `K` in a guard holding an `Arc` of the pool:
    /// it may outlive the borrow of `self` and move to another thread.
    #[inline]
    pub fn guard_owned<K: CachedKind>(self: &Arc<Self>) -> OwnedCachedBuf<K, V> {
        OwnedCachedBuf {
            buffer: ManuallyDrop::new(self.get::<K>()),
            pool: ManuallyDrop::new(Arc::clone(self)),
        }
    }
}

impl<K: CachedKind, V: Variant> OwnedCachedBuf<K, V> {
    /// Returns the buffer now and says whether the pool kept it.
    pub fn give_back(self) -> ReturnOutcome {
        let (buffer, pool) = self.disarm();
        pool.give_back::<K>(buffer)
    }

    /// Takes the buffer out of the pool for good (counted as `taken_out`).
    pub fn into_inner(self) -> K::Buffer {
        let (buffer, pool) = self.disarm();
        pool.note_taken_out::<K>();
        buffer
    }

    /// The pool this buffer goes back to.
    pub fn pool(&self) -> &Arc<TlsPool<V>> {
        &self.pool
    }

    fn disarm(self) -> (K::Buffer, Arc<TlsPool<V>>) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped and not used after these lines, so
        // the buffer and the `Arc` are each moved out exactly once.
        unsafe {
            (
                ManuallyDrop::take(&mut this.buffer),
                ManuallyDrop::take(&mut this.pool),
            )
        }
    }
}

impl<K: CachedKind, V: Variant> Drop for OwnedCachedBuf<K, V> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs at most once and the consuming methods bypass
        // it, so both fields are still here and each is taken exactly once.
        let (buffer, pool) = unsafe {
            (
                ManuallyDrop::take(&mut self.buffer),
                ManuallyDrop::take(&mut self.pool),
            )
        };
        pool.give_back::<K>(buffer);
    }
}

impl<K: CachedKind, V: Variant> Deref for OwnedCachedBuf<K, V> {
    type Target = K::Buffer;

    #[inline]
    fn deref(&self) -> &K::Buffer {
        &self.buffer
    }
}

impl<K: CachedKind, V: Variant> DerefMut for OwnedCachedBuf<K, V> {
    #[inline]
    fn deref_mut(&mut self) -> &mut K::Buffer {
        &mut self.buffer
    }
}

impl<K: CachedKind, V: Variant> fmt::Debug for OwnedCachedBuf<K, V>
where
    K::Buffer: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedCachedBuf")
            .field("kind", &K::ID)
            .field("buffer", &*self.buffer)
            .finish()
    }
}
