//! The workspace store: an OGC GeoPackage 1.4 file on SQLite.
//!
//! Besides the spec's tables (`gpkg_spatial_ref_sys`, `gpkg_contents`,
//! `gpkg_geometry_columns`, `gpkg_extensions`, the R-tree extension) a
//! tramgis workspace has QGIS's `layer_styles`, `tramgis_layer_meta` (theme,
//! titles, draw order) and the edit journal (`tramgis_changes`,
//! `tramgis_edits`). See DESIGN.md.

pub mod attribute_tables;
mod bulk;
mod core;
mod error;
mod feature_history;
mod features;
mod functions;
pub mod geom;
mod journal;
mod layer_cache;
mod open_files;
mod rtree;
mod rtree_pack;

mod store;
mod undo;

pub mod styles;
pub mod validate;

pub use bulk::BulkWriter;
pub use core::{APPLICATION_ID, USER_VERSION, quote};
pub use error::{GpkgError, Result};
pub use feature_history::{
    FieldChange, GEOMETRY_FIELD, GeometrySummary, HistoryEntry, HistoryOp, HistoryValue,
};
pub use features::{Edit, Query};
pub use journal::Change;
pub use rtree::table_name as rtree_table_name;
pub use store::{
    ContentKind, Contents, FeatureIds, GeoPackage, LayerInfo, LayerMeta, OpenOptions,
    ReadOnlyReason, Unreadable,
};
pub use undo::EditRecord;
