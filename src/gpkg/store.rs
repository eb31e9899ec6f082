//! Opening and creating workspace files, and the layers in them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::core::{self, quote};
use super::error::{GpkgError, Result, SqlContext, classify};
use super::{functions, journal, rtree};
use crate::model::{Field, FieldType, GeometryType, LayerTheme, Schema};

/// How to open a workspace.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Open without write access: nothing in the file is changed, not even
    /// the journal triggers of a foreign file.
    pub read_only: bool,
    /// How long to wait for another program's lock before giving up.
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A feature layer as listed in `gpkg_contents`, with its schema and the
/// tramgis metadata (theme, titles, draw order) when the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    pub name: String,
    pub identifier: String,
    pub description: String,
    pub schema: Schema,
    /// `[minx, maxx, miny, maxy]` from gpkg_contents, when set.
    pub extent: Option<[f64; 4]>,
    pub meta: LayerMeta,
    pub has_rtree: bool,
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
        core::check_file_header(path)?;
        let flags = if options.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).ctx(path, "opening the file")?;
        configure(&conn, path, options)?;
        core::check_is_geopackage(&conn, path)?;
        let mut gpkg = GeoPackage {
            conn,
            path: path.to_path_buf(),
            read_only: options.read_only,
            user: default_user(),
            has_tramgis_tables: false,
        };
        gpkg.has_tramgis_tables = gpkg.table_exists("tramgis_changes")?;
        if !options.read_only {
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
            for layer in self.layers()? {
                if !layer.has_rtree {
                    rtree::create_index(&self.conn, &path, &layer.name, &layer.schema, true)?;
                }
                if !journal::has_triggers(&self.conn, &path, &layer.name)? {
                    journal::install_triggers(&self.conn, &path, &layer.name, &layer.schema)?;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.conn.execute_batch("COMMIT").ctx(&path, "committing")?;
                self.has_tramgis_tables = true;
                Ok(())
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
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

    /// The feature layers, in draw order (then name).
    pub fn layers(&self) -> Result<Vec<LayerInfo>> {
        let names: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT c.table_name FROM gpkg_contents c
                     JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
                     WHERE c.data_type = 'features' ORDER BY c.table_name",
                )
                .ctx(&self.path, "listing layers")?;
            stmt.query_map([], |r| r.get(0))
                .ctx(&self.path, "listing layers")?
                .collect::<rusqlite::Result<_>>()
                .ctx(&self.path, "listing layers")?
        };
        let mut layers = names
            .iter()
            .map(|n| self.layer(n))
            .collect::<Result<Vec<_>>>()?;
        layers.sort_by(|a, b| (a.meta.draw_order, &a.name).cmp(&(b.meta.draw_order, &b.name)));
        Ok(layers)
    }

    pub fn layer(&self, name: &str) -> Result<LayerInfo> {
        read_layer(&self.conn, &self.path, name)
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
        rtree::drop_index(&tx, &path, name, &layer.schema.geometry_column)?;
        journal::drop_triggers(&tx, &path, name)?;
        for sql in [
            "DELETE FROM gpkg_extensions WHERE table_name = ?1",
            "DELETE FROM gpkg_geometry_columns WHERE table_name = ?1",
            "DELETE FROM gpkg_contents WHERE table_name = ?1",
            "DELETE FROM tramgis_layer_meta WHERE table_name = ?1",
        ] {
            tx.execute(sql, [name])
                .ctx(&path, "removing the layer's registration")?;
        }
        if super::styles::table_exists(&tx, &path)? {
            tx.execute("DELETE FROM layer_styles WHERE f_table_name = ?1", [name])
                .ctx(&path, "removing the layer's styles")?;
        }
        tx.execute_batch(&format!("DROP TABLE {}", quote(name)))
            .ctx(&path, "dropping the table")?;
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
    pub fn update_extent(&self, name: &str) -> Result<Option<[f64; 4]>> {
        self.ensure_writable()?;
        let layer = self.layer(name)?;
        let extent = self.compute_extent(&layer)?;
        let e: [Option<f64>; 4] = match extent {
            Some(e) => e.map(Some),
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
    pub fn compute_extent(&self, layer: &LayerInfo) -> Result<Option<[f64; 4]>> {
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
                quote(&layer.name)
            )
        };
        let env: [Option<f64>; 4] = self
            .conn
            .query_row(&sql, [], |r| {
                Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?])
            })
            .ctx(&self.path, "computing the extent")?;
        Ok(match env {
            [Some(a), Some(b), Some(c), Some(d)] => Some([a, b, c, d]),
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
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; PRAGMA synchronous = NORMAL;",
    )
    .and_then(|()| conn.execute_batch(MMAP_PRAGMA))
    .ctx(path, "configuring the connection")?;
    Ok(())
}

pub(super) fn read_layer(conn: &Connection, path: &Path, name: &str) -> Result<LayerInfo> {
    let row = conn
        .query_row(
            "SELECT c.identifier, c.description, c.min_x, c.max_x, c.min_y, c.max_y,
                        g.column_name, g.geometry_type_name, g.srs_id, g.z, g.m
                 FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
                 WHERE c.table_name = ?1 AND c.data_type = 'features'",
            [name],
            |r| {
                let env: [Option<f64>; 4] = [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?];
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    env,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, i32>(8)?,
                    r.get::<_, i64>(9)?,
                    r.get::<_, i64>(10)?,
                ))
            },
        )
        .optional()
        .ctx(path, "reading gpkg_contents")?;
    let Some((identifier, description, env, geom_col, type_name, srs_id, z, m)) = row else {
        return Err(GpkgError::NoSuchLayer {
            path: path.to_path_buf(),
            layer: name.to_string(),
        });
    };
    let geometry_type =
            GeometryType::from_name(&type_name).ok_or_else(|| GpkgError::Invalid {
                path: path.to_path_buf(),
                detail: format!(
                    "layer '{name}': geometry type '{type_name}' in gpkg_geometry_columns is not one tramgis reads"
                ),
            })?;
    let (fid_column, fields) = table_columns(conn, path, name, &geom_col)?;
    let schema = Schema {
        fields,
        fid_column,
        geometry_column: geom_col.clone(),
        geometry_type,
        srs_id,
        has_z: z == 1,
        has_m: m == 1,
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
    let extent = match env {
        [Some(a), Some(b), Some(c), Some(d)] => Some([a, b, c, d]),
        _ => None,
    };
    Ok(LayerInfo {
        name: name.to_string(),
        identifier: identifier.unwrap_or_else(|| name.to_string()),
        description: description.unwrap_or_default(),
        has_rtree: table_exists(conn, path, &rtree::table_name(name, &geom_col))?,
        schema,
        extent,
        meta,
    })
}

