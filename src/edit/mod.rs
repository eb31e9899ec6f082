//! Editing, below the window (no egui): edit sessions and operations,
//! geometry tools, snapping, validation, field domains and rules, GNSS.
//! See /tmp/team/EDIT-API.md for who owns what.

pub mod check;
pub mod domains;
pub mod gnss;
pub mod rules;
