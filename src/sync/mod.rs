//! Sync with the provincial SDI portal (issue 11, being built): what a
//! push sends is read from the edit journal, folded into net changes per
//! feature ([`net_changes`]). The portal clients (OGC API – Features
//! Part 4, WFS-T), check-out, pull and the three-way merge come next.

pub mod net_changes;

pub use net_changes::{NetChange, net_changes, pending_changes};
