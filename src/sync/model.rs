//! What the two model back ends share.

/// Back-off for CAS retry loops under the models: one yield to the scheduler
/// per failed attempt (`crossbeam_utils::Backoff` under `std`).
#[derive(Debug, Default)]
pub struct Backoff;

impl Backoff {
    /// A fresh back-off.
    #[inline]
    pub fn new() -> Self {
        Self
    }

    /// Called after a failed CAS: yields to the model's scheduler.
    #[inline]
    pub fn spin(&self) {
        super::spin_loop();
    }
}
