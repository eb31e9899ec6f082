// Lines and outlines: each segment is an instance, widened on screen to a
// quad a constant number of pixels wide whatever the zoom. The fragment
// shader measures its distance to the segment (a capsule, so joins and
// ends are round) and fades the last pixel for anti-aliasing.

struct SegmentIn {
    @location(0) a: vec2<f32>,
    @location(1) b: vec2<f32>,
    @location(2) color: vec4<f32>,
    @location(3) feature_size: f32,
    @location(4) feature: u32,
};

struct SegmentOut {
    @builtin(position) clip: vec4<f32>,
    // Pixels along the segment from `a`, and across it from its axis.
    @location(0) local: vec2<f32>,
    // Segment length and half width, pixels.
    @location(1) @interpolate(flat) len_hw: vec2<f32>,
    @location(2) @interpolate(flat) color: vec4<f32>,
};

@vertex
fn vs_line(@builtin(vertex_index) vi: u32, s: SegmentIn) -> SegmentOut {
    return line_vertex(vi, s, s.color);
}

// The highlight pass: selected features' segments only.
@vertex
fn vs_line_selected(@builtin(vertex_index) vi: u32, s: SegmentIn) -> SegmentOut {
    if !is_selected(s.feature) {
        var out: SegmentOut;
        out.clip = CULLED;
        return out;
    }
    return line_vertex(vi, s, draw.highlight_segments);
}

fn line_vertex(vi: u32, s: SegmentIn, color: vec4<f32>) -> SegmentOut {
    var out: SegmentOut;
    if s.feature_size * draw.px_per_unit < draw.segment_min_px {
        out.clip = CULLED;
        return out;
    }
    let pa = to_px(s.a);
    let pb = to_px(s.b);
    let d = pb - pa;
    let len = length(d);
    var dir = vec2<f32>(1.0, 0.0);
    if len > 1e-4 {
        dir = d / len;
    }
    let normal = vec2<f32>(-dir.y, dir.x);
    // Lines thinner than a pixel are drawn one pixel wide and fainter,
    // which looks the same and does not break up into dashes.
    let hw = max(draw.width_px, 1.0) * 0.5;
    // One more pixel all round for the anti-aliased fringe.
    let e = hw + 1.0;
    let corner = quad_corner(vi);
    let along = select(-e, len + e, corner.x > 0.5);
    let across = corner.y * e;
    out.clip = px_to_clip(pa + dir * along + normal * across);
    out.local = vec2<f32>(along, across);
    out.len_hw = vec2<f32>(len, hw);
    out.color = vec4<f32>(color.rgb, color.a * min(draw.width_px, 1.0));
    return out;
}

@fragment
fn fs_line(in: SegmentOut) -> @location(0) vec4<f32> {
    let t = clamp(in.local.x, 0.0, in.len_hw.x);
    let dist = length(vec2<f32>(in.local.x - t, in.local.y));
    let coverage = clamp(in.len_hw.y + 0.5 - dist, 0.0, 1.0);
    if coverage <= 0.0 {
        discard;
    }
    return shade(in.color, coverage);
}
