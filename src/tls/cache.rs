//! One kind's share of the cache front: the shared `Front` (depot of full
//! magazines, free-place counter, window, stats baseline) and each thread's
//! `KindCache` (a bounded stack of buffers plus owner-written counters).
//!
//! # Places
//! The pool keeps at most `count` buffers of a kind, cached or not. That
//! bound is kept with *places*: `count` tokens, each one either holding a
//! pooled buffer or free. Every place is, at every instant, in exactly one of
//!
//! * a pooled buffer in the depot or the loose list (the shelf's free list),
//! * a thread cache's `places` (holding one of its `items`, or free there),
//! * `room`, the shared counter of free places,
//! * the hands of one thread moving it between two of the above.
//!
//! # Invariants
//! 1. `room + Σ places + depot buffers + loose buffers + in transit = count`;
//!    hence pooled buffers (depot + loose + Σ items) never exceed `count`.
//! 2. A cache holds `items.len() ≤ places ≤ per_thread` and only its owner
//!    thread reads or writes its `Local` (ownership moves only through the
//!    slot's state word, see `mod.rs`).
//! 3. Every buffer in a cache, the depot or the loose list has a size inside
//!    the kind's window (returns are judged before they are stored).
//! 4. `items` never reallocates: its capacity is `per_thread` and it never
//!    holds more than `places ≤ per_thread` (teardown, which frees it,
//!    sets `places` to 0 with it), so a push after the check `len <
//!    places` needs no capacity check.
//! 5. No hoarding of places: between the owner's calls a cache holds at most
//!    `spare = ⌈batch / 2⌉` free places (`places − items.len() ≤ spare`);
//!    an empty cache that refills first gives all its free places back to
//!    `room`, and a buffer refilled alone from the loose list leaves its
//!    place there. A get that would leave more than `spare` gives them all
//!    back (one RMW, at most once per `spare + 1` gets); a return takes at
//!    most `spare` from `room`, and only when it has no free place.
//! 6. No hoarding of buffers by a thread that only returns: a return that
//!    finds no free place first moves the cache's bottom `batch` buffers to
//!    the depot if it holds at least `batch`, and claims (invariant 8) stop
//!    at the next multiple of `batch`, so such a cache holds at most `batch`
//!    buffers. (A thread that also gets may hold up to `per_thread`: its
//!    own gets drain it.)
//! 7. The gate: `get` leaves the hot path iff `items.len() ≤ gate`, which
//!    the owner sets to `max(low, in_use + len − peak)`, with `low =
//!    places.saturating_sub(spare)`, whenever it sets its places and at the
//!    end of every cold get (a reset of the peak sets it to `usize::MAX`).
//!    So a get goes cold when the cache is empty, when the pop would leave
//!    more than `spare` free places (invariant 5), or when it could make a
//!    new peak of `in_use`; only the cold path compares the peak. Between
//!    two settings the gate can only be too high (`CacheTotals::set_gate`).
//! 8. No hoarding of places by claims: a claim from `room` asks for one
//!    place, doubling (up to `spare`) only while the owner makes no get
//!    between its claims, so threads that each return one buffer take one
//!    place each, and a thread that only returns claims `spare` at a time.
//!
//! # The contract these give (stated in `mod.rs`)
//! A return is refused only when `room` is empty and its own cache has no
//! free place: every free place is then in another thread's cache (≤
//! `spare` each, invariant 5) or in transit. A get misses only when its own
//! cache, the depot and the loose list are empty: every pooled buffer is
//! then in another thread's cache.
//!
//! In a hand-off (one thread only gets, one only returns) this bounds the
//! refusals of a whole run: a refusal finds every free place in the
//! getter's cache, so `count − pooled ≤ spare` then, and the buffer it
//! drops leaves one more place free for good. After at most `spare`
//! refusals every return finds a place, as long as no get misses (each
//! miss adds a buffer), which `count > spare + batch + in flight`
//! guarantees: the depot and the loose list then always hold a buffer when
//! the getter refills.
//!
//! # Linearization points
//! * get from the cache / return into a free cached place: the owner's own
//!   step on `items` — no other thread can observe the cache, so the pool's
//!   state changes atomically with respect to everyone else.
//! * get refilled from the depot: the depot pop's CAS; from the loose list:
//!   its pop; a miss: the loose pop that finds the list empty.
//! * return needing a place: the `room` CAS that grants it (accepted) or the
//!   load that finds `room == 0` (pool full); a move to the depot before it
//!   linearizes at the depot push's CAS.
//! * window rejections: none needed (decided from the buffer alone).
//!
//! Each cache's statistics are owner-written running totals
//! (`counters::cache`), no RMW; this file only calls them.

