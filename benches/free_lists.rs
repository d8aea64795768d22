//! Free-list variants side by side: one pop + one push per iteration
//! (the pool's get + return at the list level), on 1 and 2 threads, beside
//! the control every lock-free list is bounded by: two locked
//! compare-exchanges on one cache line.
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
