//! Opening and creating workspace files, and the layers in them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::core::{self, quote};
use super::error::{GpkgError, Result, SqlContext, classify};
use super::{functions, geom, journal, rtree};
use crate::model::{Field, FieldType, GeometryType, LayerTheme, Schema};

/// How to open a workspace.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Open without write access: nothing in the file is changed, not even
    /// the journal triggers of a foreign file.
    pub read_only: bool,
    /// How long to wait for another program's lock before giving up.
    pub busy_timeout: Duration,
    /// Whether a writable open adopts a file made by another program (WAL
    /// mode, tramgis tables, journal triggers, spatial indexes). An edit
    /// session opens without, and adopts a layer only when its editing
    /// starts ([`GeoPackage::adopt_layer`]): a foreign file that is only
    /// looked at stays as it was.
    pub adopt: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            busy_timeout: Duration::from_secs(5),
            adopt: true,
        }
    }
}

/// A feature layer or attribute table as listed in `gpkg_contents`, with
/// its schema and the tramgis metadata (theme, titles, draw order) when
/// the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    pub name: String,
    pub identifier: String,
    pub description: String,
    /// For an attribute table: its fields and fid column; the geometry
    /// column is empty and the geometry type GEOMETRY.
    pub schema: Schema,
    /// The extent from gpkg_contents, when set.
    pub extent: Option<geo_types::Rect<f64>>,
    pub meta: LayerMeta,
    pub has_rtree: bool,
    pub kind: ContentKind,
    /// Where the feature ids come from.
    pub ids: FeatureIds,
    /// Why the layer cannot be edited; None when it can.
    pub read_only: Option<ReadOnlyReason>,
    /// The CRS its srs_id stands for in this file (see [`core::srs_crs`]);
    /// undefined for attribute tables.
    pub crs: crate::crs::Crs,
}

/// What a `gpkg_contents` row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// A feature table or view (data_type 'features').
    Features,
    /// An attribute table without geometries (data_type 'attributes').
    Attributes,
}

/// Where a layer's feature ids come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureIds {
    /// The table's INTEGER PRIMARY KEY (`schema.fid_column`).
    PrimaryKey,
    /// SQLite's rowid, for a table without an INTEGER PRIMARY KEY
    /// (`schema.fid_column` is `rowid`, `_rowid_` or `oid`).
    RowId,
    /// A view's integer column: one named `fid` or `ogc_fid`, else its
    /// first column when that is an INTEGER, as GDAL does.
    ViewColumn,
    /// Row numbers in the order SQLite returns the rows, for a view
    /// without an integer column (stable while the view's data is).
    RowNumber,
}

/// Why a layer is read but not edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadOnlyReason {
    #[error("it is a view")]
    View,
    #[error("its table has no INTEGER PRIMARY KEY")]
    NoPrimaryKey,
    #[error("its geometries are curves, which tramgis reads as chords and cannot yet write back")]
    Curves,
}

impl LayerInfo {
    pub fn is_attributes(&self) -> bool {
        self.kind == ContentKind::Attributes
    }

    /// The FROM clause that reads the layer with its fid column: the
    /// table itself, or for row-numbered views a numbering subquery.
    pub(super) fn source(&self) -> String {
        match self.ids {
            FeatureIds::RowNumber => format!(
                "(SELECT row_number() OVER () AS {}, * FROM {})",
                quote(&self.schema.fid_column),
                quote(&self.name)
            ),
            _ => quote(&self.name),
        }
    }
}

/// A layer that is listed in the file but cannot be read, and why.
#[derive(Debug)]
pub struct Unreadable {
    pub name: String,
    pub error: GpkgError,
}

/// Everything `gpkg_contents` lists, read layer by layer: one layer that
/// cannot be read does not hide the others.
#[derive(Debug, Default)]
pub struct Contents {
    /// Feature layers, in draw order (then name).
    pub layers: Vec<LayerInfo>,
    /// Attribute (aspatial) tables, by name.
    pub tables: Vec<LayerInfo>,
    pub unreadable: Vec<Unreadable>,
}

/// What tramgis keeps about a layer beyond the spec's tables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerMeta {
    pub theme: Option<LayerTheme>,
    pub title_vi: Option<String>,
    pub title_en: Option<String>,
    /// Smaller numbers draw first (below).
    pub draw_order: i64,
}

/// An open workspace GeoPackage.
pub struct GeoPackage {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    pub(super) read_only: bool,
    pub(super) user: String,
    pub(super) has_tramgis_tables: bool,
    pub(super) warnings: Vec<String>,
    pub(super) layer_cache: super::layer_cache::LayerCache,
    /// Declared after `conn`, so the file counts as open until the
    /// connection has closed.
    _open: super::open_files::OpenFile,
}

