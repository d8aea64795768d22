//! Stack scenarios, written once and driven by loom, shuttle and real threads.
//!
//! A scenario fills a stack with items `0..items`, runs one step program per
//! thread, joins, and drains the stack. Every scenario checks conservation:
//! no item is handed out twice, none is lost, and at quiescence the stack
//! holds exactly the starting set. The panic messages name the violation so
//! the negative models can assert which bug the checker found.

use std::collections::VecDeque;

use super::backend::{Arc, thread};
use super::fact;
#[cfg(any(loom, shuttle))]
use verified_pools::EpochStack;
#[cfg(loom)]
use verified_pools::sync::Track;
#[cfg(any(loom, shuttle))]
use verified_pools::sync::epoch::{collect_eagerly_here, collects_eagerly_here};
#[cfg(any(loom, shuttle))]
use verified_pools::sync::model::ghost;
use verified_pools::{FreeList, IndexStack, PointerNodeStack};

/// Panic fragment: the same item was handed out twice.
pub const DOUBLE: &str = "handed out twice";
/// Panic fragment: an item disappeared.
pub const LOST: &str = "lost";

/// Fact: failed CAS attempts that retried (summed over the run; model
/// builds count them in the shim's `Backoff::spin`).
pub const CAS_RETRIES: &str = "cas_retries";
/// Fact: pops that found the stack empty while items were out in hands.
pub const EMPTY_POPS: &str = "empty_pops";

/// One step of a thread's program.
#[derive(Clone, Copy, Debug)]
pub enum Step {
    /// Pop into this thread's hand (nothing if the stack is empty).
    Pop,
    /// Push back the item popped most recently.
    PushNewest,
    /// Push back the item popped earliest (the ABA pattern: pop A, pop B, push A).
    PushOldest,
    /// Push item `id`, new to the stack (`id >= items`); a push-only thread
    /// races the poppers without pinning an epoch or taking the popper flag.
    PushNew(usize),
}
use Step::*;

/// Threads' programs plus the starting item count.
pub struct Scenario {
    /// Name in evidence lines.
    pub name: &'static str,
    /// Items `0..items` are pushed before the threads start.
    pub items: usize,
    /// Extra capacity beyond `items` (vacant slots for bounded stacks); also
    /// the number of `PushNew` steps, whose items `items..items + spare` are
    /// expected in the stack at quiescence.
    pub spare: usize,
    /// One program per thread; leftovers in a hand are pushed back at the end.
    pub threads: &'static [&'static [Step]],
}

/// Two threads: one churns, one does pop-pop-push-oldest (the ABA shape).
pub const TWO_THREADS: Scenario = Scenario {
    name: "2-threads",
    items: 3,
    spare: 1,
    threads: &[
        &[Pop, PushNewest, Pop, PushNewest],
        &[Pop, Pop, PushOldest, PushNewest],
    ],
};

/// Three threads over three items (the shuttle and std tiers' shape).
pub const THREE_THREADS: Scenario = Scenario {
    name: "3-threads",
    items: 3,
    spare: 1,
    threads: &[
        &[Pop, PushNewest],
        &[Pop, Pop, PushOldest, PushNewest],
        &[Pop, PushNewest],
    ],
};

/// Three threads, one pop and push-back each, over two items (at some
/// schedules one thread finds the stack empty): loom's three-thread bound.
pub const THREE_THREADS_SMALL: Scenario = Scenario {
    name: "3-threads-small",
    items: 2,
    spare: 1,
    threads: &[&[Pop, PushNewest], &[Pop, PushNewest], &[Pop, PushNewest]],
};

/// The classic ABA window: T1 pops (load head A, read next B, ...);
/// T2 pops A, pops B, pushes A back; T1's CAS then installs B, which T2 holds.
pub const ABA: Scenario = Scenario {
    name: "aba",
    items: 3,
    spare: 0,
    threads: &[&[Pop], &[Pop, Pop, PushOldest]],
};

/// Four successful CASes inside T1's window (pop A, B, C, push A): a tag of
/// 2 bits or fewer wraps back to the value T1 read; 3 bits do not.
pub const TAG_WRAP: Scenario = Scenario {
    name: "tag-wrap-4",
    items: 3,
    spare: 0,
    threads: &[&[Pop], &[Pop, Pop, Pop, PushOldest]],
};

/// Two poppers racing: the pointer-node use-after-free window.
pub const TWO_POPPERS: Scenario = Scenario {
    name: "two-poppers",
    items: 2,
    spare: 0,
    threads: &[&[Pop, PushNewest], &[Pop, PushNewest]],
};

/// Two threads, one pop and push-back each, over two items: the smallest
/// cross-thread hand-off, for the costly epoch model at deeper bounds.
pub const TWO_THREADS_SMALL: Scenario = Scenario {
    name: "2-threads-small",
    items: 2,
    spare: 1,
    threads: &[&[Pop, PushNewest], &[Pop, PushNewest]],
};

