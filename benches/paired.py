#!/usr/bin/env python3
"""Paired runs: a bench of two builds on this machine, run alternately.

Machines of one kind differ by 2x and a busy VM drifts within a run, so a
change is judged against its parent by building the bench at both commits
and running the two binaries in turn (base, head, base, head, ...), each
run with its own criterion directory; the table gives each case's
criterion medians per run and the ratio of the medians of the medians.

    benches/paired.py BASE [--bench compare] [--filter REGEX] [--rounds 3]
                           [--head REV] [-- criterion args...]

BASE and --head (default: the work tree as it is) are git revisions; the
base is checked out in a worktree under target/paired/. Example, the flat
case against its parent and fastrace in the same runs:

    benches/paired.py HEAD~1 --filter 'tracekit: sampled$|fastrace: enabled'
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def tree_at(rev, name):
    """A worktree of `rev` under target/paired/NAME (made once per rev)."""
    path = os.path.join(ROOT, "target", "paired", name)
    sha = subprocess.check_output(["git", "-C", ROOT, "rev-parse", rev], text=True).strip()
    if os.path.isdir(path):
        current = subprocess.check_output(["git", "-C", path, "rev-parse", "HEAD"], text=True).strip()
        if current == sha:
            return path
        run(["git", "-C", ROOT, "worktree", "remove", "--force", path])
    run(["git", "-C", ROOT, "worktree", "add", "--detach", path, sha], stdout=subprocess.DEVNULL)
    return path


def build(tree, bench):
    """Builds the bench in `tree`; the path of its binary."""
    out = subprocess.check_output(
        ["cargo", "bench", "--bench", bench, "--no-run", "--message-format=json"],
        cwd=tree,
        text=True,
        stderr=subprocess.DEVNULL,
    )
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == bench:
            return msg["executable"]
    sys.exit(f"no bench binary {bench} built in {tree}")


def medians(home):
    """Criterion's median estimate of every case under `home`, in ns."""
    found = {}
    for estimates in glob.glob(os.path.join(home, "**", "new", "estimates.json"), recursive=True):
        case_dir = os.path.dirname(estimates)
        with open(os.path.join(case_dir, "benchmark.json")) as f:
            name = json.load(f)["full_id"]
        with open(estimates) as f:
            found[name] = json.load(f)["median"]["point_estimate"]
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("--head", default=None)
    parser.add_argument("--bench", default="compare")
    parser.add_argument("--filter", default="")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("criterion", nargs="*", help="after --: passed to criterion")
    args = parser.parse_args()

    trees = {"base": tree_at(args.base, "base"), "head": tree_at(args.head, "head") if args.head else ROOT}
    binaries = {side: build(tree, args.bench) for side, tree in trees.items()}
    extra = args.criterion or ["--warm-up-time", "1", "--measurement-time", "3"]
    results = {"base": [], "head": []}
    for round_ in range(args.rounds):
        for side in ("base", "head"):
            home = os.path.join(ROOT, "target", "paired", "criterion", f"{side}-{round_}")
            subprocess.run(["rm", "-rf", home])
            env = dict(os.environ, CRITERION_HOME=home)
            cmd = [binaries[side], "--bench", "--noplot"] + ([args.filter] if args.filter else []) + extra
            print(f"round {round_ + 1}/{args.rounds}: {side}", file=sys.stderr)
            run(cmd, env=env, cwd=trees[side], stdout=subprocess.DEVNULL)
            results[side].append(medians(home))

    cases = sorted(set().union(*results["base"], *results["head"]))
    print(f"| case | base ({args.base}) medians, ns | head ({args.head or 'work tree'}) medians, ns | head / base |")
    print("| --- | --- | --- | --- |")
    for case in cases:
        base = [r[case] for r in results["base"] if case in r]
        head = [r[case] for r in results["head"] if case in r]
        ratio = statistics.median(head) / statistics.median(base) if base and head else float("nan")
        fmt = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)
        print(f"| {case} | {fmt(base)} | {fmt(head)} | {ratio:.2f} |")


main()
