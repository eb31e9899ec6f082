//! The attribute form of one feature (new or existing), built from the
//! layer's schema and its FieldRules: a coded domain is a pick list
//! ("code — name"), a range shows its bounds, required fields are marked,
//! a new feature starts with the defaults. On OK every value is checked
//! with the rules before anything is written; a refused value is shown
//! next to its field and the form stays open with what the user typed.
//! The write is an `AppCommand::Write` made by the workspace's editing
//! thread (one edit, undoable from the editing panel, redrawn
//! incrementally); its reply comes back through [`AttributeForm::take_written`].
//! When it fails (another program holds the lock) the form stays too. As
//! in QGIS, the form is read-only unless the layer is in editing.
//! The window opens the form at once ([`AttributeForm::open`]) and reads
//! the feature and the rules in the background; the values fill in when
//! they arrive (a lock held by another program is waited out there).

use std::path::{Path, PathBuf};

use geo_types::Geometry;

use crate::edit::domains::{DomainError, DomainKind};
use crate::edit::measure::{Measurement, Measurer, NumberStyle, format_area, format_length};
use crate::edit::rules::FieldRules;
use crate::edit::{Applied, EditError};
use crate::gpkg::{GeoPackage, GpkgError, LayerInfo};
use crate::model::{Feature, FieldType, FieldValue};
use crate::ui::command::AppCommand;
use crate::ui::edit::{EditFailure, Origin, Write};
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::jobs::{JobError, StoreRead};

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error(transparent)]
    Store(#[from] GpkgError),
    #[error(transparent)]
    Rules(#[from] DomainError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("{layer}: feature {fid} is not in the layer")]
    Missing { layer: String, fid: i64 },
}

/// The form of one feature.
pub struct AttributeForm {
    pub layer: LayerInfo,
    /// None while the form is being read.
    rules: Option<FieldRules>,
    /// The feature and the rules being read.
    loading: Option<StoreRead<Box<AttributeForm>>>,
    /// None: a new feature.
    pub fid: Option<i64>,
    /// In the layer's CRS.
    geometry: Option<Geometry<f64>>,
    measurement: Option<Measurement>,
    /// What the user typed, per field (the layer's field order).
    pub texts: Vec<String>,
    /// Why a field's value was refused.
    pub field_errors: Vec<Option<String>>,
    /// Why the write failed (the lock, the store).
    pub error: Option<String>,
    /// A write sent to the editing thread and not answered yet.
    pending: bool,
    /// Whether the layer is in editing (set by the app each frame); the
    /// form is read-only when not.
    pub editable: bool,
    /// The edit written; the form is then closed.
    pub written: Option<Applied>,
    pub open: bool,
}

impl AttributeForm {
    /// The form of feature `fid` of `layer` (its values), or of a new
    /// feature with `geometry` (the defaults). Reads the layer's schema,
    /// rules and the feature through a read-only connection.
    pub fn load(
        path: &Path,
        layer: &str,
        fid: Option<i64>,
        geometry: Option<Geometry<f64>>,
    ) -> Result<Self, FormError> {
        let gpkg = GeoPackage::open_read_only(path)?;
        let info = gpkg.layer(layer)?;
        let rules = FieldRules::load(gpkg.connection(), &info)?;
        let (values, geometry) = match fid {
            Some(fid) => {
                let f = gpkg.get_feature(layer, fid)?.ok_or(FormError::Missing {
                    layer: layer.to_string(),
                    fid,
                })?;
                (f.values, f.geometry)
            }
            None => (rules.defaults(&info), geometry),
        };
        let measurement = geometry.as_ref().and_then(|g| {
            Measurer::new(&info.crs)
                .ok()
                .and_then(|m| m.measure(g).ok())
        });
        let n = values.len();
        Ok(AttributeForm {
            layer: info,
            rules: Some(rules),
            loading: None,
            fid,
            geometry,
            measurement,
            texts: values.iter().map(ToString::to_string).collect(),
            field_errors: vec![None; n],
            error: None,
            pending: false,
            editable: false,
            written: None,
            open: true,
        })
    }

    /// The form of feature `fid` of `layer` (its description cached with
    /// the map layer), shown at once; the feature and the layer's rules
    /// are read in the background and fill the form when they arrive.
    pub fn open(
        path: PathBuf,
        layer: LayerInfo,
        fid: Option<i64>,
        geometry: Option<Geometry<f64>>,
    ) -> Self {
        let name = layer.name.clone();
        let label = format!("form {name}");
        let loading = StoreRead::start(label, path.clone(), move |_, _| {
            Self::load(&path, &name, fid, geometry.clone())
                .map(Box::new)
                .map_err(|e| match e {
                    FormError::Store(e) => JobError::Store(e),
                    // Another reason is final: shown in the form.
                    e => JobError::Form(e.to_string()),
                })
        });
        AttributeForm {
            layer,
            rules: None,
            loading: Some(loading),
            fid,
            geometry: None,
            measurement: None,
            texts: Vec::new(),
            field_errors: Vec::new(),
            error: None,
            pending: false,
            editable: false,
            written: None,
            open: true,
        }
    }

    /// Whether the feature is still being read.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Waits for the feature being read and fills the form (tests).
    pub fn finish_loading(&mut self) {
        if let Some(read) = &mut self.loading {
            read.wait();
        }
        self.take_loaded(None);
    }

    /// Fills the form with what was read, once it is in.
    fn take_loaded(&mut self, ctx: Option<&egui::Context>) {
        let Some(read) = &mut self.loading else {
            return;
        };
        let result = match ctx {
            Some(ctx) => read.poll(ctx),
            None => read.take(),
        };
        let Some(result) = result else { return };
        self.loading = None;
        match result {
            Ok(loaded) => {
                let (open, editable) = (self.open, self.editable);
                *self = *loaded;
                self.open = open;
                self.editable = editable;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub fn is_busy(&self) -> bool {
        self.pending
    }

    /// Starts the form from these values (a new feature's, e.g. at a GNSS
    /// fix with its accuracy and time filled in).
    pub fn with_values(mut self, values: &[FieldValue]) -> Self {
        for (text, v) in self.texts.iter_mut().zip(values) {
            *text = v.to_string();
        }
        self
    }

    /// Sets a field's typed value by name (tests, the GNSS panel).
    pub fn set_text(&mut self, field: &str, text: &str) {
        if let Some(k) = self.field_index(field) {
            self.texts[k] = text.to_string();
        }
    }

    fn field_index(&self, field: &str) -> Option<usize> {
        self.layer
            .schema
            .fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(field))
    }

    /// Checks the typed values and, if all pass, returns the write for the
    /// editing thread (the form is busy until [`Self::take_written`]).
    pub fn submit(&mut self, lang: Lang) -> Option<AppCommand> {
        let rules = self.rules.as_ref()?;
        self.error = None;
        let mut values = Vec::with_capacity(self.texts.len());
        let mut refused = false;
        for (k, field) in self.layer.schema.fields.iter().enumerate() {
            match parse(&self.texts[k], field.field_type, lang) {
                Ok(v) => {
                    self.field_errors[k] = None;
                    values.push(v);
                }
                Err(why) => {
                    self.field_errors[k] = Some(why);
                    values.push(FieldValue::Null);
                    refused = true;
                }
            }
        }
        if refused {
            return None;
        }
        let violations = rules.violations(&self.layer, self.fid, &values);
        for v in &violations {
            match self.field_index(&v.field) {
                Some(k) => self.field_errors[k] = Some(format!("{}: {}", v.field, v.reason)),
                None => self.error = Some(v.to_string()),
            }
        }
        if !violations.is_empty() {
            return None;
        }
        let layer = self.layer.name.clone();
        let mut feature = Feature::new(self.geometry.clone(), values);
        feature.fid = self.fid;
        let description = match self.fid {
            Some(fid) => format!("Sửa thuộc tính đối tượng {fid} của lớp {layer}"),
            None => format!("Thêm đối tượng vào lớp {layer}"),
        };
        self.pending = true;
        Some(AppCommand::Write(
            Origin::AttributeForm,
            Write::Feature {
                layer,
                feature,
                description,
            },
        ))
    }

    /// The editing thread's answer: written (the form closes), or refused
    /// (the reason next to its field, or under the form; the typed values stay).
    pub fn take_written(&mut self, done: Result<Applied, EditFailure>) {
        self.pending = false;
        match done {
            Ok(applied) => {
                self.written = Some(applied);
                self.open = false;
            }
            Err(EditFailure::Edit(EditError::Domain(v))) => match self.field_index(&v.field) {
                Some(k) => self.field_errors[k] = Some(format!("{}: {}", v.field, v.reason)),
                None => self.error = Some(v.to_string()),
            },
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The form as a window.
    pub fn show(&mut self, ctx: &egui::Context, lang: Lang) -> Vec<AppCommand> {
        self.take_loaded(Some(ctx));
        let mut asked = Vec::new();
        let mut open = self.open;
        let title = match self.fid {
            Some(fid) => format!("{} — {} {fid}", tr(lang, Key::FormTitle), self.layer.name),
            None => format!("{} — {}", tr(lang, Key::FormTitleNew), self.layer.name),
        };
        egui::Window::new(title)
            .id(egui::Id::unique("attribute-form"))
            .open(&mut open)
            .show(ctx, |ui| asked = self.ui(ui, lang));
        self.open &= open;
        asked
    }

    /// The form's fields and buttons.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        if let Some(m) = &self.measurement {
            let style = match lang {
                Lang::Vi => NumberStyle::Vietnamese,
                Lang::En => NumberStyle::English,
            };
            if m.area_m2 > 0.0 {
                ui.label(format!(
                    "{}: {}",
                    tr(lang, Key::FormArea),
                    format_area(m.area_m2, style)
                ));
            } else if m.length_m > 0.0 {
                ui.label(format!(
                    "{}: {}",
                    tr(lang, Key::FormLength),
                    format_length(m.length_m, style)
                ));
            }
        }
        let Some(rules) = &self.rules else {
            // Still being read: the fields come when it arrives.
            if let Some(e) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            } else {
                ui.weak(LOADING);
            }
            if ui.button(tr(lang, Key::Cancel)).clicked() {
                self.open = false;
            }
            return asked;
        };
        egui::Grid::new("attribute-form-grid")
            .num_columns(2)
            .show(ui, |ui| {
                for (k, rule) in rules.fields().iter().enumerate() {
                    let mark = if rule.required { " *" } else { "" };
                    let name = rule.title.clone().unwrap_or_else(|| rule.name.clone());
                    let label = ui
                        .label(format!("{name}{mark}"))
                        .on_hover_text(rule.description.clone().unwrap_or_default());
                    ui.vertical(|ui| {
                        field_input(ui, lang, rule, &mut self.texts[k], label.id);
                        if let Some(why) = &self.field_errors[k] {
                            ui.colored_label(ui.visuals().error_fg_color, why);
                        }
                    });
                    ui.end_row();
                }
            });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if !self.editable {
            ui.weak(READ_ONLY);
        }
        ui.horizontal(|ui| {
            if self.is_busy() {
                ui.label(tr(lang, Key::FormSaving));
            } else if ui
                .add_enabled(self.editable, egui::Button::new(tr(lang, Key::FormOk)))
                .clicked()
            {
                asked.extend(self.submit(lang));
            }
            if ui.button(tr(lang, Key::Cancel)).clicked() {
                self.open = false;
            }
        });
        asked
    }
}

/// What the form shows while its feature is read (both languages).
pub const LOADING: &str = "Đang đọc đối tượng… (reading the feature…)";

/// The hint of a read-only form (both languages: the layer is named in the title).
const READ_ONLY: &str = "Chỉ xem: lớp chưa ở chế độ chỉnh sửa, hãy bật Chỉnh sửa lớp trước \
                         (read-only: start editing the layer first)";

/// One field's input: a pick list for a coded domain, a text box showing
/// the bounds for a range, else a text box.
fn field_input(
    ui: &mut egui::Ui,
    lang: Lang,
    rule: &crate::edit::rules::FieldRule,
    text: &mut String,
    label: egui::Id,
) {
    match rule.domain.as_ref().map(|d| &d.kind) {
        Some(DomainKind::Coded(list)) => {
            let shown = list
                .iter()
                .find(|c| c.code == *text)
                .map(|c| format!("{} — {}", c.code, c.name))
                .unwrap_or_else(|| text.clone());
            egui::ComboBox::from_id_salt(("form-field", &rule.name))
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    if !rule.required {
                        ui.selectable_value(text, String::new(), "—");
                    }
                    for c in list {
                        ui.selectable_value(
                            text,
                            c.code.clone(),
                            format!("{} — {}", c.code, c.name),
                        );
                    }
                })
                .response
                .labelled_by(label);
        }
        Some(DomainKind::Range(range)) => {
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(text).desired_width(120.0))
                    .labelled_by(label);
                ui.weak(format!("{}: {range}", tr(lang, Key::FormRange)));
            });
        }
        _ => {
            ui.add(egui::TextEdit::singleline(text).desired_width(180.0))
                .labelled_by(label);
        }
    }
}

