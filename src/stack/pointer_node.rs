//! `PointerNodeStack<T>`: the seed's Treiber stack exactly as its algorithm
//! is written — a `Box` node per push; pop loads the head, reads
//! `(*head).next`, CASes the head to it and frees the node at once.
//!
//! That pop is sound with **one popper at a time** and unsound with two:
//!
//! * use-after-free: P1 loads head `A`; P2 pops `A` and frees it; P1 reads
//!   `A.next` from freed memory.
//! * ABA: P1 loads `A`, reads `next = B`; P2 pops `A`, pops `B`, pushes a node
//!   the allocator places at `A`'s old address; P1's CAS succeeds and installs
//!   `B`, which P2 owns — `B` is handed out twice and later freed twice.
//!
//! So safe code reaches pop only through [`FreeList::pop`], which takes a
//! single-popper flag for the length of one pop; the seed's lock-free
//! multi-popper pop is [`PointerNodeStack::pop_shared`], `unsafe`, kept for
//! the negative models and the benches. Pushes are always lock-free and may
//! run concurrently with each other and with the one popper.
//!
//! The flag is held only inside `FreeList::pop`, which runs no user code
//! while it holds it (values are moved, never dropped, there), so a thread
//! can never wait for a flag it holds itself. No handle to the flag is
//! public, so holding it across user code does not compile:
//!
//! ```compile_fail
//! use verified_pools::{FreeList, PointerNodeStack};
//! let s = PointerNodeStack::new();
//! s.push(1).unwrap();
//! let _held = s.popper(); // error: `popper` is private
//! s.pop(); // would wait for `_held` forever
//! ```
//!
//! The seed's orderings also include an Acquire load in push and a Release
//! CAS in pop; neither is needed (the loom mutation models check the ones
//! kept), so they are Relaxed here.
//!
//! # Invariants
//! 1. A node's `next` is written only before the Release CAS that publishes it.
//! 2. At most one thread is inside `pop` at a time (the `popping` flag); so
//!    the head's top node can only be unlinked by us while we pop, and
//!    reading `top.next` is reading a live node.
//! 3. A node is freed only by the popper whose CAS unlinked it.
//!
//! # Linearization points
//! * push: the successful CAS that installs the node.
//! * pop (some): the successful CAS that unlinks the node.
//! * pop (none): the Acquire load that reads null.

use core::mem::ManuallyDrop;
use core::ptr;

use super::{CapacityError, ContentionStats, FreeList};
use crate::sync::contention::{Contention, Retry};
use crate::sync::mutation::ord;
use crate::sync::{AtomicBool, AtomicPtr, Ordering::*, UnsafeCell, node, spin_loop};
use crossbeam_utils::CachePadded;

struct Node<T> {
    value: UnsafeCell<ManuallyDrop<T>>,
    next: AtomicPtr<Node<T>>,
}

/// The seed's pointer-node Treiber stack: lock-free pushes, one popper.
///
/// ```
/// use verified_pools::{FreeList, PointerNodeStack};
/// let s = PointerNodeStack::new();
/// s.push(1).unwrap();
/// s.push(2).unwrap();
/// assert_eq!(s.pop(), Some(2)); // takes and releases the popper flag
/// ```
pub struct PointerNodeStack<T> {
    head: CachePadded<AtomicPtr<Node<T>>>,
    popping: CachePadded<AtomicBool>,
    contention: Contention,
}

// SAFETY: values move between threads through the stack (T: Send); a node's
// value is moved out only by the popper that unlinked it (invariant 3).
unsafe impl<T: Send> Send for PointerNodeStack<T> {}
// SAFETY: as above; safe pops are serialised by `popping` (invariant 2).
unsafe impl<T: Send> Sync for PointerNodeStack<T> {}

/// The exclusive right to pop from a [`PointerNodeStack`]; released on drop.
/// Private: only `FreeList::pop` holds one, for one pop (see module docs).
struct Popper<'a, T> {
    stack: &'a PointerNodeStack<T>,
}

