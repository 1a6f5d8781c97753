#!/usr/bin/env python3
"""Benchmarks of `truceline draft diff` and `truceline draft impact` (issue 11), with
their peers measured in the same run.

usage: bench/draft_bench.py [--bin target/release/truceline] [--runs N] [--skip-impact]
                            [--data DIR]

diff:   `truceline draft diff` of examples/golan-illustrative against
        examples/drafts/golan-every-zone (every zone changed), end to end (process start,
        both drafts read and validated, hashes, boolean operations, JSON out), median of N;
        then shapely's `symmetric_difference` of the same zone pairs (the files read once,
        outside the timing; all six zones per run), median of N; and shapely doing what
        the report does per zone (A-B, B-A, A&B and their areas).
impact: the bench scenario of shared/tools/bench-replay (gen_scenario.py --bench --units
        100 --hours 48 --period-min 10, cached in DIR), a draft of it with every zone
        scaled by 4 % and every cap lowered by a fifth, then `truceline replay` and
        `truceline draft impact` alternately, N each; median wall times and their ratio.
Needs shapely (pip install shapely numpy pyproj).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")


def wall(cmd, stdout=subprocess.DEVNULL):
    return timed(cmd, stdout)[0]


def timed(cmd, stdout=subprocess.DEVNULL):
    """Wall time and CPU time (user + system) of one run of cmd."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=stdout, stderr=subprocess.DEVNULL)
    w = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return w, cpu


def load_zones(path):
    from shapely.geometry import shape
    zones = {}
    for f in json.load(open(path))["features"]:
        if f["geometry"]["type"] in ("Polygon", "MultiPolygon"):
            zones[f["properties"]["id"]] = shape(f["geometry"])
    return zones


def bench_diff(binary, runs):
    import shapely
    a = os.path.join(ROOT, "examples/golan-illustrative/agreement.toml")
    b = os.path.join(ROOT, "examples/drafts/golan-every-zone/agreement.toml")
    wall([binary, "draft", "diff", a, b])  # warm the page cache
    ours = [wall([binary, "draft", "diff", a, b]) for _ in range(runs)]
    za = load_zones(os.path.join(ROOT, "examples/golan-illustrative/zones.geojson"))
    zb = load_zones(os.path.join(ROOT, "examples/drafts/golan-every-zone/zones.geojson"))
    pairs = [(za[k], zb[k]) for k in za if k in zb]
    sym, full = [], []
    for _ in range(runs):
        t = time.perf_counter()
        for x, y in pairs:
            shapely.symmetric_difference(x, y)
        sym.append(time.perf_counter() - t)
        t = time.perf_counter()
        for x, y in pairs:
            for piece in (x.difference(y), y.difference(x), x.intersection(y)):
                piece.area
        full.append(time.perf_counter() - t)
    ms = lambda xs: statistics.median(xs) * 1000
    timing = os.path.join(os.path.dirname(binary), "examples", "diff_timing")
    inproc = None
    if os.path.exists(timing):
        inproc = subprocess.run([timing, os.path.dirname(a), os.path.dirname(b), str(runs)],
                                check=True, capture_output=True, text=True).stdout
    print(f"draft diff, {len(pairs)} zones changed, {runs} runs each")
    print(f"  truceline draft diff, end to end (process)      median {ms(ours):7.2f} ms"
          f"  (min {min(ours) * 1000:.2f}, max {max(ours) * 1000:.2f})")
    print(f"  shapely symmetric_difference, the {len(pairs)} zone pairs   median {ms(sym):7.2f} ms")
    print(f"  shapely A-B, B-A, A&B and areas, the {len(pairs)} pairs    median {ms(full):7.2f} ms")
    if inproc:
        print("  truceline in process (examples/diff_timing):")
        for line in inproc.splitlines()[1:]:
            print("    " + line)


def make_draft(src, out):
    """The bench agreement with every zone scaled by 4 % and every cap lowered by a fifth."""
    os.makedirs(out, exist_ok=True)
    zones = json.load(open(os.path.join(src, "zones.geojson")))
    for f in zones["features"]:
        g = f["geometry"]
        if g["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        xs = [p[0] for rings in polys for p in rings[0]]
        ys = [p[1] for rings in polys for p in rings[0]]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        out_polys = [[[[cx + (x - cx) * 1.04, cy + (y - cy) * 1.04] for x, y in r] for r in rings]
                     for rings in polys]
        g["coordinates"] = out_polys[0] if g["type"] == "Polygon" else out_polys
    json.dump(zones, open(os.path.join(out, "zones.geojson"), "w"))
    text = open(os.path.join(src, "agreement.toml")).read()
    text = re.sub(r"(?m)^max = (\d+)$", lambda m: f"max = {int(m.group(1)) * 4 // 5}", text)
    text = re.sub(r"(?m)^version = \d+$", "version = 2", text)
    open(os.path.join(out, "agreement.toml"), "w").write(text)


def bench_impact(binary, runs, data):
    scenario = os.path.join(data, "u100-h48-p10")
    if not os.path.exists(os.path.join(scenario, "tracks.jsonl")):
        subprocess.run([sys.executable, os.path.join(SHARED, "tools/gen_scenario.py"), scenario,
                        "--bench", "--units", "100", "--hours", "48", "--period-min", "10"],
                       check=True)
    a = os.path.join(scenario, "agreement.toml")
    tracks = os.path.join(scenario, "tracks.jsonl")
    draft = os.path.join(data, "u100-h48-p10-draft")
    make_draft(scenario, draft)
    b = os.path.join(draft, "agreement.toml")
    replay = [binary, "replay", a, tracks]
    impact = [binary, "draft", "impact", "--baseline", a, "--draft", b, tracks]
    wall(replay)
    out = subprocess.run(impact, check=True, capture_output=True, text=True).stdout
    report = json.loads(out)
    r, i, rc, ic = [], [], [], []
    for _ in range(runs):
        w, c = timed(replay)
        r.append(w)
        rc.append(c)
        w, c = timed(impact)
        i.append(w)
        ic.append(c)
    mr, mi = statistics.median(r), statistics.median(i)
    print(f"draft impact over {report['reports']:,} reports, {runs} runs each, alternated")
    print(f"  truceline replay (one agreement, events to /dev/null)  median {mr:.3f} s  runs {', '.join(f'{x:.3f}' for x in r)}")
    print(f"  truceline draft impact (both drafts, one pass)          median {mi:.3f} s  runs {', '.join(f'{x:.3f}' for x in i)}")
    print(f"  ratio impact / replay: {mi / mr:.2f}x wall (bar: under 1.5x); CPU (user + system) "
          f"median {statistics.median(rc):.3f} s vs {statistics.median(ic):.3f} s: "
          f"{statistics.median(ic) / statistics.median(rc):.2f}x")
    pairs = sorted(b / a for a, b in zip(r, i))
    print(f"  ratio run by run (each impact over the replay just before it): median "
          f"{statistics.median(pairs):.2f}x, from {pairs[0]:.2f}x to {pairs[-1]:.2f}x")
    print("  breaches (A -> B): " + ", ".join(f"{x['id']} {x['breaches_a']}->{x['breaches_b']}"
                                             for x in report["rules"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/truceline"))
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--impact-runs", type=int, default=7)
    ap.add_argument("--skip-impact", action="store_true")
    ap.add_argument("--data", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "truceline-bench"))
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    bench_diff(args.bin, args.runs)
    if not args.skip_impact:
        bench_impact(args.bin, args.impact_runs, args.data)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
