//! Every `FreeList` variant against a reference model, as a state machine.
//!
//! The reference is a `Vec` used as a stack with an optional bound. Run
//! sequentially, each list must be exactly LIFO, hand a value back from
//! `push` exactly when the reference is at its bound, and — checked at
//! teardown through `Arc` strong counts — neither leak nor double-drop the
//! values it held.
//!
//! Cases: 1,000 per variant unless `PROPTEST_CASES` says otherwise.

use std::marker::PhantomData;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use verified_pools::pool::Capped;
use verified_pools::{EpochStack, FreeList, IndexStack, PointerNodeStack, TaggedStack};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    Config::with_cases(cases)
}

/// A list under test, and whether it keeps the bound it is built with.
trait Subject: 'static {
    type List: FreeList<Arc<u32>>;
    const BOUNDED: bool;
}

struct Tagged;
impl Subject for Tagged {
    type List = TaggedStack<Arc<u32>>;
    const BOUNDED: bool = true;
}

struct Epoch;
impl Subject for Epoch {
    type List = EpochStack<Arc<u32>>;
    const BOUNDED: bool = false;
}

struct PointerNode;
impl Subject for PointerNode {
    type List = PointerNodeStack<Arc<u32>>;
    const BOUNDED: bool = false;
}

struct CappedEpoch;
impl Subject for CappedEpoch {
    type List = Capped<EpochStack<Arc<u32>>>;
    const BOUNDED: bool = true;
}

struct CappedPointerNode;
impl Subject for CappedPointerNode {
    type List = Capped<PointerNodeStack<Arc<u32>>>;
    const BOUNDED: bool = true;
}

#[derive(Clone, Debug)]
struct RefStack {
    capacity: usize,
    bounded: bool,
    items: Vec<u32>,
}

#[derive(Clone, Debug)]
enum Op {
    Push(u32),
    Pop,
}

struct StackRef<S>(PhantomData<S>);

impl<S: Subject> ReferenceStateMachine for StackRef<S> {
    type State = RefStack;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<RefStack> {
        (1usize..8)
            .prop_map(|capacity| RefStack {
                capacity,
                bounded: S::BOUNDED,
                items: Vec::new(),
            })
            .boxed()
    }

    fn transitions(_: &RefStack) -> BoxedStrategy<Op> {
        prop_oneof![
            3 => any::<u32>().prop_map(Op::Push),
            2 => Just(Op::Pop),
        ]
        .boxed()
    }

    fn apply(mut state: RefStack, op: &Op) -> RefStack {
        match *op {
            Op::Push(v) => {
                if !state.bounded || state.items.len() < state.capacity {
                    state.items.push(v);
                }
            }
            Op::Pop => {
                state.items.pop();
            }
        }
        state
    }
}

struct Sut<S: Subject> {
    list: S::List,
    /// The reference's items *before* the op being applied (the framework
    /// hands `apply` the state after it).
    before: Vec<u32>,
    /// Every value ever created, to check drops at teardown.
    made: Vec<Arc<u32>>,
    /// Values popped or handed back, which the test now owns.
    out: Vec<Arc<u32>>,
}

struct StackTest<S>(PhantomData<S>);

impl<S: Subject> StateMachineTest for StackTest<S> {
    type SystemUnderTest = Sut<S>;
    type Reference = StackRef<S>;

    fn init_test(reference: &RefStack) -> Sut<S> {
        let list = S::List::with_capacity(reference.capacity).expect("capacity 1..8 is valid");
        let expected = S::BOUNDED.then_some(reference.capacity);
        assert_eq!(list.capacity(), expected);
        Sut {
            list,
            before: Vec::new(),
            made: Vec::new(),
            out: Vec::new(),
        }
    }

