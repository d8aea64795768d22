//! The `std` back end: the default build.

pub use super::cell::UnsafeCell;
pub use ::std::sync::Arc;
pub use ::std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
pub use ::std::thread_local;

/// The hint every retry loop calls once per failed attempt: the CPU's spin
/// hint.
pub use ::core::hint::spin_loop;

/// Exponential back-off for CAS retry loops.
pub use ::crossbeam_utils::Backoff;

/// Fences and the lock and thread parking the ring's `alloc_wait` uses.
pub use ::std::sync::Mutex;
pub use ::std::sync::atomic::{compiler_fence, fence};
pub use ::std::thread;
