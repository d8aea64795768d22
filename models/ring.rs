//! The ring pool's table of models: one row per model, run by the back end
//! the build selects (`loom_ring` under `--cfg loom`, `shuttle_ring` under
//! `--cfg shuttle`; see `models/tier`). A row for one back end only carries
//! `#[cfg(loom)]` or `#[cfg(shuttle)]`. Under loom the ring's negative
//! models (weakened orderings, FIFO release) are in `loom_mutants.rs` with
//! every other site's.

use crate::scenarios::ring::*;
use crate::support::Model;

#[test]
fn out_of_order_wrap() {
    Model::new("ring", "out-of-order-wrap")
        .facts(&[WRAP_WITH_PAD, OUT_OF_ORDER_RELEASE, WRAP_PAD_OUT_OF_ORDER])
        .pass(crate::scenarios::ring::out_of_order_wrap);
}

#[test]
fn last_slice_frees_region() {
    Model::new("ring", "last-slice-frees-region")
        .facts(&[SLICE_OUTLIVED_POOL])
        .pass(crate::scenarios::ring::last_slice_frees_region);
}

#[test]
fn slices_outlive_producer() {
    Model::new("ring", "slices-outlive-producer")
        .facts(&LAST_HOLD_ON_EACH_THREAD)
        .pass(crate::scenarios::ring::slices_outlive_producer);
}

#[test]
fn producer_hand_off() {
    Model::new("ring", "producer-hand-off")
        .facts(&[PRODUCER_REFUSED, PRODUCER_HANDED_OFF])
        .pass(crate::scenarios::ring::producer_hand_off);
}

#[test]
fn wait_for_release() {
    Model::new("ring", "wait-for-release")
        .facts(&[WAITS, REWAITS])
        .pass(crate::scenarios::ring::wait_for_release);
}

/// Shuttle must catch the FIFO release (a slice's region freed while an
/// older slice is still live).
#[cfg(shuttle)]
#[test]
fn fifo_release_frees_a_live_slice() {
    use verified_pools::ring::{FIFO_RELEASE, LIVE_OVERWRITE};
    Model::new("ring", "fifo-release").fail(
        &[LIVE_OVERWRITE],
        Some(FIFO_RELEASE),
        crate::scenarios::ring::out_of_order_wrap,
    );
}
