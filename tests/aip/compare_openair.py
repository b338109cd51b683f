"""Compares deconflict's OpenAir import with the openAIP parser's expected
GeoJSON (tests/aip/data/openair/fixtures/*-result.json): for every fixture
with an expected result, each imported footprint's boundary must lie within
TOLERANCE_M of the expected boundary and the other way round (the symmetric
Hausdorff distance between the two outlines, vertices to segments, in a local
tangent plane). Circles are sampled every degree on the circle.

The tolerance is 20 m + 0.5 % of the airspace's largest arc or circle radius.
openAIP (turf) draws arcs on a sphere and snaps coordinates to 6 decimals;
deconflict draws them on the WGS84 ellipsoid, as its engine measures, with
chords at most 5 m inside the arc (DC_AIP_CHORD_ERROR_M), and keeps a lone DC
as an exact circle. A spherical and an ellipsoidal circle through the same
point differ by up to about 0.34 % of the radius (the flattening), 206 m on
the 60 km arc of arc-cw-ccw; 20 m covers both chord errors and the rounding.
Polygons of straight segments agree within a metre. Every distance is
printed."""
import glob
import json
import math
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("DC_BIN", os.path.join(ROOT, "build", "deconflict"))
FIX = os.path.join(ROOT, "tests", "aip", "data", "openair", "fixtures")
R = 6371008.8


def dest(lat, lon, az, s):
    la, lo, a, d = math.radians(lat), math.radians(lon), math.radians(az), s / R
    la2 = math.asin(math.sin(la) * math.cos(d) + math.cos(la) * math.sin(d) * math.cos(a))
    lo2 = lo + math.atan2(math.sin(a) * math.sin(d) * math.cos(la),
                          math.cos(d) - math.sin(la) * math.sin(la2))
    return math.degrees(la2), math.degrees(lo2)


def ring_of(fp):
    if fp["type"] == "Polygon":
        return [(p[1], p[0]) for p in fp["coordinates"][0]]
    if fp["type"] == "Point":
        lon, lat = fp["coordinates"]
        pts = [dest(lat, lon, az, fp["radius_m"]) for az in range(0, 360)]
        return pts + [pts[0]]
    if fp["type"] == "LineString":  # a corridor: its outline, sampled
        return corridor_outline([(p[1], p[0]) for p in fp["coordinates"]], fp["half_width_m"])
    raise ValueError("unexpected footprint %s" % fp["type"])


def corridor_outline(line, w):
    """The closed outline of the set within w of a one-segment line (a
    capsule), in lat/lon: one side every ~50 m, the cap every 2 degrees, the
    other side, the other cap."""
    assert len(line) == 2, "the fixtures' airways have one segment"
    (la1, lo1), (la2, lo2) = line
    kx = math.cos(math.radians((la1 + la2) / 2)) * math.pi / 180 * R
    ky = math.pi / 180 * R
    ax, ay, bx, by = lo1 * kx, la1 * ky, lo2 * kx, la2 * ky
    L = math.hypot(bx - ax, by - ay)
    base = math.atan2(by - ay, bx - ax)
    steps = max(2, int(L / 50))
    pts = []
    for (px, py), (qx, qy) in (((ax, ay), (bx, by)), ((bx, by), (ax, ay))):
        d = math.atan2(qy - py, qx - px)
        nx, ny = math.cos(d + math.pi / 2), math.sin(d + math.pi / 2)
        for i in range(steps + 1):  # the side to the left of p -> q
            t = i / steps
            pts.append((px + t * (qx - px) + w * nx, py + t * (qy - py) + w * ny))
        for k in range(91):  # the cap around q, left side to right side
            a = d + math.pi / 2 - math.radians(2 * k)
            pts.append((qx + w * math.cos(a), qy + w * math.sin(a)))
    pts.append(pts[0])
    return [(y / ky, x / kx) for x, y in pts]


def hausdorff(a, b):
    lat0 = sum(p[0] for p in a) / len(a)
    kx = math.cos(math.radians(lat0)) * math.pi / 180 * R
    ky = math.pi / 180 * R

    def xy(ring):
        return [(p[1] * kx, p[0] * ky) for p in ring]

    def seg_d(p, q, r):
        dx, dy = r[0] - q[0], r[1] - q[1]
        L = dx * dx + dy * dy
        t = 0 if L == 0 else max(0, min(1, ((p[0] - q[0]) * dx + (p[1] - q[1]) * dy) / L))
        return math.hypot(p[0] - q[0] - t * dx, p[1] - q[1] - t * dy)

    def one(u, v):
        return max(min(seg_d(p, v[i], v[i + 1]) for i in range(len(v) - 1)) for p in u)

    A, B = xy(a), xy(b)
    return max(one(A, B), one(B, A))


