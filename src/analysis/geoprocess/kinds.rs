//! The tools as a list with their parameters, so that a form (the
//! window's geoprocessing panel) can be built from it: one [`ToolKind`] per
//! [`Tool`] variant, each with its [`Param`]s in the order a form shows them.

use super::{Predicate, Tool};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    Buffer,
    Intersection,
    Difference,
    Union,
    Dissolve,
    Clip,
    SpatialJoin,
    Centroids,
}

/// What a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// A feature layer of the workspace (any geometry).
    Layer,
    /// A polygon layer of the workspace.
    PolygonLayer,
    /// A distance in the layer's units (metres in VN-2000).
    Distance {
        default: f64,
    },
    /// A whole number, at least 1.
    Count {
        default: u32,
    },
    Flag,
    /// A field of the first layer; `optional`: may be left empty.
    Field {
        optional: bool,
    },
    Text {
        default: &'static str,
    },
    Predicate,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// The CLI option (`--name`) and the key a form keeps.
    pub name: &'static str,
    pub label_vi: &'static str,
    pub label_en: &'static str,
    pub kind: ParamKind,
}

const fn param(name: &'static str, vi: &'static str, en: &'static str, kind: ParamKind) -> Param {
    Param {
        name,
        label_vi: vi,
        label_en: en,
        kind,
    }
}

const INPUT: Param = param(
    "input",
    "Lớp đầu vào",
    "Input layer",
    ParamKind::PolygonLayer,
);
const OVERLAY: Param = param(
    "overlay",
    "Lớp chồng xếp",
    "Overlay layer",
    ParamKind::PolygonLayer,
);
const PREFIX: Param = param(
    "prefix",
    "Tiền tố trường của lớp chồng xếp",
    "Overlay field prefix",
    ParamKind::Text { default: "" },
);

impl ToolKind {
    pub const ALL: [ToolKind; 8] = [
        ToolKind::Buffer,
        ToolKind::Intersection,
        ToolKind::Difference,
        ToolKind::Union,
        ToolKind::Dissolve,
        ToolKind::Clip,
        ToolKind::SpatialJoin,
        ToolKind::Centroids,
    ];

    /// The parameters besides the output layer's name.
    pub fn params(self) -> &'static [Param] {
        const BUFFER: [Param; 4] = [
            param("layer", "Lớp", "Layer", ParamKind::Layer),
            param(
                "distance",
                "Khoảng cách (m)",
                "Distance (m)",
                ParamKind::Distance { default: 50.0 },
            ),
            param(
                "segments",
                "Số đoạn mỗi góc phần tư",
                "Segments per quarter circle",
                ParamKind::Count { default: 5 },
            ),
            param(
                "dissolve",
                "Gộp kết quả",
                "Dissolve result",
                ParamKind::Flag,
            ),
        ];
        const OVERLAY_PREFIX: [Param; 3] = [INPUT, OVERLAY, PREFIX];
        const OVERLAY_ONLY: [Param; 2] = [INPUT, OVERLAY];
        const CLIP: [Param; 2] = [
            param("input", "Lớp đầu vào", "Input layer", ParamKind::Layer),
            OVERLAY,
        ];
        const DISSOLVE: [Param; 2] = [
            param("layer", "Lớp", "Layer", ParamKind::PolygonLayer),
            param(
                "field",
                "Gộp theo trường (trống: tất cả)",
                "Dissolve field (empty: all)",
                ParamKind::Field { optional: true },
            ),
        ];
        const JOIN: [Param; 4] = [
            param("input", "Lớp đầu vào", "Input layer", ParamKind::Layer),
            param("join", "Lớp nối", "Join layer", ParamKind::Layer),
            param("predicate", "Quan hệ", "Predicate", ParamKind::Predicate),
            param(
                "prefix",
                "Tiền tố trường nối",
                "Joined field prefix",
                ParamKind::Text { default: "" },
            ),
        ];
        const CENTROIDS: [Param; 1] = [param("layer", "Lớp", "Layer", ParamKind::Layer)];
        match self {
            ToolKind::Buffer => &BUFFER,
            ToolKind::Intersection | ToolKind::Union => &OVERLAY_PREFIX,
            ToolKind::Difference => &OVERLAY_ONLY,
            ToolKind::Clip => &CLIP,
            ToolKind::Dissolve => &DISSOLVE,
            ToolKind::SpatialJoin => &JOIN,
            ToolKind::Centroids => &CENTROIDS,
        }
    }

    /// The tool with its defaults on `first` (and `second`, the overlay or
    /// join layer), for a form to start from.
    pub fn with_defaults(self, first: &str, second: &str) -> Tool {
        let (a, b) = (first.to_string(), second.to_string());
        match self {
            ToolKind::Buffer => Tool::Buffer {
                layer: a,
                distance: 50.0,
                segments: 5,
                dissolve: false,
            },
            ToolKind::Intersection => Tool::Intersection {
                input: a,
                overlay: b,
                overlay_prefix: String::new(),
            },
            ToolKind::Difference => Tool::Difference {
                input: a,
                overlay: b,
            },
            ToolKind::Union => Tool::Union {
                input: a,
                overlay: b,
                overlay_prefix: String::new(),
            },
            ToolKind::Dissolve => Tool::Dissolve {
                layer: a,
                field: None,
            },
            ToolKind::Clip => Tool::Clip {
                input: a,
                overlay: b,
            },
            ToolKind::SpatialJoin => Tool::SpatialJoin {
                input: a,
                join: b,
                predicate: Predicate::Intersects,
                prefix: String::new(),
            },
            ToolKind::Centroids => Tool::Centroids { layer: a },
        }
    }

    pub fn label_vi(self) -> &'static str {
        self.with_defaults("", "").label_vi()
    }

    pub fn label_en(self) -> &'static str {
        self.with_defaults("", "").label_en()
    }

    pub fn key(self) -> &'static str {
        self.with_defaults("", "").key()
    }
}

impl Tool {
    pub fn kind(&self) -> ToolKind {
        match self {
            Tool::Buffer { .. } => ToolKind::Buffer,
            Tool::Intersection { .. } => ToolKind::Intersection,
            Tool::Difference { .. } => ToolKind::Difference,
            Tool::Union { .. } => ToolKind::Union,
            Tool::Dissolve { .. } => ToolKind::Dissolve,
            Tool::Clip { .. } => ToolKind::Clip,
            Tool::SpatialJoin { .. } => ToolKind::SpatialJoin,
            Tool::Centroids { .. } => ToolKind::Centroids,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_names_its_layers() {
        for kind in ToolKind::ALL {
            let tool = kind.with_defaults("thua_dat", "ranh_gioi_xa");
            assert_eq!(tool.kind(), kind);
            assert_eq!(tool.inputs()[0], "thua_dat");
            let layers = kind
                .params()
                .iter()
                .filter(|p| matches!(p.kind, ParamKind::Layer | ParamKind::PolygonLayer))
                .count();
            assert_eq!(layers, tool.inputs().len(), "{}", kind.key());
        }
    }
}
