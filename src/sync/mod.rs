//! Sync with the provincial SDI portal over plain OGC protocols (OGC API –
//! Features Part 4, WFS-T 1.1): check out collections within an extent,
//! push the journal's net changes, pull the server's changes, and merge
//! both three ways, storing conflicts rather than overwriting anything.
//!
//! - [`remote`]: remotes and layer mappings kept in the workspace;
//! - [`state`]: base versions, conflicts and the sync log;
//! - [`record`], [`geojson`]: a feature as the sync compares and sends it;
//! - [`merge`]: the three-way merge of one feature;
//! - [`portal`], [`ogcapi`], [`wfst`]: the protocol clients over [`http`],
//!   opened by [`connect`];
//! - [`checkout`], [`push`], [`pull`], [`resolve`]: the operations, run
//!   and logged by [`run`];
//! - [`net_changes`]: what the journal says changed since a sync;
//! - [`changes`]: what the server says changed, where it keeps change times;
//! - [`keyring`]: a remote's password or token in the OS keyring (Secret Service).

pub mod boundaries;
pub mod changes;
pub mod checkout;
pub mod connect;
pub mod error;
pub mod geojson;
pub mod http;
pub mod keyring;
pub mod local;
pub mod merge;
pub mod net_changes;
pub mod ogcapi;
pub mod portal;
pub mod pull;
pub mod push;
pub mod record;
pub mod remote;
pub mod resolve;
pub mod run;
pub mod sanity;
pub mod server_sql;
pub mod state;
pub mod wfst;

pub use error::SyncError;
pub use net_changes::{NetChange, net_changes, pending_changes};
