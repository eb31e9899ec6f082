//! The attribute table of a layer: rows are fids in the current filter and
//! sort order (computed by SQLite in a background read), and only a window
//! of rows around the scroll position is read, also in the background;
//! until it arrives its cells show "…". A frame never reads the store, so
//! a million rows scroll as smoothly as a hundred, even while another
//! program holds the file's lock.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::PathBuf;

use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::gpkg::LayerInfo;
use crate::model::{Feature, FieldValue};
use crate::ui::i18n::{Key, Lang, tr};
use crate::ui::jobs::{JobError, StoreRead};

/// Rows read beyond each side of the rows on screen, so that scrolling on
/// finds them already there.
const MARGIN: usize = 150;

/// Rows kept in memory before those far from the screen are dropped.
const KEPT: usize = 20 * MARGIN;

/// What a cell shows until its row is read.
pub const PLACEHOLDER: &str = "…";

/// What the table asks of the app.
pub enum TableAction {
    ZoomTo(i64),
    Select(Vec<i64>),
}

/// A window of rows being read: which row indexes it covers.
struct PageRead {
    rows: Range<usize>,
    read: StoreRead<Vec<Feature>>,
}

pub struct AttributeTable {
    /// The layer's description, cached with the map layer (the app
    /// replaces it when the layer is loaded again).
    pub layer: LayerInfo,
    pub open: bool,
    workspace: PathBuf,
    filter: String,
    sort: Option<(String, bool)>,
    fids: Result<Vec<i64>, String>,
    /// The row order being computed.
    pending: Option<StoreRead<Vec<i64>>>,
    /// The window of rows being read.
    page: Option<PageRead>,
    rows: HashMap<i64, Vec<FieldValue>>,
    /// The row indexes drawn in the last frame.
    on_screen: Range<usize>,
    /// A row to scroll to the top in the next frame.
    scroll_to: Option<usize>,
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
            page: None,
            rows: HashMap::new(),
            on_screen: 0..0,
            scroll_to: None,
        };
        table.requery();
        table
    }

    /// Recomputes the row order in the background.
    fn requery(&mut self) {
        let layer = self.layer.name.clone();
        let (filter, sort) = (self.filter.clone(), self.sort.clone());
        self.pending = Some(StoreRead::start(
            format!("table {layer}"),
            self.workspace.clone(),
            move |g, _| {
                let order = sort.as_ref().map(|(f, a)| (f.as_str(), *a));
                Ok(g.fids_where(&layer, Some(&filter), order)?)
            },
        ));
    }

    /// The layer changed (an edit, a reload): its description is taken
    /// anew, and the rows and their order are read again.
    pub fn refresh(&mut self, layer: LayerInfo) {
        // The rows shown stay until the new order arrives.
        self.layer = layer;
        self.requery();
    }

    fn take_fids(&mut self, result: Result<Vec<i64>, JobError>) {
        self.fids = result.map_err(|e| e.to_string());
        self.rows.clear();
        self.page = None;
    }

    fn take_page(&mut self, result: Result<Vec<Feature>, JobError>) {
        match result {
            Ok(features) => self.rows.extend(
                features
                    .into_iter()
                    .filter_map(|f| f.fid.map(|fid| (fid, f.values))),
            ),
            Err(e) => self.fids = Err(e.to_string()),
        }
    }

    /// Waits for the row order (tests).
    pub fn finish_query(&mut self) {
        if let Some(mut read) = self.pending.take() {
            read.wait();
            if let Some(result) = read.take() {
                self.take_fids(result);
            }
        }
    }

    /// Waits for the rows being read (tests).
    pub fn finish_rows(&mut self) {
        if let Some(mut page) = self.page.take() {
            page.read.wait();
            if let Some(result) = page.read.take() {
                self.take_page(result);
            }
        }
    }

    /// Whether the row order or a window of rows is still being read.
    pub fn is_reading(&self) -> bool {
        self.pending.is_some() || self.page.is_some()
    }

    pub fn row_fids(&self) -> &[i64] {
        self.fids.as_deref().unwrap_or(&[])
    }

    /// The values of a row, when read.
    pub fn row_values(&self, fid: i64) -> Option<&[FieldValue]> {
        self.rows.get(&fid).map(Vec::as_slice)
    }

    pub fn sort_by(&mut self, field: &str) {
        let ascending = !matches!(&self.sort, Some((f, true)) if f == field);
        self.sort = Some((field.to_string(), ascending));
        self.requery();
    }

    /// Starts reading the rows around those on screen that are not read
    /// yet. A read for rows scrolled away is dropped for the new one: the
    /// newest screen is what the user waits for.
    fn read_rows_on_screen(&mut self) {
        let Ok(fids) = &self.fids else { return };
        let screen = self.on_screen.start.min(fids.len())..self.on_screen.end.min(fids.len());
        let missing = |r: &Range<usize>| fids[r.clone()].iter().any(|f| !self.rows.contains_key(f));
        if !missing(&screen) {
            return;
        }
        if let Some(p) = &self.page
            && p.rows.start <= screen.start
            && screen.end <= p.rows.end
        {
            return;
        }
        let window = screen.start.saturating_sub(MARGIN)..(screen.end + MARGIN).min(fids.len());
        if self.rows.len() > KEPT {
            let keep: std::collections::HashSet<i64> =
                fids[window.clone()].iter().copied().collect();
            self.rows.retain(|fid, _| keep.contains(fid));
        }
        let wanted: Vec<i64> = fids[window.clone()]
            .iter()
            .filter(|f| !self.rows.contains_key(f))
            .copied()
            .collect();
        let layer = self.layer.name.clone();
        self.page = Some(PageRead {
            rows: window,
            read: StoreRead::start(
                format!("table rows {layer}"),
                self.workspace.clone(),
                move |g, _| Ok(g.attributes_of(&layer, &wanted)?),
            ),
        });
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if let Some(result) = self.pending.as_mut().and_then(|r| r.poll(ctx)) {
            self.pending = None;
            self.take_fids(result);
        }
        if let Some(result) = self.page.as_mut().and_then(|p| p.read.poll(ctx)) {
            self.page = None;
            self.take_page(result);
        }
    }

    pub fn show(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        selected: &BTreeSet<i64>,
    ) -> Option<TableAction> {
        self.poll(ctx);
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
                        let count = if self.pending.is_some() {
                            PLACEHOLDER.to_string()
                        } else {
                            f.len().to_string()
                        };
                        ui.label(format!(
                            "{count} {} · {} {}",
                            tr(lang, Key::Rows),
                            selected.len(),
                            tr(lang, Key::Selected)
                        ));
                    }
                }
                self.rows_ui(ui, lang, selected, &mut action);
            });
        self.open = open;
        self.read_rows_on_screen();
        action
    }

    /// The header and the rows on screen (the others are not laid out).
    fn rows_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        selected: &BTreeSet<i64>,
        action: &mut Option<TableAction>,
    ) {
        let fields: Vec<String> = self
            .layer
            .schema
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let n = self.row_fids().len();
        let mut clicked_sort = None;
        let mut on_screen: Option<Range<usize>> = None;
        let mut builder = TableBuilder::new(ui);
        if let Some(index) = self.scroll_to.take() {
            builder = builder.scroll_to_row(index, Some(egui::Align::TOP));
        }
        builder
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
                    on_screen = Some(match on_screen.take() {
                        Some(r) => r.start.min(index)..r.end.max(index + 1),
                        None => index..index + 1,
                    });
                    let fid = self.row_fids()[index];
                    row.set_selected(selected.contains(&fid));
                    row.col(|ui| {
                        if ui
                            .link(fid.to_string())
                            .on_hover_text(tr(lang, Key::ZoomTo))
                            .clicked()
                        {
                            *action = Some(TableAction::ZoomTo(fid));
                        }
                    });
                    let values = self.rows.get(&fid);
                    for i in 0..fields.len() {
                        row.col(|ui| {
                            match values {
                                Some(v) => {
                                    ui.label(v.get(i).map(|v| v.to_string()).unwrap_or_default())
                                }
                                None => ui.weak(PLACEHOLDER),
                            };
                        });
                    }
                });
            });
        self.on_screen = on_screen.unwrap_or(0..0);
        if let Some(f) = clicked_sort {
            self.sort_by(&f);
        }
    }

    /// The row indexes drawn in the last frame.
    pub fn rows_on_screen(&self) -> Range<usize> {
        self.on_screen.clone()
    }

    /// Scrolls row `index` to the top in the next frame (the benchmark
    /// jumps through a million rows; the window scrolls with the wheel).
    pub fn scroll_to_row(&mut self, index: usize) {
        self.scroll_to = Some(index);
    }
}
