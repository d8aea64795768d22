//! The model scenarios on real OS threads, many rounds each, plus a longer
//! churn per stack. Under `cargo test` this is the std tier of the same code.

#[path = "../models/scenarios/mod.rs"]
mod all_scenarios;
use all_scenarios::stacks as scenarios;

use scenarios::*;
use verified_pools::{EpochStack, FreeList, PointerNodeStack, TaggedStack};

const ROUNDS: usize = 2_000;

fn rounds<S: UnderTest<usize>>() {
    for _ in 0..ROUNDS {
        run::<usize, S>(&TWO_THREADS);
        run::<usize, S>(&THREE_THREADS);
        run::<usize, S>(&ABA);
    }
}

#[test]
fn tagged_scenarios_on_real_threads() {
    rounds::<Safe<TaggedStack<usize>>>();
}

#[test]
fn epoch_scenarios_on_real_threads() {
    rounds::<Safe<EpochStack<usize>>>();
}

#[test]
fn pointer_node_single_popper_scenarios_on_real_threads() {
    rounds::<Safe<PointerNodeStack<usize>>>();
}

/// Two threads each pop and push back 200k times over 64 items: at the end the
/// stack holds each item exactly once.
fn churn<S: FreeList<usize> + Send + Sync>() {
    const ITEMS: usize = 64;
    let stack = S::with_capacity(ITEMS).unwrap();
    for i in 0..ITEMS {
        stack.push(i).unwrap();
    }
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let mut hand = Vec::with_capacity(4);
                for round in 0..200_000usize {
                    for _ in 0..(round % 4) {
                        hand.extend(stack.pop());
                    }
                    for item in hand.drain(..) {
                        assert!(
                            stack.push(item).is_ok(),
                            "stack full: an item was duplicated"
                        );
                    }
                }
            });
        }
    });
    let mut seen: Vec<usize> = std::iter::from_fn(|| stack.pop()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..ITEMS).collect::<Vec<_>>());
}

#[test]
fn tagged_churn() {
    churn::<TaggedStack<usize>>();
}

#[test]
fn epoch_churn() {
    churn::<EpochStack<usize>>();
}

#[test]
fn pointer_node_churn() {
    churn::<PointerNodeStack<usize>>();
}
