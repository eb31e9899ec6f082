// Polygon fills: triangles with one colour per feature.

struct FillIn {
    @location(0) pos: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) feature: u32,
};

struct FillOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) @interpolate(flat) color: vec4<f32>,
};

@vertex
fn vs_fill(v: FillIn) -> FillOut {
    var out: FillOut;
    out.clip = px_to_clip(to_px(v.pos));
    out.color = v.color;
    return out;
}

// The highlight pass: selected features in the highlight colour, the
// others dropped.
@vertex
fn vs_fill_selected(v: FillIn) -> FillOut {
    var out: FillOut;
    if !is_selected(v.feature) {
        out.clip = CULLED;
        return out;
    }
    out.clip = px_to_clip(to_px(v.pos));
    out.color = draw.highlight_fill;
    return out;
}

@fragment
fn fs_fill(in: FillOut) -> @location(0) vec4<f32> {
    return shade(in.color, 1.0);
}
