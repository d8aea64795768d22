//! `Shelf<K, V>`: one kind's free list, acceptance window and counters.
//!
//! # Invariants
//! 1. Every buffer in `list` has a size inside the window `[⌈size/2⌉,
//!    size×2]`: pre-allocated buffers have exactly `size`, and `give_back`
//!    checks the window before pushing.
//! 2. `list` never holds more than `bound` buffers (the list's own capacity:
//!    native for `TaggedStack`, a `Capped` reservation otherwise).
//! 3. Each buffer is owned by exactly one party: the list, or the caller it
//!    was handed to (by value or inside a guard). The list's push and pop
//!    move it; nothing else touches it.
//!
//! # Linearization points
//! * get (hit): the list's pop that returns a buffer.
//! * get (miss): the list's pop that finds it empty.
//! * try_get: the list's pop (a buffer, or empty: `None`, nothing allocated).
//! * return (accepted): the list's push.
//! * return (pool full): the list's push that hands the buffer back.
//! * return (too small / too large): none needed — decided from the buffer
//!   alone, touching no shared state but the counter.

use core::fmt;
use core::marker::PhantomData;
use core::ops::RangeInclusive;

use super::config::ConfigError;
use super::guard::PooledBuf;
use super::kind::BufferKind;
use super::stats::{Counters, KindStats, ReturnOutcome};
use super::variant::Variant;
use crate::stack::{CapacityError, FreeList};
use crossbeam_utils::CachePadded;

/// One kind's part of a [`BufferPool`](super::BufferPool).
///
/// Reached through [`BufferPool::shelf`](super::BufferPool::shelf); it has
/// the same operations as the pool's per-kind methods. Its free list is not
/// reachable from outside the crate:
///
/// ```compile_fail
/// use verified_pools::FreeList;
/// use verified_pools::pool::{BufferPool, PoolConfig, Serialization};
/// let pool: BufferPool = BufferPool::new(PoolConfig::default()).unwrap();
/// // error: `free_list` is private; this push would skip the window check
/// pool.shelf::<Serialization>().free_list().push(Vec::new()).ok();
/// ```
pub struct Shelf<K: BufferKind, V: Variant> {
    list: V::List<K::Buffer>,
    counters: CachePadded<Counters>,
    size: usize,
    accept_min: usize,
    accept_max: usize,
    preallocated: usize,
    kind: PhantomData<K>,
}

impl<K: BufferKind, V: Variant> Shelf<K, V> {
    /// A shelf of `count` fresh buffers of `size`. The caller has validated
    /// `size` (non-zero, `size × 2` fits).
    pub(crate) fn new(size: usize, count: usize) -> Result<Self, ConfigError> {
        let list = V::List::<K::Buffer>::with_capacity(count).map_err(|e| match e {
            CapacityError::Zero => ConfigError::ZeroCount,
            CapacityError::TooLarge { requested, max } => {
                ConfigError::CountTooLarge { requested, max }
            }
        })?;
        for _ in 0..count {
            let buffer = K::try_fresh(size).ok_or(ConfigError::OutOfMemory(K::ID))?;
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
            counters: CachePadded::new(Counters::new(count)),
            size,
            accept_min: size.div_ceil(2),
            accept_max: size.saturating_mul(2),
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
        self.try_get().map(|buffer| PooledBuf::new(buffer, self))
    }

    /// Offers `buffer` back by value: kept if its size is in the window and
    /// the shelf is below its bound, else dropped. Either way the outcome is
    /// counted; a buffer outside the window is taken for a foreign one and
    /// leaves `in_use` alone (see [`KindStats::in_use`]).
    #[inline]
    pub fn give_back(&self, buffer: K::Buffer) -> ReturnOutcome {
        let outcome = self.judge(buffer);
        self.counters.note_value_return(outcome);
        outcome
    }

    /// A guard's buffer comes back: one the pool handed out, whatever its
    /// size now.
    #[inline]
    pub(crate) fn give_back_loan(&self, buffer: K::Buffer) -> ReturnOutcome {
        let outcome = self.judge(buffer);
        self.counters.note_loan_return(outcome);
        outcome
    }

    /// Keeps `buffer` if its size is in the window and the list has room;
    /// drops it otherwise.
    #[inline]
    fn judge(&self, buffer: K::Buffer) -> ReturnOutcome {
        let size = K::size_of(&buffer);
        if size < self.accept_min {
            ReturnOutcome::TooSmall
        } else if size > self.accept_max {
            ReturnOutcome::TooLarge
        } else {
            match self.list.push(buffer) {
                Ok(()) => ReturnOutcome::Accepted,
                // The rejected buffer is dropped here: freed, not leaked.
                Err(_full) => ReturnOutcome::PoolFull,
            }
        }
    }

    /// A cleared buffer in a guard that gives it back when dropped.
    #[inline]
    pub fn guard(&self) -> PooledBuf<'_, K, V> {
        PooledBuf::new(self.get(), self)
    }

    /// Counts a guard's buffer leaving for good.
    pub(crate) fn note_taken_out(&self) {
        self.counters.note_taken_out();
    }

    /// This kind's statistics now.
    pub fn stats(&self) -> KindStats {
        self.counters.snapshot(self.preallocated)
    }

    /// Restarts this kind's counts (see [`BufferPool::reset_stats`](super::BufferPool::reset_stats)).
    pub fn reset_stats(&self) {
        self.counters.reset();
    }

    /// The configured size of a fresh buffer.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The sizes `give_back` accepts: `⌈size/2⌉ ..= size×2`.
    pub fn acceptance_window(&self) -> RangeInclusive<usize> {
        self.accept_min..=self.accept_max
    }

    /// The most buffers this shelf keeps.
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

impl<K: BufferKind, V: Variant> fmt::Debug for Shelf<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shelf")
            .field("kind", &K::ID)
            .field("variant", &V::NAME)
            .field("size", &self.size)
            .field("acceptance_window", &self.acceptance_window())
            .field("bound", &self.preallocated)
            .field("stats", &self.stats())
            .finish()
    }
}
