//! Configuration of a [`TlsPool`](super::TlsPool) or a
//! [`KindTlsPool`](super::KindTlsPool) and its validation.

use core::fmt;

use crate::pool::{BufferKind, ConfigError, KindConfig, KindId, PoolConfig};

/// The largest per-thread capacity accepted (per kind), whatever the pool's
/// count. A cache is a `Vec` of this many buffers' handles per thread and
/// kind, allocated when a thread first uses the pool.
pub const MAX_PER_THREAD: usize = 4096;

/// Sizes, counts and the per-thread cache capacity of a
/// [`TlsPool`](super::TlsPool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsConfig {
    /// The underlying pool: buffer sizes, and `count`, the most buffers of
    /// each kind the pool keeps — cached by threads or not.
    pub pool: PoolConfig,
    /// The most buffers of each kind one thread's cache holds. A cache
    /// exchanges batches of `⌈per_thread / 2⌉` with the shared depot.
    pub per_thread: usize,
}

impl Default for TlsConfig {
    /// The default pool with 32 buffers per thread and kind (batches of 16).
    fn default() -> Self {
        Self {
            pool: PoolConfig::default(),
            per_thread: 32,
        }
    }
}

impl TlsConfig {
    /// Buffers moved per batch exchange: `⌈per_thread / 2⌉`.
    pub const fn batch(&self) -> usize {
        self.per_thread.div_ceil(2)
    }

    /// The largest `per_thread` this config accepts: `min(count,
    /// MAX_PER_THREAD)` (a cache larger than the whole pool could never fill).
    pub fn max_per_thread(&self) -> usize {
        self.pool.count.min(MAX_PER_THREAD)
    }

    /// Checks the pool's rules, then the per-thread capacity.
    ///
    /// ```
    /// use verified_pools::pool::PoolConfig;
    /// use verified_pools::tls::{TlsConfig, TlsConfigError};
    ///
    /// let pool = PoolConfig { count: 8, ..PoolConfig::default() };
    /// assert!(TlsConfig { pool, per_thread: 8 }.validate().is_ok());
    /// assert_eq!(TlsConfig { pool, per_thread: 0 }.validate(), Err(TlsConfigError::ZeroPerThread));
    /// assert_eq!(
    ///     TlsConfig { pool, per_thread: 9 }.validate(),
    ///     Err(TlsConfigError::PerThreadTooLarge { requested: 9, max: 8 })
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), TlsConfigError> {
        self.pool.validate()?;
        validate_per_thread(self.per_thread, self.pool.count)
    }
}

/// Checks a per-thread capacity against a pool of `count` buffers.
fn validate_per_thread<Kind>(per_thread: usize, count: usize) -> Result<(), TlsConfigError<Kind>> {
    if per_thread == 0 {
        return Err(TlsConfigError::ZeroPerThread);
    }
    let max = count.min(MAX_PER_THREAD);
    if per_thread > max {
        return Err(TlsConfigError::PerThreadTooLarge {
            requested: per_thread,
            max,
        });
    }
    Ok(())
}

/// Size, count and per-thread cache capacity of a
/// [`KindTlsPool`](super::KindTlsPool): the front of one user kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindTlsConfig {
    /// The underlying kind pool: buffer size, and `count`, the most buffers
    /// the pool keeps — cached by threads or not.
    pub kind: KindConfig,
    /// The most buffers one thread's cache holds (batches of
    /// `⌈per_thread / 2⌉`), at most `min(count, MAX_PER_THREAD)`.
    pub per_thread: usize,
}

impl KindTlsConfig {
    /// Buffers moved per batch exchange: `⌈per_thread / 2⌉`.
    pub const fn batch(&self) -> usize {
        self.per_thread.div_ceil(2)
    }

    /// Checks the kind pool's rules for `K`, then the per-thread capacity.
    ///
    /// ```
    /// use verified_pools::pool::{KindConfig, Serialization};
    /// use verified_pools::tls::{KindTlsConfig, TlsConfigError};
    ///
    /// let kind = KindConfig { count: 8, size: 64 };
    /// assert!(KindTlsConfig { kind, per_thread: 8 }.validate::<Serialization>().is_ok());
    /// assert_eq!(
    ///     KindTlsConfig { kind, per_thread: 9 }.validate::<Serialization>(),
    ///     Err(TlsConfigError::PerThreadTooLarge { requested: 9, max: 8 })
    /// );
    /// ```
    pub fn validate<K: BufferKind>(&self) -> Result<(), TlsConfigError<&'static str>> {
        self.kind.validate::<K>()?;
        validate_per_thread(self.per_thread, self.kind.count)
    }
}

/// Why a [`TlsConfig`] (or, with `Kind = &'static str`, a
/// [`KindTlsConfig`]) cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsConfigError<Kind = KindId> {
    /// The underlying pool's configuration is invalid.
    Pool(ConfigError<Kind>),
    /// `per_thread` is zero: a cache could hold nothing.
    ZeroPerThread,
    /// `per_thread` exceeds the pool's count or [`MAX_PER_THREAD`].
    PerThreadTooLarge {
        /// The capacity asked for.
        requested: usize,
        /// The largest accepted for this pool.
        max: usize,
    },
}

impl<Kind> From<ConfigError<Kind>> for TlsConfigError<Kind> {
    fn from(e: ConfigError<Kind>) -> Self {
        Self::Pool(e)
    }
}

impl<Kind: fmt::Display> fmt::Display for TlsConfigError<Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pool(e) => write!(f, "{e}"),
            Self::ZeroPerThread => write!(f, "per-thread cache capacity must be at least 1"),
            Self::PerThreadTooLarge { requested, max } => write!(
                f,
                "per-thread cache capacity {requested} exceeds the maximum of {max}"
            ),
        }
    }
}

impl<Kind: fmt::Debug + fmt::Display + 'static> std::error::Error for TlsConfigError<Kind> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Pool(e) => Some(e),
            _ => None,
        }
    }
}
