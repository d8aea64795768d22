//! Heap nodes that other threads may still be reading.
//!
//! Under `std` these are plain `Box` allocations. Under loom and shuttle a
//! freed node is *quarantined* (its memory is never returned, so its address
//! is never reused) and *poisoned* (flagged freed), and [`with`] panics
//! with a message containing `use-after-free` when it is given a freed node —
//! before or after the read, so a free that races with the read is caught too.

/// The panic message fragment the negative models look for (model builds).
#[cfg(any(loom, shuttle))]
pub const USE_AFTER_FREE: &str = "use-after-free";

#[cfg(any(loom, shuttle))]
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
    #[cfg(any(loom, shuttle))]
    {
        let boxed = Box::new(Quarantined {
            value,
            freed: std::sync::atomic::AtomicBool::new(false),
        });
        Box::into_raw(boxed).cast::<T>()
    }
    #[cfg(not(any(loom, shuttle)))]
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
    #[cfg(any(loom, shuttle))]
    {
        // SAFETY: `ptr` points at the first field of a live
        // `Quarantined<T>` (quarantined memory is never deallocated).
        let cell = unsafe { &*ptr.cast::<Quarantined<T>>() };
        let was_freed = cell.freed.swap(true, std::sync::atomic::Ordering::SeqCst);
        assert!(!was_freed, "double free of node {ptr:p}");
        super::model::ghost::bump(&super::model::ghost::NODES_FREED);
        // The node's contents are left in place (its atomics stay valid
        // objects for the checker) and the allocation is leaked: the
        // address is never handed out again.
    }
    #[cfg(not(any(loom, shuttle)))]
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
    #[cfg(any(loom, shuttle))]
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
    #[cfg(not(any(loom, shuttle)))]
    // SAFETY: the caller guarantees the node is live.
    read(unsafe { &*ptr })
}