/// Three threads: one pops and pushes back while two push new items, so the
/// popper's CAS races two pushers. The epoch stack's three-thread model: only
/// the popper pins, which keeps crossbeam-epoch's own state space small
/// enough for bound 2.
pub const ONE_POPPER_TWO_PUSHERS: Scenario = Scenario {
    name: "1-popper-2-pushers",
    items: 1,
    spare: 2,
    threads: &[&[Pop, PushNewest], &[PushNew(1)], &[PushNew(2)]],
};

/// What the scenarios hand around: something with an identity.
pub trait Item: Send + 'static {
    /// The item with identity `id`.
    fn make(id: usize) -> Self;
    /// Its identity.
    fn id(&self) -> usize;
}

impl Item for usize {
    fn make(id: usize) -> Self {
        id
    }
    fn id(&self) -> usize {
        *self
    }
}

impl Item for u32 {
    fn make(id: usize) -> Self {
        id as u32
    }
    fn id(&self) -> usize {
        *self as usize
    }
}

/// Under loom a `Track` that is never dropped is reported as a leak.
#[cfg(loom)]
impl Item for Track<usize> {
    fn make(id: usize) -> Self {
        Track::new(id)
    }
    fn id(&self) -> usize {
        *self.get_ref()
    }
}

/// The operations a scenario needs from a stack under test.
pub trait UnderTest<I>: Send + Sync + 'static {
    /// A stack able to hold `capacity` items.
    fn build(capacity: usize) -> Self;
    /// Push; `Err` hands the item back.
    fn push(&self, item: I) -> Result<(), I>;
    /// Pop.
    fn pop(&self) -> Option<I>;
}

/// Any [`FreeList`], used through its safe API.
pub struct Safe<S>(pub S);

impl<I, S> UnderTest<I> for Safe<S>
where
    S: FreeList<I> + Send + Sync + 'static,
{
    fn build(capacity: usize) -> Self {
        Safe(S::with_capacity(capacity).expect("scenario capacity is valid"))
    }
    fn push(&self, item: I) -> Result<(), I> {
        self.0.push(item)
    }
    fn pop(&self) -> Option<I> {
        self.0.pop()
    }
}

/// An [`IndexStack`] whose tag is narrowed to `TAG_BITS`, so the models can
/// show ABA coming back (the narrow tag has no safe constructor).
pub struct NarrowTag<const TAG_BITS: u32>(pub IndexStack<TAG_BITS>);

impl<const TAG_BITS: u32> UnderTest<u32> for NarrowTag<TAG_BITS> {
    fn build(capacity: usize) -> Self {
        // SAFETY: the indices guard no memory here; a wrapped tag shows up
        // as an index handed out twice, which the scenario checks.
        let stack = unsafe { IndexStack::with_narrow_tag(capacity) };
        NarrowTag(stack.expect("scenario capacity is valid"))
    }
    fn push(&self, item: u32) -> Result<(), u32> {
        self.0.push_index(item)
    }
    fn pop(&self) -> Option<u32> {
        self.0.pop_index()
    }
}

/// The seed's pointer-node stack with its multi-popper pop: the contract of
/// `pop_shared` is broken on purpose. Under the model builds its nodes are
/// quarantined, so the use-after-free it commits is a panic, not UB.
pub struct SeedSharedPop<I>(pub PointerNodeStack<I>);

impl<I: Send + 'static> UnderTest<I> for SeedSharedPop<I> {
    fn build(_capacity: usize) -> Self {
        SeedSharedPop(PointerNodeStack::new())
    }
    fn push(&self, item: I) -> Result<(), I> {
        self.0.push(item)
    }
    fn pop(&self) -> Option<I> {
        // SAFETY: deliberately violated (this is the negative model); only
        // built for loom/shuttle, where freed nodes are quarantined and a
        // read of one panics before touching it.
        unsafe { self.0.pop_shared() }
    }
}

fn push_back<I: Item, S: UnderTest<I>>(stack: &S, item: I) {
    if let Err(item) = stack.push(item) {
        panic!(
            "item {} {DOUBLE}: the stack is full although only items it handed out are pushed back",
            item.id()
        );
    }
}

fn run_program<I: Item, S: UnderTest<I>>(stack: &S, program: &[Step]) {
    let mut hand = VecDeque::new();
    for step in program {
        match step {
            Pop => {
                let popped = stack.pop();
                fact(EMPTY_POPS, popped.is_none());
                hand.extend(popped);
            }
            PushNewest => {
                if let Some(item) = hand.pop_back() {
                    push_back(stack, item);
                }
            }
            PushOldest => {
                if let Some(item) = hand.pop_front() {
                    push_back(stack, item);
                }
            }
            PushNew(id) => push_back(stack, I::make(*id)),
        }
    }
    while let Some(item) = hand.pop_back() {
        push_back(stack, item);
    }
}

