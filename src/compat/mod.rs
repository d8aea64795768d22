//! Drop-in replacements for the APIs this crate's pools grew out of, so code
//! written against them moves over by changing one `use` line.
//!
//! * [`lockfree_buffer_pool`]: the seed's `LockFreeBufferPool`, its config,
//!   guard and statistics types, served by the verified
//!   [`BufferPool`](crate::pool::BufferPool).

pub mod lockfree_buffer_pool;
