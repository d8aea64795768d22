//! `TaggedStack<T>`: a bounded Treiber stack over a fixed arena, with no
//! allocation after construction; and `IndexStack`, its bare index list.
//!
//! `TaggedStack` keeps `capacity` slots and two tagged lists over one shared
//! `links` array (see `tagged_head.rs` for the head algorithm):
//!
//! * `full`: slots that hold a value;
//! * `vacant`: slots that hold nothing.
//!
//! push = pop a vacant slot, write the value, push the slot on `full`.
//! pop  = pop a full slot, move the value out, push the slot on `vacant`.
//!
//! The crate's pool also *lends* (crate-private, for its guards): pop a full
//! slot and move the value out, but keep the slot instead of pushing it on
//! `vacant`; the value later comes back into that same slot (write, push on
//! `full`) or the slot is given up (push on `vacant`). A loan is one CAS each
//! way instead of two.
//!
//! # Invariants
//! 1. Every slot index is in exactly one of: `full`, `vacant`, or the hands of
//!    one thread between its two list operations, or one loan (the guard that
//!    holds it may move between threads; whoever holds the guard holds the
//!    slot).
//! 2. A slot's value cell is initialised iff the slot is in `full`, or held by
//!    a pusher after its write or by a popper before its read.
//! 3. The value cell is accessed only by the thread holding the slot; the
//!    hand-offs are the Release CAS of one list's push and the Acquire load
//!    of the other's pop (both in `tagged_head.rs`).
//!
//! # Linearization points
//! * push (stored): the CAS that links the slot into `full`.
//! * push (full, value handed back): the Acquire load that finds `vacant`
//!   empty. At that instant a slot may be held by an unfinished push (not
//!   yet in `full`), so a concurrent refusal can come before the stack holds
//!   `capacity` values; at quiescence it means exactly "full" (the
//!   linearizability tier checks both).
//! * pop (some): the CAS that unlinks the slot from `full`.
//! * pop (none): the Acquire load that finds `full` empty.
//! * lend: as pop. restore: the CAS that links the slot into `full`.
//! * forfeit: the CAS that links the slot into `vacant` (no value moves).

use core::mem::MaybeUninit;

use super::tagged_head::{DEFAULT_TAG_BITS, MAX_INDEXED, NIL, TaggedHead};
use super::{CapacityError, ContentionStats, FreeList};
use crate::sync::contention::Contention;
use crate::sync::{AtomicU32, UnsafeCell};
use crossbeam_utils::CachePadded;

fn check_capacity(capacity: usize) -> Result<u32, CapacityError> {
    match capacity {
        0 => Err(CapacityError::Zero),
        n if n > MAX_INDEXED => Err(CapacityError::TooLarge {
            requested: n,
            max: MAX_INDEXED,
        }),
        n => Ok(n as u32),
    }
}

fn unlinked(capacity: u32) -> Box<[AtomicU32]> {
    (0..capacity).map(|_| AtomicU32::new(NIL)).collect()
}

/// A bounded, allocation-free (after construction) lock-free stack.
///
/// Its heads carry a 40-bit generation tag ([`DEFAULT_TAG_BITS`], the most
/// that fits beside the 24-bit index): the width whose wrap-around bound
/// DESIGN.md states. The width is not a parameter — a narrower tag hands a
/// value out twice under ABA, so safe code cannot pick one:
///
/// ```compile_fail
/// use verified_pools::{FreeList, TaggedStack};
/// // error: `TaggedStack` takes one generic argument (no tag width)
/// let s: TaggedStack<Box<u64>, 0> = TaggedStack::with_capacity(4).unwrap();
/// ```
///
/// [`DEFAULT_TAG_BITS`]: super::DEFAULT_TAG_BITS
///
/// ```
/// use verified_pools::{FreeList, TaggedStack};
/// let s: TaggedStack<u64> = TaggedStack::with_capacity(8).unwrap();
/// s.push(7).unwrap();
/// assert_eq!(s.pop(), Some(7));
/// assert_eq!(s.pop(), None);
/// ```
pub struct TaggedStack<T> {
    full: CachePadded<TaggedHead<DEFAULT_TAG_BITS>>,
    vacant: CachePadded<TaggedHead<DEFAULT_TAG_BITS>>,
    links: Box<[AtomicU32]>,
    values: Box<[UnsafeCell<MaybeUninit<T>>]>,
    contention: Contention,
}

