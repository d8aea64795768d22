//! The running totals of one thread's cache of one kind (`tls/cache.rs`):
//! owner-written atomics — a `Relaxed` load and store of the owner's own
//! total, no RMW — read by `stats()` with `Relaxed` loads, exact at
//! quiescence like the pool's.
//!
//! `accepted` is not stored: every return of any outcome and every
//! take-out adds one to `returned`, and `accepted` is `returned` minus the
//! other outcomes and take-outs (see [`CacheTotals::read`]). So a hit and an
//! accepted return each store one total, and the cache's `in_use` (gets
//! minus returns and take-outs by its owners; negative when they return
//! buffers other threads got) is `gets − returned`, with no copy of its own.

use crate::sync::{AtomicUsize, Ordering::Relaxed};

use super::Totals;

/// Running totals of one cache (owner's copy) or their sum (a snapshot).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// Hits, misses, every outcome and the `try_get`s that found nothing.
    pub(crate) totals: Totals,
    /// Buffers moved from the depot or loose list into this cache.
    pub(crate) moved_in: usize,
    /// Buffers moved from this cache to the depot or loose list.
    pub(crate) moved_out: usize,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.totals.add(&o.totals);
        self.moved_in = self.moved_in.wrapping_add(o.moved_in);
        self.moved_out = self.moved_out.wrapping_add(o.moved_out);
    }

    /// Buffers out minus buffers back (signed, two's complement).
    pub(crate) fn in_use(&self) -> usize {
        let t = &self.totals;
        t.gets()
            .wrapping_sub(t.accepted)
            .wrapping_sub(t.rejected())
            .wrapping_sub(t.taken_out)
    }

    /// Buffers in this cache now (exact for the owner, or at quiescence).
    pub(crate) fn cached(&self) -> usize {
        self.moved_in
            .wrapping_sub(self.moved_out)
            .wrapping_add(self.totals.accepted)
            .wrapping_sub(self.totals.hits)
    }
}

/// What `stats()` reads from one cache.
pub(crate) struct CacheReading {
    pub(crate) counts: Counts,
    pub(crate) places: usize,
    pub(crate) peak: usize,
}

/// The owner's running totals. Only the owner writes them (a load and a
/// store, no RMW), except `peak` and `gate`, which `reset_peak` also stores.
///
/// Only the cache's owner calls the `note_*` methods (the cache's
/// invariant 2), and a new owner is synchronised with the previous one by
/// the slot's hand-over (claim / release), so each load sees the latest
/// total and no update is lost.
#[derive(Default)]
pub(crate) struct CacheTotals {
    // The three the hot path touches first, next to the owner's `Local`.
    /// A get leaves the hot path iff the cache's length is at most this
    /// (the cache's invariant 7): `max(low, in_use + len − peak)` as the
    /// owner last set it, or `usize::MAX` after a reset of the peak.
    gate: AtomicUsize,
    gets: AtomicUsize,
    /// Returns of every outcome plus take-outs.
    returned: AtomicUsize,
    misses: AtomicUsize,
    too_small: AtomicUsize,
    too_large: AtomicUsize,
    full: AtomicUsize,
    taken_out: AtomicUsize,
    moved_in: AtomicUsize,
    moved_out: AtomicUsize,
    /// `try_get`s that found nothing within reach (no buffer handed out).
    try_empty: AtomicUsize,
    places: AtomicUsize,
    /// This cache's high-water mark of `in_use` since the last reset.
    peak: AtomicUsize,
}

/// Adds `n` to an owner-written total: a plain load and store, no RMW.
/// Returns the new total.
#[inline(always)]
fn add(total: &AtomicUsize, n: usize) -> usize {
    // Relaxed (both): statistics only; the owner is the only writer.
    let new = total.load(Relaxed).wrapping_add(n);
    total.store(new, Relaxed);
    new
}

impl CacheTotals {
    /// A buffer handed out (hit or miss): one owner store of the `gets`
    /// total. The peak is not compared here: a get that can make a new
    /// peak leaves the hot path (the gate), and the cold path records it
    /// (`note_cold_get`).
    #[inline(always)]
    pub(crate) fn note_get(&self) {
        add(&self.gets, 1);
    }

    /// The hot path's gate (see the field).
    #[inline(always)]
    pub(crate) fn gate(&self) -> usize {
        // Relaxed: the owner's own value, or a reset's (exact at
        // quiescence, like the peak it guards).
        self.gate.load(Relaxed)
    }

    /// The owner's `in_use` (gets minus returns and take-outs), signed.
    fn in_use(&self) -> isize {
        // Relaxed (both): the owner's own totals.
        self.gets
            .load(Relaxed)
            .wrapping_sub(self.returned.load(Relaxed)) as isize
    }

    /// A get's cold path, before its pop from a cache of `len ≥ 1` buffers
    /// whose free-place threshold is `low`: records the peak that pop makes,
    /// then sets the gate.
    pub(crate) fn note_cold_get(&self, len: usize, low: usize) {
        let in_use = self.in_use();
        // Relaxed: statistics only (`reset_peak` may store it too).
        if in_use.wrapping_add(1) > self.peak.load(Relaxed) as isize {
            self.note_peak(in_use.wrapping_add(1));
        }
        self.store_gate(in_use, len, low);
    }

