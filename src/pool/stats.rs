//! Per-kind counters and the snapshots read from them.
//!
//! The hot path pays one shared RMW per operation beside the free list:
//!
//! * a get raises `in_use` (its previous value gives the peak check, a plain
//!   load that turns into an RMW only when a new peak is reached);
//! * a guard's return into its kept `TaggedStack` slot lowers `in_use`; its
//!   `accepted` is counted in the slot's own count by the slot's holder
//!   ([`SlotCounts`]: a load and a store, no RMW), summed at read time;
//! * any other accepted return lowers `in_use` and raises `accepted` (a
//!   second RMW).
//!
//! `in_use` stays one word changed by an RMW on both sides: the peak needs
//! the value each get produced, in one order with every return.
//!
//! Misses, rejections and take-outs (all off the fast path) bump their own
//! counter. Hits and "pooled now" are *derived* at read time:
//!
//! ```text
//! gets   = in_use + accepted + rejected − foreign + taken_out
//!                          (every get is still out, or came back accepted,
//!                           rejected or taken out)
//! hits   = gets − misses
//! pooled = preallocated + accepted − hits
//! ```
//!
//! **Foreign buffers.** A by-value return carries no identity, so the pool
//! judges it by its size. A by-value return *outside* the acceptance window
//! cannot be a buffer the pool handed out unchanged: it is counted as
//! rejected and as `foreign`, and `in_use` is not touched. A return inside
//! the window (accepted, or refused because the kind is full) is taken for
//! one of the pool's own and lowers `in_use`. Guard returns are always the
//! pool's own and always lower it. The by-value API cannot tell two cases
//! apart: a foreign buffer of in-window size lowers `in_use` (which stays
//! clamped at 0), and a pool buffer the caller resized out of the window and
//! returned by value does not (use a guard, or `into_inner` then drop, to
//! keep `in_use` exact).
//!
//! All counters are `Relaxed`: they order nothing (the free list hands buffers
//! over), and RMWs on one atomic are totally ordered anyway. So each counter
//! is exact in its own modification order, and every figure of a snapshot is
//! exact once the pool is quiescent (no call in flight, and the caller
//! synchronised with the threads that made the calls, e.g. by joining them).
//! While calls are in flight, a snapshot reads its counters one by one: the
//! stored counters are each monotone, derived figures may be off by the calls
//! in flight and are clamped to `0..`.
//!
//! `reset_stats` never touches the raw counters (so `pooled` and `in_use`
//! stay true): it records them as a baseline that later snapshots subtract.

use crate::counters::{Baseline, Totals, non_negative};
use crate::stack::ContentionStats;
use crate::sync::{AtomicUsize, Ordering::Relaxed};

/// Why a return was or wasn't kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnOutcome {
    /// The buffer is back in the pool.
    Accepted,
    /// Its size was below the acceptance window; it was dropped.
    TooSmall,
    /// Its size was above the acceptance window; it was dropped.
    TooLarge,
    /// The kind's pooled buffers and the places its guards keep already
    /// make its bound; it was dropped. (A guard's in-window return goes back
    /// to its kept place and is never refused.)
    PoolFull,
}

impl ReturnOutcome {
    /// Whether the pool kept the buffer.
    pub fn is_accepted(self) -> bool {
        self == Self::Accepted
    }
}

/// A snapshot of one kind's statistics. See
/// [`BufferPool::stats`](super::BufferPool::stats) for what "exact" means
/// under concurrency; every count is since construction or the last
/// `reset_stats`, except the three "now" figures, which are current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KindStats {
    /// Gets served from the pool.
    pub hits: usize,
    /// Gets that found the pool empty.
    pub misses: usize,
    /// Buffers the pool allocated: the pre-allocation (counted until the
    /// first `reset_stats`) plus one per miss.
    pub fresh_allocations: usize,
    /// Returns kept by the pool.
    pub returns_accepted: usize,
    /// Returns dropped because the buffer was below the window.
    pub rejected_too_small: usize,
    /// Returns dropped because the buffer was above the window.
    pub rejected_too_large: usize,
    /// Returns dropped because the kind was at its bound (pooled buffers
    /// plus places kept for guards).
    pub rejected_pool_full: usize,
    /// Guards whose buffer was taken out of the pool for good.
    pub taken_out: usize,
    /// Buffers in the pool now.
    pub pooled: usize,
    /// Buffers handed out and not yet returned or taken out. A by-value
    /// return whose size is outside the acceptance window is taken for a
    /// foreign buffer and leaves it unchanged; one inside the window lowers
    /// it (clamped at zero), since the by-value API cannot tell a foreign
    /// buffer of that size from the pool's own.
    pub in_use: usize,
    /// The highest `in_use` reached (since construction or `reset_stats`).
    pub peak_in_use: usize,
    /// `try_get`s that found the kind empty and returned `None` (no
    /// allocation; not a get, so not a miss).
    pub try_get_empty: usize,
    /// Retries and back-off of the kind's lock-free loops (its free list;
    /// for a [`TlsPool`](crate::TlsPool), also the depot and the free-place
    /// count), or `None` unless the cargo feature `contention-stats` is on.
    /// Counting is off by default and then costs nothing; on, a call that
    /// never retries still pays nothing, a retrying one two `Relaxed` RMWs.
    pub contention: Option<ContentionStats>,
}

