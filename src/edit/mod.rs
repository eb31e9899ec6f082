//! Editing, below the window (no egui). Every write goes through an
//! [`EditSession`]: one operation is one SQLite transaction, one
//! `tramgis_edits` row, its journal rows and one step of the persistent
//! undo history ([`history`]); what it changed comes back as [`Applied`],
//! from which the window redraws only the touched features.
//!
//! - `ops`: split, merge, move/rotate/delete, copy and paste; `policy`: how
//!   their attributes are shared out;
//! - `geometry` (pure functions on geo_types: vertices, rings, reshape,
//!   offset, avoid overlaps, tracing) and `topology` (shared vertices);
//! - `snap`, `numeric` (surveyors' coordinates, COGO), `measure`;
//! - `domains` (the GeoPackage Schema extension) and `rules` (checked
//!   before anything is written); `gnss` (gpsd); `check` (validation).

pub mod check;
pub mod domains;
pub mod error;
pub mod geometry;
pub mod gnss;
pub mod history;
pub mod measure;
pub mod numeric;
pub mod ops;
pub mod policy;
pub mod rules;
pub mod session;
pub mod snap;
pub mod topology;

pub use error::EditError;
pub use session::{Applied, EditSession, EditTx, LayerChanges};
