//! The loom back end (`--cfg loom --cfg crossbeam_loom`): every interleaving
//! within a preemption bound, under a C11-style memory model.

pub use super::model::Backoff;
pub use ::loom::alloc::Track;
pub use ::loom::cell::UnsafeCell;
pub use ::loom::sync::Arc;
pub use ::loom::sync::Mutex;
pub use ::loom::sync::atomic::fence;
pub use ::loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};

/// `loom::thread`, plus the `park_timeout` loom lacks.
pub mod thread {
    pub use ::loom::thread::*;

    /// Parks until unparked: loom has no clock, so the timeout never fires,
    /// and a wake-up that never comes is reported as a deadlock.
    pub fn park_timeout(_timeout: std::time::Duration) {
        park();
    }
}
pub use ::loom::thread_local;

/// The hint every retry loop calls once per failed attempt: a yield to
/// loom's scheduler, which bounds a spinning thread.
pub use ::loom::thread::yield_now as spin_loop;
