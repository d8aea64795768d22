//! What a scenario runs on: the crate's shim under a model build (loom's or
//! shuttle's `Arc`, atomics and threads, which the crate's own types also
//! use there), std's on real threads (where the shim is private and is std).
#![allow(unused_imports)] // each scenario uses a subset

#[cfg(not(any(loom, shuttle)))]
pub use std::{
    hint::spin_loop,
    sync::Arc,
    sync::atomic::{AtomicUsize, Ordering},
    thread,
};
#[cfg(any(loom, shuttle))]
pub use verified_pools::sync::{Arc, AtomicUsize, Ordering, spin_loop, thread};
