//! `cargo xtask vendor ALGORITHM DEST` and `cargo xtask vendor --check DEST`.
//!
//! Writes one algorithm as a standalone crate that carries its proof: the
//! algorithm's files, the part of the shim they need, their scenarios and
//! models, `models/tier`, a `Cargo.toml` with the upstream dependency
//! versions (and the upstream `Cargo.lock`), and `VENDORED.toml`: every
//! written file's SHA-256, the upstream's, and the upstream version. The
//! copied files keep their upstream paths and bytes (the crate's library is
//! named `verified_pools`, so `crate::sync::…` and `verified_pools::…` paths
//! resolve unchanged); the glue files shared by every algorithm are
//! written with the other algorithms' items pruned (`prune.rs`), and the
//! crate root's docs replaced by a note of the source.
//! `--check` names every file that differs from the manifest.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::prune::prune;
use crate::vendor_check::{Entry, MANIFEST, check, manifest_text, sha256};
use crate::vendor_table::{
    ALGORITHMS, Algorithm, MODEL_DEPS, Pruned, ROOT_ONLY, Verbatim, files_of,
};

/// `--help` for `vendor`.
pub const USAGE: &str = "\
usage: cargo xtask vendor ALGORITHM DEST    (ALGORITHM: tagged, epoch, ring, pool, tls)
       cargo xtask vendor --check DEST

  Writes ALGORITHM's files, the part of the shim they need, its scenarios
  and models, models/tier, a Cargo.toml and VENDORED.toml (each file's
  SHA-256 and the upstream version) into DEST (empty or absent). In DEST:
  `cargo test`, `models/tier loom test --release --test 'loom_*' -- --nocapture`
  and the same for shuttle (see README.md, Vendoring).
  --check names every file in DEST that changed since; exits 1 if any.";

/// What `vendor` was asked to do.
#[derive(Debug, PartialEq)]
pub enum Request {
    /// Write ALGORITHM into DEST.
    Write(String, PathBuf),
    /// Check DEST against its manifest.
    Check(PathBuf),
    /// Print the usage.
    Help,
}

/// Parses the arguments after `vendor`.
pub fn parse(args: &[String]) -> Result<Request, String> {
    match args {
        [h] if h == "-h" || h == "--help" => Ok(Request::Help),
        [flag, dest] if flag == "--check" => Ok(Request::Check(dest.into())),
        [algo, dest] if !algo.starts_with('-') => Ok(Request::Write(algo.clone(), dest.into())),
        _ => Err("vendor needs ALGORITHM DEST or --check DEST".into()),
    }
}

/// Runs a request from the repository root; prints what it did.
pub fn run(req: &Request) -> ExitCode {
    let result = match req {
        Request::Write(algo, dest) => write(Path::new("."), algo, dest),
        Request::Check(dest) => check(dest),
        Request::Help => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask vendor: {e}");
            ExitCode::from(2)
        }
    }
}

/// The keys `vendor` accepts.
pub fn keys() -> Vec<&'static str> {
    ALGORITHMS.iter().map(|a| a.key).collect()
}

/// `git ARGS` in `root`: its trimmed output, or `None` if it failed.
pub fn git(root: &Path, args: &[&str]) -> Option<String> {
    Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// The upstream version: `verified-pools X.Y.Z` and the git commit
/// (`+dirty` if the work tree had changes).
fn upstream_version(root: &Path) -> (String, String) {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let version = package_field(&manifest, "version").unwrap_or_else(|| "unknown".into());
    let git = |args: &[&str]| git(root, args);
    let commit = match git(&["rev-parse", "HEAD"]) {
        Some(c) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{c}+dirty") } else { c }
        }
        None => "unknown (not a git checkout)".into(),
    };
    (format!("verified-pools {version}"), commit)
}

/// `key = "value"` in the `[package]` table.
fn package_field(manifest: &str, key: &str) -> Option<String> {
    section_line(manifest, "package", key).and_then(|l| {
        l.split_once('=')
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
    })
}

/// The line `name = …` in section `[section]` of a Cargo.toml.
fn section_line<'a>(manifest: &'a str, section: &str, name: &str) -> Option<&'a str> {
    let header = format!("[{section}]");
    let mut inside = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == header;
        } else if inside && t.split_once('=').is_some_and(|(k, _)| k.trim() == name) {
            return Some(t);
        }
    }
    None
}

