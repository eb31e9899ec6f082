//! The menu, the toolbar, the status bar and the dialog windows: each
//! sends commands, none changes the app itself.

use egui::{Color32, Pos2, Rect, Stroke};

use super::TramgisApp;
use crate::crs::{Crs, PRESETS};
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Key, Lang, SyncKey, tr};
use crate::ui::panels::analysis::AnalysisPanel;
use crate::ui::panels::print::{MapNow, PrintPanel};
use crate::ui::panels::table::TableAction;
use crate::ui::tools::Tool;

impl TramgisApp {
    pub(super) fn menu(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        let mut asked = Vec::new();
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(tr(lang, Key::File), |ui| {
                if ui.button(tr(lang, Key::Open)).clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new()
                        .add_filter("GeoPackage", &["gpkg"])
                        .pick_file()
                    {
                        asked.push(AppCommand::Open(path));
                    }
                }
                ui.menu_button(tr(lang, Key::Recent), |ui| {
                    for path in crate::ui::recent_files() {
                        if ui.button(path.display().to_string()).clicked() {
                            ui.close();
                            asked.push(AppCommand::Open(path));
                        }
                    }
                });
                if ui.button(tr(lang, Key::SaveAs)).clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new()
                        .add_filter("GeoPackage", &["gpkg"])
                        .save_file()
                    {
                        asked.push(AppCommand::SaveAs(path));
                    }
                }
                if ui.button(tr(lang, Key::Import)).clicked() {
                    ui.close();
                    if let Some(path) = rfd::FileDialog::new()
                        .add_filter(
                            "GIS",
                            &[
                                "shp", "tab", "mif", "dxf", "dgn", "geojson", "json", "kml", "kmz",
                                "csv", "xlsx", "gpkg",
                            ],
                        )
                        .pick_file()
                    {
                        asked.push(AppCommand::OpenImport(path));
                    }
                }
                if ui.button(tr(lang, Key::Export)).clicked() {
                    ui.close();
                    asked.push(AppCommand::OpenExport);
                }
                let repair = match lang {
                    Lang::Vi => "Sửa lỗi mã hóa…",
                    Lang::En => "Repair mojibake…",
                };
                if ui.button(repair).clicked() {
                    ui.close();
                    asked.push(AppCommand::OpenRepairText);
                }
                if ui.button(tr(lang, Key::Quit)).clicked() {
                    asked.push(AppCommand::Quit);
                }
            });
            ui.menu_button(tr(lang, Key::View), |ui| {
                for (key, command) in [
                    (Key::ZoomFull, AppCommand::ZoomFull),
                    (Key::ZoomToSelection, AppCommand::ZoomToSelection),
                    (Key::ClearSelection, AppCommand::ClearSelection),
                ] {
                    if ui.button(tr(lang, key)).clicked() {
                        asked.push(command);
                        ui.close();
                    }
                }
            });
            ui.menu_button(tr(lang, Key::Editing), |ui| self.field_panels_menu(ui));
            ui.menu_button(tr(lang, Key::Analysis), |ui| {
                for (key, command) in [
                    (Key::OpenAnalysis, AppCommand::OpenAnalysis),
                    (Key::OpenPrint, AppCommand::OpenPrint),
                ] {
                    if ui.button(tr(lang, key)).clicked() {
                        asked.push(command);
                        ui.close();
                    }
                }
            });
            ui.menu_button(tr(lang, Key::Sync(SyncKey::Sync)), |ui| {
                if ui.button(tr(lang, Key::Sync(SyncKey::OpenSync))).clicked() {
                    asked.push(AppCommand::OpenSync);
                    ui.close();
                }
            });
            ui.menu_button(tr(lang, Key::Language), |ui| {
                for (l, name) in [(Lang::Vi, "Tiếng Việt"), (Lang::En, "English")] {
                    if ui.radio(lang == l, name).clicked() {
                        asked.push(AppCommand::SetLanguage(l));
                    }
                }
            });
        });
        self.commands.extend(asked);
    }

    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        let current = self.tool.kind();
        let mut asked = Vec::new();
        // Wrapped: a toolbar wider than the map between the side panels
        // would widen the map's rect past what is visible (and clickable).
        ui.horizontal_wrapped(|ui| {
            for tool in Tool::ALL {
                if ui
                    .selectable_label(current == tool, tr(lang, tool.label()))
                    .clicked()
                {
                    asked.push(AppCommand::SetTool(tool));
                }
            }
            ui.separator();
            if ui.button("+").on_hover_text("Zoom in").clicked() {
                asked.push(AppCommand::ZoomBy(2.0));
            }
            if ui.button("−").on_hover_text("Zoom out").clicked() {
                asked.push(AppCommand::ZoomBy(0.5));
            }
            if ui.button(tr(lang, Key::ZoomFull)).clicked() {
                asked.push(AppCommand::ZoomFull);
            }
            if ui.button(tr(lang, Key::ClearSelection)).clicked() {
                asked.push(AppCommand::ClearSelection);
            }
        });
        self.commands.extend(asked);
    }

    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        let mut asked = Vec::new();
        ui.horizontal(|ui| {
            if !self.jobs.status(ui, lang) {
                if self.notifications.latest().is_some() {
                    asked.extend(self.notifications.status(ui, lang));
                } else {
                    ui.label(tr(lang, Key::Ready));
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let mut crs = self.map.crs.clone();
                let preset_label = |c: &Crs| {
                    PRESETS
                        .iter()
                        .find(|p| Some(p.epsg) == c.epsg() && matches!(c, Crs::Epsg(_)))
                        .map_or_else(|| c.label(), |p| p.label.to_string())
                };
                egui::ComboBox::from_label(tr(lang, Key::MapCrs))
                    .selected_text(preset_label(&crs))
                    .show_ui(ui, |ui| {
                        // The data's own CRS, when the map opened in it.
                        if !PRESETS.iter().any(|p| Crs::Epsg(p.epsg) == self.map.crs) {
                            let current = self.map.crs.clone();
                            let label = current.label();
                            ui.selectable_value(&mut crs, current, label);
                        }
                        for p in PRESETS
                            .iter()
                            .filter(|p| p.epsg != crate::crs::VN2000_GEOGRAPHIC)
                        {
                            ui.selectable_value(
                                &mut crs,
                                Crs::Epsg(p.epsg),
                                format!("{} (EPSG:{})", p.label, p.epsg),
                            );
                        }
                    });
                if crs != self.map.crs {
                    asked.push(AppCommand::SetMapCrs(crs));
                }
                if let Some(c) = self.cursor {
                    let wgs = self
                        .map
                        .to_wgs84
                        .as_ref()
                        .and_then(|t| t.transform(geo_types::Coord { x: c[0], y: c[1] }).ok());
                    if let Some(w) = wgs {
                        ui.label(format!("WGS 84: {:.6}° E {:.6}° N", w.x, w.y));
                    }
                    ui.label(format!("{:.2} {:.2}", c[0], c[1]));
                }
            });
        });
        self.commands.extend(asked);
    }

    /// The dialogs and windows; what they ask becomes commands.
    pub(super) fn windows(&mut self, ctx: &egui::Context) {
        let layers = self.layer_infos();
        let workspace = self.workspace.clone();
        let lang = self.lang;
        let mut asked = Vec::new();
        let panels = &mut self.panels;
        if let Some(d) = &mut panels.import {
            asked.extend(
                d.show(ctx, lang, &workspace, &layers)
                    .map(AppCommand::StartTransfer),
            );
            if !d.open {
                panels.import = None;
            }
        }
        if let Some(d) = &mut panels.export {
            asked.extend(d.show(ctx, lang, &layers).map(AppCommand::StartTransfer));
            if !d.open {
                panels.export = None;
            }
        }
        if let Some(d) = &mut panels.repair {
            if d.show(ctx, lang, &workspace, &layers) {
                // The repaired values show in the map labels and the table.
                asked.push(AppCommand::ReloadWorkspace);
            }
            if !d.open {
                panels.repair = None;
            }
        }
        if let Some(w) = &mut panels.report {
            w.show(ctx, lang);
            if !w.open {
                panels.report = None;
            }
        }
        for table in &mut self.tables {
            let name = table.layer.name.clone();
            let selected = self.selection.get(&name).cloned().unwrap_or_default();
            match table.show(ctx, lang, &selected) {
                Some(TableAction::ZoomTo(fid)) => {
                    asked.push(AppCommand::SelectFeatures {
                        layer: name.clone(),
                        fids: vec![fid],
                    });
                    asked.push(AppCommand::ZoomToFeature { layer: name, fid });
                }
                Some(TableAction::Select(fids)) => {
                    asked.push(AppCommand::SelectFeatures { layer: name, fids });
                }
                None => {}
            }
        }
        self.tables.retain(|t| t.open);
        if let Some(editor) = &mut panels.style_editor {
            if let Some(style) = editor.show(ctx, lang, &workspace) {
                asked.push(AppCommand::SetStyle {
                    layer: editor.layer.name.clone(),
                    style,
                });
            }
            if !editor.open {
                panels.style_editor = None;
            }
        }
        if panels.print.is_some() {
            let map = self.map_now();
            let panels = &mut self.panels;
            if let Some(panel) = &mut panels.print {
                asked.extend(panel.show(ctx, lang, &map));
                if !panel.open {
                    panels.print = None;
                }
            }
        }
        let panels = &mut self.panels;
        if let Some(panel) = &mut panels.analysis {
            asked.extend(panel.show(ctx, lang, &layers, &self.selection));
            if !panel.open {
                panels.analysis = None;
            }
        }
        asked.extend(self.notifications.window(ctx, lang));
        self.commands.extend(asked);
        self.sync_window(ctx, lang);
    }

    /// Opens the analysis panel (the open one stays, with its results).
    pub(super) fn open_analysis(&mut self) {
        if self.panels.analysis.is_none() {
            let panel = AnalysisPanel::new(&self.workspace, &self.layer_infos());
            self.panels.analysis = Some(panel);
        }
    }

    pub(super) fn open_print(&mut self) {
        if self.panels.print.is_none() {
            self.panels.print = Some(PrintPanel::new(&self.workspace));
        }
    }

    /// What the map shows now: the box on screen, the visible layers
    /// (bottom first) in their newest styles.
    fn map_now(&self) -> MapNow {
        let extent = self
            .view
            .zip(self.map_rect)
            .map(|(v, r)| crate::ui::map::ScreenView::screen_bounds(&v, r));
        let layers = (self.scene.iter().flat_map(|s| &s.layers))
            .filter(|l| l.visible)
            .map(|l| {
                let style = self.map.styles.get(&l.info.name).unwrap_or(&l.style);
                (l.info.name.clone(), style.clone())
            })
            .collect();
        MapNow {
            extent,
            layers,
            crs: self.map.crs.clone(),
        }
    }

    /// The print panel, when it is open (tests).
    pub fn print_panel_mut(&mut self) -> Option<&mut PrintPanel> {
        self.panels.print.as_mut()
    }

    /// The print panel's layout of what the map shows now (tests).
    pub fn print_layout(&self) -> Option<crate::print::Layout> {
        let map = self.map_now();
        self.panels.print.as_ref().map(|p| p.layout(&map))
    }

    /// Waits for the analysis and export in progress, applies what they
    /// ask (the map loads the result layers) and waits for that (tests).
    pub fn finish_analysis(&mut self) {
        if let Some(panel) = &mut self.panels.analysis {
            let asked = panel.finish();
            self.commands.extend(asked);
        }
        self.apply_all();
        self.finish_loading();
    }

    /// Waits for the print in progress and takes in its outcome (tests).
    pub fn finish_print(&mut self) {
        let lang = self.lang;
        if let Some(panel) = &mut self.panels.print {
            let asked = panel.finish(lang);
            self.commands.extend(asked);
        }
        self.apply_all();
    }

    /// The analysis panel, when it is open (tests).
    pub fn analysis_panel_mut(&mut self) -> Option<&mut AnalysisPanel> {
        self.panels.analysis.as_mut()
    }
}

