// Features smaller than a pixel: one point (one pixel) each, far cheaper
// than their triangles and outlines, and never lost between pixel centres.

struct DotIn {
    @location(0) pos: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) feature_size: f32,
    @location(3) feature: u32,
};

struct DotOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) @interpolate(flat) color: vec4<f32>,
};

fn dot_vertex(d: DotIn, color: vec4<f32>) -> DotOut {
    var out: DotOut;
    if d.feature_size * draw.px_per_unit >= draw.dot_max_px {
        out.clip = CULLED;
        return out;
    }
    out.clip = px_to_clip(to_px(d.pos));
    out.color = color;
    return out;
}

@vertex
fn vs_dot(d: DotIn) -> DotOut {
    return dot_vertex(d, d.color);
}

// The highlight pass: selected features' dots only.
@vertex
fn vs_dot_selected(d: DotIn) -> DotOut {
    if !is_selected(d.feature) {
        var out: DotOut;
        out.clip = CULLED;
        return out;
    }
    return dot_vertex(d, draw.highlight_fill);
}

@fragment
fn fs_dot(in: DotOut) -> @location(0) vec4<f32> {
    return shade(in.color, 1.0);
}
