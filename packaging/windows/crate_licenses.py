"""Reads `cargo metadata` (stdin) and writes OUT/rust-crates.txt (each crate
compiled into the program, with its licence expression) and
OUT/rust-crates/NAME-VERSION/ with the licence files the crate ships."""

import json
import os
import shutil
import sys

LICENCE_FILES = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "COPYRIGHT", "UNLICENSE")


def linked_packages(meta):
    """The root's normal dependencies, transitively (no build scripts'
    or dev-dependencies)."""
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            if any(kind["kind"] is None for kind in dep["dep_kinds"]):
                todo.append(dep["pkg"])
    seen.discard(root)
    return seen


def main(out):
    meta = json.load(sys.stdin)
    packages = {p["id"]: p for p in meta["packages"]}
    chosen = sorted(
        (packages[i] for i in linked_packages(meta)),
        key=lambda p: (p["name"], p["version"]),
    )
    lines = []
    for p in chosen:
        name = "%s-%s" % (p["name"], p["version"])
        lines.append("%s\t%s" % (name, p.get("license") or p.get("license_file") or "see its files"))
        src = os.path.dirname(p["manifest_path"])
        files = [f for f in sorted(os.listdir(src)) if f.upper().startswith(LICENCE_FILES)]
        files = [f for f in files if os.path.isfile(os.path.join(src, f))]
        if files:
            dst = os.path.join(out, "rust-crates", name)
            os.makedirs(dst, exist_ok=True)
            for f in files:
                shutil.copy(os.path.join(src, f), dst)
    with open(os.path.join(out, "rust-crates.txt"), "w") as f:
        f.write("Rust crates compiled into tramgis.exe (name-version, licence):\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
