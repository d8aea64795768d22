//! What `cargo xtask vendor` writes for each algorithm: one table.

use std::path::Path;

/// How a file reaches the vendored crate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum How {
    /// Byte for byte.
    Verbatim,
    /// With the other algorithms' items removed.
    Pruned,
}
pub use How::{Pruned, Verbatim};

/// One vendorable algorithm.
pub struct Algorithm {
    /// The algorithm key.
    pub key: &'static str,
    /// The module of the crate root it lives in (`pub mod NAME;`).
    pub module: &'static str,
    /// Module directories vendored whole and verbatim: every `.rs` file in
    /// them at vendoring time, so a file added upstream comes along.
    pub trees: &'static [&'static str],
    /// Files (upstream paths, kept in the vendored crate) besides [`COMMON`]
    /// and [`trees`](Self::trees).
    pub files: &'static [(&'static str, How)],
    /// The model targets (`models/NAME.rs`) that run its table of models.
    pub models: &'static [&'static str],
    /// Identifiers naming what it does not vendor: pruned items name one.
    pub foreign: &'static [&'static str],
    /// Its dependencies: (Cargo.toml section, crate name), lines copied
    /// from the upstream Cargo.toml.
    pub deps: &'static [(&'static str, &'static str)],
    /// (crate, feature) a dependency needs under `--cfg crossbeam_loom`
    /// (upstream, crossbeam-epoch's `loom` feature turns these on).
    pub loom_features: &'static [(&'static str, &'static str)],
}

/// What every vendored crate holds: the crate root, the shim's switch and
/// back ends, the models' support and `models/tier`.
pub const COMMON: &[(&str, How)] = &[
    ("src/lib.rs", Pruned),
    ("src/sync/mod.rs", Pruned),
    ("src/sync/std.rs", Verbatim),
    ("src/sync/loom.rs", Verbatim),
    ("src/sync/shuttle.rs", Verbatim),
    ("src/sync/model.rs", Verbatim),
    ("src/sync/cell.rs", Verbatim),
    ("src/sync/mutation.rs", Verbatim),
    ("src/sync/contention.rs", Verbatim),
    ("models/support.rs", Verbatim),
    ("models/scenarios/mod.rs", Pruned),
    ("models/scenarios/backend.rs", Verbatim),
    ("models/tier", Verbatim),
];

/// The items of the crate root every algorithm leaves out: the README's
/// doctests, the seed-compatibility layer and the SIMD crates' re-exports
/// (for users of the whole crate).
pub const ROOT_ONLY: &[&str] = &["ReadmeDoctests", "compat", "simd_aligned", "wide"];

pub const MODEL_DEPS: &[(&str, &str)] = &[
    ("target.'cfg(loom)'.dependencies", "loom"),
    ("target.'cfg(shuttle)'.dependencies", "shuttle"),
];

/// The pool's dependencies: the stacks' and the SIMD kind's crates.
const POOL_DEPS: &[(&str, &str)] = &[
    ("dependencies", "crossbeam-utils"),
    ("dependencies", "crossbeam-epoch"),
    ("dependencies", "simd_aligned"),
    ("dependencies", "wide"),
    ("target.'cfg(loom)'.dependencies", "crossbeam-epoch"),
];

