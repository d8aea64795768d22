//! `KindPool<K, V>`: one kind's free list, acceptance window and counters —
//! a whole pool for a user's kind, and each of the three parts of a
//! [`BufferPool`](super::BufferPool).
//!
//! # Invariants
//! 1. Every buffer in `list` has a size inside the kind's window
//!    (`K::acceptance_window(size)`, by default `[⌈size/2⌉, size×2]`):
//!    pre-allocated buffers are measured before they are pooled (one outside
//!    is a typed error), and `give_back` checks the window before pushing.
//! 2. `list`'s buffers plus the places kept for guards (`lend.rs`) never
//!    exceed `bound` (the list's own capacity: native for `TaggedStack`, a
//!    `Capped` reservation otherwise).
//! 3. Each buffer is owned by exactly one party: the list, or the caller it
//!    was handed to (by value or inside a guard). The list's push and pop
//!    move it; nothing else touches it.
//!
//! # Linearization points
//! * get (hit): the list's pop that returns a buffer.
//! * get (miss): the list's pop that finds it empty.
//! * try_get: the list's pop (a buffer, or empty: `None`, nothing allocated).
//! * guard get (hit): the list's lend (its pop). Guard return to a kept
//!   place: the list's restore (its push); a kept place given up: the
//!   list's forfeit.
//! * return (accepted): the list's push.
//! * return (pool full): the list's push that hands the buffer back.
//! * return (too small / too large): none needed — decided from the buffer
//!   alone, touching no shared state but the counter.

use core::fmt;
use core::marker::PhantomData;
use core::ops::RangeInclusive;

use std::sync::Arc;

use super::config::{ConfigError, KindConfig, KindConfigError};
use super::guard::{OwnedKindBuf, PooledBuf};
use super::kind::BufferKind;
use super::lend::{COUNT_AFTER_RESTORE, GUARD_FREES_PLACE, Lend, Place};
use super::stats::{Counters, KindStats, ReturnOutcome};
use super::variant::{Tagged, Variant};
use crate::stack::{CapacityError, FreeList};
use crate::sync::mutation::is_active;
use crossbeam_utils::CachePadded;

/// A lock-free pool of one kind of buffer: a bounded free list (chosen by
/// `V`), the kind's acceptance window and exact statistics — the pool for a
/// user's own [`BufferKind`], and each kind's part of a
/// [`BufferPool`](super::BufferPool) (reached through
/// [`BufferPool::shelf`](super::BufferPool::shelf)).
///
/// ```
/// use verified_pools::pool::{BufferKind, KindConfig, KindPool, ReturnOutcome};
///
/// /// 128-float feature vectors, zeroed on reuse, sized by length.
/// enum Features {}
///
/// impl BufferKind for Features {
///     type Buffer = Vec<f32>;
///     const NAME: &'static str = "features";
///     const UNIT_BYTES: usize = size_of::<f32>();
///
///     fn fresh(size: usize) -> Vec<f32> {
///         vec![0.0; size]
///     }
///     fn try_fresh(size: usize) -> Option<Vec<f32>> {
///         let mut v = Vec::new();
///         v.try_reserve_exact(size).ok()?;
///         v.resize(size, 0.0);
///         Some(v)
///     }
///     fn reset(buffer: &mut Vec<f32>) {
///         buffer.fill(0.0);
///     }
///     fn size_of(buffer: &Vec<f32>) -> usize {
///         buffer.len()
///     }
///     // Only exact lengths come back.
///     fn acceptance_window(size: usize) -> std::ops::RangeInclusive<usize> {
///         size..=size
///     }
/// }
///
/// let pool: KindPool<Features> = KindPool::new(KindConfig { count: 2, size: 128 })?;
/// {
///     let mut v = pool.guard();
///     v[0] = 1.0;
/// } // back in the pool, zeroed on the next get
/// assert_eq!(pool.get()[0], 0.0);
/// assert_eq!(pool.give_back(vec![0.0; 127]), ReturnOutcome::TooSmall);
/// let s = pool.stats();
/// assert_eq!((s.hits, s.returns_accepted, s.rejected_too_small), (2, 1, 1));
/// # Ok::<(), verified_pools::pool::KindConfigError>(())
/// ```
///
/// Its free list is not reachable from outside the crate:
///
/// ```compile_fail
/// use verified_pools::FreeList;
/// use verified_pools::pool::{BufferPool, PoolConfig, Serialization};
/// let pool: BufferPool = BufferPool::new(PoolConfig::default()).unwrap();
/// // error: `free_list` is private; this push would skip the window check
/// pool.shelf::<Serialization>().free_list().push(Vec::new()).ok();
/// ```
pub struct KindPool<K: BufferKind, V: Variant = Tagged> {
    list: V::List<K::Buffer>,
    counters: CachePadded<Counters>,
    size: usize,
    accept_min: usize,
    accept_max: usize,
    preallocated: usize,
    // `fn() -> K`: the marker is a type, never a value, so the pool is
    // `Send + Sync` whatever `K` is (its buffers are `Send` by the trait).
    kind: PhantomData<fn() -> K>,
}

