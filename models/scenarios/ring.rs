//! Ring-pool scenarios: the ring's table of models (`models/ring.rs`) runs
//! them under loom and shuttle, `tests/ring_stress.rs` on real threads.
//!
//! Every slice is stamped with a per-slice value when handed out and checked
//! before it is dropped, so an overwrite of a live slice fails with
//! `LIVE_OVERWRITE` even where the model builds' ghost check is not reached.

use super::backend::{Arc, spin_loop, thread};
use super::fact;
#[cfg(any(loom, shuttle))]
use verified_pools::ring::LIVE_OVERWRITE;
use verified_pools::ring::{ArcPoolSlice, ArcProducer, RingConfig, RingError, RingPool};

/// Facts of [`out_of_order_wrap`]: the third slice wrapped with a pad, the
/// second slice was released before the first, and both in one execution.
pub const WRAP_WITH_PAD: &str = "wrap_with_pad";
/// See [`WRAP_WITH_PAD`].
pub const OUT_OF_ORDER_RELEASE: &str = "out_of_order_release";
/// See [`WRAP_WITH_PAD`].
pub const WRAP_PAD_OUT_OF_ORDER: &str = "wrap_pad_out_of_order";
/// Facts of [`wait_for_release`]: the producer waited, and waited again
/// after a wake-up that found too little room.
pub const WAITS: &str = "waits";
/// See [`WAITS`].
pub const REWAITS: &str = "rewaits";

/// Real threads have no ghost check; the stamp check uses the same words.
#[cfg(not(any(loom, shuttle)))]
const LIVE_OVERWRITE: &str = "live slice overwritten";

fn stamp(s: &mut ArcPoolSlice, v: f32) {
    s.fill(v);
}

fn check(s: &ArcPoolSlice, v: f32) {
    let ok = s.iter().all(|&x| x == v);
    assert!(
        ok,
        "{LIVE_OVERWRITE}: slice at {} lost its stamp {v}",
        s.first_vector()
    );
}

/// Retries `alloc(n)` while the ring is full; any other error is a bug.
fn alloc_retry(p: &mut ArcProducer, n: usize) -> ArcPoolSlice {
    loop {
        match p.alloc(n) {
            Ok(s) => return s,
            Err(RingError::Full { .. }) => spin_loop(),
            Err(e) => panic!("unexpected ring error: {e}"),
        }
    }
}

fn ring(cap: usize, max: usize) -> Arc<RingPool> {
    let cfg = RingConfig::new(1, cap, max);
    Arc::new(RingPool::new(cfg).expect("valid config"))
}

/// What [`out_of_order_wrap`]'s first dropper does with its slice A, whose
/// vectors the third slice C reuses, and whether C is written.
#[derive(Clone, Copy, PartialEq)]
enum Touch {
    /// Everything: A stamped, then checked by its dropper; C stamped and
    /// checked. An overwrite of a live slice then shows as a lost stamp
    /// even on real threads, with no model check.
    All,
    /// A's dropper only reads A; C is not written.
    Read,
    /// A's dropper only writes A; C is not written.
    Write,
    /// A's dropper only drops A; C is not written.
    Nothing,
}

/// A producer and two droppers; drops in either order; the third slice only
/// fits after a wrap with one vector of tail padding, and only once the
/// *first* slice is released (the second's release alone must not help).
///
/// Region of 5: A = [0,2), B = [2,4); C (2 vectors) does not fit in the
/// 1-vector tail, so it pads index 4 and goes to [0,2) — A's vectors.
pub fn out_of_order_wrap() {
    wrap_touching(Touch::All)
}

/// [`out_of_order_wrap`] where the only access to A off the producer's
/// thread is its dropper's read, and C is never written: a release the
/// producer does not synchronise with shows only as that read racing the
/// model builds' hand-out of C (the ring's per-vector access cells).
pub fn out_of_order_wrap_reading() {
    wrap_touching(Touch::Read)
}

/// As [`out_of_order_wrap_reading`], with a write of A by its dropper.
pub fn out_of_order_wrap_writing() {
    wrap_touching(Touch::Write)
}

/// [`out_of_order_wrap`] where nothing but the producer touches any
/// vector: handing out a live slice's vectors shows only through the model
/// builds' ghost live bits, which the other forms back up with races and
/// lost stamps.
pub fn out_of_order_wrap_untouched() {
    wrap_touching(Touch::Nothing)
}

