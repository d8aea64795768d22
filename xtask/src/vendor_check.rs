//! `cargo xtask vendor --check DEST`: the manifest a vendored crate
//! carries (`VENDORED.toml`: the upstream version and commit, each file's
//! SHA-256 and where it came from) and the check that names every file
//! changed, missing or added since.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use sha2::{Digest, Sha256};

/// The manifest's name in DEST.
pub const MANIFEST: &str = "VENDORED.toml";

/// The SHA-256 of `bytes`, in hex.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// One file of a vendored crate, as the manifest lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its path in DEST.
    pub path: String,
    /// Its SHA-256 as written.
    pub sha256: String,
    /// The SHA-256 of the upstream file it came from (equal if copied).
    pub upstream: Option<String>,
}

/// The manifest: the upstream version, then one `[[file]]` per file.
pub fn manifest_text(key: &str, version: &str, commit: &str, entries: &[Entry]) -> String {
    let mut s = format!(
        "# Written by `cargo xtask vendor {key}`. `cargo xtask vendor --check DIR`\n\
         # names every file whose SHA-256 no longer matches.\n\
         algorithm = \"{key}\"\n\
         upstream = \"{version}\"\n\
         commit = \"{commit}\"\n"
    );
    for e in entries {
        let _ = write!(
            s,
            "\n[[file]]\npath = \"{}\"\nsha256 = \"{}\"\n",
            e.path, e.sha256
        );
        match &e.upstream {
            Some(u) if *u == e.sha256 => s.push_str("from = \"copied\"\n"),
            Some(u) => {
                let _ = writeln!(s, "from = \"pruned\"\nupstream_sha256 = \"{u}\"");
            }
            None => s.push_str("from = \"generated\"\n"),
        }
    }
    s
}

/// The `[[file]]` entries of a manifest.
pub fn parse_manifest(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        if t == "[[file]]" {
            entries.push(Entry {
                path: String::new(),
                sha256: String::new(),
                upstream: None,
            });
            continue;
        }
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        match (entries.last_mut(), k.trim()) {
            (Some(e), "path") => e.path = v,
            (Some(e), "sha256") => e.sha256 = v,
            (Some(e), "upstream_sha256") => e.upstream = Some(v),
            (Some(e), "from") if v == "copied" => e.upstream = Some(e.sha256.clone()),
            (Some(_), "from") | (None, _) => {}
            (Some(_), other) => return Err(format!("line {}: unknown key {other:?}", n + 1)),
        }
    }
    if let Some(e) = entries
        .iter()
        .find(|e| e.path.is_empty() || e.sha256.len() != 64)
    {
        return Err(format!("an entry lacks a path or a SHA-256: {e:?}"));
    }
    if entries.is_empty() {
        return Err("no [[file]] entries".into());
    }
    Ok(entries)
}

/// What `--check` found wrong with one file.
pub fn differences(dest: &Path, entries: &[Entry]) -> Vec<String> {
    let mut bad = Vec::new();
    for e in entries {
        match std::fs::read(dest.join(&e.path)) {
            Ok(bytes) if sha256(&bytes) == e.sha256 => {}
            Ok(_) => bad.push(format!("{}: changed since it was vendored", e.path)),
            Err(_) => bad.push(format!("{}: missing", e.path)),
        }
    }
    for extra in rust_files(dest, dest) {
        if !entries.iter().any(|e| e.path == extra) {
            bad.push(format!("{extra}: not vendored (added since)"));
        }
    }
    bad
}

/// The `.rs` files under DEST's `src/` and `models/`, relative to DEST.
fn rust_files(root: &Path, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .unwrap_or(&p)
            .to_string_lossy()
            .to_string();
        if p.is_dir() {
            if dir != root || rel == "src" || rel == "models" {
                out.extend(rust_files(root, &p));
            }
        } else if dir != root && rel.ends_with(".rs") {
            out.push(rel);
        }
    }
    out.sort();
    out
}

/// `vendor --check DEST`.
pub fn check(dest: &Path) -> Result<ExitCode, String> {
    let path = dest.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let entries = parse_manifest(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = differences(dest, &entries);
    if bad.is_empty() {
        println!(
            "{}: all {} vendored files match {MANIFEST}",
            dest.display(),
            entries.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for b in &bad {
        println!("{}: {b}", dest.display());
    }
    println!(
        "{} of {} vendored files differ from {MANIFEST}",
        bad.len(),
        entries.len()
    );
    Ok(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_reads_back_and_check_names_the_changed_file() {
        let dir = std::env::temp_dir().join(format!("xtask-vendor-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/a.rs"), "fn a() {}\n").unwrap();
        std::fs::write(dir.join("src/b.rs"), "fn b() {}\n").unwrap();
        let entries: Vec<Entry> = ["src/a.rs", "src/b.rs"]
            .iter()
            .map(|p| {
                let h = sha256(&std::fs::read(dir.join(p)).unwrap());
                Entry {
                    path: p.to_string(),
                    sha256: h.clone(),
                    upstream: Some(h),
                }
            })
            .collect();
        let text = manifest_text("tagged", "verified-pools 0.1.0", "abc", &entries);
        assert_eq!(parse_manifest(&text).unwrap(), entries);
        assert!(differences(&dir, &entries).is_empty());
        std::fs::write(dir.join("src/b.rs"), "fn b() { 1; }\n").unwrap();
        std::fs::write(dir.join("src/c.rs"), "\n").unwrap();
        assert_eq!(
            differences(&dir, &entries),
            [
                "src/b.rs: changed since it was vendored",
                "src/c.rs: not vendored (added since)"
            ]
        );
        std::fs::remove_file(dir.join("src/a.rs")).unwrap();
        assert_eq!(differences(&dir, &entries)[0], "src/a.rs: missing");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
