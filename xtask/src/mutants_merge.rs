//! `cargo xtask mutants --merge FILE...`: one campaign's report from the
//! `mutants.json` of its shards (a CI matrix runs one shard per machine).
//! A mutant is known across commits by its [`identity`]: its name without
//! line and column, and the lines its diff changes. A mutant in more than
//! one file (shards of different commits overlap where an edit moved the
//! list) keeps the verdict of the file named last;
//! equivalents are read again from today's DESIGN.md, so a mutant listed
//! after its shard ran counts as equivalent.

use crate::json::Json;
use crate::mutants_report::{
    Equivalent, Mutant, Verdict, changed_lines, equivalent_reason, stable_name,
};

/// One shard's report, as `to_json` wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shard {
    /// What the run covered (`shard 3/20 at abc1234`).
    pub scope: String,
    /// Its wall time.
    pub seconds: f64,
    /// Its verdicts.
    pub mutants: Vec<Mutant>,
}

/// The stage names `Mutant::by` takes (they are `&'static`).
const STAGES: [&str; 5] = [
    "std tests",
    "contention-stats tests",
    "std + contention-stats tests",
    "loom tier",
    "std tests + loom tier",
];

/// Reads a `mutants.json`.
pub fn read_shard(text: &str) -> Result<Shard, String> {
    let doc = Json::parse(text)?;
    let outcomes = doc.get("outcomes");
    if !matches!(outcomes, Json::Arr(_)) {
        return Err("no \"outcomes\" array: not a mutants.json".into());
    }
    let mutants = outcomes
        .items()
        .iter()
        .map(|o| {
            let name = o.get("name").str().to_string();
            let verdict = Verdict::of_word(o.get("verdict").str())
                .ok_or_else(|| format!("{name}: unknown verdict {:?}", o.get("verdict").str()))?;
            let by = STAGES
                .into_iter()
                .find(|s| *s == o.get("by").str())
                .ok_or_else(|| format!("{name}: unknown stage {:?}", o.get("by").str()))?;
            Ok(Mutant {
                name,
                verdict,
                by,
                failed: o.get("failed_tests").str_list(),
                diff: o.get("diff").str().to_string(),
                equivalent: None,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Shard {
        scope: doc.get("scope").str().to_string(),
        seconds: doc.get("seconds").num(),
        mutants,
    })
}

/// A mutant's identity across commits: its name without line and column,
/// then the lines its diff removes and adds (trimmed). The name alone is
/// not enough: one function often has the same replacement on two lines
/// (`replace - with +` in two expressions), and those are two mutants. A
/// mutant that only moved keeps its identity.
pub fn identity(name: &str, diff: &str) -> String {
    let changed: Vec<&str> = changed_lines(diff).map(|(_, line)| line).collect();
    format!("{}\n{}", stable_name(name), changed.join("\n"))
}

/// What a merge found besides the report.
#[derive(Debug, Default, PartialEq)]
pub struct Coverage {
    /// Mutants of the shards no longer in today's list (their code changed).
    pub gone: usize,
    /// Names of mutants in today's list that no shard tested.
    pub untested: Vec<String>,
}

/// The shards as one report: every mutant once (the last shard naming it
/// decides), equivalents marked from `equivalent`; the scope lists the
/// shards, the time is their sum. With `today` (cargo-mutants' list for
/// the current tree, as (name, diff)), a mutant not in it is left out: the
/// code it mutated has changed since its shard ran; and today's mutants no
/// shard tested are listed, so a campaign shows whether it is complete.
pub fn merge(
    shards: &[Shard],
    equivalent: &[Equivalent],
    today: Option<&[(String, String)]>,
) -> (Shard, Coverage) {
    let today: Option<Vec<(String, &str)>> = today.map(|t| {
        t.iter()
            .map(|(name, diff)| (identity(name, diff), name.as_str()))
            .collect()
    });
    let mut mutants: Vec<(String, Mutant)> = Vec::new();
    let mut gone = Vec::new();
    for m in shards.iter().flat_map(|s| &s.mutants) {
        let id = identity(&m.name, &m.diff);
        mutants.retain(|(old, _)| *old != id);
        if today
            .as_ref()
            .is_some_and(|t| !t.iter().any(|(i, _)| *i == id))
        {
            gone.push(id);
            continue;
        }
        gone.retain(|g| *g != id);
        let mut m = m.clone();
        m.equivalent = (m.verdict == Verdict::Missed)
            .then(|| equivalent_reason(equivalent, &m.name, &m.diff))
            .flatten();
        mutants.push((id, m));
    }
    let untested = today
        .iter()
        .flatten()
        .filter(|(i, _)| !mutants.iter().any(|(id, _)| id == i))
        .map(|(_, name)| name.to_string())
        .collect();
    let mut mutants: Vec<Mutant> = mutants.into_iter().map(|(_, m)| m).collect();
    mutants.sort_by_key(|m| by_position(&m.name));
    let scopes: Vec<&str> = shards.iter().map(|s| s.scope.as_str()).collect();
    let merged = Shard {
        scope: format!("merged: {}", scopes.join("; ")),
        seconds: shards.iter().map(|s| s.seconds).sum(),
        mutants,
    };
    let coverage = Coverage {
        gone: gone.len(),
        untested,
    };
    (merged, coverage)
}

/// File, then line and column as numbers, then the rest of the name.
fn by_position(name: &str) -> (String, u64, u64, String) {
    let mut parts = name.splitn(4, ':');
    let file = parts.next().unwrap_or_default().to_string();
    let mut num = || parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let (line, col) = (num(), num());
    (file, line, col, name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutants_report::{to_json, totals};

    fn mutant(name: &str, verdict: Verdict, by: &'static str) -> Mutant {
        Mutant {
            name: name.into(),
            verdict,
            by,
            failed: if verdict == Verdict::Caught {
                vec!["t".into()]
            } else {
                vec![]
            },
            diff: "--- a\n".into(),
            equivalent: None,
        }
    }

    fn shard(scope: &str, ms: Vec<Mutant>) -> Shard {
        read_shard(&to_json(&ms, scope, 10.0).write()).unwrap()
    }

    #[test]
    fn a_shard_reads_back_as_written() {
        let ms = vec![
            mutant(
                "src/a.rs:3:1: replace f with ()",
                Verdict::Caught,
                "loom tier",
            ),
            mutant(
                "src/a.rs:9:2: replace g -> bool with true",
                Verdict::Missed,
                "std tests + loom tier",
            ),
        ];
        let s = shard("shard 1/2 at abc", ms.clone());
        assert_eq!((s.scope.as_str(), s.seconds), ("shard 1/2 at abc", 10.0));
        assert_eq!(s.mutants, ms);
        assert!(read_shard("{}").unwrap_err().contains("outcomes"));
        let odd = to_json(&ms, "s", 1.0)
            .write()
            .replace("loom tier", "a guess");
        assert!(read_shard(&odd).unwrap_err().contains("unknown stage"));
    }

    /// Two mutants of one function with the same replacement on two lines
    /// are two mutants; each keeps its identity when an edit moves it.
    #[test]
    fn same_named_mutants_on_two_lines_stay_two() {
        let diff = |removed: &str, added: &str| {
            format!(
                "--- src/a.rs\n+++ replace - with +\n@@ -1,3 +1,3 @@\n ctx\n-{removed}\n+{added}\n ctx\n"
            )
        };
        let at = |line: u32, d: String, verdict| Mutant {
            diff: d,
            ..mutant(
                &format!("src/a.rs:{line}:9: replace - with + in f"),
                verdict,
                "std tests",
            )
        };
        let first = || diff("    a - b", "    a + b");
        let second = || diff("    c - d", "    c + d");
        let old = shard(
            "shard 1/1 at abc",
            vec![
                at(10, first(), Verdict::Missed),
                at(11, second(), Verdict::Caught),
            ],
        );
        let (all, _) = merge(std::slice::from_ref(&old), &[], None);
        assert_eq!(totals(&all.mutants), [1, 1, 0, 0, 0], "both kept");
        // Later, two lines lower: the miss is rechecked and caught.
        let recheck = shard("recheck at def", vec![at(12, first(), Verdict::Caught)]);
        let today = [
            ("src/a.rs:12:9: replace - with + in f".to_string(), first()),
            ("src/a.rs:13:9: replace - with + in f".to_string(), second()),
        ];
        let (all, coverage) = merge(&[old, recheck], &[], Some(&today));
        assert_eq!(totals(&all.mutants), [2, 0, 0, 0, 0]);
        assert_eq!(coverage, Coverage::default());
    }

    #[test]
    fn shards_merge_into_one_campaign() {
        let one = shard(
            "shard 1/2 at abc",
            vec![
                mutant(
                    "src/b.rs:1:1: replace h with ()",
                    Verdict::Caught,
                    "std tests",
                ),
                mutant(
                    "src/a.rs:10:1: replace f with ()",
                    Verdict::Missed,
                    "std tests",
                ),
                mutant(
                    "src/a.rs:20:1: replace g with ()",
                    Verdict::Missed,
                    "std tests",
                ),
            ],
        );
        // The same `f` two lines lower in a later commit, now caught.
        let two = shard(
            "shard 2/2 at def",
            vec![
                mutant(
                    "src/a.rs:12:1: replace f with ()",
                    Verdict::Caught,
                    "loom tier",
                ),
                mutant(
                    "src/a.rs:9:1: replace e with ()",
                    Verdict::Unviable,
                    "std tests",
                ),
            ],
        );
        let eq = [Equivalent {
            name: "src/a.rs: replace g with ()".into(),
            line: None,
            reason: "why".into(),
        }];
        let (all, coverage) = merge(&[one.clone(), two.clone()], &eq, None);
        assert_eq!(coverage, Coverage::default());
        assert_eq!(all.scope, "merged: shard 1/2 at abc; shard 2/2 at def");
        assert_eq!(all.seconds, 20.0);
        let names: Vec<&str> = all.mutants.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "src/a.rs:9:1: replace e with ()",
                "src/a.rs:12:1: replace f with ()",
                "src/a.rs:20:1: replace g with ()",
                "src/b.rs:1:1: replace h with ()",
            ]
        );
        assert_eq!(all.mutants[1].by, "loom tier");
        assert_eq!(all.mutants[2].equivalent.as_deref(), Some("why"));
        assert_eq!(totals(&all.mutants), [2, 0, 1, 0, 1]);
        // `g` and `h` no longer exist in today's tree (lines differ: no
        // matter); `k` is new, and no shard has tested it.
        let today = [
            "src/a.rs:7:1: replace e with ()",
            "src/a.rs:15:1: replace f with ()",
            "src/a.rs:30:1: replace k with ()",
        ]
        .map(|n| (n.to_string(), "--- a\n".to_string()));
        let (now, coverage) = merge(&[one, two], &eq, Some(&today));
        assert_eq!(coverage.gone, 2);
        assert_eq!(coverage.untested, ["src/a.rs:30:1: replace k with ()"]);
        let names: Vec<&str> = now.mutants.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "src/a.rs:9:1: replace e with ()",
                "src/a.rs:12:1: replace f with ()"
            ]
        );
    }
}
