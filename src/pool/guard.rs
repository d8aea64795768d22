//! `Guard<K, H>`: a buffer of kind `K` on loan, going back to `H` — the one
//! guard behind every public guard name.
//!
//! `H` is where the buffer goes back ([`Home`]): a borrowed
//! [`KindPool`] ([`PooledBuf`]), an `Arc` of a [`BufferPool`] or
//! [`KindPool`] ([`OwnedPooledBuf`], [`OwnedKindBuf`]), or the thread-local
//! front, borrowed or in an `Arc` (`CachedBuf`, `OwnedCachedBuf` in
//! [`tls`](crate::tls)). Every way out of a guard consumes it (`drop`,
//! [`Guard::give_back`], [`Guard::into_inner`]), so the compiler rules out
//! returning one loan twice, returning it to another pool, or a borrowed
//! guard outliving its pool:
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
use std::sync::Arc;

use super::BufferPool;
use super::kind::{BufferKind, ProvidedKind};
use super::kind_pool::KindPool;
use super::lend::Place;
use super::stats::ReturnOutcome;
use super::variant::{Tagged, Variant};

/// Where a guard's buffer of kind `K` goes back. Sealed: implemented by the
/// crate's pools (borrowed or in an `Arc`), whose accounting the guard
/// drives. Its methods take a crate-private token, so
/// only a guard can call them: a loan return of a buffer the pool never
/// lent would skew `in_use`.
pub trait Home<K: BufferKind>: sealed::Sealed {
    /// Takes back a buffer the pool lent (whatever its size now).
    ///
    /// # Safety
    /// `place` is the one this home lent `buffer`'s loan with, and this call
    /// ends that loan (no other `give_back_loan` or `note_taken_out` for it).
    #[doc(hidden)]
    unsafe fn give_back_loan(
        &self,
        buffer: K::Buffer,
        place: Place,
        token: sealed::Token,
    ) -> ReturnOutcome;

    /// Counts a lent buffer leaving the pool for good.
    ///
    /// # Safety
    /// As for [`give_back_loan`](Self::give_back_loan).
    #[doc(hidden)]
    unsafe fn note_taken_out(&self, place: Place, token: sealed::Token);
}

pub mod sealed {
    /// Seals [`Home`](super::Home).
    pub trait Sealed {}

    /// Proof that the caller is in this crate (nothing outside can make
    /// one).
    #[derive(Debug, Clone, Copy)]
    pub struct Token(pub(crate) ());
}
use sealed::Token;

/// A buffer on loan that goes back to `H` when dropped.
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
pub struct Guard<K: BufferKind, H: Home<K>> {
    // ManuallyDrop (both) so the consuming methods and `Drop` can move them
    // out without an `Option` (and its unwraps) on every deref.
    buffer: ManuallyDrop<K::Buffer>,
    home: ManuallyDrop<H>,
    // The buffer's kept place in `home`'s free list (see `lend.rs`), or
    // `Place::NONE`. Private: only the home that lent it sees it again.
    place: Place,
}

/// A buffer on loan from a borrowed pool (`BufferPool::guard`,
/// `KindPool::guard`, …).
pub type PooledBuf<'pool, K, V = Tagged> = Guard<K, &'pool KindPool<K, V>>;

/// A buffer on loan from a [`BufferPool`] held by `Arc`: it may move to
/// another thread or task and goes back wherever it is dropped
/// ([`BufferPool::guard_owned`]).
pub type OwnedPooledBuf<K, V = Tagged> = Guard<K, Arc<BufferPool<V>>>;

/// A buffer on loan from a [`KindPool`] held by `Arc`
/// ([`KindPool::guard_owned`]).
pub type OwnedKindBuf<K, V = Tagged> = Guard<K, Arc<KindPool<K, V>>>;

impl<K: BufferKind, H: Home<K>> Guard<K, H> {
    /// Lends `buffer`, to go back to `home`, which kept no place for it.
    #[inline]
    pub(crate) fn new(buffer: K::Buffer, home: H) -> Self {
        Self::lent(buffer, home, Place::NONE)
    }

    /// Lends `buffer`, whose place `home` keeps (`Place::NONE`: none). A
    /// kept place means the buffer came from the list as it was returned:
    /// it is cleared here, inside the guard, so a `K::reset` that panics
    /// still ends the loan (the guard's drop gives the buffer back to its
    /// place) instead of keeping the place forever.
    #[inline(always)]
    pub(crate) fn lent(buffer: K::Buffer, home: H, place: Place) -> Self {
        let mut guard = Self {
            buffer: ManuallyDrop::new(buffer),
            home: ManuallyDrop::new(home),
            place,
        };
        if place.is_kept() {
            K::reset(&mut guard.buffer);
        }
        guard
    }

