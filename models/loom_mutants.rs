//! Mutation models: every ordering site written `ord(…, "site")` in `src/` is
//! weakened to `Relaxed`, one at a time, and loom must then find a bug; so
//! must the behaviour mutants (the ring's FIFO release). This is the evidence
//! that each non-Relaxed ordering is needed, and that the loom tier would
//! notice if one were lost.
//!
//! Run: `models/tier loom test --release --test loom_mutants -- --nocapture`
#![cfg(loom)]

mod scenarios;
mod support;

use std::collections::BTreeSet;
use std::path::Path;

use scenarios::pool as pool_scenarios;
use scenarios::stacks::*;
use scenarios::{ring as ring_scenarios, tls as tls_scenarios};
use support::must_fail;
use verified_pools::pool::{COUNT_AFTER_RESTORE, GUARD_FREES_PLACE, Tagged};
use verified_pools::ring::{FIFO_RELEASE, LIVE_OVERWRITE};
use verified_pools::sync::Track;
use verified_pools::sync::node::USE_AFTER_FREE;
use verified_pools::tls::{HALF_GIVE_BACK, HOARD_ITEMS, HOARD_PLACES};
use verified_pools::{EpochStack, PointerNodeStack, TaggedStack};

type Item = Track<usize>;

/// What a weakened ordering may show up as under loom.
const SYMPTOMS: &[&str] = &[
    "Causality violation",
    DOUBLE,
    LOST,
    USE_AFTER_FREE,
    LIVE_OVERWRITE,
    "never pushed",
    // A lost wake-up: every thread blocked (loom's deadlock check).
    "deadlock",
    // The cache front's scenario checks (`scenarios/tls.rs`).
    "unaccounted",
    "twice",
    "wrote to",
    "hits + misses",
    "hoards",
    "spurious pool full",
    // The pool's kept places and per-slot counts (`scenarios/pool.rs`).
    "took its place",
    "accepted + rejected",
];

/// One mutant: the site weakened, the evidence row, the model that must
/// fail, and the failures that count as its bug.
struct Mutant {
    site: &'static str,
    algo: &'static str,
    model: fn(),
    symptoms: &'static [&'static str],
}

/// A row that any of [`SYMPTOMS`] catches.
const fn mutant(site: &'static str, algo: &'static str, model: fn()) -> Mutant {
    mutant_shown_by(site, algo, model, SYMPTOMS)
}

/// A row whose model exists to show one check: only that check's failure
/// counts. Another failure (a deadlock, say) means the row no longer shows
/// the bug it is there for, so the row fails.
const fn mutant_shown_by(
    site: &'static str,
    algo: &'static str,
    model: fn(),
    symptoms: &'static [&'static str],
) -> Mutant {
    Mutant {
        site,
        algo,
        model,
        symptoms,
    }
}

/// What loom reports when two threads' accesses to one `UnsafeCell` race
/// (the ring's per-vector access cells).
const ACCESS_RACE: &[&str] = &["Causality violation"];

fn tagged() {
    run::<Item, Safe<TaggedStack<Item>>>(&TWO_THREADS)
}
fn epoch() {
    run::<Item, Safe<EpochStack<Item>>>(&ONE_POPPER_TWO_PUSHERS)
}
fn pointer_node() {
    run::<Item, Safe<PointerNodeStack<Item>>>(&TWO_THREADS)
}

