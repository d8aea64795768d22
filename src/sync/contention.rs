//! Contention counting for the retry loops (cargo feature
//! `contention-stats`, off by default).
//!
//! Every lock-free retry loop of the free lists and the front backs off
//! through [`Retry`], which reports to the [`Contention`] of the structure
//! it retries on.
//!
//! * **Feature off** (the default): [`Contention`] is empty and [`Retry`] is
//!   the shim's `Backoff` and nothing else, so the loops compile to what
//!   they would without counting, and [`Contention::read`] says `None`.
//! * **Feature on**: each failed attempt adds to the counters, two `Relaxed`
//!   RMWs on a cache line of their own (so counting adds no traffic on the
//!   contended head's line), on the failure path only: an attempt that
//!   succeeds first time runs no counting code.
//!
//! The feature is additive: it changes no decision any algorithm makes,
//! only whether these counts exist.

use super::Backoff;
#[cfg(feature = "contention-stats")]
use super::{AtomicUsize, Ordering::Relaxed};
#[cfg(not(feature = "contention-stats"))]
use core::marker::PhantomData;
#[cfg(feature = "contention-stats")]
use crossbeam_utils::CachePadded;

/// Contention on one buffer kind's shared lists since the last
/// `reset_stats` (cargo feature `contention-stats`).
///
/// A retry is one failed attempt of a lock-free loop: a compare-exchange
/// that lost to another thread (or a bounded list's momentary refusal that
/// the front retries). After a retry the loop backs off with
/// `crossbeam_utils::Backoff::spin`, which issues 1, 2, 4, … up to 64
/// spin-loop hints on its successive calls; `backoff_spins` sums them (the
/// pointer-node stack's popper wait spins once per retry, uncounted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContentionStats {
    /// Failed attempts of the kind's retry loops.
    pub cas_retries: usize,
    /// Spin-loop hints the back-off issued after them.
    pub backoff_spins: usize,
}

impl ContentionStats {
    /// The sum of two structures' counts (wrapping, like every counter of
    /// the crate); `None` when either is (the feature is off).
    pub(crate) fn sum(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        let (a, b) = (a?, b?);
        Some(Self {
            cas_retries: a.cas_retries.wrapping_add(b.cas_retries),
            backoff_spins: a.backoff_spins.wrapping_add(b.backoff_spins),
        })
    }
}

/// `crossbeam_utils::Backoff::spin` waits `2^min(step, SPIN_LIMIT)`
/// spin-loop hints at its step 0, 1, 2, ….
#[cfg(feature = "contention-stats")]
const SPIN_LIMIT: usize = 6;

/// The contention counters of one list or front (empty without the
/// feature).
#[derive(Debug)]
pub(crate) struct Contention {
    #[cfg(feature = "contention-stats")]
    counts: CachePadded<[AtomicUsize; 2]>,
}

impl Contention {
    /// Counters at zero.
    pub(crate) fn new() -> Self {
        Self {
            #[cfg(feature = "contention-stats")]
            counts: CachePadded::new([AtomicUsize::new(0), AtomicUsize::new(0)]),
        }
    }

    /// The counts so far, or `None` without the feature.
    pub(crate) fn read(&self) -> Option<ContentionStats> {
        #[cfg(feature = "contention-stats")]
        {
            // Relaxed (both): statistics only; exact at quiescence.
            Some(ContentionStats {
                cas_retries: self.counts[0].load(Relaxed),
                backoff_spins: self.counts[1].load(Relaxed),
            })
        }
        #[cfg(not(feature = "contention-stats"))]
        None
    }

    /// Restarts the counts at zero (`reset_stats`; meant for quiescence).
    pub(crate) fn reset(&self) {
        #[cfg(feature = "contention-stats")]
        for count in self.counts.iter() {
            // Relaxed: statistics only.
            count.store(0, Relaxed);
        }
    }

    #[cfg(feature = "contention-stats")]
    #[inline]
    fn add(&self, retries: usize, spins: usize) {
        // Relaxed (both): statistics only; they order nothing.
        self.counts[0].fetch_add(retries, Relaxed);
        self.counts[1].fetch_add(spins, Relaxed);
    }
}

impl Default for Contention {
    fn default() -> Self {
        Self::new()
    }
}

/// The back-off of one call's retry loop, counting its retries into a
/// [`Contention`] when the feature is on.
///
/// The counting sits on the failure path only (`spin`, `tally`), so an
/// attempt that succeeds first time runs no counting code at all.
pub(crate) struct Retry<'a> {
    backoff: Backoff,
    #[cfg(feature = "contention-stats")]
    counts: &'a Contention,
    /// Back-off calls so far: the step of `Backoff`'s schedule.
    #[cfg(feature = "contention-stats")]
    spun: usize,
    #[cfg(not(feature = "contention-stats"))]
    counts: PhantomData<&'a Contention>,
}

impl<'a> Retry<'a> {
    /// A loop about to make its first attempt.
    #[inline(always)]
    pub(crate) fn new(counts: &'a Contention) -> Self {
        #[cfg(not(feature = "contention-stats"))]
        let _ = counts;
        Self {
            backoff: Backoff::new(),
            #[cfg(feature = "contention-stats")]
            counts,
            #[cfg(feature = "contention-stats")]
            spun: 0,
            #[cfg(not(feature = "contention-stats"))]
            counts: PhantomData,
        }
    }

    /// Called after a failed attempt: counts it and backs off.
    #[inline]
    pub(crate) fn spin(&mut self) {
        #[cfg(feature = "contention-stats")]
        {
            self.counts.add(1, 1 << self.spun.min(SPIN_LIMIT));
            self.spun += 1;
        }
        self.backoff.spin();
    }

    /// Called after a failed attempt of a loop that waits its own way
    /// (the pointer-node stack's popper flag): counts it, does not back off.
    #[inline]
    pub(crate) fn tally(&mut self) {
        #[cfg(feature = "contention-stats")]
        self.counts.add(1, 0);
    }
}

#[cfg(all(test, feature = "contention-stats"))]
mod tests {
    use super::{Contention, ContentionStats, Retry};

    #[test]
    fn spins_follow_the_backoff_schedule() {
        for retries in 0..12 {
            let counts = Contention::new();
            let mut retry = Retry::new(&counts);
            for _ in 0..retries {
                retry.spin();
            }
            retry.tally();
            let spins = (0..retries).map(|k| 1usize << k.min(6)).sum();
            assert_eq!(
                counts.read(),
                Some(ContentionStats {
                    cas_retries: retries + 1,
                    backoff_spins: spins
                })
            );
        }
    }
}
