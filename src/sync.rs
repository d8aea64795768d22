//! The one door to atomics, cells, threads and node memory.
//!
//! Every concurrent line of this crate goes through this module, so the same
//! algorithm code runs unchanged under three back ends:
//!
//! | build                             | back end                                   |
//! |-----------------------------------|--------------------------------------------|
//! | default                           | `std` (and `crossbeam-epoch` as published) |
//! | `RUSTFLAGS="--cfg loom --cfg crossbeam_loom"` | `loom`: exhaustive, C11-style weak memory |
//! | `--features shuttle`              | `shuttle`: random and PCT schedules        |
//!
//! No other file in `src/` names `std::sync::atomic`, `loom` or `shuttle`.
//!
//! Besides plain re-exports, the shim adds three things the model checkers
//! need and `std` builds compile away:
//!
//! * [`spin_loop`] / [`Backoff`]: every retry loop calls them; under the
//!   models they yield to the scheduler so a spinning thread cannot exhaust
//!   loom's branch limit or shuttle's step budget.
//! * [`node`]: heap nodes that concurrent readers may still reach. Under the
//!   models a freed node is quarantined (never reused) and poisoned, and any
//!   read of it panics with a message naming use-after-free — neither loom nor
//!   shuttle reports that on its own.
//! * [`mutation`]: named ordering sites. Under the models a test can weaken one
//!   site to `Relaxed` and assert the checker notices; under `std`
//!   [`mutation::ord`] is the identity (except in the TSan tier's
//!   `--cfg tsan_mutant` build, where the environment names one site).

#[cfg(all(loom, feature = "shuttle"))]
compile_error!(
    "verified-pools: `--cfg loom` and the `shuttle` feature are mutually exclusive; \
     build the loom tier and the shuttle tier separately (see README.md)"
);

/// True when the crate is built for a model checker (loom or shuttle).
pub const MODEL_BUILD: bool = cfg!(any(loom, feature = "shuttle"));

// ---------------------------------------------------------------------------
// Atomics, Arc, threads
// ---------------------------------------------------------------------------

#[cfg(loom)]
pub use loom::sync::Arc;
#[cfg(loom)]
pub use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

#[cfg(all(feature = "shuttle", not(loom)))]
pub use shuttle::sync::Arc;
#[cfg(all(feature = "shuttle", not(loom)))]
pub use shuttle::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

#[cfg(not(any(loom, feature = "shuttle")))]
pub use std::sync::Arc;
#[cfg(not(any(loom, feature = "shuttle")))]
pub use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};

/// Threads of the active back end.
pub mod thread {
    #[cfg(loom)]
    pub use loom::thread::{JoinHandle, spawn, yield_now};
    #[cfg(all(feature = "shuttle", not(loom)))]
    pub use shuttle::thread::{JoinHandle, spawn, yield_now};
    #[cfg(not(any(loom, feature = "shuttle")))]
    pub use std::thread::{JoinHandle, spawn, yield_now};
}

/// The hint every retry loop calls once per failed attempt.
///
/// Under `std` it is the CPU's spin hint; under loom and shuttle it yields to
/// the scheduler, which both checkers need to bound a spinning thread.
#[inline(always)]
pub fn spin_loop() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(all(feature = "shuttle", not(loom)))]
    shuttle::thread::yield_now();
    #[cfg(not(any(loom, feature = "shuttle")))]
    core::hint::spin_loop();
}

/// Exponential back-off for CAS retry loops (`crossbeam_utils::Backoff` under
/// `std`; a plain yield under the models).
#[derive(Default)]
pub struct Backoff {
    #[cfg(not(any(loom, feature = "shuttle")))]
    inner: crossbeam_utils::Backoff,
}

impl Backoff {
    /// A fresh back-off at its shortest step.
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// Called after a failed CAS: spins a little longer each time.
    #[inline]
    pub fn spin(&self) {
        #[cfg(not(any(loom, feature = "shuttle")))]
        self.inner.spin();
        #[cfg(any(loom, feature = "shuttle"))]
        spin_loop();
    }
}

// ---------------------------------------------------------------------------
// UnsafeCell
// ---------------------------------------------------------------------------

#[cfg(loom)]
pub use loom::cell::UnsafeCell;