// SAFETY: values move between threads through the stack (T: Send), and a
// value cell is only touched by the single thread that holds its slot
// (invariant 3), so sharing the stack never shares a `T`.
unsafe impl<T: Send> Send for TaggedStack<T> {}
// SAFETY: as above; `&TaggedStack` gives no access to a `T` in place.
unsafe impl<T: Send> Sync for TaggedStack<T> {}

impl<T> FreeList<T> for TaggedStack<T> {
    fn with_capacity(capacity: usize) -> Result<Self, CapacityError> {
        let n = check_capacity(capacity)?;
        let stack = Self {
            full: CachePadded::new(TaggedHead::empty()),
            vacant: CachePadded::new(TaggedHead::empty()),
            links: unlinked(n),
            values: (0..n)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            contention: Contention::new(),
        };
        // Highest index first, so slot 0 is used first.
        for i in (0..n).rev() {
            stack.vacant.push(&stack.links, i, &stack.contention);
        }
        Ok(stack)
    }

    #[inline]
    fn push(&self, value: T) -> Result<(), T> {
        let Some(slot) = self.vacant.pop(&self.links, &self.contention) else {
            return Err(value);
        };
        self.values[slot as usize].with_mut(|cell| {
            // SAFETY: we hold `slot` (invariant 1), so no other thread touches
            // its cell; it is vacant, so writing does not leak a value.
            unsafe { (*cell).write(value) };
        });
        self.full.push(&self.links, slot, &self.contention);
        Ok(())
    }

    #[inline]
    fn pop(&self) -> Option<T> {
        let slot = self.full.pop(&self.links, &self.contention)?;
        let value = self.values[slot as usize].with(|cell| {
            // SAFETY: we hold `slot`, which came from `full`, so its cell is
            // initialised (invariant 2) and no one else reads or writes it;
            // the slot goes to `vacant`, so the value is moved out once.
            unsafe { (*cell).assume_init_read() }
        });
        self.vacant.push(&self.links, slot, &self.contention);
        Some(value)
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.links.len())
    }

    fn contention(&self) -> Option<ContentionStats> {
        self.contention.read()
    }

    fn reset_contention(&self) {
        self.contention.reset();
    }
}

impl<T> TaggedStack<T> {
    /// Pops a value and keeps its slot for it: the slot goes to neither
    /// list until [`restore`](Self::restore) or [`forfeit`](Self::forfeit).
    #[inline]
    pub(crate) fn lend(&self) -> Option<(T, u32)> {
        let slot = self.full.pop(&self.links, &self.contention)?;
        let value = self.values[slot as usize].with(|cell| {
            // SAFETY: as in `pop`: the slot came from `full`, so its cell is
            // initialised and only we touch it; the slot now stays with the
            // loan, whose value is this one, so it is moved out once.
            unsafe { (*cell).assume_init_read() }
        });
        Some((value, slot))
    }

    /// Puts a lent value back into its kept slot and links it into `full`.
    ///
    /// # Safety
    /// `slot` came from this stack's [`lend`](Self::lend) and has been
    /// neither restored nor forfeited since (the caller holds the loan).
    #[inline]
    pub(crate) unsafe fn restore(&self, value: T, slot: u32) {
        self.values[slot as usize].with_mut(|cell| {
            // SAFETY: the caller holds the loan, so the slot is in neither
            // list and no other thread touches its cell; `lend` moved its
            // value out, so writing leaks nothing.
            unsafe { (*cell).write(value) };
        });
        self.full.push(&self.links, slot, &self.contention);
    }

    /// Gives a kept slot up: its value is not coming back.
    ///
    /// # Safety
    /// As for [`restore`](Self::restore).
    #[inline]
    pub(crate) unsafe fn forfeit(&self, slot: u32) {
        // The cell was moved out by `lend`: vacant, as `vacant` requires.
        self.vacant.push(&self.links, slot, &self.contention);
    }
}