impl<T> Popper<'_, T> {
    /// Pops the top value.
    fn pop(&mut self) -> Option<T> {
        // SAFETY: holding the `Popper` means no other pop runs (invariant 2).
        unsafe { self.stack.pop_shared() }
    }
}

impl<T> Drop for Popper<'_, T> {
    fn drop(&mut self) {
        // Release: the next popper's Acquire swap happens-after our unlink
        // and free, so it cannot load the head we already popped.
        self.stack
            .popping
            .store(false, ord(Release, "pointer_node.popper.release"));
    }
}

impl<T> PointerNodeStack<T> {
    /// An empty stack.
    pub fn new() -> Self {
        Self {
            head: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            popping: CachePadded::new(AtomicBool::new(false)),
            contention: Contention::new(),
        }
    }

    /// Takes the single-popper right, or `None` if another thread holds it.
    fn popper(&self) -> Option<Popper<'_, T>> {
        // A compare-exchange, not a swap: a refused caller writes nothing, so
        // it cannot put a stale `true` after the holder's release.
        self.popping
            .compare_exchange(
                false,
                true,
                // Acquire: pairs with the previous popper's Release in
                // `Popper::drop`, so we see the head it left.
                ord(Acquire, "pointer_node.popper.acquire"),
                // Relaxed: refused; nothing is read through the flag.
                Relaxed,
            )
            .ok()
            .map(|_| Popper { stack: self })
    }

    /// The seed's lock-free pop, with no popper exclusion.
    ///
    /// # Safety
    /// No other pop ([`pop_shared`](Self::pop_shared) or [`FreeList::pop`])
    /// may run concurrently. With two concurrent poppers
    /// this is the seed's bug: a popper can read a node another popper
    /// already freed (use-after-free), and with address reuse install a node
    /// another thread owns (ABA: the same value handed out twice, then freed
    /// twice). Concurrent pushes are fine.
    pub unsafe fn pop_shared(&self) -> Option<T> {
        let mut retry = Retry::new(&self.contention);
        loop {
            // Acquire: pairs with the pushing CAS, so `next` and the value are
            // visible.
            let top = self.head.load(ord(Acquire, "pointer_node.pop.load"));
            if top.is_null() {
                return None;
            }
            // SAFETY: under the caller's contract only we unlink and free
            // nodes, so `top` is live (invariant 2). Under the models a
            // violated contract panics here with "use-after-free".
            // Relaxed: ordered after the Acquire load (invariant 1).
            let next = unsafe { node::with(top, |n| n.next.load(Relaxed)) };
            // Relaxed (both): we already Acquired `top`; on failure we reload.
            if self
                .head
                .compare_exchange_weak(top, next, Relaxed, Relaxed)
                .is_ok()
            {
                // SAFETY: our CAS unlinked `top`; we own it and free it once
                // (invariant 3), moving the value out first.
                let value = unsafe {
                    node::with(top, |n| n.value.with_mut(|v| ManuallyDrop::take(&mut *v)))
                };
                // SAFETY: our CAS unlinked `top`, so we free it exactly once
                // (invariant 3); the value was moved out above and `Node` does
                // not drop it again (ManuallyDrop).
                unsafe { node::free(top) };
                return Some(value);
            }
            retry.spin();
        }
    }
}

impl<T> Default for PointerNodeStack<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> FreeList<T> for PointerNodeStack<T> {
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
                // Release: the popper's Acquire load sees `next` and the value.
                ord(Release, "pointer_node.push.cas"),
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

    /// Waits for the single-popper right, pops, and releases it. The wait
    /// ends when the other thread's pop does (no user code runs while the
    /// right is held), so this pop is blocking but cannot deadlock.
    #[inline]
    fn pop(&self) -> Option<T> {
        let mut retry = Retry::new(&self.contention);
        loop {
            if let Some(mut popper) = self.popper() {
                return popper.pop();
            }
            retry.tally();
            spin_loop();
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

impl<T> Drop for PointerNodeStack<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` excludes every other pop.
        while unsafe { self.pop_shared() }.is_some() {}
    }
}