/// The name [`BufferPool::shelf`](super::BufferPool::shelf) returns a
/// kind's part by: the same type.
pub type Shelf<K, V = Tagged> = KindPool<K, V>;

impl<K: BufferKind, V: Variant> KindPool<K, V> {
    /// Validates `config` and pre-allocates `config.count` buffers of
    /// `config.size`.
    ///
    /// Errors: everything [`KindConfig::validate`] rejects, and (nothing
    /// leaked: the buffers made so far are freed)
    /// [`ConfigError::OutOfMemory`] when the allocator refuses a
    /// pre-allocation, [`ConfigError::FreshOutsideWindow`] when a fresh
    /// buffer measures outside the kind's acceptance window.
    ///
    /// ```
    /// use verified_pools::pool::{ConfigError, KindConfig, KindPool, Serialization};
    ///
    /// let err = KindPool::<Serialization>::new(KindConfig { count: 0, size: 64 });
    /// assert_eq!(err.err(), Some(ConfigError::ZeroCount));
    /// ```
    pub fn new(config: KindConfig) -> Result<Self, KindConfigError> {
        config.validate::<K>()?;
        Self::build(config.size, config.count).map_err(|e| e.map_kind(|()| K::NAME))
    }

    /// `count` fresh buffers of `size`, each measured against the window.
    /// The caller has validated `size` (non-zero, `size × 2` fits) and
    /// names the kind in the error.
    pub(crate) fn build(size: usize, count: usize) -> Result<Self, ConfigError<()>> {
        let window = K::acceptance_window(size);
        let list = V::List::<K::Buffer>::with_capacity(count).map_err(|e| match e {
            CapacityError::Zero => ConfigError::ZeroCount,
            CapacityError::TooLarge { requested, max } => {
                ConfigError::CountTooLarge { requested, max }
            }
        })?;
        for _ in 0..count {
            let buffer = K::try_fresh(size).ok_or(ConfigError::OutOfMemory(()))?;
            let measured = K::size_of(&buffer);
            if !window.contains(&measured) {
                return Err(ConfigError::FreshOutsideWindow {
                    kind: (),
                    size,
                    measured,
                });
            }
            if list.push(buffer).is_err() {
                // The list accepted `count` as its capacity; refusing one of
                // the first `count` pushes would be a free-list bug. Report
                // it as a bound the list cannot hold rather than panic.
                return Err(ConfigError::CountTooLarge {
                    requested: count,
                    max: list.capacity().unwrap_or(count),
                });
            }
        }
        Ok(Self {
            list,
            counters: CachePadded::new(Counters::new(
                count,
                if <V::List<K::Buffer> as Lend<_>>::SLOTS {
                    count
                } else {
                    0
                },
            )),
            size,
            accept_min: *window.start(),
            accept_max: *window.end(),
            preallocated: count,
            kind: PhantomData,
        })
    }

    /// A cleared buffer: from the list if it has one (a hit), else freshly
    /// allocated (a miss, counted).
    #[inline]
    pub fn get(&self) -> K::Buffer {
        let buffer = match self.list.pop() {
            Some(mut buffer) => {
                K::reset(&mut buffer);
                buffer
            }
            None => {
                self.counters.note_miss();
                K::fresh(self.size)
            }
        };
        self.counters.note_get();
        buffer
    }

    /// A cleared buffer from the list, or `None` if it is empty; never
    /// allocates. `None` is counted (`try_get_empty`), not as a miss.
    #[inline]
    pub fn try_get(&self) -> Option<K::Buffer> {
        let Some(mut buffer) = self.list.pop() else {
            self.counters.note_try_empty();
            return None;
        };
        K::reset(&mut buffer);
        self.counters.note_get();
        Some(buffer)
    }

