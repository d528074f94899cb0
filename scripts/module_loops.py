#!/usr/bin/env python3
"""The loops in the import graph of the runtime's modules, checked against
the loops ARCHITECTURE.md allows.

A file is a node; its `crate::…` and `super::…` paths (grouped imports
`use crate::{a, b::{c, d}}` included) and a folder's re-exports of its
submodules are edges; test modules are left out. A loop is a strongly
connected set of more than one file.

`python3 scripts/module_loops.py` lists the loops; with `--check` it exits
1 when a loop is not in ALLOWED below (each one named, with its reason, in
ARCHITECTURE.md's "The import graph"), or when a loop ALLOWED names is gone
(so the list stays true). Run from anywhere; `.ci/run` runs the check.
"""
import collections
import glob
import os
import re
import sys

# Each allowed loop, as the sorted list of its files' modules. Keep this
# short: a new loop fails CI until ARCHITECTURE.md says why it must be.
ALLOWED = [
    ["__private::call", "__private::thunk"],
    ["export::pipeline", "export::worker"],
    ["hooks", "span", "tracer"],
    ["local::shared", "local::stack", "local::thread"],
]

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runtime", "src")


def module_of(path):
    stem = path[:-3]
    if stem.endswith("/mod"):
        stem = stem[:-4]
    return "crate" if stem == "lib" else stem.replace("/", "::")


def paths_after(src, start):
    """Every path that follows `start` (`crate::` or `super::`), with
    brace groups expanded: `a::{b, c::d}` gives a::b and a::c::d."""
    found = []

    def parse(i, prefix):
        # Reads one tree at i: ident(::ident)* [::{ tree, tree }]
        m = re.compile(r"[A-Za-z_0-9]+(?:::[A-Za-z_0-9]+)*").match(src, i)
        path = prefix
        if m:
            path = prefix + m.group(0).split("::")
            i = m.end()
            if src.startswith("::{", i):
                i += 2
            elif src.startswith("::*", i):
                found.append(path)
                return i + 3
            else:
                found.append(path)
                return i
        if src.startswith("{", i):
            i += 1
            while i < len(src):
                while i < len(src) and src[i] in " \n\t,":
                    i += 1
                if src.startswith("}", i):
                    return i + 1
                j = parse(i, path)
                if j == i:  # something unparsed (`self`, a glob): skip a char
                    j = i + 1
                i = j
        return i

    for m in re.finditer(re.escape(start), src):
        parse(m.end(), [])
    return found


def reexports(modules):
    """For each folder, the names its mod.rs re-exports from a submodule:
    a path through the folder to such a name depends on the submodule
    that defines it, not on the folder's mod.rs."""
    found = collections.defaultdict(dict)
    for module, path in modules.items():
        if not path.endswith("mod.rs"):
            continue
        src = re.sub(r"//[^\n]*", "", open(path).read())
        for start in ("pub use ", "pub(crate) use ", "pub(super) use "):
            for parts in paths_after(src, start):
                if parts[:1] == ["self"]:
                    parts = parts[1:]
                if len(parts) < 2:
                    continue
                sub = parts[0] if module == "crate" else module + "::" + parts[0]
                if sub in modules:
                    found[module][parts[-1]] = sub
    return found


def graph():
    os.chdir(ROOT)
    files = glob.glob("**/*.rs", recursive=True)
    modules = {module_of(f): f for f in files}
    names = reexports(modules)
    edges = collections.defaultdict(set)
    for module, path in modules.items():
        src = open(path).read()
        src = re.sub(r"#\[cfg\(test\)\]\s*mod tests[\s\S]*$", "", src)
        src = re.sub(r"//[^\n]*", "", src)
        # `super` is the module's parent, for a folder's mod.rs (the
        # folder's module) and for a file alike.
        parent = module.rsplit("::", 1)[0].split("::") if "::" in module else []
        for start, base in (("crate::", []), ("super::", parent)):
            for parts in paths_after(src, start):
                full = base + parts
                for k in range(len(full), 0, -1):
                    candidate = "::".join(full[:k])
                    if candidate in modules:
                        # A name the folder re-exports: its defining file.
                        if k < len(full) and full[k] in names.get(candidate, {}):
                            candidate = names[candidate][full[k]]
                        if candidate != module:
                            edges[module].add(candidate)
                        break
    return modules, edges


def loops(modules, edges):
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(modules):
        if v not in index:
            visit(v)
    return sorted(found)


def main():
    modules, edges = graph()
    found = loops(modules, edges)
    for component in found:
        print(len(component), component)
        members = set(component)
        for m in component:
            print("   ", m, "->", sorted(edges[m] & members))
    if "--check" in sys.argv:
        allowed = sorted(sorted(loop) for loop in ALLOWED)
        new = [c for c in found if c not in allowed]
        gone = [c for c in allowed if c not in found]
        for c in new:
            print("a loop ARCHITECTURE.md does not name:", c, file=sys.stderr)
        for c in gone:
            print("a loop ALLOWED names is gone (remove it here and there):", c, file=sys.stderr)
        if new or gone:
            sys.exit(1)
        print("module loops: only the", len(found), "that ARCHITECTURE.md names")


main()
