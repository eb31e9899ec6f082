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

/// Geometry type names of `gpkg_geometry_columns.geometry_type_name`
/// (spec annex E): the seven linear types, the curve types of the
/// non-linear geometry extension, and the abstract CURVE and SURFACE.
///
/// tramgis keeps geometries linear in memory: a curve is read as the
/// linear type of [`GeometryType::linear`] (see `gpkg::geom` for the
/// tolerance), while the column keeps its declared type.
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
    CircularString,
    CompoundCurve,
    CurvePolygon,
    MultiCurve,
    MultiSurface,
    Curve,
    Surface,
}

impl GeometryType {
    /// Every type, in WKB code order.
    pub const ALL: [GeometryType; 15] = [
        GeometryType::Geometry,
        GeometryType::Point,
        GeometryType::LineString,
        GeometryType::Polygon,
        GeometryType::MultiPoint,
        GeometryType::MultiLineString,
        GeometryType::MultiPolygon,
        GeometryType::GeometryCollection,
        GeometryType::CircularString,
        GeometryType::CompoundCurve,
        GeometryType::CurvePolygon,
        GeometryType::MultiCurve,
        GeometryType::MultiSurface,
        GeometryType::Curve,
        GeometryType::Surface,
    ];

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
            GeometryType::CircularString => "CIRCULARSTRING",
            GeometryType::CompoundCurve => "COMPOUNDCURVE",
            GeometryType::CurvePolygon => "CURVEPOLYGON",
            GeometryType::MultiCurve => "MULTICURVE",
            GeometryType::MultiSurface => "MULTISURFACE",
            GeometryType::Curve => "CURVE",
            GeometryType::Surface => "SURFACE",
        }
    }

    pub fn from_name(name: &str) -> Option<GeometryType> {
        GeometryType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The type with WKB code `code` (0..14).
    pub fn from_wkb_code(code: u32) -> Option<GeometryType> {
        GeometryType::ALL.get(code as usize).copied()
    }

    /// The name with the column's dimensions, as WKT writes them:
    /// "POLYGON Z", "POINT M", "POINT ZM".
    pub fn name_with_dims(self, z: bool, m: bool) -> String {
        match (z, m) {
            (false, false) => self.name().to_string(),
            (true, false) => format!("{} Z", self.name()),
            (false, true) => format!("{} M", self.name()),
            (true, true) => format!("{} ZM", self.name()),
        }
    }

    /// The seven Simple Features types, WKB codes 1 to 7.
    pub const ALL_CONCRETE: [GeometryType; 7] =
        *GeometryType::ALL.split_at(1).1.first_chunk().unwrap();

    /// The WKB type code (1..14; 0 for the abstract GEOMETRY).
    pub fn wkb_code(self) -> u32 {
        GeometryType::ALL
            .iter()
            .position(|t| *t == self)
            .expect("every type is in ALL") as u32
    }

    /// Whether the type has arcs (or may have, for CURVE and SURFACE).
    pub fn is_curve(self) -> bool {
        self.wkb_code() >= 8
    }

    /// The linear type a geometry of this column is read as: curves become
    /// line strings, curve polygons and surfaces polygons, multi-curves
    /// multi-line strings and multi-surfaces multi-polygons.
    pub fn linear(self) -> GeometryType {
        match self {
            GeometryType::CircularString | GeometryType::CompoundCurve | GeometryType::Curve => {
                GeometryType::LineString
            }
            GeometryType::CurvePolygon | GeometryType::Surface => GeometryType::Polygon,
            GeometryType::MultiCurve => GeometryType::MultiLineString,
            GeometryType::MultiSurface => GeometryType::MultiPolygon,
            other => other,
        }
    }

    /// Whether a geometry of WKB type `code` may be stored in a column of
    /// this declared type (spec requirement 25 and annex E's type
    /// hierarchy: a polygon is a curve polygon, a line string a curve, a
    /// multi-polygon a multi-surface, and so on).
    pub fn accepts(self, code: u32) -> bool {
        use GeometryType as G;
        let Some(found) = G::from_wkb_code(code) else {
            return false;
        };
        match self {
            G::Geometry => (1..=12).contains(&code),
            G::GeometryCollection => matches!(
                found,
                G::GeometryCollection
                    | G::MultiPoint
                    | G::MultiLineString
                    | G::MultiPolygon
                    | G::MultiCurve
                    | G::MultiSurface
            ),
            G::Curve => matches!(found, G::LineString | G::CircularString | G::CompoundCurve),
            G::Surface => matches!(found, G::Polygon | G::CurvePolygon),
            G::CurvePolygon => matches!(found, G::Polygon | G::CurvePolygon),
            G::MultiCurve => matches!(found, G::MultiLineString | G::MultiCurve),
            G::MultiSurface => matches!(found, G::MultiPolygon | G::MultiSurface),
            other => other == found,
        }
    }
}

#[cfg(test)]
mod geometry_type_tests {
    use super::GeometryType as G;

    #[test]
    fn names_and_codes_round_trip() {
        for (code, t) in G::ALL.into_iter().enumerate() {
            assert_eq!(t.wkb_code(), code as u32);
            assert_eq!(G::from_wkb_code(code as u32), Some(t));
            assert_eq!(G::from_name(&t.name().to_lowercase()), Some(t));
        }
        assert_eq!(G::from_name("CIRCULARSTRING"), Some(G::CircularString));
        assert_eq!(G::from_name("TRIANGLE"), None);
        assert_eq!(G::Polygon.name_with_dims(true, false), "POLYGON Z");
        assert_eq!(G::Point.name_with_dims(true, true), "POINT ZM");
    }

    #[test]
    fn curve_columns_accept_their_linear_subtypes() {
        assert!(G::CurvePolygon.accepts(3));
        assert!(G::MultiSurface.accepts(6) && G::MultiSurface.accepts(12));
        assert!(G::Curve.accepts(2) && G::Curve.accepts(8) && G::Curve.accepts(9));
        assert!(!G::CircularString.accepts(2));
        assert!(!G::Polygon.accepts(10));
        assert!(G::Geometry.accepts(11) && !G::Geometry.accepts(13));
        assert_eq!(G::MultiCurve.linear(), G::MultiLineString);
        assert!(G::CompoundCurve.is_curve() && !G::GeometryCollection.is_curve());
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
