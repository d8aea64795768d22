//! The ring's typed errors. Every one of them leaves the pool unchanged.

use core::fmt;

/// The oldest slice that is still live, as seen by the producer.
///
/// Reuse in a ring only moves forward over a *contiguous* prefix of released
/// slices, so this one slice decides how much space the producer can get back:
/// a slice kept alive for long stops all reuse behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OldestLive {
    /// Index of its first vector in the region.
    pub first_vector: usize,
    /// Its length in vectors.
    pub len_vectors: usize,
    /// How many allocations the producer has made since it was handed out
    /// (0: it is the most recent one).
    pub allocations_ago: u64,
}

/// A configuration the ring cannot be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// `feature_dim` is 0.
    ZeroFeatureDim,
    /// `capacity_vectors` is 0.
    ZeroCapacity,
    /// `max_vectors` is 0.
    ZeroMaxVectors,
    /// `max_vectors` is larger than the whole region.
    MaxExceedsCapacity {
        /// The configured largest slice.
        max_vectors: usize,
        /// The configured region size in vectors.
        capacity_vectors: usize,
    },
    /// The region is larger than this ring can address
    /// ([`MAX_CAPACITY_VECTORS`](super::MAX_CAPACITY_VECTORS) vectors, and
    /// its byte size must fit in `isize`).
    TooLarge {
        /// The configured region size in vectors.
        capacity_vectors: usize,
        /// The configured vector width.
        feature_dim: usize,
    },
    /// A workload for the sizing helper has a zero field.
    ZeroWorkload,
    /// A workload whose typical request is larger than its largest one.
    TypicalExceedsMax {
        /// Typical vectors per request.
        typical_vectors: usize,
        /// Largest vectors per request.
        max_vectors: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroFeatureDim => write!(f, "feature_dim must be at least 1"),
            Self::ZeroCapacity => write!(f, "capacity_vectors must be at least 1"),
            Self::ZeroMaxVectors => write!(f, "max_vectors must be at least 1"),
            Self::MaxExceedsCapacity {
                max_vectors,
                capacity_vectors,
            } => write!(
                f,
                "max_vectors {max_vectors} exceeds the region of {capacity_vectors} vectors"
            ),
            Self::TooLarge {
                capacity_vectors,
                feature_dim,
            } => write!(
                f,
                "a region of {capacity_vectors} vectors x {feature_dim} f32 is too large"
            ),
            Self::ZeroWorkload => write!(f, "every workload field must be at least 1"),
            Self::TypicalExceedsMax {
                typical_vectors,
                max_vectors,
            } => write!(
                f,
                "typical request of {typical_vectors} vectors exceeds the largest ({max_vectors})"
            ),
        }
    }
}

/// The operating system refused the region's memory setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryError {
    /// The anonymous mapping itself failed.
    Map {
        /// Bytes requested.
        bytes: usize,
        /// The OS error number, if any.
        errno: Option<i32>,
    },
    /// `HugePages::Explicit` was asked for and `MAP_HUGETLB` failed: usually
    /// the system has no huge pages reserved.
    HugePagesUnavailable {
        /// Bytes requested (rounded up to the huge page size).
        bytes: usize,
        /// The huge page size used, in bytes.
        huge_page_bytes: usize,
        /// `/proc/sys/vm/nr_hugepages` at the time, if readable.
        nr_hugepages: Option<u64>,
        /// The OS error number, if any.
        errno: Option<i32>,
    },
    /// `madvise(MADV_HUGEPAGE)` failed (transparent huge pages disabled or
    /// unsupported by this kernel).
    TransparentHugePages {
        /// The OS error number, if any.
        errno: Option<i32>,
    },
    /// `mbind` refused to bind the region to the NUMA node.
    NumaRefused {
        /// The requested node.
        node: u32,
        /// The OS error number, if any.
        errno: Option<i32>,
    },
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let os = |e: &Option<i32>| match e {
            Some(n) => std::io::Error::from_raw_os_error(*n).to_string(),
            None => "unknown error".to_owned(),
        };
        match self {
            Self::Map { bytes, errno } => {
                write!(f, "mmap of {bytes} bytes failed: {}", os(errno))
            }
            Self::HugePagesUnavailable {
                bytes,
                huge_page_bytes,
                nr_hugepages,
                errno,
            } => {
                write!(
                    f,
                    "MAP_HUGETLB mapping of {bytes} bytes ({huge_page_bytes}-byte pages) failed: {}; ",
                    os(errno)
                )?;
                match nr_hugepages {
                    Some(0) => write!(
                        f,
                        "the system has no huge pages reserved (vm.nr_hugepages = 0); \
                         reserve some or use HugePages::Transparent"
                    ),
                    Some(n) => write!(f, "vm.nr_hugepages = {n}, fewer free than needed?"),
                    None => write!(f, "could not read vm.nr_hugepages"),
                }
            }
            Self::TransparentHugePages { errno } => write!(
                f,
                "madvise(MADV_HUGEPAGE) failed: {} (is transparent_hugepage 'never'?)",
                os(errno)
            ),
            Self::NumaRefused { node, errno } => write!(
                f,
                "the kernel refused to bind the region to NUMA node {node}: {}",
                os(errno)
            ),
        }
    }
}

