//! The four render pipelines (fills, lines, dots, point symbols), their
//! vertex layouts and the per-draw uniform they share.

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
    pub _pad: u32,
    pub point_outline: [f32; 4],
}

pub struct Pipelines {
    pub bind_group_layout: wgpu::BindGroupLayout,
    pub fill: wgpu::RenderPipeline,
    pub line: wgpu::RenderPipeline,
    pub dot: wgpu::RenderPipeline,
    pub symbol: wgpu::RenderPipeline,
}

const FILL_ATTRS: [wgpu::VertexAttribute; 2] =
    wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4];
const SEGMENT_ATTRS: [wgpu::VertexAttribute; 4] =
    wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32x2, 2 => Unorm8x4, 3 => Float32];
const SYMBOL_ATTRS: [wgpu::VertexAttribute; 2] =
    wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4];
const DOT_ATTRS: [wgpu::VertexAttribute; 3] =
    wgpu::vertex_attr_array![0 => Float32x2, 1 => Unorm8x4, 2 => Float32];

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
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("map"),
            bind_group_layouts: &[Some(&bind_group_layout)],
            immediate_size: 0,
        });
        let srgb = if format.is_srgb() { 1.0 } else { 0.0 };
        let constants = [("srgb_target", srgb)];
        let build = |name: &str,
                     source: &str,
                     entry: &str,
                     buffer: wgpu::VertexBufferLayout<'_>,
                     topology: wgpu::PrimitiveTopology| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(name),
                source: wgpu::ShaderSource::Wgsl(format!("{COMMON}\n{source}").into()),
            });
            let options = wgpu::PipelineCompilationOptions {
                constants: &constants,
                zero_initialize_workgroup_memory: false,
            };
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(name),
                layout: Some(&pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &module,
                    entry_point: Some(&format!("vs_{entry}")),
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
                    module: &module,
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
        Pipelines {
            fill: build(
                "map fill",
                FILL,
                "fill",
                layout::<FillVertex>(Vertex, &FILL_ATTRS),
                TriangleList,
            ),
            line: build(
                "map line",
                LINE,
                "line",
                layout::<Segment>(Instance, &SEGMENT_ATTRS),
                TriangleList,
            ),
            dot: build(
                "map dot",
                DOT,
                "dot",
                layout::<Dot>(Vertex, &DOT_ATTRS),
                PointList,
            ),
            symbol: build(
                "map symbol",
                POINT,
                "symbol",
                layout::<Symbol>(Instance, &SYMBOL_ATTRS),
                TriangleList,
            ),
            bind_group_layout,
        }
    }
}
