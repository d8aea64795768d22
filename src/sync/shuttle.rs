//! The shuttle back end (`--cfg shuttle`): random and PCT schedules, many
//! iterations, replayable by seed or schedule.

pub use super::cell::UnsafeCell;
pub use super::model::Backoff;
pub use ::shuttle::sync::Arc;
pub use ::shuttle::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
};
pub use ::shuttle::thread;
pub use ::shuttle::thread_local;

/// The hint every retry loop calls once per failed attempt: a yield to
/// shuttle's scheduler, which bounds a spinning thread.
pub use ::shuttle::thread::yield_now as spin_loop;

/// Fences and the lock the ring's `alloc_wait` uses (`thread` above has
/// shuttle's `park`, `park_timeout`, `current`).
pub use ::shuttle::sync::Mutex;
pub use ::shuttle::sync::atomic::fence;
