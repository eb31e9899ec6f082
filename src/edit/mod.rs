//! Editing, below the window (no egui): edit sessions and operations,
//! geometry tools, snapping, validation, field domains and rules, GNSS.
//! See /tmp/team/EDIT-API.md for who owns what.

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
