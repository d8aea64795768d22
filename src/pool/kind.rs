//! The three buffer kinds, as types.
//!
//! A kind is a zero-sized marker ([`Serialization`], [`Compression`],
//! [`Simd`]) implementing [`BufferKind`]: what its buffer type is, how a fresh
//! one is made, how a reused one is cleared and how its size is measured.
//! The pool's generic entry points (`get::<K>()`, `guard::<K>()`, …) and its
//! per-kind [`Shelf`](super::Shelf) are written once over `K: BufferKind`, so a
//! later front end (a thread-local cache) can be too.

use core::fmt;

use simd_aligned::VecSimd;
use wide::f64x4;

/// `f64` lanes per `f64x4`.
const LANES: usize = 4;

/// Which kind, as a value (for errors and stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindId {
    /// `Vec<u8>` buffers for encoding.
    Serialization,
    /// `Vec<u8>` buffers for compression.
    Compression,
    /// `VecSimd<f64x4>` buffers for vector arithmetic.
    Simd,
}

impl KindId {
    /// Every kind, in declaration order.
    pub const ALL: [KindId; 3] = [Self::Serialization, Self::Compression, Self::Simd];

    /// Bytes per unit of this kind's size (1 for bytes, 8 for `f64` lanes).
    pub const fn element_bytes(self) -> usize {
        match self {
            Self::Serialization | Self::Compression => 1,
            Self::Simd => core::mem::size_of::<f64>(),
        }
    }
}

impl fmt::Display for KindId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Serialization => "serialization",
            Self::Compression => "compression",
            Self::Simd => "SIMD",
        })
    }
}

/// A kind of pooled buffer. Sealed: the pool has exactly these three.
pub trait BufferKind: sealed::Sealed + Sized + 'static {
    /// The buffer type handed out.
    type Buffer: Send + 'static;

    /// This kind as a value.
    const ID: KindId;

    /// A new buffer of `size` (the miss path). Aborts like any allocation if
    /// memory is exhausted.
    fn fresh(size: usize) -> Self::Buffer;

    /// A new buffer of `size`, or `None` if the allocator refuses (the
    /// pre-allocation path, which reports a typed error instead).
    fn try_fresh(size: usize) -> Option<Self::Buffer>;

    /// Clears a reused buffer: `Vec`s are emptied (capacity kept), SIMD
    /// buffers are zero-filled.
    fn reset(buffer: &mut Self::Buffer);

    /// The buffer's size in the unit of the config: capacity in bytes for
    /// `Vec<u8>`, flat length in `f64` lanes for `VecSimd<f64x4>`.
    fn size_of(buffer: &Self::Buffer) -> usize;
}

/// Serialization buffers: `Vec<u8>`, default 128 KiB.
#[derive(Debug, Clone, Copy)]
pub enum Serialization {}

/// Compression buffers: `Vec<u8>`, default 64 KiB.
#[derive(Debug, Clone, Copy)]
pub enum Compression {}

/// SIMD buffers: `VecSimd<f64x4>`, default 64 `f64` lanes (16 vectors).
#[derive(Debug, Clone, Copy)]
pub enum Simd {}

fn fresh_bytes(size: usize) -> Vec<u8> {
    Vec::with_capacity(size)
}

fn try_fresh_bytes(size: usize) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    buffer.try_reserve_exact(size).ok()?;
    Some(buffer)
}

/// The two `Vec<u8>` kinds differ only in their identity.
macro_rules! byte_kind {
    ($kind:ident) => {
        impl BufferKind for $kind {
            type Buffer = Vec<u8>;
            const ID: KindId = KindId::$kind;

            fn fresh(size: usize) -> Vec<u8> {
                fresh_bytes(size)
            }

            fn try_fresh(size: usize) -> Option<Vec<u8>> {
                try_fresh_bytes(size)
            }

            #[inline]
            fn reset(buffer: &mut Vec<u8>) {
                buffer.clear();
            }

            #[inline]
            fn size_of(buffer: &Vec<u8>) -> usize {
                buffer.capacity()
            }
        }
    };
}

byte_kind!(Serialization);
byte_kind!(Compression);

impl BufferKind for Simd {
    type Buffer = VecSimd<f64x4>;
    const ID: KindId = KindId::Simd;

    fn fresh(size: usize) -> VecSimd<f64x4> {
        VecSimd::with(0.0, size)
    }

    /// `VecSimd` has no fallible constructor, so the same allocation (one
    /// `Vec<f64x4>` of `⌈size/4⌉` vectors, what `VecSimd::with` allocates) is
    /// first reserved with `try_reserve_exact` and released: a refusal is
    /// reported, not an abort. Only memory taken by another thread between
    /// the probe and the build can still make the build abort.
    fn try_fresh(size: usize) -> Option<VecSimd<f64x4>> {
        let vectors = size.div_ceil(LANES);
        let mut probe: Vec<f64x4> = Vec::new();
        probe.try_reserve_exact(vectors).ok()?;
        drop(probe);
        Some(VecSimd::with(0.0, size))
    }

    #[inline]
    fn reset(buffer: &mut VecSimd<f64x4>) {
        buffer.fill(f64x4::ZERO);
    }

    #[inline]
    fn size_of(buffer: &VecSimd<f64x4>) -> usize {
        buffer.flat().len()
    }
}

pub(crate) mod sealed {
    use super::super::{BufferPool, Shelf, Variant};
    use super::BufferKind;

    /// Seals [`BufferKind`] and maps a kind to its shelf in a pool.
    pub trait Sealed {
        /// The pool's shelf for this kind.
        fn shelf_of<V: Variant>(pool: &BufferPool<V>) -> &Shelf<Self, V>
        where
            Self: BufferKind;
    }
}
