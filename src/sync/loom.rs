//! The loom back end (`--cfg loom --cfg crossbeam_loom`): every interleaving
//! within a preemption bound, under a C11-style memory model.

pub use super::model::Backoff;
pub use ::loom::alloc::Track;
pub use ::loom::cell::UnsafeCell;
pub use ::loom::sync::Arc;
pub use ::loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
pub use ::loom::thread;
pub use ::loom::thread_local;

/// The hint every retry loop calls once per failed attempt: a yield to
/// loom's scheduler, which bounds a spinning thread.
pub use ::loom::thread::yield_now as spin_loop;
