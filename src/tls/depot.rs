//! `Depot<T>`: the global side of the cache front — a lock-free stack of
//! loaded magazines of up to `batch` buffers, moved in and out whole.
//!
//! The depot owns `slots × batch` value cells, cut into `slots` magazines of
//! `batch` consecutive cells (and a length per magazine), and two
//! [`IndexStack`]s over magazine numbers:
//!
//! * `full`: loaded magazines — the first `len` cells hold a value;
//! * `vacant`: magazines whose cells hold nothing.
//!
//! push_batch = pop a vacant magazine, move `n ≤ batch` values into its
//! cells and set its length, push it on `full`. pop_batch = pop a loaded
//! magazine, move its values out, push it on `vacant`. Caches exchange
//! whole magazines of `batch`; only a cache given back at once (thread exit)
//! pushes a shorter one, its top, so the depot stays in LIFO order. Exactly `TaggedStack`'s protocol, with a magazine in
//! place of a single value, so a whole batch crosses between threads with one
//! CAS on `full` — the buffers themselves are never touched one CAS at a time.
//!
//! # Invariants
//! 1. Every magazine number is in exactly one of `full`, `vacant`, or the
//!    hands of one thread between its two list operations.
//! 2. A magazine's first `len` cells (and no others) are initialised iff the
//!    magazine is in `full`, or held by a pusher after its writes or by a
//!    popper before its reads; otherwise none is.
//! 3. The cells and length of a magazine are accessed only by the thread
//!    holding it;
//!    the hand-offs are the Release CAS of an `IndexStack` push and the
//!    Acquire load of the following pop (`stack/tagged_head.rs`).
//!
//! # Linearization points
//! * push_batch (stored): the CAS that links the magazine into `full`.
//! * push_batch (no vacant magazine): the Acquire load that finds `vacant`
//!   empty; the caller keeps its values.
//! * pop_batch (some): the CAS that unlinks the magazine from `full`.
//! * pop_batch (none): the Acquire load that finds `full` empty.

use core::mem::MaybeUninit;

use crate::stack::{CapacityError, ContentionStats, FreeList, IndexStack};
use crate::sync::UnsafeCell;

/// A stack of full magazines of `batch` values each.
pub(crate) struct Depot<T> {
    batch: usize,
    full: IndexStack,
    vacant: IndexStack,
    cells: Box<[UnsafeCell<MaybeUninit<T>>]>,
    lens: Box<[UnsafeCell<usize>]>,
}

// SAFETY: values move between threads only through the depot (T: Send), and
// a magazine's cells are touched only by the one thread holding the magazine
// (invariant 3), so sharing the depot never shares a `T`.
unsafe impl<T: Send> Send for Depot<T> {}
// SAFETY: as above; `&Depot` gives no access to a `T` in place.
unsafe impl<T: Send> Sync for Depot<T> {}

impl<T> Depot<T> {
    /// An empty depot of `slots` magazines of `batch` values.
    pub(crate) fn new(slots: usize, batch: usize) -> Result<Self, CapacityError> {
        if batch == 0 {
            return Err(CapacityError::Zero);
        }
        let full = IndexStack::with_capacity(slots)?;
        let vacant = IndexStack::with_capacity(slots)?;
        let cells = slots.checked_mul(batch).ok_or(CapacityError::TooLarge {
            requested: slots,
            max: usize::MAX / batch,
        })?;
        let depot = Self {
            batch,
            full,
            vacant,
            cells: (0..cells)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            lens: (0..slots).map(|_| UnsafeCell::new(0)).collect(),
        };
        // Highest first, so magazine 0 is used first. In range by construction.
        for m in (0..slots as u32).rev() {
            let pushed = depot.vacant.push(m);
            debug_assert!(pushed.is_ok());
        }
        Ok(depot)
    }

    /// Values per magazine.
    pub(crate) fn batch(&self) -> usize {
        self.batch
    }

    /// Retries on the two magazine lists (`None` without the
    /// `contention-stats` feature).
    pub(crate) fn contention(&self) -> Option<ContentionStats> {
        ContentionStats::sum(self.full.contention(), self.vacant.contention())
    }

    /// Restarts the counts [`contention`](Self::contention) reports.
    pub(crate) fn reset_contention(&self) {
        self.full.reset_contention();
        self.vacant.reset_contention();
    }

