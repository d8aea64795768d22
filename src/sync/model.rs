//! What the two model back ends share: the back-off and the ghost counters
//! the models read as coverage facts.

/// Back-off for CAS retry loops under the models: one yield to the scheduler
/// per failed attempt (`crossbeam_utils::Backoff` under `std`).
#[derive(Debug, Default)]
pub struct Backoff;

impl Backoff {
    /// A fresh back-off.
    #[inline]
    pub fn new() -> Self {
        Self
    }

    /// Called after a failed CAS: counts a retry, yields to the model's
    /// scheduler.
    #[inline]
    pub fn spin(&self) {
        ghost::bump(&ghost::CAS_RETRIES);
        super::spin_loop();
    }
}

/// Counters of events the models exist to reach, read by the models as
/// coverage facts. They are ghosts: `std` atomics the checker does not see
/// (so counting adds no interleaving), monotonic over the process; a model
/// reads the difference over its run. Model builds only.
pub mod ghost {
    // Ghost state: deliberately outside the checker's view (see above).
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    /// Failed CAS attempts in a retry loop (each `Backoff::spin`).
    pub static CAS_RETRIES: AtomicUsize = AtomicUsize::new(0);
    /// Nodes freed through `sync::node::free` (the epoch stack's
    /// reclamations and the pointer-node stack's frees).
    pub static NODES_FREED: AtomicUsize = AtomicUsize::new(0);
    /// Magazines a front's caches flushed into its depot (`Depot::push_batch`).
    pub static DEPOT_FLUSHES: AtomicUsize = AtomicUsize::new(0);
    /// Magazines a front's caches refilled from its depot (a cache's refill,
    /// not the drain when the pool drops).
    pub static DEPOT_REFILLS: AtomicUsize = AtomicUsize::new(0);
    /// Values moved into a front's depot (`Depot::push_batch`), and out of
    /// it (`Depot::pop_batch`: refills, the pool's drain and the depot's own
    /// drop). Equal once every depot of a run is gone: nothing leaked.
    pub static DEPOT_VALUES_IN: AtomicUsize = AtomicUsize::new(0);
    /// See [`DEPOT_VALUES_IN`].
    pub static DEPOT_VALUES_OUT: AtomicUsize = AtomicUsize::new(0);
    /// Of those, the ones freed inside an `EpochDomain::pin` call (the
    /// collection crossbeam-epoch runs as a thread pins), not by an eager
    /// collection (`epoch::collect_eagerly_here`).
    pub static FREED_IN_PIN: AtomicUsize = AtomicUsize::new(0);

    // Relaxed: a ghost read only by the one OS thread that runs the model.
    pub(crate) fn bump(counter: &AtomicUsize) {
        add(counter, 1);
    }

    // Relaxed: see `bump`.
    pub(crate) fn add(counter: &AtomicUsize, n: usize) {
        counter.fetch_add(n, Relaxed);
    }

    /// The counter's value so far.
    pub fn read(counter: &AtomicUsize) -> usize {
        // Relaxed: see `bump`.
        counter.load(Relaxed)
    }
}
