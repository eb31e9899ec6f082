//! The attribute table of a layer: rows are fids in the current filter and
//! sort order (computed by SQLite in a background job), and only the rows
//! on screen are read, a block at a time, so a million rows scroll as
//! smoothly as a hundred.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::gpkg::{GeoPackage, LayerInfo};
use crate::jobs::{Job, Poll};
use crate::model::FieldValue;
use crate::ui::i18n::{Key, Lang, tr};

const BLOCK: usize = 200;

/// What the table asks of the app.
pub enum TableAction {
    ZoomTo(i64),
    Select(Vec<i64>),
}

pub struct AttributeTable {
    pub layer: LayerInfo,
    pub open: bool,
    workspace: PathBuf,
    filter: String,
    sort: Option<(String, bool)>,
    fids: Result<Vec<i64>, String>,
    pending: Option<Job<Result<Vec<i64>, String>>>,
    rows: HashMap<i64, Vec<FieldValue>>,
}

impl AttributeTable {
    pub fn new(workspace: PathBuf, layer: LayerInfo) -> Self {
        let mut table = AttributeTable {
            layer,
            open: true,
            workspace,
            filter: String::new(),
            sort: None,
            fids: Ok(vec![]),
            pending: None,
            rows: HashMap::new(),
        };
        table.requery();
        table
    }

    /// Recomputes the row order in the background.
    fn requery(&mut self) {
        let (path, layer) = (self.workspace.clone(), self.layer.name.clone());
        let (filter, sort) = (self.filter.clone(), self.sort.clone());
        self.pending = Some(Job::spawn("table", move |_| {
            GeoPackage::open_read_only(&path)
                .and_then(|g| {
                    g.fids_where(
                        &layer,
                        Some(&filter),
                        sort.as_ref().map(|(f, a)| (f.as_str(), *a)),
                    )
                })
                .map_err(|e| e.to_string())
        }));
    }

    /// Waits for the row order (tests).
    pub fn finish_query(&mut self) {
        if let Some(job) = self.pending.take() {
            self.fids = job
                .wait()
                .unwrap_or_else(|| Err("the query stopped".into()));
            self.rows.clear();
        }
    }

    pub fn row_fids(&self) -> &[i64] {
        self.fids.as_deref().unwrap_or(&[])
    }

    pub fn sort_by(&mut self, field: &str) {
        let ascending = !matches!(&self.sort, Some((f, true)) if f == field);
        self.sort = Some((field.to_string(), ascending));
        self.requery();
    }

    fn values(&mut self, reader: &GeoPackage, index: usize) -> Option<&Vec<FieldValue>> {
        let fids = self.fids.as_ref().ok()?;
        let fid = *fids.get(index)?;
        if !self.rows.contains_key(&fid) {
            if self.rows.len() > 20 * BLOCK {
                self.rows.clear();
            }
            let start = index - index % BLOCK;
            let block = &fids[start..(start + BLOCK).min(fids.len())];
            if let Ok(features) = reader.attributes_of(&self.layer.name, block) {
                self.rows.extend(
                    features
                        .into_iter()
                        .filter_map(|f| f.fid.map(|fid| (fid, f.values))),
                );
            }
        }
        self.rows.get(&fid)
    }

    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        reader: &GeoPackage,
        selected: &BTreeSet<i64>,
    ) -> Option<TableAction> {
        if let Some(job) = &mut self.pending {
            match job.poll() {
                Poll::Running => ctx.request_repaint_after(std::time::Duration::from_millis(50)),
                Poll::Done(result) => {
                    self.fids = result;
                    self.rows.clear();
                    self.pending = None;
                }
                Poll::Failed => self.pending = None,
            }
        }
        let mut action = None;
        let mut open = self.open;
        let title = format!("{} — {}", tr(lang, Key::AttributeTable), self.layer.name);
        egui::Window::new(title)
            .id(egui::Id::unique(("table", &self.layer.name)))
            .open(&mut open)
            .default_size([720.0, 420.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label(tr(lang, Key::Filter));
                    ui.add(
                        egui::TextEdit::singleline(&mut self.filter)
                            .desired_width(320.0)
                            .hint_text("ma_loai_dat = 'LUC' AND dien_tich > 500"),
                    )
                    .labelled_by(label.id);
                    if ui.button(tr(lang, Key::Apply)).clicked() {
                        self.requery();
                    }
                    if ui.button(tr(lang, Key::SelectByExpression)).clicked()
                        && let Ok(f) = &self.fids
                    {
                        action = Some(TableAction::Select(f.clone()));
                    }
                });
                match &self.fids {
                    Err(e) => {
                        ui.colored_label(Color32::from_rgb(200, 40, 40), e);
                        return;
                    }
                    Ok(f) => {
                        ui.label(format!(
                            "{} {} · {} {}",
                            f.len(),
                            tr(lang, Key::Rows),
                            selected.len(),
                            tr(lang, Key::Selected)
                        ));
                    }
                }
                let fields: Vec<String> = self
                    .layer
                    .schema
                    .fields
                    .iter()
                    .map(|f| f.name.clone())
                    .collect();
                let n = self.row_fids().len();
                let mut clicked_sort = None;
                TableBuilder::new(ui)
                    .striped(true)
                    .resizable(true)
                    .column(Column::auto().at_least(60.0))
                    .columns(Column::auto().at_least(70.0).clip(true), fields.len())
                    .header(22.0, |mut header| {
                        header.col(|ui| {
                            ui.strong("fid");
                        });
                        for f in &fields {
                            header.col(|ui| {
                                // Noto Sans has no arrow glyphs: say it in words.
                                let order = match &self.sort {
                                    Some((s, true)) if s == f => {
                                        format!(" ({})", tr(lang, Key::Ascending))
                                    }
                                    Some((s, false)) if s == f => {
                                        format!(" ({})", tr(lang, Key::Descending))
                                    }
                                    _ => String::new(),
                                };
                                if ui
                                    .button(RichText::new(format!("{f}{order}")).strong())
                                    .clicked()
                                {
                                    clicked_sort = Some(f.clone());
                                }
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(20.0, n, |mut row| {
                            let index = row.index();
                            let fid = self.row_fids()[index];
                            row.set_selected(selected.contains(&fid));
                            row.col(|ui| {
                                if ui
                                    .link(fid.to_string())
                                    .on_hover_text(tr(lang, Key::ZoomTo))
                                    .clicked()
                                {
                                    action = Some(TableAction::ZoomTo(fid));
                                }
                            });
                            let values = self.values(reader, index).cloned().unwrap_or_default();
                            for i in 0..fields.len() {
                                row.col(|ui| {
                                    ui.label(
                                        values.get(i).map(|v| v.to_string()).unwrap_or_default(),
                                    );
                                });
                            }
                        });
                    });
                if let Some(f) = clicked_sort {
                    self.sort_by(&f);
                }
            });
        self.open = open;
        action
    }
}
