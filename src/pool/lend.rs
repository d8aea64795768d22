//! Loans: a guard's buffer keeps its place in the free list while it is out.
//!
//! A by-value get pops a buffer and frees its place; the return claims a
//! place again (a second list operation each way on [`TaggedStack`], a
//! counter RMW each way on [`Capped`](super::Capped)). A guard knows it will come back, so
//! its get *lends* instead: the buffer leaves, its place stays reserved for
//! it ([`Place`]), and the guard's return puts it straight back (one list
//! operation each way). A guard that ends without giving its buffer back in
//! the window (taken out, resized out of the window) forfeits the place.
//!
//! The pool's bound counts a kept place as taken: while a guard is out, a
//! by-value return finds one place fewer, and the guard's own in-window
//! return is never refused for want of room.

use crate::stack::{FreeList, TaggedStack};

/// The behaviour mutant of loans, for the models (`mutation::is_active` is
/// a constant `false` outside a model run): a guard's get frees its place
/// like a by-value get, as the pool did before loans. The model
/// `guard_keeps_its_place` must then fail.
pub const GUARD_FREES_PLACE: &str = "pool.guard_frees_place";

/// The behaviour mutant of the per-slot counts: a guard's accepted return
/// is counted in its slot's count *after* the restore has published the
/// slot, when the next holder may be counting too. The model
/// `pool_hold_two_threads` must then lose a count.
pub const COUNT_AFTER_RESTORE: &str = "pool.count_after_restore";

/// The place a lent buffer keeps, carried by its guard: a slot index for
/// [`TaggedStack`], a held reservation for [`Capped`](super::Capped), or none (the buffer
/// was freshly allocated, or its home keeps no places).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place(u32);

impl Place {
    /// No place kept.
    pub(crate) const NONE: Self = Self(u32::MAX);
    /// A [`Capped`](super::Capped) reservation kept: above every slot index (at most
    /// `MAX_INDEXED` − 1), below `NONE`.
    pub(crate) const HELD: Self = Self(u32::MAX - 1);

    /// Whether a place is kept (anything but `NONE`).
    #[inline]
    pub(crate) fn is_kept(self) -> bool {
        self != Self::NONE
    }

    /// The kept `TaggedStack` slot, if this place is one.
    #[inline]
    pub(crate) fn slot(self) -> Option<usize> {
        (self.0 < Self::HELD.0).then_some(self.0 as usize)
    }
}

/// A free list that can lend. Implemented by the lists the pool's variants
/// use; the pool's guards are its only callers.
pub trait Lend<T>: FreeList<T> {
    /// Whether kept places are slots (`Place::slot` is `Some`), one per
    /// unit of capacity. Such a list never refuses a restore.
    const SLOTS: bool;

    /// Pops a value and keeps its place.
    fn lend(&self) -> Option<(T, Place)>;

    /// Puts a lent value back in its place; `Err` hands it back with the
    /// place released.
    ///
    /// # Safety
    /// `place` came from this list's `lend`, is kept (not `NONE`), and has
    /// been neither restored nor forfeited since.
    unsafe fn restore(&self, value: T, place: Place) -> Result<(), T>;

    /// Releases a kept place: the lent value is not coming back.
    ///
    /// # Safety
    /// As for [`restore`](Self::restore).
    unsafe fn forfeit(&self, place: Place);
}

impl<T> Lend<T> for TaggedStack<T> {
    const SLOTS: bool = true;

    #[inline]
    fn lend(&self) -> Option<(T, Place)> {
        TaggedStack::lend(self).map(|(value, slot)| (value, Place(slot)))
    }

    #[inline]
    unsafe fn restore(&self, value: T, place: Place) -> Result<(), T> {
        // SAFETY: the caller's contract is `TaggedStack::restore`'s: the
        // slot is this list's and on loan to the caller.
        unsafe { TaggedStack::restore(self, value, place.0) };
        Ok(())
    }

    #[inline]
    unsafe fn forfeit(&self, place: Place) {
        // SAFETY: as for `restore`.
        unsafe { TaggedStack::forfeit(self, place.0) }
    }
}
