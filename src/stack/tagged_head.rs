//! The (generation, index) Treiber head shared by [`TaggedStack`] and
//! [`IndexStack`].
//!
//! A list is a head word plus a `links` array indexed by slot: `links[i]` is
//! the slot below `i` while `i` is in the list. Several heads may share one
//! `links` array as long as every index is in at most one list (or held by
//! one thread) at a time — `TaggedStack` keeps a full list and a vacant list
//! over one array.
//!
//! Head word: `tag << INDEX_BITS | index`, `index == NIL` for empty. Every
//! successful CAS on the head increments the tag (mod `2^TAG_BITS`).
//!
//! # Invariants
//! 1. Following `links` from the head's index reaches `NIL` after exactly the
//!    list's length steps (no cycle, no shared suffix with another list).
//! 2. `links[i]` is written only by the thread that owns `i` (popped it, or
//!    holds it before its first push), and only before the releasing CAS that
//!    publishes `i`.
//! 3. Generation: two head values with equal bits are separated by a multiple
//!    of `2^TAG_BITS` successful CASes. So a popper's CAS can succeed on a
//!    stale `(index, next)` pair only if `2^TAG_BITS` head updates happened
//!    inside its load→CAS window (the wrap-around bound, DESIGN.md).
//!
//! # Linearization points
//! * push: the successful CAS that installs `index` as head.
//! * pop (non-empty): the successful CAS that replaces the head.
//! * pop (empty): the Acquire load that reads `NIL`.
//!
//! [`TaggedStack`]: super::TaggedStack
//! [`IndexStack`]: super::IndexStack

use crate::sync::contention::{Contention, Retry};
use crate::sync::mutation::ord;
use crate::sync::{AtomicU32, AtomicU64, Ordering::*};

/// Bits of the head word that hold the slot index.
pub const INDEX_BITS: u32 = 24;
/// The default generation width: `64 - INDEX_BITS`.
pub const DEFAULT_TAG_BITS: u32 = 64 - INDEX_BITS;
/// The largest number of slots a tagged list can index (`NIL` is reserved).
pub const MAX_INDEXED: usize = (1 << INDEX_BITS) - 1;

/// The "no slot" index.
pub(crate) const NIL: u32 = (1 << INDEX_BITS) - 1;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// A tagged Treiber head over an external `links` array.
pub(crate) struct TaggedHead<const TAG_BITS: u32> {
    word: AtomicU64,
}

impl<const TAG_BITS: u32> TaggedHead<TAG_BITS> {
    const TAG_MASK: u64 = {
        assert!(TAG_BITS <= DEFAULT_TAG_BITS, "TAG_BITS must be <= 40");
        if TAG_BITS == 0 {
            0
        } else {
            (1u64 << TAG_BITS) - 1
        }
    };

    pub(crate) fn empty() -> Self {
        Self {
            word: AtomicU64::new(NIL as u64),
        }
    }

    #[inline(always)]
    fn index_of(word: u64) -> u32 {
        (word & INDEX_MASK) as u32
    }

    /// The word that replaces `old` with `index` on top, one generation on.
    #[inline(always)]
    fn successor(old: u64, index: u32) -> u64 {
        let tag = ((old >> INDEX_BITS) + 1) & Self::TAG_MASK;
        (tag << INDEX_BITS) | index as u64
    }

    /// Pushes `index`, which the caller owns (it is in no list); retries
    /// count into `contention`.
    #[inline]
    pub(crate) fn push(&self, links: &[AtomicU32], index: u32, contention: &Contention) {
        let link = &links[index as usize];
        let mut retry = Retry::new(contention);
        // Relaxed: the value only seeds the CAS, which validates it.
        let mut old = self.word.load(Relaxed);
        loop {
            // Relaxed: published by the Release CAS below (invariant 2).
            link.store(Self::index_of(old), Relaxed);
            match self.word.compare_exchange_weak(
                old,
                Self::successor(old, index),
                // Release: a popper that Acquires this head (or any later RMW
                // of it — the release sequence) sees `links[index]` and the
                // caller's writes to slot `index`.
                ord(Release, "tagged.push.cas"),
                // Relaxed: on failure we only re-link to the fresh head.
                Relaxed,
            ) {
                Ok(_) => return,
                Err(current) => {
                    old = current;
                    retry.spin();
                }
            }
        }
    }

    /// Pops the top index, which the caller then owns; retries count into
    /// `contention`.
    #[inline]
    pub(crate) fn pop(&self, links: &[AtomicU32], contention: &Contention) -> Option<u32> {
        let mut retry = Retry::new(contention);
        loop {
            // Acquire: pairs with the Release CAS of the push that published
            // the top slot, so its link and contents are visible to us.
            let old = self.word.load(ord(Acquire, "tagged.pop.load"));
            let index = Self::index_of(old);
            if index == NIL {
                return None;
            }
            // Relaxed: ordered after the Acquire load above. It may be stale
            // only if `index` left the list meanwhile, and then the tag makes
            // the CAS fail (invariant 3).
            let next = links[index as usize].load(Relaxed);
            match self.word.compare_exchange_weak(
                old,
                Self::successor(old, next),
                // Relaxed: success means the head still holds the exact word
                // we Acquired above, so we already synchronize with its
                // publisher; our own later accesses to the slot are published
                // by whoever pushes it next.
                Relaxed,
                // Relaxed: on failure we reload with Acquire at the loop top.
                Relaxed,
            ) {
                Ok(_) => return Some(index),
                Err(_) => retry.spin(),
            }
        }
    }
}

#[cfg(all(test, not(any(loom, shuttle))))]
mod tests {
    use super::*;

    fn tag(word: u64) -> u64 {
        word >> INDEX_BITS
    }

    /// Each change of the head adds one generation, modulo `2^TAG_BITS`,
    /// and puts the new index in the low bits: the full 40-bit tag wraps
    /// only after 2^40 changes (the bound DESIGN.md states), a narrower one
    /// sooner, and a zero-bit one never counts.
    #[test]
    fn every_change_adds_one_generation() {
        let at = |t: u64, index: u32| (t << INDEX_BITS) | index as u64;
        let wide = TaggedHead::<DEFAULT_TAG_BITS>::successor;
        assert_eq!(wide(at(5, 7), 9), at(6, 9));
        assert_eq!(tag(wide(at((1 << 39) + 3, 0), NIL)), (1 << 39) + 4);
        assert_eq!(wide(at((1 << 40) - 1, 2), 3), at(0, 3), "wraps at 2^40");
        let narrow = TaggedHead::<3>::successor;
        assert_eq!(narrow(at(6, 1), 1), at(7, 1));
        assert_eq!(narrow(at(7, 1), 1), at(0, 1), "wraps at 2^3");
        assert_eq!(TaggedHead::<0>::successor(at(0, 4), 5), at(0, 5));

        // Through the list: a push and a pop, two generations.
        let links: Vec<AtomicU32> = (0..4).map(|_| AtomicU32::new(NIL)).collect();
        let head = TaggedHead::<DEFAULT_TAG_BITS>::empty();
        let counts = Contention::new();
        head.push(&links, 2, &counts);
        assert_eq!(head.pop(&links, &counts), Some(2));
        assert_eq!(head.pop(&links, &counts), None);
        assert_eq!(head.word.load(Relaxed), at(2, NIL));
    }
}
