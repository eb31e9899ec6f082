//! The window's panels and dialogs, one struct each. A panel draws from
//! what the app lends it ([`PanelContext`]) and returns the commands the
//! user gave; it never changes the workspace itself.
//!
//! A new panel: a file here with a struct and a `ui` (docked) or `show`
//! (window) method returning `Vec<AppCommand>`, a field in `Panels`, and
//! its call in `TramgisApp::show`.

use super::i18n::Lang;
use super::map::{Scene, Selection};
use crate::gpkg::LayerInfo;

pub mod analysis;
pub mod attribute_form;
pub mod editing;
pub mod gnss;
pub mod identify;
pub mod layer_tree;
pub mod legend;
pub mod print;
pub mod repair_text;
pub mod style_editor;
pub mod sync;
pub mod table;
pub mod transfer;
pub mod validation;

/// What every panel may read.
pub struct PanelContext<'a> {
    pub lang: Lang,
    pub scene: Option<&'a Scene>,
    pub selection: &'a Selection,
    pub active_layer: Option<&'a str>,
    /// The workspace's attribute (aspatial) tables with their row counts.
    pub attribute_tables: &'a [(LayerInfo, u64)],
    /// The layers being edited (None: no editing thread yet).
    pub editing: Option<&'a std::collections::BTreeSet<String>>,
}

/// The open panels and dialogs (the attribute tables are the app's own,
/// `TramgisApp::tables`).
#[derive(Default)]
pub struct Panels {
    pub layer_tree: layer_tree::LayerTree,
    pub identify: identify::IdentifyPanel,
    pub style_editor: Option<style_editor::StyleEditor>,
    pub import: Option<transfer::ImportDialog>,
    pub export: Option<transfer::ExportDialog>,
    pub repair: Option<repair_text::RepairTextDialog>,
    pub report: Option<transfer::ReportWindow>,
    pub editing: editing::EditingPanel,
    pub attribute_form: Option<attribute_form::AttributeForm>,
    pub validation: Option<validation::ValidationPanel>,
    pub gnss: Option<gnss::GnssPanel>,
    pub analysis: Option<analysis::AnalysisPanel>,
    pub print: Option<print::PrintPanel>,
    pub sync: Option<sync::SyncPanel>,
}
