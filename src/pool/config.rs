//! Pool configuration and its validation.
//!
//! A [`PoolConfig`] is plain data; [`PoolConfig::validate`] rejects every
//! config that [`BufferPool::new`](super::BufferPool::new) would reject, for
//! every variant, except an allocator refusal (`OutOfMemory`), which only
//! the allocation itself can tell: zero sizes and counts, sizes whose
//! acceptance window or allocation would overflow, and counts above
//! [`MAX_INDEXED`](crate::stack::MAX_INDEXED) (the tagged arena's limit,
//! applied to every variant so that the rule does not depend on it).

use core::fmt;

use super::kind::KindId;
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

/// Why a [`PoolConfig`] cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// `count` is zero: the pool would hold nothing.
    ZeroCount,
    /// A kind's size is zero: its acceptance window would be `[0, 0]`.
    ZeroSize(KindId),
    /// A kind's size is so large that `size × 2` (the top of its acceptance
    /// window) or its allocation in bytes overflows.
    SizeTooLarge {
        /// The kind whose size is too large.
        kind: KindId,
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
    OutOfMemory(KindId),
}

impl fmt::Display for ConfigError {
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
        }
    }
}

impl std::error::Error for ConfigError {}

/// The largest size of a kind whose elements are `elem_bytes` wide: the
/// window's top (`size × 2`) must fit `usize` and an allocation of
/// `size × elem_bytes` bytes must fit `isize`.
pub(crate) const fn max_size(elem_bytes: usize) -> usize {
    let by_window = usize::MAX / 2;
    let by_alloc = isize::MAX as usize / elem_bytes;
    if by_window < by_alloc {
        by_window
    } else {
        by_alloc
    }
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
        if self.count == 0 {
            return Err(ConfigError::ZeroCount);
        }
        if self.count > MAX_INDEXED {
            return Err(ConfigError::CountTooLarge {
                requested: self.count,
                max: MAX_INDEXED,
            });
        }
        for kind in KindId::ALL {
            let requested = self.size_of(kind);
            let max = max_size(kind.element_bytes());
            if requested == 0 {
                return Err(ConfigError::ZeroSize(kind));
            }
            if requested > max {
                return Err(ConfigError::SizeTooLarge {
                    kind,
                    requested,
                    max,
                });
            }
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
