//! Ring configuration, validation and the workload sizing helper.

use super::error::ConfigError;

/// The most vectors a region can hold: a header packs a length and a flag
/// into 32 bits.
pub const MAX_CAPACITY_VECTORS: usize = (u32::MAX >> 1) as usize;

/// How the region asks for huge pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HugePages {
    /// Ordinary pages.
    #[default]
    Off,
    /// `madvise(MADV_HUGEPAGE)` on a 2 MiB-aligned region: transparent huge
    /// pages where the kernel can provide them. Fails only if the kernel
    /// rejects the advice.
    Transparent,
    /// `MAP_HUGETLB`: reserved huge pages (`vm.nr_hugepages`). Fails with
    /// [`MemoryError::HugePagesUnavailable`](super::MemoryError) when the
    /// system has none.
    Explicit,
}

/// How to build a [`RingPool`](super::RingPool).
///
/// ```
/// use verified_pools::ring::{HugePages, RingConfig};
/// let cfg = RingConfig::new(128, 4096, 64)
///     .with_pretouch(true)
///     .with_huge_pages(HugePages::Off);
/// assert_eq!(cfg.region_bytes(), Some(128 * 4096 * 4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RingConfig {
    /// `f32`s per vector.
    pub feature_dim: usize,
    /// Vectors in the region.
    pub capacity_vectors: usize,
    /// The longest slice, in vectors (at most `capacity_vectors`).
    pub max_vectors: usize,
    /// Write every page of the region at construction (default `true`): a
    /// first write to a fresh page costs microseconds, which would otherwise
    /// land on the hot path.
    pub pretouch: bool,
    /// Huge page mode (default [`HugePages::Off`]).
    pub huge_pages: HugePages,
    /// Bind the region to this NUMA node with `mbind` (default `None`).
    pub numa_node: Option<u32>,
}

impl RingConfig {
    /// A region of `capacity_vectors` vectors of `feature_dim` `f32`s, slices
    /// of up to `max_vectors`; pretouched, ordinary pages, no NUMA binding.
    pub fn new(feature_dim: usize, capacity_vectors: usize, max_vectors: usize) -> Self {
        Self {
            feature_dim,
            capacity_vectors,
            max_vectors,
            pretouch: true,
            huge_pages: HugePages::Off,
            numa_node: None,
        }
    }

    /// Sets [`pretouch`](Self::pretouch).
    pub fn with_pretouch(mut self, pretouch: bool) -> Self {
        self.pretouch = pretouch;
        self
    }

    /// Sets [`huge_pages`](Self::huge_pages).
    pub fn with_huge_pages(mut self, mode: HugePages) -> Self {
        self.huge_pages = mode;
        self
    }

    /// Sets [`numa_node`](Self::numa_node).
    pub fn with_numa_node(mut self, node: u32) -> Self {
        self.numa_node = Some(node);
        self
    }

    /// Sizes a ring for a workload rather than for its worst case.
    ///
    /// `capacity = 2 × typical × in_flight + 2 × max`: twice the typical
    /// live set (headroom for out-of-order release and bursts, since one slow
    /// slice holds everything behind it) plus room for one largest request
    /// and its tail padding. Sizing for the worst case (`in_flight × max`)
    /// instead can make the region many times larger than the cache-resident
    /// working set; the seed measured that as a 2.5× slowdown. Watch
    /// [`RingStats::full_events`](super::RingStats) and
    /// [`high_water_vectors`](super::RingStats) to adjust.
    ///
    /// ```
    /// use verified_pools::ring::{RingConfig, Workload};
    /// let w = Workload { feature_dim: 128, typical_vectors: 4, max_vectors: 64, requests_in_flight: 1024 };
    /// let cfg = RingConfig::for_workload(&w).unwrap();
    /// assert_eq!(cfg.capacity_vectors, 2 * 4 * 1024 + 2 * 64);
    /// assert!(cfg.region_bytes().unwrap() < w.worst_case_bytes().unwrap() / 7);
    /// ```
    pub fn for_workload(w: &Workload) -> Result<Self, ConfigError> {
        if w.feature_dim == 0
            || w.typical_vectors == 0
            || w.max_vectors == 0
            || w.requests_in_flight == 0
        {
            return Err(ConfigError::ZeroWorkload);
        }
        if w.typical_vectors > w.max_vectors {
            return Err(ConfigError::TypicalExceedsMax {
                typical_vectors: w.typical_vectors,
                max_vectors: w.max_vectors,
            });
        }
        let too_large = ConfigError::TooLarge {
            capacity_vectors: usize::MAX,
            feature_dim: w.feature_dim,
        };
        let capacity = w
            .typical_vectors
            .checked_mul(w.requests_in_flight)
            .and_then(|live| live.checked_mul(2))
            .and_then(|c| c.checked_add(w.max_vectors.checked_mul(2)?))
            .ok_or(too_large)?;
        let cfg = Self::new(w.feature_dim, capacity, w.max_vectors);
        cfg.validate()?;
        Ok(cfg)
    }

    /// The region's size in bytes, or `None` if it overflows.
    pub fn region_bytes(&self) -> Option<usize> {
        self.capacity_vectors
            .checked_mul(self.feature_dim)?
            .checked_mul(core::mem::size_of::<f32>())
            .filter(|&b| b <= isize::MAX as usize / 2)
    }

    /// Checks every field; `Ok` means [`RingPool::new`](super::RingPool::new)
    /// can only fail on memory setup.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.feature_dim == 0 {
            return Err(ConfigError::ZeroFeatureDim);
        }
        if self.capacity_vectors == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if self.max_vectors == 0 {
            return Err(ConfigError::ZeroMaxVectors);
        }
        if self.capacity_vectors > MAX_CAPACITY_VECTORS || self.region_bytes().is_none() {
            return Err(ConfigError::TooLarge {
                capacity_vectors: self.capacity_vectors,
                feature_dim: self.feature_dim,
            });
        }
        if self.max_vectors > self.capacity_vectors {
            return Err(ConfigError::MaxExceedsCapacity {
                max_vectors: self.max_vectors,
                capacity_vectors: self.capacity_vectors,
            });
        }
        Ok(())
    }
}

/// A workload description for [`RingConfig::for_workload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// `f32`s per vector.
    pub feature_dim: usize,
    /// Vectors in a typical request (the seed's workloads: 1–8).
    pub typical_vectors: usize,
    /// Vectors in the largest request (the seed: 64).
    pub max_vectors: usize,
    /// Requests alive at once (the seed: the disruptor's size).
    pub requests_in_flight: usize,
}

impl Workload {
    /// Bytes of the seed's worst-case sizing, `in_flight × max × dim × 4`,
    /// for comparison.
    pub fn worst_case_bytes(&self) -> Option<usize> {
        self.requests_in_flight
            .checked_mul(self.max_vectors)?
            .checked_mul(self.feature_dim)?
            .checked_mul(core::mem::size_of::<f32>())
    }
}
