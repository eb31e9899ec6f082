//! The data model shared by every module: features, their attribute values
//! and the schema of a layer. Nothing here knows about files or windows.

mod feature;
pub mod landuse;
mod schema;

pub use feature::{Feature, FieldValue};
pub use schema::{Field, FieldType, GeometryType, LayerTheme, Schema};
