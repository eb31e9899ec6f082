use serde::{Deserialize, Serialize};

/// Attribute types of the GeoPackage spec (table 1.1.1.1.3), which is also
/// what tramgis offers its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldType {
    Integer,
    Real,
    Text,
    Boolean,
    Date,
    DateTime,
    Blob,
}

impl FieldType {
    /// The declared type written in `CREATE TABLE`.
    pub fn sql_name(self) -> &'static str {
        match self {
            FieldType::Integer => "INTEGER",
            FieldType::Real => "REAL",
            FieldType::Text => "TEXT",
            FieldType::Boolean => "BOOLEAN",
            FieldType::Date => "DATE",
            FieldType::DateTime => "DATETIME",
            FieldType::Blob => "BLOB",
        }
    }

    /// Reads a declared column type as written by any GeoPackage producer
    /// (GDAL writes `TEXT(80)`, `MEDIUMINT`, `FLOAT`, ...).
    pub fn from_sql_name(declared: &str) -> Option<FieldType> {
        let upper = declared.trim().to_ascii_uppercase();
        let base = upper.split('(').next().unwrap_or("").trim();
        Some(match base {
            "INTEGER" | "INT" | "TINYINT" | "SMALLINT" | "MEDIUMINT" | "BIGINT" => {
                FieldType::Integer
            }
            "REAL" | "DOUBLE" | "FLOAT" | "NUMERIC" => FieldType::Real,
            "TEXT" | "VARCHAR" | "CHAR" | "" => FieldType::Text,
            "BOOLEAN" => FieldType::Boolean,
            "DATE" => FieldType::Date,
            "DATETIME" => FieldType::DateTime,
            "BLOB" => FieldType::Blob,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub field_type: FieldType,
    pub not_null: bool,
}

impl Field {
    pub fn new(name: &str, field_type: FieldType) -> Self {
        Field {
            name: name.to_string(),
            field_type,
            not_null: false,
        }
    }
}

/// Geometry type names of `gpkg_geometry_columns.geometry_type_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GeometryType {
    Geometry,
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
    GeometryCollection,
}

impl GeometryType {
    pub fn name(self) -> &'static str {
        match self {
            GeometryType::Geometry => "GEOMETRY",
            GeometryType::Point => "POINT",
            GeometryType::LineString => "LINESTRING",
            GeometryType::Polygon => "POLYGON",
            GeometryType::MultiPoint => "MULTIPOINT",
            GeometryType::MultiLineString => "MULTILINESTRING",
            GeometryType::MultiPolygon => "MULTIPOLYGON",
            GeometryType::GeometryCollection => "GEOMETRYCOLLECTION",
        }
    }

    pub fn from_name(name: &str) -> Option<GeometryType> {
        Some(match name.to_ascii_uppercase().as_str() {
            "GEOMETRY" => GeometryType::Geometry,
            "POINT" => GeometryType::Point,
            "LINESTRING" => GeometryType::LineString,
            "POLYGON" => GeometryType::Polygon,
            "MULTIPOINT" => GeometryType::MultiPoint,
            "MULTILINESTRING" => GeometryType::MultiLineString,
            "MULTIPOLYGON" => GeometryType::MultiPolygon,
            "GEOMETRYCOLLECTION" => GeometryType::GeometryCollection,
            _ => return None,
        })
    }

    pub const ALL_CONCRETE: [GeometryType; 7] = [
        GeometryType::Point,
        GeometryType::LineString,
        GeometryType::Polygon,
        GeometryType::MultiPoint,
        GeometryType::MultiLineString,
        GeometryType::MultiPolygon,
        GeometryType::GeometryCollection,
    ];

    /// The WKB type code (1..7; 0 for the abstract GEOMETRY).
    pub fn wkb_code(self) -> u32 {
        match self {
            GeometryType::Geometry => 0,
            GeometryType::Point => 1,
            GeometryType::LineString => 2,
            GeometryType::Polygon => 3,
            GeometryType::MultiPoint => 4,
            GeometryType::MultiLineString => 5,
            GeometryType::MultiPolygon => 6,
            GeometryType::GeometryCollection => 7,
        }
    }

    /// Whether a geometry of WKB type `code` may be stored in a column of
    /// this declared type (spec requirement 25 and annex on type hierarchy).
    pub fn accepts(self, code: u32) -> bool {
        match self {
            GeometryType::Geometry => (1..=7).contains(&code),
            GeometryType::GeometryCollection => (4..=7).contains(&code),
            other => other.wkb_code() == code,
        }
    }
}

/// The themes of the layer tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LayerTheme {
    LandUse,
    Planning,
    Telecom,
    SmartCity,
    Infrastructure,
    Base,
}

impl LayerTheme {
    pub const ALL: [LayerTheme; 6] = [
        LayerTheme::LandUse,
        LayerTheme::Planning,
        LayerTheme::Telecom,
        LayerTheme::SmartCity,
        LayerTheme::Infrastructure,
        LayerTheme::Base,
    ];

    pub fn key(self) -> &'static str {
        match self {
            LayerTheme::LandUse => "land_use",
            LayerTheme::Planning => "planning",
            LayerTheme::Telecom => "telecom",
            LayerTheme::SmartCity => "smart_city",
            LayerTheme::Infrastructure => "infrastructure",
            LayerTheme::Base => "base",
        }
    }

    pub fn from_key(key: &str) -> Option<LayerTheme> {
        LayerTheme::ALL.into_iter().find(|t| t.key() == key)
    }
}

/// The schema of a feature table: its attribute fields (the fid and the
/// geometry column are not among them) and its geometry column.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub fields: Vec<Field>,
    /// The INTEGER PRIMARY KEY column (`fid` when we create the table).
    pub fid_column: String,
    pub geometry_column: String,
    pub geometry_type: GeometryType,
    pub srs_id: i32,
    pub has_z: bool,
    pub has_m: bool,
}

impl Schema {
    pub fn new(geometry_type: GeometryType, srs_id: i32, fields: Vec<Field>) -> Self {
        Schema {
            fields,
            fid_column: "fid".to_string(),
            geometry_column: "geom".to_string(),
            geometry_type,
            srs_id,
            has_z: false,
            has_m: false,
        }
    }

    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name.eq_ignore_ascii_case(name))
    }
}
