"""Writes the reference scenario (examples/scenario/iraq.json) as the files a
person would hand to the CLI: one restriction body per restriction and one
plan per operation, with absolute times. The day is placed so that its
earliest operation (03:00) starts an hour from now. Also writes two position
reports, one per operator, of a converging pair over open desert (no
operation), for the alert check. Usage: scenario_files.py SCENARIO OUTDIR"""
import json
import os
import sys
import time


def main():
    scen = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    now = int(time.time())
    day0 = now + 3600 - 3 * 3600

    def at(hhmm):
        sign = -1 if hhmm.startswith("-") else 1
        h, m = hhmm.lstrip("+-").split(":")
        return time.strftime("%Y-%m-%dT%H:%M:%SZ",
                             time.gmtime(day0 + sign * (int(h) * 3600 + int(m) * 60)))

    def absolute(vols):
        for v in vols:
            v["time_start"], v["time_end"] = at(v["time_start"]), at(v["time_end"])
        return vols

    order = []
    for r in scen["restrictions"]:
        body = {"name": r["name"], "volumes": absolute(r["volumes"])}
        json.dump(body, open(os.path.join(out, "restriction-%s.json" % r["ref"]), "w"))
    for o in scen["operations"]:
        plan = {"priority": o.get("priority", 0), "volumes": absolute(o["volumes"])}
        json.dump(plan, open(os.path.join(out, "plan-%s.json" % o["ref"]), "w"))
        # the same plan as GeoJSON, as planning tools write it: one Feature per volume
        feats = []
        for v in plan["volumes"]:
            fp = dict(v["footprint"])
            props = {k: v[k] for k in ("altitude_lower_m", "altitude_upper_m", "time_start", "time_end")}
            for k in ("radius_m", "half_width_m"):
                if k in fp:
                    props[k] = fp.pop(k)
            feats.append({"type": "Feature", "geometry": fp, "properties": props})
        json.dump({"type": "FeatureCollection", "features": feats},
                  open(os.path.join(out, "plan-%s.geojson" % o["ref"]), "w"))
        order.append("%s %s %s" % (o["operator"], o["ref"], o.get("expect", "approve")))
    open(os.path.join(out, "plans.txt"), "w").write("\n".join(order) + "\n")
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    # head-on at the same altitude, 3 km apart, closing at 200 m/s
    for who, lon, trk in (("coalition", 42.00, 90.0), ("iran", 42.0326, 270.0)):
        rep = {"reports": [{"track_id": who.upper()[:3] + "1", "time": t, "lat": 31.0, "lon": lon,
                            "alt_m": 3000, "ground_speed_mps": 100, "track_deg": trk,
                            "vertical_rate_mps": 0}]}
        json.dump(rep, open(os.path.join(out, "reports-%s.json" % who), "w"))


if __name__ == "__main__":
    main()