fn wrap_touching(touch: Touch) {
    // Ghost release order (outside the model, like `FACTS`).
    static RANK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    use std::sync::atomic::Ordering::SeqCst as Ghost;
    RANK.store(0, Ghost);
    let pool = ring(5, 2);
    let mut p = RingPool::arc_producer(&pool).expect("first producer");
    let mut a = p.alloc(2).expect("empty ring");
    let mut b = p.alloc(2).expect("room for B");
    assert_eq!((a.first_vector(), b.first_vector()), (0, 2));
    if matches!(touch, Touch::All | Touch::Read) {
        stamp(&mut a, 1.0);
    }
    stamp(&mut b, 2.0);
    let d1 = thread::spawn(move || {
        match touch {
            Touch::All | Touch::Read => check(&a, 1.0),
            Touch::Write => stamp(&mut a, 1.0),
            Touch::Nothing => {}
        }
        drop(a);
        RANK.fetch_add(1, Ghost)
    });
    let d2 = thread::spawn(move || {
        check(&b, 2.0);
        drop(b);
        RANK.fetch_add(1, Ghost)
    });
    let mut c = alloc_retry(&mut p, 2);
    assert_eq!(c.first_vector(), 0, "C wraps to the front after padding");
    if touch == Touch::All {
        stamp(&mut c, 3.0);
        check(&c, 3.0);
    }
    let rank_a = d1.join().expect("dropper 1");
    let rank_b = d2.join().expect("dropper 2");
    drop(c);
    let s = p.stats();
    fact(WRAP_WITH_PAD, s.padded_vectors == 1);
    fact(OUT_OF_ORDER_RELEASE, rank_b < rank_a);
    fact(
        WRAP_PAD_OUT_OF_ORDER,
        s.padded_vectors == 1 && rank_b < rank_a,
    );
    assert_eq!(s.used_vectors, 0, "the ring drains to empty");
    // One pad if B was still out when C was placed; none if the ring had
    // drained (an empty ring rewinds to index 0).
    assert!(s.padded_vectors <= 1);
    assert_eq!(s.allocations, 3);
    assert_eq!(s.oldest_live, None);
}

/// The producer and the pool go away first; a dropper on another thread
/// still writes its slice, and its drop frees the region (the model checker
/// reports a leaked `Arc` otherwise).
pub fn last_slice_frees_region() {
    // Ghost: whether the pool handle was gone before the slice's drop.
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let pool_gone = std::sync::Arc::new(AtomicBool::new(false));
    let pool = ring(3, 2);
    let mut p = RingPool::arc_producer(&pool).expect("first producer");
    let a = p.alloc(2).expect("empty ring");
    let d = {
        let pool_gone = pool_gone.clone();
        thread::spawn(move || {
            let mut a = a;
            stamp(&mut a, 5.0);
            check(&a, 5.0);
            fact(SLICE_OUTLIVED_POOL, pool_gone.load(SeqCst));
            drop(a);
        })
    };
    drop(p);
    drop(pool);
    pool_gone.store(true, SeqCst);
    d.join().expect("dropper");
}

/// Fact: the last slice was dropped after the pool and its producer.
pub const SLICE_OUTLIVED_POOL: &str = "slice_outlived_pool";

/// Two slices outlive their producer and every `Arc` of the pool, and are
/// dropped on two threads: whichever gives up the last hold drops the pool,
/// which in the model builds touches every vector, so the other slice's
/// writes must happen-before it (the shared hold's orderings, `hold.rs`).
pub fn slices_outlive_producer() {
    // Ghost: which slice has been dropped (outside the model, so it adds no
    // synchronisation).
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let a_gone = std::sync::Arc::new(AtomicBool::new(false));
    let pool = ring(2, 1);
    let mut p = RingPool::arc_producer(&pool).expect("first producer");
    let a = p.alloc(1).expect("empty ring");
    let b = p.alloc(1).expect("room for two");
    drop(p);
    drop(pool);
    let d = {
        let a_gone = a_gone.clone();
        thread::spawn(move || {
            let mut a = a;
            stamp(&mut a, 1.0);
            drop(a);
            a_gone.store(true, SeqCst);
        })
    };
    let mut b = b;
    stamp(&mut b, 2.0);
    drop(b);
    fact(LAST_HOLD_ON_EACH_THREAD[0], !a_gone.load(SeqCst));
    fact(LAST_HOLD_ON_EACH_THREAD[1], a_gone.load(SeqCst));
    d.join().expect("dropper");
}

