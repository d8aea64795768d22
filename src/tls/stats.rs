//! Statistics of a [`TlsPool`](super::TlsPool).

use crate::pool::{KindId, KindStats, PoolStats};

/// One kind's statistics: the pool's figures (same meanings as
/// [`BufferPool::stats`](crate::pool::BufferPool::stats)) plus where the
/// pooled buffers sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsKindStats {
    /// The pool's figures. `pooled` counts every buffer the pool keeps,
    /// cached by a thread or not, and never exceeds the count.
    ///
    /// Every figure is exact at quiescence except `peak_in_use` when more
    /// than one thread's cache has been used (see
    /// [`peak_in_use_exact`](Self::peak_in_use_exact)): it is then an upper
    /// bound of the true peak, the smaller of the sum of each cache's own
    /// high-water mark and the number of buffers ever made (`count` plus
    /// every miss). An exact global peak would need a shared RMW on every
    /// get, which the cache exists to avoid.
    pub pool: KindStats,
    /// Whether `pool.peak_in_use` is the true peak (one cache slot has ever
    /// been used: one thread at a time) or only an upper bound of it.
    pub peak_in_use_exact: bool,
    /// Pooled buffers sitting in thread caches now.
    pub cached: usize,
    /// Free places reserved by thread caches: returns the pool could take
    /// but only through those threads. At most `⌈batch / 2⌉` per thread
    /// between its calls.
    pub reserved: usize,
}

/// Statistics of all three kinds and of the caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsStats {
    /// Serialization buffers.
    pub serialization: TlsKindStats,
    /// Compression buffers.
    pub compression: TlsKindStats,
    /// SIMD buffers.
    pub simd: TlsKindStats,
    /// Threads holding a cache slot in this pool now.
    pub threads: usize,
    /// Slots ever made (at most the most threads that held one at once).
    pub slots: usize,
    /// The most buffers one thread's cache holds per kind.
    pub per_thread_capacity: usize,
    /// Buffers moved per batch exchange with the depot.
    pub batch: usize,
}

impl TlsStats {
    /// The statistics of `kind`.
    pub fn of(&self, kind: KindId) -> &TlsKindStats {
        match kind {
            KindId::Serialization => &self.serialization,
            KindId::Compression => &self.compression,
            KindId::Simd => &self.simd,
        }
    }

    /// The pool's figures alone, comparable with a plain
    /// [`BufferPool`](crate::pool::BufferPool)'s.
    pub fn pool(&self) -> PoolStats {
        PoolStats {
            serialization: self.serialization.pool,
            compression: self.compression.pool,
            simd: self.simd.pool,
        }
    }
}