    /// A cleared buffer in a guard, or `None` if the list is empty (see
    /// [`try_get`](Self::try_get)).
    #[inline]
    pub fn try_guard(&self) -> Option<PooledBuf<'_, K, V>> {
        let Some((buffer, place)) = self.list.lend() else {
            self.counters.note_try_empty();
            return None;
        };
        self.counters.note_get();
        Some(PooledBuf::lent(buffer, self, place))
    }

    /// A cleared buffer in a guard holding an `Arc` of the pool: it may
    /// outlive the borrow of `self` and move to another thread or task.
    #[inline]
    pub fn guard_owned(self: &Arc<Self>) -> OwnedKindBuf<K, V> {
        let (buffer, place) = self.lend();
        OwnedKindBuf::lent(buffer, Arc::clone(self), place)
    }

    /// A buffer for a guard: lent from the list on a hit (its place kept,
    /// see `lend.rs`; not yet cleared: [`Guard::lent`] clears it once it is
    /// inside the guard), else freshly allocated with no place (a miss).
    ///
    /// [`Guard::lent`]: super::Guard
    // Always inlined, as is the rest of a guard's get and drop (`guard`,
    // `Guard::lent`, `Guard::drop`, `give_back_loan`, `restore`): with a
    // second call site in a binary LLVM called this and the guard's drop
    // out of line, the buffer passed through memory (105 → 139
    // instructions per guard pair in `benches/profile_buffer_pool.rs`).
    #[inline(always)]
    pub(crate) fn lend(&self) -> (K::Buffer, Place) {
        if is_active(GUARD_FREES_PLACE) {
            return (self.get(), Place::NONE);
        }
        let lent = match self.list.lend() {
            Some(lent) => lent,
            None => {
                self.counters.note_miss();
                (K::fresh(self.size), Place::NONE)
            }
        };
        self.counters.note_get();
        lent
    }

    /// Offers `buffer` back by value: kept if its size is in the window and
    /// the pool is below its bound, else dropped. Either way the outcome is
    /// counted; a buffer outside the window is taken for a foreign one and
    /// leaves `in_use` alone (see [`KindStats::in_use`]).
    #[inline]
    pub fn give_back(&self, buffer: K::Buffer) -> ReturnOutcome {
        let outcome = self.judge(buffer);
        self.counters.note_value_return(outcome);
        outcome
    }

    /// A guard's buffer comes back: one the pool handed out, whatever its
    /// size now. In the window it goes back to its kept place, if it has
    /// one; otherwise it is judged like a by-value return.
    ///
    /// # Safety
    /// `place` came from this pool's [`lend`](Self::lend) with `buffer`'s
    /// loan, and this call ends the loan (see `Home::give_back_loan`).
    #[inline(always)]
    pub(crate) unsafe fn give_back_loan(&self, buffer: K::Buffer, place: Place) -> ReturnOutcome {
        if !place.is_kept() {
            let outcome = self.judge_unplaced(buffer);
            self.counters.note_loan_return(outcome);
            return outcome;
        }
        // SAFETY: the caller's contract.
        unsafe { self.restore(buffer, place) }
    }

    /// A loan with a kept place ends: the buffer goes back to that place if
    /// its size is in the window; otherwise it is dropped and the place
    /// given up. Counted here: an accepted return into a kept slot in the
    /// slot's own count, while the loan still holds the slot (before the
    /// restore publishes it), so no RMW but `in_use`'s.
    ///
    /// # Safety
    /// As for [`give_back_loan`](Self::give_back_loan), and `place` is kept.
    #[inline(always)]
    unsafe fn restore(&self, buffer: K::Buffer, place: Place) -> ReturnOutcome {
        if let Some(rejected) = self.outside_window(&buffer) {
            // SAFETY: the caller's contract.
            return unsafe { self.restore_rejected(buffer, place, rejected) };
        }
        let Some(slot) = place.slot() else {
            // SAFETY: the caller's contract.
            return unsafe { self.restore_reservation(buffer, place) };
        };
        let late = is_active(COUNT_AFTER_RESTORE);
        if !late {
            self.counters.count_restore(slot);
        }
        // SAFETY: the caller holds the loan `place` belongs to. A list whose
        // places are slots never refuses a restore (`Lend::SLOTS`), so the
        // count above stands.
        let _kept = unsafe { self.list.restore(buffer, place) };
        if late {
            self.counters.count_restore(slot);
        }
        self.counters.note_restored();
        ReturnOutcome::Accepted
    }

    /// `restore` of a buffer resized out of the window: it is dropped and
    /// its place given up. Out of line (with `restore_reservation`), so
    /// that a guard's inlined drop holds one list push, not three: with
    /// them inline LLVM called the drop out of line wherever a binary has a
    /// second guard call site.
    ///
    /// # Safety
    /// As for [`restore`](Self::restore).
    #[cold]
    #[inline(never)]
    unsafe fn restore_rejected(
        &self,
        buffer: K::Buffer,
        place: Place,
        rejected: ReturnOutcome,
    ) -> ReturnOutcome {
        drop(buffer);
        // SAFETY: the caller holds the loan `place` belongs to; the buffer
        // is not coming back.
        unsafe { self.list.forfeit(place) };
        self.counters.note_loan_return(rejected);
        rejected
    }

    /// `restore` into a kept place that is not a slot (a `Capped`
    /// reservation, the audit variants): the list may refuse it.
    ///
    /// # Safety
    /// As for [`restore`](Self::restore).
    #[inline(never)]
    unsafe fn restore_reservation(&self, buffer: K::Buffer, place: Place) -> ReturnOutcome {
        // SAFETY: the caller holds the loan `place` belongs to.
        let outcome = match unsafe { self.list.restore(buffer, place) } {
            Ok(()) => ReturnOutcome::Accepted,
            Err(_refused) => ReturnOutcome::PoolFull,
        };
        self.counters.note_loan_return(outcome);
        outcome
    }

    /// `judge` for a guard whose buffer has no kept place (it was a miss):
    /// out of line, so the by-value return keeps `judge` inlined.
    #[cold]
    #[inline(never)]
    fn judge_unplaced(&self, buffer: K::Buffer) -> ReturnOutcome {
        self.judge(buffer)
    }

    /// Keeps `buffer` if its size is in the window and the list has room;
    /// drops it otherwise.
    #[inline]
    fn judge(&self, buffer: K::Buffer) -> ReturnOutcome {
        if let Some(rejected) = self.outside_window(&buffer) {
            return rejected;
        }
        match self.list.push(buffer) {
            Ok(()) => ReturnOutcome::Accepted,
            // The rejected buffer is dropped here: freed, not leaked.
            Err(_full) => ReturnOutcome::PoolFull,
        }
    }

    /// The rejection of a buffer whose size is outside the window, if it is.
    #[inline]
    fn outside_window(&self, buffer: &K::Buffer) -> Option<ReturnOutcome> {
        let size = K::size_of(buffer);
        if size < self.accept_min {
            Some(ReturnOutcome::TooSmall)
        } else if size > self.accept_max {
            Some(ReturnOutcome::TooLarge)
        } else {
            None
        }
    }

    /// A cleared buffer in a guard that gives it back when dropped.
    #[inline(always)]
    pub fn guard(&self) -> PooledBuf<'_, K, V> {
        let (buffer, place) = self.lend();
        PooledBuf::lent(buffer, self, place)
    }

    /// Counts a guard's buffer leaving for good, and gives up its place.
    ///
    /// # Safety
    /// As for [`give_back_loan`](Self::give_back_loan).
    pub(crate) unsafe fn note_taken_out(&self, place: Place) {
        if place.is_kept() {
            // SAFETY: the caller ends the loan `place` belongs to.
            unsafe { self.list.forfeit(place) };
        }
        self.counters.note_taken_out();
    }

    /// This kind's statistics now (see
    /// [`BufferPool::stats`](super::BufferPool::stats) for what "exact" means).
    pub fn stats(&self) -> KindStats {
        KindStats {
            contention: self.free_list().contention(),
            ..self.counters.snapshot(self.preallocated)
        }
    }

    /// Restarts this kind's counts (see [`BufferPool::reset_stats`](super::BufferPool::reset_stats)).
    pub fn reset_stats(&self) {
        self.counters.reset();
        self.free_list().reset_contention();
    }

    /// The configured size of a fresh buffer.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The sizes `give_back` accepts: the kind's
    /// [`acceptance_window`](BufferKind::acceptance_window) of
    /// [`size`](Self::size) (by default `⌈size/2⌉ ..= size×2`).
    pub fn acceptance_window(&self) -> RangeInclusive<usize> {
        self.accept_min..=self.accept_max
    }

    /// The most buffers this pool keeps.
    pub fn bound(&self) -> usize {
        self.preallocated
    }

    /// The free list itself, for the crate's thread-local front, which
    /// moves buffers in batches. Buffers moved through it directly are not
    /// counted in the stats, and the caller must keep invariant 1 (only push
    /// buffers whose size is in [`acceptance_window`](Self::acceptance_window)).
    /// Crate-private: a user's push through it would break invariant 1 (a
    /// later get hands out a buffer of the wrong size) and the `pooled`
    /// figure.
    pub(crate) fn free_list(&self) -> &V::List<K::Buffer> {
        &self.list
    }
}

impl<K: BufferKind, V: Variant> fmt::Debug for KindPool<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindPool")
            .field("kind", &K::NAME)
            .field("variant", &V::NAME)
            .field("size", &self.size)
            .field("acceptance_window", &self.acceptance_window())
            .field("bound", &self.preallocated)
            .field("stats", &self.stats())
            .finish()
    }
}
