//! `EpochStack<T>`: the seed's node-per-push Treiber stack, made safe for any
//! number of poppers by epoch-based reclamation (crossbeam-epoch).
//!
//! The head is the shim's `AtomicPtr` (so loom and shuttle schedule every
//! access to it); crossbeam-epoch only decides *when* a popped node may be
//! freed: a popper pins before loading the head and retires the node it
//! unlinks, and the node is freed once every thread pinned at that time has
//! unpinned.
//!
//! # Invariants
//! 1. A node's `next` is written only before the Release CAS that publishes
//!    it and never after; a node is pushed once (a fresh node per push).
//! 2. A node is freed only through `defer`, after it is unlinked, so any
//!    thread that loaded it while pinned can still read it (no use-after-free).
//! 3. While a thread is pinned and holds pointer `p`, `p`'s memory is not
//!    reused; so a successful CAS from `p` means `p` was head throughout
//!    (no ABA), and `p.next` is still its successor.
//! 4. Each value is moved out exactly once, by the popper whose CAS unlinked
//!    its node.
//!
//! # Linearization points
//! * push: the successful CAS that installs the node.
//! * pop (some): the successful CAS that unlinks the node.
//! * pop (none): the Acquire load that reads null.

use core::mem::ManuallyDrop;
use core::ptr;

use super::{CapacityError, ContentionStats, FreeList};
use crate::sync::contention::{Contention, Retry};
use crate::sync::epoch::EpochDomain;
use crate::sync::mutation::ord;
use crate::sync::{AtomicPtr, Ordering::*, UnsafeCell, node};
use crossbeam_utils::CachePadded;

struct Node<T> {
    value: UnsafeCell<ManuallyDrop<T>>,
    next: AtomicPtr<Node<T>>,
}

/// An unbounded lock-free stack; popped nodes are reclaimed by epochs.
///
/// ```
/// use verified_pools::{EpochStack, FreeList};
/// let s: EpochStack<String> = EpochStack::with_capacity(0).unwrap();
/// s.push("a".into()).unwrap();
/// assert_eq!(s.pop().as_deref(), Some("a"));
/// ```
pub struct EpochStack<T> {
    head: CachePadded<AtomicPtr<Node<T>>>,
    epochs: EpochDomain,
    contention: Contention,
}

// SAFETY: values move between threads through the stack (T: Send); a node's
// value is read only by the thread whose CAS unlinked it (invariant 4).
unsafe impl<T: Send> Send for EpochStack<T> {}
// SAFETY: as above; `&EpochStack` gives no access to a `T` in place.
unsafe impl<T: Send> Sync for EpochStack<T> {}

impl<T> EpochStack<T> {
    /// An empty stack.
    pub fn new() -> Self {
        Self {
            head: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            epochs: EpochDomain::new(),
            contention: Contention::new(),
        }
    }
}

impl<T> Default for EpochStack<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> FreeList<T> for EpochStack<T> {
    /// Unbounded: `capacity` is only a hint and may be zero.
    fn with_capacity(_capacity: usize) -> Result<Self, CapacityError> {
        Ok(Self::new())
    }

    #[inline]
    fn push(&self, value: T) -> Result<(), T> {
        let fresh = node::alloc(Node {
            value: UnsafeCell::new(ManuallyDrop::new(value)),
            next: AtomicPtr::new(ptr::null_mut()),
        });
        let mut retry = Retry::new(&self.contention);
        // Relaxed: the value only seeds the CAS, which validates it.
        let mut old = self.head.load(Relaxed);
        loop {
            // SAFETY: `fresh` is ours until the CAS publishes it.
            // Relaxed: published by the Release CAS below (invariant 1).
            unsafe { node::with(fresh, |n| n.next.store(old, Relaxed)) };
            match self.head.compare_exchange_weak(
                old,
                fresh,
                // Release: a popper's Acquire load of the head sees `next` and
                // the value written when the node was made.
                ord(Release, "epoch.push.cas"),
                // Relaxed: on failure we only re-link to the fresh head.
                Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(current) => {
                    old = current;
                    retry.spin();
                }
            }
        }
    }

    #[inline]
    fn pop(&self) -> Option<T> {
        let guard = self.epochs.pin();
        let mut retry = Retry::new(&self.contention);
        loop {
            // Acquire: pairs with the pushing CAS, so `next` and the value are
            // visible.
            let top = self.head.load(ord(Acquire, "epoch.pop.load"));
            if top.is_null() {
                return None;
            }
            // SAFETY: we are pinned and loaded `top` from the head, so it is
            // not freed before `guard` drops (invariant 2).
            // Relaxed: ordered after the Acquire load; immutable once
            // published (invariant 1).
            let next = unsafe { node::with(top, |n| n.next.load(Relaxed)) };
            // Relaxed (both): success means `top` was head throughout
            // (invariant 3) and we already Acquired it; on failure we reload.
            if self
                .head
                .compare_exchange_weak(top, next, Relaxed, Relaxed)
                .is_ok()
            {
                // SAFETY: our CAS unlinked `top`, so we alone move its value
                // out (invariant 4); the node stays allocated until `guard`
                // and every other pin of this epoch end.
                let value = unsafe {
                    node::with(top, |n| n.value.with_mut(|v| ManuallyDrop::take(&mut *v)))
                };
                let retired = top as usize;
                // SAFETY: `top` is unlinked, so no thread that pins after now
                // can load it; the closure runs once, after every earlier pin
                // ends. The node's value was moved out above, and `Node` has
                // no drop glue that would touch it (ManuallyDrop).
                unsafe {
                    guard.defer_unchecked(move || node::free(retired as *mut Node<T>));
                }
                return Some(value);
            }
            retry.spin();
        }
    }

    fn capacity(&self) -> Option<usize> {
        None
    }

    fn contention(&self) -> Option<ContentionStats> {
        self.contention.read()
    }

    fn reset_contention(&self) {
        self.contention.reset();
    }
}

impl<T> Drop for EpochStack<T> {
    fn drop(&mut self) {
        // `&mut self`: no other thread can reach the list; free it directly.
        let mut cursor = self.head.load(Relaxed);
        while !cursor.is_null() {
            // SAFETY: we own every node still linked; each is freed once.
            unsafe {
                let next = node::with(cursor, |n| {
                    n.value.with_mut(|v| ManuallyDrop::drop(&mut *v));
                    n.next.load(Relaxed)
                });
                node::free(cursor);
                cursor = next;
            }
        }
    }
}