/// The one table of what each algorithm vendors.
pub const ALGORITHMS: &[Algorithm] = &[
    Algorithm {
        key: "tagged",
        module: "stack",
        trees: &[],
        files: &[
            ("src/stack/mod.rs", Pruned),
            ("src/stack/tagged.rs", Verbatim),
            ("src/stack/tagged_head.rs", Verbatim),
            ("models/scenarios/stacks.rs", Pruned),
            ("models/stacks.rs", Pruned),
            ("models/loom_stacks.rs", Verbatim),
            ("models/shuttle_stacks.rs", Verbatim),
        ],
        models: &["loom_stacks", "shuttle_stacks"],
        foreign: &[
            "counters",
            "kinds",
            "epoch",
            "pointer_node",
            "node",
            "pool",
            "ring",
            "tls",
            "EpochStack",
            "PointerNodeStack",
            "Popper",
            "SeedSharedPop",
            "USE_AFTER_FREE",
            "BufferPool",
            "RingPool",
            "TlsPool",
        ],
        deps: &[("dependencies", "crossbeam-utils")],
        loom_features: &[("crossbeam-utils", "loom")],
    },
    Algorithm {
        key: "epoch",
        module: "stack",
        trees: &[],
        files: &[
            ("src/stack/mod.rs", Pruned),
            ("src/stack/epoch.rs", Verbatim),
            ("src/sync/epoch.rs", Verbatim),
            ("src/sync/node.rs", Verbatim),
            ("models/scenarios/stacks.rs", Pruned),
            ("models/stacks.rs", Pruned),
            ("models/loom_stacks.rs", Verbatim),
            ("models/shuttle_stacks.rs", Verbatim),
        ],
        models: &["loom_stacks", "shuttle_stacks"],
        foreign: &[
            "counters",
            "kinds",
            "tagged",
            "tagged_head",
            "pointer_node",
            "pool",
            "ring",
            "tls",
            "TaggedStack",
            "IndexStack",
            "PointerNodeStack",
            "Popper",
            "SeedSharedPop",
            "DEFAULT_TAG_BITS",
            "INDEX_BITS",
            "MAX_INDEXED",
            "BufferPool",
            "RingPool",
            "TlsPool",
        ],
        deps: &[
            ("dependencies", "crossbeam-utils"),
            ("dependencies", "crossbeam-epoch"),
            ("target.'cfg(loom)'.dependencies", "crossbeam-epoch"),
        ],
        // crossbeam-epoch's `loom` feature turns on crossbeam-utils' own.
        loom_features: &[],
    },
    Algorithm {
        key: "ring",
        module: "ring",
        trees: &["src/ring"],
        files: &[
            ("models/scenarios/ring.rs", Verbatim),
            ("models/ring.rs", Verbatim),
            ("models/loom_ring.rs", Verbatim),
            ("models/shuttle_ring.rs", Verbatim),
        ],
        models: &["loom_ring", "shuttle_ring"],
        foreign: &[
            "counters",
            "kinds",
            "stack",
            "stacks",
            "epoch",
            "node",
            "pool",
            "tls",
            "BufferPool",
            "TlsPool",
            "EpochStack",
            "TaggedStack",
        ],
        deps: &[
            ("dependencies", "crossbeam-utils"),
            ("dependencies", "memmap2"),
            ("dependencies", "libc"),
        ],
        loom_features: &[("crossbeam-utils", "loom")],
    },
    Algorithm {
        key: "pool",
        module: "pool",
        // The pool's free lists are the three stacks (`Variant`).
        trees: &["src/pool", "src/stack", "src/counters"],
        files: &[
            ("src/sync/epoch.rs", Verbatim),
            ("src/sync/node.rs", Verbatim),
            ("models/scenarios/pool.rs", Verbatim),
            ("models/scenarios/stacks.rs", Verbatim),
            ("models/scenarios/kinds.rs", Pruned),
            ("models/pool.rs", Pruned),
            ("models/loom_pool.rs", Verbatim),
            ("models/shuttle_pool.rs", Verbatim),
        ],
        models: &["loom_pool", "shuttle_pool"],
        foreign: &[
            "ring",
            "tls",
            "RingPool",
            "TlsPool",
            // The front's scenarios and rows among the pool's user-kind ones.
            "KindTlsPool",
            "KindTlsConfig",
            "user_kind_front",
            "tls_try_get",
            "HANDED_BACK",
            "TRY_GET_EMPTY",
        ],
        deps: POOL_DEPS,
        loom_features: &[],
    },
    Algorithm {
        key: "tls",
        module: "tls",
        // The front caches the pool's buffers.
        trees: &["src/tls", "src/pool", "src/stack", "src/counters"],
        files: &[
            ("src/sync/epoch.rs", Verbatim),
            ("src/sync/node.rs", Verbatim),
            ("models/scenarios/tls.rs", Verbatim),
            ("models/scenarios/pool.rs", Verbatim),
            ("models/scenarios/kinds.rs", Verbatim),
            ("models/scenarios/stacks.rs", Verbatim),
            ("models/tls.rs", Verbatim),
            ("models/loom_tls.rs", Verbatim),
            ("models/shuttle_tls.rs", Verbatim),
        ],
        models: &["loom_tls", "shuttle_tls"],
        foreign: &["ring", "RingPool"],
        deps: POOL_DEPS,
        loom_features: &[],
    },
];

/// The files of an algorithm, upstream paths under `root`: [`COMMON`], its
/// trees' `.rs` files (sorted) and its own files.
pub fn files_of(root: &Path, a: &Algorithm) -> Result<Vec<(String, How)>, String> {
    let mut out: Vec<(String, How)> = COMMON.iter().map(|(p, h)| (p.to_string(), *h)).collect();
    for tree in a.trees {
        out.extend(rs_files(root, tree)?.into_iter().map(|p| (p, Verbatim)));
    }
    out.extend(a.files.iter().map(|(p, h)| (p.to_string(), *h)));
    Ok(out)
}

/// Every `.rs` file under `dir` (relative to `root`), sorted.
fn rs_files(root: &Path, dir: &str) -> Result<Vec<String>, String> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_string()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(root.join(&d)).map_err(|e| format!("{d}: {e}"))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = format!("{d}/{name}");
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path);
            } else if name.ends_with(".rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(format!("{dir} holds no .rs file"));
    }
    Ok(found)
}
