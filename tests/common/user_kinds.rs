//! Kinds defined outside the crate, as a user would: two `Vec<u8>` kinds and
//! a `VecSimd<f64x4>` kind with the default acceptance window (so the plain
//! pool's reference model predicts them exactly), and a `Vec<f32>` kind with
//! an exact-length window and a `String` kind, for the std tests.
#![allow(dead_code)] // each test crate uses a subset

use simd_aligned::VecSimd;
use verified_pools::pool::BufferKind;
use wide::f64x4;

/// A user's byte-buffer kind; `ID` tells two of them apart.
pub enum UserBytes<const ID: u8> {}

impl<const ID: u8> BufferKind for UserBytes<ID> {
    type Buffer = Vec<u8>;
    const NAME: &'static str = if ID == 0 {
        "user bytes"
    } else {
        "user bytes 2"
    };

    fn fresh(size: usize) -> Vec<u8> {
        Vec::with_capacity(size)
    }

    fn try_fresh(size: usize) -> Option<Vec<u8>> {
        let mut buffer = Vec::new();
        buffer.try_reserve_exact(size).ok()?;
        Some(buffer)
    }

    fn reset(buffer: &mut Vec<u8>) {
        buffer.clear();
    }

    fn size_of(buffer: &Vec<u8>) -> usize {
        buffer.capacity()
    }
}

/// A user's SIMD kind, sized in `f64` lanes.
pub enum UserVectors {}

impl BufferKind for UserVectors {
    type Buffer = VecSimd<f64x4>;
    const NAME: &'static str = "user vectors";
    const UNIT_BYTES: usize = size_of::<f64>();

    fn fresh(size: usize) -> VecSimd<f64x4> {
        VecSimd::with(0.0, size)
    }

    fn try_fresh(size: usize) -> Option<VecSimd<f64x4>> {
        Some(VecSimd::with(0.0, size))
    }

    fn reset(buffer: &mut VecSimd<f64x4>) {
        buffer.fill(f64x4::ZERO);
    }

    fn size_of(buffer: &VecSimd<f64x4>) -> usize {
        buffer.flat().len()
    }
}

/// Feature vectors: `Vec<f32>` of exactly the configured length, zeroed on
/// reuse; only that exact length comes back.
pub enum Features {}

impl BufferKind for Features {
    type Buffer = Vec<f32>;
    const NAME: &'static str = "features";
    const UNIT_BYTES: usize = size_of::<f32>();

    fn fresh(size: usize) -> Vec<f32> {
        vec![0.0; size]
    }

    fn try_fresh(size: usize) -> Option<Vec<f32>> {
        let mut v = Vec::new();
        v.try_reserve_exact(size).ok()?;
        v.resize(size, 0.0);
        Some(v)
    }

    fn reset(buffer: &mut Vec<f32>) {
        buffer.fill(0.0);
    }

    fn size_of(buffer: &Vec<f32>) -> usize {
        buffer.len()
    }

    fn acceptance_window(size: usize) -> std::ops::RangeInclusive<usize> {
        size..=size
    }
}

/// A kind whose `fresh` disagrees with its own window: a pool of it must
/// refuse to build.
pub enum Mismeasured {}

impl BufferKind for Mismeasured {
    type Buffer = Vec<u8>;
    const NAME: &'static str = "mismeasured";

    fn fresh(size: usize) -> Vec<u8> {
        Vec::with_capacity(size * 4)
    }

    fn try_fresh(size: usize) -> Option<Vec<u8>> {
        Some(Self::fresh(size))
    }

    fn reset(buffer: &mut Vec<u8>) {
        buffer.clear();
    }

    fn size_of(buffer: &Vec<u8>) -> usize {
        buffer.capacity()
    }
}
