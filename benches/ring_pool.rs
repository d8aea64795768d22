//! The ring-cursor pool against peer rings, in one run.
//!
//! Rows (each with and without writing the vectors):
//!
//! * `ring_pool/alloc_sizes/{nowrite,write}`: one alloc of `n` vectors
//!   (1 … 64) and its release, back to back, on a cache-fit ring (1 MiB).
//!   Peers: our two handle flavours, `bbqueue` (grant/commit/read/release),
//!   `ringal` (`fixed` + drop) and a seed-style ring whose every slice holds
//!   an `Arc` of the ring and whose drop advances a shared read cursor.
//! * `ring_pool/pool_sizes/{nowrite,write}/<size>`: 32 KiB … 1 GiB rings
//!   driven the way the seed's IO thread drives its pool: `WINDOW` slices of
//!   `SWEEP_N` vectors stay live and each operation allocates a new slice and
//!   drops the oldest, so the cursors sweep the whole region. Our ring is
//!   measured pretouched (`ring_pretouch`), not pretouched (`ring_cold`: a fresh ring
//!   for every criterion sample, so the first-touch page faults are in the
//!   timing), with transparent huge pages (`ring_thp`, `ring_thp_cold`) and with
//!   `MAP_HUGETLB` (`ring_hugetlb`, skipped when the system has no huge pages
//!   reserved; the reason is printed and written to
//!   `target/criterion/ring_pool_skipped.txt`). The peers are measured in
//!   steady state after one full lap of writes. In criterion's test mode
//!   (`cargo test --benches`) the sweep stops at 2 MiB.
//!
//! One `op` is one allocation plus one release.

mod common;

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::hint::black_box;
use std::io::Write as _;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bbqueue::nicknames::YakiNiku;
use bbqueue::prod_cons::stream::{StreamConsumer, StreamProducer};
use bbqueue::traits::storage::BoxedSlice;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use ringal::{FixedBufMut, RingAl};
use verified_pools::ring::HugePages;
use verified_pools::{ArcPoolSlice, ArcProducer, PoolSlice, Producer, RingConfig, RingPool};

/// `f32`s per vector: 256-byte vectors.
const DIM: usize = 64;
const VECTOR_BYTES: usize = DIM * 4;
/// The ring of the `alloc_sizes` group.
const ALLOC_RING_BYTES: usize = 1 << 20;
const ALLOC_SIZES: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
/// Slices live at once in the `pool_sizes` group, and their length.
const WINDOW: usize = 16;
const SWEEP_N: usize = 4;
const POOL_SIZES: [(usize, &str); 8] = [
    (32 << 10, "32KiB"),
    (512 << 10, "512KiB"),
    (2 << 20, "2MiB"),
    (8 << 20, "8MiB"),
    (32 << 20, "32MiB"),
    (128 << 20, "128MiB"),
    (512 << 20, "512MiB"),
    (1 << 30, "1GiB"),
];

/// A ring under test: allocate `n` vectors (copying `n` vectors of data in
/// when `write`), and release a slice.
trait Ring {
    type Slot;
    fn alloc(&mut self, n: usize, write: bool) -> Self::Slot;
    #[inline]
    fn release(&mut self, slot: Self::Slot) {
        drop(slot);
    }
}

/// Data to copy in: the largest request's worth.
fn source_f32() -> Vec<f32> {
    (0..64 * DIM).map(|i| i as f32).collect()
}

fn source_bytes() -> Vec<u8> {
    (0..64 * VECTOR_BYTES).map(|i| i as u8).collect()
}

struct Borrowed<'r> {
    producer: Producer<'r>,
    src: Vec<f32>,
}

impl<'r> Borrowed<'r> {
    fn new(pool: &'r RingPool) -> Self {
        Self {
            producer: pool.producer().expect("one producer"),
            src: source_f32(),
        }
    }
}

impl<'r> Ring for Borrowed<'r> {
    type Slot = PoolSlice<'r>;
    #[inline]
    fn alloc(&mut self, n: usize, write: bool) -> PoolSlice<'r> {
        let mut s = self.producer.alloc(n).expect("ring has room");
        if write {
            let len = s.len();
            s.copy_from_slice(&self.src[..len]);
        }
        s
    }
}

struct Arced {
    producer: ArcProducer,
    src: Vec<f32>,
}

impl Arced {
    fn new(pool: &Arc<RingPool>) -> Self {
        Self {
            producer: RingPool::arc_producer(pool).expect("one producer"),
            src: source_f32(),
        }
    }
}

