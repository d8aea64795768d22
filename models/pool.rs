//! The pool's table of models: one row per model, run by the back end the
//! build selects (`loom_pool` under `--cfg loom`, `shuttle_pool` under
//! `--cfg shuttle`; see `models/tier`). A row for one back end only carries
//! `#[cfg(loom)]` or `#[cfg(shuttle)]`. Loom runs the shared scenario's two
//! halves as separate two-thread models to keep each small; shuttle runs the
//! whole script on three threads for every free-list variant.

use crate::scenarios::kinds::*;
use crate::scenarios::pool::*;
use crate::support::Model;
use verified_pools::pool::Tagged;
#[cfg(shuttle)]
use verified_pools::pool::{Epoch, PointerNode};

/// Two threads each hold a guard and a by-value serialization buffer at
/// once over a bound of 2: hits, misses, accepted and pool-full returns.
#[cfg(loom)]
#[test]
fn pool_hold_two_threads() {
    Model::new("pool", "hold-2-threads")
        .facts(&[HITS, MISSES, POOL_FULL])
        .pass(|| guards_and_values::<Tagged>(2, Script::Hold));
}

/// Two threads: SIMD guards dropped, foreign buffers rejected, one buffer
/// taken out for good.
#[cfg(loom)]
#[test]
fn pool_edges_two_threads() {
    Model::new("pool", "edges-2-threads")
        .facts(&[HITS, WRONG_SIZE])
        .pass(|| guards_and_values::<Tagged>(2, Script::Edges));
}

/// Two holders at the same instant: the peak is exactly 2.
#[test]
fn pool_peak_two_holders() {
    Model::new("pool", "peak-2-holders")
        .facts(&[PEAK_TWO_HOLDERS])
        .pass(two_holders_peak::<Tagged>);
}

#[test]
fn pool_guard_keeps_its_place() {
    Model::new("pool", "guard-keeps-its-place")
        .facts(&[GUARD_AFTER_FOREIGN])
        .pass(guard_keeps_its_place::<Tagged>);
}

#[cfg(shuttle)]
#[test]
fn pool_guard_keeps_its_place_capped() {
    Model::new("pool", "guard-keeps-its-place-epoch")
        .facts(&[GUARD_AFTER_FOREIGN])
        .pass(guard_keeps_its_place::<Epoch>);
}

#[cfg(shuttle)]
#[test]
fn pool_tagged_three_threads() {
    Model::new("pool", "tagged-3-threads")
        .facts(&[HITS, MISSES, POOL_FULL, WRONG_SIZE])
        .pass(|| guards_and_values::<Tagged>(3, Script::Full));
}

#[cfg(shuttle)]
#[test]
fn pool_epoch_three_threads() {
    Model::new("pool", "epoch-3-threads")
        .facts(&[HITS, MISSES, POOL_FULL, WRONG_SIZE])
        .pass(|| guards_and_values::<Epoch>(3, Script::Full));
}

#[cfg(shuttle)]
#[test]
fn pool_pointer_node_three_threads() {
    Model::new("pool", "pointer_node-3-threads")
        .facts(&[HITS, MISSES, POOL_FULL, WRONG_SIZE])
        .pass(|| guards_and_values::<PointerNode>(3, Script::Full));
}

/// A user-defined kind (exact-length window) through a `KindPool` of 2
/// shared by the threads: stats, bound and conservation at quiescence.
#[cfg(loom)]
#[test]
fn pool_user_kind_two_threads() {
    Model::new("pool", "user-kind-2-threads")
        .facts(&[HITS, WRONG_SIZE])
        .pass(|| user_kind_pool::<Tagged>(2, 2));
}

#[cfg(shuttle)]
#[test]
fn pool_user_kind_three_threads() {
    Model::new("pool", "user-kind-3-threads")
        .facts(&[HITS, WRONG_SIZE])
        .pass(|| user_kind_pool::<Tagged>(3, 2));
}

#[cfg(shuttle)]
#[test]
fn pool_user_kind_epoch_three_threads() {
    Model::new("pool", "user-kind-epoch-3-threads")
        .facts(&[HITS, WRONG_SIZE])
        .pass(|| user_kind_pool::<Epoch>(3, 2));
}

/// The user kind through its thread-local front (`KindTlsPool`), one record
/// handed from this thread to a worker.
#[cfg(loom)]
#[test]
fn pool_user_kind_front_two_threads() {
    Model::new("pool", "user-kind-front-2-threads")
        .facts(&[HITS, HANDED_BACK])
        .pass(|| user_kind_front(2, 2, 1));
}

#[cfg(shuttle)]
#[test]
fn pool_user_kind_front_three_threads() {
    Model::new("pool", "user-kind-front-3-threads")
        .facts(&[HITS, HANDED_BACK])
        .pass(|| user_kind_front(3, 2, 2));
}

/// `TlsPool::try_get` with fewer buffers than threads: never allocates,
/// each `None` counted, no double hand-out.
#[cfg(loom)]
#[test]
fn pool_tls_try_get_two_threads() {
    Model::new("pool", "tls-try-get-2-threads")
        .facts(&[HITS, TRY_GET_EMPTY])
        .pass(|| tls_try_get(2, 1));
}

#[cfg(shuttle)]
#[test]
fn pool_tls_try_get_three_threads() {
    Model::new("pool", "tls-try-get-3-threads")
        .facts(&[HITS, TRY_GET_EMPTY])
        .pass(|| tls_try_get(3, 2));
}