const META_SQL: &str = "
CREATE TABLE IF NOT EXISTS tramgis_layer_meta (
  table_name TEXT NOT NULL PRIMARY KEY,
  theme TEXT,
  title_vi TEXT,
  title_en TEXT,
  draw_order INTEGER NOT NULL DEFAULT 0
);";

fn default_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "tramgis".to_string())
}

impl GeoPackage {
    /// Creates a new, empty workspace. Refuses to overwrite an existing file.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.exists() {
            return Err(GpkgError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ctx(path, "creating the file")?;
        configure(&conn, path, &OpenOptions::default())?;
        let created = (|| {
            conn.execute_batch("BEGIN")
                .ctx(path, "starting a transaction")?;
            core::create_core_tables(&conn, path)?;
            conn.execute_batch(META_SQL)
                .ctx(path, "creating tramgis_layer_meta")?;
            journal::ensure_tables(&conn, path)?;
            conn.execute_batch("COMMIT").ctx(path, "committing")?;
            conn.pragma_update(None, "journal_mode", "WAL")
                .ctx(path, "switching to WAL mode")
        })();
        if let Err(e) = created {
            drop(conn);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(GeoPackage {
            conn,
            path: path.to_path_buf(),
            read_only: false,
            user: default_user(),
            has_tramgis_tables: true,
            warnings: Vec::new(),
            layer_cache: Default::default(),
            _open: super::open_files::OpenFile::register(path),
        })
    }

    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, &OpenOptions::default())
    }

    /// Opens without write access (see [`OpenOptions::read_only`]).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(
            path,
            &OpenOptions {
                read_only: true,
                ..OpenOptions::default()
            },
        )
    }

    /// Opens an existing GeoPackage. A writable open adopts a file made by
    /// another program: it adds the tramgis tables, the edit-journal
    /// triggers and a spatial index where a feature table lacks one, all in
    /// one transaction.
    pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Self> {
        let path = path.as_ref();
        // A file this process has open was checked when first opened, and
        // reading it again outside SQLite would drop SQLite's locks on it.
        if !super::open_files::is_open(path) {
            core::check_file_header(path)?;
        }
        let flags = if options.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).ctx(path, "opening the file")?;
        configure(&conn, path, options)?;
        let warnings = core::check_is_geopackage(&conn, path)?;
        let mut gpkg = GeoPackage {
            conn,
            path: path.to_path_buf(),
            read_only: options.read_only,
            user: default_user(),
            has_tramgis_tables: false,
            warnings,
            layer_cache: Default::default(),
            _open: super::open_files::OpenFile::register(path),
        };
        gpkg.has_tramgis_tables = gpkg.table_exists("tramgis_changes")?;
        if !options.read_only && options.adopt {
            let mode: String = gpkg
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .ctx(path, "switching to WAL mode")?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(GpkgError::ReadOnly {
                    path: path.to_path_buf(),
                });
            }
            gpkg.adopt()?;
        }
        Ok(gpkg)
    }

    /// Gives every feature table a spatial index and journal triggers.
    fn adopt(&mut self) -> Result<()> {
        let path = self.path.clone();
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .ctx(&path, "starting a transaction")?;
        let result = (|| {
            self.conn
                .execute_batch(META_SQL)
                .ctx(&path, "creating tramgis_layer_meta")?;
            journal::ensure_tables(&self.conn, &path)?;
            // Views and tables without an INTEGER PRIMARY KEY can have
            // neither an R-tree (keyed by the fid) nor the journal triggers.
            let adoptable = self
                .layers()?
                .into_iter()
                .filter(|l| matches!(l.read_only, None | Some(ReadOnlyReason::Curves)));
            let mut skipped = Vec::new();
            for layer in adoptable {
                self.conn
                    .execute_batch("SAVEPOINT adopt_layer")
                    .ctx(&path, "starting a savepoint")?;
                let adopted = (|| {
                    if !layer.has_rtree {
                        rtree::create_index(&self.conn, &path, &layer.name, &layer.schema, true)?;
                    }
                    if !journal::has_triggers(&self.conn, &path, &layer.name)? {
                        journal::install_triggers(&self.conn, &path, &layer.name, &layer.schema)?;
                    }
                    Ok(())
                })();
                match adopted {
                    Ok(()) => self.conn.execute_batch("RELEASE adopt_layer"),
                    // A damaged geometry cannot be indexed: that layer goes
                    // without, the rest of the file opens.
                    Err(e @ GpkgError::Sqlite { .. }) => {
                        skipped.push(format!(
                            "{e}; the layer has no spatial index or edit journal"
                        ));
                        self.conn
                            .execute_batch("ROLLBACK TO adopt_layer; RELEASE adopt_layer")
                    }
                    Err(e) => return Err(e),
                }
                .ctx(&path, "finishing a savepoint")?;
            }
            Ok(skipped)
        })();
        match result {
            Ok(skipped) => {
                self.conn.execute_batch("COMMIT").ctx(&path, "committing")?;
                self.has_tramgis_tables = true;
                self.warnings.extend(skipped);
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Makes one layer editable with the journal: WAL mode, the tramgis
    /// tables, the layer's spatial index and its (current) journal
    /// triggers, in one transaction. What is already there is kept; a
    /// workspace of ours changes only where its triggers are outdated.
    pub fn adopt_layer(&mut self, name: &str) -> Result<()> {
        self.ensure_writable()?;
        let path = self.path.clone();
        let layer = self.layer(name)?;
        ensure_layer_writable(&path, &layer)?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .ctx(&path, "reading the journal mode")?;
        if !mode.eq_ignore_ascii_case("wal") {
            let mode: String = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .ctx(&path, "switching to WAL mode")?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(GpkgError::ReadOnly { path });
            }
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .ctx(&path, "starting a transaction")?;
        if !table_exists(&tx, &path, "tramgis_layer_meta")? {
            tx.execute_batch(META_SQL)
                .ctx(&path, "creating tramgis_layer_meta")?;
        }
        journal::ensure_tables(&tx, &path)?;
        if !layer.has_rtree {
            rtree::create_index(&tx, &path, name, &layer.schema, true)?;
        }
        if !journal::triggers_current(&tx, &path, name, &layer.schema)? {
            journal::drop_triggers(&tx, &path, name)?;
            journal::install_triggers(&tx, &path, name, &layer.schema)?;
        }
        tx.commit().ctx(&path, "committing")?;
        self.has_tramgis_tables = true;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// What was found odd but not wrong when opening the file (for example
    /// an `application_id` of 0): to show the user once.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The raw connection, for callers that need SQL the store does not
    /// offer. Our SQL functions are registered on it.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The name recorded in the edit journal for edits made through this
    /// handle.
    pub fn set_user(&mut self, user: &str) {
        self.user = user.to_string();
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub(super) fn ensure_writable(&self) -> Result<()> {
        if self.read_only {
            return Err(GpkgError::ReadOnly {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    pub(super) fn table_exists(&self, name: &str) -> Result<bool> {
        table_exists(&self.conn, &self.path, name)
    }

    /// Every layer and attribute table in `gpkg_contents`, each read on
    /// its own: those that cannot be read are listed with the reason.
    /// Tile pyramids and other raster contents are not read by tramgis
    /// and are listed as unreadable.
    pub fn contents(&self) -> Result<Contents> {
        // As stored: one NULL or non-UTF-8 row must not hide the others.
        let rows: Vec<(Option<Text>, Option<Text>)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name")
                .ctx(&self.path, "listing layers")?;
            stmt.query_map([], |r| {
                Ok((Text::of(r.get_ref(0)?), Text::of(r.get_ref(1)?)))
            })
            .ctx(&self.path, "listing layers")?
            .collect::<rusqlite::Result<_>>()
            .ctx(&self.path, "listing layers")?
        };
        let mut contents = Contents::default();
        for (name, data_type) in rows {
            let problem = match (&name, &data_type) {
                (None, _) => {
                    Some("its table_name in gpkg_contents is NULL or not text".to_string())
                }
                (Some(Text::Lossy(_)), _) => {
                    Some("its table_name in gpkg_contents is not valid UTF-8".to_string())
                }
                (Some(_), None) => {
                    Some("its data_type in gpkg_contents is NULL or not text".to_string())
                }
                (Some(_), Some(t)) if kind_of(t.as_str()).is_none() => Some(format!(
                    "its data type '{}' is not one tramgis reads (only features and attributes)",
                    t.as_str()
                )),
                _ => None,
            };
            let name = name.map_or_else(|| "(NULL)".to_string(), |n| n.as_str().to_string());
            if let Some(problem) = problem {
                contents.unreadable.push(Unreadable {
                    error: GpkgError::Invalid {
                        path: self.path.clone(),
                        detail: format!("layer '{name}': {problem}"),
                    },
                    name,
                });
                continue;
            }
            match self.layer(&name) {
                Ok(info) if info.is_attributes() => contents.tables.push(info),
                Ok(info) => contents.layers.push(info),
                Err(error) => contents.unreadable.push(Unreadable { name, error }),
            }
        }
        contents
            .layers
            .sort_by(|a, b| (a.meta.draw_order, &a.name).cmp(&(b.meta.draw_order, &b.name)));
        Ok(contents)
    }

    /// The feature layers that can be read, in draw order (then name).
    /// [`GeoPackage::contents`] also says which cannot be read, and why.
    pub fn layers(&self) -> Result<Vec<LayerInfo>> {
        Ok(self.contents()?.layers)
    }

    /// The attribute (aspatial) tables that can be read, by name.
    pub fn tables(&self) -> Result<Vec<LayerInfo>> {
        Ok(self.contents()?.tables)
    }

    /// A feature layer or attribute table by name.
    pub fn layer(&self, name: &str) -> Result<LayerInfo> {
        self.layer_cache.get(&self.conn, &self.path, name, || {
            read_layer(&self.conn, &self.path, name)
        })
    }

    /// Creates an empty feature layer with its spatial index and journal
    /// triggers, in one transaction.
    pub fn create_layer(
        &mut self,
        name: &str,
        schema: &Schema,
        meta: &LayerMeta,
    ) -> Result<LayerInfo> {
        self.ensure_writable()?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .ctx(&path, "starting a transaction")?;
        create_layer_in(&tx, &path, name, schema, meta)?;
        tx.commit().ctx(&path, "committing")?;
        self.layer(name)
    }

    /// Deletes a layer with its index, triggers, styles and metadata.
    pub fn delete_layer(&mut self, name: &str) -> Result<()> {
        self.ensure_writable()?;
        let layer = self.layer(name)?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .ctx(&path, "starting a transaction")?;
        delete_layer_in(&tx, &path, &layer)?;
        tx.commit().ctx(&path, "committing")
    }

    /// Records the draw order of the layers named, bottom first, in one
    /// transaction (layers without a `tramgis_layer_meta` row get one).
    pub fn set_draw_order(&mut self, bottom_first: &[&str]) -> Result<()> {
        self.ensure_writable()?;
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .ctx(&path, "saving the draw order")?;
        tx.execute_batch(META_SQL)
            .ctx(&path, "creating tramgis_layer_meta")?;
        for (order, name) in bottom_first.iter().enumerate() {
            tx.execute(
                "INSERT INTO tramgis_layer_meta (table_name, draw_order) VALUES (?1, ?2)
                 ON CONFLICT (table_name) DO UPDATE SET draw_order = excluded.draw_order",
                params![name, order as i64],
            )
            .ctx(&path, &format!("saving the draw order of '{name}'"))?;
        }
        tx.commit().ctx(&path, "saving the draw order")
    }

    /// Recomputes a layer's extent in gpkg_contents from its features.
    pub fn update_extent(&self, name: &str) -> Result<Option<geo_types::Rect<f64>>> {
        self.ensure_writable()?;
        let layer = self.layer(name)?;
        if layer.read_only == Some(ReadOnlyReason::View) {
            return self.compute_extent(&layer);
        }
        let extent = self.compute_extent(&layer)?;
        let e: [Option<f64>; 4] = match extent {
            Some(e) => geom::stored_order(e).map(Some),
            None => [None; 4],
        };
        self.conn
            .execute(
                "UPDATE gpkg_contents SET min_x = ?2, max_x = ?3, min_y = ?4, max_y = ?5,
                 last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?1",
                params![name, e[0], e[1], e[2], e[3]],
            )
            .ctx(&self.path, "updating gpkg_contents")?;
        Ok(extent)
    }

    /// The bounding box of all features, from the spatial index when there
    /// is one (rounded outwards to float precision), else by a scan.
    pub fn compute_extent(&self, layer: &LayerInfo) -> Result<Option<geo_types::Rect<f64>>> {
        if layer.is_attributes() {
            return Ok(None);
        }
        let sql = if layer.has_rtree {
            format!(
                "SELECT min(minx), max(maxx), min(miny), max(maxy) FROM {}",
                quote(&rtree::table_name(
                    &layer.name,
                    &layer.schema.geometry_column
                ))
            )
        } else {
            let g = quote(&layer.schema.geometry_column);
            format!(
                "SELECT min(ST_MinX({g})), max(ST_MaxX({g})), min(ST_MinY({g})), max(ST_MaxY({g})) FROM {}",
                layer.source()
            )
        };
        let env: [Option<f64>; 4] = self
            .conn
            .query_row(&sql, [], |r| {
                Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?])
            })
            .ctx(
                &self.path,
                &format!("computing the extent of layer '{}'", layer.name),
            )?;
        Ok(match env {
            [Some(a), Some(b), Some(c), Some(d)] => Some(geom::envelope_rect([a, b, c, d])),
            _ => None,
        })
    }

    /// Writes the last WAL frames into the main file, so that the file alone
    /// (without its -wal) holds everything, e.g. before copying it.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(|e| classify(&self.path, "checkpointing", e))
    }
}

/// Per-connection settings: our SQL functions, foreign keys, busy timeout,
/// a cache large enough for province-scale layers, and memory-mapped reads
/// (a full read of a layer is 10% faster without the copy out of the page
/// cache; bulk writes turn it off, see bulk.rs).
pub(super) const MMAP_PRAGMA: &str = "PRAGMA mmap_size = 1073741824";

fn configure(conn: &Connection, path: &Path, options: &OpenOptions) -> Result<()> {
    conn.busy_timeout(options.busy_timeout)
        .ctx(path, "setting the busy timeout")?;
    functions::register(conn).ctx(path, "registering SQL functions")?;
    // Debian builds its libsqlite3 with secure delete on (upstream has it
    // off): it zeroes every freed page and cell, extra writes on each edit
    // that a workspace (a copy of public planning data) does not need.
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA synchronous = NORMAL;
         PRAGMA secure_delete = OFF;",
    )
    .and_then(|()| conn.execute_batch(MMAP_PRAGMA))
    .ctx(path, "configuring the connection")?;
    Ok(())
}

/// Which of our kinds a `gpkg_contents.data_type` is (GDAL 2.0 wrote
/// 'aspatial' for attribute tables).
fn kind_of(data_type: &str) -> Option<ContentKind> {
    match data_type.to_ascii_lowercase().as_str() {
        "features" => Some(ContentKind::Features),
        "attributes" | "aspatial" => Some(ContentKind::Attributes),
        _ => None,
    }
}

/// A layer's row in `gpkg_contents`.
struct ContentsRow {
    kind: Option<ContentKind>,
    data_type: String,
    identifier: Option<String>,
    description: Option<String>,
    extent: Option<geo_types::Rect<f64>>,
}

/// A text cell of `gpkg_contents`, as UTF-8 or (when it is not) lossily.
enum Text {
    Utf8(String),
    Lossy(String),
}

impl Text {
    /// None for NULL, numbers and blobs.
    fn of(value: ValueRef<'_>) -> Option<Text> {
        match value {
            ValueRef::Text(bytes) => Some(match std::str::from_utf8(bytes) {
                Ok(s) => Text::Utf8(s.to_string()),
                Err(_) => Text::Lossy(String::from_utf8_lossy(bytes).into_owned()),
            }),
            _ => None,
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Text::Utf8(s) | Text::Lossy(s) => s,
        }
    }
}

/// A layer's row in `gpkg_geometry_columns`.
struct GeometryColumn {
    column: String,
    type_name: String,
    srs_id: i32,
    z: i64,
    m: i64,
}

fn contents_row(conn: &Connection, path: &Path, name: &str) -> Result<ContentsRow> {
    let row = conn
        .query_row(
            "SELECT data_type, identifier, description, min_x, max_x, min_y, max_y
             FROM gpkg_contents WHERE table_name = ?1",
            [name],
            |r| {
                let env: [Option<f64>; 4] = [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?];
                let data_type: String = r.get(0)?;
                Ok(ContentsRow {
                    kind: kind_of(&data_type),
                    data_type,
                    identifier: r.get(1)?,
                    description: r.get(2)?,
                    extent: match env {
                        [Some(a), Some(b), Some(c), Some(d)] => {
                            Some(geom::envelope_rect([a, b, c, d]))
                        }
                        _ => None,
                    },
                })
            },
        )
        .optional()
        .ctx(path, "reading gpkg_contents")?;
    row.ok_or_else(|| GpkgError::NoSuchLayer {
        path: path.to_path_buf(),
        layer: name.to_string(),
    })
}

fn geometry_column(conn: &Connection, path: &Path, name: &str) -> Result<GeometryColumn> {
    let missing = || GpkgError::Invalid {
        path: path.to_path_buf(),
        detail: format!("layer '{name}': it has no row in gpkg_geometry_columns"),
    };
    if !table_exists(conn, path, "gpkg_geometry_columns")? {
        return Err(missing());
    }
    conn.query_row(
        "SELECT column_name, geometry_type_name, srs_id, z, m
         FROM gpkg_geometry_columns WHERE table_name = ?1",
        [name],
        |r| {
            Ok(GeometryColumn {
                column: r.get(0)?,
                type_name: r.get(1)?,
                srs_id: r.get(2)?,
                z: r.get(3)?,
                m: r.get(4)?,
            })
        },
    )
    .optional()
    .ctx(path, &format!("reading gpkg_geometry_columns for '{name}'"))?
    .ok_or_else(missing)
}

pub(super) fn read_layer(conn: &Connection, path: &Path, name: &str) -> Result<LayerInfo> {
    let row = contents_row(conn, path, name)?;
    let Some(kind) = row.kind else {
        return Err(GpkgError::Invalid {
            path: path.to_path_buf(),
            detail: format!(
                "layer '{name}': its data type '{}' is not one tramgis reads (only features and attributes)",
                row.data_type
            ),
        });
    };
    let (schema, read_only_by_type) = match kind {
        ContentKind::Features => {
            let g = geometry_column(conn, path, name)?;
            let geometry_type =
                GeometryType::from_name(&g.type_name).ok_or_else(|| GpkgError::Invalid {
                    path: path.to_path_buf(),
                    detail: format!(
                        "layer '{name}': geometry type '{}' in gpkg_geometry_columns is not one tramgis reads",
                        g.type_name
                    ),
                })?;
            let schema = Schema {
                fields: Vec::new(),
                fid_column: String::new(),
                geometry_column: g.column,
                geometry_type,
                srs_id: g.srs_id,
                has_z: g.z == 1,
                has_m: g.m == 1,
            };
            (schema, geometry_type.is_curve())
        }
        ContentKind::Attributes => {
            let mut schema = Schema::new(GeometryType::Geometry, 0, Vec::new());
            schema.geometry_column = String::new();
            (schema, false)
        }
    };
    let columns = table_columns(conn, path, name, &schema.geometry_column)?;
    let schema = Schema {
        fields: columns.fields,
        fid_column: columns.fid_column,
        ..schema
    };
    let read_only = if columns.is_view {
        Some(ReadOnlyReason::View)
    } else if columns.ids != FeatureIds::PrimaryKey {
        Some(ReadOnlyReason::NoPrimaryKey)
    } else if read_only_by_type {
        Some(ReadOnlyReason::Curves)
    } else {
        None
    };
    let meta = if table_exists(conn, path, "tramgis_layer_meta")? {
        conn
                .query_row(
                    "SELECT theme, title_vi, title_en, draw_order FROM tramgis_layer_meta WHERE table_name = ?1",
                    [name],
                    |r| {
                        Ok(LayerMeta {
                            theme: r
                                .get::<_, Option<String>>(0)?
                                .and_then(|t| LayerTheme::from_key(&t)),
                            title_vi: r.get(1)?,
                            title_en: r.get(2)?,
                            draw_order: r.get(3)?,
                        })
                    },
                )
                .optional()
                .ctx(path, "reading tramgis_layer_meta")?
                .unwrap_or_default()
    } else {
        LayerMeta::default()
    };
    let has_rtree = kind == ContentKind::Features
        && columns.ids != FeatureIds::RowNumber
        && table_exists(
            conn,
            path,
            &rtree::table_name(name, &schema.geometry_column),
        )?;
    let crs = match kind {
        ContentKind::Features => core::srs_crs(conn, path, schema.srs_id)?,
        ContentKind::Attributes => crate::crs::Crs::Undefined { geographic: false },
    };
    Ok(LayerInfo {
        crs,
        name: name.to_string(),
        identifier: row.identifier.unwrap_or_else(|| name.to_string()),
        description: row.description.unwrap_or_default(),
        has_rtree,
        schema,
        extent: row.extent,
        meta,
        kind,
        ids: columns.ids,
        read_only,
    })
}

/// Refuses to change a layer that is read-only (a view, a table without an
/// INTEGER PRIMARY KEY, a curve layer).
pub(super) fn ensure_layer_writable(path: &Path, layer: &LayerInfo) -> Result<()> {
    match layer.read_only {
        None => Ok(()),
        Some(reason) => Err(GpkgError::ReadOnlyLayer {
            path: path.to_path_buf(),
            layer: layer.name.clone(),
            reason,
        }),
    }
}

/// A table's or view's columns as a layer sees them.
struct Columns {
    fid_column: String,
    ids: FeatureIds,
    fields: Vec<Field>,
    is_view: bool,
}

/// The fid column and the attribute fields of a table or view.
fn table_columns(conn: &Connection, path: &Path, table: &str, geom_col: &str) -> Result<Columns> {
    let object: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = ?1 AND type IN ('table', 'view')",
            [table],
            |r| r.get(0),
        )
        .optional()
        .ctx(path, "reading the schema")?;
    let Some(object) = object else {
        return Err(GpkgError::Invalid {
            path: path.to_path_buf(),
            detail: format!(
                "layer '{table}': gpkg_contents lists it but the file has no table or view of that name"
            ),
        });
    };
    let is_view = object == "view";
    let context = format!("reading the columns of '{table}'");
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({})", quote(table)))
        .ctx(path, &context)?;
    let columns: Vec<(String, String, bool, i64)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, i64>(3)? != 0,
                r.get::<_, i64>(5)?,
            ))
        })
        .ctx(path, &context)?
        .collect::<rusqlite::Result<_>>()
        .ctx(path, &context)?;
    if columns.is_empty() {
        return Err(GpkgError::Invalid {
            path: path.to_path_buf(),
            detail: format!("layer '{table}': its columns cannot be read"),
        });
    }
    let is_integer =
        |declared: &str| FieldType::from_sql_name(declared) == Some(FieldType::Integer);
    let has_column = |n: &str| columns.iter().any(|c| c.0.eq_ignore_ascii_case(n));
    let primary_keys = columns.iter().filter(|c| c.3 > 0).count();
    let (fid_column, ids) = if is_view {
        let named = columns.iter().find(|c| {
            (c.0.eq_ignore_ascii_case("fid") || c.0.eq_ignore_ascii_case("ogc_fid"))
                && (c.1.is_empty() || is_integer(&c.1))
        });
        let first = columns.first().filter(|c| is_integer(&c.1));
        match named.or(first) {
            Some(c) => (c.0.clone(), FeatureIds::ViewColumn),
            None => (row_number_column(&has_column), FeatureIds::RowNumber),
        }
    } else if let Some(c) = columns
        .iter()
        .find(|c| primary_keys == 1 && c.3 == 1 && c.1.eq_ignore_ascii_case("INTEGER"))
    {
        (c.0.clone(), FeatureIds::PrimaryKey)
    } else {
        let rowid = ["rowid", "_rowid_", "oid"]
            .into_iter()
            .find(|n| !has_column(n))
            // A WITHOUT ROWID table has none.
            .filter(|n| {
                conn.prepare(&format!("SELECT {n} FROM {} LIMIT 0", quote(table)))
                    .is_ok()
            });
        match rowid {
            Some(n) => (n.to_string(), FeatureIds::RowId),
            None => (row_number_column(&has_column), FeatureIds::RowNumber),
        }
    };
    let fields = columns
        .into_iter()
        .filter(|c| {
            (ids == FeatureIds::RowId || !c.0.eq_ignore_ascii_case(&fid_column))
                && !c.0.eq_ignore_ascii_case(geom_col)
        })
        .map(|(name, declared, not_null, _)| Field {
            name,
            // SQLite accepts any declared type; what we cannot name we show
            // as text, which every value converts to.
            field_type: FieldType::from_sql_name(&declared).unwrap_or(FieldType::Text),
            not_null,
        })
        .collect();
    Ok(Columns {
        fid_column,
        ids,
        fields,
        is_view,
    })
}

