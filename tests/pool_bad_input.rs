//! Bad input: each is a counted rejection or a typed error — never a panic,
//! never a leak, never a buffer kept that breaks the pool's rules.

use verified_pools::pool::{
    BufferPool, Capped, Compression, ConfigError, Epoch, KindId, KindStats, PointerNode,
    PoolConfig, ReturnOutcome, Serialization, Simd, Tagged, Variant,
};
use verified_pools::stack::MAX_INDEXED;
use verified_pools::{EpochStack, FreeList};

use simd_aligned::VecSimd;
use wide::f64x4;

fn small() -> PoolConfig {
    PoolConfig {
        count: 3,
        serialization_size: 100,
        compression_size: 40,
        simd_len: 8,
    }
}

#[test]
fn invalid_configs_are_typed_errors() {
    let base = small();
    let cases = [
        (PoolConfig { count: 0, ..base }, ConfigError::ZeroCount),
        (
            PoolConfig {
                serialization_size: 0,
                ..base
            },
            ConfigError::ZeroSize(KindId::Serialization),
        ),
        (
            PoolConfig {
                compression_size: 0,
                ..base
            },
            ConfigError::ZeroSize(KindId::Compression),
        ),
        (
            PoolConfig {
                simd_len: 0,
                ..base
            },
            ConfigError::ZeroSize(KindId::Simd),
        ),
    ];
    for (config, expected) in cases {
        assert_eq!(config.validate(), Err(expected));
        assert_eq!(BufferPool::<Tagged>::new(config).err(), Some(expected));
        assert_eq!(BufferPool::<Epoch>::new(config).err(), Some(expected));
        assert!(!expected.to_string().is_empty());
    }
}

#[test]
fn sizes_whose_window_or_allocation_overflows_are_rejected() {
    let huge = PoolConfig {
        serialization_size: usize::MAX / 2 + 1,
        ..small()
    };
    assert!(matches!(
        BufferPool::<Tagged>::new(huge),
        Err(ConfigError::SizeTooLarge {
            kind: KindId::Serialization,
            ..
        })
    ));
    // f64 lanes: 8 bytes each, so the limit is isize::MAX / 8.
    let lanes = PoolConfig {
        simd_len: isize::MAX as usize / 8 + 1,
        ..small()
    };
    assert!(matches!(
        lanes.validate(),
        Err(ConfigError::SizeTooLarge {
            kind: KindId::Simd,
            ..
        })
    ));
    // The limits themselves are accepted (checked without allocating).
    let at_the_limits = PoolConfig {
        serialization_size: isize::MAX as usize,
        compression_size: usize::MAX / 2,
        simd_len: isize::MAX as usize / 8,
        ..small()
    };
    assert_eq!(at_the_limits.validate(), Ok(()));
}

#[test]
fn counts_the_tagged_arena_cannot_index_are_rejected() {
    let at_the_limit = PoolConfig {
        count: MAX_INDEXED,
        ..small()
    };
    assert_eq!(at_the_limit.validate(), Ok(()));
    let config = PoolConfig {
        count: MAX_INDEXED + 1,
        ..small()
    };
    assert_eq!(
        BufferPool::<Tagged>::new(config).err(),
        Some(ConfigError::CountTooLarge {
            requested: MAX_INDEXED + 1,
            max: MAX_INDEXED,
        })
    );
}

#[test]
fn an_allocation_the_allocator_refuses_is_a_typed_error() {
    // Valid by the rules (window fits), but no allocator grants ~2^62 bytes.
    let config = PoolConfig {
        serialization_size: isize::MAX as usize / 2,
        ..small()
    };
    assert_eq!(
        BufferPool::<Tagged>::new(config).err(),
        Some(ConfigError::OutOfMemory(KindId::Serialization))
    );
}

