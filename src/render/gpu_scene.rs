//! Tessellated layers copied into GPU buffers, one set per chunk.

use wgpu::util::DeviceExt;

use super::load::{DrawParams, HighlightLook, LayerMesh};
use super::selection::GpuSelection;
use super::tessellate::Chunk;

/// A GPU buffer and the number of elements (vertices, indices or
/// instances) in it.
pub struct Counted {
    pub buffer: wgpu::Buffer,
    pub count: u32,
}

pub struct GpuChunk {
    pub origin: [f64; 2],
    pub bbox: geo_types::Rect<f64>,
    pub min_size: f64,
    pub max_size: f64,
    pub fill_vertices: Option<Counted>,
    pub fill_indices: Option<Counted>,
    pub segments: Option<Counted>,
    pub dots: Option<Counted>,
    /// Dots to draw per level of detail (see `Chunk::dot_levels`).
    pub dot_levels: Vec<u32>,
    pub symbols: Option<Counted>,
    /// Symbols to draw per level of detail (see `Chunk::symbol_levels`).
    pub symbol_levels: Vec<u32>,
    /// The layer grid cell of the chunk's features.
    pub cell: u32,
    /// The fid of each feature, by the index its vertices carry.
    pub fids: Vec<i64>,
    /// Where the chunk's features start in the layer's selection flags;
    /// `None` when none of them is selected (the highlight skips it).
    pub selection_base: Option<u32>,
}

/// A layer on the GPU. Draw order is the order of the slice given to the
/// renderer; `visible` and `params` may be changed between frames.
pub struct GpuLayer {
    pub name: String,
    pub params: DrawParams,
    pub visible: bool,
    pub chunks: Vec<GpuChunk>,
    pub bytes: usize,
    /// The grid its chunks are binned by (edits rebuild cells).
    pub grid: Option<super::load::Grid>,
    /// How its selected features are drawn over everything.
    pub highlight: HighlightLook,
    /// The selected features' flags (see `Renderer::select`).
    pub selection: Option<GpuSelection>,
}

fn buffer<T: bytemuck::Pod>(
    device: &wgpu::Device,
    label: &str,
    data: &[T],
    usage: wgpu::BufferUsages,
) -> Option<Counted> {
    (!data.is_empty()).then(|| Counted {
        buffer: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytemuck::cast_slice(data),
            usage,
        }),
        count: data.len() as u32,
    })
}

impl GpuChunk {
    pub fn upload(device: &wgpu::Device, c: &Chunk) -> Option<Self> {
        let bbox = c.bbox?;
        let v = wgpu::BufferUsages::VERTEX;
        Some(GpuChunk {
            origin: c.origin,
            bbox,
            min_size: c.min_size,
            max_size: c.max_size,
            fill_vertices: buffer(device, "fill vertices", &c.fill_vertices, v),
            fill_indices: buffer(
                device,
                "fill indices",
                &c.fill_indices,
                wgpu::BufferUsages::INDEX,
            ),
            segments: buffer(device, "segments", &c.segments, v),
            dots: buffer(device, "dots", &c.dots, v),
            dot_levels: c.dot_levels.clone(),
            symbols: buffer(device, "symbols", &c.symbols, v),
            symbol_levels: c.symbol_levels.clone(),
            cell: c.cell,
            fids: c.fids.clone(),
            selection_base: None,
        })
    }
}

impl GpuLayer {
    pub fn upload(device: &wgpu::Device, mesh: &LayerMesh) -> Self {
        GpuLayer {
            name: mesh.name.clone(),
            params: mesh.params,
            visible: true,
            chunks: mesh
                .chunks
                .iter()
                .filter_map(|c| GpuChunk::upload(device, c))
                .collect(),
            bytes: mesh.gpu_bytes(),
            grid: mesh.grid,
            highlight: mesh.highlight,
            selection: None,
        }
    }
}