/// Runs `scenario` on a fresh `S` with real (or modelled) threads and checks
/// conservation at quiescence. Panics naming the violation.
pub fn run<I: Item, S: UnderTest<I>>(scenario: &'static Scenario) {
    #[cfg(any(loom, shuttle))]
    let retries = ghost::read(&ghost::CAS_RETRIES);
    let stack = Arc::new(S::build(scenario.items + scenario.spare));
    for id in 0..scenario.items {
        push_back(&*stack, I::make(id));
    }
    let handles: Vec<_> = scenario
        .threads
        .iter()
        .map(|program| {
            let stack = stack.clone();
            thread::spawn(move || run_program(&*stack, program))
        })
        .collect();
    for handle in handles {
        handle.join().expect("scenario thread panicked");
    }
    let pushed_new = scenario
        .threads
        .iter()
        .flat_map(|program| program.iter())
        .filter(|step| matches!(step, PushNew(_)))
        .count();
    check_drained(&*stack, scenario.items + pushed_new);
    #[cfg(any(loom, shuttle))]
    super::fact_n(CAS_RETRIES, ghost::read(&ghost::CAS_RETRIES) - retries);
}

/// The epoch stack's reclamation model's name in evidence lines.
pub const RECLAIM_WHILE_LIVE: &str = "reclaim-while-live";
/// Fact: a node was freed while the other model thread had not finished.
pub const RECLAIMED_WHILE_LIVE: &str = "reclaimed_while_live";
/// Fact: another thread's eager collection freed a node while a pop was
/// in flight (between its pin and its return: its load and CAS raced the
/// reclamation).
pub const POP_RACED_RECLAMATION: &str = "pop_raced_reclamation";

/// Epoch reclamation while threads run. Without help, a model never frees a
/// retired node before its threads exit (a thread's retired nodes reach the
/// global queue when it exits; collection runs every 128th pin). Here the
/// collector thread's second pin collects first (`collect_eagerly_here`):
/// its second pop frees the node its first one retired, unless the popper
/// thread is pinned in an older epoch; the popper pops and pushes back
/// meanwhile. Conservation is checked as in [`run`].
#[cfg(any(loom, shuttle))]
pub fn reclaim_while_live<I: Item>() {
    // Loom reaches the race with one round each (every interleaving within
    // the bound); shuttle's random and PCT schedules need more rounds to
    // hit it often.
    const ROUNDS: usize = if cfg!(loom) { 1 } else { 3 };
    // Ghosts: what the facts need to know, unseen by the checker.
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let freed = || ghost::read(&ghost::NODES_FREED);
    collect_eagerly_here(false);
    let stack = Arc::new(<Safe<EpochStack<I>> as UnderTest<I>>::build(2));
    for id in 0..2 {
        push_back(&*stack, I::make(id));
    }
    let popper_done = std::sync::Arc::new(AtomicBool::new(false));
    let collector = {
        let stack = stack.clone();
        let popper_done = popper_done.clone();
        thread::spawn(move || {
            run_program(&*stack, &[Pop, PushNewest]);
            // From here this thread's pins collect: the next pop's frees the
            // node the first one retired.
            collect_eagerly_here(true);
            assert!(
                collects_eagerly_here(),
                "the collector's pins do not collect"
            );
            let before = freed();
            for _ in 0..ROUNDS {
                run_program(&*stack, &[Pop, PushNewest]);
            }
            let live = !popper_done.load(SeqCst);
            fact(RECLAIMED_WHILE_LIVE, live && freed() > before);
            collect_eagerly_here(false);
        })
    };
    let popper = {
        let stack = stack.clone();
        thread::spawn(move || {
            for _ in 0..ROUNDS {
                // Else its own eager frees would count as the collector's.
                assert!(!collects_eagerly_here(), "the popper's pins collect");
                let in_pin = || ghost::read(&ghost::FREED_IN_PIN);
                let (all, pinning) = (freed(), in_pin());
                let item = stack.pop();
                // Frees while this pop was in flight, less those of a pin's
                // own collection (this pop's, under shuttle): what is left
                // is the collector thread's eager collection.
                // Checked: the models build without overflow checks, and a
                // pin that counted more own frees than there were must fail,
                // not wrap into a large `eager`.
                let eager = (freed() - all)
                    .checked_sub(in_pin() - pinning)
                    .expect("a pin counted more frees of its own than all frees during the pop");
                fact(POP_RACED_RECLAMATION, eager > 0);
                if let Some(item) = item {
                    push_back(&*stack, item);
                }
            }
            popper_done.store(true, SeqCst);
        })
    };
    collector.join().expect("collector thread panicked");
    popper.join().expect("popper thread panicked");
    check_drained(&*stack, 2);
}

/// Drains `stack` and asserts it held exactly items `0..items`.
pub fn check_drained<I: Item, S: UnderTest<I>>(stack: &S, items: usize) {
    let mut seen = vec![0usize; items];
    // A cycle would make the drain endless: stop after one pop too many.
    for _ in 0..=items {
        let Some(item) = stack.pop() else { break };
        let id = item.id();
        assert!(id < items, "item {id} was never pushed");
        seen[id] += 1;
        assert!(seen[id] == 1, "item {id} {DOUBLE}: drained it twice");
    }
    if let Some(id) = seen.iter().position(|&n| n == 0) {
        panic!("item {id} {LOST}: not in the stack at quiescence");
    }
    assert!(
        stack.pop().is_none(),
        "more than {items} items drained: an item was {DOUBLE} or the list has a cycle"
    );
}
