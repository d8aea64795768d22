//! How the epoch stack pins an epoch.

/// How a stack pins an epoch.
///
/// Under `std` and loom it is `crossbeam_epoch::pin()` (the default collector;
/// under `--cfg crossbeam_loom` crossbeam-epoch's own atomics and
/// thread-locals are loom's). Under shuttle every shuttle thread shares one OS
/// thread, so the default collector's thread-local handle would be shared
/// between them; there each stack owns a `Collector` and every operation
/// registers a fresh handle, which is a valid (stricter) use of the API.
#[derive(Default)]
pub struct EpochDomain {
    #[cfg(shuttle)]
    collector: crossbeam_epoch::Collector,
}

impl EpochDomain {
    /// A domain for one data structure.
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// Pins the current thread; nodes retired after this pin are not freed
    /// while the guard lives.
    #[inline]
    pub fn pin(&self) -> crossbeam_epoch::Guard {
        #[cfg(shuttle)]
        return self.collector.register().pin();
        #[cfg(not(shuttle))]
        crossbeam_epoch::pin()
    }
}
