//! The per-pool registry of cache slots: a lock-free, append-only list of
//! `Slot`s, each owned by at most one thread at a time.
//!
//! # Slot states
//! ```text
//!   FREE ──claim CAS──▶ OWNED ──owner's CAS──▶ EXITING ──flush, Release store──▶ FREE
//!     │                   │
//!     └──────────pool drop's CAS──────────────▶ RECLAIMED (final)
//! ```
//!
//! # Invariants
//! 1. A slot's caches are touched only by the thread that moved the slot
//!    into OWNED or EXITING (claim, or the owner's exit CAS), or by the pool's
//!    drop after it moved the slot into RECLAIMED. The CAS decides; two of
//!    them cannot both win.
//! 2. The Release store to FREE and the Acquire claim CAS hand a slot's
//!    caches (and the running totals in them) to its next owner.
//! 3. Slots are never unlinked or freed before the registry is dropped, and
//!    `next` is written only before the Release CAS that publishes the slot,
//!    so a reader that Acquired the head may follow `next` freely.
//! 4. The list holds at most as many slots as threads ever used the pool at
//!    once: a new slot is made only when no FREE slot was found.
//!
//! # Linearization points
//! * claim (reuse): the CAS FREE→OWNED; claim (new): the CAS that links it.
//! * release: the Release store to FREE (the flush before it linearizes at
//!   its own depot and list operations).

use core::ptr;

use crate::sync::mutation::ord;
use crate::sync::{AtomicPtr, AtomicUsize, Ordering::*};
use crossbeam_utils::CachePadded;

pub(crate) const FREE: usize = 0;
pub(crate) const OWNED: usize = 1;
pub(crate) const EXITING: usize = 2;
pub(crate) const RECLAIMED: usize = 3;

/// What a slot holds: one thread's caches of every kind its pool serves.
pub(crate) trait SlotCaches {
    /// Empty caches of `per_thread` places each.
    fn new(per_thread: usize) -> Self;
}

/// One thread's caches (`C`: one per kind) in one pool.
/// `repr(C)` with the caches first: the hot path reaches them at the
/// slot's address, with no offset to add.
#[repr(C)]
pub struct Slot<C> {
    pub(crate) caches: C,
    next: *const CachePadded<Slot<C>>,
    pub(crate) state: AtomicUsize,
}

// SAFETY: a slot's caches hold `Send` buffers and are touched by one thread
// at a time (invariant 1), handed over by the state word (invariant 2); the
// rest is atomics and an immutable `next`.
unsafe impl<C: Send> Send for Slot<C> {}
// SAFETY: as above.
unsafe impl<C: Send> Sync for Slot<C> {}

impl<C> Slot<C> {
    /// Whether some thread owns this slot now.
    pub(crate) fn is_owned(&self) -> bool {
        // Relaxed: a statistics figure (live threads); orders nothing.
        self.state.load(Relaxed) == OWNED
    }
}

/// The list of slots of one pool.
pub(crate) struct Registry<C> {
    head: AtomicPtr<CachePadded<Slot<C>>>,
    per_thread: usize,
}

impl<C: SlotCaches> Registry<C> {
    pub(crate) fn new(per_thread: usize) -> Self {
        Self {
            head: AtomicPtr::new(ptr::null_mut()),
            per_thread,
        }
    }

    /// Every slot, newest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Slot<C>> {
        // Acquire: pairs with the Release CAS that linked the newest slot,
        // so its fields (and, via `next`, every older slot's) are visible.
        let mut p: *const CachePadded<Slot<C>> = self.head.load(ord(Acquire, "tls.registry.load"));
        core::iter::from_fn(move || {
            // SAFETY: non-null entries were published by `claim` and live
            // until the registry is dropped (invariant 3), which needs
            // `&mut self`, so not while this borrow lasts.
            let slot: &Slot<C> = unsafe { p.as_ref() }?;
            p = slot.next;
            Some(slot)
        })
    }

    /// A slot the calling thread now owns: a FREE one, else a new one.
    pub(crate) fn claim(&self) -> &Slot<C> {
        for slot in self.iter() {
            // Relaxed: a pre-check; the CAS below decides.
            if slot.state.load(Relaxed) == FREE
                && slot
                    .state
                    .compare_exchange(
                        FREE,
                        OWNED,
                        // Acquire: pairs with the previous owner's Release
                        // store to FREE, so its writes to the caches
                        // happen-before ours (invariant 2).
                        ord(Acquire, "tls.slot.claim"),
                        // Relaxed: on failure we move on.
                        Relaxed,
                    )
                    .is_ok()
            {
                return slot;
            }
        }
        let new = Box::into_raw(Box::new(CachePadded::new(Slot {
            next: ptr::null(),
            state: AtomicUsize::new(OWNED),
            caches: C::new(self.per_thread),
        })));
        // Relaxed: the value only seeds the CAS, which validates it.
        let mut head = self.head.load(Relaxed);
        loop {
            // SAFETY: `new` is ours alone until the CAS below publishes it.
            let unpublished: &mut CachePadded<Slot<C>> = unsafe { &mut *new };
            unpublished.next = head;
            match self.head.compare_exchange_weak(
                head,
                new,
                // Release: a reader that Acquires the head sees the slot's
                // initialised fields and `next` (invariant 3).
                ord(Release, "tls.registry.push"),
                // Relaxed: on failure we only re-link to the fresh head.
                Relaxed,
            ) {
                // SAFETY: published, and live until the registry is dropped.
                Ok(_) => return unsafe { &*new },
                Err(current) => head = current,
            }
        }
    }

    /// The owner starts giving its slot up; false if the pool's drop has
    /// reclaimed it already (then the owner must not touch it).
    pub(crate) fn begin_release(slot: &Slot<C>) -> bool {
        slot.state
            .compare_exchange(
                OWNED, EXITING,
                // Relaxed: only the owner moves its slot out of OWNED, except
                // the pool's drop, which needs no ordering from us (it runs
                // after every borrow of the pool ended).
                Relaxed, // Relaxed: on failure the slot is not ours any more.
                Relaxed,
            )
            .is_ok()
    }

    /// The owner has flushed its slot; anyone may claim it now.
    pub(crate) fn end_release(slot: &Slot<C>) {
        // Release: the next claimer's Acquire CAS sees our flush and totals.
        slot.state.store(FREE, ord(Release, "tls.slot.release"));
    }

    /// Pool teardown: takes `slot` away from its owner unless it is
    /// mid-release (then the owner finishes its flush itself). True if the
    /// caller now owns the slot's caches.
    pub(crate) fn reclaim(slot: &Slot<C>) -> bool {
        for from in [OWNED, FREE] {
            if slot
                .state
                .compare_exchange(
                    from,
                    RECLAIMED,
                    // Acquire: pairs with a previous owner's Release store to
                    // FREE. From OWNED the owner's last use of the caches
                    // happens-before the pool's drop anyway (the borrow that
                    // made it ended first).
                    ord(Acquire, "tls.slot.reclaim"),
                    // Relaxed: on failure we try the next state or skip.
                    Relaxed,
                )
                .is_ok()
            {
                return true;
            }
        }
        false
    }
}

impl<C> Drop for Registry<C> {
    fn drop(&mut self) {
        // Relaxed: `&mut self`, so no other thread is left to order with.
        let mut p = self.head.load(Relaxed);
        while !p.is_null() {
            // SAFETY: every slot came from `Box::into_raw` in `claim`, is
            // freed once here, and no reader is left (`&mut self`).
            let slot = unsafe { Box::from_raw(p) };
            p = slot.next as *mut _;
        }
    }
}