fn wrong_sizes_are_counted_and_dropped<V: Variant>() {
    let pool = BufferPool::<V>::new(small()).unwrap();
    // Serialization window is [50, 200].
    assert_eq!(
        pool.return_serialization_buffer(Vec::with_capacity(49)),
        ReturnOutcome::TooSmall
    );
    assert_eq!(
        pool.return_serialization_buffer(Vec::new()),
        ReturnOutcome::TooSmall
    );
    assert_eq!(
        pool.return_serialization_buffer(Vec::with_capacity(201)),
        ReturnOutcome::TooLarge
    );
    // SIMD buffers are judged too (the seed took any size back).
    let lanes = |n| VecSimd::<f64x4>::with(0.0, n);
    assert_eq!(pool.return_simd_buffer(lanes(3)), ReturnOutcome::TooSmall);
    assert_eq!(pool.return_simd_buffer(lanes(17)), ReturnOutcome::TooLarge);
    let s = pool.stats();
    assert_eq!(s.serialization.rejected_too_small, 2);
    assert_eq!(s.serialization.rejected_too_large, 1);
    assert_eq!(
        (s.simd.rejected_too_small, s.simd.rejected_too_large),
        (1, 1)
    );
    // Nothing was kept: the pool still holds exactly its pre-allocation.
    for kind in KindId::ALL {
        assert_eq!(s.of(kind).pooled, 3, "{kind}");
        assert_eq!(s.of(kind).returns_accepted, 0, "{kind}");
    }
}

#[test]
fn wrong_sizes_are_counted_and_dropped_all_variants() {
    wrong_sizes_are_counted_and_dropped::<Tagged>();
    wrong_sizes_are_counted_and_dropped::<Epoch>();
    wrong_sizes_are_counted_and_dropped::<PointerNode>();
}

#[test]
fn a_buffer_from_another_kind_is_judged_by_its_capacity() {
    let pool: BufferPool = BufferPool::new(small()).unwrap();
    // A 100-byte serialization buffer offered as compression (window
    // [20, 80]) is too large; a 40-byte compression buffer offered as
    // serialization (window [50, 200]) is too small.
    let ser = pool.get_serialization_buffer();
    let comp = pool.get_compression_buffer();
    assert_eq!(pool.return_compression_buffer(ser), ReturnOutcome::TooLarge);
    assert_eq!(
        pool.give_back::<Serialization>(comp),
        ReturnOutcome::TooSmall
    );
    // One from another pool, in the window, is simply accepted.
    let other: BufferPool = BufferPool::new(small()).unwrap();
    let _ = pool.get_compression_buffer(); // make room
    let foreign = other.get_compression_buffer();
    assert_eq!(
        pool.give_back::<Compression>(foreign),
        ReturnOutcome::Accepted
    );
    assert_eq!(other.stats().compression.in_use, 1);
}

fn returns_beyond_the_bound_are_counted<V: Variant>() {
    let pool = BufferPool::<V>::new(small()).unwrap();
    for _ in 0..5 {
        assert_eq!(
            pool.return_simd_buffer(VecSimd::with(1.0, 8)),
            ReturnOutcome::PoolFull
        );
    }
    let s = pool.stats().simd;
    assert_eq!((s.rejected_pool_full, s.pooled), (5, 3));
    // Five returns of buffers never handed out: in_use does not go negative.
    assert_eq!(s.in_use, 0);
    // Drain: exactly the bound comes out, then misses.
    let out: Vec<_> = (0..5).map(|_| pool.get::<Simd>()).collect();
    let s = pool.stats().simd;
    assert_eq!((s.hits, s.misses, s.pooled), (3, 2, 0));
    for buf in out {
        pool.return_simd_buffer(buf);
    }
    let s = pool.stats().simd;
    assert_eq!(
        (s.returns_accepted, s.rejected_pool_full, s.pooled),
        (3, 7, 3)
    );
}

#[test]
fn returns_beyond_the_bound_are_counted_all_variants() {
    returns_beyond_the_bound_are_counted::<Tagged>();
    returns_beyond_the_bound_are_counted::<Epoch>();
    returns_beyond_the_bound_are_counted::<PointerNode>();
}

