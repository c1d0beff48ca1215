#!/usr/bin/env python3
"""Front-end download per page, gzip -9, from a `cargo leptos build --release --split` output.

Usage: python3 scripts/bundle_size.py [target/site/pkg]

Prints the first download every page needs (the main wasm, its JS glue, the split loader and
the CSS) and, per lazily loaded page, its own chunks (the page's split file and the shared
chunks the manifest lists for it) and the page's total. ECharts (public/vendor) is not counted:
the issue's budget excludes it.
"""
import glob
import gzip
import json
import os
import sys

pkg = sys.argv[1] if len(sys.argv) > 1 else "target/site/pkg"


def gz(name):
    with open(os.path.join(pkg, name), "rb") as fh:
        return len(gzip.compress(fh.read(), 9))


first = ["roccavina.wasm", "roccavina.js", "roccavina.css"]
loaders = [os.path.basename(p) for p in glob.glob(os.path.join(pkg, "__wasm_split*.js"))]
base = sum(gz(f) for f in first + loaders)
print(f"first download (wasm + JS + split loader + CSS): {base:,} B gzip "
      f"(wasm {gz('roccavina.wasm'):,} B)")
manifest_path = os.path.join(pkg, "__wasm_split_manifest.json")
if not os.path.exists(manifest_path):
    print("no split manifest: the build was not split")
    sys.exit(0)
with open(manifest_path) as fh:
    manifest = json.load(fh)
print(f"{'page':<28} {'own chunks':>12} {'page total':>12}")
for split, chunks in sorted(manifest.items()):
    own = sum(gz(f"{c}.wasm") for c in chunks)
    own += sum(gz(os.path.basename(p)) for p in glob.glob(os.path.join(pkg, f"split_{split}.wasm")))
    name = split.strip("_").rsplit("_", 1)[0].replace("_view", "")
    print(f"{name:<28} {own:>12,} {base + own:>12,}")