use crate::counters::Baseline;
use crate::counters::cache::{CacheReading, CacheTotals};
use crate::pool::{BufferKind, ReturnOutcome};
use crate::stack::ContentionStats;
use crate::stack::FreeList;
use crate::sync::contention::{Contention, Retry};
use crate::sync::mutation::is_active;
use crate::sync::{AtomicUsize, Ordering::Relaxed, UnsafeCell};
use crossbeam_utils::CachePadded;

use super::depot::Depot;
use super::{HALF_GIVE_BACK, HOARD_ITEMS, HOARD_PLACES};

/// The owner's private state. Only the owner touches it (invariant 2).
struct Local<T> {
    items: Vec<T>,
    places: usize,
    /// Places the last claim from `room` asked for (invariant 8).
    claim: usize,
    /// The owner's `gets` total at the last claim.
    gets_at_claim: usize,
}

/// One thread's cache of one kind.
pub struct KindCache<K: BufferKind> {
    local: UnsafeCell<Local<K::Buffer>>,
    public: CacheTotals,
}

impl<K: BufferKind> KindCache<K> {
    pub(crate) fn new(per_thread: usize) -> Self {
        Self {
            local: UnsafeCell::new(Local {
                items: Vec::with_capacity(per_thread),
                places: 0,
                claim: 0,
                gets_at_claim: 0,
            }),
            public: CacheTotals::default(),
        }
    }

    /// Runs `f` on the owner's state.
    ///
    /// # Safety
    /// The caller owns this cache's slot (invariant 2): it is the thread the
    /// slot was claimed by (or the one that won the slot's state CAS), and
    /// no other call on this cache is in progress on this thread.
    #[inline(always)]
    unsafe fn with_local<R>(&self, f: impl FnOnce(&mut Local<K::Buffer>) -> R) -> R {
        self.local.with_mut(|local| {
            // SAFETY: exclusive by the caller's contract.
            f(unsafe { &mut *local })
        })
    }

    /// The published totals (any thread).
    pub(crate) fn read(&self) -> CacheReading {
        self.public.read()
    }

    /// Restarts this cache's peak at `peak` (`reset_stats`, any thread).
    pub(crate) fn reset_peak(&self, peak: usize) {
        self.public.reset_peak(peak);
    }
}

/// The shared part of one kind.
pub struct Front<K: BufferKind> {
    pub(crate) depot: Depot<K::Buffer>,
    /// Free places not reserved by any cache (invariant 1).
    room: CachePadded<AtomicUsize>,
    pub(crate) size: usize,
    accept_min: usize,
    accept_max: usize,
    pub(crate) count: usize,
    per_thread: usize,
    /// Buffers and places moved per exchange (`⌈per_thread / 2⌉`).
    batch: usize,
    /// The most free places a cache keeps between its owner's calls, and
    /// the most a claim takes from `room`: `⌈batch / 2⌉` (invariant 5).
    spare: usize,
    pub(crate) base: Baseline,
    /// Retries on `room` and of pushes onto the loose list.
    contention: Contention,
}

impl<K: BufferKind> Front<K> {
    pub(crate) fn new(
        depot: Depot<K::Buffer>,
        size: usize,
        count: usize,
        per_thread: usize,
    ) -> Self {
        let batch = depot.batch();
        debug_assert!(batch >= 1 && batch <= per_thread);
        let window = K::acceptance_window(size);
        Self {
            depot,
            room: CachePadded::new(AtomicUsize::new(0)),
            size,
            accept_min: *window.start(),
            accept_max: *window.end(),
            count,
            per_thread,
            batch,
            spare: batch.div_ceil(2),
            base: Baseline::new(count),
            contention: Contention::new(),
        }
    }

