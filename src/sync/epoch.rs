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
        #[cfg(any(loom, shuttle))]
        {
            use super::model::ghost::{FREED_IN_PIN, NODES_FREED, add, read};
            if eager::here() {
                self.collect();
            }
            // What the pin's own collection frees, so that a model can tell
            // an eager collection's frees from these.
            let before = read(&NODES_FREED);
            let guard = self.pin_only();
            add(&FREED_IN_PIN, read(&NODES_FREED) - before);
            guard
        }
        #[cfg(not(any(loom, shuttle)))]
        self.pin_only()
    }

    #[inline]
    fn pin_only(&self) -> crossbeam_epoch::Guard {
        #[cfg(shuttle)]
        return self.collector.register().pin();
        #[cfg(not(shuttle))]
        crossbeam_epoch::pin()
    }

    /// Model builds: reclaims what can be reclaimed now, with the
    /// collector's own API. Each `Guard::flush` moves this thread's retired
    /// nodes to the global queue, tries to advance the global epoch and frees
    /// the bags two epochs old; two in a row free a node retired before them
    /// unless another thread is still pinned in an older epoch.
    ///
    /// Between the two it yields to the model's scheduler (not a preemption
    /// under loom), so a pop of another thread can pin there and have its
    /// load and CAS race the free within loom's epoch bound of 1.
    #[cfg(any(loom, shuttle))]
    fn collect(&self) {
        self.pin_only().flush();
        super::spin_loop();
        self.pin_only().flush();
    }
}

/// Model builds: makes every pin on the calling model thread collect first
/// (`on`), or stops it (`!on`, or when another thread switches it on). The
/// models use it to reclaim nodes while other model threads still run;
/// otherwise retired nodes reach the global queue only when a thread exits
/// and are freed at collector teardown, and no reclamation races a pop.
#[cfg(any(loom, shuttle))]
pub fn collect_eagerly_here(on: bool) {
    *eager::THREAD.lock().unwrap_or_else(|e| e.into_inner()) =
        on.then(|| super::thread::current().id());
}

#[cfg(any(loom, shuttle))]
mod eager {
    use super::super::thread;

    /// The model thread whose pins collect first. A ghost (a `std` mutex the
    /// checker does not see): it only selects what a model thread does.
    pub(super) static THREAD: std::sync::Mutex<Option<thread::ThreadId>> =
        std::sync::Mutex::new(None);

    /// Whether the calling model thread collects on pin.
    pub(super) fn here() -> bool {
        let chosen = *THREAD.lock().unwrap_or_else(|e| e.into_inner());
        chosen.is_some_and(|id| id == thread::current().id())
    }
}

/// Model builds: whether the calling model thread's pins collect first
/// (`collect_eagerly_here`). The reclamation model asserts it on each of its
/// threads: its fact that another thread's collection raced a pop counts
/// every free during the pop but the pin's own, so a popper that collected
/// eagerly itself would make that fact true on its own.
#[cfg(any(loom, shuttle))]
pub fn collects_eagerly_here() -> bool {
    eager::here()
}