impl KindStats {
    /// Every get: `hits + misses`.
    pub fn gets(&self) -> usize {
        self.hits + self.misses
    }

    /// Every rejected return.
    pub fn returns_rejected(&self) -> usize {
        self.rejected_too_small + self.rejected_too_large + self.rejected_pool_full
    }

    /// Every return: accepted + rejected.
    pub fn returns(&self) -> usize {
        self.returns_accepted + self.returns_rejected()
    }

    /// `hits / gets`, or 0 with no gets.
    pub fn hit_rate(&self) -> f64 {
        match self.gets() {
            0 => 0.0,
            gets => self.hits as f64 / gets as f64,
        }
    }
}

/// Raw monotone counts (wrapping), as read or as a baseline.
#[derive(Debug, Clone, Copy, Default)]
struct Raw {
    misses: usize,
    accepted: usize,
    too_small: usize,
    too_large: usize,
    full: usize,
    taken_out: usize,
    /// Window rejections of by-value returns: counted in `rejected`, but
    /// never handed out as far as the pool can tell (module docs).
    foreign: usize,
    /// Signed in two's complement: a foreign in-window return can push it
    /// below zero.
    in_use: usize,
}

impl Raw {
    fn rejected(&self) -> usize {
        self.too_small
            .wrapping_add(self.too_large)
            .wrapping_add(self.full)
    }

    /// Gets so far, derived (see module docs).
    fn gets(&self) -> usize {
        self.in_use
            .wrapping_add(self.accepted)
            .wrapping_add(self.rejected())
            .wrapping_sub(self.foreign)
            .wrapping_add(self.taken_out)
    }

    fn hits(&self) -> usize {
        self.gets().wrapping_sub(self.misses)
    }
}

/// The live counters of one kind (kept on one cache line by the caller).
#[derive(Debug)]
pub(crate) struct Counters {
    in_use: AtomicUsize,
    peak: AtomicUsize,
    accepted: AtomicUsize,
    misses: AtomicUsize,
    too_small: AtomicUsize,
    too_large: AtomicUsize,
    full: AtomicUsize,
    taken_out: AtomicUsize,
    /// Outside the derivations above: read and reset on its own.
    try_empty: AtomicUsize,
    /// Guard returns accepted into their kept `TaggedStack` slot, counted
    /// per slot by its holder (no RMW); part of `accepted`.
    restored: SlotCounts,
    foreign: AtomicUsize,
    base: Baseline,
}

fn zero() -> AtomicUsize {
    AtomicUsize::new(0)
}

/// Counts kept per arena slot, each written only by the slot's holder: a
/// `Relaxed` load and store (plain `mov`s), no RMW. Exact because one
/// holder at a time writes a slot's count, and the free list's hand-offs
/// (a Release push, then an Acquire pop by the next holder) order one
/// holder's store before the next one's load. Read by summing, which is
/// exact at quiescence like every other counter here.
#[derive(Debug)]
pub(crate) struct SlotCounts(Box<[AtomicUsize]>);

impl SlotCounts {
    fn new(slots: usize) -> Self {
        Self((0..slots).map(|_| zero()).collect())
    }

    /// One more for `slot`. The caller holds the slot (it is in neither
    /// free list) until after this returns.
    #[inline]
    pub(crate) fn bump(&self, slot: usize) {
        if let Some(count) = self.0.get(slot) {
            // Relaxed (both): owner-only; the slot's hand-offs order the
            // holders (type docs).
            count.store(count.load(Relaxed).wrapping_add(1), Relaxed);
        }
    }

    fn total(&self) -> usize {
        self.0
            .iter()
            // Relaxed: statistics only; exact at quiescence (type docs).
            .fold(0usize, |sum, count| sum.wrapping_add(count.load(Relaxed)))
    }
}

impl Counters {
    /// Counters for a kind of `preallocated` buffers; `slots` per-slot
    /// counts for guard returns into kept slots (0 if the list keeps none).
    pub(crate) fn new(preallocated: usize, slots: usize) -> Self {
        Self {
            in_use: zero(),
            peak: zero(),
            accepted: zero(),
            misses: zero(),
            too_small: zero(),
            too_large: zero(),
            full: zero(),
            taken_out: zero(),
            try_empty: zero(),
            foreign: zero(),
            restored: SlotCounts::new(slots),
            base: Baseline::new(preallocated),
        }
    }

    /// A guard's buffer is going back into its kept slot `slot`: one more
    /// accepted return, in that slot's own count (no RMW). Called while the
    /// caller still holds the slot, before the restore publishes it; then
    /// [`note_restored`](Self::note_restored).
    #[inline]
    pub(crate) fn count_restore(&self, slot: usize) {
        self.restored.bump(slot);
    }

