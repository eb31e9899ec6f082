//! The map drawn by the wgpu renderer (render::) inside egui's own render
//! pass, through an egui_wgpu paint callback. Layers are tessellated and
//! uploaded by the scene-loading job, off the UI thread; each frame only
//! culls, plans and records draw calls. The selection is highlighted by
//! the renderer's highlight pass from per-feature flags set here (no
//! geometry built again); layers that arrive later, or whose chunks an
//! edit replaced, get the flags of the selection too.

use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait, ScreenDescriptor};
use eframe::wgpu;

use std::collections::HashMap;

use crate::render::selection::FidSet;
use crate::render::{self, Frame, GpuLayer, Renderer, RendererOptions};
use crate::ui::map::Selection;

/// Samples per pixel of the window (and so of the renderer's pipelines).
pub const MSAA: u16 = 4;

/// The window's GPU, as eframe made it.
#[derive(Clone)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub render_state: egui_wgpu::RenderState,
}

impl Gpu {
    pub fn new(render_state: &egui_wgpu::RenderState) -> Self {
        Self::with_samples(render_state, u32::from(MSAA))
    }

    /// For a render pass of `samples` per pixel (1 in headless tests).
    pub fn with_samples(render_state: &egui_wgpu::RenderState, samples: u32) -> Self {
        let renderer = Renderer::new(
            &render_state.device,
            &render_state.queue,
            render_state.target_format,
            RendererOptions {
                sample_count: samples,
                ..RendererOptions::default()
            },
        );
        render_state
            .renderer
            .write()
            .callback_resources
            .insert(MapResources {
                renderer,
                layers: Vec::new(),
                frame: None,
                drawn: Vec::new(),
                selected: HashMap::new(),
            });
        Gpu {
            device: render_state.device.clone(),
            render_state: render_state.clone(),
        }
    }

    /// Adds a layer, or replaces the one of the same name (after a
    /// restyle), as the loading job delivers them.
    pub fn add_layer(&self, mut layer: GpuLayer) {
        self.with_resources(|res| {
            if let Some(fids) = res.selected.get(&layer.name) {
                res.renderer.select(&mut layer, fids);
            }
            res.layers.retain(|l| l.name != layer.name);
            res.layers.push(layer);
        });
    }

    /// Highlights `selection` (fids per layer), replacing the previous one:
    /// a pass over each layer's fids and an upload of a bit per feature.
    pub fn select(&self, selection: &Selection) {
        self.with_resources(|res| {
            res.selected = selection
                .iter()
                .filter(|(_, fids)| !fids.is_empty())
                .map(|(layer, fids)| (layer.clone(), FidSet::new(fids)))
                .collect();
            let none = FidSet::new(&Default::default());
            for l in &mut res.layers {
                let fids = res.selected.get(&l.name);
                if fids.is_some() || l.selection.is_some() {
                    res.renderer.select(l, fids.unwrap_or(&none));
                }
            }
        });
    }

    /// Replaces the layers on the GPU (after a scene load).
    pub fn set_layers(&self, layers: Vec<GpuLayer>) {
        self.with_resources(|res| res.layers = layers);
    }

    /// The grid a layer's chunks are binned by.
    pub fn grid(&self, layer: &str) -> Option<render::load::Grid> {
        let renderer = self.render_state.renderer.read();
        let res = renderer.callback_resources.get::<MapResources>()?;
        res.layers.iter().find(|l| l.name == layer)?.grid
    }

    /// Replaces the chunks of grid cells `cells` of a layer (an edit
    /// redrew them).
    pub fn replace_cells(&self, layer: &str, cells: &[u32], chunks: Vec<render::GpuChunk>) {
        self.with_resources(|res| {
            if let Some(l) = res.layers.iter_mut().find(|l| l.name == layer) {
                l.chunks.retain(|c| !cells.contains(&c.cell));
                l.chunks.extend(chunks);
                // The new chunks' features get their flags.
                if let Some(fids) = res.selected.get(layer) {
                    res.renderer.select(l, fids);
                }
            }
        });
    }

    /// Changes the layers; the planned frame no longer matches them.
    fn with_resources(&self, change: impl FnOnce(&mut MapResources)) {
        let mut renderer = self.render_state.renderer.write();
        if let Some(res) = renderer.callback_resources.get_mut::<MapResources>() {
            change(res);
            res.frame = None;
        }
    }
}

/// Lives in egui_wgpu's callback resources between frames.
struct MapResources {
    renderer: Renderer,
    layers: Vec<GpuLayer>,
    frame: Option<Frame>,
    /// Indexes into `layers` of this frame's layers, bottom first.
    drawn: Vec<usize>,
    /// The selection shown, per layer name.
    selected: HashMap<String, FidSet>,
}

/// One frame's request: the view and each layer's state, bottom first.
pub struct MapCallback {
    pub view: render::View,
    pub layers: Vec<(String, bool, f32)>,
}

impl CallbackTrait for MapCallback {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        _queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(res) = resources.get_mut::<MapResources>() else {
            return Vec::new();
        };
        let MapResources {
            renderer,
            layers,
            frame,
            drawn,
            ..
        } = res;
        drawn.clear();
        for (name, visible, opacity) in &self.layers {
            if let Some(i) = layers.iter().position(|l| &l.name == name) {
                layers[i].visible = *visible;
                layers[i].params.opacity = *opacity;
                // A transparent layer's selection is still highlighted.
                if *visible && (*opacity > 0.0 || layers[i].selection.is_some()) {
                    drawn.push(i);
                }
            }
        }
        let refs: Vec<&GpuLayer> = drawn.iter().map(|i| &layers[*i]).collect();
        *frame = Some(renderer.prepare(&self.view, &refs));
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        let Some(res) = resources.get::<MapResources>() else {
            return;
        };
        let Some(frame) = &res.frame else { return };
        let refs: Vec<&GpuLayer> = res.drawn.iter().map(|i| &res.layers[*i]).collect();
        res.renderer.paint(pass, frame, &refs);
    }
}
