//! Drawing layers into a texture: culls chunks against the view, picks per
//! chunk what to draw at this scale (fills, outlines, dots), writes one
//! uniform per drawn chunk and records one render pass. Over all layers
//! the highlight pass draws again the chunks holding selected features
//! with the highlight pipelines, which keep only those features (their
//! flags, see `selection`) and draw them in the highlight look.

use wgpu::util::DeviceExt;

use super::camera::View;
use super::gpu_scene::GpuLayer;
use super::pipelines::{DrawUniform, Pipelines};
use super::selection::{self, FidSet, GpuSelection};
use super::style::Rgba;

/// Polygons and lines smaller than this many pixels are drawn as one-pixel
/// dots instead of triangles and outlines.
pub const DOT_MAX_PX: f32 = 1.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RendererOptions {
    /// 1 (no multisampling) or 4.
    pub sample_count: u32,
    /// The colour the image is cleared to.
    pub background: Rgba,
}

impl Default for RendererOptions {
    fn default() -> Self {
        RendererOptions {
            sample_count: 4,
            background: [255, 255, 255, 255],
        }
    }
}

/// Decluttered symbols keep one per cell of this share of their size.
const SYMBOL_SPACING: f64 = 0.5;

/// What one frame drew, for benchmarks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrameStats {
    pub chunks_drawn: usize,
    pub chunks_culled: usize,
    pub draw_calls: usize,
    pub triangles: u64,
    pub segments: u64,
    pub dots: u64,
    pub symbols: u64,
}

struct Msaa {
    view: wgpu::TextureView,
    size: (u32, u32),
}

pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    format: wgpu::TextureFormat,
    options: RendererOptions,
    pipelines: Pipelines,
    uniform_stride: u64,
    uniforms: wgpu::Buffer,
    uniform_capacity: u64,
    bind_group: wgpu::BindGroup,
    msaa: Option<Msaa>,
}

/// A frame planned by [`Renderer::prepare`], to be drawn by
/// [`Renderer::paint`].
/// It holds indices, not references, so it can be kept between the two
/// (an egui callback stores it in its resources).
pub struct Frame {
    /// In drawing order: each layer's own pass, then the highlights.
    plans: Vec<LayerPlan>,
    /// The level of detail of dots at this frame's resolution.
    dot_level: usize,
    /// Map units per pixel.
    resolution: f64,
    stats: FrameStats,
}

/// What to draw of one layer this frame.
struct LayerPlan {
    /// Its index in the slice given.
    layer: usize,
    /// The highlight pass of its selected features, not the layer itself.
    highlight: bool,
    chunks: Vec<Planned>,
}

/// What to draw of one chunk this frame.
struct Planned {
    chunk: usize,
    uniform_offset: u32,
    fills: bool,
    segments: bool,
    dots: bool,
}

fn color(c: Rgba) -> [f32; 4] {
    c.map(|v| f32::from(v) / 255.0)
}