/// The primary-key column and the attribute fields of a table.
fn table_columns(
    conn: &Connection,
    path: &Path,
    table: &str,
    geom_col: &str,
) -> Result<(String, Vec<Field>)> {
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({})", quote(table)))
        .ctx(path, "reading the table's columns")?;
    let columns: Vec<(String, String, bool, bool)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(1)?,
                r.get(2)?,
                r.get::<_, i64>(3)? != 0,
                r.get::<_, i64>(5)? != 0,
            ))
        })
        .ctx(path, "reading the table's columns")?
        .collect::<rusqlite::Result<_>>()
        .ctx(path, "reading the table's columns")?;
    let mut fid = None;
    let mut fields = Vec::new();
    for (name, declared, not_null, pk) in columns {
        if pk && declared.eq_ignore_ascii_case("INTEGER") && fid.is_none() {
            fid = Some(name);
        } else if !name.eq_ignore_ascii_case(geom_col) {
            fields.push(Field {
                name,
                // SQLite accepts any declared type; what we cannot name
                // we show as text, which every value converts to.
                field_type: FieldType::from_sql_name(&declared).unwrap_or(FieldType::Text),
                not_null,
            });
        }
    }
    let fid = fid.ok_or_else(|| GpkgError::Invalid {
        path: path.to_path_buf(),
        detail: format!("layer '{table}' has no INTEGER PRIMARY KEY column (spec requirement 29)"),
    })?;
    Ok((fid, fields))
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
    added: Option<[f64; 4]>,
) -> Result<()> {
    let e: [Option<f64>; 4] = added.map_or([None; 4], |e| e.map(Some));
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