/// The generated Cargo.toml.
fn cargo_toml(
    a: &Algorithm,
    upstream: &str,
    version: &str,
    commit: &str,
) -> Result<String, String> {
    let mut s = format!(
        "# Vendored from {version} (commit {commit}) by `cargo xtask vendor {key}`:\n\
         # the `{key}` algorithm, the part of the shim it needs, and its models.\n\
         # `cargo xtask vendor --check DIR` upstream checks nothing here changed.\n\
         #\n\
         #   cargo test           the std build: unit tests and doctests\n\
         #   models/tier loom test --release --test 'loom_*' -- --nocapture\n\
         #   models/tier shuttle test --release --test 'shuttle_*' -- --nocapture\n\
         #       the models (models/tier sets the cfg, target directory and bounds)\n\
         [package]\n\
         name = \"verified-pools-{key}\"\n\
         version = \"{v}\"\n\
         edition = \"2024\"\n\
         publish = false\n\
         autotests = false\n\
         license = \"MIT OR Apache-2.0\"\n\n\
         # The upstream crate's name, so the copied files' paths resolve.\n\
         [lib]\n\
         name = \"verified_pools\"\n\
         path = \"src/lib.rs\"\n",
        key = a.key,
        v = package_field(upstream, "version").unwrap_or_else(|| "0.0.0".into()),
    );
    let all: Vec<&(&str, &str)> = a.deps.iter().chain(MODEL_DEPS).collect();
    let mut sections: Vec<&str> = Vec::new();
    for (sec, _) in &all {
        if !sections.contains(sec) {
            sections.push(sec);
        }
    }
    for sec in sections {
        let _ = write!(s, "\n[{sec}]\n");
        for (_, name) in all.iter().filter(|(x, _)| *x == sec) {
            let line = section_line(upstream, sec, name)
                .ok_or_else(|| format!("Cargo.toml has no {name} in [{sec}]"))?;
            s.push_str(line);
            s.push('\n');
        }
        if sec.contains("cfg(loom)") {
            for (krate, feature) in a.loom_features {
                let version = section_line(upstream, "dependencies", krate)
                    .and_then(|l| l.split_once('='))
                    .map(|(_, v)| v.trim().trim_matches('"').to_string())
                    .ok_or_else(|| format!("Cargo.toml has no {krate} in [dependencies]"))?;
                let _ = writeln!(
                    s,
                    "{krate} = {{ version = \"{version}\", features = [\"{feature}\"] }}"
                );
            }
        }
    }
    s.push_str(
        "\n# Upstream's feature: per-list retry counts (src/sync/contention.rs).\n\
         [features]\n\
         contention-stats = []\n\
         \n# The shim exports what every algorithm uses; this crate uses a part.\n\
         [lints.rust]\n\
         unused_imports = \"allow\"\n\
         dead_code = \"allow\"\n\
         unexpected_cfgs = { level = \"warn\", check-cfg = [\"cfg(loom)\", \"cfg(crossbeam_loom)\", \"cfg(shuttle)\", \"cfg(tsan_mutant)\"] }\n",
    );
    for m in a.models {
        let _ = write!(s, "\n[[test]]\nname = \"{m}\"\npath = \"models/{m}.rs\"\n");
    }
    s.push_str("\n# Not part of any enclosing workspace.\n[workspace]\n");
    Ok(s)
}

/// `vendor ALGORITHM DEST`, from the checkout at `root`.
fn write(root: &Path, key: &str, dest: &Path) -> Result<ExitCode, String> {
    let a = ALGORITHMS.iter().find(|a| a.key == key).ok_or_else(|| {
        format!(
            "unknown algorithm {key:?} (vendorable: {})",
            keys().join(", ")
        )
    })?;
    if std::fs::read_dir(dest).is_ok_and(|mut d| d.next().is_some()) {
        return Err(format!("{} is not empty", dest.display()));
    }
    let (version, commit) = upstream_version(root);
    let upstream_toml =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?;
    let mut foreign: Vec<&str> = a.foreign.to_vec();
    foreign.extend(ROOT_ONLY);
    let mut entries = Vec::new();
    let put = |path: &str, bytes: &[u8]| -> Result<(), String> {
        let to = dest.join(path);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&to, bytes).map_err(|e| format!("{}: {e}", to.display()))
    };
    for (path, how) in files_of(root, a)? {
        let path = path.as_str();
        let bytes = std::fs::read(root.join(path)).map_err(|e| format!("{path}: {e}"))?;
        let out = match how {
            Verbatim => bytes.clone(),
            Pruned => {
                let text =
                    String::from_utf8(bytes.clone()).map_err(|_| format!("{path}: not UTF-8"))?;
                let pruned = prune(&text, &foreign);
                if path == "src/lib.rs" && !pruned.contains(&format!("pub mod {};", a.module)) {
                    return Err(format!(
                        "src/lib.rs lost `pub mod {};` to pruning",
                        a.module
                    ));
                }
                if path == "src/lib.rs" {
                    root_docs(key, &version, &pruned).into_bytes()
                } else {
                    pruned.into_bytes()
                }
            }
        };
        put(path, &out)?;
        if path == "models/tier" {
            set_executable(&dest.join(path))?;
        }
        entries.push(Entry {
            path: path.to_string(),
            sha256: sha256(&out),
            upstream: Some(sha256(&bytes)),
        });
    }
    let toml = cargo_toml(a, &upstream_toml, &version, &commit)?;
    put("Cargo.toml", toml.as_bytes())?;
    entries.push(Entry {
        path: "Cargo.toml".into(),
        sha256: sha256(toml.as_bytes()),
        upstream: None,
    });
    // The upstream lock pins the same dependency versions; cargo drops the
    // packages this crate does not use, so it is not in the manifest.
    if let Ok(lock) = std::fs::read(root.join("Cargo.lock")) {
        put("Cargo.lock", &lock)?;
    }
    let manifest = manifest_text(key, &version, &commit, &entries);
    put(MANIFEST, manifest.as_bytes())?;
    println!(
        "vendored {key} from {version} (commit {commit}) into {}: {} files, hashes in {MANIFEST}",
        dest.display(),
        entries.len()
    );
    println!(
        "  run there: cargo test\n             models/tier loom test --release --test 'loom_*' -- --nocapture\n             models/tier shuttle test --release --test 'shuttle_*' -- --nocapture\n  check later: cargo xtask vendor --check {}",
        dest.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The crate root's docs (upstream's introduce, and test, every algorithm)
