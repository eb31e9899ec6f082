"""BTS coverage in QGIS 3.22 Processing, the yardstick of BENCHMARKS.md
("BTS coverage"): the same towers with the same radii (from the CSV that
examples/coverage_bench.rs writes), buffered with the same segments and
dissolved per operator and for all operators (native:buffer, DISSOLVE), then
intersected with the communes (native:intersection) for the covered area
of each commune.

usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3 bench/qgis_coverage.py WORKSPACE RADII.csv [SEGMENTS]
"""
import csv
import sys
import time

from qgis.core import (
    QgsApplication,
    QgsFeature,
    QgsField,
    QgsProperty,
    QgsVectorLayer,
)
from PyQt5.QtCore import QVariant

workspace, radii_csv = sys.argv[1], sys.argv[2]
segments = int(sys.argv[3]) if len(sys.argv) > 3 else 30

QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
sys.path.append("/usr/share/qgis/python/plugins")
import processing  # noqa: E402
from processing.core.Processing import Processing  # noqa: E402

Processing.initialize()

with open(radii_csv, encoding="utf-8") as f:
    radii = {row["ma_tram"]: float(row["ban_kinh_m"]) for row in csv.DictReader(f)}

start = time.perf_counter()
towers = QgsVectorLayer(f"{workspace}|layername=tram_bts", "tram_bts", "ogr")
communes = QgsVectorLayer(f"{workspace}|layername=ranh_gioi_xa", "ranh_gioi_xa", "ogr")
crs = towers.crs().authid()
counted = QgsVectorLayer(f"Point?crs={crs}", "counted", "memory")
counted.dataProvider().addAttributes(
    [QgsField("nha_mang", QVariant.String), QgsField("r", QVariant.Double)]
)
counted.updateFields()
feats = []
for f in towers.getFeatures():
    r = radii.get(f["ma_tram"])
    if r is None:
        continue
    g = QgsFeature(counted.fields())
    g.setGeometry(f.geometry())
    g.setAttributes([f["nha_mang"], r])
    feats.append(g)
counted.dataProvider().addFeatures(feats)
operators = sorted({f["nha_mang"] for f in counted.getFeatures()})

total_area = {}
commune_area = {}
for op in operators + [None]:
    if op is None:
        source = counted
    else:
        source = processing.run(
            "native:extractbyattribute",
            {"INPUT": counted, "FIELD": "nha_mang", "OPERATOR": 0, "VALUE": op, "OUTPUT": "memory:"},
        )["OUTPUT"]
    buffered = processing.run(
        "native:buffer",
        {
            "INPUT": source,
            "DISTANCE": QgsProperty.fromField("r"),
            "SEGMENTS": segments,
            "END_CAP_STYLE": 0,
            "JOIN_STYLE": 0,
            "MITER_LIMIT": 2,
            "DISSOLVE": True,
            "OUTPUT": "memory:",
        },
    )["OUTPUT"]
    key = op or "*"
    total_area[key] = sum(f.geometry().area() for f in buffered.getFeatures())
    clipped = processing.run(
        "native:intersection",
        {"INPUT": communes, "OVERLAY": buffered, "INPUT_FIELDS": ["ma_xa"], "OVERLAY_FIELDS": [], "OUTPUT": "memory:"},
    )["OUTPUT"]
    commune_area[key] = sum(f.geometry().area() for f in clipped.getFeatures())
seconds = time.perf_counter() - start
print(f"QGIS {app.version() if hasattr(app, 'version') else ''}: {len(feats)} towers, {len(operators)} operators, segments {segments}")
for key in sorted(total_area):
    print(f"  {key:<16} union {total_area[key] / 1e4:14.2f} ha   in communes {commune_area[key] / 1e4:14.2f} ha")
print(f"QGIS Processing (buffer + dissolve per operator and all, intersection with communes): {seconds:.2f} s")
app.exitQgis()
