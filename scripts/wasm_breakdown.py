#!/usr/bin/env python3
"""Where the wasm code goes: function sizes from a module's name section, grouped.

Usage: python3 scripts/wasm_breakdown.py [FILE.wasm] [--top N] [--grep TEXT]

FILE defaults to the release build's `frontend.wasm` before wasm-bindgen and the split (the
only file that still has its name section): $CARGO_TARGET_DIR/front/wasm32-unknown-unknown/
wasm-release/frontend.wasm. Prints the code size attributed to each crate (the first crate
named in the demangled function name, so `<shared::X as serde::Deserialize>::deserialize`
counts for `shared`), the bytes of functions whose name mentions each of a few libraries,
and the largest functions. Sizes are raw body bytes, before gzip.
"""
import os
import re
import sys
from collections import Counter


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(data):
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(data, pos + 1)
        yield sid, data[pos:pos + size]
        pos += size


def imported_functions(body):
    count, pos = leb(body, 0)
    functions = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            n, pos = leb(body, pos)
            pos += n
        kind = body[pos]
        pos += 1
        if kind == 0:
            _, pos = leb(body, pos)
            functions += 1
        elif kind == 1:  # table: reftype, limits
            pos += 1
            flag, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flag & 1:
                _, pos = leb(body, pos)
        elif kind == 2:  # memory: limits
            flag, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flag & 1:
                _, pos = leb(body, pos)
        elif kind == 3:  # global: type, mutability
            pos += 2
        else:
            raise ValueError(f"import kind {kind}")
    return functions


def code_sizes(body):
    count, pos = leb(body, 0)
    sizes = []
    for _ in range(count):
        size, pos = leb(body, pos)
        sizes.append(size)
        pos += size
    return sizes


def function_names(body):
    pos = 0
    while pos < len(body):
        sub = body[pos]
        size, pos = leb(body, pos + 1)
        end = pos + size
        if sub == 1:
            count, p = leb(body, pos)
            names = {}
            for _ in range(count):
                index, p = leb(body, p)
                n, p = leb(body, p)
                names[index] = body[p:p + n].decode("utf-8", "replace")
                p += n
            return names
        pos = end
    return {}


ESCAPES = {"$LT$": "<", "$GT$": ">", "$u20$": " ", "$RF$": "&", "$BP$": "*", "$C$": ",",
           "$u5b$": "[", "$u5d$": "]", "$u7b$": "{", "$u7d$": "}", "$u3b$": ";", "$u27$": "'",
           "$LP$": "(", "$RP$": ")", "$u2b$": "+", "$u22$": '"', "$SP$": "@"}


def demangle(name):
    if not name.startswith("_ZN"):
        return name
    pos, parts = 3, []
    while pos < len(name) and name[pos].isdigit():
        m = re.match(r"\d+", name[pos:])
        n = int(m.group())
        pos += len(m.group())
        parts.append(name[pos:pos + n])
        pos += n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    text = "::".join(parts)
    for k, v in ESCAPES.items():
        text = text.replace(k, v)
    return text.replace("..", "::")


def main():
    args = sys.argv[1:]
    top = 25
    grep = None
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i:i + 2]
    if "--grep" in args:
        i = args.index("--grep")
        grep = args[i + 1]
        del args[i:i + 2]
    path = args[0] if args else os.path.join(
        os.environ.get("CARGO_TARGET_DIR", "target"),
        "front/wasm32-unknown-unknown/wasm-release/frontend.wasm")
    data = open(path, "rb").read()
    imports, sizes, names = 0, [], {}
    for sid, body in sections(data):
        if sid == 2:
            imports = imported_functions(body)
        elif sid == 10:
            sizes = code_sizes(body)
        elif sid == 0:
            n, p = leb(body, 0)
            if body[p:p + n] == b"name":
                names = function_names(body[p + n:])
    functions = [(size, demangle(names.get(imports + i, f"func{imports + i}")))
                 for i, size in enumerate(sizes)]
    total = sum(sizes)
    print(f"{path}: {len(functions)} functions, code {total:,} B")
    by_crate = Counter()
    for size, name in functions:
        m = re.search(r"[A-Za-z][A-Za-z0-9_]*", re.sub(r"^(_|<|&|mut |dyn )+", "", name))
        by_crate[m.group() if m else "?"] += size
    print("\nby crate (first named in the function's path):")
    for crate, size in by_crate.most_common(20):
        print(f"  {size:>10,} B  {size / total:6.1%}  {crate}")
    print("\nfunctions whose name mentions:")
    for lib in ["serde_json", "postcard", "serde_qs", "serde::de", "chrono", "tachys",
                "reactive_graph", "AnyView", "leptos_router", "server_fn", "core::fmt",
                "Deserialize", "Serialize"]:
        size = sum(s for s, n in functions if lib in n)
        print(f"  {size:>10,} B  {lib}")
    chosen = [(s, n) for s, n in functions if grep is None or grep in n]
    print(f"\nlargest functions{' matching ' + repr(grep) if grep else ''} "
          f"({sum(s for s, _ in chosen):,} B in {len(chosen)}):")
    for size, name in sorted(chosen, reverse=True)[:top]:
        print(f"  {size:>8,} B  {name[:150]}")


if __name__ == "__main__":
    main()
