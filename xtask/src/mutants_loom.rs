//! Which loom model targets can see a mutant: the loom stage of `cargo
//! xtask mutants` runs each mutant with those targets only.
//!
//! A missed mutant costs a whole run of the targets it is tested with, and
//! `loom_stacks` alone takes most of a loom run (66 of 85 s here), while
//! `loom_ring` takes a tenth of a second. A mutant of the ring's code cannot
//! change what the stack models do: their binaries run none of it. So each
//! area of `src/` names the areas it uses, and a mutant in area A is tested
//! with the model target of every area that is A or uses A, plus the
//! mutation matrix: its behaviour switches (any area may sit behind one)
//! and the ordering rows of those targets ([`matrix_set`]). A mutant
//! anywhere else (`src/sync`, `lib.rs`, `compat`) gets every target and
//! every row.
//!
//! Getting this wrong in the narrow direction turns a kill into a miss,
//! which the command reports and fails on; it cannot hide a miss. A test
//! below checks the uses against the sources' own `crate::` paths.

use std::collections::BTreeMap;

/// An area of `src/`: its directory, its own loom model target (if any),
/// and the areas its code uses (`crate::…` in its files, doc links
/// included).
struct Area {
    dir: &'static str,
    target: Option<&'static str>,
    uses: &'static [&'static str],
}

/// The areas the model targets divide `src/` into.
const AREAS: &[Area] = &[
    Area {
        dir: "ring",
        target: Some("loom_ring"),
        uses: &["sync"],
    },
    Area {
        dir: "stack",
        target: Some("loom_stacks"),
        uses: &["sync"],
    },
    Area {
        dir: "counters",
        target: None,
        uses: &["pool", "sync"],
    },
    Area {
        dir: "pool",
        target: Some("loom_pool"),
        uses: &["counters", "stack", "sync", "tls"],
    },
    Area {
        dir: "tls",
        target: Some("loom_tls"),
        uses: &["counters", "pool", "stack", "sync"],
    },
];

/// The target every mutant runs: the mutation matrix, limited by
/// [`matrix_set`].
const MATRIX: &str = "loom_mutants";

/// The mutation matrix's rows (`algo` of its ordering mutants) that test
/// each model target's code: a weakened ordering is found only through the
/// access checks of the model builds (`sync::UnsafeCell`, the ring's
/// per-vector cells), so these rows are what catches a source mutant that
/// blinds such a check.
const ORDERING_ROWS: &[(&str, &[&str])] = &[
    ("loom_ring", &["ring"]),
    ("loom_stacks", &["tagged", "epoch", "pointer_node"]),
    ("loom_pool", &[]),
    ("loom_tls", &["tls"]),
];

/// `VERIFIED_POOLS_MUTANT_SET` for a group run with `targets`: the
/// behaviour switches (any area may sit behind one) and the ordering
/// mutants of the rows those targets test.
pub fn matrix_set(targets: &[String]) -> String {
    let mut set = vec!["behaviour"];
    for (target, rows) in ORDERING_ROWS {
        if targets.iter().any(|t| t == target) {
            set.extend(rows.iter());
        }
    }
    set.join(",")
}

/// Whether area `user`'s code reaches area `used`'s (itself included).
fn reaches(user: &str, used: &str, seen: &mut Vec<&'static str>) -> bool {
    if user == used {
        return true;
    }
    let Some(a) = AREAS.iter().find(|a| a.dir == user) else {
        return false;
    };
    if seen.contains(&a.dir) {
        return false;
    }
    seen.push(a.dir);
    a.uses.iter().any(|u| reaches(u, used, seen))
}

