#!/usr/bin/env python3
"""Held-out networks for the anomaly detector: simulates an EPANET network with WNTR and writes
`nodes.csv`, `readings.csv` and `labels.json` in the shape of `../shared/bench/leaks/`, so that
`score.py` scores the detector on a network and seed it was never developed on.

The detector is tuned on the shared development set only; this generator exists to check that
what was tuned there carries over (other sensor placements, districts, leak sites and sizes,
demand). It is a benchmark tool: it never runs in CI and the product never reads its labels.

    python3 -m venv /tmp/wntr && /tmp/wntr/bin/pip install wntr six
    /tmp/wntr/bin/python scripts/bench/gen_network.py --network Net3 --seed 11 --out /tmp/net3-s11

What it simulates (WNTR's pressure-dependent demand, 15-minute steps, 8 weeks):
- demand: each junction keeps its base demand and its network's daily pattern class, resampled
  to 15 minutes, with a weekend shape, a day-to-day factor that wanders (AR(1)), and noise;
- the network's pump schedule repeated every day (Net3's time controls cover one week only);
- leaks: bursts of 15-45 L/s lasting 1-3 days and incipient leaks of 4-10 L/s that persist to
  the end, at random junctions and times, WNTR's orifice model;
- sensors: pressure loggers spread over the network (farthest-point sampling from a random
  start), flow meters on every source and tank outlet main, each with an offset and noise;
  a cumulative volume totaliser beside each flow meter;
- faults, applied to the readings: single lost readings, a telemetry gap, a stuck logger and a
  spike. Labels list each leak's sensors nearest first, its pressure drops and flow changes
  against a run without leaks, and the faults.
"""

import argparse
import copy
import datetime as dt
import json
import math
import os
import time

import numpy as np
import wntr

STEP = 900
G = 9.80665


def library_inp(name):
    path = os.path.join(os.path.dirname(wntr.__file__), "library", "networks", f"{name}.inp")
    if not os.path.exists(path):
        raise SystemExit(f"no network {name} in WNTR's library ({path})")
    return path


def farthest_points(coords, names, k, rng):
    """k names spread over the network: a random start, then each next the farthest away."""
    chosen = [names[rng.integers(len(names))]]
    while len(chosen) < k:
        best = max(
            (n for n in names if n not in chosen),
            key=lambda n: min(math.dist(coords[n], coords[c]) for c in chosen),
        )
        chosen.append(best)
    return chosen