/// Facts of [`slices_outlive_producer`]: the main thread's slice dropped
/// before the other thread's (which then held the last hold), and after it.
pub const LAST_HOLD_ON_EACH_THREAD: [&str; 2] = ["last_hold_on_dropper", "last_hold_on_main"];

/// Fact: a second producer was taken while the first was still out on
/// another thread (refused), or after it was returned (handed off).
pub const PRODUCER_REFUSED: &str = "producer_refused";
/// Fact: see [`PRODUCER_REFUSED`].
pub const PRODUCER_HANDED_OFF: &str = "producer_handed_off";

/// The producer handle moves to another thread and a second producer is
/// refused while it is out; when a second one is taken, it sees the first's
/// cursor state (the hand-off through the `producer_taken` flag).
pub fn producer_hand_off() {
    let pool = ring(4, 2);
    let mut p = RingPool::arc_producer(&pool).expect("first producer");
    let a = p.alloc(2).expect("empty ring");
    let t = thread::spawn(move || {
        let b = p.alloc(2).expect("room for B");
        assert_eq!(b.first_vector(), 2);
        // The producer goes before the slice: a slice's drop runs the
        // wake-up fence, which would otherwise order the state writes ahead
        // of the flag and hide a weakened `ring.producer.return`.
        drop(p);
        drop(b);
    });
    let second = RingPool::arc_producer(&pool);
    fact(PRODUCER_HANDED_OFF, second.is_ok());
    fact(PRODUCER_REFUSED, second.is_err());
    match second {
        Ok(mut q) => {
            // The first producer is gone, though not yet joined: its state
            // must reach us through the flag alone.
            let s = q.stats();
            // B is released but sits behind the live A: nothing reclaimable.
            assert_eq!((s.allocations, s.used_vectors), (2, 4));
            assert_eq!(
                s.oldest_live.map(|o| (o.first_vector, o.len_vectors)),
                Some((0, 2))
            );
            drop(q);
            t.join().expect("producer thread");
        }
        Err(e) => {
            assert_eq!(e, RingError::ProducerTaken);
            t.join().expect("producer thread");
            let mut q = RingPool::arc_producer(&pool).expect("producer returned");
            assert_eq!(q.stats().allocations, 2);
        }
    }
    drop(a);
    let mut q = RingPool::arc_producer(&pool).expect("producer returned");
    assert_eq!(q.stats().used_vectors, 0);
}

/// The producer sleeps in `alloc_wait` until both droppers have released:
/// A = [0,1) and B = [1,3) fill a 3-vector ring, and 2 vectors fit only
/// once both are back (B's release alone does not move the read cursor
/// past the live A). Each release must wake the producer (a lost wake-up
/// is a deadlock: every thread blocked), and a wake-up that finds too
/// little room must park again.
///
/// The producer runs on its own thread, which blocks on nothing but
/// `park`: a dropper that still reads `waiting` set after the producer
/// stopped waiting unparks it spuriously (harmless, `park` allows it), and
/// loom 0.7 would let such an unpark wake a thread blocked in `join`.
pub fn wait_for_release() {
    let pool = ring(3, 2);
    let mut p = RingPool::arc_producer(&pool).expect("first producer");
    let mut a = p.alloc(1).expect("empty ring");
    let mut b = p.alloc(2).expect("room for B");
    stamp(&mut a, 1.0);
    stamp(&mut b, 2.0);
    assert!(matches!(p.alloc(1), Err(RingError::Full { .. })));
    let producer = thread::spawn(move || {
        let mut c = p
            .alloc_wait(2, std::time::Duration::MAX)
            .expect("both releases make room; no timeout");
        stamp(&mut c, 3.0);
        check(&c, 3.0);
        let s = p.stats();
        fact(WAITS, s.waits > 0);
        fact(REWAITS, s.waits > 1);
        c
    });
    let d1 = thread::spawn(move || {
        check(&a, 1.0);
        drop(a);
    });
    check(&b, 2.0);
    drop(b);
    d1.join().expect("dropper");
    let c = producer.join().expect("producer");
    drop(c);
    let mut q = RingPool::arc_producer(&pool).expect("producer returned");
    assert_eq!(q.stats().used_vectors, 0);
}
