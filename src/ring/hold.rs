//! How a producer and its slices hold the pool: [`RingRef`], implemented by
//! `&RingPool` (a borrow: nothing to count) and `Arc<RingPool>` (the slices
//! keep the pool alive).
//!
//! # The `Arc` flavour's holds
//! The slices of an [`ArcProducer`](super::ArcProducer) do not each own a
//! strong count of the pool's `Arc` (that would be a locked RMW on hand-out
//! and another on drop). They share one:
//!
//! * `slice_refs` (on the pool) counts the live `Arc`-flavour slices plus the
//!   producer's *credits*, holds it has taken but not yet given to a slice.
//! * Invariant: `slice_refs > 0` ⇔ the holds own one strong count, taken
//!   by the producer when it moves `slice_refs` up from 0
//!   ([`take_credits`]) and given up by whoever moves it down to 0.
//! * A hand-out spends one credit (producer-private, no atomic); when none
//!   is left the producer takes [`CREDIT_BATCH`] at once (one locked RMW per
//!   batch). A slice's drop gives up its hold with one `fetch_sub` as its
//!   last access to the pool; the producer's drop gives back its unused
//!   credits the same way.
//! * The slice's `Arc` field is a copy of the producer's pointer
//!   (`Arc::from_raw` of the same pointer, never dropped except by the last
//!   hold): it stands for one of the shared holds, not for a strong count of
//!   its own.
//!
//! # Orderings
//! As `Arc`'s own count: every holder's accesses to the pool must
//! happen-before the pool's drop. A slice gives up its hold with an
//! `AcqRel` RMW (`ring.hold.rmw`): its Release half publishes the slice's
//! accesses, its Acquire half, when the hold was the last, takes everyone
//! else's before the strong count goes. The producer gives back its credits
//! with an `Acquire` RMW (`ring.credits.rmw`); its own accesses are
//! published by its own `Arc`, dropped right after. Taking credits is
//! `Relaxed`, as `Arc::clone` is.
//!
//! The model builds see only the Acquire half of `ring.hold.rmw`: there the
//! wake fence just before it in the slice's drop is a `SeqCst` fence, which
//! already releases the slice's accesses. In the std build that fence is a
//! compiler fence wherever `membarrier` is available (`wake.rs`), and the
//! Release half is what publishes them.

use core::mem::ManuallyDrop;

use super::RingPool;
use crate::sync::mutation::ord;
use crate::sync::{Arc, MODEL_BUILD, Ordering::*};

/// Credits the producer takes at once. Small in the model builds, so that
/// the checkers reach a refill while slices are live.
const CREDIT_BATCH: usize = if MODEL_BUILD { 2 } else { 64 };

/// How a producer and its slices reach the pool: `&RingPool` or
/// `Arc<RingPool>`. Sealed.
pub trait RingRef: sealed::Sealed + Clone {
    /// The pool.
    fn pool(&self) -> &RingPool;
}

mod sealed {
    use core::mem::ManuallyDrop;

    /// The crate's side of [`RingRef`](super::RingRef): how a slice holds
    /// the pool. `credits` is the producer's private count of holds taken
    /// and not yet given to a slice.
    pub trait Sealed: Sized {
        /// The reference a new slice keeps.
        fn for_slice(&self, credits: &mut usize) -> ManuallyDrop<Self>;
        /// A slice's last step, after its release: gives up its hold. The
        /// slice must not touch the pool afterwards.
        fn end_slice(slice_ref: &mut ManuallyDrop<Self>);
        /// The producer handle's last use of the pool state: gives back its
        /// unused credits.
        fn end_producer(&self, credits: &mut usize);
    }
}

impl sealed::Sealed for &RingPool {
    #[inline(always)]
    fn for_slice(&self, _: &mut usize) -> ManuallyDrop<Self> {
        ManuallyDrop::new(*self)
    }

    #[inline(always)]
    fn end_slice(_: &mut ManuallyDrop<Self>) {}

    #[inline(always)]
    fn end_producer(&self, _: &mut usize) {}
}

impl RingRef for &RingPool {
    #[inline(always)]
    fn pool(&self) -> &RingPool {
        self
    }
}

impl sealed::Sealed for Arc<RingPool> {
    #[inline(always)]
    fn for_slice(&self, credits: &mut usize) -> ManuallyDrop<Self> {
        if *credits == 0 {
            take_credits(self, credits);
        }
        *credits -= 1;
        // SAFETY: the pointer is the one this live `Arc` holds. The copy
        // owns no strong count of its own: it stands for the credit just
        // spent, one of the holds that together own one strong count, and
        // only `end_slice` drops it, when its hold is the last.
        ManuallyDrop::new(unsafe { Arc::from_raw(Arc::as_ptr(self)) })
    }

    #[inline(always)]
    fn end_slice(slice_ref: &mut ManuallyDrop<Self>) {
        // AcqRel: Release publishes this slice's accesses to the pool (its
        // vectors, its release) to whoever gives up the last hold; Acquire,
        // if this is the last, takes theirs before the pool can go.
        if slice_ref
            .slice_refs
            .fetch_sub(1, ord(AcqRel, "ring.hold.rmw"))
            == 1
        {
            last_slice_hold(slice_ref);
        }
    }

    fn end_producer(&self, credits: &mut usize) {
        let n = core::mem::take(credits);
        // Acquire: if these were the last holds, the slices that gave theirs
        // up before had their accesses happen-before the strong count's
        // release below. No Release: the producer's own `Arc`, dropped right
        // after this (the field outlives `Drop::drop`), publishes its
        // accesses through `Arc`'s count.
        if n != 0
            && self
                .slice_refs
                .fetch_sub(n, ord(Acquire, "ring.credits.rmw"))
                == n
        {
            // SAFETY: the holds' strong count, taken in `take_credits` and
            // given up once, here (`slice_refs` reached 0); the producer's
            // own `Arc` keeps the pool alive across the call.
            unsafe { Arc::decrement_strong_count(Arc::as_ptr(self)) }
        }
    }
}

impl RingRef for Arc<RingPool> {
    #[inline(always)]
    fn pool(&self) -> &RingPool {
        self
    }
}

/// The producer has no credit left: takes [`CREDIT_BATCH`], and the strong
/// count too if the holds had none.
#[cold]
#[inline(never)]
fn take_credits(ring: &Arc<RingPool>, credits: &mut usize) {
    // Relaxed, as `Arc::clone`: the producer's own `Arc` keeps the pool
    // alive, and a hold reaches another thread only inside a slice, moved by
    // whatever synchronises that move. No thread but the producer can move
    // `slice_refs` up from 0, and none can move it down to 0 while the
    // producer holds credits.
    if ring.slice_refs.fetch_add(CREDIT_BATCH, Relaxed) == 0 {
        // SAFETY: `ring` is a live `Arc` of the pool.
        unsafe { Arc::increment_strong_count(Arc::as_ptr(ring)) }
    }
    *credits = CREDIT_BATCH;
}

/// The slice whose drop gave up the last hold: gives up the holds' strong
/// count (off the hot path: only with no producer and no other slice).
#[cold]
#[inline(never)]
fn last_slice_hold(slice_ref: &mut ManuallyDrop<Arc<RingPool>>) {
    // SAFETY: the last hold gives up the strong count once, here; the slice
    // does not use `slice_ref` again.
    unsafe { ManuallyDrop::drop(slice_ref) }
}
