//! The region's memory: the only place where the std build and the model
//! builds differ.
//!
//! * std: an anonymous `mmap` (see `mapped.rs`) with pretouch, huge pages and
//!   NUMA binding.
//! * model builds ([`MODEL_BUILD`]): a plain heap buffer, plus a shim
//!   `UnsafeCell<()>` per vector that every hand-out, read and write of that
//!   vector goes through, so the checker sees the ownership hand-off between
//!   a dropper's last access and the producer's next hand-out; and a ghost
//!   "live" bit per vector, kept outside the model (a `std` mutex, which
//!   adds no synchronisation the checker could see), that makes handing out
//!   a vector still covered by a live slice panic with [`LIVE_OVERWRITE`].
//!
//! The ghost bits are cleared right *after* a drop's release operation. Both
//! checkers schedule only at their own operations (before each one), so the
//! release and the clear form one step: the producer can never see a
//! release whose ghost bits are still set (no false alarm), and a protocol
//! that hands out vectors whose slice has not yet released them always
//! trips the check, whatever else it got wrong.
//!
//! Under std every hook below is an empty inline function: `MODEL_BUILD` is
//! a constant, so the branches fold away.

use core::ptr::NonNull;

use super::config::RingConfig;
use super::error::RingError;
use crate::sync::{MODEL_BUILD, UnsafeCell};

/// The panic message fragment of the model builds' live-overwrite check.
pub const LIVE_OVERWRITE: &str = "live slice overwritten";

enum Backing {
    Mapped(#[allow(dead_code)] super::mapped::Mapping),
    Heap(#[allow(dead_code)] Box<[core::cell::UnsafeCell<f32>]>),
}

struct ModelChecks {
    access: Box<[UnsafeCell<()>]>,
    live: std::sync::Mutex<Vec<bool>>,
}

pub(crate) struct Region {
    base: NonNull<f32>,
    feature_dim: usize,
    _backing: Backing,
    checks: Option<ModelChecks>,
}

// SAFETY: `Region` owns its memory; which thread may touch which vector is
// the ring's protocol (module docs of `ring`), enforced by `RingPool`.
unsafe impl Send for Region {}
// SAFETY: as above; `&Region` itself only hands out the base pointer.
unsafe impl Sync for Region {}

impl Region {
    pub(crate) fn new(cfg: &RingConfig) -> Result<Self, RingError> {
        let floats = cfg.capacity_vectors * cfg.feature_dim; // validated
        if MODEL_BUILD {
            let heap: Box<[core::cell::UnsafeCell<f32>]> = (0..floats)
                .map(|_| core::cell::UnsafeCell::new(0.0))
                .collect();
            // `UnsafeCell<f32>` has the layout of `f32`; the cells make
            // writes through the shared box legal.
            let base = NonNull::new(heap.as_ptr() as *mut f32).unwrap_or(NonNull::dangling());
            let checks = ModelChecks {
                access: (0..cfg.capacity_vectors)
                    .map(|_| UnsafeCell::new(()))
                    .collect(),
                live: std::sync::Mutex::new(vec![false; cfg.capacity_vectors]),
            };
            return Ok(Self {
                base,
                feature_dim: cfg.feature_dim,
                _backing: Backing::Heap(heap),
                checks: Some(checks),
            });
        }
        let mapping = super::mapped::Mapping::new(cfg)?;
        Ok(Self {
            base: mapping.base(),
            feature_dim: cfg.feature_dim,
            _backing: Backing::Mapped(mapping),
            checks: None,
        })
    }

    /// The first `f32` of vector `first`.
    #[inline(always)]
    pub(crate) fn vector_ptr(&self, first: usize) -> NonNull<f32> {
        // SAFETY: callers pass `first < capacity_vectors`, so the offset
        // stays inside the region.
        unsafe { self.base.add(first * self.feature_dim) }
    }

    /// Vectors `first..first + n` go from the producer to a new slice.
    #[inline(always)]
    pub(crate) fn on_hand_out(&self, first: usize, n: usize) {
        if MODEL_BUILD {
            if let Some(c) = &self.checks {
                let clash = {
                    let mut live = c.live.lock().unwrap_or_else(|e| e.into_inner());
                    let clash = (first..first + n).find(|&i| live[i]);
                    if clash.is_none() {
                        live[first..first + n].iter_mut().for_each(|b| *b = true);
                    }
                    clash
                };
                if let Some(i) = clash {
                    panic!(
                        "{LIVE_OVERWRITE}: vector {i} handed out again while a live slice \
                         still covers it"
                    );
                }
                // Taking ownership counts as a write: it must happen after
                // the previous owner's last access.
                c.access[first..first + n]
                    .iter()
                    .for_each(|a| a.with_mut(|_| ()));
            }
        }
    }

    /// The slice covering `first..first + n` is being dropped.
    #[inline(always)]
    pub(crate) fn on_release(&self, first: usize, n: usize) {
        if MODEL_BUILD {
            if let Some(c) = &self.checks {
                let mut live = c.live.lock().unwrap_or_else(|e| e.into_inner());
                live[first..first + n].iter_mut().for_each(|b| *b = false);
            }
        }
    }

    /// The owner of `first..first + n` reads them.
    #[inline(always)]
    pub(crate) fn on_read(&self, first: usize, n: usize) {
        if MODEL_BUILD {
            if let Some(c) = &self.checks {
                c.access[first..first + n]
                    .iter()
                    .for_each(|a| a.with(|_| ()));
            }
        }
    }

    /// The pool is being dropped: counts as a write of every vector, so a
    /// slice's access that did not happen-before the drop is a data race the
    /// checker reports.
    #[cfg(any(loom, shuttle))]
    pub(crate) fn on_free(&self) {
        if MODEL_BUILD {
            if let Some(c) = &self.checks {
                c.access.iter().for_each(|a| a.with_mut(|_| ()));
            }
        }
    }

    /// The owner of `first..first + n` writes them.
    #[inline(always)]
    pub(crate) fn on_write(&self, first: usize, n: usize) {
        if MODEL_BUILD {
            if let Some(c) = &self.checks {
                c.access[first..first + n]
                    .iter()
                    .for_each(|a| a.with_mut(|_| ()));
            }
        }
    }
}
