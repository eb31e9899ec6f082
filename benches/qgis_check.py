"""QGIS 3.22's time to validate a polygon layer, for BENCHMARKS.md
("Validation (issue 10)"), next to `tramgis check` on the same layer.

QGIS 3.22 has no single "check overlaps and gaps" algorithm (the Geometry
Checker's processing algorithms came in 3.28+). The nearest standard steps,
the ones its Topology Checker rules perform:
  1. validity: processing "qgis:checkvalidity" (Check validity, GEOS method);
  2. overlaps ("must not overlap"): "native:intersection" of the layer with
     itself (R-tree candidates, exact GEOS intersection), keeping the pairs
     of different features whose intersection has an area;
  3. gaps ("must not have gaps"): "native:dissolve" (GEOS union), then the
     holes of the union up to MAX_GAP m².

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 benches/qgis_check.py WS.gpkg thua_dat [MAX_GAP]
"""

import sys
import time

from qgis.core import QgsApplication, QgsVectorLayer, QgsGeometry, QgsWkbTypes


def main():
    path, name = sys.argv[1], sys.argv[2]
    max_gap = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing
    import processing

    Processing.initialize()
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    if not layer.isValid():
        sys.exit(f"QGIS cannot open {path} layer {name}")
    print(f"{name}: {layer.featureCount()} features")
    times = {}

    start = time.perf_counter()
    r = processing.run(
        "qgis:checkvalidity",
        {
            "INPUT_LAYER": layer,
            "METHOD": 2,  # GEOS
            "IGNORE_RING_SELF_INTERSECTION": False,
            "VALID_OUTPUT": "memory:",
            "INVALID_OUTPUT": "memory:",
            "ERROR_OUTPUT": "memory:",
        },
    )
    times["check validity (GEOS)"] = time.perf_counter() - start
    print(f"invalid: {r['INVALID_COUNT']}, errors: {r['ERROR_COUNT']}")

    start = time.perf_counter()
    r = processing.run(
        "native:intersection",
        {"INPUT": layer, "OVERLAY": layer, "INPUT_FIELDS": ["fid"], "OVERLAY_FIELDS": ["fid"],
         "OVERLAY_FIELDS_PREFIX": "o_", "OUTPUT": "memory:"},
    )
    overlaps = 0
    for f in r["OUTPUT"].getFeatures():
        if f["fid"] < f["o_fid"] and f.geometry().area() > 0.01:
            overlaps += 1
    times["overlaps (self intersection)"] = time.perf_counter() - start
    print(f"overlaps: {overlaps}")

    start = time.perf_counter()
    r = processing.run("native:dissolve", {"INPUT": layer, "OUTPUT": "memory:"})
    gaps = 0
    for f in r["OUTPUT"].getFeatures():
        g = f.geometry()
        parts = g.asMultiPolygon() if g.isMultipart() else [g.asPolygon()]
        for part in parts:
            for hole in part[1:]:
                if QgsGeometry.fromPolygonXY([hole]).area() <= max_gap:
                    gaps += 1
    times["gaps (dissolve + holes)"] = time.perf_counter() - start
    print(f"gaps (holes up to {max_gap} m², parcels' own ponds included): {gaps}")

    total = sum(times.values())
    for k, v in times.items():
        print(f"{k:32} {v:8.2f} s")
    print(f"{'total':32} {total:8.2f} s")
    app.exitQgis()


if __name__ == "__main__":
    main()