/// replaced by a note of where the crate came from.
fn root_docs(key: &str, version: &str, lib: &str) -> String {
    let mut s = format!(
        "//! The `{key}` algorithm of {version}, vendored with its models by\n\
         //! `cargo xtask vendor {key}`: `VENDORED.toml` names the upstream commit\n\
         //! and every file's SHA-256.\n"
    );
    for line in lib.split_inclusive('\n') {
        if !line.starts_with("//!") {
            s.push_str(line);
        }
    }
    s
}

fn set_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendor_check::{differences, parse_manifest};

    #[test]
    fn arguments() {
        let a = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            parse(&a("tagged d")),
            Ok(Request::Write("tagged".into(), "d".into()))
        );
        assert_eq!(parse(&a("--check d")), Ok(Request::Check("d".into())));
        assert!(parse(&a("tagged")).is_err());
        assert!(parse(&a("--bogus d")).is_err());
    }

    #[test]
    fn every_listed_file_exists_upstream() {
        // Run from the repository root by `cargo test -p xtask`'s cwd (xtask/).
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for a in ALGORITHMS {
            for (path, _) in files_of(&root, a).unwrap() {
                assert!(root.join(&path).is_file(), "{}: {path} is gone", a.key);
            }
            for m in a.models {
                assert!(a.files.iter().any(|(p, _)| *p == format!("models/{m}.rs")));
            }
            let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
            let toml = cargo_toml(a, &manifest, "v", "c").unwrap();
            assert!(toml.contains("name = \"verified_pools\""));
        }
    }

    #[test]
    fn every_algorithm_but_the_seeds_pointer_stack_is_vendorable() {
        // pointer_node is the seed's stack, kept as a pool variant and a
        // negative model; it is not offered for copying.
        let rows: Vec<&str> = crate::table::ROWS.iter().map(|(k, _)| *k).collect();
        let mut keys = keys();
        keys.sort();
        let mut want: Vec<&str> = rows.into_iter().filter(|k| *k != "pointer_node").collect();
        want.sort();
        assert_eq!(keys, want);
    }

    #[test]
    fn a_tree_brings_every_file_of_its_module() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let ring = ALGORITHMS.iter().find(|a| a.key == "ring").unwrap();
        let files: Vec<String> = files_of(&root, ring)
            .unwrap()
            .into_iter()
            .map(|f| f.0)
            .collect();
        for e in std::fs::read_dir(root.join("src/ring")).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(files.contains(&format!("src/ring/{name}")), "{name}");
        }
        assert!(files.contains(&"src/ring/mod.rs".to_string()));
    }

    #[test]
    fn a_vendored_crate_holds_copies_and_pruned_glue() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for a in ALGORITHMS {
            let dir =
                std::env::temp_dir().join(format!("xtask-vendor-{}-{}", a.key, std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            assert_eq!(write(&root, a.key, &dir), Ok(ExitCode::SUCCESS));
            let text = std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
            assert!(text.contains(&format!("algorithm = \"{}\"", a.key)));
            assert!(text.contains("upstream = \"verified-pools "));
            let entries = parse_manifest(&text).unwrap();
            assert!(differences(&dir, &entries).is_empty());
            for (path, how) in files_of(&root, a).unwrap() {
                let e = entries.iter().find(|e| e.path == path).unwrap();
                let up = sha256(&std::fs::read(root.join(&path)).unwrap());
                assert_eq!(e.upstream.as_deref(), Some(up.as_str()), "{path}");
                if how == Verbatim {
                    assert_eq!(e.sha256, up, "{path} is not byte-identical");
                }
            }
            // The crate root exports this algorithm, and of the others
            // exactly those whose files came along (the pool's stacks).
            let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
            let code: String = lib.lines().filter(|l| !l.starts_with("//")).collect();
            assert!(
                code.contains(&format!("pub mod {};", a.module)),
                "{}",
                a.key
            );
            for module in ["stack", "pool", "ring", "tls"] {
                let here = dir.join("src").join(module).join("mod.rs").is_file();
                let exported = code.contains(&format!("pub mod {module};"));
                assert_eq!(exported, here, "{}: pub mod {module}", a.key);
            }
            assert!(!code.contains("ReadmeDoctests"), "{}", a.key);
            assert!(write(&root, a.key, &dir).unwrap_err().contains("not empty"));
            let _ = std::fs::remove_dir_all(&dir);
        }
        assert!(
            write(&root, "bogus", Path::new("/nonexistent"))
                .unwrap_err()
                .contains("tagged")
        );
    }
}
