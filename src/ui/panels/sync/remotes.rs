//! The remotes page: each remote with its URL, protocol and kind of
//! authentication, this session's secret, its layer mappings with the
//! changes waiting and the open conflicts, the four operations, and
//! removal (confirmed); a form to add one and one to check out a
//! collection.

use std::collections::BTreeMap;

use super::tasks::{Overview, RemoteStatus, Task};
use super::{start, t};
use crate::sync::checkout::CheckoutRequest;
use crate::sync::remote::{Auth, Protocol, Remote};
use crate::sync::run::Operation;
use crate::ui::command::AppCommand;
use crate::ui::i18n::{Lang, SyncKey as S};

/// How the new remote authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthChoice {
    #[default]
    None,
    Basic,
    Bearer,
}

/// The form that adds a remote.
#[derive(Debug, Clone, Default)]
pub struct AddForm {
    pub name: String,
    pub url: String,
    /// None: asked of the server.
    pub protocol: Option<Protocol>,
    pub auth: AuthChoice,
    pub user: String,
    /// The password or token, for this session only.
    pub secret: String,
}

/// The form that checks out a collection of a remote.
#[derive(Debug, Clone)]
pub struct CheckoutForm {
    pub remote: String,
    pub collection: String,
    /// The local layer (empty: the collection's name).
    pub layer: String,
    /// "minx, miny, maxx, maxy" in the layer's CRS; empty: everything.
    pub bbox: String,
    pub epsg: i32,
    pub uuid_field: String,
}

impl CheckoutForm {
    pub fn new(remote: &str) -> Self {
        CheckoutForm {
            remote: remote.into(),
            collection: String::new(),
            layer: String::new(),
            bbox: String::new(),
            epsg: 9214,
            uuid_field: "uuid".into(),
        }
    }