    /// Sets the gate for a cache of `len` buffers whose free-place
    /// threshold is `low`: `max(low, in_use + len − peak)`.
    ///
    /// Why `in_use + len − peak`: a hot get pops one buffer and adds one
    /// to `in_use`, a hot return pushes one and takes one off, so their sum
    /// `c` stays as it is until a cold path runs (a refused or taken-out
    /// buffer lowers it, which only makes the gate too high: a cold trip
    /// that changes nothing). A get from a cache of `len` buffers makes
    /// `in_use = c − len + 1`, a new peak iff `len ≤ c − peak`.
    pub(crate) fn set_gate(&self, len: usize, low: usize) {
        self.store_gate(self.in_use(), len, low);
    }

    /// `set_gate` with the owner's `in_use` already read.
    fn store_gate(&self, in_use: isize, len: usize, low: usize) {
        // Relaxed: the owner's own value (a reset may store it too).
        let peak = self.peak.load(Relaxed) as isize;
        let at_peak = in_use.wrapping_add(len as isize).wrapping_sub(peak);
        // Relaxed: read only by the owner's hot path.
        self.gate.store(low.max(at_peak.max(0) as usize), Relaxed);
    }

    /// The owner's `gets` total (the place protocol's claims read it to
    /// tell a thread that only returns).
    #[inline(always)]
    pub(crate) fn gets(&self) -> usize {
        // Relaxed: the owner's own total.
        self.gets.load(Relaxed)
    }

    /// A return kept by the cache.
    #[inline(always)]
    pub(crate) fn note_accepted(&self) {
        add(&self.returned, 1);
    }

    /// A get that found nothing pooled (besides its `note_get`).
    pub(crate) fn note_miss(&self) {
        add(&self.misses, 1);
    }

    /// A `try_get` found nothing within reach (no buffer handed out).
    pub(crate) fn note_try_empty(&self) {
        add(&self.try_empty, 1);
    }

    /// `n` buffers moved into the cache from the depot or loose list.
    pub(crate) fn note_moved_in(&self, n: usize) {
        add(&self.moved_in, n);
    }

    /// `n` buffers moved out of the cache to the depot or loose list.
    pub(crate) fn note_moved_out(&self, n: usize) {
        add(&self.moved_out, n);
    }

    /// The cache's places now.
    #[inline(always)]
    pub(crate) fn note_places(&self, places: usize) {
        // Relaxed: statistics only; the owner is the only writer.
        self.places.store(places, Relaxed);
    }

    /// A return refused for its size, below the window.
    pub(crate) fn note_too_small(&self) {
        self.note_not_kept(&self.too_small);
    }

    /// A return refused for its size, above the window.
    pub(crate) fn note_too_large(&self) {
        self.note_not_kept(&self.too_large);
    }

    /// A return refused because the kind holds its bound.
    pub(crate) fn note_full(&self) {
        self.note_not_kept(&self.full);
    }

    /// A guard's buffer left the pool for good.
    pub(crate) fn note_taken_out(&self) {
        self.note_not_kept(&self.taken_out);
    }

    /// Counts a buffer the cache did not keep in `total` and in `returned`.
    #[cold]
    #[inline(never)]
    fn note_not_kept(&self, total: &AtomicUsize) {
        add(total, 1);
        add(&self.returned, 1);
    }

    /// A new high-water mark of this cache's `in_use` (positive here).
    #[cold]
    #[inline(never)]
    fn note_peak(&self, in_use: isize) {
        // Relaxed: statistics only.
        self.peak.store(in_use as usize, Relaxed);
    }

    /// The published totals (any thread).
    pub(crate) fn read(&self) -> CacheReading {
        // Relaxed (every load here): statistics only; exact at quiescence.
        let too_small = self.too_small.load(Relaxed);
        let too_large = self.too_large.load(Relaxed);
        let full = self.full.load(Relaxed);
        let taken_out = self.taken_out.load(Relaxed);
        // `returned ≥` the other four at quiescence (each of their steps
        // also adds one to `returned`); while the owner runs, a reading may
        // see one of a pair of stores without the other, so saturate rather
        // than wrap to a huge figure.
        let accepted = self
            .returned
            .load(Relaxed)
            .saturating_sub(too_small)
            .saturating_sub(too_large)
            .saturating_sub(full)
            .saturating_sub(taken_out);
        let misses = self.misses.load(Relaxed);
        CacheReading {
            counts: Counts {
                totals: Totals {
                    hits: self.gets.load(Relaxed).wrapping_sub(misses),
                    misses,
                    accepted,
                    too_small,
                    too_large,
                    full,
                    taken_out,
                    try_empty: self.try_empty.load(Relaxed),
                },
                moved_in: self.moved_in.load(Relaxed),
                moved_out: self.moved_out.load(Relaxed),
            },
            places: self.places.load(Relaxed),
            peak: self.peak.load(Relaxed),
        }
    }

    /// Restarts this cache's peak at `peak` (`reset_stats`, any thread),
    /// and opens the gate so the owner's next get takes the cold path and
    /// sets it again for the new peak. Racing the owner's own stores, one
    /// of each pair wins: exact when the reset is made at quiescence, as
    /// documented.
    pub(crate) fn reset_peak(&self, peak: usize) {
        // Relaxed (both): statistics only.
        self.peak.store(peak, Relaxed);
        self.gate.store(usize::MAX, Relaxed);
    }
}
