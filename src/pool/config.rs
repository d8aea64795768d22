//! Pool configuration and its validation.
//!
//! A [`PoolConfig`] is plain data; [`PoolConfig::validate`] rejects every
//! config that [`BufferPool::new`](super::BufferPool::new) would reject, for
//! every variant, except an allocator refusal (`OutOfMemory`), which only
//! the allocation itself can tell: zero sizes and counts, sizes whose
//! acceptance window or allocation would overflow, and counts above
//! [`MAX_INDEXED`](crate::stack::MAX_INDEXED) (the tagged arena's limit,
//! applied to every variant so that the rule does not depend on it).
//! A [`KindConfig`] does the same for one user kind.

use core::fmt;

use super::kind::{BufferKind, KindId};
use crate::stack::MAX_INDEXED;

/// Sizes and counts of a [`BufferPool`](super::BufferPool).
///
/// Sizes are capacities: bytes for the two `Vec<u8>` kinds, `f64` lanes (the
/// flat length) for the SIMD kind. `count` is both how many buffers of each
/// kind are pre-allocated and the most each kind keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolConfig {
    /// Buffers pre-allocated, and the bound kept, per kind.
    pub count: usize,
    /// Capacity in bytes of a serialization buffer.
    pub serialization_size: usize,
    /// Capacity in bytes of a compression buffer.
    pub compression_size: usize,
    /// Flat length (`f64` lanes) of a SIMD buffer.
    pub simd_len: usize,
}

impl Default for PoolConfig {
    /// 256 buffers per kind; 128 KiB serialization, 64 KiB compression and
    /// 64-lane SIMD buffers.
    fn default() -> Self {
        Self {
            count: 256,
            serialization_size: 128 * 1024,
            compression_size: 64 * 1024,
            simd_len: 64,
        }
    }
}

/// Why a pool cannot be built. `Kind` names the kind at fault: a [`KindId`]
/// for a [`BufferPool`](super::BufferPool), the kind's
/// [`NAME`](super::BufferKind::NAME) for a [`KindPool`](super::KindPool)
/// (see [`KindConfigError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError<Kind = KindId> {
    /// `count` is zero: the pool would hold nothing.
    ZeroCount,
    /// A kind's size is zero: its acceptance window would be `[0, 0]`.
    ZeroSize(Kind),
    /// A kind's size is so large that `size × 2` (the top of its acceptance
    /// window) or its allocation in bytes overflows.
    SizeTooLarge {
        /// The kind whose size is too large.
        kind: Kind,
        /// The size asked for.
        requested: usize,
        /// The largest size accepted for this kind.
        max: usize,
    },
    /// More buffers per kind than a pool keeps
    /// ([`MAX_INDEXED`](crate::stack::MAX_INDEXED), what the tagged arena
    /// can index; the same for every variant).
    CountTooLarge {
        /// The count asked for.
        requested: usize,
        /// The largest count supported.
        max: usize,
    },
    /// Pre-allocation failed: the allocator refused the memory.
    OutOfMemory(Kind),
    /// A fresh buffer measures outside the kind's own acceptance window (a
    /// user kind whose `fresh`, `size_of` and `acceptance_window`
    /// disagree); pooling it would break the window invariant. Never for
    /// the provided kinds.
    FreshOutsideWindow {
        /// The kind at fault.
        kind: Kind,
        /// The size asked of `fresh`.
        size: usize,
        /// What `size_of` measured on the fresh buffer.
        measured: usize,
    },
}

/// Why a [`KindPool`](super::KindPool) of a user kind cannot be built; the
/// kind is named by its [`NAME`](super::BufferKind::NAME).
pub type KindConfigError = ConfigError<&'static str>;

impl<Kind> ConfigError<Kind> {
    /// The same error with the kind named another way.
    pub fn map_kind<Other>(self, name: impl FnOnce(Kind) -> Other) -> ConfigError<Other> {
        match self {
            Self::ZeroCount => ConfigError::ZeroCount,
            Self::ZeroSize(kind) => ConfigError::ZeroSize(name(kind)),
            Self::SizeTooLarge {
                kind,
                requested,
                max,
            } => ConfigError::SizeTooLarge {
                kind: name(kind),
                requested,
                max,
            },
            Self::CountTooLarge { requested, max } => ConfigError::CountTooLarge { requested, max },
            Self::OutOfMemory(kind) => ConfigError::OutOfMemory(name(kind)),
            Self::FreshOutsideWindow {
                kind,
                size,
                measured,
            } => ConfigError::FreshOutsideWindow {
                kind: name(kind),
                size,
                measured,
            },
        }
    }
}

