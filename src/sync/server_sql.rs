//! `tramgis sync server-sql`: the PostGIS DDL a portal administrator can
//! apply so that pulls are cheap and identities stable: a UUID column the
//! server fills for features other clients add, an `updated_at` column
//! kept by a trigger (publish it as pygeoapi's `time_field` and a pull can
//! ask for `datetime=<last pull>/..`; over WFS it is filtered on), and a
//! tombstone table that records deletes (no OGC protocol reports them).

/// The change-time column the DDL adds to each table.
pub const CHANGE_TIME: &str = "updated_at";
/// The table (and, published, the collection) of deleted features.
pub const TOMBSTONES: &str = "tramgis_tombstones";

/// The DDL for the tables given (schema-qualified names allowed).
pub fn server_sql(tables: &[String], uuid_column: &str) -> String {
    let mut sql = format!(
        "-- tramgis sync: stable feature identity, change times and tombstones.\n\
         -- Apply once per database as the owner of the tables (PostgreSQL 13+, PostGIS).\n\
         -- pygeoapi: publish each table with `time_field: {CHANGE_TIME}` and the tombstones as\n\
         -- the collection `{TOMBSTONES}` (id_field id, time_field deleted_at) for cheap pulls.\n\
         -- QGIS Server (WFS): publish `{TOMBSTONES}` as a layer without geometry.\n\
         BEGIN;\n\
         CREATE TABLE IF NOT EXISTS {TOMBSTONES} (\n\
         \x20 id bigserial PRIMARY KEY,\n\
         \x20 table_name text NOT NULL,\n\
         \x20 uuid text NOT NULL,\n\
         \x20 deleted_at timestamptz NOT NULL DEFAULT now(),\n\
         \x20 geom geometry,\n\
         \x20 UNIQUE (table_name, uuid)\n\
         );\n\
         COMMENT ON COLUMN {TOMBSTONES}.geom IS 'empty: OGC API servers publish only tables with a geometry';\n\
         CREATE INDEX IF NOT EXISTS {TOMBSTONES}_time ON {TOMBSTONES} (deleted_at);\n\
         CREATE OR REPLACE FUNCTION tramgis_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN NEW.{CHANGE_TIME} := now(); RETURN NEW; END $$;\n",
    );
    sql.push_str(&format!(
        "CREATE OR REPLACE FUNCTION tramgis_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN\n\
         \x20 IF OLD.{uuid} IS NOT NULL THEN\n\
         \x20   INSERT INTO {TOMBSTONES} (table_name, uuid)\n\
         \x20   VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, OLD.{uuid})\n\
         \x20   ON CONFLICT (table_name, uuid) DO UPDATE SET deleted_at = now();\n\
         \x20 END IF;\n\
         \x20 RETURN OLD;\n\
         END $$;\n",
        uuid = ident(uuid_column)
    ));
    for table in tables {
        let t = qualified(table);
        let base = table.rsplit('.').next().unwrap_or(table);
        let u = ident(uuid_column);
        sql.push_str(&format!(
            "\n-- {table}\n\
             ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {u} text;\n\
             UPDATE {t} SET {u} = gen_random_uuid()::text WHERE {u} IS NULL;\n\
             ALTER TABLE {t} ALTER COLUMN {u} SET DEFAULT gen_random_uuid()::text;\n\
             ALTER TABLE {t} ALTER COLUMN {u} SET NOT NULL;\n\
             CREATE UNIQUE INDEX IF NOT EXISTS {idx_uuid} ON {t} ({u});\n\
             ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {CHANGE_TIME} timestamptz NOT NULL DEFAULT now();\n\
             CREATE INDEX IF NOT EXISTS {idx_time} ON {t} ({CHANGE_TIME});\n\
             DROP TRIGGER IF EXISTS tramgis_touch ON {t};\n\
             CREATE TRIGGER tramgis_touch BEFORE INSERT OR UPDATE ON {t}\n\
             \x20 FOR EACH ROW EXECUTE FUNCTION tramgis_touch();\n\
             DROP TRIGGER IF EXISTS tramgis_tombstone ON {t};\n\
             CREATE TRIGGER tramgis_tombstone AFTER DELETE ON {t}\n\
             \x20 FOR EACH ROW EXECUTE FUNCTION tramgis_tombstone();\n",
            idx_uuid = ident(&format!("{base}_{uuid_column}_key")),
            idx_time = ident(&format!("{base}_updated_at_idx")),
        ));
    }
    sql.push_str("COMMIT;\n");
    sql
}

fn ident(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn qualified(name: &str) -> String {
    name.split('.').map(ident).collect::<Vec<_>>().join(".")
}
