//! Free-list variants side by side: one pop + one push per iteration
//! (the pool's get + return at the list level), on 1 and 2 threads, beside
//! the control every lock-free list is bounded by: two locked
//! compare-exchanges on one cache line. Two more controls give the floor of
//! a pair that also keeps one exact shared count (the shared pool's
//! `in_use`, which its exact `peak_in_use` needs): as two more locked RMWs on
//! a second line, or carried inside the list's CAS by widening the head to
//! 16 bytes (`lock cmpxchg16b`, x86-64 only).
//!
//! Each list holds `FILL` values of `CAP` slots, so a pop always finds a
//! value and a push always finds room, on either thread count.

mod common;

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use crossbeam_utils::CachePadded;
use verified_pools::pool::{PoolConfig, Serialization};
use verified_pools::tls::{TlsConfig, TlsPool};
use verified_pools::{EpochStack, FreeList, PointerNodeStack, TaggedStack};

const CAP: usize = 64;
const FILL: u64 = 32;

fn filled<L: FreeList<u64>>() -> L {
    let list = L::with_capacity(CAP).expect("capacity");
    for i in 0..FILL {
        list.push(i).expect("room");
    }
    list
}

#[inline]
fn pop_push<L: FreeList<u64>>(list: &L) {
    let v = list.pop().expect("a value");
    // The push may not give the value back: the list has room.
    let _ = list.push(black_box(v));
}

/// One successful compare-exchange, retried on contention (a Treiber
/// head's update without the list).
#[inline]
fn cas_increment(a: &AtomicU64) {
    let mut cur = a.load(Ordering::Relaxed);
    while let Err(seen) = a.compare_exchange_weak(cur, cur + 1, Ordering::AcqRel, Ordering::Relaxed)
    {
        cur = seen;
    }
}

#[inline]
fn two_cas(a: &AtomicU64) {
    cas_increment(a);
    cas_increment(black_box(a));
}

/// A guard pair's locked instructions: the list's CAS each way and the
/// shared count's RMW each way, the count on a line of its own.
#[inline]
fn two_cas_two_rmw(head: &AtomicU64, count: &AtomicU64) {
    cas_increment(head);
    black_box(count.fetch_add(1, Ordering::Relaxed));
    cas_increment(black_box(head));
    black_box(count.fetch_sub(1, Ordering::Relaxed));
}

/// A 16-byte word updated with `lock cmpxchg16b`: a list head with the
/// count beside the index and tag, so each list CAS also moves the count.
#[cfg(target_arch = "x86_64")]
mod wide {
    use std::arch::asm;
    use std::cell::UnsafeCell;

    /// The word, aligned as `cmpxchg16b` requires.
    #[repr(C, align(16))]
    pub struct Word(UnsafeCell<[u64; 2]>);

    // SAFETY: the word is only accessed through `lock cmpxchg16b`, which is
    // atomic.
    unsafe impl Sync for Word {}

    impl Word {
        /// A zeroed word, or `None` on a CPU without `cmpxchg16b`.
        pub fn new() -> Option<Self> {
            std::arch::is_x86_feature_detected!("cmpxchg16b").then(|| Self(UnsafeCell::new([0; 2])))
        }

        /// One compare-exchange: `Ok` if the word held `old` (now `new`),
        /// else `Err` with what it held.
        #[inline]
        pub fn cas(&self, old: [u64; 2], new: [u64; 2]) -> Result<(), [u64; 2]> {
            let (lo, hi): (u64, u64);
            let ok: u8;
            // SAFETY: `Word::new` checked the CPU has `cmpxchg16b`; the
            // pointer is to a live, 16-byte aligned word that is only ever
            // accessed by this locked instruction. `rbx` cannot be an asm
            // operand, so the new low half is swapped into it and rbx is
            // restored afterwards.
            unsafe {
                asm!(
                    "xchg {new_lo}, rbx",
                    "lock cmpxchg16b xmmword ptr [{word}]",
                    "sete {ok}",
                    "mov rbx, {new_lo}",
                    word = in(reg) self.0.get(),
                    new_lo = inout(reg) new[0] => _,
                    ok = out(reg_byte) ok,
                    in("rcx") new[1],
                    inout("rax") old[0] => lo,
                    inout("rdx") old[1] => hi,
                    options(nostack),
                );
            }
            if ok != 0 { Ok(()) } else { Err([lo, hi]) }
        }
    }

