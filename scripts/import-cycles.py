#!/usr/bin/env python3
"""Lists import circles between the modules of each crate in the workspace.

A module is a source file (`a/b.rs` and `a/b/mod.rs` are both `a::b`). An edge A -> B means a
`use crate::b...`, `crate::b::...` or `super::...` path in A names module B (or an item defined
in it); `use super::{b, c::d}` groups count item by item. A parent's relative paths to its own
children (`events::insert` in `store/mod.rs`) are not edges: children implement their parent's
types (`impl Store`), so each would be a circle with its parent. Circles are the strongly
connected components with more than one module. Test modules (`tests.rs`, `*_tests.rs`,
`proptests.rs`) are left out: a test beside its code always "imports" its parent.
Usage: scripts/import-cycles.py [crate-dir ...]; exits 1 when a circle exists.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{")
TEST_FILE = re.compile(r"(^|_)(tests|proptests|test_support)$")


def module_of(src: pathlib.Path, file: pathlib.Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def cfg_test_free(text: str) -> str:
    """Drops `#[cfg(test)] mod x { ... }` blocks, so unit tests do not count as imports."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def group_items(text: str, start: int) -> list:
    """The top-level items of the `{...}` group opening at `text[start]`."""
    items, depth, item, j = [], 0, [], start
    while j < len(text):
        c = text[j]
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth == 0:
            break
        if c == "," and depth == 1:
            items.append("".join(item))
            item = []
        elif j > start:
            item.append(c)
        j += 1
    items.append("".join(item))
    return [i.strip() for i in items if i.strip()]


def paths(text: str):
    """Every `crate::...` / `super::...` path as (root, "::a::b"). Paths inside `use a::{b, c::d}`
    groups are expanded one level (`a::b`, `a::c::d`); a nested group counts as its prefix, and
    `self` as the group's own prefix. Without this, `use super::{events, Store}` named nothing."""
    for m in PATH.finditer(text):
        yield m.group(1), m.group(2)
    for m in GROUP.finditer(text):
        prefix = m.group(2) or ""
        for item in group_items(text, m.end() - 1):
            item = re.split(r"\s+as\s+", item)[0].split("{")[0].rstrip(":").strip()
            if item == "self":
                yield m.group(1), prefix or "::self"
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*", item):
                yield m.group(1), f"{prefix}::{item}"


def graph(src: pathlib.Path) -> dict:
    files = [f for f in src.rglob("*.rs") if not TEST_FILE.search(f.stem) and "bin" not in f.relative_to(src).parts]
    modules = {module_of(src, f): f for f in files}
    edges = {m: set() for m in modules}
    for module, file in modules.items():
        is_dir_module = file.stem in ("mod", "lib", "main")
        text = cfg_test_free(strip_comments(file.read_text(encoding="utf-8")))
        for root, rest in paths(text):
            base = [] if root == "crate" else list(module if is_dir_module else module[:-1])
            names = rest.strip(":").split("::")
            while names and names[0] == "super":
                base, names = base[:-1], names[1:]
            target = tuple(base)
            for name in names:
                if target + (name,) in modules:
                    target = target + (name,)
                else:
                    break
            if target != module and target in modules and target:
                # A parent module declaring its children is not an import.
                if target[: len(module)] == module and not names:
                    continue
                edges[module].add(target)
    return edges


def cycles(edges: dict) -> list:
    """Tarjan's strongly connected components, larger than one module."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
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
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    crates = [pathlib.Path(a) for a in sys.argv[1:]] or sorted(p.parent for p in ROOT.glob("*/Cargo.toml"))
    found = 0
    for crate in crates:
        src = (crate if crate.is_absolute() else ROOT / crate) / "src"
        if not src.is_dir():
            continue
        for component in cycles(graph(src)):
            found += 1
            names = ", ".join("::".join(m) for m in component)
            print(f"{src.parent.name}: {names}")
    if not found:
        print("no import circles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