    /// The request, or what is wrong with the form.
    pub fn request(&self, lang: Lang) -> Result<CheckoutRequest, String> {
        let collection = self.collection.trim().to_string();
        if collection.is_empty() {
            return Err(t(lang, S::CollectionMissing).into());
        }
        let extent = match self.bbox.trim() {
            "" => None,
            text => {
                let numbers: Vec<f64> = text
                    .split([',', ';', ' '])
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<f64>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| format!("{}: {text}", t(lang, S::BadBbox)))?;
                match numbers[..] {
                    [a, b, c, d] if a < c && b < d => Some([a, b, c, d]),
                    _ => return Err(format!("{}: {text}", t(lang, S::BadBbox))),
                }
            }
        };
        let layer = match self.layer.trim() {
            "" => collection.clone(),
            l => l.to_string(),
        };
        Ok(CheckoutRequest {
            collection,
            layer,
            extent,
            epsg: self.epsg,
            uuid_field: match self.uuid_field.trim() {
                "" => "uuid".into(),
                f => f.into(),
            },
            renames: Default::default(),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct RemotesView {
    pub add: AddForm,
    pub checkout: Option<CheckoutForm>,
    /// This session's password or token of each remote, by name.
    pub secrets: BTreeMap<String, String>,
    /// The remote whose removal waits for a confirmation.
    pub confirm_remove: Option<String>,
    /// What is wrong with a form.
    pub problem: Option<String>,
    /// The map's view as the app shows it this frame: its box and the
    /// EPSG code of the map's CRS (None for a CRS without one).
    pub map_view: Option<([f64; 4], Option<i32>)>,
    /// The checkout waits for an area drawn on the map (its box).
    pub drawing_box: bool,
}

impl RemotesView {
    /// An area drawn on the map: the checkout's extent when it asked for
    /// one (and the map's CRS is the layer's); false when it did not ask.
    pub fn take_drawn_box(
        &mut self,
        area: &geo_types::Polygon<f64>,
        map_epsg: Option<i32>,
    ) -> bool {
        if !std::mem::take(&mut self.drawing_box) {
            return false;
        }
        if let Some(form) = &mut self.checkout
            && map_epsg == Some(form.epsg)
            && let Some(r) = geo::BoundingRect::bounding_rect(area)
        {
            let (lo, hi) = (r.min(), r.max());
            form.bbox = format!("{:.2}, {:.2}, {:.2}, {:.2}", lo.x, lo.y, hi.x, hi.y);
        }
        true
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        overview: &Overview,
        busy: bool,
        asked: &mut Vec<AppCommand>,
    ) {
        if overview.remotes.is_empty() {
            ui.label(t(lang, S::NoRemotes));
        }
        for status in &overview.remotes {
            ui.group(|ui| self.remote(ui, lang, status, busy, asked));
        }
        if let Some(p) = &self.problem {
            ui.colored_label(ui.visuals().error_fg_color, p);
        }
        if self.checkout.is_some() {
            ui.separator();
            self.checkout_form(ui, lang, overview, busy, asked);
        }
        ui.separator();
        egui::CollapsingHeader::new(t(lang, S::AddRemote))
            .id_salt("sync-add-remote")
            .default_open(overview.remotes.is_empty())
            .show(ui, |ui| self.add_form(ui, lang, busy, asked));
    }

    fn remote(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        status: &RemoteStatus,
        busy: bool,
        asked: &mut Vec<AppCommand>,
    ) {
        let r = &status.remote;
        ui.horizontal_wrapped(|ui| {
            ui.strong(r.name.as_str());
            ui.label(r.url.as_str());
            ui.label(protocol_label(lang, Some(r.protocol)));
            ui.label(auth_label(lang, &r.auth));
        });
        if r.auth != Auth::None {
            ui.horizontal(|ui| {
                ui.label(match r.auth {
                    Auth::Bearer => t(lang, S::Token),
                    _ => t(lang, S::Password),
                });
                let secret = self.secrets.entry(r.name.clone()).or_default();
                ui.add(
                    egui::TextEdit::singleline(secret)
                        .password(true)
                        .desired_width(200.0),
                );
                ui.weak(t(lang, S::SessionOnly));
            });
        }
        if status.layers.is_empty() {
            ui.weak(t(lang, S::NoLayers));
        } else {
            egui::Grid::new(("sync-layers", &r.name))
                .striped(true)
                .show(ui, |ui| {
                    ui.strong(t(lang, S::LocalLayer));
                    ui.strong(t(lang, S::Collection));
                    ui.strong(t(lang, S::Pending));
                    ui.strong(t(lang, S::Conflicts));
                    ui.end_row();
                    for l in &status.layers {
                        ui.label(l.mapping.layer.as_str());
                        ui.label(l.mapping.collection.as_str());
                        ui.label(l.pending.to_string());
                        if l.conflicts > 0 {
                            ui.colored_label(ui.visuals().warn_fg_color, l.conflicts.to_string());
                        } else {
                            ui.label("0");
                        }
                        ui.end_row();
                    }
                });
        }
        let layers: Vec<String> = status
            .layers
            .iter()
            .map(|l| l.mapping.layer.clone())
            .collect();
        ui.add_enabled_ui(!busy, |ui| {
            ui.horizontal_wrapped(|ui| {
                for (key, operation) in [
                    (S::Sync, Operation::Sync),
                    (S::Push, Operation::Push),
                    (S::Pull, Operation::Pull),
                ] {
                    if ui.button(t(lang, key)).clicked() {
                        asked.push(self.run(lang, r, operation, layers.clone()));
                    }
                }
                if ui.button(t(lang, S::Checkout)).clicked() {
                    self.checkout = Some(CheckoutForm::new(&r.name));
                }
                if ui.button(t(lang, S::Remove)).clicked() {
                    self.confirm_remove = Some(r.name.clone());
                }
            });
            if self.confirm_remove.as_deref() == Some(r.name.as_str()) {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!("{} '{}'?", t(lang, S::ConfirmRemove), r.name),
                    );
                    if ui.button(t(lang, S::YesRemove)).clicked() {
                        self.confirm_remove = None;
                        self.secrets.remove(&r.name);
                        let label = format!("{} {}", t(lang, S::Removing), r.name);
                        asked.push(start(label, Task::RemoveRemote(r.name.clone())));
                    }
                    if ui.button(t(lang, S::Keep)).clicked() {
                        self.confirm_remove = None;
                    }
                });
            }
        });
    }

