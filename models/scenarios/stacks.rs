//! Stack scenarios, written once and driven by loom, shuttle and real threads.
//!
//! A scenario fills a stack with items `0..items`, runs one step program per
//! thread, joins, and drains the stack. Every scenario checks conservation:
//! no item is handed out twice, none is lost, and at quiescence the stack
//! holds exactly the starting set. The panic messages name the violation so
//! the negative models can assert which bug the checker found.
#![allow(dead_code)]

use std::collections::VecDeque;

mod backend;

use backend::{Arc, thread};
#[cfg(loom)]
use verified_pools::sync::Track;
use verified_pools::{FreeList, IndexStack, PointerNodeStack};

/// Panic fragment: the same item was handed out twice.
pub const DOUBLE: &str = "handed out twice";
/// Panic fragment: an item disappeared.
pub const LOST: &str = "lost";

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
            Pop => hand.extend(stack.pop()),
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