impl Renderer {
    /// A renderer for targets of `format`. The device and queue are
    /// shared handles (the window's, or a headless one).
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        format: wgpu::TextureFormat,
        options: RendererOptions,
    ) -> Self {
        let pipelines = Pipelines::new(device, format, options.sample_count);
        let align = u64::from(device.limits().min_uniform_buffer_offset_alignment);
        let uniform_stride = (size_of::<DrawUniform>() as u64).div_ceil(align) * align;
        let (uniforms, bind_group) = Self::uniform_buffer(device, &pipelines, uniform_stride, 256);
        Renderer {
            device: device.clone(),
            queue: queue.clone(),
            format,
            options,
            pipelines,
            uniform_stride,
            uniforms,
            uniform_capacity: 256,
            bind_group,
            msaa: None,
        }
    }

    /// Highlights the features of `layer` whose fids are in `fids` (an
    /// empty set clears): the selection flags are worked out from the
    /// fids the chunks keep and uploaded, a bit per feature of each chunk
    /// holding a selected one. Nothing is read or tessellated. Chunks
    /// replaced later (an edit) need this again.
    pub fn select(&self, layer: &mut GpuLayer, fids: &FidSet) {
        let (words, bases) = selection::flags(layer.chunks.iter().map(|c| &c.fids[..]), fids);
        for (c, base) in layer.chunks.iter_mut().zip(bases) {
            c.selection_base = base;
        }
        if words.is_empty() {
            layer.selection = None;
            return;
        }
        let buffer = self
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("map selection flags"),
                contents: bytemuck::cast_slice(&words),
                usage: wgpu::BufferUsages::STORAGE,
            });
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("map selection flags"),
            layout: &self.pipelines.selection_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: buffer.as_entire_binding(),
            }],
        });
        layer.selection = Some(GpuSelection {
            bind_group,
            bytes: words.len() * 4,
        });
    }

    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    pub fn options(&self) -> RendererOptions {
        self.options
    }

    fn uniform_buffer(
        device: &wgpu::Device,
        pipelines: &Pipelines,
        stride: u64,
        capacity: u64,
    ) -> (wgpu::Buffer, wgpu::BindGroup) {
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("map draw uniforms"),
            size: stride * capacity,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("map draw uniforms"),
            layout: &pipelines.bind_group_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &buffer,
                    offset: 0,
                    size: wgpu::BufferSize::new(size_of::<DrawUniform>() as u64),
                }),
            }],
        });
        (buffer, bind_group)
    }

    /// Draws `layers` (first = bottom) for `view` into `target` and submits.
    pub fn render(
        &mut self,
        target: &wgpu::Texture,
        view: &View,
        layers: &[&GpuLayer],
    ) -> FrameStats {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("map frame"),
            });
        let stats = self.encode(&mut encoder, target, view, layers);
        self.queue.submit([encoder.finish()]);
        stats
    }

    /// Records the frame into `encoder` in a pass of its own that clears
    /// the target (and resolves multisampling). The draw uniforms are
    /// written through the queue now, so submit this encoder before
    /// encoding the next frame. `target` must have the renderer's format
    /// and the view's size, and allow RENDER_ATTACHMENT.
    pub fn encode(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::Texture,
        view: &View,
        layers: &[&GpuLayer],
    ) -> FrameStats {
        assert_eq!(target.format(), self.format, "target format");
        debug_assert_eq!((target.width(), target.height()), (view.width, view.height));
        let frame = self.prepare(view, layers);
        let target_view = target.create_view(&wgpu::TextureViewDescriptor::default());
        self.ensure_msaa(target.width(), target.height());
        let (attachment, resolve_target) = match self.msaa.as_ref().map(|m| &m.view) {
            Some(v) => (v, Some(&target_view)),
            None => (&target_view, None),
        };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("map"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: attachment,
                depth_slice: None,
                resolve_target,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(self.clear_color()),
                    store: if resolve_target.is_some() {
                        wgpu::StoreOp::Discard
                    } else {
                        wgpu::StoreOp::Store
                    },
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        self.paint(&mut pass, &frame, layers)
    }

    /// The first half of a frame drawn in someone else's render pass (an
    /// egui_wgpu paint callback's): culls, plans and writes the uniforms.
    /// The pass must target the renderer's format and sample count, with
    /// a viewport of the view's size.
    pub fn prepare(&mut self, view: &View, layers: &[&GpuLayer]) -> Frame {
        let mut stats = FrameStats::default();
        let (plans, uniforms) = self.plan(view, layers, &mut stats);
        self.write_uniforms(&uniforms);
        Frame {
            plans,
            dot_level: super::dot_levels::level_for(view.resolution),
            resolution: view.resolution,
            stats,
        }
    }

    /// The second half: records the draws of a prepared frame. `layers`
    /// must be the slice given to `prepare`.
    pub fn paint(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        frame: &Frame,
        layers: &[&GpuLayer],
    ) -> FrameStats {
        let mut stats = frame.stats;
        // Per layer: all fills, then all outlines, then dots, then
        // symbols, so a chunk's fill never covers its neighbour's outline.
        for plan in &frame.plans {
            let layer = layers[plan.layer];
            let chunks = &layer.chunks;
            let (p, params) = if plan.highlight {
                let Some(selection) = &layer.selection else {
                    continue;
                };
                pass.set_bind_group(1, &selection.bind_group, &[]);
                (&self.pipelines.highlight, &layer.highlight.params)
            } else {
                (&self.pipelines.plain, &layer.params)
            };
            // One symbol per cell of half a symbol's size on screen.
            let symbol_level = params.declutter.then(|| {
                let cell = frame.resolution * f64::from(params.point_size_px) * SYMBOL_SPACING;
                super::dot_levels::level_for(cell)
            });
            let with = |f: fn(&Planned) -> bool| {
                plan.chunks
                    .iter()
                    .filter(move |c| f(c))
                    .map(|c| (&chunks[c.chunk], c.uniform_offset))
            };
            if with(|c| c.fills).next().is_some() {
                pass.set_pipeline(&p.fill);
            }
            for (c, offset) in with(|c| c.fills) {
                let (Some(v), Some(i)) = (&c.fill_vertices, &c.fill_indices) else {
                    continue;
                };
                pass.set_bind_group(0, &self.bind_group, &[offset]);
                pass.set_vertex_buffer(0, v.buffer.slice(..));
                pass.set_index_buffer(i.buffer.slice(..), wgpu::IndexFormat::Uint32);
                pass.draw_indexed(0..i.count, 0, 0..1);
                stats.draw_calls += 1;
                stats.triangles += u64::from(i.count / 3);
            }
            if with(|c| c.segments).next().is_some() {
                pass.set_pipeline(&p.line);
            }
            for (c, offset) in with(|c| c.segments) {
                let Some(s) = &c.segments else { continue };
                pass.set_bind_group(0, &self.bind_group, &[offset]);
                pass.set_vertex_buffer(0, s.buffer.slice(..));
                pass.draw(0..6, 0..s.count);
                stats.draw_calls += 1;
                stats.segments += u64::from(s.count);
            }
            if with(|c| c.dots).next().is_some() {
                pass.set_pipeline(&p.dot);
            }
            for (c, offset) in with(|c| c.dots) {
                let Some(d) = &c.dots else { continue };
                // One dot per occupied cell of about a pixel is enough; a
                // highlight draws every selected feature's dot (the leading
                // ones may all be unselected).
                let count = match c.dot_levels.get(frame.dot_level) {
                    Some(n) if !plan.highlight => (*n).min(d.count),
                    _ => d.count,
                };
                pass.set_bind_group(0, &self.bind_group, &[offset]);
                pass.set_vertex_buffer(0, d.buffer.slice(..));
                pass.draw(0..count, 0..1);
                stats.draw_calls += 1;
                stats.dots += u64::from(count);
            }
            if with(|_| true).any(|(c, _)| c.symbols.is_some()) {
                pass.set_pipeline(&p.symbol);
            }
            for (c, offset) in with(|_| true) {
                let Some(s) = &c.symbols else { continue };
                let count = symbol_level
                    .and_then(|l| c.symbol_levels.get(l))
                    .map_or(s.count, |n| (*n).min(s.count));
                pass.set_bind_group(0, &self.bind_group, &[offset]);
                pass.set_vertex_buffer(0, s.buffer.slice(..));
                pass.draw(0..6, 0..count);
                stats.draw_calls += 1;
                stats.symbols += u64::from(count);
            }
        }
        stats
    }

    /// Culls and decides per chunk; returns the plans (each visible
    /// layer, then the highlight of each visible layer with a selection)
    /// and the uniform bytes they point into.
    fn plan(
        &self,
        view: &View,
        layers: &[&GpuLayer],
        stats: &mut FrameStats,
    ) -> (Vec<LayerPlan>, Vec<u8>) {
        let mut uniforms = Vec::new();
        let mut plans = Vec::new();
        for highlight in [false, true] {
            for (index, layer) in layers.iter().enumerate().filter(|(_, l)| l.visible) {
                let drawn = if highlight {
                    layer.selection.is_some()
                } else {
                    layer.params.opacity > 0.0
                };
                if drawn {
                    let chunks = self.plan_layer(view, layer, highlight, &mut uniforms, stats);
                    plans.push(LayerPlan {
                        layer: index,
                        highlight,
                        chunks,
                    });
                }
            }
        }
        (plans, uniforms)
    }

    /// The chunks of one layer (or of its highlight) to draw, their
    /// uniforms appended to `uniforms`.
    fn plan_layer(
        &self,
        view: &View,
        layer: &GpuLayer,
        highlight: bool,
        uniforms: &mut Vec<u8>,
        stats: &mut FrameStats,
    ) -> Vec<Planned> {
        let ppu = 1.0 / view.resolution;
        let look = &layer.highlight;
        let params = if highlight {
            &look.params
        } else {
            &layer.params
        };
        let margin = f64::from(params.segment_width_px.max(params.point_size_px)) / 2.0 + 2.0;
        let mut planned = Vec::new();
        for (chunk_index, chunk) in layer.chunks.iter().enumerate() {
            let base = match chunk.selection_base {
                Some(base) if highlight => base,
                None if highlight => continue,
                _ => 0,
            };
            if !view.meets(chunk.bbox, margin) {
                stats.chunks_culled += 1;
                continue;
            }
            stats.chunks_drawn += 1;
            let largest_px = (chunk.max_size * ppu) as f32;
            let smallest_px = (chunk.min_size * ppu) as f32;
            let uniform = DrawUniform {
                offset: view.offset(chunk.origin),
                viewport: [view.width as f32, view.height as f32],
                px_per_unit: ppu as f32,
                opacity: params.opacity,
                width_px: params.segment_width_px,
                point_size_px: params.point_size_px,
                segment_min_px: params.segment_min_px,
                dot_max_px: DOT_MAX_PX,
                shape: params.point_shape as u32,
                feature_base: base,
                point_outline: color(params.point_outline),
                highlight_fill: color(look.fill),
                highlight_segments: color(look.segments),
            };
            let uniform_offset = uniforms.len() as u32;
            uniforms.extend_from_slice(bytemuck::bytes_of(&uniform));
            uniforms.resize(
                uniforms
                    .len()
                    .next_multiple_of(self.uniform_stride as usize),
                0,
            );
            planned.push(Planned {
                chunk: chunk_index,
                uniform_offset,
                // A chunk whose features are all below a pixel is dots only.
                fills: largest_px >= DOT_MAX_PX,
                segments: largest_px >= DOT_MAX_PX.max(params.segment_min_px),
                dots: chunk.dots.is_some() && smallest_px < DOT_MAX_PX,
            });
        }
        planned
    }

    fn write_uniforms(&mut self, bytes: &[u8]) {
        let needed = (bytes.len() as u64).div_ceil(self.uniform_stride);
        if needed > self.uniform_capacity {
            let capacity = needed.next_power_of_two();
            let (buffer, bind_group) =
                Self::uniform_buffer(&self.device, &self.pipelines, self.uniform_stride, capacity);
            self.uniforms = buffer;
            self.bind_group = bind_group;
            self.uniform_capacity = capacity;
        }
        if !bytes.is_empty() {
            self.queue.write_buffer(&self.uniforms, 0, bytes);
        }
    }

    /// The multisampled colour target, remade when the size changes.
    fn ensure_msaa(&mut self, width: u32, height: u32) {
        if self.options.sample_count <= 1 {
            return;
        }
        if self.msaa.as_ref().is_none_or(|m| m.size != (width, height)) {
            let texture = self.device.create_texture(&wgpu::TextureDescriptor {
                label: Some("map msaa"),
                size: wgpu::Extent3d {
                    width,
                    height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: self.options.sample_count,
                dimension: wgpu::TextureDimension::D2,
                format: self.format,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
                view_formats: &[],
            });
            self.msaa = Some(Msaa {
                view: texture.create_view(&wgpu::TextureViewDescriptor::default()),
                size: (width, height),
            });
        }
    }

    fn clear_color(&self) -> wgpu::Color {
        let c = color(self.options.background).map(f64::from);
        // A clear colour is given linear; for an sRGB target, decode ours.
        let lin = |v: f64| {
            if !self.format.is_srgb() {
                v
            } else if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        wgpu::Color {
            r: lin(c[0]),
            g: lin(c[1]),
            b: lin(c[2]),
            a: c[3],
        }
    }
}