/// Ordering sites (found in `src/` by `every_ordering_site_has_a_mutant`).
const ORDERING_MUTANTS: &[Mutant] = &[
    mutant("tagged.push.cas", "tagged", tagged),
    mutant("tagged.pop.load", "tagged", tagged),
    mutant("epoch.push.cas", "epoch", epoch),
    mutant("epoch.pop.load", "epoch", epoch),
    mutant("pointer_node.push.cas", "pointer_node", pointer_node),
    mutant("pointer_node.pop.load", "pointer_node", pointer_node),
    mutant("pointer_node.popper.acquire", "pointer_node", pointer_node),
    mutant("pointer_node.popper.release", "pointer_node", pointer_node),
    // Each row's form of the scenario leaves one model-build check alone to
    // see its bug (the release row: a dropper's read against the hand-out's
    // access cell; the reclaim row: a dropper's write), so the row also
    // checks that check (DESIGN.md, "The ring").
    mutant_shown_by(
        "ring.release.store",
        "ring",
        ring_scenarios::out_of_order_wrap_reading,
        ACCESS_RACE,
    ),
    mutant_shown_by(
        "ring.reclaim.load",
        "ring",
        ring_scenarios::out_of_order_wrap_writing,
        ACCESS_RACE,
    ),
    mutant(
        "ring.producer.take",
        "ring",
        ring_scenarios::producer_hand_off,
    ),
    mutant(
        "ring.producer.return",
        "ring",
        ring_scenarios::producer_hand_off,
    ),
    mutant_shown_by(
        "ring.hold.rmw",
        "ring",
        ring_scenarios::slices_outlive_producer,
        ACCESS_RACE,
    ),
    mutant_shown_by(
        "ring.credits.rmw",
        "ring",
        ring_scenarios::last_slice_frees_region,
        ACCESS_RACE,
    ),
    mutant("ring.wait.fence", "ring", ring_scenarios::wait_for_release),
    mutant("ring.wake.fence", "ring", ring_scenarios::wait_for_release),
    mutant("tls.slot.release", "tls", tls_scenarios::slot_reuse),
    mutant("tls.slot.claim", "tls", tls_scenarios::slot_reuse),
    mutant("tls.registry.push", "tls", tls_scenarios::slot_reuse),
    mutant("tls.registry.load", "tls", tls_scenarios::slot_reuse),
    mutant(
        "tls.slot.reclaim",
        "tls",
        tls_scenarios::drop_pool_while_cached,
    ),
];

fn pool_hold_two_threads() {
    pool_scenarios::guards_and_values::<Tagged>(2, pool_scenarios::Script::Hold)
}

fn tls_hand_off_get_here() {
    tls_scenarios::hand_off_get_here(3)
}
fn tls_hand_off_return_here() {
    tls_scenarios::hand_off_return_here(3)
}

/// Behaviour switches (`sync::mutation::is_active`).
const BEHAVIOUR_MUTANTS: &[Mutant] = &[
    // Only the ghost live bits can see this form (nothing else touches a
    // vector), so the row also checks that check. Only their failure
    // counts: a changed FIFO cursor that stalls the producer instead (a
    // deadlock) is not the seed's bug.
    mutant_shown_by(
        FIFO_RELEASE,
        "ring",
        ring_scenarios::out_of_order_wrap_untouched,
        &[LIVE_OVERWRITE],
    ),
    mutant(
        GUARD_FREES_PLACE,
        "pool",
        pool_scenarios::guard_keeps_its_place::<Tagged>,
    ),
    mutant(COUNT_AFTER_RESTORE, "pool", pool_hold_two_threads),
    mutant(HOARD_PLACES, "tls", tls_hand_off_get_here),
    mutant(HOARD_ITEMS, "tls", tls_hand_off_return_here),
    mutant(HALF_GIVE_BACK, "tls", tls_scenarios::hand_off_through_depot),
];