    fn magazine(&self, m: u32) -> &[UnsafeCell<MaybeUninit<T>>] {
        let base = m as usize * self.batch;
        &self.cells[base..base + self.batch]
    }

    /// Moves the bottom `n` values of `from` (its first ones; `1 ≤ n ≤
    /// batch`) into a magazine and publishes it. Returns false, leaving
    /// `from` untouched, when no vacant magazine is left.
    pub(crate) fn push_batch(&self, from: &mut Vec<T>, n: usize) -> bool {
        debug_assert!(n >= 1 && n <= self.batch && n <= from.len());
        let Some(m) = self.vacant.pop() else {
            return false;
        };
        self.lens[m as usize].with_mut(|len| {
            // SAFETY: we hold magazine `m`, so no other thread touches its
            // length (invariant 3).
            unsafe { *len = n };
        });
        for (cell, value) in self.magazine(m).iter().zip(from.drain(..n)) {
            cell.with_mut(|cell| {
                // SAFETY: we hold magazine `m` (invariant 1), so no other
                // thread touches its cells; it was vacant, so the cell is
                // uninitialised and writing leaks nothing (invariant 2).
                unsafe { (*cell).write(value) };
            });
        }
        // Linearization point: the Release CAS inside publishes the cells.
        let pushed = self.full.push(m);
        debug_assert!(pushed.is_ok(), "magazine numbers are in range");
        #[cfg(any(loom, shuttle))]
        {
            use crate::sync::model::ghost;
            ghost::bump(&ghost::DEPOT_FLUSHES);
            ghost::add(&ghost::DEPOT_VALUES_IN, n);
        }
        true
    }

    /// Pops a loaded magazine and appends its values to `into`, in the
    /// order they were pushed; returns how many (`None`: the depot is empty).
    pub(crate) fn pop_batch(&self, into: &mut Vec<T>) -> Option<usize> {
        // Linearization point: the CAS (or empty Acquire load) inside.
        let m = self.full.pop()?;
        // SAFETY: we hold magazine `m` (invariant 3).
        let n = self.lens[m as usize].with(|len| unsafe { *len });
        for cell in &self.magazine(m)[..n] {
            into.push(cell.with(|cell| {
                // SAFETY: we hold magazine `m`, popped from `full`, so every
                // cell is initialised (invariant 2) and no one else touches
                // it; the magazine goes to `vacant` below, so each value is
                // moved out exactly once.
                unsafe { (*cell).assume_init_read() }
            }));
        }
        let pushed = self.vacant.push(m);
        debug_assert!(pushed.is_ok(), "magazine numbers are in range");
        #[cfg(any(loom, shuttle))]
        crate::sync::model::ghost::add(&crate::sync::model::ghost::DEPOT_VALUES_OUT, n);
        Some(n)
    }
}

impl<T> Drop for Depot<T> {
    fn drop(&mut self) {
        let mut out = Vec::with_capacity(self.batch);
        while self.pop_batch(&mut out).is_some() {
            out.clear();
        }
    }
}

/// The depot's own retry counts. `tests/contention.rs` sees only a front's
/// total, to which `room` and the loose list add their retries, so a depot
/// that reported none would hide there.
#[cfg(all(test, feature = "contention-stats", not(any(loom, shuttle))))]
mod contention_tests {
    use super::Depot;
    use crate::stack::ContentionStats;
    use std::time::{Duration, Instant};

    const NONE: Option<ContentionStats> = Some(ContentionStats {
        cas_retries: 0,
        backoff_spins: 0,
    });

    #[test]
    fn two_threads_trading_magazines_retry_and_reset_restarts() {
        let depot = Depot::<u64>::new(4, 2).expect("a small depot");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        let mut values = Vec::with_capacity(2);
                        for i in 0..20_000 {
                            values.extend([i, i]);
                            depot.push_batch(&mut values, 2);
                            values.clear();
                            depot.pop_batch(&mut values);
                            values.clear();
                        }
                    });
                }
            });
            let now = depot.contention().expect("the feature is on");
            if now.cas_retries > 0 {
                assert!(now.backoff_spins >= now.cas_retries, "{now:?}");
                break;
            }
            assert!(Instant::now() < deadline, "two threads never retried");
        }
        depot.reset_contention();
        assert_eq!(depot.contention(), NONE);
    }
}
