// Point symbols: an instanced quad a constant number of pixels wide, the
// shape drawn by a signed-distance function (negative inside, in units of
// the symbol's half size) with a one-pixel dark rim and an anti-aliased
// edge.

struct SymbolIn {
    @location(0) pos: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) feature: u32,
};

struct SymbolOut {
    @builtin(position) clip: vec4<f32>,
    // Position in the symbol, -1..1 across its nominal size, y up.
    @location(0) uv: vec2<f32>,
    @location(1) @interpolate(flat) color: vec4<f32>,
};

const CIRCLE: u32 = 0u;
const SQUARE: u32 = 1u;
const TRIANGLE: u32 = 2u;
const BTS_TOWER: u32 = 3u;
const CAMERA: u32 = 4u;

@vertex
fn vs_symbol(@builtin(vertex_index) vi: u32, s: SymbolIn) -> SymbolOut {
    return symbol_vertex(vi, s, s.color);
}

// The highlight pass: selected features' symbols only.
@vertex
fn vs_symbol_selected(@builtin(vertex_index) vi: u32, s: SymbolIn) -> SymbolOut {
    if !is_selected(s.feature) {
        var out: SymbolOut;
        out.clip = CULLED;
        return out;
    }
    return symbol_vertex(vi, s, draw.highlight_fill);
}

fn symbol_vertex(vi: u32, s: SymbolIn, color: vec4<f32>) -> SymbolOut {
    var out: SymbolOut;
    let half = draw.point_size_px * 0.5;
    // The quad reaches one pixel past the symbol for the fringe.
    let reach = half + 1.0;
    let c = quad_corner(vi);
    let corner = vec2<f32>(c.x * 2.0 - 1.0, c.y);
    out.clip = px_to_clip(to_px(s.pos) + corner * reach);
    out.uv = corner * reach / half;
    out.color = color;
    return out;
}

fn sd_box(p: vec2<f32>, half: vec2<f32>, radius: f32) -> f32 {
    let q = abs(p) - half + vec2<f32>(radius);
    return length(max(q, vec2<f32>(0.0))) + min(max(q.x, q.y), 0.0) - radius;
}

fn cross2(a: vec2<f32>, b: vec2<f32>) -> f32 {
    return a.x * b.y - a.y * b.x;
}

// Distance to triangle (a, b, c): the nearest of its edges, negative when
// p is on the inner side of all three.
fn sd_triangle(p: vec2<f32>, a: vec2<f32>, b: vec2<f32>, c: vec2<f32>) -> f32 {
    let e0 = b - a;
    let e1 = c - b;
    let e2 = a - c;
    let v0 = p - a;
    let v1 = p - b;
    let v2 = p - c;
    let q0 = v0 - e0 * clamp(dot(v0, e0) / dot(e0, e0), 0.0, 1.0);
    let q1 = v1 - e1 * clamp(dot(v1, e1) / dot(e1, e1), 0.0, 1.0);
    let q2 = v2 - e2 * clamp(dot(v2, e2) / dot(e2, e2), 0.0, 1.0);
    let dist = sqrt(min(min(dot(q0, q0), dot(q1, q1)), dot(q2, q2)));
    let winding = sign(cross2(e0, -e2));
    let inside = winding * cross2(e0, v0) > 0.0 && winding * cross2(e1, v1) > 0.0
        && winding * cross2(e2, v2) > 0.0;
    return select(dist, -dist, inside);
}

// A ring of radius r and half thickness t around o, kept only in the
// double cone opening 45 degrees left and right: radio waves.
fn sd_waves(p: vec2<f32>, o: vec2<f32>, r: f32, t: f32) -> f32 {
    let q = p - o;
    let ring = abs(length(q) - r) - t;
    let cone = (abs(q.y) - abs(q.x)) * 0.7071;
    return max(ring, cone);
}

// A lattice mast with an antenna and radio waves either side.
fn sd_bts_tower(p: vec2<f32>) -> f32 {
    let apex = vec2<f32>(0.0, 0.55);
    let mast = sd_triangle(p, apex, vec2<f32>(-0.7, -0.95), vec2<f32>(0.7, -0.95));
    let antenna = length(p - apex) - 0.14;
    let waves = min(sd_waves(p, apex, 0.36, 0.08), sd_waves(p, apex, 0.64, 0.08));
    return min(min(mast, antenna), waves);
}

// A surveillance camera: body, lens hood to the right, mount below.
fn sd_camera(p: vec2<f32>) -> f32 {
    let body = sd_box(p - vec2<f32>(-0.12, 0.1), vec2<f32>(0.6, 0.36), 0.12);
    let hood = sd_triangle(p, vec2<f32>(0.38, 0.1), vec2<f32>(0.95, 0.45), vec2<f32>(0.95, -0.25));
    let mount = sd_box(p - vec2<f32>(-0.3, -0.5), vec2<f32>(0.09, 0.3), 0.0);
    return min(min(body, hood), mount);
}

fn sd_shape(shape: u32, p: vec2<f32>) -> f32 {
    switch shape {
        case SQUARE: {
            return sd_box(p, vec2<f32>(0.85), 0.0);
        }
        case TRIANGLE: {
            return sd_triangle(p, vec2<f32>(0.0, 0.95), vec2<f32>(-0.9, -0.7), vec2<f32>(0.9, -0.7));
        }
        case BTS_TOWER: {
            return sd_bts_tower(p);
        }
        case CAMERA: {
            return sd_camera(p);
        }
        default: {
            return length(p) - 1.0;
        }
    }
}

@fragment
fn fs_symbol(in: SymbolOut) -> @location(0) vec4<f32> {
    let half = draw.point_size_px * 0.5;
    let d_px = sd_shape(draw.shape, in.uv) * half;
    let coverage = clamp(0.5 - d_px, 0.0, 1.0);
    if coverage <= 0.0 {
        discard;
    }
    // The outermost pixel inside the shape is the rim.
    let rim = clamp(d_px + 1.5, 0.0, 1.0);
    let rgb = mix(in.color.rgb, draw.point_outline.rgb, rim);
    return shade(vec4<f32>(rgb, in.color.a), coverage);
}
