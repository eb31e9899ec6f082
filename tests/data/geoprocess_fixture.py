import sys, math
from osgeo import ogr, osr
ogr.UseExceptions()
ds = ogr.GetDriverByName('GPKG').CreateDataSource(sys.argv[1])
vn = osr.SpatialReference(); vn.ImportFromEPSG(9214); vn.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
wgs = osr.SpatialReference(); wgs.ImportFromEPSG(4326); wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
to_wgs = osr.CoordinateTransformation(vn, wgs)
X0, Y0 = 420000.0, 2360000.0
def jitter(i, j):
    return (7.0 * math.sin(i * 1.7 + j * 0.9), 6.0 * math.cos(i * 0.8 + j * 2.3))
N, M, S = 7, 6, 40.0
P = [[(X0 + S * i + jitter(i, j)[0], Y0 + S * j + jitter(i, j)[1]) for j in range(M + 1)] for i in range(N + 1)]
def ring(pts):
    return '(' + ','.join('%.6f %.6f' % p for p in pts + [pts[0]]) + ')'
def add(lyr, wkt, values):
    f = ogr.Feature(lyr.GetLayerDefn())
    for k, v in values.items():
        f.SetField(k, v)
    f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
    lyr.CreateFeature(f)
thua = ds.CreateLayer('thua', vn, ogr.wkbPolygon)
for name, t in [('ma_loai_dat', ogr.OFTString), ('ma_xa', ogr.OFTString), ('so_thua', ogr.OFTInteger), ('dien_tich', ogr.OFTReal)]:
    thua.CreateField(ogr.FieldDefn(name, t))
codes = ['LUC', 'ONT', 'CLN']
k = 0
for i in range(N):
    for j in range(M):
        pts = [P[i][j], P[i + 1][j], P[i + 1][j + 1], P[i][j + 1]]
        wkt = 'POLYGON(' + ring(pts) + ')'
        if (i, j) == (3, 2):  # a parcel with a pond
            cx, cy = [sum(c) / 4 for c in zip(*pts)]
            wkt = 'POLYGON(' + ring(pts) + ',' + ring([(cx - 8, cy - 8), (cx - 8, cy + 8), (cx + 8, cy + 8), (cx + 8, cy - 8)]) + ')'
        k += 1
        add(thua, wkt, {'ma_loai_dat': codes[(i * 2 + j) % 3], 'ma_xa': 'T%d' % (i // 3), 'so_thua': k,
                         'dien_tich': ogr.CreateGeometryFromWkt(wkt).GetArea()})
# Two communes sharing an edge, stored in WGS 84 (the tools move them to VN-2000).
xa = ds.CreateLayer('xa', wgs, ogr.wkbMultiPolygon)
for name, t in [('ma_xa', ogr.OFTString), ('dan_so', ogr.OFTInteger)]:
    xa.CreateField(ogr.FieldDefn(name, t))
a, b, c, d = (X0 + 130, Y0 + 15), (X0 + 112, Y0 + 232), (X0 + 10, Y0 - 20), (X0 - 20, Y0 + 180)
for code, pop, pts in [('X1', 5200, [c, a, (X0 + 125, Y0 + 120), b, d]),
                       ('X2', 3100, [a, (X0 + 265, Y0 - 12), (X0 + 300, Y0 + 205), b, (X0 + 125, Y0 + 120)])]:
    g = ogr.CreateGeometryFromWkt('MULTIPOLYGON((' + ring(pts) + '))')
    g.Transform(to_wgs)
    add(xa, g.ExportToWkt(), {'ma_xa': code, 'dan_so': pop})
duong = ds.CreateLayer('duong', vn, ogr.wkbLineString)
duong.CreateField(ogr.FieldDefn('ten_duong', ogr.OFTString))
add(duong, 'LINESTRING(%f %f, %f %f, %f %f, %f %f)' % (X0 - 30, Y0 + 50, X0 + 90, Y0 + 70, X0 + 160, Y0 + 150, X0 + 300, Y0 + 160), {'ten_duong': 'QL1'})
add(duong, 'LINESTRING(%f %f, %f %f, %f %f)' % (X0 + 200, Y0 - 20, X0 + 210, Y0 + 100, X0 + 180, Y0 + 260), {'ten_duong': 'DT2'})
cot = ds.CreateLayer('cot', vn, ogr.wkbPoint)
cot.CreateField(ogr.FieldDefn('cong_suat', ogr.OFTInteger))
for n in range(12):
    x = X0 + 15 + 23.3 * n
    y = Y0 + 20 + 17.1 * ((n * 5) % 12)
    add(cot, 'POINT(%f %f)' % (x, y), {'cong_suat': 100 + 10 * n})
# A bow-tie (self-intersecting) parcel across the communes' shared edge, and a valid one.
loi = ds.CreateLayer('thua_loi', vn, ogr.wkbPolygon)
loi.CreateField(ogr.FieldDefn('so_thua', ogr.OFTInteger))
add(loi, 'POLYGON((%f %f, %f %f, %f %f, %f %f, %f %f))' % (X0 + 90, Y0 + 60, X0 + 170, Y0 + 140, X0 + 170, Y0 + 60, X0 + 90, Y0 + 140, X0 + 90, Y0 + 60), {'so_thua': 1})
add(loi, 'POLYGON((%f %f, %f %f, %f %f, %f %f, %f %f))' % (X0 + 20, Y0 + 20, X0 + 60, Y0 + 20, X0 + 60, Y0 + 60, X0 + 20, Y0 + 60, X0 + 20, Y0 + 20), {'so_thua': 2})
