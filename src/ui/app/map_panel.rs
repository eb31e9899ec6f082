//! The map panel: draws the layers (through the GPU renderer when there is
//! one), the selection and the active tool's overlay, and turns pointer
//! input into map events for the tool, snapping first.

use egui::{Color32, Sense};

use super::TramgisApp;
use super::chrome::{north_arrow, scale_bar};
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, tr};
use crate::ui::map::{self, ScreenView, View};
use crate::ui::tools::{MapEvent, MapPointer, ToolContext};

impl TramgisApp {
    /// Draws the map; returns the map point under the pointer.
    pub(super) fn map_panel(&mut self, ui: &mut egui::Ui) -> Option<[f64; 2]> {
        self.toolbar(ui);
        let gnss_fix = (self.panels.gnss.as_mut()).and_then(|g| g.fix_on_map(&self.map.crs));
        // Only what is visible: the central panel may have grown past its
        // clip (a wide row above), and input ends at the clip.
        let visible = ui.available_rect_before_wrap().intersect(ui.clip_rect());
        let (response, painter) = ui.allocate_painter(visible.size(), Sense::click_and_drag());
        let rect = response.rect;
        self.map_rect = Some(rect);
        painter.rect_filled(rect, 0.0, Color32::from_rgb(232, 238, 242));
        let scene = self.scene.as_ref()?;
        // Until the user moves the map, it follows the extent of the layers
        // as they arrive.
        if (self.view.is_none() || (self.view_follows_data && self.is_loading()))
            && let Some(e) = scene.extent
        {
            self.view = Some(View::fit_screen(e, rect));
            self.view_follows_data = true;
        }
        let mut view = self.view.unwrap_or(View {
            centre: [450_000.0, 2_360_000.0],
            resolution: 100.0,
            width: 0,
            height: 0,
        });
        (view.width, view.height) = (rect.width().round() as u32, rect.height().round() as u32);
        self.view = Some(view);

        let hover = response.hover_pos();
        if let Some(pos) = hover {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0 {
                self.commands.push(AppCommand::ZoomAt {
                    anchor: pos,
                    factor: (f64::from(scroll) / 200.0).exp(),
                });
            }
        }
        let pointer = |pos: egui::Pos2| {
            let p = MapPointer {
                screen: pos,
                map: view.screen_to_map(rect, pos),
                snapped: false,
            };
            if self.tool.snaps() {
                self.snapping.adjust(p, view.resolution)
            } else {
                p
            }
        };
        let events = map_events(ui, &response, &pointer);
        let hover = hover.map(pointer);
        let shift = ui.input(|i| i.modifiers.shift);

        if self.gpu.is_some() {
            // The layers go through the wgpu renderer in egui's render pass;
            // the painter adds labels, the selection and the overlays.
            let ppp = f64::from(ui.ctx().pixels_per_point());
            let callback = crate::ui::gpu::MapCallback {
                view: crate::render::View {
                    centre: view.centre,
                    resolution: view.resolution / ppp,
                    width: (f64::from(rect.width()) * ppp).round() as u32,
                    height: (f64::from(rect.height()) * ppp).round() as u32,
                },
                layers: scene
                    .layers
                    .iter()
                    .map(|l| (l.info.name.clone(), l.visible, l.opacity))
                    .collect(),
            };
            painter.add(eframe::egui_wgpu::Callback::new_paint_callback(
                rect, callback,
            ));
        }
        map::paint(
            &painter.with_clip_rect(rect),
            rect,
            &view,
            scene,
            &self.selection,
            self.gpu.is_some(),
        );
        let cx = ToolContext {
            view: &view,
            rect,
            scene,
            active_layer: self.active_layer.as_deref(),
            shift,
        };
        for event in &events {
            let asked = self.tool.on_event(event, &cx);
            self.commands.extend(asked);
        }
        self.tool.paint(&painter.with_clip_rect(rect), &cx, hover);
        self.paint_snap_marker(&painter.with_clip_rect(rect), &cx, hover);
        if let Some(mark) = gnss_fix {
            crate::ui::panels::gnss::paint_fix(&painter.with_clip_rect(rect), mark, |p| {
                cx.to_screen(p)
            });
        }
        // Ground metres per screen point at the view's centre: degrees in
        // a geographic CRS, stretched metres in Web Mercator.
        let metres_per_unit = self
            .map
            .to_wgs84
            .as_ref()
            .and_then(|t| {
                crate::crs::metres_per_unit(t, self.map.geographic, view.centre, view.resolution)
            })
            .unwrap_or(1.0);
        scale_bar(
            &painter,
            rect,
            view.resolution * metres_per_unit,
            tr(self.lang, Key::Scale),
        );
        north_arrow(&painter, rect);
        hover.map(|p| p.map)
    }
}

/// The frame's pointer and key input on the map, in the order a tool
/// should see it.
fn map_events(
    ui: &egui::Ui,
    response: &egui::Response,
    pointer: &dyn Fn(egui::Pos2) -> MapPointer,
) -> Vec<MapEvent> {
    let mut events = Vec::new();
    let (enter, escape) = ui.input(|i| {
        (
            i.key_pressed(egui::Key::Enter),
            i.key_pressed(egui::Key::Escape),
        )
    });
    if escape {
        events.push(MapEvent::Abandon);
    }
    if let Some(pos) = response.interact_pointer_pos() {
        let at = pointer(pos);
        if response.drag_started() {
            events.push(MapEvent::DragStart(at));
        }
        if response.dragged() {
            events.push(MapEvent::Drag {
                at,
                delta: response.drag_delta(),
            });
        }
        if response.drag_stopped() {
            events.push(MapEvent::DragEnd(at));
        }
        if response.double_clicked() {
            events.push(MapEvent::DoubleClick(at));
        } else if response.clicked() {
            events.push(MapEvent::Click(at));
        }
        if response.secondary_clicked() {
            events.push(MapEvent::SecondaryClick(at));
        }
    }
    if enter {
        events.push(MapEvent::Finish);
    }
    events
}
