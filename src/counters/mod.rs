//! The counting shared by the pool and its thread-local front: the counts a
//! `reset_stats` restarts ([`Totals`]), the baseline it records
//! ([`Baseline`]), and the clamp that keeps a figure read mid-traffic from
//! wrapping ([`non_negative`]). The front's per-thread running totals are
//! in [`cache`]; the pool's shared counters stay beside its statistics
//! types (`pool/stats.rs`).
//!
//! Every counter here is statistics only: `Relaxed` everywhere, orders
//! nothing (the free lists hand buffers over), exact at quiescence.

pub(crate) mod cache;

use crate::pool::KindStats;
use crate::sync::{AtomicUsize, Ordering::Relaxed};

/// Clamps a wrapping difference that should be non-negative to `0..`.
///
/// Figures derived from several counters read one by one may be off by
/// the calls in flight; a "negative" one is read as zero rather than as a
/// huge number.
pub(crate) fn non_negative(value: usize) -> usize {
    if (value as isize) < 0 { 0 } else { value }
}

/// The monotone counts of one kind (wrapping), as read now, as recorded
/// by a reset, or as the difference of the two.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    pub(crate) hits: usize,
    pub(crate) misses: usize,
    pub(crate) accepted: usize,
    pub(crate) too_small: usize,
    pub(crate) too_large: usize,
    pub(crate) full: usize,
    pub(crate) taken_out: usize,
    pub(crate) try_empty: usize,
}

impl Totals {
    /// Adds `o` to these totals (wrapping, like the counters).
    pub(crate) fn add(&mut self, o: &Totals) {
        self.hits = self.hits.wrapping_add(o.hits);
        self.misses = self.misses.wrapping_add(o.misses);
        self.accepted = self.accepted.wrapping_add(o.accepted);
        self.too_small = self.too_small.wrapping_add(o.too_small);
        self.too_large = self.too_large.wrapping_add(o.too_large);
        self.full = self.full.wrapping_add(o.full);
        self.taken_out = self.taken_out.wrapping_add(o.taken_out);
        self.try_empty = self.try_empty.wrapping_add(o.try_empty);
    }

    /// Every get: hits and misses.
    pub(crate) fn gets(&self) -> usize {
        self.hits.wrapping_add(self.misses)
    }

    /// Every return not kept.
    pub(crate) fn rejected(&self) -> usize {
        self.too_small
            .wrapping_add(self.too_large)
            .wrapping_add(self.full)
    }

    /// The snapshot's counts: these totals since the last reset, the
    /// pre-allocation still to report and the three "now" figures.
    pub(crate) fn kind_stats(
        &self,
        preallocated: usize,
        pooled: usize,
        in_use: usize,
        peak_in_use: usize,
    ) -> KindStats {
        KindStats {
            hits: self.hits,
            misses: self.misses,
            fresh_allocations: preallocated.saturating_add(self.misses),
            returns_accepted: self.accepted,
            rejected_too_small: self.too_small,
            rejected_too_large: self.too_large,
            rejected_pool_full: self.full,
            taken_out: self.taken_out,
            pooled,
            in_use,
            peak_in_use,
            try_get_empty: self.try_empty,
            // Filled in by the caller, which knows the kind's lists.
            contention: None,
        }
    }
}

/// What `reset_stats` recorded; subtracted from later snapshots, so the
/// raw counters (and the figures derived from them, like `pooled`) are
/// never rewritten.
#[derive(Debug)]
pub(crate) struct Baseline {
    hits: AtomicUsize,
    misses: AtomicUsize,
    accepted: AtomicUsize,
    too_small: AtomicUsize,
    too_large: AtomicUsize,
    full: AtomicUsize,
    taken_out: AtomicUsize,
    try_empty: AtomicUsize,
    /// Pre-allocations still to report in `fresh_allocations` (cleared by
    /// the first reset).
    preallocated: AtomicUsize,
}

impl Baseline {
    /// No reset yet: every count from zero, `preallocated` still reported.
    pub(crate) fn new(preallocated: usize) -> Self {
        let zero = || AtomicUsize::new(0);
        Self {
            hits: zero(),
            misses: zero(),
            accepted: zero(),
            too_small: zero(),
            too_large: zero(),
            full: zero(),
            taken_out: zero(),
            try_empty: zero(),
            preallocated: AtomicUsize::new(preallocated),
        }
    }

    /// Restarts every count at `now` and stops reporting the
    /// pre-allocation. Meant for quiescence: calls in flight may land on
    /// either side.
    pub(crate) fn record(&self, now: &Totals) {
        // Relaxed (all): statistics only.
        self.hits.store(now.hits, Relaxed);
        self.misses.store(now.misses, Relaxed);
        self.accepted.store(now.accepted, Relaxed);
        self.too_small.store(now.too_small, Relaxed);
        self.too_large.store(now.too_large, Relaxed);
        self.full.store(now.full, Relaxed);
        self.taken_out.store(now.taken_out, Relaxed);
        self.try_empty.store(now.try_empty, Relaxed);
        self.preallocated.store(0, Relaxed);
    }

    /// The counts since the last reset (clamped to `0..`).
    pub(crate) fn since(&self, now: &Totals) -> Totals {
        // Relaxed (every load): statistics only.
        let since = |now: usize, at: &AtomicUsize| non_negative(now.wrapping_sub(at.load(Relaxed)));
        Totals {
            hits: since(now.hits, &self.hits),
            misses: since(now.misses, &self.misses),
            accepted: since(now.accepted, &self.accepted),
            too_small: since(now.too_small, &self.too_small),
            too_large: since(now.too_large, &self.too_large),
            full: since(now.full, &self.full),
            taken_out: since(now.taken_out, &self.taken_out),
            try_empty: since(now.try_empty, &self.try_empty),
        }
    }

    /// Pre-allocations still to report (until the first reset).
    pub(crate) fn preallocated(&self) -> usize {
        // Relaxed: statistics only.
        self.preallocated.load(Relaxed)
    }
}
