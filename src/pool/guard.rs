//! `PooledBuf`: a buffer on loan from one shelf of one pool.
//!
//! The guard borrows its shelf for `'pool` and every way out of it consumes
//! it (`drop`, [`PooledBuf::give_back`], [`PooledBuf::into_inner`]), so the
//! compiler rules out returning one loan twice, returning it to another
//! pool, or outliving the pool:
//!
//! ```compile_fail
//! use verified_pools::pool::{BufferPool, PoolConfig};
//! let pool: BufferPool = BufferPool::new(PoolConfig::default()).unwrap();
//! let guard = pool.serialization_guard();
//! guard.give_back();
//! guard.give_back(); // error: use of moved value
//! ```
//!
//! ```compile_fail
//! use verified_pools::pool::{BufferPool, PoolConfig};
//! let guard = {
//!     let pool: BufferPool = BufferPool::new(PoolConfig::default()).unwrap();
//!     pool.simd_guard() // error: `pool` does not live long enough
//! };
//! ```

use core::fmt;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

use super::kind::BufferKind;
use super::shelf::Shelf;
use super::stats::ReturnOutcome;
use super::variant::{Tagged, Variant};

/// A pooled buffer that goes back to its pool when dropped.
///
/// ```
/// use verified_pools::pool::{BufferPool, PoolConfig};
///
/// let pool: BufferPool = BufferPool::new(PoolConfig::default()).unwrap();
/// {
///     let mut buf = pool.serialization_guard();
///     buf.extend_from_slice(b"hello"); // DerefMut to Vec<u8>
///     assert_eq!(&buf[..], b"hello");
/// } // back in the pool here
/// let kept: Vec<u8> = pool.compression_guard().into_inner(); // ours for good
/// let stats = pool.stats();
/// assert_eq!(stats.serialization.returns_accepted, 1);
/// assert_eq!(stats.compression.taken_out, 1);
/// # drop(kept);
/// ```
pub struct PooledBuf<'pool, K: BufferKind, V: Variant = Tagged> {
    // ManuallyDrop so the consuming methods and `Drop` can move the buffer
    // out without an `Option` (and its unwraps) on every deref.
    buffer: ManuallyDrop<K::Buffer>,
    shelf: &'pool Shelf<K, V>,
}

impl<'pool, K: BufferKind, V: Variant> PooledBuf<'pool, K, V> {
    pub(crate) fn new(buffer: K::Buffer, shelf: &'pool Shelf<K, V>) -> Self {
        Self {
            buffer: ManuallyDrop::new(buffer),
            shelf,
        }
    }

    /// Returns the buffer to its pool now rather than at end of scope, and
    /// says whether the pool kept it.
    pub fn give_back(self) -> ReturnOutcome {
        let (buffer, shelf) = self.disarm();
        shelf.give_back_loan(buffer)
    }

    /// Takes the buffer out of the pool for good (counted as `taken_out`);
    /// the pool will not see it again unless it is returned by value.
    pub fn into_inner(self) -> K::Buffer {
        let (buffer, shelf) = self.disarm();
        shelf.note_taken_out();
        buffer
    }

    /// Moves the buffer out without running `Drop`.
    fn disarm(self) -> (K::Buffer, &'pool Shelf<K, V>) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped (ManuallyDrop) and not used after
        // this line except to copy `shelf`, so the buffer is moved out of it
        // exactly once.
        let buffer = unsafe { ManuallyDrop::take(&mut this.buffer) };
        (buffer, this.shelf)
    }
}

impl<K: BufferKind, V: Variant> Drop for PooledBuf<'_, K, V> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs at most once and the consuming methods bypass
        // it (`disarm`), so the buffer is still here and taken exactly once.
        let buffer = unsafe { ManuallyDrop::take(&mut self.buffer) };
        self.shelf.give_back_loan(buffer);
    }
}

impl<K: BufferKind, V: Variant> Deref for PooledBuf<'_, K, V> {
    type Target = K::Buffer;

    #[inline]
    fn deref(&self) -> &K::Buffer {
        &self.buffer
    }
}

impl<K: BufferKind, V: Variant> DerefMut for PooledBuf<'_, K, V> {
    #[inline]
    fn deref_mut(&mut self) -> &mut K::Buffer {
        &mut self.buffer
    }
}

impl<K: BufferKind, V: Variant> AsRef<K::Buffer> for PooledBuf<'_, K, V> {
    fn as_ref(&self) -> &K::Buffer {
        &self.buffer
    }
}

impl<K: BufferKind, V: Variant> AsMut<K::Buffer> for PooledBuf<'_, K, V> {
    fn as_mut(&mut self) -> &mut K::Buffer {
        &mut self.buffer
    }
}

impl<K: BufferKind, V: Variant> fmt::Debug for PooledBuf<'_, K, V>
where
    K::Buffer: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("kind", &K::ID)
            .field("buffer", &*self.buffer)
            .finish()
    }
}
