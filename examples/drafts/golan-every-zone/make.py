#!/usr/bin/env python3
"""Makes this draft from examples/golan-illustrative: every zone changed, line B moved.

Each zone is scaled by 4 % about the centre of its exteriors' bounding box and
moved 0.003 degrees east and 0.002 north (scaling keeps rings simple and holes inside);
line B is moved 0.003 degrees east. The rules change as a delegation's counter-proposal
might: a cap lowered, a standoff widened, a phase moved, a rule dropped, one added.
Standard library only; run from the repository root.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "golan-illustrative")


def moved(ring, cx, cy, k=1.04, dx=0.003, dy=0.002):
    return [[round(cx + (x - cx) * k + dx, 6), round(cy + (y - cy) * k + dy, 6)] for x, y in ring]


def main():
    zones = json.load(open(os.path.join(SRC, "zones.geojson")))
    for f in zones["features"]:
        g = f["geometry"]
        if g["type"] in ("Polygon", "MultiPolygon"):
            polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
            xs = [p[0] for rings in polys for p in rings[0]]
            ys = [p[1] for rings in polys for p in rings[0]]
            cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
            out = [[moved(r, cx, cy) for r in rings] for rings in polys]
            g["coordinates"] = out[0] if g["type"] == "Polygon" else out
        elif f["properties"]["id"] == "line-b":
            g["coordinates"] = [[round(x + 0.003, 6), y] for x, y in g["coordinates"]]
    with open(os.path.join(HERE, "zones.geojson"), "w") as out:
        json.dump(zones, out)
        out.write("\n")

    text = open(os.path.join(SRC, "agreement.toml")).read()
    for old, new in [
        ("version = 1", "version = 2"),
        ('title = "Illustrative southern Syria security arrangement"',
         'title = "Illustrative southern Syria security arrangement (counter-proposal)"'),
        ('category = "tank"\nmax = 75\n\n[[rules]]\nid = "sy-aol10-tanks"',
         'category = "tank"\nmax = 50\n\n[[rules]]\nid = "sy-aol10-tanks"'),
        ('target = "line-b"\nparties = ["SY"]\ncategories = ["sam"]\nmin_km = 25',
         'target = "line-b"\nparties = ["SY"]\ncategories = ["sam"]\nmin_km = 30'),
        ('active_until = "2025-12-02T04:48:00Z"', 'active_until = "2025-12-02T12:00:00Z"'),
        ('active_from = "2025-12-02T04:48:00Z"', 'active_from = "2025-12-02T12:00:00Z"'),
        ('[[rules]]\nid = "sy-aol20-artillery"\nkind = "cap"\nzone = "AOL20-SY"\nparty = "SY"\n'
         'category = "artillery"\nmax = 162\n\n', ''),
        ('name = "Irregular and allied armed groups"', 'name = "Irregular armed groups"'),
    ]:
        assert old in text, old
        text = text.replace(old, new, 1)
    text += ('\n[[rules]]\nid = "il-aol20-artillery"\nkind = "cap"\nzone = "AOL20-IL"\n'
             'party = "IL"\ncategory = "artillery"\nmax = 162\n')
    with open(os.path.join(HERE, "agreement.toml"), "w") as out:
        out.write(text)


if __name__ == "__main__":
    main()
