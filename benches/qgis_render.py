"""QGIS's time to draw a tramgis workspace, for BENCHMARKS.md.

Renders the given layers of a GeoPackage (with the default styles stored in
its layer_styles table) to a PNG with QgsMapRendererParallelJob, the way QGIS
draws its map canvas, at full extent and at street scale.

    QT_QPA_PLATFORM=offscreen python3 benches/qgis_render.py WS.gpkg OUT.png \
        thua_dat[,layer...] [WIDTHxHEIGHT]
"""

import sys
import time

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def render(settings):
    job = QgsMapRendererParallelJob(settings)
    start = time.perf_counter()
    job.start()
    job.waitForFinished()
    return time.perf_counter() - start, job.renderedImage()


def main():
    path, out, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    width, height = (int(v) for v in (sys.argv[4] if len(sys.argv) > 4 else "2000x1500").split("x"))
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    start = time.perf_counter()
    layers = [QgsVectorLayer(f"{path}|layername={n}", n, "ogr") for n in names]
    for layer in layers:
        if not layer.isValid():
            sys.exit(f"QGIS cannot open {path} layer {layer.name()}")
    opened = time.perf_counter() - start
    settings = QgsMapSettings()
    settings.setLayers(list(reversed(layers)))  # QGIS draws the last first
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:9214"))
    settings.setOutputSize(QSize(width, height))
    settings.setBackgroundColor(QColor(255, 255, 255))
    extent = QgsRectangle(layers[0].extent())
    for layer in layers[1:]:
        extent.combineExtentWith(layer.extent())
    settings.setExtent(extent)
    full = []
    for _ in range(3):
        seconds, image = render(settings)
        full.append(seconds)
    image.save(out)
    centre = extent.center()
    settings.setExtent(QgsRectangle(centre.x() - 500, centre.y() - 375, centre.x() + 500, centre.y() + 375))
    street = [render(settings)[0] for _ in range(3)]
    print(f"qgis open layers       {opened:.3f} s")
    print(f"qgis full extent       first {full[0]:.3f} s, best {min(full):.3f} s")
    print(f"qgis street (1 km)     best {min(street):.3f} s")
    app.exitQgis()


if __name__ == "__main__":
    main()
