//! The std region: an anonymous private mapping, optionally on huge pages and
//! bound to a NUMA node, and pretouched.

use core::ptr::NonNull;

use memmap2::{Advice, MmapMut, MmapOptions};

use super::config::{HugePages, RingConfig};
use super::error::MemoryError;

/// Transparent huge pages are PMD-sized: 2 MiB on x86-64 and arm64 with
/// 4 KiB base pages.
const THP_BYTES: usize = 2 << 20;

pub(crate) struct Mapping {
    map: MmapMut,
    offset: usize,
}

fn errno(e: &std::io::Error) -> Option<i32> {
    e.raw_os_error()
}

/// The step of `pretouch`: the smallest page size Linux uses, so a write
/// every `TOUCH_STRIDE` bytes reaches every page whatever the page size.
const TOUCH_STRIDE: usize = 4096;

/// The default huge page size from /proc/meminfo (2 MiB if unreadable).
fn huge_page_bytes() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Hugepagesize:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .map_or(THP_BYTES, |kb| kb * 1024)
}

fn nr_hugepages() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/nr_hugepages")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

impl Mapping {
    pub(crate) fn new(cfg: &RingConfig) -> Result<Self, MemoryError> {
        let bytes = cfg.region_bytes().unwrap_or(0); // validated by the caller
        let map_err = |bytes: usize| {
            move |e: std::io::Error| MemoryError::Map {
                bytes,
                errno: errno(&e),
            }
        };
        let (mut map, offset, span) = match cfg.huge_pages {
            HugePages::Off => {
                let map = MmapOptions::new()
                    .len(bytes)
                    .map_anon()
                    .map_err(map_err(bytes))?;
                (map, 0, bytes)
            }
            HugePages::Transparent => {
                // Over-map by one huge page so a 2 MiB-aligned start exists.
                let span = round_up(bytes, THP_BYTES);
                let len = span + THP_BYTES;
                let map = MmapOptions::new()
                    .len(len)
                    .map_anon()
                    .map_err(map_err(len))?;
                let addr = map.as_ptr() as usize;
                let offset = round_up(addr, THP_BYTES) - addr;
                map.advise_range(Advice::HugePage, offset, span)
                    .map_err(|e| MemoryError::TransparentHugePages { errno: errno(&e) })?;
                (map, offset, span)
            }
            HugePages::Explicit => {
                let huge = huge_page_bytes();
                let span = round_up(bytes, huge);
                let map = MmapOptions::new()
                    .len(span)
                    .huge(None)
                    .map_anon()
                    .map_err(|e| MemoryError::HugePagesUnavailable {
                        bytes: span,
                        huge_page_bytes: huge,
                        nr_hugepages: nr_hugepages(),
                        errno: errno(&e),
                    })?;
                (map, 0, span)
            }
        };
        if let Some(node) = cfg.numa_node {
            // SAFETY: `offset..offset + span` lies inside the mapping.
            let start = unsafe { map.as_mut_ptr().add(offset) };
            bind_to_node(start, span, node)?;
        }
        let mapping = Self { map, offset };
        if cfg.pretouch {
            mapping.pretouch(span);
        }
        Ok(mapping)
    }

    /// Writes one byte in every page of the region so that every page is
    /// faulted in (and, with NUMA binding, placed) before the first alloc.
    fn pretouch(&self, span: usize) {
        let base = self.map.as_ptr() as *mut u8;
        let mut at = self.offset;
        while at < self.offset + span {
            // SAFETY: `at` is inside the mapping; nothing else references the
            // region yet. A volatile write of the existing value (zero, for a
            // fresh anonymous page) cannot be optimised away.
            unsafe { base.add(at).write_volatile(0) };
            at += TOUCH_STRIDE;
        }
    }

    pub(crate) fn base(&self) -> NonNull<f32> {
        // SAFETY: `offset` is inside the (non-empty) mapping; the mapping is
        // page-aligned, and `offset` is 0 or a multiple of 2 MiB away from
        // it, so the pointer is aligned for `f32`.
        let p = unsafe { (self.map.as_ptr() as *mut u8).add(self.offset) };
        NonNull::new(p.cast::<f32>()).unwrap_or(NonNull::dangling())
    }
}

/// `mbind`'s node mask with only `node` set, and its `maxnode` argument.
fn node_mask(node: u32) -> (Vec<libc::c_ulong>, libc::c_ulong) {
    let word_bits = libc::c_ulong::BITS as usize;
    let mut mask = vec![0 as libc::c_ulong; (node as usize + 1).div_ceil(word_bits)];
    mask[node as usize / word_bits] |= 1 << (node as usize % word_bits);
    // The kernel reads `maxnode - 1` bits (a historical off-by-one that
    // libnuma also compensates for).
    let maxnode = (mask.len() * word_bits + 1) as libc::c_ulong;
    (mask, maxnode)
}

/// `mbind(MPOL_BIND)` the range to one node. libc has the syscall number
/// but no wrapper (the wrapper lives in libnuma), so this calls it directly.
fn bind_to_node(start: *mut u8, len: usize, node: u32) -> Result<(), MemoryError> {
    let refused = |errno| MemoryError::NumaRefused { node, errno };
    let (mask, maxnode) = node_mask(node);
    // SAFETY: `start..start + len` is a mapping we own, `mask` outlives the
    // call and holds `maxnode - 1` bits.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mbind,
            start,
            len as libc::c_ulong,
            libc::MPOL_BIND as libc::c_ulong,
            mask.as_ptr(),
            maxnode,
            0 as libc::c_ulong,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(refused(std::io::Error::last_os_error().raw_os_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::node_mask;

    /// The mask a machine with one node never exercises past bit 0.
    #[test]
    fn the_node_mask_sets_exactly_the_node_bit() {
        let bits = libc::c_ulong::BITS;
        for node in [0, 1, 5, bits - 1, bits, bits + 3, 1000] {
            let (mask, maxnode) = node_mask(node);
            let words = (node / bits + 1) as usize;
            assert_eq!(mask.len(), words, "node {node}");
            for (i, word) in mask.iter().enumerate() {
                let want = if i == (node / bits) as usize {
                    1 << (node % bits)
                } else {
                    0
                };
                assert_eq!(*word, want, "node {node}, word {i}");
            }
            // The kernel reads `maxnode - 1` bits: every bit of the mask.
            assert_eq!(
                maxnode,
                words as libc::c_ulong * libc::c_ulong::from(bits) + 1
            );
        }
    }
}