    /// Retries on `room`, the loose-list pushes and the depot, or `None`
    /// without the `contention-stats` feature.
    pub(crate) fn contention(&self) -> Option<ContentionStats> {
        ContentionStats::sum(self.contention.read(), self.depot.contention())
    }

    /// Restarts the counts [`contention`](Self::contention) reports.
    pub(crate) fn reset_contention(&self) {
        self.contention.reset();
        self.depot.reset_contention();
    }

    /// Takes up to `want` free places from `room`; returns how many.
    fn take_room(&self, want: usize) -> usize {
        let mut retry = Retry::new(&self.contention);
        // Relaxed: a bound counter; RMWs on it are totally ordered anyway and
        // it publishes no data (the depot and loose list do).
        let mut now = self.room.load(Relaxed);
        loop {
            if now == 0 {
                return 0;
            }
            let take = now.min(want);
            // Relaxed (both): as above.
            match self
                .room
                .compare_exchange_weak(now, now - take, Relaxed, Relaxed)
            {
                Ok(_) => return take,
                Err(current) => {
                    now = current;
                    retry.spin();
                }
            }
        }
    }

    /// Gives `n` free places back to `room`.
    fn give_room(&self, n: usize) {
        if n > 0 {
            // Relaxed: a bound counter (see `take_room`).
            self.room.fetch_add(n, Relaxed);
        }
    }

    /// Sets the cache's places, publishes them and sets the gate for them
    /// (invariant 7).
    fn set_places(&self, l: &mut Local<K::Buffer>, public: &CacheTotals, places: usize) {
        l.places = places;
        public.note_places(places);
        public.set_gate(l.items.len(), self.low(places));
    }

    /// The largest cache length at which a pop would leave more than
    /// `spare` of `places` free (invariant 7).
    fn low(&self, places: usize) -> usize {
        places.saturating_sub(self.spare)
    }

