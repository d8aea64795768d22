//! State-machine test of the ring against a reference model: a queue of
//! spans (live slices, released slices, pads) between the read and write
//! cursors. Random allocs (valid and invalid lengths), out-of-order drops and
//! stats calls; after every step the cursors must match the model, no two
//! live slices may overlap, and every live slice must keep its stamp; at the
//! end the ring must drain to empty.
//!
//! `PROPTEST_CASES` overrides the default of 1,000 cases.
// Real threads with std's `Arc`: std builds only.
#![cfg(not(any(loom, shuttle)))]

use std::collections::VecDeque;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};
use std::sync::Arc;
use verified_pools::ring::{ArcPoolSlice, ArcProducer, RingConfig, RingError, RingPool};

#[derive(Clone, Debug)]
struct Span {
    first: usize,
    len: usize,
    /// `None` for a pad.
    id: Option<u64>,
    released: bool,
}

#[derive(Clone, Debug)]
struct Model {
    dim: usize,
    cap: usize,
    max: usize,
    read_idx: usize,
    write_idx: usize,
    spans: VecDeque<Span>,
    next_id: u64,
    allocations: u64,
    padded: u64,
    full_events: u64,
    high_water: usize,
}

#[derive(Clone, Debug)]
enum Step {
    Alloc(usize),
    Drop(Index),
    Stats,
}

impl Model {
    fn used(&self) -> usize {
        self.spans.iter().map(|s| s.len).sum()
    }

    fn live(&self) -> Vec<&Span> {
        self.spans
            .iter()
            .filter(|s| s.id.is_some() && !s.released)
            .collect()
    }

    fn reclaim(&mut self) {
        while let Some(front) = self.spans.front() {
            if !front.released {
                break;
            }
            self.read_idx = (self.read_idx + front.len) % self.cap;
            self.spans.pop_front();
        }
        if self.spans.is_empty() {
            self.read_idx = 0;
            self.write_idx = 0;
        }
    }

    /// What `alloc(n)` must do: `Ok(first)` or the expected error.
    fn alloc(&mut self, n: usize) -> Result<usize, RingError> {
        if n == 0 {
            return Err(RingError::ZeroLength);
        }
        if n > self.max {
            return Err(RingError::TooLong {
                requested: n,
                max_vectors: self.max,
            });
        }
        self.reclaim();
        let tail = self.cap - self.write_idx;
        let pad = if n > tail { tail } else { 0 };
        if self.used() + pad + n > self.cap {
            self.full_events += 1;
            // Independently of the ring's formula: the largest m that fits.
            let largest_fit = (1..=self.cap)
                .filter(|&m| {
                    let pad = if m > tail { tail } else { 0 };
                    self.used() + pad + m <= self.cap
                })
                .max()
                .unwrap_or(0);
            let oldest_live = self.spans.front().map(|s| (s.first, s.len));
            return Err(RingError::Full {
                requested: n,
                free_vectors: self.cap - self.used(),
                largest_fit,
                oldest_live: oldest_live.map(|(first, len)| verified_pools::ring::OldestLive {
                    first_vector: first,
                    len_vectors: len,
                    allocations_ago: 0, // checked separately
                }),
            });
        }
        if pad > 0 {
            self.spans.push_back(Span {
                first: self.write_idx,
                len: pad,
                id: None,
                released: true,
            });
            self.padded += pad as u64;
            self.write_idx = 0;
        }
        let first = self.write_idx;
        self.spans.push_back(Span {
            first,
            len: n,
            id: Some(self.next_id),
            released: false,
        });
        self.next_id += 1;
        self.allocations += 1;
        self.write_idx = (first + n) % self.cap;
        self.high_water = self.high_water.max(self.used());
        Ok(first)
    }
}

struct RingModel;

