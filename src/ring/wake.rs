//! Waking a producer parked in [`alloc_wait`](super::RingProducer::alloc_wait)
//! without a lost wake-up.
//!
//! # Protocol (store→load on both sides: Dekker)
//! * waiter (producer): `waiting ← true`; **wait fence**; reclaim (loads the
//!   headers); if the request fits, done; else park, and reclaim again on
//!   every wake-up.
//! * releaser (slice drop): header ← RELEASED; **wake fence**; load
//!   `waiting`; if set, unpark the producer.
//!
//! Without both fences each side may read the other's old value (both
//! stores still in store buffers): the producer sees the header LIVE and
//! parks, the releaser sees `waiting` false and leaves: a lost wake-up. With
//! both, the two fences are ordered in the single total order of `SeqCst`
//! fences; whichever comes second sees the other side's store. `park` keeps
//! a token, so an unpark that arrives before the producer parks is not lost
//! either.
//!
//! # Asymmetric fences (std build)
//! The wake fence sits on every release, the wait fence only on a producer
//! about to sleep. Where the kernel offers it (Linux `membarrier`,
//! `PRIVATE_EXPEDITED`, registered once per process), the wait fence is a
//! `membarrier` call, which runs a full memory barrier on every CPU running
//! a thread of this process before it returns, and the wake fence is only a
//! compiler fence: the "asymmetric fence" pair of folly and liburcu. Either
//! the releaser's barrier comes after its RELEASED store (the producer's
//! reclaim then sees it) or before its `waiting` load (which then sees
//! `true`). Without `membarrier` both sides use `fence(SeqCst)`. The model
//! builds check the symmetric form; both sides are ordering sites
//! (`ring.wait.fence`, `ring.wake.fence`) that the mutation models remove.

use crate::sync::Ordering::{self, Relaxed};
use crate::sync::{AtomicBool, Mutex, fence, thread};

/// The producer's sleeping place, shared with every releaser.
pub(crate) struct Wake {
    /// A producer is in (or about to enter) `park`. Relaxed accesses: the
    /// two fences order them (module docs).
    waiting: AtomicBool,
    /// The thread to unpark (taken only on the slow paths).
    thread: Mutex<Option<thread::Thread>>,
    /// Whether the wake fence may be a compiler fence (std, `membarrier`
    /// registered).
    asymmetric: bool,
}

impl Wake {
    pub(crate) fn new() -> Self {
        Self {
            waiting: AtomicBool::new(false),
            thread: Mutex::new(None),
            asymmetric: heavy::available(),
        }
    }

    /// Producer side, before its re-check: records the calling thread,
    /// announces it, then runs the wait fence (`order` is the site's
    /// ordering; `Relaxed` means "no fence", the mutant). Returns `false`
    /// if the wake-up cannot be relied on (the kernel refused a barrier it
    /// had accepted to register): the caller then polls.
    pub(crate) fn announce(&self, order: Ordering) -> bool {
        *self.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread::current());
        self.waiting.store(true, Relaxed);
        if order == Relaxed {
            return true;
        }
        // Only the std build can be asymmetric (`heavy::available`).
        #[cfg(not(any(loom, shuttle)))]
        if self.asymmetric {
            return heavy::barrier();
        }
        fence(order);
        true
    }

    /// Producer side, when it stops waiting. Relaxed: a releaser that still
    /// reads `true` only unparks this thread spuriously, which `park`
    /// allows.
    pub(crate) fn withdraw(&self) {
        self.waiting.store(false, Relaxed);
    }

    /// Releaser side, right after the RELEASED store: the wake fence, one
    /// load, and (only if a producer waits) the unpark.
    #[inline(always)]
    pub(crate) fn after_release(&self, order: Ordering) {
        if order != Relaxed {
            light_fence(order, self.asymmetric);
        }
        if self.waiting.load(Relaxed) {
            self.wake();
        }
    }

    #[cold]
    #[inline(never)]
    fn wake(&self) {
        let guard = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = guard.as_ref() {
            t.unpark();
        }
    }
}

/// The wake fence. One body for every build, so the models check the code
/// the std build runs: they never take the asymmetric branch
/// (`heavy::available` is `false` there), and have no compiler fence.
#[inline(always)]
fn light_fence(order: Ordering, asymmetric: bool) {
    if asymmetric {
        #[cfg(not(any(loom, shuttle)))]
        crate::sync::compiler_fence(order);
    } else {
        fence(order);
    }
}

/// The heavy side of the asymmetric pair: Linux `membarrier`.
#[cfg(not(any(loom, shuttle)))]
mod heavy {
    use std::sync::OnceLock;

    // `uapi/linux/membarrier.h`'s `1 << 3` and `1 << 4`, as literals.
    const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 8;
    const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 16;

    fn membarrier(cmd: libc::c_long) -> bool {
        // SAFETY: `membarrier(cmd, flags = 0, cpu_id = 0)` takes no pointers.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_long,
                0 as libc::c_long,
            ) == 0
        }
    }

    /// Registers this process once; `true` if the expedited barrier is
    /// available (then it cannot fail: its only error is "not registered").
    pub(super) fn available() -> bool {
        static REGISTERED: OnceLock<bool> = OnceLock::new();
        *REGISTERED.get_or_init(|| membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
    }

    /// A full memory barrier on every CPU running a thread of this
    /// process; `false` if the kernel refused it (its documented only error
    /// is "not registered", so this should not happen; the waiter then
    /// polls rather than trust a wake-up).
    pub(super) fn barrier() -> bool {
        membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
    }
}

/// Model builds: no asymmetric pair; both sides are `fence`s.
#[cfg(any(loom, shuttle))]
mod heavy {
    pub(super) fn available() -> bool {
        false
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    /// The probe reads the kernel's answer as the kernel gives it: a
    /// kernel without the expedited barrier must not be taken for one with
    /// it (the wake fence would then be a compiler fence alone).
    #[test]
    fn the_membarrier_probe_agrees_with_the_kernel() {
        // SAFETY: `membarrier(REGISTER_PRIVATE_EXPEDITED, 0, 0)` takes no
        // pointers; registering twice is allowed.
        let registered = unsafe { libc::syscall(libc::SYS_membarrier, 16, 0, 0) } == 0;
        assert_eq!(super::heavy::available(), registered);
        if registered {
            assert!(super::heavy::barrier());
        }
    }
}
