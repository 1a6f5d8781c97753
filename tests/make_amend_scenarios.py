"""Writes the four amendment scenarios of tests/scenarios (agreement, zones, tracks, amend/,
args): python3 tests/make_amend_scenarios.py tests/scenarios. Their expected events are
worked out by hand in each README.md and kept in expected.jsonl; shared/tools/oracle.py
gives the same."""
import json, os, sys
root = sys.argv[1]
T = "2026-01-01T02:00:00Z"
def box(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
def fc(feats):
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": fid}, "geometry": g} for fid, g in feats]}
HEAD = """[agreement]
id = "{id}"
title = "{title}"
version = {version}
geometry = "zones.geojson"

[[parties]]
id = "A"
name = "Party A"
role = "party"

[[parties]]
id = "B"
name = "Party B"
role = "party"

[[parties]]
id = "M"
name = "Mediator"
role = "mediator"

[[categories]]
id = "inf"
name = "Infantry"

[[categories]]
id = "tank"
name = "Tanks"
"""
def write(name, title, rules_a, feats_a, rules_b, feats_b, tracks):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "amend"), exist_ok=True)
    for sub, rules, feats, version in (("", rules_a, feats_a, 1), ("amend", rules_b, feats_b, 2)):
        with open(os.path.join(d, sub, "agreement.toml"), "w") as f:
            f.write(HEAD.format(id=name, title=title, version=version) + rules)
        with open(os.path.join(d, sub, "zones.geojson"), "w") as f:
            json.dump(fc(feats), f)
            f.write("\n")
    with open(os.path.join(d, "tracks.jsonl"), "w") as f:
        for t, unit, party, cat, count, lon, lat in tracks:
            f.write(json.dumps({"t": f"2026-01-01T{t}Z", "unit": unit, "party": party,
                                "category": cat, "count": count, "lon": lon, "lat": lat},
                               separators=(",", ":")) + "\n")
    with open(os.path.join(d, "args"), "w") as f:
        f.write(f"--amend amend/agreement.toml --at {T}\n")

small, large = box(35.0, 33.0, 35.2, 33.2), box(35.0, 33.0, 35.4, 33.2)
EXCL_B = """
[[rules]]
id = "box-no-b"
kind = "exclusion"
zone = "box"
parties = ["B"]
"""
write("amend-zone-enlarged", "A zone enlarged with a unit inside",
      EXCL_B, [("box", small)], EXCL_B, [("box", large)],
      [("01:00:00", "b1", "B", "inf", 1, 35.3, 33.1),
       ("01:00:00", "b2", "B", "inf", 1, 35.1, 33.1),
       ("01:30:00", "a1", "A", "inf", 1, 35.1, 33.1),
       ("02:30:00", "a1", "A", "inf", 1, 35.12, 33.1),
       ("03:00:00", "b1", "B", "inf", 1, 35.5, 33.1),
       ("03:30:00", "b2", "B", "inf", 1, 35.3, 33.1),
       ("04:00:00", "b2", "B", "inf", 1, 35.45, 33.1)])

def caps(a_tank, a_inf):
    return f"""
[[rules]]
id = "cap-a-tank"
kind = "cap"
zone = "aol"
party = "A"
category = "tank"
max = {a_tank}

[[rules]]
id = "cap-a-inf"
kind = "cap"
zone = "aol"
party = "A"
category = "inf"
max = {a_inf}

[[rules]]
id = "cap-b-inf"
kind = "cap"
zone = "aol"
party = "B"
category = "inf"
max = 5
"""
write("amend-cap-lowered", "A cap lowered under the present total",
      caps(30, 10), [("aol", small)], caps(20, 8), [("aol", small)],
      [("01:00:00", "a1", "A", "tank", 15, 35.1, 33.1),
       ("01:00:00", "a2", "A", "tank", 10, 35.15, 33.1),
       ("01:00:00", "a3", "A", "inf", 12, 35.05, 33.05),
       ("01:00:00", "b1", "B", "inf", 10, 35.1, 33.15),
       ("02:10:00", "a1", "A", "tank", 15, 35.1, 33.1),
       ("03:00:00", "a2", "A", "tank", 10, 35.3, 33.1),
       ("03:30:00", "b1", "B", "inf", 10, 35.3, 33.15),
       ("04:00:00", "a3", "A", "inf", 7, 35.05, 33.05)])

line = {"type": "LineString", "coordinates": [[35.5, 33.0], [35.5, 33.2]]}
REMOVED = EXCL_B + """
[[rules]]
id = "standoff-b-line"
kind = "standoff"
target = "line-a"
parties = ["B"]
min_km = 2

[[rules]]
id = "box-no-a"
kind = "exclusion"
zone = "box"
parties = ["A"]
"""
KEPT = """
[[rules]]
id = "box-no-a"
kind = "exclusion"
zone = "box"
parties = ["A"]
"""
write("amend-rule-removed", "Rules removed while breached",
      REMOVED, [("box", small), ("line-a", line)], KEPT, [("box", small), ("line-a", line)],
      [("01:00:00", "b1", "B", "inf", 1, 35.1, 33.1),
       ("01:00:00", "b2", "B", "inf", 1, 35.51, 33.1),
       ("01:00:00", "a1", "A", "inf", 1, 35.3, 33.1),
       ("02:30:00", "b1", "B", "inf", 1, 35.12, 33.1),
       ("03:00:00", "b2", "B", "inf", 1, 35.505, 33.1),
       ("03:30:00", "a1", "A", "inf", 1, 35.1, 33.1)])

def unchanged(noted):
    return EXCL_B + f"""
[[rules]]
id = "sep-a-b"
kind = "separation"
parties = ["A", "B"]
min_km = 5

[[rules]]
id = "late-cap-a"
kind = "cap"
zone = "box"
party = "A"
category = "inf"
max = 0
active_from = "{T}"

[[rules]]
id = "until-t"
kind = "exclusion"
zone = "box"
parties = ["B"]
active_until = "{T}"

[[rules]]
id = "noted"
kind = "exclusion"
zone = "box"
parties = ["A"]
description = "{noted}"
"""
write("amend-unchanged", "Unchanged rules across the instant",
      unchanged("No forces of A in the box."), [("box", small)],
      unchanged("No forces of A in the box, as redrafted."), [("box", small)],
      [("01:00:00", "a1", "A", "inf", 3, 35.1, 33.1),
       ("01:00:00", "b1", "B", "inf", 1, 35.13, 33.1),
       ("02:30:00", "a2", "A", "inf", 1, 35.8, 33.8),
       ("03:00:00", "b1", "B", "inf", 1, 35.3, 33.1)])