impl<Kind: fmt::Display> fmt::Display for ConfigError<Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroCount => write!(f, "buffer count must be at least 1"),
            Self::ZeroSize(kind) => write!(f, "{kind} buffer size must be at least 1"),
            Self::SizeTooLarge {
                kind,
                requested,
                max,
            } => write!(
                f,
                "{kind} buffer size {requested} exceeds the maximum of {max}"
            ),
            Self::CountTooLarge { requested, max } => write!(
                f,
                "buffer count {requested} exceeds the free list's maximum of {max}"
            ),
            Self::OutOfMemory(kind) => {
                write!(f, "could not pre-allocate the {kind} buffers")
            }
            Self::FreshOutsideWindow {
                kind,
                size,
                measured,
            } => write!(
                f,
                "a fresh {kind} buffer of size {size} measures {measured}, outside its acceptance window"
            ),
        }
    }
}

impl<Kind: fmt::Debug + fmt::Display> std::error::Error for ConfigError<Kind> {}

/// Checks a count against the bound every variant keeps.
fn validate_count<Kind>(count: usize) -> Result<(), ConfigError<Kind>> {
    if count == 0 {
        return Err(ConfigError::ZeroCount);
    }
    if count > MAX_INDEXED {
        return Err(ConfigError::CountTooLarge {
            requested: count,
            max: MAX_INDEXED,
        });
    }
    Ok(())
}

/// Checks a size of a kind whose units are `unit_bytes` wide.
fn validate_size<Kind>(
    kind: Kind,
    size: usize,
    unit_bytes: usize,
) -> Result<(), ConfigError<Kind>> {
    let max = max_size(unit_bytes);
    if size == 0 {
        return Err(ConfigError::ZeroSize(kind));
    }
    if size > max {
        return Err(ConfigError::SizeTooLarge {
            kind,
            requested: size,
            max,
        });
    }
    Ok(())
}

/// The largest size of a kind whose elements are `elem_bytes` wide: an
/// allocation of `size × elem_bytes` bytes must fit `isize`. That also
/// keeps the window's top, `size × 2`, inside `usize`: `isize::MAX × 2 <
/// usize::MAX`.
pub(crate) const fn max_size(elem_bytes: usize) -> usize {
    // A kind declaring zero-byte units allocates nothing per unit.
    isize::MAX as usize / if elem_bytes == 0 { 1 } else { elem_bytes }
}

impl PoolConfig {
    /// Checks everything [`BufferPool::new`](super::BufferPool::new) checks
    /// before allocating, with the same error: `Ok` here means `new` can
    /// fail only with [`ConfigError::OutOfMemory`].
    ///
    /// ```
    /// use verified_pools::pool::{ConfigError, KindId, PoolConfig};
    ///
    /// assert!(PoolConfig::default().validate().is_ok());
    /// let bad = PoolConfig { simd_len: 0, ..PoolConfig::default() };
    /// assert_eq!(bad.validate(), Err(ConfigError::ZeroSize(KindId::Simd)));
    /// let many = PoolConfig { count: 1 << 24, ..PoolConfig::default() };
    /// assert!(matches!(many.validate(), Err(ConfigError::CountTooLarge { .. })));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_count(self.count)?;
        for kind in KindId::ALL {
            validate_size(kind, self.size_of(kind), kind.element_bytes())?;
        }
        Ok(())
    }

    /// The configured size of `kind`.
    pub const fn size_of(&self, kind: KindId) -> usize {
        match kind {
            KindId::Serialization => self.serialization_size,
            KindId::Compression => self.compression_size,
            KindId::Simd => self.simd_len,
        }
    }
}

/// Size and count of a [`KindPool`](super::KindPool): `count` buffers of
/// `size` are pre-allocated, and `count` is the most the pool keeps. `size`
/// is in the kind's own unit (what its `size_of` measures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindConfig {
    /// Buffers pre-allocated, and the bound kept.
    pub count: usize,
    /// The size of a fresh buffer.
    pub size: usize,
}

impl KindConfig {
    /// Checks everything [`KindPool::new`](super::KindPool::new) checks
    /// before allocating: `Ok` here means `new` can fail only with
    /// [`ConfigError::OutOfMemory`] or [`ConfigError::FreshOutsideWindow`].
    ///
    /// ```
    /// use verified_pools::pool::{ConfigError, KindConfig, Serialization};
    ///
    /// let zero = KindConfig { count: 4, size: 0 };
    /// assert_eq!(zero.validate::<Serialization>(), Err(ConfigError::ZeroSize("serialization")));
    /// ```
    pub fn validate<K: BufferKind>(&self) -> Result<(), KindConfigError> {
        validate_count(self.count)?;
        validate_size(K::NAME, self.size, K::UNIT_BYTES)
    }
}
