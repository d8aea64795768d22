//! `.github/workflows/verify.yml` names only commands `.ci/run` runs.
//!
//! Both files are cut into simple commands: continuation lines joined,
//! `&&`, `||` and `;` split, shell keywords (`if`, `then`, `!`, …) and
//! `sudo` dropped, whitespace collapsed. A workflow command's
//! `${{ matrix.X }}` stands for each value of the job's matrix `X`, and its
//! `--deep` is dropped: the deep jobs run `.ci/run`'s commands at the deep
//! bounds, which `.ci/run` cannot afford.

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

/// The simple commands of a shell text.
pub fn shell_commands(text: &str) -> Vec<String> {
    let joined = text.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        for part in line
            .split("&&")
            .flat_map(|p| p.split("||"))
            .flat_map(|p| p.split(';'))
        {
            let mut words: Vec<&str> = part.split_whitespace().collect();
            while let Some(w) = words.first() {
                if ["if", "then", "else", "do", "!", "{", "sudo", "elif"].contains(w) {
                    words.remove(0);
                } else {
                    break;
                }
            }
            if !words.is_empty() {
                out.push(words.join(" "));
            }
        }
    }
    out
}

/// Every `run:` of the workflow as simple commands, matrix values filled
/// in and `--deep` dropped; an error for an expression it cannot expand.
pub fn workflow_commands(yaml: &str) -> Result<Vec<(String, String)>, String> {
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| e.to_string())?;
    let doc = docs.first().ok_or("empty workflow")?;
    let jobs = doc["jobs"].as_hash().ok_or("no jobs")?;
    let mut out = Vec::new();
    for (name, job) in jobs {
        let name = name.as_str().unwrap_or("?").to_string();
        let matrix = &job["strategy"]["matrix"];
        for step in job["steps"]
            .as_vec()
            .ok_or(format!("job {name}: no steps"))?
        {
            let Some(run) = step["run"].as_str() else {
                continue;
            };
            for cmd in shell_commands(run) {
                for expanded in expand(&cmd, matrix).map_err(|e| format!("job {name}: {e}"))? {
                    let words: Vec<&str> = expanded
                        .split_whitespace()
                        .filter(|w| *w != "--deep")
                        .collect();
                    out.push((name.clone(), words.join(" ")));
                }
            }
        }
    }
    Ok(out)
}

/// `cmd` with its first `${{ matrix.X }}` replaced by each value of X (and
/// so on for the rest).
fn expand(cmd: &str, matrix: &Yaml) -> Result<Vec<String>, String> {
    let Some(start) = cmd.find("${{") else {
        return Ok(vec![cmd.to_string()]);
    };
    let end = cmd[start..]
        .find("}}")
        .map(|e| start + e + 2)
        .ok_or(format!("unclosed expression in {cmd:?}"))?;
    let expr = cmd[start + 3..end - 2].trim();
    let key = expr
        .strip_prefix("matrix.")
        .ok_or(format!("{cmd:?}: only ${{{{ matrix.X }}}} can be expanded"))?;
    let values = matrix[key]
        .as_vec()
        .ok_or(format!("{cmd:?}: the job has no matrix {key}"))?;
    let mut out = Vec::new();
    for v in values {
        let v = match v {
            Yaml::String(s) => s.clone(),
            Yaml::Integer(i) => i.to_string(),
            other => return Err(format!("matrix {key}: unsupported value {other:?}")),
        };
        let filled = format!("{}{v}{}", &cmd[..start], &cmd[end..]);
        out.extend(expand(&filled, matrix)?);
    }
    Ok(out)
}

/// The workflow commands `.ci/run` does not run, as `job: command`.
pub fn not_in_ci(yaml: &str, ci_run: &str) -> Result<Vec<String>, String> {
    let ci: BTreeSet<String> = shell_commands(ci_run).into_iter().collect();
    Ok(workflow_commands(yaml)?
        .into_iter()
        .filter(|(_, c)| !ci.contains(c))
        .map(|(j, c)| format!("{j}: {c}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn repo_file(path: &str) -> String {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn workflow_commands_are_ones_ci_runs() {
        let yaml = repo_file(".github/workflows/verify.yml");
        let ci = repo_file(".ci/run");
        assert_eq!(not_in_ci(&yaml, &ci), Ok(Vec::new()));
        let cmds = workflow_commands(&yaml).unwrap();
        let jobs: BTreeSet<&str> = cmds.iter().map(|(j, _)| j.as_str()).collect();
        for job in [
            "test",
            "loom",
            "shuttle",
            "spin",
            "sanitizers",
            "tsan",
            "evidence",
            "deep",
        ] {
            assert!(jobs.contains(job), "no job {job} runs a command");
        }
        let has = |job: &str, c: &str| cmds.iter().any(|(j, x)| j == job && x == c);
        for tier in crate::share::TIERS {
            let c = format!("cargo xtask verify --shard {tier}");
            assert!(has(tier, &c), "job {tier} does not run {c}");
            assert!(has("deep", &c), "the deep matrix lacks {tier}");
        }
        assert!(has("tsan", "xtask/tsan-toolchain --run"));
        for job in ["evidence", "deep-evidence"] {
            assert!(has(job, "cargo xtask verify --merge target/verify"));
            assert!(has(
                job,
                "cat target/verify/report.md >> \"$GITHUB_STEP_SUMMARY\""
            ));
        }
        for needed in [
            "Swatinem/rust-cache",
            "actions/upload-artifact",
            "target/verify/report.md",
            "target/verify/report.json",
        ] {
            assert!(yaml.contains(needed), "the workflow lacks {needed}");
        }
    }

    #[test]
    fn a_command_ci_does_not_run_is_named() {
        let yaml = "\
jobs:
  a:
    strategy:
      matrix:
        k: [1, 2]
    steps:
      - uses: actions/checkout@v4
      - run: |
          cargo xtask verify --deep --shard ${{ matrix.k }}/2 \\
            --jobs 1
          sudo apt-get install -y spin && cargo test
";
        let ci = "#!/bin/sh\nset -e\ncargo xtask verify --shard 1/2 --jobs 1\nif ! command -v spin; then\n  apt-get install -y spin\nfi\n";
        assert_eq!(
            not_in_ci(yaml, ci),
            Ok(vec![
                "a: cargo xtask verify --shard 2/2 --jobs 1".to_string(),
                "a: cargo test".to_string()
            ])
        );
        let bad = "jobs:\n  a:\n    steps:\n      - run: echo ${{ secrets.X }}\n";
        assert!(not_in_ci(bad, ci).unwrap_err().contains("matrix"));
    }
}