    fn apply(mut sut: Sut<S>, reference: &RefStack, op: Op) -> Sut<S> {
        match op {
            Op::Push(v) => {
                let room = !S::BOUNDED || sut.before.len() < reference.capacity;
                let value = Arc::new(v);
                sut.made.push(Arc::clone(&value));
                match sut.list.push(value) {
                    Ok(()) => assert!(room, "push stored a value beyond the bound"),
                    Err(back) => {
                        assert!(!room, "push refused a value with room left");
                        assert_eq!(*back, v, "push handed back a different value");
                        sut.out.push(back);
                    }
                }
            }
            Op::Pop => {
                let got = sut.list.pop();
                assert_eq!(got.as_deref(), sut.before.last(), "not LIFO");
                sut.out.extend(got);
            }
        }
        sut.before.clone_from(&reference.items);
        sut
    }

    fn teardown(sut: Sut<S>, reference: RefStack) {
        let Sut {
            list, made, out, ..
        } = sut;
        // Exactly the reference's items remain, in LIFO order.
        let mut rest = Vec::new();
        while let Some(v) = list.pop() {
            rest.push(*v);
        }
        rest.reverse();
        assert_eq!(rest, reference.items);
        // Values left in a list are dropped with it: push some back first.
        for v in made.iter().take(reference.capacity) {
            let _ = list.push(Arc::clone(v));
        }
        drop(list);
        drop(out);
        for value in &made {
            assert_eq!(Arc::strong_count(value), 1, "a value leaked or was cloned");
        }
    }
}

// ---------------------------------------------------------------------------
// IndexStack: a list of slot indices; pushing an index already present is a
// documented logic error, so the generator never does it.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct RefIndices {
    capacity: usize,
    items: Vec<u32>,
}

struct IndexRef;

impl ReferenceStateMachine for IndexRef {
    type State = RefIndices;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<RefIndices> {
        (1usize..8)
            .prop_map(|capacity| RefIndices {
                capacity,
                items: Vec::new(),
            })
            .boxed()
    }

    fn transitions(state: &RefIndices) -> BoxedStrategy<Op> {
        // Indices up to two past the end, to try out-of-range pushes.
        let top = state.capacity as u32 + 2;
        prop_oneof![
            3 => (0..top).prop_map(Op::Push),
            2 => Just(Op::Pop),
        ]
        .boxed()
    }

    fn preconditions(state: &RefIndices, op: &Op) -> bool {
        match op {
            Op::Push(i) => !state.items.contains(i),
            Op::Pop => true,
        }
    }

    fn apply(mut state: RefIndices, op: &Op) -> RefIndices {
        match *op {
            Op::Push(i) if (i as usize) < state.capacity => state.items.push(i),
            Op::Push(_) => {}
            Op::Pop => {
                state.items.pop();
            }
        }
        state
    }
}

struct IndexTest;

impl StateMachineTest for IndexTest {
    type SystemUnderTest = (IndexStack, Vec<u32>);
    type Reference = IndexRef;

    fn init_test(reference: &RefIndices) -> (IndexStack, Vec<u32>) {
        let list = IndexStack::with_capacity(reference.capacity).expect("capacity 1..8 is valid");
        assert_eq!(list.capacity(), Some(reference.capacity));
        (list, Vec::new())
    }

    fn apply(
        (list, mut before): (IndexStack, Vec<u32>),
        reference: &RefIndices,
        op: Op,
    ) -> (IndexStack, Vec<u32>) {
        match op {
            Op::Push(i) => {
                let in_range = (i as usize) < reference.capacity;
                assert_eq!(list.push(i), if in_range { Ok(()) } else { Err(i) });
            }
            Op::Pop => assert_eq!(list.pop(), before.last().copied(), "not LIFO"),
        }
        before.clone_from(&reference.items);
        (list, before)
    }
}

prop_state_machine! {
    #![proptest_config(config())]

    #[test]
    fn tagged_stack_matches_reference(sequential 1..48 => StackTest<Tagged>);

    #[test]
    fn epoch_stack_matches_reference(sequential 1..48 => StackTest<Epoch>);

    #[test]
    fn pointer_node_stack_matches_reference(sequential 1..48 => StackTest<PointerNode>);

    #[test]
    fn capped_epoch_matches_reference(sequential 1..48 => StackTest<CappedEpoch>);

    #[test]
    fn capped_pointer_node_matches_reference(sequential 1..48 => StackTest<CappedPointerNode>);

    #[test]
    fn index_stack_matches_reference(sequential 1..48 => IndexTest);
}