def districts_of(coords, junctions, k, rng):
    """k districts by k-means on the junctions' coordinates (seeded), named by position."""
    pts = np.array([coords[j] for j in junctions])
    centres = pts[rng.choice(len(pts), k, replace=False)]
    for _ in range(50):
        label = np.argmin(((pts[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        centres = np.array(
            [pts[label == c].mean(0) if (label == c).any() else centres[c] for c in range(k)]
        )
    order = np.argsort(-centres[:, 1])  # north first
    names = ["DMA-N", "DMA-C", "DMA-S", "DMA-E", "DMA-W"][:k]
    rename = {int(c): names[i] for i, c in enumerate(order)}
    return {j: rename[int(label[i])] for i, j in enumerate(junctions)}


def long_pattern(day_shape, n_steps, residential, rng):
    """A 15-minute multiplier series: the daily shape (24 hourly values, interpolated), a
    later and lower weekend morning for residential use, a wandering day factor, noise."""
    hours = np.arange(96) / 4.0
    base = np.interp(hours, np.arange(25), np.append(day_shape, day_shape[0]))
    weekend = np.interp((hours - 1.5) % 24, np.arange(25), np.append(day_shape, day_shape[0]))
    days = n_steps // 96
    factor, out = 1.0, []
    for d in range(days):
        factor = 1.0 + 0.7 * (factor - 1.0) + rng.normal(0, 0.012)
        is_weekend = d % 7 in (5, 6)  # day 0 is a Monday
        shape = weekend * 0.95 if (residential and is_weekend) else base
        out.append(shape * factor * (1.0 + rng.normal(0, 0.015, 96)))
    return np.concatenate(out)


def build(args):
    rng = np.random.default_rng(args.seed)
    wn = wntr.network.WaterNetworkModel(library_inp(args.network))
    n_steps = args.weeks * 7 * 96
    duration = n_steps * STEP

    # Time controls repeated daily; level controls kept.
    timed = {}
    for name in list(wn.control_name_list):
        ctl = wn.get_control(name)
        text = str(ctl)
        if "SYSTEM TIME" in text:
            hour = float(text.split("SYSTEM TIME IS ")[1].split(" ")[0].split(":")[0])
            link = ctl.actions()[0].target()[0]
            status = "OPEN" if "IS OPEN" in text else "CLOSED"
            timed.setdefault(link.name, set()).add((hour % 24, status))
            wn.remove_control(name)
    for link_name, events in timed.items():
        link = wn.get_link(link_name)
        for i, (hour, status) in enumerate(sorted(events)):
            value = wntr.network.LinkStatus.Open if status == "OPEN" else wntr.network.LinkStatus.Closed
            act = wntr.network.ControlAction(link, "status", value)
            cond = wntr.network.TimeOfDayCondition(wn, "=", hour * 3600)
            wn.add_control(f"daily-{link_name}-{i}", wntr.network.Control(cond, act))

    wn.options.time.duration = duration - STEP
    wn.options.time.hydraulic_timestep = STEP
    wn.options.time.pattern_timestep = STEP
    wn.options.time.report_timestep = STEP
    wn.options.hydraulic.demand_model = "PDD"
    wn.options.hydraulic.required_pressure = 20.0
    wn.options.hydraulic.minimum_pressure = 0.0

    # Demand: each pattern class becomes a long series; the network's default pattern (used
    # by junctions without one) is treated as residential.
    default = wn.options.hydraulic.pattern or "1"
    replaced = {}
    for j_name in wn.junction_name_list:
        j = wn.get_node(j_name)
        for d in j.demand_timeseries_list:
            pat = d.pattern_name or default
            if pat not in replaced:
                shape = np.array(wn.get_pattern(pat).multipliers, dtype=float)
                if len(shape) != 24:
                    shape = np.resize(shape, 24)
                new = f"long-{pat}"
                wn.add_pattern(new, long_pattern(shape, n_steps, pat == default, rng))
                replaced[pat] = new
            d.pattern_name = replaced[pat]

    coords = {n: tuple(wn.get_node(n).coordinates) for n in wn.node_name_list}
    junctions = [j for j in wn.junction_name_list if wn.get_node(j).base_demand >= 0]
    district = districts_of(coords, junctions, args.districts, rng)
    xs = [c[0] for c in coords.values()]
    ys = [c[1] for c in coords.values()]

    def latlon(name):
        x, y = coords[name]
        lat = 39.25 + (y - min(ys)) / (max(ys) - min(ys)) * 0.05
        lon = 9.10 + (x - min(xs)) / (max(xs) - min(xs)) * 0.09
        return round(lat, 6), round(lon, 6)

    # Loggers sit in the distribution network, not on a pump's or a tank's doorstep (whose
    # pressure follows the pump or the tank's level rather than demand).
    plant = set(wn.reservoir_name_list) | set(wn.tank_name_list)
    for pump in wn.pump_name_list:
        plant |= {wn.get_link(pump).start_node_name, wn.get_link(pump).end_node_name}
    near_plant = set(plant)
    for node in plant:
        for link_name in wn.get_links_for_node(node):
            link = wn.get_link(link_name)
            near_plant |= {link.start_node_name, link.end_node_name}
    network = [j for j in junctions if j not in near_plant]
    loggers = farthest_points(coords, network, args.loggers, rng)
    # Flow meters: the main leaving every source and tank.
    meters = []
    for src in wn.reservoir_name_list + wn.tank_name_list:
        for link_name in wn.get_links_for_node(src):
            link = wn.get_link(link_name)
            downstream = link.end_node_name if link.start_node_name == src else link.start_node_name
            if downstream in wn.junction_name_list:
                meters.append((link_name, downstream, 1.0 if link.start_node_name == src else -1.0))
    # Pumps feeding from a reservoir: meter the pump's discharge main.
    for pump in wn.pump_name_list:
        p = wn.get_link(pump)
        if p.start_node_name in wn.reservoir_name_list:
            for link_name in wn.get_links_for_node(p.end_node_name):
                if link_name != pump:
                    link = wn.get_link(link_name)
                    other = link.end_node_name if link.start_node_name == p.end_node_name else link.start_node_name
                    meters.append((link_name, other, 1.0))
                    break
    if args.meter_links:
        # Named mains only (a utility rarely meters every tank), in the order given.
        by_name = {m[0]: m for m in meters}
        for name in args.meter_links.split(","):
            if name not in by_name:
                link = wn.get_link(name)
                by_name[name] = (name, link.end_node_name, 1.0)
        meters = [by_name[name] for name in args.meter_links.split(",")]
    meters = meters[: args.meters]

    sensors = []
    for i, j in enumerate(loggers):
        lat, lon = latlon(j)
        sensors.append({"node_id": f"P{i + 1:02}", "name": f"Pressure logger J-{j}", "kind": "pressure",
                        "lat": lat, "lon": lon, "district": district[j], "element": j})
    for i, (link_name, downstream, _) in enumerate(meters):
        lat, lon = latlon(downstream)
        sensors.append({"node_id": f"F{i + 1:02}", "name": f"Flow meter main {link_name}", "kind": "flow",
                        "lat": lat, "lon": lon, "district": district.get(downstream, sensors[0]["district"]),
                        "element": link_name})

    # Leaks: bursts and incipient ones, starting after two weeks, at junctions without a logger.
    start0 = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    sites = [j for j in network if j not in loggers]
    leaks = []
    kinds = ["burst"] * args.bursts + ["incipient"] * args.incipient
    rng.shuffle(kinds)
    # Starts at least two days apart (one event at a time, as on the development set).
    while True:
        starts = sorted(rng.integers(14 * 96, n_steps - 2 * 96, len(kinds)))
        if all(b - a >= 2 * 96 for a, b in zip(starts, starts[1:])):
            break
    for k, (kind, s) in enumerate(zip(kinds, starts)):
        site = sites.pop(int(rng.integers(len(sites))))
        if kind == "burst":
            target = rng.uniform(15, 45)
            e = int(min(s + rng.integers(24 * 4, 72 * 4), n_steps - 1))
        else:
            target = rng.uniform(4, 10)
            e = n_steps - 1
        # Area for the target flow at a typical 40 m of pressure; the simulation gives the real flow.
        area = target / 1000.0 / (0.75 * math.sqrt(2 * G * 40.0))
        leaks.append({"leak_id": f"L{k + 1}", "leak_junction": site, "kind": kind, "start_step": int(s),
                      "end_step": e, "area": round(area, 6), "discharge_coeff": 0.75})

    return wn, rng, n_steps, start0, sensors, meters, leaks, district, coords, latlon


def simulate(wn, leaks):
    for lk in leaks:
        wn.get_node(lk["leak_junction"]).add_leak(
            wn, area=lk["area"], discharge_coeff=lk["discharge_coeff"],
            start_time=lk["start_step"] * STEP,
            end_time=lk["end_step"] * STEP if lk["kind"] == "burst" else None)
    sim = wntr.sim.WNTRSimulator(wn)
    return sim.run_sim()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--network", default="Net3")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--loggers", type=int, default=12)
    ap.add_argument("--meters", type=int, default=4)
    ap.add_argument("--meter-links", help="comma-separated links to meter (default: every source and tank main)")
    ap.add_argument("--districts", type=int, default=3)
    ap.add_argument("--bursts", type=int, default=3)
    ap.add_argument("--incipient", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t0 = time.time()

    wn, rng, n_steps, start0, sensors, meters, leaks, district, coords, latlon = build(args)
    clean = simulate(copy.deepcopy(wn), [])
    t1 = time.time()
    res = simulate(wn, leaks)
    t2 = time.time()

    def series(results, s):
        if s["kind"] == "pressure":
            return results.node["pressure"][s["element"]].to_numpy() * G / 100.0  # m -> bar (ρg/1e5)
        sign = next(m[2] for m in meters if m[0] == s["element"])
        return results.link["flowrate"][s["element"]].to_numpy() * 1000.0 * sign

    true = {s["node_id"]: series(res, s) for s in sensors}
    base = {s["node_id"]: series(clean, s) for s in sensors}
    for s in sensors:
        assert len(true[s["node_id"]]) == n_steps, (s, len(true[s["node_id"]]), n_steps)

    # Labels of each leak, from the difference with the run without leaks.
    for lk in leaks:
        a, b = lk["start_step"], lk["end_step"] + 1
        if lk["kind"] == "incipient":
            b = min(b, a + 7 * 96)
        site = lk["leak_junction"]
        lk["mean_leak_flow_lps"] = round(float(res.node["leak_demand"][site].to_numpy()[a:b].mean() * 1000.0), 2)
        lat, lon = latlon(site)
        lk.update({"lat": lat, "lon": lon, "district": district[site]})
        near = sorted((s for s in sensors if s["kind"] == "pressure"),
                      key=lambda s: math.dist(coords[site], coords[s["element"]]))
        lk["nearest_sensors"] = [s["node_id"] for s in near]
        lk["pressure_drop_bar"] = {s["node_id"]: round(float((base[s["node_id"]][a:b] - true[s["node_id"]][a:b]).mean()), 4)
                                   for s in near}
        lk["flow_change_lps"] = {s["node_id"]: round(float((true[s["node_id"]][a:b] - base[s["node_id"]][a:b]).mean()), 2)
                                 for s in sensors if s["kind"] == "flow"}
        affected = [n for i, n in enumerate(lk["nearest_sensors"]) if i < 3 or lk["pressure_drop_bar"][n] >= 0.02]
        affected += [n for n, q in lk["flow_change_lps"].items() if abs(q) >= 2.0]
        lk["affected_sensors"] = affected
        at = lambda step: (start0 + dt.timedelta(seconds=step * STEP)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lk["start"], lk["end"] = at(a), at(lk["end_step"])
        lk["ongoing_at_end"] = lk["kind"] == "incipient"

    # Readings: offset and noise, rounded like a SCADA export; totalisers; then the faults.
    noise = {}
    readings = {}
    for s in sensors:
        v = true[s["node_id"]].copy()
        if s["kind"] == "pressure":
            sigma, offset = float(rng.uniform(0.008, 0.02)), float(rng.normal(0, 0.012))
        else:
            sigma, offset = float(rng.uniform(1.5, 3.0)), 0.0
        noise[s["node_id"]] = {"sigma": round(sigma, 4), "offset": round(offset, 4)}
        v = v + offset + rng.normal(0, sigma, len(v))
        if s["kind"] == "flow":
            v[np.abs(true[s["node_id"]]) < 1e-3] = 0.0  # a stopped pump's main reads zero
        readings[s["node_id"]] = {"pressure" if s["kind"] == "pressure" else "flow_rate": v}
        if s["kind"] == "flow":
            readings[s["node_id"]]["volume"] = 100_000.0 + np.cumsum(v) * STEP / 1000.0

    faults = []
    pressure_ids = [s["node_id"] for s in sensors if s["kind"] == "pressure"]
    all_ids = [s["node_id"] for s in sensors]
    missing = {nid: np.zeros(n_steps, bool) for nid in all_ids}
    at = lambda step: (start0 + dt.timedelta(seconds=int(step) * STEP)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for _ in range(5):
        nid, t = all_ids[rng.integers(len(all_ids))], int(rng.integers(7 * 96, n_steps))
        missing[nid][t] = True
        faults.append({"node_id": nid, "metric": "*", "kind": "missing", "start": at(t), "end": at(t)})
    nid, t = pressure_ids[rng.integers(len(pressure_ids))], int(rng.integers(10 * 96, n_steps - 96))
    missing[nid][t:t + 11] = True
    faults.append({"node_id": nid, "metric": "*", "kind": "missing", "start": at(t), "end": at(t + 10)})
    nid, t = pressure_ids[rng.integers(len(pressure_ids))], int(rng.integers(10 * 96, n_steps - 3 * 96))
    length = int(rng.integers(24 * 4, 48 * 4))
    v = readings[nid]["pressure"]
    v[t:t + length] = round(float(v[t - 1]), 3)
    faults.append({"node_id": nid, "metric": "pressure", "kind": "stuck", "start": at(t), "end": at(t + length - 1)})
    nid, t = pressure_ids[rng.integers(len(pressure_ids))], int(rng.integers(10 * 96, n_steps))
    readings[nid]["pressure"][t] += float(rng.choice([-1, 1]) * rng.uniform(1.0, 2.5))
    faults.append({"node_id": nid, "metric": "pressure", "kind": "spike", "start": at(t), "end": at(t)})
    faults.sort(key=lambda f: f["start"])

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "nodes.csv"), "w") as f:
        f.write("node_id,name,kind,lat,lon,district\n")
        for s in sensors:
            f.write(f"{s['node_id']},{s['name']},{s['kind']},{s['lat']},{s['lon']},{s['district']}\n")
    with open(os.path.join(args.out, "readings.csv"), "w") as f:
        f.write("timestamp,node_id,metric,value\n")
        for t in range(n_steps):
            stamp = at(t)
            for s in sensors:
                nid = s["node_id"]
                if missing[nid][t]:
                    continue
                for metric, v in readings[nid].items():
                    digits = 3 if metric == "pressure" else 2 if metric == "flow_rate" else 1
                    f.write(f"{stamp},{nid},{metric},{v[t]:.{digits}f}\n")
    for lk in leaks:
        for key in ("start_step", "end_step"):
            lk.pop(key)
    meta = {"generator": "scripts/bench/gen_network.py", "wntr_version": wntr.__version__,
            "network": f"{args.network}.inp", "seed": args.seed, "start": at(0), "end": at(n_steps),
            "step_s": STEP, "n_steps": n_steps, "weeks": args.weeks,
            "demand_model": "PDD (required 20 m, minimum 0 m)", "sensors": sensors, "noise": noise,
            "timings": {"clean_sim_s": round(t1 - t0, 1), "leak_sim_s": round(t2 - t1, 1),
                        "total_s": round(time.time() - t0, 1)}}
    with open(os.path.join(args.out, "labels.json"), "w") as f:
        json.dump({"meta": meta, "leaks": leaks, "sensor_faults": faults}, f, indent=1)
    print(f"{args.out}: {len(sensors)} sensors, {len(leaks)} leaks, {len(faults)} faults, "
          f"{time.time() - t0:.0f} s")
    for lk in leaks:
        print(f"  {lk['leak_id']} {lk['kind']:9} {lk['start']} {lk['district']} {lk['mean_leak_flow_lps']:5.1f} L/s"
              f" near {lk['nearest_sensors'][:3]} drops {[lk['pressure_drop_bar'][n] for n in lk['nearest_sensors'][:3]]}")


if __name__ == "__main__":
    main()