    /// A cleared buffer for the owner of `cache`.
    ///
    /// The hot path is one compare (`items.len() ≤ gate`: empty, the pop
    /// would leave more than `spare` free places, or it could make a new
    /// peak; invariant 7), a pop from the owner's `items`, a clear and one
    /// owner store of the `gets` total.
    /// The cold path (`get_cold`) leaves a buffer in `items` rather than
    /// returning one, so the buffer is never written through a return slot
    /// on the hot path (which would cost a store-forwarding stall per get).
    ///
    /// # Safety
    /// The calling thread owns `cache` (see [`KindCache::with_local`]).
    #[inline(always)]
    pub(crate) unsafe fn get<L: FreeList<K::Buffer>>(
        &self,
        cache: &KindCache<K>,
        loose: &L,
    ) -> K::Buffer {
        let public = &cache.public;
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                if l.items.len() <= public.gate() {
                    self.get_cold::<true, L>(l, public, loose);
                }
                hand_out::<K>(l, public)
            })
        }
    }

    /// Like [`get`](Self::get), but `None` (counted in `try_empty`) instead
    /// of a miss: never allocates.
    ///
    /// # Safety
    /// The calling thread owns `cache` (see [`KindCache::with_local`]).
    #[inline(always)]
    pub(crate) unsafe fn try_get<L: FreeList<K::Buffer>>(
        &self,
        cache: &KindCache<K>,
        loose: &L,
    ) -> Option<K::Buffer> {
        let public = &cache.public;
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                if l.items.len() <= public.gate() && !self.get_cold::<false, L>(l, public, loose) {
                    public.note_try_empty();
                    return None;
                }
                Some(hand_out::<K>(l, public))
            })
        }
    }

    /// Readies the cache for `get`'s pop: refills it if empty, gives its
    /// free places back to `room` if the pop would leave more than `spare`
    /// (invariant 5), records the peak the pop makes and sets the gate
    /// (invariant 7). Returns whether a buffer is there to pop: always with
    /// `ALLOCATE` (a miss makes one), else only if a refill found one.
    #[cold]
    #[inline(never)]
    fn get_cold<const ALLOCATE: bool, L: FreeList<K::Buffer>>(
        &self,
        l: &mut Local<K::Buffer>,
        public: &CacheTotals,
        loose: &L,
    ) -> bool {
        if l.items.is_empty() && !self.refill_or_miss::<ALLOCATE, L>(l, public, loose) {
            return false;
        }
        // Free places once `get` pops the top buffer (a missed, fresh buffer
        // holds no place, so then it is all of `places`).
        let left = l.items.len() - 1;
        let free = l.places.saturating_sub(left);
        // The mutant keeps the old rule: past `batch`, down to `batch / 2`.
        let (keep, left_free) = if is_active(HALF_GIVE_BACK) {
            (self.batch, self.batch / 2)
        } else {
            (self.spare, 0)
        };
        if free > keep && !is_active(HOARD_PLACES) {
            // All of them: a thread that only gets pays this one RMW per
            // `spare + 1` gets; one that gets and returns pays nothing while
            // it holds at most `spare` buffers out at once.
            let give = free - left_free;
            self.give_room(give);
            self.set_places(l, public, l.places - give);
        }
        public.note_cold_get(l.items.len(), self.low(l.places));
        true
    }

    /// Puts one buffer in the (empty) cache: a batch from the depot, else
    /// one from the loose list, else, with `ALLOCATE`, a fresh one (a miss,
    /// which holds no place: it is pushed and popped at once by `get`).
    /// Returns whether the cache now holds a buffer.
    ///
    /// Single buffers come from the loose list, batches only from the depot
    /// (which only caches that overflowed fill), so threads that each take
    /// one buffer take one each, not a batch each.
    fn refill_or_miss<const ALLOCATE: bool, L: FreeList<K::Buffer>>(
        &self,
        l: &mut Local<K::Buffer>,
        public: &CacheTotals,
        loose: &L,
    ) -> bool {
        debug_assert!(l.items.is_empty());
        // Every place of an empty cache is free: the buffers it held are out
        // with callers, who may return them through other threads. Give the
        // places back so those returns find them (invariant 5).
        if l.places > 0 && !is_active(HOARD_PLACES) {
            self.give_room(l.places);
            self.set_places(l, public, 0);
        }
        if let Some(n) = self.depot.pop_batch(&mut l.items) {
            // Model builds: a coverage fact of the hand-off models.
            #[cfg(any(loom, shuttle))]
            crate::sync::model::ghost::bump(&crate::sync::model::ghost::DEPOT_REFILLS);
            public.note_moved_in(n);
            // The batch's places come with it; keep at most `per_thread`.
            self.add_places(l, public, n);
        } else if let Some(buffer) = loose.pop() {
            // Counted as moved in. A buffer taken alone leaves its place in
            // `room` (one RMW beside the list's own): a return of it through
            // any thread finds the place there (invariant 5).
            public.note_moved_in(1);
            if is_active(HOARD_PLACES) {
                self.add_places(l, public, 1);
            } else {
                self.give_room(1);
            }
            l.items.push(buffer);
        } else if ALLOCATE {
            public.note_miss();
            // Within capacity: `items` is empty and holds `per_thread ≥ 1`.
            l.items.push(K::fresh(self.size));
        } else {
            return false;
        }
        true
    }

    /// Adds `n` places that came with refilled buffers, returning any above
    /// `per_thread` to `room`.
    fn add_places(&self, l: &mut Local<K::Buffer>, public: &CacheTotals, n: usize) {
        let places = l.places + n;
        let extra = places.saturating_sub(self.per_thread);
        self.give_room(extra);
        self.set_places(l, public, places - extra);
    }

    /// Offers `buffer` back through the owner of `cache`.
    ///
    /// The buffer never goes to an out-of-line call: `make_place` only
    /// readies a free place, and the push is made here. A buffer passed by
    /// value to a cold function is built in memory, and under `lto` with one
    /// codegen unit LLVM hoisted that copy above the branch, so every return
    /// stored the buffer to the stack and reloaded it (a store-forwarding
    /// stall per return).
    ///
    /// # Safety
    /// The calling thread owns `cache` (see [`KindCache::with_local`]).
    #[inline(always)]
    pub(crate) unsafe fn give_back<L: FreeList<K::Buffer>>(
        &self,
        cache: &KindCache<K>,
        loose: &L,
        buffer: K::Buffer,
    ) -> ReturnOutcome {
        let size = K::size_of(&buffer);
        let public = &cache.public;
        if size < self.accept_min {
            public.note_too_small();
            return ReturnOutcome::TooSmall;
        }
        if size > self.accept_max {
            public.note_too_large();
            return ReturnOutcome::TooLarge;
        }
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                if l.items.len() >= l.places && !self.make_place(l, public, loose) {
                    public.note_full();
                    // `buffer` is dropped here: freed, not leaked.
                    return ReturnOutcome::PoolFull;
                }
                push_within_capacity(&mut l.items, buffer);
                public.note_accepted();
                ReturnOutcome::Accepted
            })
        }
    }

    /// Readies a free place in a cache that has none, for a return: first
    /// the bottom batch to the depot if the cache holds one (invariant 6),
    /// then up to `spare` places from `room`. False if `room` had none: the
    /// pool is full.
    #[cold]
    #[inline(never)]
    fn make_place<L: FreeList<K::Buffer>>(
        &self,
        l: &mut Local<K::Buffer>,
        public: &CacheTotals,
        loose: &L,
    ) -> bool {
        let batch = self.batch;
        // The mutant keeps the old rule: move a batch out only when full.
        let threshold = if is_active(HOARD_ITEMS) {
            self.per_thread
        } else {
            batch
        };
        if l.items.len() >= threshold {
            // The bottom batch goes to the depot with its places.
            if !self.depot.push_batch(&mut l.items, batch) {
                // No vacant magazine (partial magazines from exiting
                // threads may have used them up): one by one instead.
                for b in l.items.drain(..batch) {
                    push_loose(loose, b, &self.contention);
                }
            }
            public.note_moved_out(batch);
            self.set_places(l, public, l.places - batch);
        }
        // Claim sizes double while returns come with no get between them
        // (a thread that only returns), from one up to `spare`, the most
        // free places a cache may keep (invariants 5 and 8).
        let gets = public.gets();
        l.claim = if gets == l.gets_at_claim {
            (l.claim * 2).clamp(1, self.spare)
        } else {
            1
        };
        l.gets_at_claim = gets;
        // At most up to the next multiple of `batch`, so a thread that only
        // returns fills exactly a batch before moving it (invariant 6).
        // `places = items < per_thread` here, so `want ≥ 1`.
        let want = l
            .claim
            .min(batch - l.places % batch)
            .min(self.per_thread - l.places);
        let got = self.take_room(want);
        if got == 0 {
            return false;
        }
        self.set_places(l, public, l.places + got);
        true
    }

    /// A guard's buffer left the pool for good.
    ///
    /// # Safety
    /// The calling thread owns `cache` (see [`KindCache::with_local`]).
    pub(crate) unsafe fn note_taken_out(&self, cache: &KindCache<K>) {
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|_| {
                cache.public.note_taken_out();
            })
        }
    }

    /// Empties `cache`: into the depot (the top as a partial magazine) and,
    /// past its vacant magazines, the loose list, with their places; free
    /// places back to `room`; or, if the pool is `closed`, drops the
    /// buffers.
    ///
    /// # Safety
    /// The calling thread owns `cache` (won the slot's state CAS).
    pub(crate) unsafe fn flush<L: FreeList<K::Buffer>>(
        &self,
        cache: &KindCache<K>,
        loose: &L,
        closed: bool,
    ) {
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                let public = &cache.public;
                if closed {
                    // Nobody will read these stats again; the buffers are
                    // freed here (`places` with them: invariant 4).
                    l.items = Vec::new();
                    l.places = 0;
                    return;
                }
                let n = l.items.len();
                let batch = self.batch;
                // Bottom first, so the top of the cache ends on top of the
                // depot (LIFO order kept: refills take the depot first).
                while !l.items.is_empty() {
                    let m = l.items.len().min(batch);
                    if !self.depot.push_batch(&mut l.items, m) {
                        break;
                    }
                }
                for b in l.items.drain(..) {
                    push_loose(loose, b, &self.contention);
                }
                public.note_moved_out(n);
                self.give_room(l.places - n);
                self.set_places(l, public, 0);
            })
        }
    }

    /// Drops every buffer `cache` holds (pool teardown).
    ///
    /// # Safety
    /// The calling thread owns `cache` (won the slot's state CAS).
    pub(crate) unsafe fn discard(&self, cache: &KindCache<K>) {
        // SAFETY: forwarded from the caller.
        unsafe {
            cache.with_local(|l| {
                // `places` with the buffers: invariant 4.
                l.items = Vec::new();
                l.places = 0;
            })
        }
    }
}

