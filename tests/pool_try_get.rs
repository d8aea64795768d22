//! `BufferPool::try_get`: a buffer when one is pooled, `None` (counted, and
//! nothing allocated) only when the kind is empty — never a spurious `None`
//! while buffers are free, on any free-list variant.

use std::sync::Barrier;

use proptest::prelude::*;
use verified_pools::pool::{
    BufferPool, Compression, Epoch, PointerNode, PoolConfig, Serialization, Simd, Tagged, Variant,
};

fn config(count: usize) -> PoolConfig {
    PoolConfig {
        count,
        serialization_size: 64,
        compression_size: 32,
        simd_len: 8,
    }
}

fn empty_kind_gives_none<V: Variant>() {
    let pool: BufferPool<V> = BufferPool::new(config(2)).expect("valid config");
    let a = pool.try_get_serialization_buffer().expect("pooled");
    let b = pool.try_get::<Serialization>().expect("pooled");
    assert!(pool.try_get_serialization_buffer().is_none());
    assert!(pool.try_guard::<Serialization>().is_none());
    assert!(
        a.capacity() >= 64,
        "a serialization buffer of the pool's size"
    );
    // The other kinds are untouched by this one's exhaustion: each named
    // `try_get` hands out its own kind's pooled buffer (a hit, of its size).
    let c = pool.try_get_compression_buffer().expect("pooled");
    assert!(
        c.capacity() >= 32,
        "a compression buffer of the pool's size"
    );
    assert_eq!(pool.stats().compression.hits, 1);
    let v = pool.try_get_simd_buffer().expect("pooled");
    assert!(v.flat().len() >= 8, "a SIMD buffer of the pool's length");
    assert_eq!(pool.stats().simd.hits, 1);

    let s = pool.stats().serialization;
    assert_eq!((s.hits, s.misses, s.try_get_empty), (2, 0, 2));
    assert_eq!(s.fresh_allocations, 2, "an empty try_get allocated");
    assert_eq!((s.pooled, s.in_use), (0, 2));

    pool.return_serialization_buffer(a);
    pool.return_serialization_buffer(b);
    let s = pool.stats().serialization;
    assert_eq!((s.pooled, s.in_use, s.returns_accepted), (2, 0, 2));

    pool.reset_stats();
    assert_eq!(pool.stats().serialization.try_get_empty, 0);
    assert!(pool.try_get_serialization_buffer().is_some());
}

#[test]
fn empty_kind_gives_none_tagged() {
    empty_kind_gives_none::<Tagged>();
}

#[test]
fn empty_kind_gives_none_epoch() {
    empty_kind_gives_none::<Epoch>();
}

#[test]
fn empty_kind_gives_none_pointer_node() {
    empty_kind_gives_none::<PointerNode>();
}

#[test]
fn try_get_clears_reused_buffers() {
    let pool: BufferPool = BufferPool::new(config(1)).expect("valid config");
    let mut bytes = pool.try_get::<Compression>().expect("pooled");
    bytes.extend_from_slice(b"stale");
    pool.return_compression_buffer(bytes);
    assert!(
        pool.try_get_compression_buffer()
            .expect("pooled")
            .is_empty()
    );

    let mut simd = pool.try_get::<Simd>().expect("pooled");
    simd.flat_mut()[3] = 7.0;
    pool.return_simd_buffer(simd);
    let simd = pool.try_get_simd_buffer().expect("pooled");
    assert!(simd.flat().iter().all(|&x| x == 0.0));
}

#[test]
fn try_guard_returns_on_drop() {
    let pool: BufferPool = BufferPool::new(config(1)).expect("valid config");
    {
        let mut guard = pool.try_guard::<Serialization>().expect("pooled");
        guard.push(1);
        assert!(pool.try_guard::<Serialization>().is_none());
    }
    let s = pool.stats().serialization;
    assert_eq!((s.returns_accepted, s.pooled, s.try_get_empty), (1, 1, 1));
}

/// `THREADS` workers each hold at most one buffer of a kind of
/// `THREADS + 1`, so at least one is always free: every `try_get` must
/// succeed.
fn no_spurious_none<V: Variant>() {
    const THREADS: usize = 3;
    const ROUNDS: usize = 20_000;
    let pool: BufferPool<V> = BufferPool::new(config(THREADS + 1)).expect("valid config");
    let start = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                start.wait();
                for _ in 0..ROUNDS {
                    let buffer = pool
                        .try_get_serialization_buffer()
                        .expect("a buffer was free");
                    assert!(pool.return_serialization_buffer(buffer).is_accepted());
                }
            });
        }
    });
    let s = pool.stats().serialization;
    assert_eq!(s.try_get_empty, 0);
    assert_eq!((s.hits, s.misses), (THREADS * ROUNDS, 0));
    assert_eq!((s.pooled, s.in_use), (THREADS + 1, 0));
}

#[test]
fn no_spurious_none_tagged() {
    no_spurious_none::<Tagged>();
}

#[test]
fn no_spurious_none_epoch() {
    no_spurious_none::<Epoch>();
}

#[test]
fn no_spurious_none_pointer_node() {
    no_spurious_none::<PointerNode>();
}

#[derive(Debug, Clone)]
enum Op {
    Get,
    TryGet,
    /// Return the held buffer at this index (modulo the number held).
    Return(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Get),
        Just(Op::TryGet),
        any::<usize>().prop_map(Op::Return)
    ]
}

proptest! {
    /// Against a counting model: `try_get` is `Some` exactly when the model
    /// holds a pooled buffer, and the stats count every outcome.
    #[test]
    fn try_get_matches_model(count in 1usize..5, ops in proptest::collection::vec(op(), 0..60)) {
        let pool: BufferPool = BufferPool::new(config(count)).expect("valid config");
        let mut pooled = count;
        let mut held = Vec::new();
        let (mut hits, mut misses, mut empty, mut full) = (0, 0, 0, 0);
        for op in ops {
            match op {
                Op::Get => {
                    held.push(pool.get_serialization_buffer());
                    if pooled > 0 { pooled -= 1; hits += 1 } else { misses += 1 }
                }
                Op::TryGet => match pool.try_get_serialization_buffer() {
                    Some(buffer) => {
                        prop_assert!(pooled > 0, "Some from an empty kind");
                        pooled -= 1;
                        hits += 1;
                        held.push(buffer);
                    }
                    None => {
                        prop_assert_eq!(pooled, 0, "None while buffers were pooled");
                        empty += 1;
                    }
                },
                Op::Return(i) if !held.is_empty() => {
                    let buffer = held.swap_remove(i % held.len());
                    if pooled < count { pooled += 1 } else { full += 1 }
                    pool.return_serialization_buffer(buffer);
                }
                Op::Return(_) => {}
            }
        }
        let s = pool.stats().serialization;
        prop_assert_eq!((s.hits, s.misses, s.try_get_empty), (hits, misses, empty));
        prop_assert_eq!((s.pooled, s.in_use, s.rejected_pool_full), (pooled, held.len(), full));
        prop_assert_eq!(s.fresh_allocations, count + misses);
    }
}
