//! Reading what the tools print: `evidence:` lines, libtest's results, and
//! the `[[test]]` targets of Cargo.toml.

use std::collections::BTreeMap;
use std::path::Path;

/// One `evidence: checker=… algo=… scenario=… result=… k=v … secs=…` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Every `key=value` on the line.
    pub fields: BTreeMap<String, String>,
    /// The test that printed it (from libtest's `test NAME ...`), if known.
    pub test: Option<String>,
    /// The `[[test]]` target that printed it.
    pub target: String,
    /// The last shuttle schedule printed before it in the same test, if any.
    pub schedule: Option<String>,
}

impl Evidence {
    /// A field, or "".
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map(String::as_str).unwrap_or("")
    }

    /// A numeric field, or 0.
    pub fn num(&self, key: &str) -> u64 {
        self.get(key).parse().unwrap_or(0)
    }
}

/// The result of one libtest test.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// Its name (module path inside the target).
    pub name: String,
    /// `ok`, `FAILED` or `ignored`.
    pub result: String,
    /// For a failure: the panic location and first lines of its message.
    pub message: String,
}

/// Everything one target's run printed, parsed.
#[derive(Debug, Default, Clone)]
pub struct TestOutput {
    /// Per-test results, in order.
    pub tests: Vec<TestResult>,
    /// The evidence lines.
    pub evidence: Vec<Evidence>,
    /// Whether a `test result:` line was seen at all (the binary ran).
    pub summary_seen: bool,
}

impl TestOutput {
    /// Tests that failed.
    pub fn failed(&self) -> impl Iterator<Item = &TestResult> {
        self.tests.iter().filter(|t| t.result == "FAILED")
    }

    /// Tests that passed.
    pub fn passed(&self) -> impl Iterator<Item = &TestResult> {
        self.tests.iter().filter(|t| t.result == "ok")
    }
}

/// Parses libtest output (captured or `--nocapture`, one target or a whole
/// `cargo test` run). `target_of` is called with the target name of each
/// `Running …` line; results are grouped by target name.
pub fn libtest(text: &str, default_target: &str) -> BTreeMap<String, TestOutput> {
    let mut out: BTreeMap<String, TestOutput> = BTreeMap::new();
    let mut target = default_target.to_string();
    let mut pending: Option<String> = None;
    let mut schedule: Option<String> = None;
    let mut in_schedule = false;
    let mut panics: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        // `     Running tests/foo.rs (target/debug/deps/foo-123)`,
        // `   Doc-tests verified_pools`, `     Running unittests src/lib.rs (…)`.
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            target = target_name(rest);
            pending = None;
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("Doc-tests ") {
            target = format!("doctests:{rest}");
            pending = None;
            continue;
        }
        let entry = out.entry(target.clone()).or_default();
        if trimmed.starts_with("test result:") {
            entry.summary_seen = true;
            pending = None;
            continue;
        }
        let mut rest_of_line = line;
        if let Some(after) = line.strip_prefix("test ")
            && let Some((name, rest)) = after.split_once(" ... ")
        {
            let name = name.trim().to_string();
            schedule = None;
            let word = rest.trim();
            let result = ["ok", "FAILED", "ignored"]
                .into_iter()
                .find(|w| word == *w || word.starts_with(&format!("{w},")));
            if let Some(result) = result {
                entry.tests.push(TestResult {
                    name,
                    result: result.into(),
                    message: String::new(),
                });
                pending = None;
                continue;
            }
            if word.starts_with("ignored") {
                entry.tests.push(TestResult {
                    name,
                    result: "ignored".into(),
                    message: String::new(),
                });
                continue;
            }
            pending = Some(name);
            rest_of_line = rest;
        }
        if let (Some(name), "ok" | "FAILED") = (&pending, trimmed) {
            entry.tests.push(TestResult {
                name: name.clone(),
                result: trimmed.into(),
                message: String::new(),
            });
            pending = None;
            continue;
        }
        // shuttle 0.9: `failing schedule:`, `"`, the schedule, `"`.
        if trimmed == "failing schedule:" {
            in_schedule = true;
            continue;
        }
        if in_schedule {
            if trimmed == "\"" {
                continue;
            }
            in_schedule = false;
            if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_alphanumeric()) {
                schedule = Some(trimmed.to_string());
                continue;
            }
        }
        if let Some(i) = rest_of_line.find("schedule: \"") {
            let s = &rest_of_line[i + 11..];
            schedule = s.split('"').next().map(str::to_string);
        }
        if let Some(i) = rest_of_line.find("evidence: ") {
            let fields = rest_of_line[i + 10..]
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            entry.evidence.push(Evidence {
                fields,
                test: pending.clone(),
                target: target.clone(),
                schedule: schedule.clone(),
            });
            continue;
        }
        // `thread 'name' panicked at src/x.rs:1:2:` then the message.
        if let Some(after) = trimmed.strip_prefix("thread '")
            && let Some((thread, rest)) = after.split_once('\'')
            && rest.contains("panicked at")
        {
            let location = rest
                .split_once("panicked at ")
                .map(|(_, l)| l.trim_end_matches(':'))
                .unwrap_or("");
            // A dependency's path from its crate directory on.
            let location = match location.find("/registry/src/") {
                Some(i) => location[i + 14..]
                    .split_once('/')
                    .map_or(location, |(_, l)| l),
                None => location,
            };
            let mut message = String::new();
            while let Some(next) = lines.peek() {
                let n = next.trim();
                if n.is_empty() || n.starts_with("note:") || n.starts_with("stack backtrace") {
                    break;
                }
                if message.len() < 300 {
                    if !message.is_empty() {
                        message.push(' ');
                    }
                    message.push_str(n);
                }
                lines.next();
            }
            let key = (target.clone(), thread.to_string());
            panics
                .entry(key)
                .or_insert(format!("{message} (at {location})"));
        }
    }
    // Attach panic messages to failed tests (libtest names the thread after
    // the test).
    for (target, output) in out.iter_mut() {
        for t in output.tests.iter_mut().filter(|t| t.result == "FAILED") {
            if let Some(m) = panics.get(&(target.clone(), t.name.clone())) {
                t.message = m.clone();
            }
        }
    }
    out.retain(|_, o| !o.tests.is_empty() || !o.evidence.is_empty() || o.summary_seen);
    out
}

