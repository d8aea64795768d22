//! `Capped<L>`: a bound for free lists that have none of their own.
//!
//! The pool keeps at most `count` buffers per kind. [`TaggedStack`] enforces
//! that itself (its `push` hands the value back when its arena is full); the
//! unbounded [`EpochStack`] and [`PointerNodeStack`] get it from this
//! wrapper, which reserves a place with one counter RMW before pushing and
//! releases it after popping.
//!
//! # Invariants
//! 1. `held` ≥ the number of values in `list` at every instant: it is raised
//!    before a value goes in and lowered only after one came out.
//! 2. A push succeeds only if its reservation saw `held < cap`, so at most
//!    `cap` reservations are outstanding and the list never holds more than
//!    `cap` values.
//! 3. At quiescence `held` equals the list's length exactly. While other
//!    operations are in flight a push may be refused although a slot is about
//!    to free up (a pop has taken its value but not yet lowered `held`, or a
//!    refused push has not yet undone its reservation): the bound is never
//!    exceeded, but "full" can be reported early.
//!
//! A loan (crate-private, for the pool's guards) pops a value but keeps its
//! place: `held` is not lowered, so the value's return cannot be refused for
//! want of room. It comes back with [`Lend::restore`] (the inner push, no
//! reservation) or the place is released with [`Lend::forfeit`]. Invariant
//! 1 holds with loans counted as values in the list.
//!
//! # Linearization points
//! * push (stored): the inner list's push.
//! * push (full): the reservation RMW that saw `held ≥ cap`.
//! * pop: the inner list's pop.
//!
//! `held` orders nothing (the inner list publishes the values), so every
//! access is `Relaxed`; RMWs on one atomic are totally ordered regardless.
//!
//! [`TaggedStack`]: crate::TaggedStack
//! [`EpochStack`]: crate::EpochStack
//! [`PointerNodeStack`]: crate::PointerNodeStack

use super::lend::{Lend, Place};
use crate::stack::{CapacityError, ContentionStats, FreeList};
use crate::sync::{AtomicUsize, Ordering::Relaxed};
use crossbeam_utils::CachePadded;

/// A free list held to at most `capacity` values by a reservation counter.
///
/// The wrapped list is reachable only through the counter: a push that
/// bypassed it would leave `held` below the list's length (invariant 1), and
/// a later push into an empty list could be refused for good. So there is
/// no accessor for it:
///
/// ```compile_fail
/// use verified_pools::{EpochStack, FreeList, pool::Capped};
/// let list: Capped<EpochStack<u8>> = Capped::with_capacity(1).unwrap();
/// list.inner().push(1).unwrap(); // error: no method `inner`
/// ```
///
/// ```
/// use verified_pools::{EpochStack, FreeList, pool::Capped};
///
/// let list: Capped<EpochStack<u8>> = Capped::with_capacity(1).unwrap();
/// assert_eq!(list.push(1), Ok(()));
/// assert_eq!(list.push(2), Err(2)); // over the cap: handed back
/// assert_eq!(list.pop(), Some(1));
/// ```
pub struct Capped<L> {
    list: L,
    cap: usize,
    held: CachePadded<AtomicUsize>,
}

impl<T, L: FreeList<T>> FreeList<T> for Capped<L> {
    fn with_capacity(capacity: usize) -> Result<Self, CapacityError> {
        if capacity == 0 {
            return Err(CapacityError::Zero);
        }
        Ok(Self {
            list: L::with_capacity(capacity)?,
            cap: capacity,
            held: CachePadded::new(AtomicUsize::new(0)),
        })
    }

    #[inline]
    fn push(&self, value: T) -> Result<(), T> {
        // Relaxed: a bound, not a publication (see module docs).
        if self.held.fetch_add(1, Relaxed) >= self.cap {
            // Relaxed: undoes our own reservation.
            self.held.fetch_sub(1, Relaxed);
            return Err(value);
        }
        self.list.push(value).inspect_err(|_| {
            // Relaxed: the inner list was bounded tighter; release our place.
            self.held.fetch_sub(1, Relaxed);
        })
    }

    #[inline]
    fn pop(&self) -> Option<T> {
        let value = self.list.pop()?;
        // Relaxed: releases the place this value held (invariant 1).
        self.held.fetch_sub(1, Relaxed);
        Some(value)
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.cap)
    }

    fn contention(&self) -> Option<ContentionStats> {
        self.list.contention()
    }

    fn reset_contention(&self) {
        self.list.reset_contention();
    }
}

impl<T, L: FreeList<T>> Lend<T> for Capped<L> {
    const SLOTS: bool = false;

    /// Pops a value and keeps its place (`held` stays raised).
    #[inline]
    fn lend(&self) -> Option<(T, Place)> {
        self.list.pop().map(|value| (value, Place::HELD))
    }

    /// Puts a lent value back in its kept place: no reservation, since the
    /// place was never released. `Err` (place released) only if the inner
    /// list refuses, which an unbounded one never does.
    #[inline]
    unsafe fn restore(&self, value: T, place: Place) -> Result<(), T> {
        self.list.push(value).inspect_err(|_| {
            // SAFETY: the caller's loan of `place` ends here.
            unsafe { self.forfeit(place) }
        })
    }

    /// Releases a kept place: the lent value is not coming back.
    #[inline]
    unsafe fn forfeit(&self, _: Place) {
        // Relaxed: releases the loan's place (see module docs).
        self.held.fetch_sub(1, Relaxed);
    }
}