impl Ring for Arced {
    type Slot = ArcPoolSlice;
    #[inline]
    fn alloc(&mut self, n: usize, write: bool) -> ArcPoolSlice {
        let mut s = self.producer.alloc(n).expect("ring has room");
        if write {
            let len = s.len();
            s.copy_from_slice(&self.src[..len]);
        }
        s
    }
}

/// bbqueue's SPSC byte queue (heap storage, atomics, polling): an alloc is
/// a grant + commit, a release is a read + release of the oldest bytes.
struct Bbq<'q> {
    producer: StreamProducer<&'q YakiNiku>,
    consumer: StreamConsumer<&'q YakiNiku>,
    src: Vec<u8>,
}

impl<'q> Bbq<'q> {
    fn new(queue: &'q YakiNiku) -> Self {
        Self {
            producer: queue.stream_producer(),
            consumer: queue.stream_consumer(),
            src: source_bytes(),
        }
    }
}

fn bbqueue(bytes: usize) -> YakiNiku {
    YakiNiku::new_with_storage(BoxedSlice::new(bytes))
}

impl Ring for Bbq<'_> {
    type Slot = usize;
    #[inline]
    fn alloc(&mut self, n: usize, write: bool) -> usize {
        let bytes = n * VECTOR_BYTES;
        let mut grant = self.producer.grant_exact(bytes).expect("queue has room");
        if write {
            grant.copy_from_slice(&self.src[..bytes]);
        }
        black_box(&mut *grant);
        grant.commit(bytes);
        bytes
    }
    #[inline]
    fn release(&mut self, bytes: usize) {
        let grant = self.consumer.read().expect("committed bytes");
        black_box(&*grant);
        grant.release(bytes);
    }
}

/// ringal's ring allocator: `fixed` + drop.
struct Ringal {
    ring: RingAl,
    src: Vec<u8>,
}

impl Ringal {
    fn new(bytes: usize) -> Self {
        Self {
            ring: RingAl::new(bytes),
            src: source_bytes(),
        }
    }
}

impl Ring for Ringal {
    type Slot = FixedBufMut;
    #[inline]
    fn alloc(&mut self, n: usize, write: bool) -> FixedBufMut {
        let bytes = n * VECTOR_BYTES;
        let mut buf = self.ring.fixed(bytes).expect("ring has room");
        if write {
            let written = buf.write(&self.src[..bytes]).expect("room in the buffer");
            debug_assert_eq!(written, bytes);
        }
        buf
    }
}

/// The seed's design, rebuilt: every slice holds an `Arc` of the ring, and
/// its drop advances the shared read cursor by its span (FIFO release,
/// `Relaxed` atomics, as the seed's notes describe).
struct SeedRing {
    data: NonNull<f32>,
    layout: Layout,
    capacity: usize,
    write: AtomicU64,
    read: AtomicU64,
}

impl SeedRing {
    fn new(bytes: usize) -> Self {
        let layout = Layout::from_size_align(bytes, 64).expect("layout");
        // SAFETY: non-zero size.
        let data = NonNull::new(unsafe { alloc_zeroed(layout) }.cast::<f32>())
            .expect("allocation for the seed ring");
        Self {
            data,
            layout,
            capacity: bytes / VECTOR_BYTES,
            write: AtomicU64::new(0),
            read: AtomicU64::new(0),
        }
    }
}

// SAFETY: the seed's ring is shared between its producer and the threads
// that drop slices; the region is reached only through the slice that owns
// a run (and the cursors are atomics), as in the seed.
unsafe impl Send for SeedRing {}
// SAFETY: as above.
unsafe impl Sync for SeedRing {}

impl Drop for SeedRing {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { dealloc(self.data.as_ptr().cast(), self.layout) };
    }
}

struct SeedSlice {
    ring: Arc<SeedRing>,
    data: NonNull<f32>,
    floats: usize,
    span: u64,
}

impl SeedSlice {
    fn as_mut_slice(&mut self) -> &mut [f32] {
        // SAFETY: the producer handed these `floats` to this slice only, and
        // the FIFO release keeps them from being handed out again before it
        // drops (the benches release in allocation order).
        unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr(), self.floats) }
    }
}

impl Drop for SeedSlice {
    #[inline]
    fn drop(&mut self) {
        self.ring.read.fetch_add(self.span, Relaxed);
    }
}

struct Seed {
    ring: Arc<SeedRing>,
    write_idx: usize,
    src: Vec<f32>,
}