    /// The command running `operation` with this session's secret.
    fn run(
        &mut self,
        lang: Lang,
        remote: &Remote,
        operation: Operation,
        layers: Vec<String>,
    ) -> AppCommand {
        let secret = self.secrets.get(&remote.name).cloned().unwrap_or_default();
        self.problem = None;
        let what = match &operation {
            Operation::Sync => t(lang, S::Syncing),
            Operation::Push => t(lang, S::Pushing),
            Operation::Pull => t(lang, S::Pulling),
            Operation::Checkout(_) => t(lang, S::CheckingOut),
        };
        start(
            format!("{what} {}", remote.name),
            Task::Run {
                remote: remote.name.clone(),
                operation,
                secret,
                layers,
            },
        )
    }

    fn checkout_form(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        overview: &Overview,
        busy: bool,
        asked: &mut Vec<AppCommand>,
    ) {
        let Some(form) = &mut self.checkout else {
            return;
        };
        ui.strong(format!("{} — {}", t(lang, S::Checkout), form.remote));
        let mut drawing_box = false;
        egui::Grid::new("sync-checkout").show(ui, |ui| {
            ui.label(t(lang, S::Collection));
            ui.text_edit_singleline(&mut form.collection);
            ui.end_row();
            ui.label(t(lang, S::LocalLayer));
            ui.add(egui::TextEdit::singleline(&mut form.layer).hint_text(form.collection.as_str()));
            ui.end_row();
            ui.label(t(lang, S::Bbox));
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut form.bbox).hint_text("minx, miny, maxx, maxy"),
                );
                // The box the user has zoomed to, in the layer's CRS only:
                // a box in another CRS would check out the wrong place.
                let view = self.map_view.filter(|(_, epsg)| *epsg == Some(form.epsg));
                let button = ui
                    .add_enabled(view.is_some(), egui::Button::new(t(lang, S::MapView)))
                    .on_disabled_hover_text(t(lang, S::MapViewOtherCrs));
                if button.clicked()
                    && let Some(([a, b, c, d], _)) = view
                {
                    form.bbox = format!("{a:.2}, {b:.2}, {c:.2}, {d:.2}");
                }
                let draw = ui
                    .add_enabled(view.is_some(), egui::Button::new(t(lang, S::DrawBox)))
                    .on_disabled_hover_text(t(lang, S::MapViewOtherCrs));
                if draw.clicked() {
                    drawing_box = true;
                }
            });
            ui.end_row();
            // A district or commune of the workspace's boundary layers, in
            // the layer's CRS: its box becomes the extent.
            let within: Vec<_> = overview
                .boundaries
                .iter()
                .filter(|b| b.srs_id == form.epsg)
                .collect();
            if !within.is_empty() {
                ui.label("");
                egui::ComboBox::from_label(t(lang, S::Boundary))
                    .selected_text(t(lang, S::NoBoundary))
                    .show_ui(ui, |ui| {
                        for b in within {
                            if ui.selectable_label(false, &b.name).clicked() {
                                let [a, c, d, e] = b.extent;
                                form.bbox = format!("{a:.2}, {c:.2}, {d:.2}, {e:.2}");
                            }
                        }
                    });
                ui.end_row();
            }
            ui.label("EPSG");
            ui.add(egui::DragValue::new(&mut form.epsg).range(1..=999_999));
            ui.end_row();
            ui.label(t(lang, S::UuidField));
            ui.text_edit_singleline(&mut form.uuid_field);
            ui.end_row();
        });
        if drawing_box {
            // The draw-area map tool hands its polygon back through the app.
            self.drawing_box = true;
            asked.push(AppCommand::SetTool(crate::ui::tools::Tool::DrawArea));
        }
        let mut go = false;
        let mut close = false;
        ui.horizontal(|ui| {
            go = ui
                .add_enabled(!busy, egui::Button::new(t(lang, S::StartCheckout)))
                .clicked();
            close = ui.button(t(lang, S::Keep)).clicked();
        });
        if close {
            self.checkout = None;
            return;
        }
        if !go {
            return;
        }
        let Some(status) = overview
            .remotes
            .iter()
            .find(|r| r.remote.name == form.remote)
        else {
            self.checkout = None;
            return;
        };
        match form.request(lang) {
            Ok(request) => {
                let remote = status.remote.clone();
                asked.push(self.run(lang, &remote, Operation::Checkout(request), Vec::new()));
                self.checkout = None;
            }
            Err(e) => self.problem = Some(e),
        }
    }

    fn add_form(&mut self, ui: &mut egui::Ui, lang: Lang, busy: bool, asked: &mut Vec<AppCommand>) {
        let f = &mut self.add;
        egui::Grid::new("sync-add").show(ui, |ui| {
            ui.label(t(lang, S::Name));
            ui.text_edit_singleline(&mut f.name);
            ui.end_row();
            ui.label("URL");
            ui.add(egui::TextEdit::singleline(&mut f.url).hint_text("https://…"));
            ui.end_row();
            ui.label(t(lang, S::Protocol));
            egui::ComboBox::from_id_salt("sync-add-protocol")
                .selected_text(protocol_label(lang, f.protocol))
                .show_ui(ui, |ui| {
                    for p in [None, Some(Protocol::OgcApiFeatures), Some(Protocol::WfsT)] {
                        ui.selectable_value(&mut f.protocol, p, protocol_label(lang, p));
                    }
                });
            ui.end_row();
            ui.label(t(lang, S::Auth));
            ui.horizontal(|ui| {
                ui.radio_value(&mut f.auth, AuthChoice::None, t(lang, S::AuthNone));
                ui.radio_value(&mut f.auth, AuthChoice::Basic, t(lang, S::AuthBasic));
                ui.radio_value(&mut f.auth, AuthChoice::Bearer, t(lang, S::AuthBearer));
            });
            ui.end_row();
            if f.auth == AuthChoice::Basic {
                ui.label(t(lang, S::User));
                ui.text_edit_singleline(&mut f.user);
                ui.end_row();
            }
            if f.auth != AuthChoice::None {
                ui.label(match f.auth {
                    AuthChoice::Bearer => t(lang, S::Token),
                    _ => t(lang, S::Password),
                });
                ui.add(egui::TextEdit::singleline(&mut f.secret).password(true));
                ui.end_row();
            }
        });
        let add = ui
            .add_enabled(!busy, egui::Button::new(t(lang, S::Add)))
            .clicked();
        if add {
            match self.add_task(lang) {
                Ok((label, task)) => asked.push(start(label, task)),
                Err(e) => self.problem = Some(e),
            }
        }
    }

    /// The task adding the form's remote; its secret is kept for the session.
    fn add_task(&mut self, lang: Lang) -> Result<(String, Task), String> {
        let f = &self.add;
        let name = f.name.trim().to_string();
        let url = f.url.trim().to_string();
        if name.is_empty() || url.is_empty() {
            return Err(t(lang, S::NameUrlMissing).into());
        }
        let auth = match f.auth {
            AuthChoice::None => Auth::None,
            AuthChoice::Basic if f.user.trim().is_empty() => {
                return Err(t(lang, S::UserMissing).into());
            }
            AuthChoice::Basic => Auth::Basic {
                user: f.user.trim().to_string(),
            },
            AuthChoice::Bearer => Auth::Bearer,
        };
        let remote = Remote {
            name: name.clone(),
            url,
            protocol: f.protocol.unwrap_or(Protocol::OgcApiFeatures),
            auth,
        };
        self.secrets.insert(name.clone(), f.secret.clone());
        let task = Task::AddRemote {
            remote,
            protocol: f.protocol,
            secret: f.secret.clone(),
        };
        self.problem = None;
        self.add = AddForm::default();
        Ok((format!("{} {name}", t(lang, S::Adding)), task))
    }
}

pub fn protocol_label(lang: Lang, p: Option<Protocol>) -> &'static str {
    match p {
        None => t(lang, S::Detect),
        Some(Protocol::OgcApiFeatures) => "OGC API – Features",
        Some(Protocol::WfsT) => "WFS-T",
    }
}

pub fn auth_label(lang: Lang, auth: &Auth) -> String {
    match auth {
        Auth::None => t(lang, S::AuthNone).into(),
        Auth::Basic { user } => format!("{} ({user})", t(lang, S::AuthBasic)),
        Auth::Bearer => t(lang, S::AuthBearer).into(),
    }
}