/// A name for the row-number column that no column of the view has.
fn row_number_column(has_column: &dyn Fn(&str) -> bool) -> String {
    ["fid", "_tramgis_row"]
        .into_iter()
        .find(|n| !has_column(n))
        .unwrap_or("_tramgis_row_number")
        .to_string()
}

pub(super) fn table_exists(conn: &Connection, path: &Path, name: &str) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE name = ?1)",
        [name],
        |r| r.get(0),
    )
    .ctx(path, "reading the schema")
}

fn check_field_names(path: &Path, layer: &str, schema: &Schema) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let reserved = [
        schema.fid_column.to_lowercase(),
        schema.geometry_column.to_lowercase(),
    ];
    for field in &schema.fields {
        let lower = field.name.to_lowercase();
        if field.name.is_empty() || reserved.contains(&lower) || !seen.insert(lower) {
            return Err(GpkgError::BadFeature {
                path: path.to_path_buf(),
                layer: layer.to_string(),
                detail: format!("field name '{}' is empty, repeated or reserved", field.name),
            });
        }
    }
    Ok(())
}

/// Creates a feature layer (table, registration, spatial index, journal
/// triggers) inside the caller's transaction.
pub(super) fn create_layer_in(
    conn: &Connection,
    path: &Path,
    name: &str,
    schema: &Schema,
    meta: &LayerMeta,
) -> Result<()> {
    if table_exists(conn, path, name)? {
        return Err(GpkgError::LayerExists {
            path: path.to_path_buf(),
            layer: name.to_string(),
        });
    }
    check_field_names(path, name, schema)?;
    core::ensure_srs(conn, path, schema.srs_id)?;
    let mut columns = vec![
        format!(
            "{} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
            quote(&schema.fid_column)
        ),
        format!(
            "{} {}",
            quote(&schema.geometry_column),
            schema.geometry_type.name()
        ),
    ];
    for field in &schema.fields {
        let not_null = if field.not_null { " NOT NULL" } else { "" };
        columns.push(format!(
            "{} {}{not_null}",
            quote(&field.name),
            field.field_type.sql_name()
        ));
    }
    conn.execute_batch(&format!(
        "CREATE TABLE {} ({})",
        quote(name),
        columns.join(", ")
    ))
    .ctx(path, &format!("creating layer '{name}'"))?;
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
         VALUES (?1, 'features', ?2, ?3, ?4)",
        params![
            name,
            meta.title_vi.as_deref().unwrap_or(name),
            meta.title_en.as_deref().unwrap_or(""),
            schema.srs_id
        ],
    )
    .ctx(path, "registering the layer in gpkg_contents")?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            name,
            schema.geometry_column,
            schema.geometry_type.name(),
            schema.srs_id,
            i64::from(schema.has_z),
            i64::from(schema.has_m)
        ],
    )
    .ctx(path, "registering the layer in gpkg_geometry_columns")?;
    conn.execute(
        "INSERT INTO tramgis_layer_meta VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            name,
            meta.theme.map(|t| t.key()),
            meta.title_vi,
            meta.title_en,
            meta.draw_order
        ],
    )
    .ctx(path, "writing tramgis_layer_meta")?;
    rtree::create_index(conn, path, name, schema, false)?;
    journal::install_triggers(conn, path, name, schema)
}