/// Every `ord(<Ordering>, "<site>")` call in `src/`.
fn sites_in_source() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                // The shim defines `ord`; its docs are not sites.
                if !path.ends_with("sync") {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source is readable");
                for piece in text.split("ord(").skip(1) {
                    let call = &piece[..piece.find(')').unwrap_or(piece.len())];
                    if let Some(site) = call.split('"').nth(1) {
                        out.insert(site.to_string());
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

#[test]
fn every_ordering_site_has_a_mutant() {
    let in_source = sites_in_source();
    let covered: BTreeSet<String> = ORDERING_MUTANTS
        .iter()
        .map(|m| m.site.to_string())
        .collect();
    assert!(!in_source.is_empty(), "found no ord(...) sites in src/");
    let missing: Vec<_> = in_source.difference(&covered).collect();
    let stale: Vec<_> = covered.difference(&in_source).collect();
    assert!(
        missing.is_empty(),
        "ordering sites without a mutation model: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "mutation models for sites not in src/: {stale:?}"
    );
}

/// Set in a child process: the site whose mutant the child runs.
const CHILD_SITE: &str = "VERIFIED_POOLS_MUTANT";

/// When set, `every_mutant_is_caught` runs only the mutants it names,
/// comma-separated: `behaviour` (every behaviour switch) and ordering rows
/// by their `algo` (`ring`, `tls`, …). `cargo xtask mutants`' loom stage
/// sets it for each source mutant: the behaviour switches (a source mutant
/// may disarm the code behind one, which runs only with the switch on) and
/// the rows of the mutated area (a weakened ordering shows only through the
/// model builds' access checks, which a source mutant may blind), without
/// the other areas' rows (the epoch rows alone take 16 s).
const MUTANT_SET: &str = "VERIFIED_POOLS_MUTANT_SET";

fn all_mutants() -> impl Iterator<Item = &'static Mutant> {
    ORDERING_MUTANTS.iter().chain(BEHAVIOUR_MUTANTS)
}

/// The mutants `every_mutant_is_caught` runs (see [`MUTANT_SET`]).
fn mutants_to_run() -> Vec<&'static Mutant> {
    let Ok(set) = std::env::var(MUTANT_SET) else {
        return all_mutants().collect();
    };
    let words: Vec<&str> = set.split(',').map(str::trim).collect();
    for w in &words {
        assert!(
            *w == "behaviour" || ORDERING_MUTANTS.iter().any(|m| m.algo == *w),
            "{MUTANT_SET}={set}: {w:?} is neither `behaviour` nor an ordering row"
        );
    }
    let behaviour = words.contains(&"behaviour");
    ORDERING_MUTANTS
        .iter()
        .filter(|m| words.contains(&m.algo))
        .chain(BEHAVIOUR_MUTANTS.iter().filter(|_| behaviour))
        .collect()
}

/// The child side: runs one mutant's model (named by `CHILD_SITE`). Only
/// meaningful when `every_mutant_is_caught` starts it.
#[test]
#[ignore = "run by every_mutant_is_caught in a child process"]
fn mutant_child() {
    let site = std::env::var(CHILD_SITE).expect("started by every_mutant_is_caught");
    let m = all_mutants()
        .find(|m| m.site == site)
        .expect("a known mutant site");
    must_fail(
        m.algo,
        &format!("mutant:{site}"),
        m.symptoms,
        Some(m.site),
        m.model,
    );
}

/// Runs every mutant, each in its own child process, and lists the ones loom
/// did not catch. A child is needed because a failing model that holds
/// crossbeam-epoch state can abort the process while unwinding (its
/// thread-local destructors then run outside the loom execution); the panic
/// message loom printed before that is still the finding.
#[test]
fn every_mutant_is_caught() {
    let exe = std::env::current_exe().expect("test binary path");
    let mut survivors = Vec::new();
    for m in mutants_to_run() {
        let (out, secs) = support::timed(|| {
            std::process::Command::new(&exe)
                .args(["--exact", "mutant_child", "--ignored", "--nocapture"])
                .env(CHILD_SITE, m.site)
                .output()
                .expect("child test process starts")
        });
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // libtest prints "test mutant_child ... " before the child's output.
        let child_evidence = stdout
            .lines()
            .filter_map(|l| l.find("evidence:").map(|at| &l[at..]))
            .find(|l| l.contains("result=bug_found"));
        if let Some(line) = child_evidence {
            println!("{line}");
        } else if let Some(symptom) = m
            .symptoms
            .iter()
            .find(|s| stderr.contains(*s))
            // A model that found no bug, or another failure than its row's,
            // panics with the list of symptoms it expected; that list must
            // not count as a finding.
            .filter(|_| {
                !stderr.contains("found no bug") && !stderr.contains("found a different failure")
            })
        {
            // The model panicked with the expected symptom, then the child
            // aborted while unwinding (see above).
            support::evidence(
                "loom",
                m.algo,
                &format!("mutant:{}", m.site),
                "bug_found",
                &format!(
                    "preemptions={} found={}_(then_aborted_unwinding_epoch_state)",
                    support::loom_run::preemptions(),
                    symptom.replace(' ', "_")
                ),
                secs,
            );
        } else {
            survivors.push(format!(
                "{} (child {}):\n{stdout}\n{stderr}",
                m.site, out.status
            ));
        }
    }
    assert!(
        survivors.is_empty(),
        "mutants loom did not catch: {survivors:#?}"
    );
}
