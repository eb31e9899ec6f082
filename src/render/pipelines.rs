//! The four render pipelines (fills, lines, dots, point symbols), their
//! vertex layouts and the per-draw uniform they share; and the same four
//! for the highlight pass, which draws a layer's chunks again keeping only
//! the features whose flag is set in the selection buffer (bind group 1).

use bytemuck::{Pod, Zeroable};

use super::tessellate::{Dot, FillVertex, Segment, Symbol};

const COMMON: &str = include_str!("../../shaders/common.wgsl");
const FILL: &str = include_str!("../../shaders/fill.wgsl");
const LINE: &str = include_str!("../../shaders/line.wgsl");
const DOT: &str = include_str!("../../shaders/dot.wgsl");
const POINT: &str = include_str!("../../shaders/point.wgsl");

/// The `Draw` uniform of shaders/common.wgsl, one per drawn chunk.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct DrawUniform {
    pub offset: [f32; 2],
    pub viewport: [f32; 2],
    pub px_per_unit: f32,
    pub opacity: f32,
    pub width_px: f32,
    pub point_size_px: f32,
    pub segment_min_px: f32,
    pub dot_max_px: f32,
    pub shape: u32,
    /// The slot of the chunk's first feature in the selection flags
    /// (highlight pass only).
    pub feature_base: u32,
    pub point_outline: [f32; 4],
    /// Highlight pass: the colour of fills, dots and symbols.
    pub highlight_fill: [f32; 4],
    /// Highlight pass: the colour of outlines and lines.
    pub highlight_segments: [f32; 4],
}

/// One pipeline per kind of primitive.
pub struct PipelineSet {
    pub fill: wgpu::RenderPipeline,
    pub line: wgpu::RenderPipeline,
    pub dot: wgpu::RenderPipeline,
    pub symbol: wgpu::RenderPipeline,
}

pub struct Pipelines {
    pub bind_group_layout: wgpu::BindGroupLayout,
    /// The selection flags of the highlighted layer (group 1).
    pub selection_layout: wgpu::BindGroupLayout,
    pub plain: PipelineSet,
    pub highlight: PipelineSet,
}

const FILL_ATTRS: [wgpu::VertexAttribute; 3] =
    wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4, 2 => Uint32];
const SEGMENT_ATTRS: [wgpu::VertexAttribute; 5] = wgpu::vertex_attr_array![
    0 => Float32x2, 1 => Float32x2, 2 => Unorm8x4, 3 => Float32, 4 => Uint32
];
const SYMBOL_ATTRS: [wgpu::VertexAttribute; 3] =
    wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4, 2 => Uint32];
const DOT_ATTRS: [wgpu::VertexAttribute; 4] =
    wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4, 2 => Float32, 3 => Uint32];

fn layout<T>(
    step_mode: wgpu::VertexStepMode,
    attributes: &[wgpu::VertexAttribute],
) -> wgpu::VertexBufferLayout<'_> {
    wgpu::VertexBufferLayout {
        array_stride: size_of::<T>() as u64,
        step_mode,
        attributes,
    }
}

impl Pipelines {
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat, sample_count: u32) -> Self {
        let bind_group_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("map draw uniform"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: true,
                    min_binding_size: wgpu::BufferSize::new(size_of::<DrawUniform>() as u64),
                },
                count: None,
            }],
        });
        let selection_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("map selection flags"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: true },
                    has_dynamic_offset: false,
                    min_binding_size: wgpu::BufferSize::new(4),
                },
                count: None,
            }],
        });
        let plain_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("map"),
            bind_group_layouts: &[Some(&bind_group_layout)],
            immediate_size: 0,
        });
        let highlight_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("map highlight"),
            bind_group_layouts: &[Some(&bind_group_layout), Some(&selection_layout)],
            immediate_size: 0,
        });
        let srgb = if format.is_srgb() { 1.0 } else { 0.0 };
        let constants = [("srgb_target", srgb)];
        let module = |name: &str, source: &str| {
            device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(format!("{COMMON}\n{source}").into()),
            })
        };
        let build = |name: &str,
                     module: &wgpu::ShaderModule,
                     entry: &str,
                     highlight: bool,
                     buffer: wgpu::VertexBufferLayout<'_>,
                     topology: wgpu::PrimitiveTopology| {
            let options = wgpu::PipelineCompilationOptions {
                constants: &constants,
                zero_initialize_workgroup_memory: false,
            };
            let (layout, vertex) = if highlight {
                (&highlight_layout, format!("vs_{entry}_selected"))
            } else {
                (&plain_layout, format!("vs_{entry}"))
            };
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(name),
                layout: Some(layout),
                vertex: wgpu::VertexState {
                    module,
                    entry_point: Some(&vertex),
                    compilation_options: options.clone(),
                    buffers: &[Some(buffer)],
                },
                primitive: wgpu::PrimitiveState {
                    topology,
                    // Earcut and the quads wind either way; nothing is culled.
                    cull_mode: None,
                    ..wgpu::PrimitiveState::default()
                },
                depth_stencil: None,
                multisample: wgpu::MultisampleState {
                    count: sample_count,
                    ..wgpu::MultisampleState::default()
                },
                fragment: Some(wgpu::FragmentState {
                    module,
                    entry_point: Some(&format!("fs_{entry}")),
                    compilation_options: options,
                    targets: &[Some(wgpu::ColorTargetState {
                        format,
                        blend: Some(wgpu::BlendState::ALPHA_BLENDING),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        use wgpu::PrimitiveTopology::{PointList, TriangleList};
        use wgpu::VertexStepMode::{Instance, Vertex};
        let (fill, line) = (module("map fill", FILL), module("map line", LINE));
        let (dot, symbol) = (module("map dot", DOT), module("map symbol", POINT));
        let set = |highlight: bool| PipelineSet {
            fill: build(
                "map fill",
                &fill,
                "fill",
                highlight,
                layout::<FillVertex>(Vertex, &FILL_ATTRS),
                TriangleList,
            ),
            line: build(
                "map line",
                &line,
                "line",
                highlight,
                layout::<Segment>(Instance, &SEGMENT_ATTRS),
                TriangleList,
            ),
            dot: build(
                "map dot",
                &dot,
                "dot",
                highlight,
                layout::<Dot>(Vertex, &DOT_ATTRS),
                PointList,
            ),
            symbol: build(
                "map symbol",
                &symbol,
                "symbol",
                highlight,
                layout::<Symbol>(Instance, &SYMBOL_ATTRS),
                TriangleList,
            ),
        };
        Pipelines {
            plain: set(false),
            highlight: set(true),
            bind_group_layout,
            selection_layout,
        }
    }
}
