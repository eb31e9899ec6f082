#!/usr/bin/python3
"""The QGIS 3.22 Processing side of BENCHMARKS.md, "Land-use statistics and
transition matrix": the same computations as examples/stats_bench.rs.

  QT_QPA_PLATFORM=offscreen /usr/bin/python3 bench/qgis_stats.py WORKSPACE [PLAN_LAYER...]

Statistics: native:intersection of thua_dat (ma_loai_dat) with
ranh_gioi_xa (ma_xa) into a memory layer, then the area of each
intersection piece summed by (ma_xa, ma_loai_dat). Transition matrix:
native:intersection of thua_dat with each plan layer, areas summed by
(code, plan code). Times include QGIS reading the layers, as ours do.
"""
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.append("/usr/share/qgis/python/plugins")

from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402

app = QgsApplication([], False)
app.initQgis()
import processing  # noqa: E402
from processing.core.Processing import Processing  # noqa: E402

Processing.initialize()


def layer(path, name):
    lyr = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    if not lyr.isValid():
        sys.exit(f"{path}: cannot open layer {name}")
    return lyr


def intersect_and_sum(a, a_field, b, b_field):
    """Intersection, then the pieces' areas summed by both fields."""
    out = processing.run(
        "native:intersection",
        {
            "INPUT": a,
            "OVERLAY": b,
            "INPUT_FIELDS": [a_field],
            "OVERLAY_FIELDS": [b_field],
            "OVERLAY_FIELDS_PREFIX": "b_",
            "OUTPUT": "memory:",
        },
    )["OUTPUT"]
    sums = {}
    for f in out.getFeatures():
        key = (f[0], f[1])
        sums[key] = sums.get(key, 0.0) + f.geometry().area()
    return sums, out.featureCount()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    parcels = layer(path, "thua_dat")
    communes = layer(path, "ranh_gioi_xa")
    print(f"{path}: {parcels.featureCount()} parcels, {communes.featureCount()} communes, QGIS 3.22")
    start = time.perf_counter()
    sums, pieces = intersect_and_sum(parcels, "ma_loai_dat", communes, "ma_xa")
    seconds = time.perf_counter() - start
    print(
        f"stats: {seconds:.2f} s; {len(sums)} (code, commune) rows; {pieces} pieces; "
        f"parcel area in communes {sum(sums.values()):.2f} m²"
    )
    for plan in sys.argv[2:]:
        start = time.perf_counter()
        sums, pieces = intersect_and_sum(parcels, "ma_loai_dat", layer(path, plan), "ma_loai_dat")
        seconds = time.perf_counter() - start
        changed = sum(a for (f, t), a in sums.items() if f != t)
        print(
            f"compare thua_dat → {plan}: {seconds:.2f} s; {len(sums)} (from, to) pairs; "
            f"overlap {sum(sums.values()):.2f} m², changed {changed:.2f} m²"
        )


main()
app.exitQgis()
