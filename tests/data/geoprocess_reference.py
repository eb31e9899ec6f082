import sys, json
from osgeo import ogr, osr
ogr.UseExceptions()
ds = ogr.Open(sys.argv[1])
DIST, SEG = float(sys.argv[2]), int(sys.argv[3])
vn = ds.GetLayerByName('thua').GetSpatialRef()
def feats(name, to=None):
    lyr = ds.GetLayerByName(name)
    ct = None
    if to is not None:
        src = lyr.GetSpatialRef().Clone(); src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        dst = to.Clone(); dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        ct = osr.CoordinateTransformation(src, dst)
    out = []
    for f in lyr:
        g = f.GetGeometryRef().Clone()
        if ct is not None:
            g.Transform(ct)
        out.append((f.GetFID(), g, f.items()))
    return out
A, B = feats('thua'), feats('xa', vn)
L, P = feats('duong'), feats('cot')
def areas(gs):
    return sorted(g.GetArea() for g in gs if g is not None and not g.IsEmpty() and g.GetArea() > 0)
def union_all(gs):
    u = ogr.Geometry(ogr.wkbMultiPolygon)
    for g in gs:
        u = u.Union(g)
    return u
def minus(x, ys):
    out = []
    for _, g, _ in x:
        for _, h, _ in ys:
            if g.Intersects(h):
                g = g.Difference(h)
        out.append(g)
    return out
ref = {}
ref['buffer'] = areas(g.Buffer(DIST, SEG) for _, g, _ in A)
ref['buffer_lines'] = areas(g.Buffer(DIST, SEG) for _, g, _ in L)
ref['buffer_points'] = areas(g.Buffer(DIST, SEG) for _, g, _ in P)
ref['buffer_dissolve'] = areas([union_all(g.Buffer(DIST, SEG) for _, g, _ in A)])
inter = [a.Intersection(b) for _, a, _ in A for _, b, _ in B if a.Intersects(b)]
ref['intersection'] = areas(inter)
ref['difference'] = areas(minus(A, B))
ref['union'] = areas(inter + minus(A, B) + minus(B, A))
groups = {}
for _, g, v in A:
    groups.setdefault(v['ma_loai_dat'], []).append(g)
ref['dissolve'] = areas(union_all(gs) for gs in groups.values())
ref['dissolve_all'] = areas([union_all(g for _, g, _ in A)])
mask = union_all(g for _, g, _ in B)
ref['clip'] = areas(a.Intersection(mask) for _, a, _ in A)
ref['clip_lines'] = sorted(l.Intersection(mask).Length() for _, l, _ in L if l.Intersects(mask))
ref['centroids'] = [[g.Centroid().GetX(), g.Centroid().GetY()] for _, g, _ in A]
ref['join_xa'] = []
for _, a, _ in A:
    m = [(fid, v) for fid, b, v in B if a.Intersects(b)]
    ref['join_xa'].append([len(m), sum(v['dan_so'] for _, v in m) if m else None, min(m)[1]['ma_xa'] if m else None])
ref['join_cot'] = []
for _, a, _ in A:
    m = [v['cong_suat'] for _, p, v in P if a.Contains(p)]
    ref['join_cot'].append([len(m), sum(m) if m else None])
ref['join_within'] = []
for _, p, _ in P:
    m = [v['so_thua'] for _, a, v in A if p.Within(a)]
    ref['join_within'].append([len(m), sum(m) if m else None])
# Our results, read back through GDAL.
ours = {}
for name in ['buffer', 'buffer_lines', 'buffer_points', 'buffer_dissolve', 'intersection', 'difference', 'union', 'dissolve', 'dissolve_all', 'clip']:
    lyr = ds.GetLayerByName('out_' + name)
    ours[name] = areas(f.GetGeometryRef().Clone() for f in lyr)
lyr = ds.GetLayerByName('out_clip_lines')
ours['clip_lines'] = sorted(f.GetGeometryRef().Length() for f in lyr)
lyr = ds.GetLayerByName('out_centroids')
ours['centroids'] = [[f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()] for f in lyr]
ours['join_xa'] = [[f['join_count'], f['dan_so_sum'], f['ma_xa_2']] for f in ds.GetLayerByName('out_join_xa')]
ours['join_cot'] = [[f['join_count'], f['cong_suat_sum']] for f in ds.GetLayerByName('out_join_cot')]
ours['join_within'] = [[f['join_count'], f['so_thua_sum']] for f in ds.GetLayerByName('out_join_within')]
print(json.dumps({'ref': ref, 'ours': ours}))
