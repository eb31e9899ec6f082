//! Rendering without a window: a device of our own (a GPU when there is
//! one, else a software rasteriser such as Mesa's lavapipe), an RGBA8
//! target, the pixels read back, and PNG output.

use std::path::Path;

use super::RenderError;
use super::camera::View;
use super::gpu_scene::GpuLayer;
use super::renderer::{FrameStats, Renderer};

/// The format of offscreen images: the sRGB values stored as they are.
pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// A device and queue made for offscreen work.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: wgpu::AdapterInfo,
}

/// The first adapter, in the order given, whose device opens, with that
/// device: an adapter listed may still fail to open one (Wine's DX12 on
/// vkd3d over lavapipe does; so do some old Windows drivers), and the next
/// one works. The error lists every failure.
pub fn first_that_opens(
    adapters: impl IntoIterator<Item = wgpu::Adapter>,
    descriptor: impl Fn(&wgpu::Adapter) -> wgpu::DeviceDescriptor<'static>,
) -> Result<(wgpu::Adapter, wgpu::Device, wgpu::Queue), String> {
    let mut failures = Vec::new();
    for adapter in adapters {
        match pollster::block_on(adapter.request_device(&descriptor(&adapter))) {
            Ok((device, queue)) => return Ok((adapter, device, queue)),
            Err(e) => {
                let info = adapter.get_info();
                failures.push(format!("{} ({:?}): {e}", info.name, info.backend));
            }
        }
    }
    Err(if failures.is_empty() {
        "no graphics adapter".to_string()
    } else {
        failures.join("; ")
    })
}

/// Adapters best first: hardware before software, and the native APIs
/// before OpenGL.
pub fn sort_by_preference(adapters: &mut [wgpu::Adapter]) {
    adapters.sort_by_key(|a| preference(&a.get_info()));
}

/// Hardware before software, and the native APIs before OpenGL.
fn preference(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (kind, api)
}

impl Gpu {
    /// Opens the best adapter there is; a software one (lavapipe) is
    /// enough. `WGPU_BACKEND` (e.g. `vulkan`, `gl`) narrows the choice.
    pub fn new() -> Result<Gpu, RenderError> {
        let wanted = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
        // The native APIs first: starting OpenGL opens EGL, which is slow
        // and noisy without a display, and is only needed when nothing else
        // works.
        let mut adapters = Vec::new();
        let mut instance = None;
        for backends in [wanted & wgpu::Backends::PRIMARY, wanted] {
            if backends.is_empty() {
                continue;
            }
            let i = wgpu::Instance::new(wgpu::InstanceDescriptor {
                backends,
                ..wgpu::InstanceDescriptor::new_without_display_handle()
            });
            adapters = pollster::block_on(i.enumerate_adapters(backends));
            instance = Some(i);
            if !adapters.is_empty() {
                break;
            }
        }
        sort_by_preference(&mut adapters);
        if adapters.is_empty()
            && let Some(i) = &instance
        {
            // Some platforms list nothing but still hand out a fallback.
            let fallback = pollster::block_on(i.request_adapter(&wgpu::RequestAdapterOptions {
                force_fallback_adapter: true,
                ..wgpu::RequestAdapterOptions::default()
            }))
            .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
            adapters.push(fallback);
        }
        if instance.is_none() {
            return Err(RenderError::NoAdapter(format!(
                "no backend enabled in WGPU_BACKEND ({wanted:?})"
            )));
        }
        let (adapter, device, queue) =
            first_that_opens(adapters, |adapter| wgpu::DeviceDescriptor {
                label: Some("tramgis offscreen"),
                // Large images need the adapter's texture size, not WebGPU's 8192.
                required_limits: adapter.limits(),
                ..wgpu::DeviceDescriptor::default()
            })
            .map_err(RenderError::Device)?;
        Ok(Gpu {
            device,
            queue,
            adapter: adapter.get_info(),
        })
    }

    /// "name (backend, type)", for logs and benchmark reports.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {:?})",
            self.adapter.name, self.adapter.backend, self.adapter.device_type
        )
    }

    /// Waits until the GPU has finished everything submitted.
    pub fn wait(&self) -> Result<(), RenderError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| RenderError::Readback(e.to_string()))
    }

    /// An image-sized RGBA8 target that can be drawn into and read back.
    pub fn target(&self, width: u32, height: u32) -> Result<wgpu::Texture, RenderError> {
        self.target_with_format(width, height, FORMAT)
    }

    /// A target of another 4-byte format (e.g. the sRGB one a window uses);
    /// [`Gpu::read_back`] returns its bytes as stored.
    pub fn target_with_format(
        &self,
        width: u32,
        height: u32,
        format: wgpu::TextureFormat,
    ) -> Result<wgpu::Texture, RenderError> {
        let max = self.device.limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(RenderError::BadSize { width, height, max });
        }
        Ok(self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen map"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        }))
    }

    /// Copies a texture of 4 bytes per pixel into memory. Rows in the staging buffer are
    /// padded to 256 bytes (wgpu's copy alignment) and unpadded here.
    pub fn read_back(&self, texture: &wgpu::Texture) -> Result<Image, RenderError> {
        let (width, height) = (texture.width(), texture.height());
        let row = width * 4;
        let padded = row.next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: u64::from(padded) * u64::from(height),
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("readback"),
            });
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &staging,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded),
                    rows_per_image: Some(height),
                },
            },
            texture.size(),
        );
        self.queue.submit([encoder.finish()]);
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv()
            .map_err(|e| RenderError::Readback(e.to_string()))?
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let mapped = slice
            .get_mapped_range()
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let mut pixels = Vec::with_capacity((row * height) as usize);
        for r in mapped.chunks(padded as usize) {
            pixels.extend_from_slice(&r[..row as usize]);
        }
        drop(mapped);
        staging.unmap();
        Ok(Image {
            width,
            height,
            pixels,
        })
    }
}

/// Draws `layers` for `view` into a fresh target and reads it back.
pub fn render_image(
    gpu: &Gpu,
    renderer: &mut Renderer,
    view: &View,
    layers: &[&GpuLayer],
) -> Result<(Image, FrameStats), RenderError> {
    let target = gpu.target(view.width, view.height)?;
    let stats = renderer.render(&target, view, layers);
    Ok((gpu.read_back(&target)?, stats))
}

/// An RGBA8 image, rows top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Image {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [
            self.pixels[i],
            self.pixels[i + 1],
            self.pixels[i + 2],
            self.pixels[i + 3],
        ]
    }

    pub fn write_png(&self, path: &Path) -> Result<(), RenderError> {
        let err = |detail: String| RenderError::Write {
            path: path.to_path_buf(),
            detail,
        };
        let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
        let mut writer = encoder.write_header().map_err(|e| err(e.to_string()))?;
        writer
            .write_image_data(&self.pixels)
            .map_err(|e| err(e.to_string()))?;
        writer.finish().map_err(|e| err(e.to_string()))
    }
}