impl Seed {
    fn new(bytes: usize) -> Self {
        Self {
            ring: Arc::new(SeedRing::new(bytes)),
            write_idx: 0,
            src: source_f32(),
        }
    }
}

impl Ring for Seed {
    type Slot = SeedSlice;
    #[inline]
    fn alloc(&mut self, n: usize, write: bool) -> SeedSlice {
        let ring = &*self.ring;
        let w = ring.write.load(Relaxed);
        let r = ring.read.load(Relaxed);
        let tail = ring.capacity - self.write_idx;
        let pad = if n > tail { tail } else { 0 };
        assert!(
            (w - r) as usize + pad + n <= ring.capacity,
            "seed ring full"
        );
        if pad > 0 {
            self.write_idx = 0;
        }
        let first = self.write_idx;
        self.write_idx += n;
        if self.write_idx == ring.capacity {
            self.write_idx = 0;
        }
        let span = (pad + n) as u64;
        ring.write.store(w + span, Relaxed);
        // SAFETY: `first + n <= capacity` vectors lie inside the allocation.
        let data = unsafe { NonNull::new_unchecked(ring.data.as_ptr().add(first * DIM)) };
        let mut slice = SeedSlice {
            ring: Arc::clone(&self.ring),
            data,
            floats: n * DIM,
            span,
        };
        if write {
            slice.as_mut_slice().copy_from_slice(&self.src[..n * DIM]);
        }
        slice
    }
}

/// One alloc + release, back to back.
#[inline]
fn pair<R: Ring>(ring: &mut R, n: usize, write: bool) {
    let slot = ring.alloc(n, write);
    let slot = black_box(slot);
    ring.release(slot);
}

/// `WINDOW` live slices; each op allocates one and releases the oldest.
struct Window<R: Ring> {
    ring: R,
    slots: Vec<Option<R::Slot>>,
    next: usize,
}

impl<R: Ring> Window<R> {
    fn new(ring: R) -> Self {
        Self {
            ring,
            slots: (0..WINDOW).map(|_| None).collect(),
            next: 0,
        }
    }

    #[inline]
    fn op(&mut self, write: bool) {
        let fresh = self.ring.alloc(SWEEP_N, write);
        let old = self.slots[self.next].replace(black_box(fresh));
        self.next = (self.next + 1) % WINDOW;
        if let Some(old) = old {
            self.ring.release(old);
        }
    }

    /// Enough ops with writes to cover the region once.
    fn lap(&mut self, region_bytes: usize) {
        for _ in 0..region_bytes / (SWEEP_N * VECTOR_BYTES) + WINDOW {
            self.op(true);
        }
    }
}

impl<R: Ring> Drop for Window<R> {
    fn drop(&mut self) {
        // Release in allocation order (oldest first), as FIFO peers need.
        for i in 0..WINDOW {
            let idx = (self.next + i) % WINDOW;
            if let Some(old) = self.slots[idx].take() {
                self.ring.release(old);
            }
        }
    }
}

fn mode(write: bool) -> &'static str {
    if write { "write" } else { "nowrite" }
}

fn alloc_sizes(c: &mut Criterion) {
    for write in [false, true] {
        let mut g = c.benchmark_group(format!("ring_pool/alloc_sizes/{}", mode(write)));
        g.warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_millis(1500));
        let vectors = ALLOC_RING_BYTES / VECTOR_BYTES;
        let pool = RingPool::new(RingConfig::new(DIM, vectors, 64)).expect("ring");
        let arc_pool = Arc::new(RingPool::new(RingConfig::new(DIM, vectors, 64)).expect("ring"));
        let queue = bbqueue(ALLOC_RING_BYTES);
        let mut ours = Borrowed::new(&pool);
        let mut ours_arc = Arced::new(&arc_pool);
        let mut bbq = Bbq::new(&queue);
        let mut ringal = Ringal::new(ALLOC_RING_BYTES);
        let mut seed = Seed::new(ALLOC_RING_BYTES);
        for n in ALLOC_SIZES {
            row_pair(&mut g, "ring_borrowed", n, write, &mut ours);
            row_pair(&mut g, "ring_arc", n, write, &mut ours_arc);
            row_pair(&mut g, "bbqueue", n, write, &mut bbq);
            row_pair(&mut g, "ringal", n, write, &mut ringal);
            row_pair(&mut g, "seed_arc_ring", n, write, &mut seed);
        }
        g.finish();
    }
}

