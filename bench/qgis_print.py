#!/usr/bin/python3
"""The QGIS 3.22 side of BENCHMARKS.md "Printing": a print layout like
tramgis print's (the same layers with their stored styles, an A3 map frame
at the same extent, title, legend filtered to the features in view, scale
bar, north-arrow text, grid with labels) exported to PDF and to PNG at
300 dpi. Times include loading the layers, as ours do.

  QT_QPA_PLATFORM=offscreen /usr/bin/python3 bench/qgis_print.py WORKSPACE OUT_DIR [MINX,MINY,MAXX,MAXY]
"""
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (  # noqa: E402
    QgsApplication, QgsLayoutExporter, QgsLayoutItemLabel, QgsLayoutItemLegend,
    QgsLayoutItemMap, QgsLayoutItemMapGrid, QgsLayoutItemScaleBar, QgsLayoutPoint,
    QgsLayoutSize, QgsPrintLayout, QgsProject, QgsRectangle, QgsUnitTypes, QgsVectorLayer,
)

app = QgsApplication([], True)  # painting needs the GUI application (offscreen)
app.initQgis()
src, out = sys.argv[1], sys.argv[2]
LAYERS = ["ranh_gioi_xa", "thua_dat", "duong_giao_thong", "tram_bts"]


def layout_for(project, extent):
    layout = QgsPrintLayout(project)
    layout.initializeDefaults()
    page = layout.pageCollection().page(0)
    page.setPageSize("A3", page.Portrait)
    mm = QgsUnitTypes.LayoutMillimeters
    title = QgsLayoutItemLabel(layout)
    title.setText("Bản đồ hiện trạng sử dụng đất")
    layout.addLayoutItem(title)
    title.attemptMove(QgsLayoutPoint(20, 15, mm))
    title.attemptResize(QgsLayoutSize(250, 15, mm))
    m = QgsLayoutItemMap(layout)
    layout.addLayoutItem(m)
    m.attemptMove(QgsLayoutPoint(25, 40, mm))
    m.attemptResize(QgsLayoutSize(247, 250, mm))
    m.setExtent(extent)
    grid = QgsLayoutItemMapGrid("grid", m)
    grid.setIntervalX(20000)
    grid.setIntervalY(20000)
    grid.setAnnotationEnabled(True)
    m.grids().addGrid(grid)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(m)
    legend.setLegendFilterByMapEnabled(True)
    layout.addLayoutItem(legend)
    legend.attemptMove(QgsLayoutPoint(25, 300, mm))
    bar = QgsLayoutItemScaleBar(layout)
    bar.setStyle("Single Box")
    bar.setLinkedMap(m)
    bar.applyDefaultSize()
    layout.addLayoutItem(bar)
    bar.attemptMove(QgsLayoutPoint(200, 320, mm))
    return layout


for kind in sys.argv[4].split(",") if len(sys.argv) > 4 else ["pdf", "png"]:
    start = time.time()
    project = QgsProject.instance()
    project.clear()
    layers = [QgsVectorLayer(f"{src}|layername={n}", n, "ogr") for n in LAYERS]
    for layer in layers:
        layer.loadDefaultStyle()
        project.addMapLayer(layer)
    if len(sys.argv) > 3:
        x0, y0, x1, y1 = map(float, sys.argv[3].split(","))
        extent = QgsRectangle(x0, y0, x1, y1)
    else:
        extent = layers[0].extent()
    layout = layout_for(project, extent)  # kept: the exporter does not own it
    exporter = QgsLayoutExporter(layout)
    path = os.path.join(out, f"qgis.{kind}")
    if kind == "pdf":
        settings = QgsLayoutExporter.PdfExportSettings()
        result = exporter.exportToPdf(path, settings)
    else:
        settings = QgsLayoutExporter.ImageExportSettings()
        settings.dpi = 300
        result = exporter.exportToImage(path, settings)
    elapsed = time.time() - start
    if result != QgsLayoutExporter.Success:
        sys.exit(f"QGIS export to {path} failed: {result} {exporter.errorFile()}")
    print(f"QGIS print layout to {kind}: {elapsed:.2f} s, result {result}, {os.path.getsize(path)} bytes")
