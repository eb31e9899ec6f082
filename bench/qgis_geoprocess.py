"""QGIS 3.22 Processing's native:intersection of parcels with communes, the
anchor of BENCHMARKS.md "Geoprocessing" (tramgis process intersection on the
same file). Usage: QT_QPA_PLATFORM=offscreen /usr/bin/python3
bench/qgis_geoprocess.py WORKSPACE.gpkg OUT.gpkg"""
import os
import sys
import time

os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')
from qgis.core import QgsApplication, QgsVectorLayer

QgsApplication.setPrefixPath('/usr', True)
app = QgsApplication([], False)
app.initQgis()
sys.path.append('/usr/share/qgis/python/plugins')
from processing.core.Processing import Processing  # noqa: E402
import processing  # noqa: E402
Processing.initialize()

src, out = sys.argv[1], sys.argv[2]
params = {
    'INPUT': f'{src}|layername=thua_dat',
    'OVERLAY': f'{src}|layername=ranh_gioi_xa',
    'OUTPUT': out,
}
start = time.time()
processing.run('native:intersection', params)
elapsed = time.time() - start
n = QgsVectorLayer(out, 'out', 'ogr').featureCount()
print(f'native:intersection {elapsed:.1f} s, {n} features')
