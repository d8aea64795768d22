//! Thread identity: each thread's table of the pools it caches for.
//!
//! One `thread_local!` of the active back end (`crate::sync::thread_local`:
//! std, loom or shuttle, so each *model* thread has its own table) maps a
//! pool's key — the address of its shared state, kept unique by the strong
//! `Arc` the entry holds — to the slot this thread claimed in that pool. The
//! last pool used is remembered in two `Cell`s of a second thread-local,
//! `LAST`, which has no destructor: under std its access is a plain load at
//! a fixed offset from the thread pointer, with no check of a destructor's
//! state. So the hot path is one compare and a pointer load: no RMW, no
//! lock, no allocation.
//!
//! When the thread exits, the table's `Drop` gives every slot back (flushing
//! its buffers into the pool's depot, or dropping them if the pool is
//! closed) and then drops its `Arc`s. Entries of pools that were dropped
//! meanwhile are swept whenever the thread registers with another pool.
//!
//! # Invariants
//! 1. `LAST.key` is null or the key of an entry in this thread's `entries`,
//!    and `LAST.slot` is that entry's slot. (The table clears `LAST` before
//!    it drops or sweeps an entry and when it is destroyed; a table that
//!    leaks its entries while unwinding leaves `LAST` naming a leaked, so
//!    still live, slot.)
//! 2. An entry's slot stays valid while the entry lives: the entry's `Arc`
//!    keeps the pool's shared state, which owns the slot, alive.

use core::cell::{Cell, RefCell};
use core::ptr;

/// A slot of some pool, type-erased (the pool's `Registration` knows its
/// type).
pub(crate) type SlotPtr = *const ();

/// What a thread's table needs from a pool, type-erased over its kinds and
/// variant.
pub(crate) trait Registration {
    /// Gives `slot` back to the pool (flush, then free the slot).
    ///
    /// # Safety
    /// `slot` is the slot this registration's pool handed out for this
    /// entry, still alive (invariant 2).
    unsafe fn release(&self, slot: SlotPtr);
    /// Whether the pool's handle has been dropped.
    fn closed(&self) -> bool;
}

struct Entry {
    key: *const (),
    slot: SlotPtr,
    pool: Box<dyn Registration>,
}

impl Entry {
    fn release(self) {
        // SAFETY: invariant 2: `self.pool` still keeps the slot alive, and
        // the slot is the one its pool handed out for this entry.
        unsafe { self.pool.release(self.slot) };
        // `self.pool` (an `Arc` of the pool's shared state) drops here.
    }
}

/// The last pool this thread used and its slot there (invariant 1).
struct Last {
    key: Cell<*const ()>,
    slot: Cell<SlotPtr>,
}

impl Last {
    const fn new() -> Self {
        Self {
            key: Cell::new(ptr::null()),
            slot: Cell::new(ptr::null()),
        }
    }
}

/// Sets this thread's `LAST` (no-op if a model back end has destroyed it:
/// then every lookup takes the table's path).
fn set_last(key: *const (), slot: SlotPtr) {
    let _ = LAST.try_with(|last| {
        last.key.set(key);
        last.slot.set(slot);
    });
}

fn forget_last() {
    set_last(ptr::null(), ptr::null());
}

struct ThreadCaches {
    entries: RefCell<Vec<Entry>>,
}

impl ThreadCaches {
    const fn new() -> Self {
        Self {
            entries: RefCell::new(Vec::new()),
        }
    }

    #[cold]
    fn find_or_register(
        &self,
        key: *const (),
        register: impl FnOnce() -> (SlotPtr, Box<dyn Registration>),
    ) -> SlotPtr {
        let found = self
            .entries
            .borrow()
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.slot);
        let slot = match found {
            Some(slot) => slot,
            None => {
                // The cached key may name an entry the sweep releases: forget
                // it first, so nothing (not even an unwinding `register`)
                // leaves it naming a released slot.
                forget_last();
                self.sweep();
                let (slot, pool) = register();
                self.entries.borrow_mut().push(Entry { key, slot, pool });
                slot
            }
        };
        set_last(key, slot);
        slot
    }

    /// Releases the entries of pools that have been dropped.
    fn sweep(&self) {
        let dead: Vec<Entry> = {
            let mut entries = self.entries.borrow_mut();
            let (dead, live) = entries.drain(..).partition(|e| e.pool.closed());
            *entries = live;
            dead
        };
        for entry in dead {
            entry.release();
        }
    }

    fn remove(&self, key: *const ()) -> Option<Entry> {
        let mut entries = self.entries.borrow_mut();
        let i = entries.iter().position(|e| e.key == key)?;
        forget_last();
        Some(entries.swap_remove(i))
    }
}

impl Drop for ThreadCaches {
    fn drop(&mut self) {
        let entries = self.entries.take();
        if std::thread::panicking() {
            // Only reached while unwinding: a model checker abandoning a
            // failed execution drops its threads' locals outside the
            // execution, where any shim atomic (or `Arc`) panics again and
            // aborts the process, hiding the real failure. Leak the entries
            // (and the cached buffers) instead. Under std, thread-local
            // destructors run after the thread's panic has been caught, so
            // a thread exiting normally or by a panic still gives its cache
            // back. (`LAST` is left alone too: the leaked entries keep its
            // slot alive, and touching a model's thread-local here could
            // panic in the same way.)
            core::mem::forget(entries);
            return;
        }
        forget_last();
        for entry in entries {
            entry.release();
        }
    }
}

// A `const` initialiser where the back end allows it (std). `LAST` has no
// destructor, so std reaches it with no lazy or destructor state to check;
// `CACHES` has one (it gives the slots back), so its accesses check whether
// it is registered, which only the cold path pays.
#[cfg(not(any(loom, shuttle)))]
crate::sync::thread_local! {
    static LAST: Last = const { Last::new() };
    static CACHES: ThreadCaches = const { ThreadCaches::new() };
}

#[cfg(any(loom, shuttle))]
crate::sync::thread_local! {
    static LAST: Last = Last::new();
    static CACHES: ThreadCaches = ThreadCaches::new();
}

/// This thread's slot in the pool `key`, registering with `register` on
/// first use. `None` when the thread's table is gone (the thread is
/// exiting and its thread-locals are being destroyed).
#[inline(always)]
pub(crate) fn slot_of(
    key: *const (),
    register: impl FnOnce() -> (SlotPtr, Box<dyn Registration>),
) -> Option<SlotPtr> {
    let hit = LAST.try_with(|last| (last.key.get() == key).then(|| last.slot.get()));
    match hit {
        Ok(Some(slot)) => Some(slot),
        _ => find_or_register(key, register),
    }
}

/// `slot_of` when `key` is not the last pool used: the table's lookup.
#[cold]
#[inline(never)]
fn find_or_register(
    key: *const (),
    register: impl FnOnce() -> (SlotPtr, Box<dyn Registration>),
) -> Option<SlotPtr> {
    CACHES.try_with(|t| t.find_or_register(key, register)).ok()
}

/// Gives this thread's slot in pool `key` back now, if it has one.
pub(crate) fn release(key: *const ()) {
    let entry = CACHES.try_with(|t| t.remove(key)).ok().flatten();
    if let Some(entry) = entry {
        entry.release();
    }
}