/// `tests/foo.rs (target/debug/deps/foo-1a2b)` → `foo`;
/// `unittests src/lib.rs (…)` → `unittests`.
fn target_name(running: &str) -> String {
    let path = running.split(" (").next().unwrap_or(running).trim();
    if path.starts_with("unittests") {
        return "unittests".into();
    }
    if let Some(inner) = running.split(" (").nth(1) {
        let file = inner.trim_end_matches(')');
        let base = file.rsplit('/').next().unwrap_or(file);
        if let Some((name, hash)) = base.rsplit_once('-')
            && hash.chars().all(|c| c.is_ascii_hexdigit())
        {
            return name.to_string();
        }
    }
    Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// The names of the `[[test]]` targets in a Cargo.toml (a line scan: the
/// first `name = "…"` after each `[[test]]` header).
pub fn test_targets(cargo_toml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_test = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_test = line == "[[test]]";
            continue;
        }
        if in_test
            && let Some(v) = line.strip_prefix("name")
            && let Some(v) = v.trim_start().strip_prefix('=')
        {
            out.push(v.trim().trim_matches('"').to_string());
            in_test = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_after_test_name_in_nocapture_output() {
        let text = "     Running models/loom_stacks.rs (target/loom/release/deps/loom_stacks-0123abcd)\n\
            running 2 tests\n\
            test tagged_two_threads ... evidence: checker=loom algo=tagged scenario=two result=pass executions=12 preemptions=2 secs=0.10\n\
            ok\n\
            test neg ... Task failed, serializing schedule\n\
            failing schedule:\n\
            \"\n\
            91022bcfd2fa\n\
            \"\n\
            evidence: checker=shuttle-random algo=pointer-node-shared-pop scenario=x result=bug_found seed=0x5eed found=use-after-free secs=0.01\n\
            ok\n\
            test broken ... \n\
            thread 'broken' panicked at models/loom_stacks.rs:3:4:\n\
            loom found no bug\n\
            second line\n\
            \n\
            FAILED\n\
            \n\
            test result: FAILED. 2 passed; 1 failed; 0 ignored\n";
        let out = libtest(text, "x");
        let o = &out["loom_stacks"];
        assert_eq!(o.evidence.len(), 2);
        assert_eq!(o.evidence[0].test.as_deref(), Some("tagged_two_threads"));
        assert_eq!(o.evidence[0].num("executions"), 12);
        assert_eq!(o.evidence[1].get("result"), "bug_found");
        assert_eq!(o.evidence[1].schedule.as_deref(), Some("91022bcfd2fa"));
        assert_eq!(o.evidence[1].test.as_deref(), Some("neg"));
        assert_eq!(o.passed().count(), 2);
        let f: Vec<_> = o.failed().collect();
        assert_eq!(f.len(), 1);
        assert!(f[0].message.starts_with("loom found no bug second line"));
        assert!(o.summary_seen);
    }

    #[test]
    fn captured_results_grouped_by_target() {
        let text = "     Running tests/proptest_pool.rs (target/debug/deps/proptest_pool-99ff)\n\
            test a ... ok\ntest b ... ignored, slow\n\
            test result: ok. 1 passed\n\
               Doc-tests verified_pools\n\
            test src/lib.rs - (line 22) ... ok\n";
        let out = libtest(text, "x");
        assert_eq!(out["proptest_pool"].passed().count(), 1);
        assert_eq!(out["proptest_pool"].tests[1].result, "ignored");
        assert_eq!(out["doctests:verified_pools"].passed().count(), 1);
    }

    #[test]
    fn targets_from_cargo_toml() {
        let toml = "[package]\nname = \"p\"\n[[test]]\nname = \"loom_a\"\npath = \"x\"\n\n[[test]]\nname = \"shuttle_b\"\n";
        assert_eq!(test_targets(toml), ["loom_a", "shuttle_b"]);
    }
}