    /// A guard's buffer is back in its kept slot (counted by
    /// [`count_restore`](Self::count_restore)): it is no longer in use.
    #[inline]
    pub(crate) fn note_restored(&self) {
        // Relaxed: statistics only.
        self.in_use.fetch_sub(1, Relaxed);
    }

    /// A buffer was handed out (hit or miss).
    #[inline]
    pub(crate) fn note_get(&self) {
        // Relaxed: statistics only (module docs).
        let now = self.in_use.fetch_add(1, Relaxed).wrapping_add(1);
        // Relaxed: a read of the peak to skip the RMW when it is not beaten.
        if (now as isize) > 0 && now > self.peak.load(Relaxed) {
            // Relaxed: statistics only.
            self.peak.fetch_max(now, Relaxed);
        }
    }

    /// A get found the pool empty (counted besides `note_get`).
    #[inline]
    pub(crate) fn note_miss(&self) {
        // Relaxed: statistics only.
        self.misses.fetch_add(1, Relaxed);
    }

    /// A `try_get` found the pool empty (no buffer handed out).
    #[inline]
    pub(crate) fn note_try_empty(&self) {
        // Relaxed: statistics only.
        self.try_empty.fetch_add(1, Relaxed);
    }

    /// A guard's buffer came back: always one the pool handed out.
    #[inline]
    pub(crate) fn note_loan_return(&self, outcome: ReturnOutcome) {
        // Relaxed: statistics only.
        self.in_use.fetch_sub(1, Relaxed);
        self.note_outcome(outcome);
    }

    /// A buffer came back by value: outside the window it is taken for a
    /// foreign one and leaves `in_use` alone (module docs).
    #[inline]
    pub(crate) fn note_value_return(&self, outcome: ReturnOutcome) {
        match outcome {
            ReturnOutcome::TooSmall | ReturnOutcome::TooLarge => {
                // Relaxed: statistics only.
                self.foreign.fetch_add(1, Relaxed);
            }
            ReturnOutcome::Accepted | ReturnOutcome::PoolFull => {
                // Relaxed: statistics only.
                self.in_use.fetch_sub(1, Relaxed);
            }
        }
        self.note_outcome(outcome);
    }

    fn note_outcome(&self, outcome: ReturnOutcome) {
        let counter = match outcome {
            ReturnOutcome::Accepted => &self.accepted,
            ReturnOutcome::TooSmall => &self.too_small,
            ReturnOutcome::TooLarge => &self.too_large,
            ReturnOutcome::PoolFull => &self.full,
        };
        // Relaxed: statistics only.
        counter.fetch_add(1, Relaxed);
    }

    /// A guard's buffer left the pool for good.
    #[inline]
    pub(crate) fn note_taken_out(&self) {
        // Relaxed (both): statistics only.
        self.in_use.fetch_sub(1, Relaxed);
        self.taken_out.fetch_add(1, Relaxed);
    }

    fn raw(&self) -> Raw {
        // Relaxed (all): statistics only; exact at quiescence (module docs).
        Raw {
            misses: self.misses.load(Relaxed),
            accepted: self
                .accepted
                .load(Relaxed)
                .wrapping_add(self.restored.total()),
            too_small: self.too_small.load(Relaxed),
            too_large: self.too_large.load(Relaxed),
            full: self.full.load(Relaxed),
            taken_out: self.taken_out.load(Relaxed),
            foreign: self.foreign.load(Relaxed),
            in_use: self.in_use.load(Relaxed),
        }
    }

    /// The counts a reset restarts, as they stand now.
    fn totals(&self, raw: &Raw) -> Totals {
        Totals {
            hits: raw.hits(),
            misses: raw.misses,
            accepted: raw.accepted,
            too_small: raw.too_small,
            too_large: raw.too_large,
            full: raw.full,
            taken_out: raw.taken_out,
            // Relaxed: statistics only.
            try_empty: self.try_empty.load(Relaxed),
        }
    }

    /// A snapshot; `preallocated` is the shelf's starting population.
    pub(crate) fn snapshot(&self, preallocated: usize) -> KindStats {
        // Exact at quiescence (module docs).
        let raw = self.raw();
        let pooled = non_negative(
            preallocated
                .wrapping_add(raw.accepted)
                .wrapping_sub(raw.hits()),
        );
        // Relaxed: statistics only.
        let peak = self.peak.load(Relaxed);
        self.base.since(&self.totals(&raw)).kind_stats(
            self.base.preallocated(),
            pooled,
            non_negative(raw.in_use),
            peak,
        )
    }

    /// Starts the counts again from zero; `pooled` and `in_use` are state
    /// and stay; the peak restarts at the current `in_use`. Meant for
    /// quiescence: calls in flight may land on either side of the reset.
    pub(crate) fn reset(&self) {
        let raw = self.raw();
        self.base.record(&self.totals(&raw));
        // Relaxed: statistics only.
        self.peak.store(non_negative(raw.in_use), Relaxed);
    }
}