impl<T> Drop for TaggedStack<T> {
    fn drop(&mut self) {
        while self.pop().is_some() {}
    }
}

/// A bare tagged Treiber stack of slot indices `0..capacity`.
///
/// It is the head algorithm of [`TaggedStack`] on its own, for users who keep
/// their own arena (and for the ABA models, which push indices back in any
/// order). It starts empty; the caller pushes the indices it owns. Pushing an
/// index that is already in the list is a logic error that corrupts the list
/// (memory stays safe: links are atomics); an out-of-range index is handed
/// back.
///
/// `IndexStack` (`TAG_BITS` = [`DEFAULT_TAG_BITS`], 40) is the verified
/// width and the only one with a safe constructor ([`FreeList`]). A narrower
/// tag exists for the models that show ABA coming back, and can be built
/// only through the `unsafe` [`IndexStack::with_narrow_tag`]:
///
/// ```compile_fail
/// use verified_pools::{FreeList, IndexStack};
/// // error: `FreeList` is implemented for the 40-bit tag only
/// let s = IndexStack::<0>::with_capacity(4).unwrap();
/// ```
///
/// [`DEFAULT_TAG_BITS`]: super::DEFAULT_TAG_BITS
pub struct IndexStack<const TAG_BITS: u32 = DEFAULT_TAG_BITS> {
    head: CachePadded<TaggedHead<TAG_BITS>>,
    links: Box<[AtomicU32]>,
    contention: Contention,
}

impl<const TAG_BITS: u32> IndexStack<TAG_BITS> {
    /// An empty list of `capacity` slots whose head tag is `TAG_BITS` wide
    /// (at most 40).
    ///
    /// # Safety
    /// With `TAG_BITS` < 40 the tag wraps after `2^TAG_BITS` head updates
    /// inside one popper's load→CAS window, and that popper then hands out
    /// an index another thread holds (ABA). The caller must not rely on an
    /// index being held by one thread at a time for memory safety (e.g. as
    /// the owner of an arena slot). Meant for models that demonstrate ABA.
    ///
    /// ```
    /// use verified_pools::IndexStack;
    /// // SAFETY: the indices guard no memory; this only shows the call.
    /// let s = unsafe { IndexStack::<2>::with_narrow_tag(4) }.unwrap();
    /// s.push_index(3).unwrap();
    /// assert_eq!(s.pop_index(), Some(3));
    /// ```
    pub unsafe fn with_narrow_tag(capacity: usize) -> Result<Self, CapacityError> {
        let n = check_capacity(capacity)?;
        Ok(Self {
            head: CachePadded::new(TaggedHead::empty()),
            links: unlinked(n),
            contention: Contention::new(),
        })
    }

    /// Pushes `index`; an index `>= capacity` is handed back.
    #[inline]
    pub fn push_index(&self, index: u32) -> Result<(), u32> {
        if index as usize >= self.links.len() {
            return Err(index);
        }
        self.head.push(&self.links, index, &self.contention);
        Ok(())
    }

    /// Pops the most recently pushed index still present, if any.
    #[inline]
    pub fn pop_index(&self) -> Option<u32> {
        self.head.pop(&self.links, &self.contention)
    }

    /// The number of slots.
    pub fn slots(&self) -> usize {
        self.links.len()
    }
}

impl FreeList<u32> for IndexStack {
    fn with_capacity(capacity: usize) -> Result<Self, CapacityError> {
        // SAFETY: the default tag is the verified width, so the safety
        // condition of `with_narrow_tag` does not apply.
        unsafe { Self::with_narrow_tag(capacity) }
    }

    #[inline]
    fn push(&self, index: u32) -> Result<(), u32> {
        self.push_index(index)
    }

    #[inline]
    fn pop(&self) -> Option<u32> {
        self.pop_index()
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.slots())
    }

    fn contention(&self) -> Option<ContentionStats> {
        self.contention.read()
    }

    fn reset_contention(&self) {
        self.contention.reset();
    }
}
