//! Named ordering sites that the mutation models weaken one at a time.
//!
//! Where a non-`Relaxed` ordering is needed, algorithm code writes
//! `ord(Acquire, SITE)` with `SITE` a string literal `<key>.<op>.<access>`
//! (e.g. `tagged.pop.load`), `<key>` being the algorithm (`pointer_node`,
//! `epoch`, `tagged`, `pool`, `ring`, `tls`). Under `std` `ord` is exactly
//! its ordering argument (except in a `--cfg tsan_mutant` build, where the
//! site named by `VERIFIED_POOLS_MUTANT` is `Relaxed`: the TSan tier's
//! negative row). Under
//! loom and shuttle (model builds only) `with_mutant` makes one named site
//! return `Relaxed` (or one named behaviour mutant report active through
//! `is_active`) for the duration of a model run, and the model must then
//! fail: that is the evidence that each ordering is necessary and that the
//! checker would notice if it were lost.

use super::Ordering;

#[cfg(any(loom, shuttle))]
static ACTIVE: std::sync::Mutex<Option<&'static str>> = std::sync::Mutex::new(None);

#[cfg(any(loom, shuttle))]
fn active() -> Option<&'static str> {
    *ACTIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The site a `--cfg tsan_mutant` std build weakens: the value of
/// `VERIFIED_POOLS_MUTANT`, read once (the TSan tier's negative rows; see
/// `tests/tsan_stress.rs`). No other build has this hook.
#[cfg(all(tsan_mutant, not(any(loom, shuttle))))]
fn std_mutant() -> Option<&'static str> {
    static SITE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SITE.get_or_init(|| std::env::var("VERIFIED_POOLS_MUTANT").ok())
        .as_deref()
}

/// The ordering for `site`: `ordering` itself, unless a model run has
/// weakened `site`, in which case `Relaxed`.
#[inline(always)]
pub fn ord(ordering: Ordering, site: &'static str) -> Ordering {
    #[cfg(any(loom, shuttle))]
    if active() == Some(site) {
        return Ordering::Relaxed;
    }
    #[cfg(all(tsan_mutant, not(any(loom, shuttle))))]
    if std_mutant() == Some(site) {
        return Ordering::Relaxed;
    }
    let _ = site;
    ordering
}

/// Whether the behaviour mutant `site` is switched on: only ever in a model
/// run; a constant `false` the optimiser removes in every other build.
#[inline(always)]
pub fn is_active(site: &'static str) -> bool {
    #[cfg(any(loom, shuttle))]
    return active() == Some(site);
    #[cfg(not(any(loom, shuttle)))]
    {
        let _ = site;
        false
    }
}

/// Runs `f` with `site` weakened; the mutant is cleared afterwards, even if
/// `f` panics. Callers must not run two mutants at once (the mutation test
/// binary serialises its tests).
#[cfg(any(loom, shuttle))]
pub fn with_mutant<R>(site: &'static str, f: impl FnOnce() -> R) -> R {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
    *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(site);
    let _clear = Clear;
    f()
}