fn row_pair<R: Ring>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    n: usize,
    write: bool,
    ring: &mut R,
) {
    g.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
        b.iter(|| pair(ring, n, write))
    });
}

/// Where skipped rows are recorded: criterion's directory beside the bench
/// binary (`target/criterion`).
fn skip_file() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(
        exe.parent()?
            .parent()?
            .parent()?
            .join("criterion/ring_pool_skipped.txt"),
    )
}

fn record_skip(line: &str) {
    eprintln!("skipped: {line}");
    if test_mode() {
        // Keep the list of the last real run for `report.py`.
        return;
    }
    if let Some(path) = skip_file() {
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(&path));
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}

fn ring_config(bytes: usize, pretouch: bool, huge: HugePages) -> RingConfig {
    RingConfig::new(DIM, bytes / VECTOR_BYTES, SWEEP_N)
        .with_pretouch(pretouch)
        .with_huge_pages(huge)
}

/// Times `iters` window ops on a ring built fresh (untimed) for this call.
fn cold_run(cfg: &RingConfig, iters: u64, write: bool) -> Duration {
    let pool = RingPool::new(cfg.clone()).expect("ring");
    let mut window = Window::new(Borrowed::new(&pool));
    let start = Instant::now();
    for _ in 0..iters {
        window.op(write);
    }
    let elapsed = start.elapsed();
    drop(window);
    drop(pool);
    elapsed
}

/// Criterion's test mode (`cargo test --benches`, or `-- --test`): every
/// row runs once, so the sweep stops at 2 MiB to keep the setups (pretouch,
/// one lap per peer) cheap in unoptimised builds.
fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--test")
}

fn pool_sizes(c: &mut Criterion) {
    if !test_mode() {
        if let Some(path) = skip_file() {
            let _ = std::fs::remove_file(path);
        }
    }
    let max_bytes = if test_mode() { 2 << 20 } else { usize::MAX };
    for write in [false, true] {
        for (bytes, label) in POOL_SIZES.into_iter().filter(|&(b, _)| b <= max_bytes) {
            let mut g = c.benchmark_group(format!("ring_pool/pool_sizes/{}/{label}", mode(write)));
            let big = bytes >= 128 << 20;
            g.warm_up_time(Duration::from_millis(400))
                .measurement_time(Duration::from_millis(1500));
            for (name, pretouch, huge) in [
                ("ring_pretouch", true, HugePages::Off),
                ("ring_thp", true, HugePages::Transparent),
                ("ring_hugetlb", true, HugePages::Explicit),
            ] {
                match RingPool::new(ring_config(bytes, pretouch, huge)) {
                    Ok(pool) => {
                        let mut w = Window::new(Borrowed::new(&pool));
                        g.bench_function(name, |b| b.iter(|| w.op(write)));
                    }
                    Err(e) => record_skip(&format!(
                        "ring_pool/pool_sizes/{}/{label}/{name}: {e}",
                        mode(write)
                    )),
                }
            }
            // A fresh ring per sample: each sample pays the first touch.
            g.sample_size(if big { 10 } else { 20 });
            for (name, huge) in [
                ("ring_cold", HugePages::Off),
                ("ring_thp_cold", HugePages::Transparent),
            ] {
                let cfg = ring_config(bytes, false, huge);
                g.bench_function(name, |b| {
                    b.iter_custom(|iters| cold_run(&cfg, iters, write))
                });
            }
            g.sample_size(20);
            // Peers, in steady state after one lap of writes.
            {
                let pool = Arc::new(
                    RingPool::new(ring_config(bytes, true, HugePages::Off)).expect("ring"),
                );
                let mut w = Window::new(Arced::new(&pool));
                w.lap(bytes);
                g.bench_function("ring_arc", |b| b.iter(|| w.op(write)));
            }
            {
                let queue = bbqueue(bytes);
                let mut w = Window::new(Bbq::new(&queue));
                w.lap(bytes);
                g.bench_function("bbqueue", |b| b.iter(|| w.op(write)));
            }
            {
                let mut w = Window::new(Ringal::new(bytes));
                w.lap(bytes);
                g.bench_function("ringal", |b| b.iter(|| w.op(write)));
            }
            {
                let mut w = Window::new(Seed::new(bytes));
                w.lap(bytes);
                g.bench_function("seed_arc_ring", |b| b.iter(|| w.op(write)));
            }
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = alloc_sizes, pool_sizes
}
criterion_main!(benches);