pub(super) fn scale_bar(painter: &egui::Painter, rect: Rect, resolution: f64, label: &str) {
    let (metres, px) = crate::ui::map::scale_bar(resolution, 120.0);
    let origin = rect.left_bottom() + egui::vec2(16.0, -20.0);
    let end = origin + egui::vec2(px, 0.0);
    let stroke = Stroke::new(2.0, Color32::BLACK);
    painter.line_segment([origin, end], stroke);
    painter.line_segment([origin, origin - egui::vec2(0.0, 6.0)], stroke);
    painter.line_segment([end, end - egui::vec2(0.0, 6.0)], stroke);
    let text = if metres >= 1000.0 {
        format!("{label}: {} km", metres / 1000.0)
    } else {
        format!("{label}: {metres} m")
    };
    painter.text(
        origin - egui::vec2(0.0, 8.0),
        egui::Align2::LEFT_BOTTOM,
        text,
        egui::FontId::proportional(12.0),
        Color32::BLACK,
    );
}

pub(super) fn north_arrow(painter: &egui::Painter, rect: Rect) {
    let tip = Pos2::new(rect.right() - 30.0, rect.top() + 16.0);
    let points = vec![
        tip,
        tip + egui::vec2(8.0, 24.0),
        tip + egui::vec2(0.0, 18.0),
        tip + egui::vec2(-8.0, 24.0),
    ];
    painter.add(egui::Shape::convex_polygon(
        points,
        Color32::from_gray(30),
        Stroke::NONE,
    ));
    painter.text(
        tip + egui::vec2(0.0, 28.0),
        egui::Align2::CENTER_TOP,
        "B",
        egui::FontId::proportional(13.0),
        Color32::from_gray(30),
    );
}
