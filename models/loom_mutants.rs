//! Mutation models: every ordering site written `ord(…, "site")` in `src/` is
//! weakened to `Relaxed`, one at a time, and loom must then find a bug.
//! This is the evidence that each non-Relaxed ordering is needed and that the
//! loom tier would notice if it were lost.
//!
//! Run: `RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
//!       cargo test --release --test loom_mutants -- --nocapture`
#![cfg(loom)]

#[path = "scenarios/stacks.rs"]
mod scenarios;
mod support;

use std::collections::BTreeSet;
use std::path::Path;

use scenarios::*;
use support::loom_run::must_fail;
use verified_pools::sync::Track;
use verified_pools::sync::mutation::with_mutant;
use verified_pools::sync::node::USE_AFTER_FREE;
use verified_pools::{EpochStack, PointerNodeStack, TaggedStack};

type Item = Track<usize>;

/// What a weakened ordering may show up as under loom.
const SYMPTOMS: &[&str] = &[
    "Causality violation",
    DOUBLE,
    LOST,
    USE_AFTER_FREE,
    "never pushed",
];

/// Each mutable site with the model that must catch it.
const MUTANTS: &[(&str, &str, fn())] = &[
    ("tagged.push.cas", "tagged", || {
        run::<Item, Safe<TaggedStack<Item>>>(&TWO_THREADS)
    }),
    ("tagged.pop.load", "tagged", || {
        run::<Item, Safe<TaggedStack<Item>>>(&TWO_THREADS)
    }),
    ("epoch.push.cas", "epoch", || {
        run::<Item, Safe<EpochStack<Item>>>(&TWO_THREADS)
    }),
    ("epoch.pop.load", "epoch", || {
        run::<Item, Safe<EpochStack<Item>>>(&TWO_THREADS)
    }),
    ("pointer.push.cas", "pointer-node", || {
        run::<Item, Safe<PointerNodeStack<Item>>>(&TWO_THREADS)
    }),
    ("pointer.pop.load", "pointer-node", || {
        run::<Item, Safe<PointerNodeStack<Item>>>(&TWO_THREADS)
    }),
    ("pointer.popper.acquire", "pointer-node", || {
        run::<Item, Safe<PointerNodeStack<Item>>>(&TWO_THREADS)
    }),
    ("pointer.popper.release", "pointer-node", || {
        run::<Item, Safe<PointerNodeStack<Item>>>(&TWO_THREADS)
    }),
];

/// Every `ord(<Ordering>, "<site>")` call in `src/`.
fn sites_in_source() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("sync.rs") {
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
    let covered: BTreeSet<String> = MUTANTS.iter().map(|(s, _, _)| s.to_string()).collect();
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

/// One test runs them all, in order: the weakened site is process-global.
#[test]
fn every_weakened_ordering_is_caught() {
    let mut survivors = Vec::new();
    for &(site, algo, model) in MUTANTS {
        let caught = support::expect_panic(|| {
            with_mutant(site, || {
                must_fail(algo, &format!("mutant:{site}"), SYMPTOMS, model);
            })
        });
        if let Some(why) = caught {
            survivors.push(format!("{site}: {why}"));
        }
    }
    assert!(
        survivors.is_empty(),
        "mutants loom did not catch: {survivors:#?}"
    );
}
