//! The front's place rules (`src/tls/mod.rs`, "Contract", and the
//! invariants of `src/tls/cache.rs`), replayed step by step on one thread.
//!
//! `proptest_tls.rs` checks that one thread sees the plain pool's outcomes
//! and that a cache stays inside its bounds. That leaves the rules
//! themselves free to drift inside those bounds: a cache that keeps its
//! places when it runs empty, a claim that grows by two instead of
//! doubling, a batch that goes to the loose list instead of the depot. Each
//! changes who can return or get later, so each is a contract bug, but none
//! breaks a bound at once.
//!
//! Here a reference follows the rules as stated: the thread's cache
//! (`items`, `places`, the claim size and the gets at the last claim), the
//! shared `room`, the depot's magazines (full and vacant) and the loose
//! list. After every step the pool's `cached`, `reserved`, `pooled`,
//! `misses` and the step's outcome must equal the reference's. Counts go up
//! to 40 and flushes are frequent, so the depot runs out of vacant
//! magazines in some cases (past `count / batch + 16` partial magazines),
//! and the loose list takes the rest.
//!
//! Cases: 1,000 unless `PROPTEST_CASES` says otherwise.

use proptest::prelude::*;
use verified_pools::pool::{PoolConfig, ReturnOutcome, Serialization, Tagged};
use verified_pools::tls::{TlsConfig, TlsPool};

/// Buffers left in `items`, `places` etc. are per thread; this test has one.
#[derive(Debug, Clone, Default)]
struct Rules {
    per_thread: usize,
    batch: usize,
    spare: usize,
    /// The magazines of the depot: `full` holds each one's length.
    full: Vec<usize>,
    magazines: usize,
    loose: usize,
    room: usize,
    items: usize,
    places: usize,
    claim: usize,
    gets_at_claim: usize,
    gets: usize,
    misses: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Got {
    Buffer,
    Empty,
}

impl Rules {
    fn new(count: usize, per_thread: usize) -> Self {
        let batch = per_thread.div_ceil(2);
        Self {
            per_thread,
            batch,
            spare: batch.div_ceil(2),
            magazines: count / batch + count.min(16),
            // The pre-allocation waits on the loose list; every place is
            // taken by one of its buffers.
            loose: count,
            ..Self::default()
        }
    }

    fn low(&self) -> usize {
        self.places.saturating_sub(self.spare)
    }

    /// A get (`allocate`) or a `try_get`.
    fn get(&mut self, allocate: bool) -> Got {
        if self.items <= self.low() && !self.get_cold(allocate) {
            return Got::Empty;
        }
        self.items -= 1;
        self.gets += 1;
        Got::Buffer
    }

    fn get_cold(&mut self, allocate: bool) -> bool {
        if self.items == 0 && !self.refill(allocate) {
            return false;
        }
        // Free places once the top buffer is popped; more than `spare`
        // go back to `room`, all of them.
        let free = self.places.saturating_sub(self.items - 1);
        if free > self.spare {
            self.room += free;
            self.places -= free;
        }
        true
    }

    fn refill(&mut self, allocate: bool) -> bool {
        // An empty cache gives its places back first.
        self.room += self.places;
        self.places = 0;
        if let Some(n) = self.full.pop() {
            self.items += n;
            let places = self.places + n;
            let extra = places.saturating_sub(self.per_thread);
            self.room += extra;
            self.places = places - extra;
        } else if self.loose > 0 {
            // A single buffer leaves its place in `room`.
            self.loose -= 1;
            self.room += 1;
            self.items += 1;
        } else if allocate {
            // A fresh buffer holds no place.
            self.misses += 1;
            self.items += 1;
        } else {
            return false;
        }
        true
    }

    fn give_back(&mut self) -> ReturnOutcome {
        if self.items >= self.places && !self.make_place() {
            return ReturnOutcome::PoolFull;
        }
        self.items += 1;
        ReturnOutcome::Accepted
    }

    fn make_place(&mut self) -> bool {
        if self.items >= self.batch {
            // The bottom batch goes to the depot with its places, or to the
            // loose list when no magazine is vacant.
            self.push(self.batch);
            self.items -= self.batch;
            self.places -= self.batch;
        }
        self.claim = if self.gets == self.gets_at_claim {
            (self.claim * 2).clamp(1, self.spare)
        } else {
            1
        };
        self.gets_at_claim = self.gets;
        let want = self
            .claim
            .min(self.batch - self.places % self.batch)
            .min(self.per_thread - self.places);
        let got = self.room.min(want);
        if got == 0 {
            return false;
        }
        self.room -= got;
        self.places += got;
        true
    }