    /// A guard pair with the count in the head: one wide CAS each way (the
    /// low half a stand-in for index and tag, the high half the count).
    /// The expected value is the one the last CAS saw, so no load is timed:
    /// a lower bound for that design.
    #[inline]
    pub fn two_wide_cas(word: &Word, seen: &mut [u64; 2]) {
        for delta in [1u64, u64::MAX] {
            loop {
                let next = [seen[0].wrapping_add(1), seen[1].wrapping_add(delta)];
                match word.cas(*seen, next) {
                    Ok(()) => {
                        *seen = next;
                        break;
                    }
                    Err(now) => *seen = now,
                }
            }
        }
    }
}

fn bench_list<L: FreeList<u64> + Sync>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    threads: usize,
) {
    let list: L = filled();
    c.bench_function(name, |b| {
        if threads == 1 {
            b.iter(|| pop_push(&list));
        } else {
            b.iter_custom(|iters| common::two_threads(iters, || (), |_| pop_push(&list)));
        }
    });
}

fn free_lists(c: &mut Criterion) {
    for threads in [1, 2] {
        let mut g = c.benchmark_group(format!("free_lists/{threads}t"));
        let control = CachePadded::new(AtomicU64::new(0));
        g.bench_function("control_two_cas", |b| {
            if threads == 1 {
                b.iter(|| two_cas(&control));
            } else {
                b.iter_custom(|iters| common::two_threads(iters, || (), |_| two_cas(&control)));
            }
        });
        let count = CachePadded::new(AtomicU64::new(0));
        g.bench_function("control_two_cas_two_rmw", |b| {
            if threads == 1 {
                b.iter(|| two_cas_two_rmw(&control, &count));
            } else {
                b.iter_custom(|iters| {
                    common::two_threads(iters, || (), |_| two_cas_two_rmw(&control, &count))
                });
            }
        });
        #[cfg(target_arch = "x86_64")]
        if let Some(word) = wide::Word::new() {
            let word = CachePadded::new(word);
            g.bench_function("control_two_wide_cas", |b| {
                if threads == 1 {
                    let mut seen = [0; 2];
                    b.iter(|| wide::two_wide_cas(&word, &mut seen));
                } else {
                    b.iter_custom(|iters| {
                        common::two_threads(
                            iters,
                            || [0; 2],
                            |seen| wide::two_wide_cas(&word, seen),
                        )
                    });
                }
            });
        }
        bench_list::<TaggedStack<u64>>(&mut g, "tagged", threads);
        bench_list::<EpochStack<u64>>(&mut g, "epoch", threads);
        // `FreeList::pop` on the pointer-node list takes its single-popper
        // flag (a CAS and a store around the seed's pop).
        bench_list::<PointerNodeStack<u64>>(&mut g, "pointer_node_locked", threads);
        // Not a FreeList: the thread-local front's get + return of a tiny
        // buffer — the cost of a pair that touches no shared atomic.
        let front = TlsPool::<verified_pools::pool::Tagged>::new(TlsConfig {
            pool: PoolConfig {
                count: CAP,
                serialization_size: 8,
                compression_size: 8,
                simd_len: 8,
            },
            per_thread: 16,
        })
        .expect("valid cache config");
        let front_pair = || {
            let buf = front.get::<Serialization>();
            black_box(front.give_back::<Serialization>(black_box(buf)));
        };
        g.bench_function("tls_front", |b| {
            if threads == 1 {
                b.iter(front_pair);
            } else {
                b.iter_custom(|iters| common::two_threads(iters, || (), |_| front_pair()));
            }
        });
        if threads == 1 {
            // The seed's raw lock-free pop: sound only while one thread pops,
            // so it has no two-thread row.
            let list: PointerNodeStack<u64> = filled();
            g.bench_function("pointer_node_raw", |b| {
                b.iter(|| {
                    // SAFETY: this thread is the only popper of `list`.
                    let v = unsafe { list.pop_shared() }.expect("a value");
                    let _ = list.push(black_box(v));
                })
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = free_lists
}
criterion_main!(benches);
