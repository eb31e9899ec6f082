//! tramgis: a desktop GIS and planning workstation for Vietnamese provinces.
//!
//! The library holds everything below the user interface (see DESIGN.md):
//! the GeoPackage workspace store, CRS handling, the sample workspace
//! generator. The `tramgis` binary adds the CLI and the window.

pub mod analysis;
pub mod bundled_data;
pub mod cli;
pub mod crs;
pub mod edit;
pub mod gpkg;
pub mod index;
pub mod io;
pub mod jobs;
pub mod model;
pub mod print;
pub mod render;
pub mod sample;
pub mod sync;
#[cfg(feature = "gui")]
pub mod ui;
