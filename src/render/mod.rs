//! The map renderer: GeoPackage layers drawn with wgpu, in a window or
//! offscreen (see DESIGN.md). No UI code lives here.
//!
//! The way through:
//! 1. [`load`] reads a layer off the calling thread's hot path, reprojects it
//!    to the map CRS, colours each feature by its [`style`] and hands it to
//!    [`tessellate`], which builds GPU-ready chunks binned by area (so whole
//!    chunks can be culled) with f32 coordinates relative to each chunk's
//!    origin (so province-scale coordinates keep millimetre precision).
//! 2. [`GpuLayer::upload`] copies the chunks into wgpu buffers.
//! 3. [`Renderer`] draws the layers in order into any texture for a
//!    [`View`]: fills, anti-aliased screen-width lines, SDF point symbols,
//!    and one-pixel dots for features smaller than a pixel; then the
//!    [`selection`] over everything, from per-feature flags (no geometry
//!    is built again to highlight).
//! 4. [`headless`] makes its own device and reads the pixels back (PNG).

mod camera;
pub mod classify;
mod dot_levels;
mod error;
mod gpu_scene;
pub mod headless;
pub mod labels;
pub mod legend;
pub mod load;
pub mod map_crs;
mod pipelines;
pub mod qml;
mod renderer;
mod reproject;
pub mod scene;
pub mod selection;
pub mod style;
pub mod tessellate;
pub mod text;

pub use camera::View;
pub use error::RenderError;
pub use gpu_scene::{GpuChunk, GpuLayer};
pub use load::{DrawParams, LayerMesh};
pub use renderer::{Frame, FrameStats, Renderer, RendererOptions};
pub use style::{LayerStyle, Rgba, Shape, Symbology};