#[test]
fn guards_return_early_take_out_and_reset() {
    let pool: BufferPool = BufferPool::new(small()).unwrap();
    let a = pool.serialization_guard();
    let b = pool.serialization_guard();
    assert_eq!(pool.stats().serialization.in_use, 2);
    assert_eq!(a.give_back(), ReturnOutcome::Accepted);
    let kept = b.into_inner();
    assert_eq!(kept.capacity(), 100);
    let s = pool.stats().serialization;
    assert_eq!(
        (s.in_use, s.taken_out, s.pooled, s.peak_in_use),
        (0, 1, 2, 2)
    );
    pool.reset_stats();
    let s = pool.stats().serialization;
    assert_eq!((s.hits, s.taken_out, s.fresh_allocations), (0, 0, 0));
    assert_eq!((s.pooled, s.peak_in_use), (2, 0));
    // The kept buffer can still come back by value.
    assert_eq!(
        pool.return_serialization_buffer(kept),
        ReturnOutcome::Accepted
    );
    assert_eq!(pool.stats().serialization.pooled, 3);
}

#[test]
fn capped_rejects_zero_and_holds_its_bound() {
    assert!(Capped::<EpochStack<u8>>::with_capacity(0).is_err());
    let list = Capped::<EpochStack<u8>>::with_capacity(2).unwrap();
    assert_eq!(list.push(1), Ok(()));
    assert_eq!(list.push(2), Ok(()));
    assert_eq!(list.push(3), Err(3));
    assert_eq!(list.pop(), Some(2));
    assert_eq!(list.push(4), Ok(()));
    assert_eq!(list.capacity(), Some(2));
}

#[test]
fn kinds_and_outcomes_name_themselves() {
    let names = [KindId::Serialization, KindId::Compression, KindId::Simd].map(KindId::name);
    assert_eq!(names, ["serialization", "compression", "SIMD"]);
    assert_eq!(KindId::Simd.to_string(), "SIMD");
    let accepted = [
        ReturnOutcome::Accepted,
        ReturnOutcome::TooSmall,
        ReturnOutcome::TooLarge,
        ReturnOutcome::PoolFull,
    ]
    .map(ReturnOutcome::is_accepted);
    assert_eq!(accepted, [true, false, false, false]);
}

#[test]
fn the_derived_figures_add_up_their_parts() {
    let s = KindStats {
        hits: 3,
        misses: 1,
        returns_accepted: 5,
        rejected_too_small: 7,
        rejected_too_large: 11,
        rejected_pool_full: 13,
        ..KindStats::default()
    };
    assert_eq!(s.gets(), 4);
    assert_eq!(s.returns_rejected(), 31);
    assert_eq!(s.returns(), 36);
    assert_eq!(s.hit_rate(), 0.75);
    assert_eq!(KindStats::default().hit_rate(), 0.0, "no gets");
}

/// The tagged stack's own capacity check, at its edges: `MAX_INDEXED` slots
/// is the most (the pool's config check stops a pool one short of it, so
/// only a direct user of the stack reaches the edge), one more is a typed
/// error, zero is one too.
#[test]
fn a_tagged_stack_takes_up_to_max_indexed_slots() {
    use verified_pools::TaggedStack;
    use verified_pools::stack::CapacityError;
    // Zero-sized values: the largest stack costs its link array only.
    let largest = TaggedStack::<()>::with_capacity(MAX_INDEXED).expect("the largest stack");
    assert_eq!(largest.capacity(), Some(MAX_INDEXED));
    // Every slot is usable: its index is never the list's end mark.
    let pushed = (0..=MAX_INDEXED)
        .take_while(|_| largest.push(()).is_ok())
        .count();
    assert_eq!(
        pushed, MAX_INDEXED,
        "pushes taken before the stack was full"
    );
    let popped = std::iter::from_fn(|| largest.pop()).count();
    assert_eq!(popped, MAX_INDEXED);
    drop(largest);
    assert_eq!(
        TaggedStack::<()>::with_capacity(MAX_INDEXED + 1).err(),
        Some(CapacityError::TooLarge {
            requested: MAX_INDEXED + 1,
            max: MAX_INDEXED
        })
    );
    assert_eq!(
        TaggedStack::<()>::with_capacity(0).err(),
        Some(CapacityError::Zero)
    );
}
