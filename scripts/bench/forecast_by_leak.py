#!/usr/bin/env python3
"""Forecast accuracy and interval coverage split by whether a labelled leak was running.

A benchmark tool, like score.py: it reads labels.json to stratify `forecast_eval`'s held-out
hours; the product never reads labels. Usage:

    FORECAST_DUMP=/tmp/fc.csv forecast_eval DIR
    python3 scripts/bench/forecast_by_leak.py /tmp/fc.csv DIR/labels.json

For each series: the held-out hours while a leak that began inside that held-out week or in the
day before it runs (from its start to its end), and all other hours; the 95 % interval's coverage and MAE / seasonal-naive
MAE in each. A leak that starts inside a held-out week is water no forecast from the weeks before
can know; the split shows whether the interval is calibrated on the hours it could know.
"""
import csv
import json
import sys
from datetime import datetime


DAY = 86400.0


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main():
    dump, labels = sys.argv[1], sys.argv[2]
    with open(labels) as fh:
        lab = json.load(fh)
    spans = [(ts(lk["start"]), ts(lk["end"])) for lk in lab["leaks"]]
    with open(dump) as fh:
        dumped = list(csv.DictReader(fh))
    week_start = {}
    for r in dumped:
        key = (r["series"], r["week"])
        week_start[key] = min(week_start.get(key, float("inf")), float(r["ts"]))
    rows = {}
    for r in dumped:
        y = float(r["actual"])
        if y != y:
            continue
        t, w0 = float(r["ts"]), week_start[(r["series"], r["week"])]
        leak = any(w0 - DAY <= s <= t < e for s, e in spans)
        cell = rows.setdefault(r["series"], {False: [0, 0, 0.0, 0.0], True: [0, 0, 0.0, 0.0]})[leak]
        cell[0] += 1
        cell[1] += float(r["lower"]) <= y <= float(r["upper"])
        cell[2] += abs(y - float(r["point"]))
        cell[3] += abs(y - float(r["naive"]))

    def fmt(c):
        if not c[0]:
            return "— | — | —"
        mase = f"{c[2] / c[3]:.2f}" if c[3] > 0 else "—"
        return f"{c[0]} | {100.0 * c[1] / c[0]:.1f} % | {mase}"

    print("| series | other hours | coverage | MASE | hours of a leak new that week | coverage | MASE |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, by in rows.items():
        print(f"| {name} | {fmt(by[False])} | {fmt(by[True])} |")


if __name__ == "__main__":
    main()
