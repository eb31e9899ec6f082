// Shared by every map pipeline (prepended to each shader's source by
// src/render/pipelines.rs): the per-draw uniform and the map-to-screen
// transform.

struct Draw {
    // Chunk origin minus view centre, map units: computed in f64 on the
    // CPU, so vertices only ever hold small chunk-relative offsets.
    offset: vec2<f32>,
    // Target size in pixels.
    viewport: vec2<f32>,
    px_per_unit: f32,
    opacity: f32,
    // Line or outline width, pixels.
    width_px: f32,
    point_size_px: f32,
    // Segments of features smaller than this (pixels) are not drawn.
    segment_min_px: f32,
    // Features at least this big (pixels) are filled, not dotted.
    dot_max_px: f32,
    shape: u32,
    // Highlight pass: the slot of the chunk's first feature in `selected`.
    feature_base: u32,
    point_outline: vec4<f32>,
    // Highlight pass: the colour of fills, dots and symbols, and of
    // outlines and lines.
    highlight_fill: vec4<f32>,
    highlight_segments: vec4<f32>,
};

@group(0) @binding(0) var<uniform> draw: Draw;

// Highlight pass only (bind group 1): one bit per feature of the chunks
// holding a selected one, set when it is selected. Each vertex carries its
// feature's index in its chunk.
@group(1) @binding(0) var<storage, read> selected: array<u32>;

fn is_selected(feature: u32) -> bool {
    let slot = draw.feature_base + feature;
    let word = slot >> 5u;
    if word >= arrayLength(&selected) {
        return false;
    }
    return ((selected[word] >> (slot & 31u)) & 1u) == 1u;
}

// Set when the target stores sRGB (e.g. Bgra8UnormSrgb): our colours are
// sRGB values, so they are linearised and the hardware re-encodes them.
override srgb_target: bool = false;

// A position outside the clip volume: the primitive is dropped.
const CULLED = vec4<f32>(2.0, 2.0, 2.0, 1.0);

// Pixels from the view centre, y up.
fn to_px(local: vec2<f32>) -> vec2<f32> {
    return (local + draw.offset) * draw.px_per_unit;
}

fn px_to_clip(px: vec2<f32>) -> vec4<f32> {
    return vec4<f32>(px * 2.0 / draw.viewport, 0.0, 1.0);
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

// Straight-alpha output with the layer's opacity and a coverage factor.
fn shade(c: vec4<f32>, coverage: f32) -> vec4<f32> {
    var rgb = c.rgb;
    if srgb_target {
        rgb = srgb_to_linear(rgb);
    }
    return vec4<f32>(rgb, c.a * coverage * draw.opacity);
}

// The corners of a quad drawn as two triangles, x in {0, 1}, y in {-1, 1}.
fn quad_corner(i: u32) -> vec2<f32> {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(0.0, 1.0),
        vec2<f32>(0.0, 1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
    );
    return corners[i];
}
