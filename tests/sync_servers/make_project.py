"""Writes the QGIS project the sync tests' QGIS Server publishes: the PostGIS
tables bts and thua_dat (EPSG:9214) over WFS 1.1 with WFS-T Insert, Update
and Delete, coordinates to 3 decimals (millimetres); where `tramgis sync
server-sql` was applied, also its tombstone table, read only, without
geometry.

Usage (Debian's /usr/bin/python3, QT_QPA_PLATFORM=offscreen):
  make_project.py OUT.qgs PGHOST PGPORT PGDATABASE PUBLIC_URL
"""
import sys

from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem,
                       QgsDataSourceUri, QgsProject, QgsRectangle, QgsVectorLayer,
                       QgsWkbTypes)

out, host, port, dbname, url = sys.argv[1:6]
QgsApplication.setPrefixPath('/usr', True)
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
project.setCrs(QgsCoordinateReferenceSystem('EPSG:9214'))
PROVINCE = QgsRectangle(300000, 1000000, 700000, 2600000)
ids = []
for table, wkb in (('bts', QgsWkbTypes.Point), ('thua_dat', QgsWkbTypes.Polygon)):
    uri = QgsDataSourceUri()
    # trust authentication: the password is only there because the
    # provider wants one in the URI.
    uri.setConnection(host, port, dbname, 'postgres', 'x')
    uri.setDataSource('public', table, 'geom', '', 'fid')
    uri.setSrid('9214')
    uri.setWkbType(wkb)
    layer = QgsVectorLayer(uri.uri(False), table, 'postgres')
    if not layer.isValid():
        sys.exit(f'layer {table} is not valid: {layer.error().summary()}')
    project.addMapLayer(layer)
    ids.append(layer.id())
# The tombstones of `tramgis sync server-sql`, where it was applied, as a
# layer without geometry (its geometry column is always empty).
uri = QgsDataSourceUri()
uri.setConnection(host, port, dbname, 'postgres', 'x')
uri.setDataSource('public', 'tramgis_tombstones', None, '', 'id')
uri.setWkbType(QgsWkbTypes.NoGeometry)
tombstones = QgsVectorLayer(uri.uri(False), 'tramgis_tombstones', 'postgres')
if tombstones.isValid():
    project.addMapLayer(tombstones)
    project.writeEntry('WFSLayers', '/', ids + [tombstones.id()])
else:
    project.writeEntry('WFSLayers', '/', ids)
project.writeEntry('WMSServiceCapabilities', '/', True)
project.writeEntry('WMSServiceTitle', '/', 'tramgis sync tests')
project.writeEntry('WMSCrsList', '/', ['EPSG:9214', 'EPSG:4326', 'EPSG:4756', 'EPSG:3857'])
project.writeEntry('WMSExtent', '/', [str(v) for v in (PROVINCE.xMinimum(), PROVINCE.yMinimum(),
                                                        PROVINCE.xMaximum(), PROVINCE.yMaximum())])
for i in ids:
    project.writeEntry('WFSLayersPrecision', '/' + i, 3)
for op in ('Insert', 'Update', 'Delete'):
    project.writeEntry('WFSTLayers', op, ids)
project.writeEntry('WFSUrl', '/', url)
if not project.write(out):
    sys.exit(f'cannot write {out}')
app.exitQgis()
