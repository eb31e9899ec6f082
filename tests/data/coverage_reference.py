"""GDAL/GEOS's coverage areas for the coverage test: every tower buffered by
its radius (Buffer with the given quadrant segments), UnionCascaded per
operator and for all, the area of each union and of its intersection with
each commune.

usage: coverage_reference.py WORKSPACE.gpkg RADII.json QUADSEGS
RADII: {"ma_tram": radius_m, ...} (towers not listed cover nothing)
prints JSON: {"groups": {operator|"*": area}, "communes": {"ma_xa|operator": area}}
"""
import json
import sys

from osgeo import ogr

ogr.UseExceptions()
path, radii_path, quadsegs = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(radii_path, encoding="utf-8") as f:
    radii = json.load(f)
ds = ogr.Open(path)
circles = {}
for feat in ds.GetLayerByName("tram_bts"):
    r = radii.get(feat.GetField("ma_tram"))
    if r is None:
        continue
    buf = feat.GetGeometryRef().Buffer(r, quadsegs)
    for key in (feat.GetField("nha_mang"), "*"):
        circles.setdefault(key, ogr.Geometry(ogr.wkbMultiPolygon)).AddGeometry(buf)
unions = {k: m.UnionCascaded() for k, m in circles.items()}
out = {"groups": {k: u.GetArea() for k, u in unions.items()}, "communes": {}}
for feat in ds.GetLayerByName("ranh_gioi_xa"):
    g = feat.GetGeometryRef()
    for k, u in unions.items():
        out["communes"][feat.GetField("ma_xa") + "|" + k] = g.Intersection(u).GetArea()
print(json.dumps(out))