UNIT_M = {"FT": 0.3048, "M": 1.0, "FL": 30.48}


def limits_differ(got, props):
    """The vertical limits and activation windows against the expected
    properties (ceilings above ground with terrain 0: floor 0 m, ceiling as
    given); None when they agree."""
    v = got["volumes"]
    for key, ours in (("lowerCeiling", "altitude_lower_m"), ("upperCeiling", "altitude_upper_m")):
        c = props[key]
        m = c["value"] * UNIT_M[c["unit"]]
        if key == "lowerCeiling" and c["referenceDatum"] == "GND":
            m = 0.0
        if abs(v[0][ours] - m) > 0.5:
            return "%s %.1f m, expected %.1f m" % (ours, v[0][ours], m)
    acts = props.get("activationTimes")
    if acts:
        if len(acts) != len(v):
            return "%d volumes for %d activation times" % (len(v), len(acts))
        for a, x in zip(acts, v):
            if "start" in a and a["start"] != x["time_start"]:
                return "time_start %s, expected %s" % (x["time_start"], a["start"])
            if "end" in a and a["end"] != x["time_end"]:
                return "time_end %s, expected %s" % (x["time_end"], a["end"])
    return None


def coord(t):
    """'43:46:14 N 007:15:16 E' -> (lat, lon), enough for the radii."""
    import re
    m = re.findall(r"([0-9.:]+)\s*([NSEW])", t)
    out = []
    for val, h in m[:2]:
        parts = [float(x) for x in val.split(":")]
        d = parts[0] + (parts[1] / 60 if len(parts) > 1 else 0) + (parts[2] / 3600 if len(parts) > 2 else 0)
        out.append(-d if h in "SW" else d)
    return tuple(out)


def sphere_m(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(h))


def radii(txt):
    """The largest arc/circle radius (m) of each airspace in an OpenAir file."""
    out, centre, cur = [], None, None
    for line in open(txt, encoding="utf-8", errors="replace"):
        line = line.split("*")[0].strip()
        u = line.upper()
        if u.startswith("AC"):
            if cur is not None:
                out.append(cur)
            cur = 0.0
        elif u.startswith("V") and "X" in u.split("=")[0]:
            centre = coord(line.split("=", 1)[1])
        elif u.startswith("V") and "W" in u.split("=")[0]:
            cur = max(cur or 0.0, float(line.split("=", 1)[1]) * 1852 / 2)
        elif u.startswith("DA") or u.startswith("DC"):
            cur = max(cur or 0.0, float(line[2:].split(",")[0]) * 1852)
        elif u.startswith("DB") and centre:
            cur = max(cur or 0.0, sphere_m(centre, coord(line[2:].split(",")[0])))
    if cur is not None:
        out.append(cur)
    return out


def main():
    failed = 0
    checked = 0
    for res in sorted(glob.glob(os.path.join(FIX, "*-result.json"))):
        txt = res[:-len("-result.json")] + ".txt"
        if os.path.basename(res) == "awy-result.json":
            txt = os.path.join(FIX, "airway.txt")  # the airway fixture's result
        if not os.path.exists(txt):
            continue  # results of openAIP options (airway output, linestrings): no input here
        expected = [f for f in json.load(open(res))["features"]]
        out = subprocess.run([BIN, "airspace", "import", "--format", "openair", "--dry-run",
                              "--json", txt], capture_output=True, text=True)
        name = os.path.basename(txt)
        if out.returncode != 0:
            print("FAIL %s: not imported: %s%s" % (name, out.stdout, out.stderr))
            failed += 1
            continue
        got = json.loads(out.stdout)["restrictions"]
        if len(got) != len(expected):
            print("FAIL %s: %d airspaces, expected %d" % (name, len(got), len(expected)))
            failed += 1
            continue
        rad = radii(txt)
        for i, (g, e) in enumerate(zip(got, expected)):
            why = limits_differ(g, e["properties"])
            tol = 20.0 + 0.005 * rad[i]
            if "geometry" in e:  # some results were made without geometry
                d = hausdorff(ring_of(g["volumes"][0]["footprint"]), ring_of(e["geometry"]))
                if d > tol:
                    why = why or "outline %.1f m away" % d
                detail = "outline distance %.1f m (tolerance %.0f m)" % (d, tol)
            else:
                detail = "no expected geometry"
            checked += 1
            print("%s %s[%d] %s: %s%s" % ("FAIL" if why else "ok  ", name, i,
                                         e["properties"]["name"], detail,
                                         (": " + why) if why else ""))
            failed += bool(why)
    print("compare_openair: %d airspaces checked, %d failed" % (checked, failed))
    return 1 if failed or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