    /// `n` buffers into a vacant magazine, else onto the loose list.
    fn push(&mut self, n: usize) -> bool {
        if self.full.len() < self.magazines {
            self.full.push(n);
            true
        } else {
            self.loose += n;
            false
        }
    }

    /// The thread gives its cache back (`flush_local`, or its exit): the
    /// buffers in batches to the depot while magazines are vacant, the rest
    /// to the loose list, the free places to `room`. The claim state stays
    /// with the slot, which the thread's next get claims again.
    fn flush(&mut self) {
        let n = self.items;
        while self.items > 0 {
            let m = self.items.min(self.batch);
            if !self.push(m) {
                // `push` put them on the loose list; the rest follow.
                self.loose += self.items - m;
                self.items = 0;
                break;
            }
            self.items -= m;
        }
        self.room += self.places - n;
        self.places = 0;
    }

    fn pooled(&self) -> usize {
        self.full.iter().sum::<usize>() + self.loose + self.items
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Get,
    TryGet,
    /// Returns the held buffer at this index (modulo), if any.
    Return(usize),
    /// Returns a buffer the pool never handed out (of the right size).
    ReturnForeign,
    Flush,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => Just(Op::Get),
        1 => Just(Op::TryGet),
        5 => any::<usize>().prop_map(Op::Return),
        1 => Just(Op::ReturnForeign),
        1 => Just(Op::Flush),
    ]
}

const SIZE: usize = 64;

fn run(count: usize, per_thread: usize, ops: &[Op]) {
    let config = TlsConfig {
        pool: PoolConfig {
            count,
            serialization_size: SIZE,
            compression_size: SIZE,
            simd_len: 1,
        },
        per_thread,
    };
    let pool = TlsPool::<Tagged>::new(config).expect("generated configs are valid");
    let mut rules = Rules::new(count, per_thread);
    let mut held: Vec<Vec<u8>> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Get => {
                assert_eq!(rules.get(true), Got::Buffer);
                held.push(pool.get::<Serialization>());
            }
            Op::TryGet => {
                let got = pool.try_get::<Serialization>();
                assert_eq!(
                    got.is_some(),
                    rules.get(false) == Got::Buffer,
                    "step {step}: try_get"
                );
                held.extend(got);
            }
            Op::Return(i) if !held.is_empty() => {
                let buffer = held.swap_remove(i % held.len());
                assert_eq!(
                    pool.give_back::<Serialization>(buffer),
                    rules.give_back(),
                    "step {step}: return"
                );
            }
            Op::Return(_) => {}
            Op::ReturnForeign => {
                assert_eq!(
                    pool.give_back::<Serialization>(Vec::with_capacity(SIZE)),
                    rules.give_back(),
                    "step {step}: foreign return"
                );
            }
            Op::Flush => {
                pool.flush_local();
                rules.flush();
            }
        }
        let s = pool.stats().serialization;
        let want = (
            rules.items,
            rules.places - rules.items,
            rules.pooled(),
            rules.misses,
        );
        let have = (s.cached, s.reserved, s.pool.pooled, s.pool.misses);
        assert_eq!(
            have, want,
            "step {step} ({op:?}): (cached, reserved, pooled, misses) differ from the rules': {rules:?}"
        );
    }
}

fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    ProptestConfig::with_cases(cases)
}

fn count_and_per_thread() -> impl Strategy<Value = (usize, usize)> {
    (1usize..=40).prop_flat_map(|count| (Just(count), 1..=count.min(12)))
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn one_thread_follows_the_place_rules(
        (count, per_thread) in count_and_per_thread(),
        ops in prop::collection::vec(op(), 1..160),
    ) {
        run(count, per_thread, &ops);
    }
}

/// The depot runs out of vacant magazines: partial magazines (one per
/// flush of a cache that holds fewer than a batch) pile up past
/// `count / batch + 16`; the next flush's buffers go to the loose list,
/// and every one of them can still be got back without a miss.
#[test]
fn flushes_past_the_vacant_magazines_keep_every_buffer() {
    let (count, per_thread) = (40, 4);
    let mut ops = Vec::new();
    // Hold every buffer, then return them one at a time, flushing after
    // each: every flush leaves a one-buffer magazine.
    ops.extend(std::iter::repeat_n(Op::Get, count));
    for _ in 0..count {
        ops.push(Op::Return(0));
        ops.push(Op::Flush);
    }
    ops.extend(std::iter::repeat_n(Op::Get, count));
    run(count, per_thread, &ops);
}