/// Pops the top buffer of a cache that holds one, clears it and counts the
/// get (the hot path's tail, shared by `get` and `try_get`).
#[inline(always)]
fn hand_out<K: BufferKind>(l: &mut Local<K::Buffer>, public: &CacheTotals) -> K::Buffer {
    let Some(mut buffer) = pop_volatile(&mut l.items) else {
        unreachable!("get_cold leaves a buffer in the cache")
    };
    K::reset(&mut buffer);
    public.note_get();
    buffer
}

/// `items.pop()` with a volatile read of the value.
///
/// A return pushes the buffer's words with one 8-byte store each, and the
/// next get pops them. Popped with `Vec::pop`, the move was free for LLVM
/// to copy with a 16-byte load where the buffer went on to memory (as in a
/// caller that keeps it in a struct, or the benches' `black_box`): a load
/// that spans two stores cannot take its data from them (a failed
/// store-to-load forward, ~10 ns a pair on this machine, seen when the
/// get's peak compare moved to the cold path and left nothing between the
/// pop and the copy). A volatile read is neither merged with nor widened
/// into other accesses, so each word is loaded as it was stored.
#[inline(always)]
fn pop_volatile<T>(items: &mut Vec<T>) -> Option<T> {
    let len = items.len().checked_sub(1)?;
    // SAFETY: `len < items.len()`, so the element at `len` is initialised
    // and aligned; `set_len(len)` gives up the vector's ownership of it, and
    // the read takes it (exactly once), as `Vec::pop` does.
    unsafe {
        items.set_len(len);
        Some(items.as_ptr().add(len).read_volatile())
    }
}

/// Pushes onto a cache's `items` without `Vec::push`'s capacity check.
///
/// The caller has checked `items.len() < places` (`give_back`), or made it
/// so (`make_place`: a place grant), and
/// `places ≤ items.capacity()` (invariant 4).
#[inline(always)]
fn push_within_capacity<T>(items: &mut Vec<T>, value: T) {
    let len = items.len();
    debug_assert!(len < items.capacity());
    // SAFETY: `len < places ≤ capacity` (the caller's check and invariant
    // 4), so the element at `len` is allocated and uninitialised; after the
    // write, `set_len(len + 1)` covers exactly the initialised elements.
    unsafe {
        items.as_mut_ptr().add(len).write(value);
        items.set_len(len + 1);
    }
}

/// Pushes onto the loose list. The place count guarantees a place (invariant
/// 1); a `Capped` list may still refuse for a moment while another call is
/// between its reservation and its push, so retry until it takes it.
fn push_loose<T, L: FreeList<T>>(loose: &L, mut value: T, contention: &Contention) {
    let mut retry = Retry::new(contention);
    loop {
        match loose.push(value) {
            Ok(()) => return,
            Err(back) => {
                value = back;
                retry.spin();
            }
        }
    }
}
