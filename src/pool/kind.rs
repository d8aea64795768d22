//! What a kind of pooled buffer is, and the three kinds the crate provides.
//!
//! A kind is a marker type implementing [`BufferKind`]: its buffer type, how
//! a fresh one is made (infallibly on a miss, fallibly for the
//! pre-allocation), how a reused one is cleared, how its size is measured,
//! which sizes a return may have (its acceptance window) and its name.
//! Users implement it for their own kinds and pool them with a
//! [`KindPool`](super::KindPool) (and its thread-local front); the three
//! provided kinds ([`Serialization`], [`Compression`], [`Simd`]) also
//! implement [`ProvidedKind`], which places them in a
//! [`BufferPool`](super::BufferPool).

use core::fmt;
use core::ops::RangeInclusive;

use simd_aligned::VecSimd;
use wide::f64x4;

/// `f64` lanes per `f64x4`.
const LANES: usize = 4;

/// Which provided kind, as a value (for errors and stats).
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
    /// Every provided kind, in declaration order.
    pub const ALL: [KindId; 3] = [Self::Serialization, Self::Compression, Self::Simd];

    /// Bytes per unit of this kind's size (1 for bytes, 8 for `f64` lanes).
    pub const fn element_bytes(self) -> usize {
        match self {
            Self::Serialization | Self::Compression => 1,
            Self::Simd => core::mem::size_of::<f64>(),
        }
    }

    /// The kind's name, as [`BufferKind::NAME`] gives it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Serialization => "serialization",
            Self::Compression => "compression",
            Self::Simd => "SIMD",
        }
    }
}

impl fmt::Display for KindId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The default acceptance window of a kind whose fresh buffers have `size`:
/// `⌈size/2⌉ ..= size×2` (the top saturating).
///
/// ```
/// assert_eq!(verified_pools::pool::default_window(5), 3..=10);
/// ```
pub const fn default_window(size: usize) -> RangeInclusive<usize> {
    size.div_ceil(2)..=size.saturating_mul(2)
}

/// A kind of pooled buffer: implement it to pool your own buffer type.
///
/// The pool calls these functions and nothing else on a buffer, so they fix
/// what the pool's bound, window and stats mean for the kind. A kind's
/// functions must not panic (a panic in `reset`, say, loses the buffer it was
/// clearing, and the kind's `pooled` figure with it).
///
/// ```
/// use verified_pools::pool::{BufferKind, KindConfig, KindPool, ReturnOutcome};
///
/// /// `String`s for log lines: cleared on reuse, sized by capacity.
/// enum LogLine {}
///
/// impl BufferKind for LogLine {
///     type Buffer = String;
///     const NAME: &'static str = "log line";
///
///     fn fresh(size: usize) -> String {
///         String::with_capacity(size)
///     }
///     fn try_fresh(size: usize) -> Option<String> {
///         let mut s = String::new();
///         s.try_reserve_exact(size).ok()?;
///         Some(s)
///     }
///     fn reset(buffer: &mut String) {
///         buffer.clear();
///     }
///     fn size_of(buffer: &String) -> usize {
///         buffer.capacity()
///     }
/// }
///
/// let pool: KindPool<LogLine> = KindPool::new(KindConfig { count: 2, size: 256 })?;
/// let mut line = pool.get();
/// line.push_str("started");
/// assert_eq!(pool.give_back(line), ReturnOutcome::Accepted);
/// assert_eq!(pool.give_back(String::new()), ReturnOutcome::TooSmall);
/// assert_eq!(pool.stats().hits, 1);
/// # Ok::<(), verified_pools::pool::KindConfigError>(())
/// ```
pub trait BufferKind: Sized + 'static {
    /// The buffer type handed out.
    type Buffer: Send + 'static;

    /// The kind's name, for stats, errors and `Debug`.
    const NAME: &'static str;

    /// Bytes per unit of size (1 when sizes are bytes; `size_of::<T>()` when
    /// they count elements of `T`): a size whose allocation in bytes would
    /// overflow `isize` is rejected with a typed error.
    const UNIT_BYTES: usize = 1;

    /// A new buffer of `size` (the miss path). May abort like any
    /// allocation if memory is exhausted.
    fn fresh(size: usize) -> Self::Buffer;

    /// A new buffer of `size`, or `None` if the allocator refuses (the
    /// pre-allocation path, which reports a typed error instead of
    /// aborting).
    fn try_fresh(size: usize) -> Option<Self::Buffer>;

    /// Clears a reused buffer before it is handed out again.
    fn reset(buffer: &mut Self::Buffer);

    /// The buffer's size, in the unit of the configured size.
    fn size_of(buffer: &Self::Buffer) -> usize;

    /// The sizes a returned buffer may have to be kept, for fresh buffers of
    /// `size`. [`default_window`] unless overridden; a pool refuses to
    /// build (a typed error) if its fresh buffers measure outside it.
    fn acceptance_window(size: usize) -> RangeInclusive<usize> {
        default_window(size)
    }
}

/// One of the three kinds a [`BufferPool`](super::BufferPool) holds. Sealed:
/// a `BufferPool` has exactly these; pool your own kinds with a
/// [`KindPool`](super::KindPool).
pub trait ProvidedKind: BufferKind + sealed::Sealed {
    /// This kind as a value.
    const ID: KindId;
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
            const NAME: &'static str = KindId::$kind.name();

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

        impl ProvidedKind for $kind {
            const ID: KindId = KindId::$kind;
        }
    };
}

byte_kind!(Serialization);
byte_kind!(Compression);

impl BufferKind for Simd {
    type Buffer = VecSimd<f64x4>;
    const NAME: &'static str = KindId::Simd.name();
    const UNIT_BYTES: usize = KindId::Simd.element_bytes();

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

impl ProvidedKind for Simd {
    const ID: KindId = KindId::Simd;
}

pub(crate) mod sealed {
    use super::super::{BufferPool, KindPool, Variant};
    use super::BufferKind;

    /// Seals [`ProvidedKind`](super::ProvidedKind) and maps a kind to its
    /// single-kind pool inside a [`BufferPool`].
    pub trait Sealed {
        /// The pool's part for this kind.
        fn shelf_of<V: Variant>(pool: &BufferPool<V>) -> &KindPool<Self, V>
        where
            Self: BufferKind;
    }
}
