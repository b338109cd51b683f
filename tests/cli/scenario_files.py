"""Writes the reference scenario (examples/scenario/iraq.json) as the files a
person would hand to the CLI: one restriction body per restriction and one
plan per operation, with absolute times. The day is placed so that its
earliest operation (03:00) starts an hour from now. Also writes, for the
alert check, one small operation per operator over open desert, flying now
(6 km apart, so both are approved), and one position report per operator of
a converging pair inside them; each report names its operation as OP_ID,
which the caller replaces with the id its submission got (only an
operator's own live operation's aircraft raise its alerts).
Usage: scenario_files.py SCENARIO OUTDIR"""
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
    # head-on at the same altitude, 6 km apart, closing at 200 m/s
    t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60))
    t1 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 7200))
    for who, lon, trk in (("coalition", 42.00, 90.0), ("iran", 42.063, 270.0)):
        plan = {"priority": 10, "volumes": [{
            "footprint": {"type": "Point", "coordinates": [lon, 31.0], "radius_m": 500},
            "altitude_lower_m": 2500, "altitude_upper_m": 3500, "time_start": t0, "time_end": t1}]}
        json.dump(plan, open(os.path.join(out, "plan-desert-%s.json" % who), "w"))
        rep = {"reports": [{"track_id": who.upper()[:3] + "1", "time": t, "lat": 31.0, "lon": lon,
                            "alt_m": 3000, "ground_speed_mps": 100, "track_deg": trk,
                            "vertical_rate_mps": 0, "operation_id": "OP_ID"}]}
        json.dump(rep, open(os.path.join(out, "reports-%s.json" % who), "w"))


if __name__ == "__main__":
    main()