impl ReferenceStateMachine for RingModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        (1usize..=24, 1usize..=3)
            .prop_flat_map(|(cap, dim)| (Just(cap), Just(dim), 1..=cap))
            .prop_map(|(cap, dim, max)| Model {
                dim,
                cap,
                max,
                read_idx: 0,
                write_idx: 0,
                spans: VecDeque::new(),
                next_id: 0,
                allocations: 0,
                padded: 0,
                full_events: 0,
                high_water: 0,
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let alloc = (0..=state.max + 1).prop_map(Step::Alloc);
        if state.live().is_empty() {
            prop_oneof![4 => alloc, 1 => Just(Step::Stats)].boxed()
        } else {
            prop_oneof![4 => alloc, 3 => any::<Index>().prop_map(Step::Drop), 1 => Just(Step::Stats)]
                .boxed()
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        match step {
            Step::Alloc(n) => {
                let _ = state.alloc(*n);
            }
            Step::Drop(ix) => {
                let live: Vec<u64> = state.live().iter().filter_map(|s| s.id).collect();
                let id = live[ix.index(live.len())];
                if let Some(s) = state.spans.iter_mut().find(|s| s.id == Some(id)) {
                    s.released = true;
                }
            }
            Step::Stats => state.reclaim(),
        }
        state
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        !matches!(step, Step::Drop(_)) || !state.live().is_empty()
    }
}

struct Sut {
    producer: ArcProducer,
    /// Live slices with their ids.
    slices: Vec<(u64, ArcPoolSlice)>,
}

fn stamp_ok(id: u64, s: &ArcPoolSlice) -> bool {
    s.iter().all(|&x| x == id as f32)
}

impl StateMachineTest for RingSut {
    type SystemUnderTest = Sut;
    type Reference = RingModel;

    fn init_test(m: &Model) -> Sut {
        let cfg = RingConfig::new(m.dim, m.cap, m.max).with_pretouch(false);
        let pool = Arc::new(RingPool::new(cfg).expect("valid config"));
        Sut {
            producer: RingPool::arc_producer(&pool).expect("first producer"),
            slices: Vec::new(),
        }
    }

    fn apply(mut sut: Sut, after: &Model, step: Step) -> Sut {
        match step {
            Step::Alloc(n) => {
                let expected_first = after
                    .spans
                    .back()
                    .and_then(|s| s.id)
                    .map(|id| (id, s_first(after, id)));
                match sut.producer.alloc(n) {
                    Ok(mut s) => {
                        let (id, first) = expected_first.expect("model also succeeded");
                        assert_eq!(id + 1, after.next_id, "model allocated this very slice");
                        assert_eq!((s.first_vector(), s.len_vectors()), (first, n));
                        assert_eq!(s.len(), n * after.dim);
                        s.fill(id as f32);
                        sut.slices.push((id, s));
                    }
                    Err(RingError::Full {
                        requested,
                        free_vectors,
                        largest_fit,
                        oldest_live,
                    }) => {
                        let mut m = after.clone();
                        // Re-derive the expected error on the post-state
                        // (reclaim is idempotent, the attempt changed nothing
                        // but the counter).
                        m.full_events -= 1;
                        let exp = m.alloc(n);
                        let Err(RingError::Full {
                            free_vectors: ef,
                            largest_fit: el,
                            oldest_live: eo,
                            ..
                        }) = exp
                        else {
                            panic!("ring said Full for {n}, model says {exp:?}");
                        };
                        assert_eq!((requested, free_vectors, largest_fit), (n, ef, el));
                        let o = oldest_live.expect("a full ring has a live slice");
                        let e = eo.expect("model: live slice");
                        assert_eq!(
                            (o.first_vector, o.len_vectors),
                            (e.first_vector, e.len_vectors)
                        );
                        assert!(largest_fit < n);
                    }
                    Err(e) => {
                        let exp = if n == 0 {
                            RingError::ZeroLength
                        } else {
                            RingError::TooLong {
                                requested: n,
                                max_vectors: after.max,
                            }
                        };
                        assert_eq!(e, exp);
                    }
                }
            }
            Step::Drop(ix) => {
                // The model picked among its live ids in allocation order; so
                // do we (our list is in allocation order too).
                let released: Vec<u64> = sut
                    .slices
                    .iter()
                    .map(|(id, _)| *id)
                    .filter(|id| {
                        after.spans.iter().any(|s| s.id == Some(*id) && s.released)
                            || !after.spans.iter().any(|s| s.id == Some(*id))
                    })
                    .collect();
                assert_eq!(released.len(), 1, "exactly one slice was dropped");
                let pos = sut
                    .slices
                    .iter()
                    .position(|(id, _)| *id == released[0])
                    .expect("live");
                let _ = ix;
                let (id, s) = sut.slices.remove(pos);
                assert!(stamp_ok(id, &s), "slice {id} lost its stamp before drop");
                drop(s);
            }
            Step::Stats => {
                let st = sut.producer.stats();
                // stats() reclaims, as the model's Stats step does.
                assert_eq!(st.allocations, after.allocations);
                assert_eq!(st.padded_vectors, after.padded);
                assert_eq!(st.full_events, after.full_events);
                assert_eq!(st.used_vectors, after.used());
                assert_eq!(st.high_water_vectors, after.high_water);
                assert_eq!(st.capacity_vectors, after.cap);
                let front = after.spans.front().map(|s| (s.first, s.len));
                assert_eq!(
                    st.oldest_live.map(|o| (o.first_vector, o.len_vectors)),
                    front
                );
                if let (Some(o), Some(f)) = (st.oldest_live, after.spans.front()) {
                    let id = f.id.expect("front after reclaim is a live slice");
                    assert_eq!(o.allocations_ago, after.allocations - 1 - id);
                }
            }
        }
        // Cursor arithmetic: the ring's indices match the model's after
        // every step (neither query reclaims).
        assert_eq!(sut.producer.read_index(), after.read_idx, "read cursor");
        assert_eq!(sut.producer.write_index(), after.write_idx, "write cursor");
        sut
    }

    fn check_invariants(sut: &Sut, m: &Model) {
        let mut ranges: Vec<(usize, usize)> = sut
            .slices
            .iter()
            .map(|(_, s)| (s.first_vector(), s.first_vector() + s.len_vectors()))
            .collect();
        ranges.sort();
        for w in ranges.windows(2) {
            assert!(
                w[0].1 <= w[1].0,
                "live slices overlap: {:?} and {:?}",
                w[0],
                w[1]
            );
        }
        for (id, s) in &sut.slices {
            assert!(stamp_ok(*id, s), "live slice {id} overwritten");
            assert!(
                s.first_vector() + s.len_vectors() <= m.cap,
                "slice straddles the end"
            );
        }
        let live: Vec<u64> = m.live().iter().filter_map(|s| s.id).collect();
        let ours: Vec<u64> = sut.slices.iter().map(|(id, _)| *id).collect();
        assert_eq!(ours, live);
    }

    fn teardown(mut sut: Sut, m: Model) {
        // Drain in reverse allocation order (the worst order for a ring).
        while let Some((id, s)) = sut.slices.pop() {
            assert!(stamp_ok(id, &s));
            drop(s);
        }
        let st = sut.producer.stats();
        assert_eq!(st.used_vectors, 0, "the ring drains to empty");
        assert_eq!(st.oldest_live, None);
        let full = sut
            .producer
            .alloc(m.max)
            .expect("an empty ring serves max_vectors");
        assert_eq!(full.first_vector(), 0);
    }
}

fn s_first(m: &Model, id: u64) -> usize {
    m.spans
        .iter()
        .find(|s| s.id == Some(id))
        .map(|s| s.first)
        .expect("span")
}

struct RingSut;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn ring_matches_queue_model(sequential 1..60 => RingSut);
}