/// `UnsafeCell` with loom's closure API (`with`, `with_mut`).
///
/// Under loom it is `loom::cell::UnsafeCell`, which reports any access not
/// ordered by happens-before against a conflicting one ("causality
/// violation"). Elsewhere it is a zero-cost wrapper over `core::cell::UnsafeCell`.
#[cfg(not(loom))]
#[derive(Debug, Default)]
pub struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// Wraps `value`.
    #[inline(always)]
    pub const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` with a shared pointer to the contents.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Runs `f` with a unique pointer to the contents.
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

// ---------------------------------------------------------------------------
// Leak tracking
// ---------------------------------------------------------------------------

#[cfg(loom)]
pub use loom::alloc::Track;

/// A value whose leak loom reports at the end of an execution; a plain
/// wrapper elsewhere.
#[cfg(not(loom))]
#[derive(Debug)]
pub struct Track<T>(T);

#[cfg(not(loom))]
impl<T> Track<T> {
    /// Starts tracking `value`.
    #[inline]
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The tracked value.
    #[inline]
    pub fn get_ref(&self) -> &T {
        &self.0
    }

    /// The tracked value, mutably.
    #[inline]
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }

    /// Stops tracking and returns the value.
    #[inline]
    pub fn into_inner(self) -> T {
        self.0
    }
}

// ---------------------------------------------------------------------------
// Epoch pinning
// ---------------------------------------------------------------------------

/// How a stack pins an epoch.
///
/// Under `std` and loom it is `crossbeam_epoch::pin()` (the default collector;
/// under `--cfg crossbeam_loom` crossbeam-epoch's own atomics and
/// thread-locals are loom's). Under shuttle every shuttle thread shares one OS
/// thread, so the default collector's thread-local handle would be shared
/// between them; there each stack owns a `Collector` and every operation
/// registers a fresh handle, which is a valid (stricter) use of the API.
pub struct EpochDomain {
    #[cfg(all(feature = "shuttle", not(loom)))]
    collector: crossbeam_epoch::Collector,
}

impl EpochDomain {
    /// A domain for one data structure.
    #[inline]
    pub fn new() -> Self {
        Self {
            #[cfg(all(feature = "shuttle", not(loom)))]
            collector: crossbeam_epoch::Collector::new(),
        }
    }

    /// Pins the current thread; nodes retired after this pin are not freed
    /// while the guard lives.
    #[inline]
    pub fn pin(&self) -> crossbeam_epoch::Guard {
        #[cfg(all(feature = "shuttle", not(loom)))]
        return self.collector.register().pin();
        #[cfg(not(all(feature = "shuttle", not(loom))))]
        crossbeam_epoch::pin()
    }
}

impl Default for EpochDomain {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------
// Heap nodes with use-after-free detection
// ---------------------------------------------------------------------------

/// Heap nodes that other threads may still be reading.
///
/// Under `std` these are plain `Box` allocations. Under loom and shuttle a
/// freed node is *quarantined* (its memory is never returned, so its address
/// is never reused) and *poisoned* (flagged freed), and [`node::with`] panics
/// with a message containing `use-after-free` when it is given a freed node —
/// before or after the read, so a free that races with the read is caught too.
pub mod node {
    /// The panic message fragment the negative models look for.
    pub const USE_AFTER_FREE: &str = "use-after-free";

    #[cfg(any(loom, feature = "shuttle"))]
    #[repr(C)]
    struct Quarantined<T> {
        // First field of a repr(C) struct: a pointer to the node is a pointer
        // to the whole allocation.
        value: T,
        freed: std::sync::atomic::AtomicBool,
    }

    /// Moves `value` to the heap and returns its raw pointer.
    #[inline]
    pub fn alloc<T>(value: T) -> *mut T {
        #[cfg(any(loom, feature = "shuttle"))]
        {
            let boxed = Box::new(Quarantined {
                value,
                freed: std::sync::atomic::AtomicBool::new(false),
            });
            Box::into_raw(boxed).cast::<T>()
        }
        #[cfg(not(any(loom, feature = "shuttle")))]
        Box::into_raw(Box::new(value))
    }

    /// Frees a node made by [`alloc`].
    ///
    /// # Safety
    /// `ptr` came from [`alloc`] with the same `T` and is freed once. Under
    /// `std` no thread may read it afterwards; under the models a later read
    /// panics instead of being undefined.
    #[inline]
    pub unsafe fn free<T>(ptr: *mut T) {
        #[cfg(any(loom, feature = "shuttle"))]
        {
            // SAFETY: `ptr` points at the first field of a live
            // `Quarantined<T>` (quarantined memory is never deallocated).
            let cell = unsafe { &*ptr.cast::<Quarantined<T>>() };
            let was_freed = cell.freed.swap(true, std::sync::atomic::Ordering::SeqCst);
            assert!(!was_freed, "double free of node {ptr:p}");
            // The node's contents are left in place (its atomics stay valid
            // objects for the checker) and the allocation is leaked: the
            // address is never handed out again.
        }
        #[cfg(not(any(loom, feature = "shuttle")))]
        // SAFETY: the caller guarantees `ptr` came from `alloc` (a `Box`) and
        // is freed exactly once.
        drop(unsafe { Box::from_raw(ptr) });
    }

    /// Runs `read` on the node at `ptr`.
    ///
    /// # Safety
    /// `ptr` came from [`alloc`]. Under `std` it must not have been freed;
    /// under the models reading a freed node panics with `use-after-free`.
    #[inline]
    pub unsafe fn with<T, R>(ptr: *mut T, read: impl FnOnce(&T) -> R) -> R {
        #[cfg(any(loom, feature = "shuttle"))]
        {
            // SAFETY: quarantined memory is never deallocated, so the header
            // stays readable even after `free`.
            let cell = unsafe { &*ptr.cast::<Quarantined<T>>() };
            let check = || {
                if cell.freed.load(std::sync::atomic::Ordering::SeqCst) {
                    panic!("{USE_AFTER_FREE}: read of freed node {ptr:p}");
                }
            };
            check();
            let out = read(&cell.value);
            check();
            out
        }
        #[cfg(not(any(loom, feature = "shuttle")))]
        // SAFETY: the caller guarantees the node is live.
        read(unsafe { &*ptr })
    }
}

// ---------------------------------------------------------------------------
// Mutation sites
// ---------------------------------------------------------------------------

/// Named ordering sites that the mutation models weaken one at a time.
///
/// Algorithm code writes `ord(Acquire, "index_stack.pop.head")` where a
/// non-`Relaxed` ordering is needed. Under `std` that is exactly `Acquire`.
/// Under loom and shuttle, `mutation::with_mutant` (model builds only) can make one named site
/// return `Relaxed` (or one named behaviour switch return `true`) for the
/// duration of a model run, and the model must then fail: that is the
/// evidence that each ordering is necessary and that the checker would notice
/// if it were lost.
pub mod mutation {
    use super::Ordering;

    #[cfg(any(loom, feature = "shuttle"))]
    static ACTIVE: std::sync::Mutex<Option<&'static str>> = std::sync::Mutex::new(None);

    #[cfg(any(loom, feature = "shuttle"))]
    fn active() -> Option<&'static str> {
        *ACTIVE.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The site a `--cfg tsan_mutant` std build weakens: the value of
    /// `VERIFIED_POOLS_MUTANT`, read once (the TSan tier's negative rows).
    #[cfg(all(tsan_mutant, not(any(loom, feature = "shuttle"))))]
    fn std_mutant() -> Option<&'static str> {
        static SITE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        SITE.get_or_init(|| std::env::var("VERIFIED_POOLS_MUTANT").ok())
            .as_deref()
    }

    /// The ordering for `site`: `ordering` itself, unless a model run (or,
    /// in a `--cfg tsan_mutant` std build, `VERIFIED_POOLS_MUTANT`) has
    /// weakened `site`, in which case `Relaxed`.
    #[inline(always)]
    pub fn ord(ordering: Ordering, site: &'static str) -> Ordering {
        #[cfg(any(loom, feature = "shuttle"))]
        if active() == Some(site) {
            return Ordering::Relaxed;
        }
        #[cfg(all(tsan_mutant, not(any(loom, feature = "shuttle"))))]
        if std_mutant() == Some(site) {
            return Ordering::Relaxed;
        }
        let _ = site;
        ordering
    }

    /// Whether the behaviour mutant `site` is switched on (never under `std`).
    #[inline(always)]
    pub fn is_active(site: &'static str) -> bool {
        #[cfg(any(loom, feature = "shuttle"))]
        return active() == Some(site);
        #[cfg(not(any(loom, feature = "shuttle")))]
        {
            let _ = site;
            false
        }
    }

    /// Runs `f` with `site` weakened; the mutant is cleared afterwards, even
    /// if `f` panics. Only for model builds, and callers must not run two
    /// mutants at once (the mutation test binary serialises its tests).
    #[cfg(any(loom, feature = "shuttle"))]
    pub fn with_mutant<R>(site: &'static str, f: impl FnOnce() -> R) -> R {
        struct Clear;
        impl Drop for Clear {
            fn drop(&mut self) {
                *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
        }
        *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(site);
        let _clear = Clear;
        f()
    }
}

// ---------------------------------------------------------------------------
// Thread-locals (added for the thread-local cache front, `src/tls/`)
// ---------------------------------------------------------------------------

/// `thread_local!` of the active back end: `std::thread_local!`,
/// `loom::thread_local!` or `shuttle::thread_local!`.
///
/// Every back end gives each of *its* threads its own value and runs the
/// value's `Drop` when that thread exits. Under shuttle all shuttle threads
/// share one OS thread, so a plain `std::thread_local!` would be shared
/// between them; shuttle's own macro keys the value by shuttle thread (and
/// loom's by loom thread), which is what a per-thread cache needs. Use it as
/// `crate::sync::thread_local! { static NAME: Type = init; }` (no `const {}`
/// initialiser: loom's macro does not take one) and access the key with
/// `with` / `try_with`, which all three `LocalKey`s provide.
#[cfg(loom)]
pub use loom::thread_local;
#[cfg(all(feature = "shuttle", not(loom)))]
pub use shuttle::thread_local;
#[cfg(not(any(loom, feature = "shuttle")))]
pub use std::thread_local;