/// Everything that can go wrong with a ring, as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RingError {
    /// Not enough contiguous free space for the request right now. Nothing
    /// blocks and nothing changed; retry after slices are dropped.
    Full {
        /// Vectors asked for.
        requested: usize,
        /// Free vectors in total (some may be on the wrong side of the wrap).
        free_vectors: usize,
        /// The largest slice that would succeed right now.
        largest_fit: usize,
        /// The oldest live slice, which is what holds the space (`None`
        /// only if nothing is live, which cannot make a valid request fail).
        oldest_live: Option<OldestLive>,
    },
    /// [`alloc_wait`](super::RingProducer::alloc_wait) slept for its whole
    /// timeout and the request still does not fit. Nothing changed.
    Timeout {
        /// Vectors asked for.
        requested: usize,
        /// The largest slice that would succeed right now.
        largest_fit: usize,
        /// The oldest live slice: the one whose release would make room.
        oldest_live: Option<OldestLive>,
    },
    /// A request for zero vectors.
    ZeroLength,
    /// A request longer than the configured `max_vectors`.
    TooLong {
        /// Vectors asked for.
        requested: usize,
        /// The configured maximum.
        max_vectors: usize,
    },
    /// The configuration is invalid.
    Config(ConfigError),
    /// The region's memory could not be set up as configured.
    Memory(MemoryError),
    /// The ring's one producer handle is already out.
    ProducerTaken,
}

impl From<ConfigError> for RingError {
    fn from(e: ConfigError) -> Self {
        Self::Config(e)
    }
}

impl From<MemoryError> for RingError {
    fn from(e: MemoryError) -> Self {
        Self::Memory(e)
    }
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full {
                requested,
                free_vectors,
                largest_fit,
                oldest_live,
            } => {
                write!(
                    f,
                    "ring full: requested {requested} vectors, {free_vectors} free, \
                     largest fit {largest_fit}"
                )?;
                if let Some(o) = oldest_live {
                    write!(
                        f,
                        "; oldest live slice ({} vectors at {}) was handed out {} allocations \
                         ago and blocks all reuse behind it",
                        o.len_vectors, o.first_vector, o.allocations_ago
                    )?;
                }
                Ok(())
            }
            Self::Timeout {
                requested,
                largest_fit,
                oldest_live,
            } => {
                write!(
                    f,
                    "timed out waiting for {requested} vectors (largest fit {largest_fit})"
                )?;
                if let Some(o) = oldest_live {
                    write!(
                        f,
                        "; the oldest live slice ({} vectors at {}, handed out {} allocations \
                         ago) was not released",
                        o.len_vectors, o.first_vector, o.allocations_ago
                    )?;
                }
                Ok(())
            }
            Self::ZeroLength => write!(f, "a slice needs at least 1 vector"),
            Self::TooLong {
                requested,
                max_vectors,
            } => write!(
                f,
                "requested {requested} vectors, more than max_vectors = {max_vectors}"
            ),
            Self::Config(e) => write!(f, "invalid ring config: {e}"),
            Self::Memory(e) => write!(f, "ring memory: {e}"),
            Self::ProducerTaken => write!(f, "the ring's producer handle is already taken"),
        }
    }
}

impl std::error::Error for RingError {}
impl std::error::Error for ConfigError {}
impl std::error::Error for MemoryError {}
