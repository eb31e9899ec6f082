"""Writes a GeoPackage from a JSON description with GDAL (python3-gdal), so
the analysis tests read a file another program wrote.

usage: write_fixture.py OUT.gpkg SPEC.json
SPEC: {"epsg": 9214, "layers": [{"name": ..., "geometry": "POINT|LINESTRING|POLYGON",
        "fields": [[name, "str"|"int"|"real"], ...], "features": [[wkt, [values...]], ...]}]}
"""
import json
import sys

from osgeo import ogr, osr

ogr.UseExceptions()
out, spec_path = sys.argv[1], sys.argv[2]
with open(spec_path, encoding="utf-8") as f:
    spec = json.load(f)
srs = osr.SpatialReference()
srs.ImportFromEPSG(spec["epsg"])
ds = ogr.GetDriverByName("GPKG").CreateDataSource(out)
types = {"POINT": ogr.wkbPoint, "LINESTRING": ogr.wkbLineString, "POLYGON": ogr.wkbPolygon}
field_types = {"str": ogr.OFTString, "int": ogr.OFTInteger, "real": ogr.OFTReal}
for layer in spec["layers"]:
    lyr = ds.CreateLayer(layer["name"], srs, types[layer["geometry"]])
    for name, kind in layer["fields"]:
        lyr.CreateField(ogr.FieldDefn(name, field_types[kind]))
    lyr.StartTransaction()
    for wkt, values in layer["features"]:
        feat = ogr.Feature(lyr.GetLayerDefn())
        feat.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        for i, v in enumerate(values):
            if v is None:
                feat.SetFieldNull(i)
            else:
                feat.SetField(i, v)
        lyr.CreateFeature(feat)
    lyr.CommitTransaction()
ds = None