/// The targets among `all` that can see a mutant of `file` (a path such as
/// `src/ring/storage.rs`), in `all`'s order.
pub fn targets_for(file: &str, all: &[String]) -> Vec<String> {
    let area = file
        .strip_prefix("src/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(dir, _)| dir);
    let Some(area) = area.filter(|d| AREAS.iter().any(|a| a.dir == *d)) else {
        return all.to_vec();
    };
    let wanted: Vec<&str> = AREAS
        .iter()
        .filter(|a| reaches(a.dir, area, &mut Vec::new()))
        .filter_map(|a| a.target)
        .chain([MATRIX])
        .collect();
    // A named target that no longer exists: fall back to every target
    // rather than run fewer than the mapping meant.
    if wanted.iter().any(|w| !all.iter().any(|t| t == w)) {
        return all.to_vec();
    }
    all.iter()
        .filter(|t| wanted.contains(&t.as_str()))
        .cloned()
        .collect()
}

/// The mutants `names` (cargo-mutants' `FILE:LINE:COL: …`), grouped by the
/// targets that can see them: one loom run per group.
pub fn groups(names: &[String], all: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let mut by_targets: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for n in names {
        let file = n.split(':').next().unwrap_or("");
        by_targets
            .entry(targets_for(file, all))
            .or_default()
            .push(n.clone());
    }
    by_targets.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<String> {
        [
            "loom_stacks",
            "loom_mutants",
            "loom_ring",
            "loom_pool",
            "loom_tls",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn each_area_runs_the_models_of_the_areas_that_use_it() {
        let a = all();
        assert_eq!(
            targets_for("src/ring/wake.rs", &a),
            ["loom_mutants", "loom_ring"]
        );
        assert_eq!(
            targets_for("src/tls/cache.rs", &a),
            ["loom_mutants", "loom_pool", "loom_tls"]
        );
        assert_eq!(
            targets_for("src/counters/mod.rs", &a),
            ["loom_mutants", "loom_pool", "loom_tls"]
        );
        assert_eq!(
            targets_for("src/stack/tagged.rs", &a),
            ["loom_stacks", "loom_mutants", "loom_pool", "loom_tls"]
        );
        for everything in ["src/sync/model.rs", "src/lib.rs", "src/compat/mod.rs"] {
            assert_eq!(targets_for(everything, &a), a, "{everything}");
        }
        let without_ring: Vec<String> = a.iter().filter(|t| *t != "loom_ring").cloned().collect();
        assert_eq!(targets_for("src/ring/pool.rs", &without_ring), without_ring);
    }

    #[test]
    fn each_group_runs_the_ordering_rows_of_its_targets() {
        let a = all();
        assert_eq!(
            matrix_set(&targets_for("src/ring/wake.rs", &a)),
            "behaviour,ring"
        );
        assert_eq!(
            matrix_set(&targets_for("src/tls/cache.rs", &a)),
            "behaviour,tls"
        );
        assert_eq!(
            matrix_set(&a),
            "behaviour,ring,tagged,epoch,pointer_node,tls"
        );
    }

    #[test]
    fn mutants_are_grouped_by_their_targets() {
        let names = [
            "src/ring/wake.rs:62:9: replace Wake::announce -> bool with true",
            "src/sync/cell.rs:1:1: replace x with ()",
            "src/ring/storage.rs:99:9: replace Region::on_hand_out with ()",
        ]
        .map(String::from);
        let g = groups(&names, &all());
        assert_eq!(g.len(), 2);
        let ring = g.iter().find(|(t, _)| t.len() == 2).unwrap();
        assert_eq!(ring.1, [names[0].clone(), names[2].clone()]);
        let rest = g.iter().find(|(t, _)| t.len() == 5).unwrap();
        assert_eq!(rest.1, [names[1].clone()]);
    }

    /// The area of `lib.rs`' `pub use AREA::{…, name, …};`, if `name` is
    /// one of the crate root's re-exports.
    fn reexported_from<'a>(lib: &'a str, name: &str) -> Option<&'a str> {
        lib.lines().find_map(|l| {
            let (area, names) = l.strip_prefix("pub use ")?.split_once("::")?;
            let names = names.trim_matches(|c: char| "{};".contains(c));
            names.split(',').any(|n| n.trim() == name).then_some(area)
        })
    }

    /// The uses above are the sources' own: every `crate::X` in an area's
    /// files names an area it lists (or `sync`, listed by all), and every
    /// target named exists in Cargo.toml.
    #[test]
    fn the_areas_match_the_sources_and_the_manifest() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
        let targets = crate::mutants::loom_targets(&manifest);
        let lib = std::fs::read_to_string(format!("{root}/src/lib.rs")).unwrap();
        for a in AREAS {
            if let Some(t) = a.target {
                assert!(targets.iter().any(|x| x == t), "{t} is not in Cargo.toml");
            }
            let dir = format!("{root}/src/{}", a.dir);
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices("crate::") {
                    let name: String = text[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let used = reexported_from(&lib, &name).unwrap_or(&name);
                    assert!(
                        used == a.dir || a.uses.contains(&used),
                        "{} uses crate::{used}, which the area {:?} does not list",
                        path.display(),
                        a.dir
                    );
                }
            }
        }
        assert!(targets.iter().any(|t| t == MATRIX));
        // Every ordering row of the matrix is some target's, and no other.
        let matrix = std::fs::read_to_string(format!("{root}/models/loom_mutants.rs")).unwrap();
        // `mutant("site", "algo", model)`, on one line or several; the
        // behaviour rows name their site by a constant.
        let mut rows: Vec<&str> = matrix
            .split("mutant(")
            .skip(1)
            .filter(|args| args.trim_start().starts_with('"'))
            .filter_map(|args| args.split('"').nth(3))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        let mut ours: Vec<&str> = ORDERING_ROWS
            .iter()
            .flat_map(|(_, r)| r.iter().copied())
            .collect();
        ours.sort_unstable();
        assert_eq!(rows, ours, "models/loom_mutants.rs' ordering rows");
        for (t, _) in ORDERING_ROWS {
            assert!(targets.iter().any(|x| x == t), "{t} is not in Cargo.toml");
        }
    }
}
