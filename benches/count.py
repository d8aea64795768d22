#!/usr/bin/env python3
"""Instructions and locked instructions per iteration of the profiling
loop's workloads (benches/profile_buffer_pool.rs), counted under valgrind,
so a loaded machine or a VM without hardware counters gives exact figures.

    cargo bench --no-run -p verified-pools-benches --bench profile_buffer_pool
    python3 benches/count.py [--binary PATH] [WORKLOAD ...]

Each workload runs at N and 2N iterations; the difference divided by N
removes the setup. Instructions: callgrind's `Ir` over the whole process.
Locked instructions: the execution counts callgrind records per
instruction, summed over the instructions of the profiling binary that
carry a `lock` prefix (or are an `xchg` with memory, or `mfence`), found
with objdump. Shared libraries (glibc's malloc) are not searched for
locked instructions. Without WORKLOAD: every workload and every `pools/ROW`.
"""

import argparse
import collections
import glob
import os
import re
import subprocess
import tempfile

# The `pools` rows, in the order `pool_rows` in benches/pairs.rs builds them.
ROWS = re.findall(
    r'rows\.row\("(\w+)"',
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pairs.rs")).read(),
)
WORKLOADS = ["tls", "guard", "pool", "linear", "ring_borrowed", "ring_arc", "ringal"] + [
    f"pools/{r}" for r in ROWS
]


def newest_binary():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    paths = [p for p in glob.glob(f"{target}/release/deps/profile_buffer_pool-*") if not p.endswith(".d")]
    if not paths:
        raise SystemExit("no profiling binary: run `cargo bench --no-run -p verified-pools-benches --bench profile_buffer_pool`")
    return max(paths, key=os.path.getmtime)


def locked_addresses(binary):
    """File addresses of the binary's locked instructions, and of `main`."""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True, text=True, check=True).stdout
    addresses, main = set(), None
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) <main>:$", line)
        if m:
            main = int(m.group(1), 16)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if m:
            ins = m.group(2)
            if ins.startswith(("lock ", "mfence")) or (re.match(r"xchg\s", ins) and "(" in ins):
                addresses.add(int(m.group(1), 16))
    return addresses, main


def run(binary, workload, n):
    """(total Ir, per-instruction counts of the binary, runtime address of main)."""
    fd, out = tempfile.mkstemp()
    os.close(fd)
    try:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--dump-instr=yes", "--compress-pos=no", "--compress-strings=no",
             f"--callgrind-out-file={out}", binary, str(n), workload],
            capture_output=True, check=True,
        )
        counts, total, obj, fn, after_call, main = collections.Counter(), 0, None, None, False, None
        ours = os.path.realpath(binary)
        for line in open(out):
            if line.startswith("ob="):
                obj = os.path.realpath(line[3:].strip())
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("calls="):
                after_call = True  # the next cost line is the call's inclusive cost
            elif line.startswith("0x"):
                parts = line.split()
                if after_call:
                    after_call = False
                    continue
                address, cost = int(parts[0], 16), int(parts[-1])
                total += cost
                if obj == ours:
                    counts[address] += cost
                    if fn == "main" and main is None:
                        main = address
        return total, counts, main
    finally:
        os.unlink(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=None)
    ap.add_argument("-n", type=int, default=100_000, help="N (default 100000)")
    ap.add_argument("workloads", nargs="*")
    args = ap.parse_args()
    binary = args.binary or newest_binary()
    addresses, main_file = locked_addresses(binary)
    print(f"{binary}\n{'workload':40} {'instructions':>12} {'locked':>7}")
    for w in args.workloads or WORKLOADS:
        t1, c1, m1 = run(binary, w, args.n)
        t2, c2, m2 = run(binary, w, 2 * args.n)
        base = (m1 - main_file) if (m1 is not None and main_file is not None) else 0
        l1 = sum(v for a, v in c1.items() if a - base in addresses)
        l2 = sum(v for a, v in c2.items() if a - base in addresses)
        print(f"{w:40} {(t2 - t1) / args.n:12.1f} {(l2 - l1) / args.n:7.2f}")


if __name__ == "__main__":
    main()
