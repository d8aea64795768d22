//! SPIN's units of work: each `proofs/run` configuration is one
//! (`proofs/run (SPIN): NAME`), so `--shard K/N` shares the SPIN work out
//! by configuration; a shard runs its configurations in one `proofs/run
//! --only` call writing one JSON, and `--merge` adds the configurations'
//! cells up as one unsharded `proofs/run` would have written them.

use std::process::Command;

/// The unit of work of the configuration `name`.
pub fn unit(name: &str) -> String {
    format!("proofs/run (SPIN): {name}")
}

/// The configurations' names, as `proofs/run --list` prints them.
pub fn configurations() -> Result<Vec<String>, String> {
    let out = Command::new("proofs/run")
        .arg("--list")
        .output()
        .map_err(|e| format!("cannot run proofs/run --list: {e}"))?;
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if !out.status.success() || names.is_empty() {
        return Err(format!(
            "proofs/run --list {} with {} configurations",
            out.status,
            names.len()
        ));
    }
    Ok(names)
}

/// What a shard runs of `all`, given which of them are its own: `None`,
/// nothing; `Some(None)`, every configuration (no filter); `Some(Some(re))`,
/// `proofs/run --only re`, which matches exactly the shard's names.
pub fn only_filter(all: &[String], mine: impl Fn(&str) -> bool) -> Option<Option<String>> {
    let picked: Vec<&str> = all.iter().map(String::as_str).filter(|n| mine(n)).collect();
    match picked.len() {
        0 => None,
        n if n == all.len() => Some(None),
        _ => Some(Some(format!("^({})$", picked.join("|")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partial::shard_of;

    fn names() -> Vec<String> {
        ["tagged_safe", "tagged_3threads", "ring_sc", "tls_mixed"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn every_configuration_runs_in_exactly_one_shard() {
        let all = names();
        for n in 1..=4 {
            let mut ran = Vec::new();
            for k in 1..=n {
                let filter = only_filter(&all, |c| shard_of(&unit(c), n) == k);
                match filter {
                    None => {}
                    Some(None) => ran.extend(all.iter().cloned()),
                    Some(Some(re)) => {
                        let inner = re.strip_prefix("^(").and_then(|r| r.strip_suffix(")$"));
                        ran.extend(inner.unwrap().split('|').map(String::from));
                    }
                }
            }
            ran.sort();
            let mut want = all.clone();
            want.sort();
            assert_eq!(ran, want, "{n} shards");
        }
    }

    #[test]
    fn unsharded_runs_without_a_filter() {
        assert_eq!(only_filter(&names(), |_| true), Some(None));
        assert_eq!(only_filter(&names(), |_| false), None);
        assert_eq!(
            only_filter(&names(), |c| c.starts_with("tagged")),
            Some(Some("^(tagged_safe|tagged_3threads)$".into()))
        );
        assert_eq!(crate::share::tier_of(&unit("ring_sc")), "spin");
    }

    #[test]
    fn proofs_run_lists_its_configurations() {
        // From the repository root, as `verify` runs it.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = Command::new(root.join("proofs/run"))
            .arg("--list")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let listed: Vec<&str> = text.lines().collect();
        assert!(listed.contains(&"tagged_safe") && listed.contains(&"ring_wait_fences"));
        assert!(listed.iter().all(|n| !n.contains('|') && !n.is_empty()));
    }
}
