// Features smaller than a pixel: one point (one pixel) each, far cheaper
// than their triangles and outlines, and never lost between pixel centres.

struct DotIn {
    @location(0) pos: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) feature_size: f32,
};

struct DotOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) @interpolate(flat) color: vec4<f32>,
};

@vertex
fn vs_dot(d: DotIn) -> DotOut {
    var out: DotOut;
    if d.feature_size * draw.px_per_unit >= draw.dot_max_px {
        out.clip = CULLED;
        return out;
    }
    out.clip = px_to_clip(to_px(d.pos));
    out.color = d.color;
    return out;
}

@fragment
fn fs_dot(in: DotOut) -> @location(0) vec4<f32> {
    return shade(in.color, 1.0);
}
