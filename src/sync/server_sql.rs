//! `tramgis sync server-sql`: the PostGIS DDL a portal administrator can
//! apply so that pulls are cheap and identities stable: a UUID column the
//! server fills for features other clients add, an `updated_at` column
//! kept by a trigger (publish it as pygeoapi's `time_field` and a pull can
//! ask for `datetime=<last pull>/..`), and a tombstone table that records
//! deletes (no OGC protocol reports them).

/// The DDL for the tables given (schema-qualified names allowed).
pub fn server_sql(tables: &[String], uuid_column: &str) -> String {
    let mut sql = String::from(
        "-- tramgis sync: stable feature identity, change times and tombstones.\n\
         -- Apply once per database as the owner of the tables (PostgreSQL 13+, PostGIS).\n\
         BEGIN;\n\
         CREATE TABLE IF NOT EXISTS tramgis_tombstones (\n\
         \x20 table_name text NOT NULL,\n\
         \x20 uuid text NOT NULL,\n\
         \x20 deleted_at timestamptz NOT NULL DEFAULT now(),\n\
         \x20 PRIMARY KEY (table_name, uuid)\n\
         );\n\
         CREATE INDEX IF NOT EXISTS tramgis_tombstones_time ON tramgis_tombstones (deleted_at);\n\
         CREATE OR REPLACE FUNCTION tramgis_touch() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN NEW.updated_at := now(); RETURN NEW; END $$;\n",
    );
    sql.push_str(&format!(
        "CREATE OR REPLACE FUNCTION tramgis_tombstone() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN\n\
         \x20 IF OLD.{uuid} IS NOT NULL THEN\n\
         \x20   INSERT INTO tramgis_tombstones (table_name, uuid) VALUES (TG_TABLE_NAME, OLD.{uuid})\n\
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
             ALTER TABLE {t} ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();\n\
             CREATE INDEX IF NOT EXISTS {idx_time} ON {t} (updated_at);\n\
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
