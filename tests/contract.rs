//! The user's contract, as a user reaches it: each test is one way safe code
//! could leave the checked envelope (issue 11's reproductions), and shows it
//! now cannot. The ones closed at compile time are `compile_fail` doctests
//! next to the types they are about:
//!
//! * a tag narrower than 40 bits (`TaggedStack<T, 0>`, the double free;
//!   `IndexStack::<0>::with_capacity`) — `src/stack/tagged.rs`;
//! * a popper handle held across `FreeList::pop` (the self-deadlock) —
//!   `src/stack/pointer_node.rs`;
//! * `Shelf::free_list()` and `Capped::inner()` (pushes that skip the window
//!   or the reservation counter) — `src/pool/shelf.rs`, `src/pool/capped.rs`.

use std::sync::Arc;
use std::thread;

use verified_pools::pool::{
    BufferPool, ConfigError, Epoch, KindId, PointerNode, PoolConfig, ReturnOutcome, Tagged, Variant,
};
use verified_pools::stack::MAX_INDEXED;
use verified_pools::{FreeList, IndexStack, TaggedStack};

/// The double-free shape on the only tag width safe code can build:
/// four threads each pop two boxes and push them back, many times; at the
/// end the stack holds exactly the boxes it started with, once each.
#[test]
fn default_tag_survives_the_double_free_shape() {
    const ITEMS: u64 = 8;
    let stack: Arc<TaggedStack<Box<u64>>> = Arc::new(TaggedStack::with_capacity(8).unwrap());
    for i in 0..ITEMS {
        stack.push(Box::new(i)).unwrap();
    }
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let stack = Arc::clone(&stack);
            thread::spawn(move || {
                for _ in 0..20_000 {
                    let a = stack.pop();
                    let b = stack.pop();
                    for item in [b, a].into_iter().flatten() {
                        stack.push(item).expect("only popped boxes are pushed back");
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let mut left: Vec<u64> = std::iter::from_fn(|| stack.pop()).map(|b| *b).collect();
    left.sort_unstable();
    assert_eq!(left, (0..ITEMS).collect::<Vec<_>>());
}

/// The narrow tags the models use are reachable only through `unsafe`, and
/// behave as a stack when used sequentially.
#[test]
fn narrow_tag_is_built_only_through_unsafe() {
    // SAFETY: the indices guard no memory; this only checks the behaviour.
    let narrow = unsafe { IndexStack::<2>::with_narrow_tag(3) }.unwrap();
    let verified = IndexStack::with_capacity(3).unwrap();
    for i in 0..3 {
        narrow.push_index(i).unwrap();
        verified.push(i).unwrap();
    }
    assert_eq!(narrow.push_index(3), Err(3), "out of range is handed back");
    for _ in 0..3 {
        assert_eq!(narrow.pop_index(), verified.pop());
    }
    assert_eq!(narrow.pop_index(), None);
}

/// Item 5: a SIMD length no allocator grants is a typed error from every
/// variant (it used to abort the process).
#[test]
fn huge_simd_buffers_are_out_of_memory_not_an_abort() {
    fn check<V: Variant>() {
        let config = PoolConfig {
            count: 2,
            simd_len: 1 << 40, // 8 TiB per buffer
            ..PoolConfig::default()
        };
        assert_eq!(config.validate(), Ok(()), "the rules allow it");
        assert_eq!(
            BufferPool::<V>::new(config).err(),
            Some(ConfigError::OutOfMemory(KindId::Simd))
        );
    }
    check::<Tagged>();
    check::<Epoch>();
    check::<PointerNode>();
}

/// Item 5: `validate` rejects what `new` rejects, with the same error, for
/// every variant.
#[test]
fn validate_rejects_exactly_what_new_rejects() {
    let base = PoolConfig {
        count: 2,
        serialization_size: 16,
        compression_size: 16,
        simd_len: 8,
    };
    let configs = [
        base,
        PoolConfig { count: 0, ..base },
        PoolConfig {
            count: 1 << 24,
            ..base
        },
        PoolConfig {
            count: MAX_INDEXED + 1,
            ..base
        },
        PoolConfig {
            count: usize::MAX,
            ..base
        },
        PoolConfig {
            serialization_size: 0,
            ..base
        },
        PoolConfig {
            compression_size: usize::MAX,
            ..base
        },
        PoolConfig {
            simd_len: usize::MAX / 4,
            ..base
        },
    ];
    fn same<V: Variant>(config: PoolConfig) {
        assert_eq!(
            config.validate().err(),
            BufferPool::<V>::new(config).err(),
            "{config:?} on {}",
            V::NAME
        );
    }
    for config in configs {
        same::<Tagged>(config);
        same::<Epoch>(config);
        same::<PointerNode>(config);
    }
    assert_eq!(
        PoolConfig {
            count: 1 << 24,
            ..base
        }
        .validate(),
        Err(ConfigError::CountTooLarge {
            requested: 1 << 24,
            max: MAX_INDEXED
        })
    );
}

fn small<V: Variant>() -> BufferPool<V> {
    BufferPool::new(PoolConfig {
        count: 2,
        serialization_size: 100, // window [50, 200]
        compression_size: 100,
        simd_len: 8, // window [4, 16]
    })
    .unwrap()
}

/// Item 6: a rejected by-value return of a foreign buffer leaves `in_use`
/// alone (it used to lower it for the life of the pool).
fn foreign_rejections_leave_in_use<V: Variant>() {
    let pool = small::<V>();
    let guard = pool.serialization_guard();
    let outcome = pool.return_serialization_buffer(Vec::new());
    assert_eq!(outcome, ReturnOutcome::TooSmall);
    let outcome = pool.return_serialization_buffer(Vec::with_capacity(1000));
    assert_eq!(outcome, ReturnOutcome::TooLarge);
    let outcome = pool.return_simd_buffer(simd_aligned::VecSimd::with(0.0, 1));
    assert_eq!(outcome, ReturnOutcome::TooSmall);
    let s = pool.stats();
    assert_eq!(s.serialization.in_use, 1, "the guard is still out");
    assert_eq!(s.serialization.rejected_too_small, 1);
    assert_eq!(s.serialization.rejected_too_large, 1);
    assert_eq!((s.serialization.hits, s.serialization.misses), (1, 0));
    assert_eq!(s.serialization.pooled, 1);
    assert_eq!((s.simd.in_use, s.simd.rejected_too_small), (0, 1));
    drop(guard);
    let s = pool.stats().serialization;
    assert_eq!((s.in_use, s.pooled, s.returns_accepted), (0, 2, 1));
}

#[test]
fn foreign_rejections_leave_in_use_alone() {
    foreign_rejections_leave_in_use::<Tagged>();
    foreign_rejections_leave_in_use::<Epoch>();
    foreign_rejections_leave_in_use::<PointerNode>();
}

/// Item 6, the documented limits of the by-value API, and a guard's kept
/// place: a foreign buffer of in-window size is taken for one of the pool's
/// own (it lowers `in_use`, clamped at 0), but it cannot take the place a
/// guard's buffer keeps, so the guard's return is the one accepted; a
/// guard's buffer always counts as the pool's own, even resized out of the
/// window.
fn in_window_foreign_buffers_count_as_the_pools_own<V: Variant>() {
    let pool = small::<V>();
    let guard = pool.serialization_guard();
    let foreign = Vec::with_capacity(100);
    assert_eq!(
        pool.return_serialization_buffer(foreign),
        ReturnOutcome::PoolFull,
        "one pooled + one place kept by the guard = the bound"
    );
    assert_eq!(pool.stats().serialization.in_use, 0, "clamped, not -1");
    assert_eq!(guard.give_back(), ReturnOutcome::Accepted);
    let s = pool.stats().serialization;
    assert_eq!((s.in_use, s.pooled, s.rejected_pool_full), (0, 2, 1));

    // Taking a buffer out frees its place for a by-value return.
    let kept = pool.serialization_guard().into_inner();
    assert_eq!(
        pool.return_serialization_buffer(Vec::with_capacity(100)),
        ReturnOutcome::Accepted
    );
    assert_eq!(
        pool.return_serialization_buffer(kept),
        ReturnOutcome::PoolFull
    );

    let mut grown = pool.compression_guard();
    grown.reserve_exact(1000); // now above the window
    assert_eq!(grown.give_back(), ReturnOutcome::TooLarge);
    let s = pool.stats().compression;
    assert_eq!((s.in_use, s.rejected_too_large, s.pooled), (0, 1, 1));
    // The rejected guard gave its place up: a by-value return fills it.
    assert_eq!(
        pool.return_compression_buffer(Vec::with_capacity(100)),
        ReturnOutcome::Accepted
    );
    assert_eq!(pool.stats().compression.pooled, 2);
}

#[test]
fn guards_keep_their_place() {
    in_window_foreign_buffers_count_as_the_pools_own::<Tagged>();
    in_window_foreign_buffers_count_as_the_pools_own::<Epoch>();
    in_window_foreign_buffers_count_as_the_pools_own::<PointerNode>();
}