/// Stamps a layer's last_change and grows its gpkg_contents extent to take
/// in `added` (the extent is informative: deletes do not shrink it).
pub(super) fn grow_extent(
    conn: &Connection,
    path: &Path,
    layer: &str,
    added: Option<geo_types::Rect<f64>>,
) -> Result<()> {
    let e: [Option<f64>; 4] = added.map_or([None; 4], |e| geom::stored_order(e).map(Some));
    conn.execute(
        "UPDATE gpkg_contents SET
           last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
           min_x = min(coalesce(min_x, ?2), coalesce(?2, min_x)),
           max_x = max(coalesce(max_x, ?3), coalesce(?3, max_x)),
           min_y = min(coalesce(min_y, ?4), coalesce(?4, min_y)),
           max_y = max(coalesce(max_y, ?5), coalesce(?5, max_y))
         WHERE table_name = ?1",
        params![layer, e[0], e[1], e[2], e[3]],
    )
    .ctx(path, "updating gpkg_contents")?;
    Ok(())
}

impl GeoPackage {
    /// Writes a consistent, compacted copy of the whole workspace to `path`
    /// (SQLite's VACUUM INTO: one read transaction, so edits made meanwhile
    /// by other programs are either all in the copy or not at all).
    pub fn save_as(&self, path: &Path) -> Result<()> {
        if path.exists() {
            return Err(GpkgError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let target = path.to_str().ok_or_else(|| GpkgError::Invalid {
            path: path.to_path_buf(),
            detail: "the file name is not valid Unicode".into(),
        })?;
        self.conn
            .execute("VACUUM INTO ?1", [target])
            .ctx(&self.path, &format!("saving a copy as {}", path.display()))?;
        Ok(())
    }
}

/// Removes a layer inside the caller's transaction: its table (or view),
/// R-tree, journal triggers, registrations and styles.
pub(crate) fn delete_layer_in(conn: &Connection, path: &Path, layer: &LayerInfo) -> Result<()> {
    let name = layer.name.as_str();
    rtree::drop_index(conn, path, name, &layer.schema.geometry_column)?;
    journal::drop_triggers(conn, path, name)?;
    for sql in [
        "DELETE FROM gpkg_extensions WHERE table_name = ?1",
        "DELETE FROM gpkg_geometry_columns WHERE table_name = ?1",
        "DELETE FROM gpkg_contents WHERE table_name = ?1",
        "DELETE FROM tramgis_layer_meta WHERE table_name = ?1",
    ] {
        conn.execute(sql, [name])
            .ctx(path, "removing the layer's registration")?;
    }
    if super::styles::table_exists(conn, path)? {
        conn.execute("DELETE FROM layer_styles WHERE f_table_name = ?1", [name])
            .ctx(path, "removing the layer's styles")?;
    }
    let object = if layer.read_only == Some(ReadOnlyReason::View) {
        "VIEW"
    } else {
        "TABLE"
    };
    conn.execute_batch(&format!("DROP {object} {}", quote(name)))
        .ctx(path, "dropping the table")?;
    Ok(())
}
