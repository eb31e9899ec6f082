"""Writes the QGIS project the sync tests' QGIS Server publishes: the PostGIS
tables bts and thua_dat (EPSG:9214) over WFS 1.1 with WFS-T Insert, Update
and Delete, coordinates to 3 decimals (millimetres).

Usage (Debian's /usr/bin/python3, QT_QPA_PLATFORM=offscreen):
  make_project.py OUT.qgs PGHOST PGPORT PGDATABASE PUBLIC_URL
"""
import sys

from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem,
                       QgsDataSourceUri, QgsProject, QgsVectorLayer, QgsWkbTypes)

out, host, port, dbname, url = sys.argv[1:6]
QgsApplication.setPrefixPath('/usr', True)
app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
project.setCrs(QgsCoordinateReferenceSystem('EPSG:9214'))
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
project.writeEntry('WMSServiceCapabilities', '/', True)
project.writeEntry('WMSServiceTitle', '/', 'tramgis sync tests')
project.writeEntry('WMSCrsList', '/', ['EPSG:9214', 'EPSG:4326', 'EPSG:4756', 'EPSG:3857'])
project.writeEntry('WMSExtent', '/', ['300000', '1000000', '700000', '2600000'])
project.writeEntry('WFSLayers', '/', ids)
for i in ids:
    project.writeEntry('WFSLayersPrecision', '/' + i, 3)
for op in ('Insert', 'Update', 'Delete'):
    project.writeEntry('WFSTLayers', op, ids)
project.writeEntry('WFSUrl', '/', url)
if not project.write(out):
    sys.exit(f'cannot write {out}')
app.exitQgis()