/// The typed text as a value of the field's type; empty is NULL.
fn parse(text: &str, field_type: FieldType, lang: Lang) -> Result<FieldValue, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(FieldValue::Null);
    }
    match field_type {
        FieldType::Integer => t
            .parse()
            .map(FieldValue::Integer)
            .map_err(|_| format!("«{t}»: {}", tr(lang, Key::FormNotInteger))),
        // A Vietnamese decimal comma is accepted.
        FieldType::Real => t
            .replace(',', ".")
            .parse()
            .map(FieldValue::Real)
            .map_err(|_| format!("«{t}»: {}", tr(lang, Key::FormNotNumber))),
        FieldType::Boolean => match t.to_lowercase().as_str() {
            "1" | "true" | "có" | "yes" => Ok(FieldValue::Boolean(true)),
            "0" | "false" | "không" | "no" => Ok(FieldValue::Boolean(false)),
            _ => Err(format!("«{t}»: {}", tr(lang, Key::FormNotBoolean))),
        },
        FieldType::Date => Ok(FieldValue::Date(t.to_string())),
        FieldType::DateTime => Ok(FieldValue::DateTime(t.to_string())),
        FieldType::Text => Ok(FieldValue::Text(text.to_string())),
        FieldType::Blob => Err(tr(lang, Key::FormBlob).to_string()),
    }
}