    /// Returns the buffer to its pool now rather than at end of scope, and
    /// says whether the pool kept it.
    pub fn give_back(self) -> ReturnOutcome {
        let (buffer, home, place) = self.disarm();
        // SAFETY: `place` came with this loan from `home`, and `disarm`
        // consumed the guard, so the loan ends here once.
        unsafe { home.give_back_loan(buffer, place, Token(())) }
    }

    /// Takes the buffer out of the pool for good (counted as `taken_out`);
    /// the pool will not see it again unless it is returned by value.
    pub fn into_inner(self) -> K::Buffer {
        let (buffer, home, place) = self.disarm();
        // SAFETY: as in `give_back`.
        unsafe { home.note_taken_out(place, Token(())) };
        buffer
    }

    /// Where the buffer goes back.
    pub fn pool(&self) -> &H {
        &self.home
    }

    /// Moves the buffer, its home and its place out without running `Drop`.
    fn disarm(self) -> (K::Buffer, H, Place) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped (ManuallyDrop) and not used after
        // these lines, so each field is moved out of it exactly once.
        unsafe {
            (
                ManuallyDrop::take(&mut this.buffer),
                ManuallyDrop::take(&mut this.home),
                this.place,
            )
        }
    }
}

impl<K: BufferKind, H: Home<K>> Drop for Guard<K, H> {
    // Always inlined: see `KindPool::lend`.
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs at most once and the consuming methods bypass
        // it (`disarm`), so both fields are still here and each is taken
        // exactly once. The buffer is moved out by a volatile read (a
        // bitwise move, as `ManuallyDrop::take` is), for the reason the
        // front's `pop_volatile` gives (`tls/cache.rs`): the caller usually
        // stored the guard word by word, and a plain read became one 16-byte
        // load over two 8-byte stores, a failed store forward (guard pair
        // 12–17 → 18–19 ns in the `pools` bench once the drop was inlined).
        let (buffer, home) = unsafe {
            (
                core::ptr::read_volatile(&*self.buffer),
                ManuallyDrop::take(&mut self.home),
            )
        };
        // SAFETY: `self.place` came with this loan from `home`; `drop` runs
        // once and only if no consuming method ended the loan.
        unsafe { home.give_back_loan(buffer, self.place, Token(())) };
    }
}

impl<K: BufferKind, H: Home<K>> Deref for Guard<K, H> {
    type Target = K::Buffer;

    #[inline]
    fn deref(&self) -> &K::Buffer {
        &self.buffer
    }
}

impl<K: BufferKind, H: Home<K>> DerefMut for Guard<K, H> {
    #[inline]
    fn deref_mut(&mut self) -> &mut K::Buffer {
        &mut self.buffer
    }
}

impl<K: BufferKind, H: Home<K>> AsRef<K::Buffer> for Guard<K, H> {
    fn as_ref(&self) -> &K::Buffer {
        &self.buffer
    }
}

impl<K: BufferKind, H: Home<K>> AsMut<K::Buffer> for Guard<K, H> {
    fn as_mut(&mut self) -> &mut K::Buffer {
        &mut self.buffer
    }
}

impl<K: BufferKind, H: Home<K>> fmt::Debug for Guard<K, H>
where
    K::Buffer: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("kind", &K::NAME)
            .field("buffer", &*self.buffer)
            .finish()
    }
}

// The pools as homes: a borrowed or shared `KindPool`, a shared
// `BufferPool` (its part for `K`).

/// A borrowed or shared `KindPool` as a home: the two spell alike.
macro_rules! kind_pool_home {
    ($($home:ty),*) => {$(
        impl<K: BufferKind, V: Variant> sealed::Sealed for $home {}

        impl<K: BufferKind, V: Variant> Home<K> for $home {
            #[inline(always)]
            unsafe fn give_back_loan(
                &self,
                buffer: K::Buffer,
                place: Place,
                _: Token,
            ) -> ReturnOutcome {
                // SAFETY: the caller's contract is `KindPool`'s.
                unsafe { KindPool::give_back_loan(self, buffer, place) }
            }

            #[inline]
            unsafe fn note_taken_out(&self, place: Place, _: Token) {
                // SAFETY: as above.
                unsafe { KindPool::note_taken_out(self, place) };
            }
        }
    )*};
}

kind_pool_home!(&KindPool<K, V>, Arc<KindPool<K, V>>);

impl<V: Variant> sealed::Sealed for Arc<BufferPool<V>> {}

impl<K: ProvidedKind, V: Variant> Home<K> for Arc<BufferPool<V>> {
    #[inline(always)]
    unsafe fn give_back_loan(&self, buffer: K::Buffer, place: Place, _: Token) -> ReturnOutcome {
        // SAFETY: the loan came from this shelf (`BufferPool::guard_owned`
        // lends from `shelf::<K>()`); the caller ends it once.
        unsafe { self.shelf::<K>().give_back_loan(buffer, place) }
    }

    #[inline]
    unsafe fn note_taken_out(&self, place: Place, _: Token) {
        // SAFETY: as above.
        unsafe { self.shelf::<K>().note_taken_out(place) };
    }
}
