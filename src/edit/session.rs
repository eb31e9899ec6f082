//! The edit session: the one way edits are written.
//!
//! Opening a session changes nothing in the file; a layer is adopted (WAL,
//! journal triggers, spatial index) only when its editing starts. Each
//! operation is one SQLite transaction, one `tramgis_edits` row with its
//! description, its journal rows and one step of the undo history.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::error::EditError;
use super::history;
use super::rules::FieldRules;
use crate::gpkg::{Edit, GeoPackage, GpkgError, LayerInfo, OpenOptions};
use crate::model::{Feature, FieldValue};

/// How long an edit waits for another program's write lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(3);

/// What an operation changed, per layer: the window rebuilds only these
/// features' chunks, index entries and labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerChanges {
    pub layer: String,
    pub inserted: Vec<i64>,
    pub updated: Vec<i64>,
    pub deleted: Vec<i64>,
}

/// One committed operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub edit_id: i64,
    pub description: String,
    pub changes: Vec<LayerChanges>,
}

impl Applied {
    /// The changes of one layer, if it was touched.
    pub fn layer(&self, name: &str) -> Option<&LayerChanges> {
        self.changes.iter().find(|c| c.layer == name)
    }
}

pub struct EditSession {
    gpkg: GeoPackage,
    editing: HashSet<String>,
    rules: HashMap<String, FieldRules>,
}

impl EditSession {
    /// Opens a workspace for editing as `user` (the name the journal
    /// records). Nothing in the file is changed.
    pub fn open(path: &Path, user: &str) -> Result<Self, EditError> {
        let options = OpenOptions {
            read_only: false,
            busy_timeout: LOCK_WAIT,
            adopt: false,
        };
        let mut gpkg = GeoPackage::open_with(path, &options)?;
        gpkg.set_user(user);
        Ok(EditSession {
            gpkg,
            editing: HashSet::new(),
            rules: HashMap::new(),
        })
    }

    pub fn gpkg(&self) -> &GeoPackage {
        &self.gpkg
    }

    pub fn path(&self) -> &Path {
        self.gpkg.path()
    }

    pub fn user(&self) -> &str {
        self.gpkg.user()
    }

    /// The name the next edits are journalled under.
    pub fn set_user(&mut self, user: &str) {
        self.gpkg.set_user(user);
    }

    /// Starts editing a layer: only now a foreign file is changed (WAL
    /// mode, the journal tables and the layer's triggers and R-tree, the
    /// undo history), in transactions of their own.
    pub fn start_editing(&mut self, layer: &str) -> Result<(), EditError> {
        if self.editing.contains(layer) {
            return Ok(());
        }
        self.gpkg.adopt_layer(layer)?;
        history::ensure_tables(self.gpkg.connection(), self.gpkg.path())?;
        let info = self.gpkg.layer(layer)?;
        let rules = FieldRules::load(self.gpkg.connection(), &info)?;
        self.rules.insert(layer.to_string(), rules);
        self.editing.insert(layer.to_string());
        Ok(())
    }

    pub fn stop_editing(&mut self, layer: &str) {
        self.editing.remove(layer);
        self.rules.remove(layer);
    }

    pub fn is_editing(&self, layer: &str) -> bool {
        self.editing.contains(layer)
    }

    /// The layers being edited, by name.
    pub fn editing(&self) -> Vec<String> {
        let mut names: Vec<String> = self.editing.iter().cloned().collect();
        names.sort();
        names
    }

    /// One operation = one SQLite transaction = one tramgis_edits row
    /// (with `description`) = one history step. When `f` fails nothing is
    /// written.
    pub fn apply<T>(
        &mut self,
        description: &str,
        f: impl FnOnce(&mut EditTx<'_>) -> Result<T, EditError>,
    ) -> Result<(T, Applied), EditError> {
        let EditSession {
            gpkg,
            editing,
            rules,
        } = self;
        let user = gpkg.user().to_string();
        let mut failure: Option<EditError> = None;
        let result = gpkg.edit(description, |e| {
            let value = {
                let mut tx = EditTx {
                    edit: e,
                    editing,
                    rules,
                };
                match f(&mut tx) {
                    Ok(v) => v,
                    Err(err) => {
                        failure = Some(err);
                        return Err(rolled_back(e.path()));
                    }
                }
            };
            let done = (|| {
                let edit_id = e.edit_id().ok_or_else(|| no_journal(e.path()))?;
                let changes = changes_of(e.connection(), e.path(), edit_id)?;
                history::record(e.connection(), e.path(), edit_id, description, &user)?;
                Ok::<_, EditError>((edit_id, changes))
            })();
            match done {
                Ok((edit_id, changes)) => Ok((value, edit_id, changes)),
                Err(err) => {
                    failure = Some(err);
                    Err(rolled_back(e.path()))
                }
            }
        });
        match result {
            Ok((value, edit_id, changes)) => Ok((
                value,
                Applied {
                    edit_id,
                    description: description.to_string(),
                    changes,
                },
            )),
            Err(e) => Err(failure.take().unwrap_or_else(|| e.into())),
        }
    }

    /// Undoes the newest step of the history; None when there is none.
    /// Refused, changing nothing, while a later change by someone else
    /// touched the same features.
    pub fn undo(&mut self) -> Result<Option<Applied>, EditError> {
        let Some(step) = history::next_undo(self.gpkg.connection(), self.gpkg.path())? else {
            return Ok(None);
        };
        let description = format!("Hoàn tác: {}", step.description);
        self.replay(&step, &description, true).map(Some)
    }

    /// Redoes the step undone last; None when there is none.
    pub fn redo(&mut self) -> Result<Option<Applied>, EditError> {
        let Some(step) = history::next_redo(self.gpkg.connection(), self.gpkg.path())? else {
            return Ok(None);
        };
        let description = format!("Làm lại: {}", step.description);
        self.replay(&step, &description, false).map(Some)
    }

    /// Descriptions of what undo and redo would do next.
    pub fn can_undo(&self) -> Result<Option<String>, EditError> {
        Ok(history::next_undo(self.gpkg.connection(), self.gpkg.path())?.map(|s| s.description))
    }

    pub fn can_redo(&self) -> Result<Option<String>, EditError> {
        Ok(history::next_redo(self.gpkg.connection(), self.gpkg.path())?.map(|s| s.description))
    }

    /// The whole history, oldest first.
    pub fn history(&self) -> Result<Vec<history::Step>, EditError> {
        history::steps(self.gpkg.connection(), self.gpkg.path())
    }

    /// Writes back the rows of the step's current edit, as one new edit,
    /// and marks the step undone (or done again).
    fn replay(
        &mut self,
        step: &history::Step,
        description: &str,
        undo: bool,
    ) -> Result<Applied, EditError> {
        let mut failure: Option<EditError> = None;
        let result = self.gpkg.edit(description, |e| {
            let path = e.path().to_path_buf();
            e.check_unchanged_since(step.edit_id, &|conn, id| {
                history::is_other_step_edit(conn, step.step_id, id).map_err(|source| {
                    GpkgError::Sqlite {
                        path: path.clone(),
                        context: "reading the undo history".into(),
                        source,
                    }
                })
            })?;
            e.write_back(step.edit_id)?;
            let done = (|| {
                let edit_id = e.edit_id().ok_or_else(|| no_journal(e.path()))?;
                let changes = changes_of(e.connection(), e.path(), edit_id)?;
                history::mark(e.connection(), e.path(), step.step_id, undo, edit_id)?;
                Ok::<_, EditError>((edit_id, changes))
            })();
            done.map_err(|err| {
                failure = Some(err);
                rolled_back(e.path())
            })
        });
        match result {
            Ok((edit_id, changes)) => Ok(Applied {
                edit_id,
                description: description.to_string(),
                changes,
            }),
            Err(e) => Err(failure.take().unwrap_or_else(|| e.into())),
        }
    }
}

/// The error the store's edit is ended with when our part failed (the
/// caller returns the real one): the transaction is rolled back.
fn rolled_back(path: &Path) -> GpkgError {
    GpkgError::Invalid {
        path: path.to_path_buf(),
        detail: "the edit failed and was rolled back".into(),
    }
}

fn no_journal(path: &Path) -> EditError {
    EditError::Invalid {
        path: path.to_path_buf(),
        detail: "the file has no edit journal; start editing a layer first".into(),
    }
}

/// The net effect of an edit on each feature, from its journal rows: an
/// insert then delete is nothing, an insert then update an insert.
fn changes_of(
    conn: &Connection,
    path: &Path,
    edit_id: i64,
) -> Result<Vec<LayerChanges>, EditError> {
    let err = |e| {
        EditError::from(GpkgError::Sqlite {
            path: path.to_path_buf(),
            context: "reading the edit journal".into(),
            source: e,
        })
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT table_name, fid, op FROM tramgis_changes WHERE edit_id = ?1 ORDER BY change_id",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map([edit_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(err)?;
    // (layer, fid) -> (first op, last op), in the order first seen.
    let mut order: Vec<(String, i64)> = Vec::new();
    let mut ops: HashMap<(String, i64), (String, String)> = HashMap::new();
    for (layer, fid, op) in rows {
        let key = (layer, fid);
        match ops.get_mut(&key) {
            Some(entry) => entry.1 = op,
            None => {
                order.push(key.clone());
                ops.insert(key, (op.clone(), op));
            }
        }
    }
    let mut out: Vec<LayerChanges> = Vec::new();
    for key in order {
        let (first, last) = &ops[&key];
        let (layer, fid) = key;
        let idx = match out.iter().position(|c| c.layer == layer) {
            Some(i) => i,
            None => {
                out.push(LayerChanges {
                    layer: layer.clone(),
                    ..LayerChanges::default()
                });
                out.len() - 1
            }
        };
        let c = &mut out[idx];
        match (first.as_str(), last.as_str()) {
            ("insert", "delete") => {}
            ("insert", _) => c.inserted.push(fid),
            (_, "delete") => c.deleted.push(fid),
            _ => c.updated.push(fid),
        }
    }
    Ok(out)
}

/// The store operations an edit offers, behind one lifetime (the store's
/// `Edit` has its own, which `EditTx<'_>` must not expose).
trait Store {
    fn path(&self) -> &Path;
    fn layer_info(&mut self, layer: &str) -> crate::gpkg::Result<LayerInfo>;
    fn get(&mut self, layer: &str, fid: i64) -> crate::gpkg::Result<Option<Feature>>;
    fn features_in(
        &mut self,
        layer: &str,
        area: geo_types::Rect<f64>,
    ) -> crate::gpkg::Result<Vec<Feature>>;
    fn insert(&mut self, layer: &str, feature: &Feature) -> crate::gpkg::Result<i64>;
    fn update(&mut self, layer: &str, feature: &Feature) -> crate::gpkg::Result<()>;
    fn set_value(
        &mut self,
        layer: &str,
        fid: i64,
        field: &str,
        v: &FieldValue,
    ) -> crate::gpkg::Result<()>;
    fn delete(&mut self, layer: &str, fid: i64) -> crate::gpkg::Result<()>;
    fn connection(&self) -> &Connection;
}

impl Store for Edit<'_> {
    fn path(&self) -> &Path {
        Edit::path(self)
    }
    fn layer_info(&mut self, layer: &str) -> crate::gpkg::Result<LayerInfo> {
        Edit::layer_info(self, layer)
    }
    fn get(&mut self, layer: &str, fid: i64) -> crate::gpkg::Result<Option<Feature>> {
        Edit::get(self, layer, fid)
    }
    fn features_in(
        &mut self,
        layer: &str,
        area: geo_types::Rect<f64>,
    ) -> crate::gpkg::Result<Vec<Feature>> {
        Edit::features_in(self, layer, area)
    }
    fn insert(&mut self, layer: &str, feature: &Feature) -> crate::gpkg::Result<i64> {
        Edit::insert(self, layer, feature)
    }
    fn update(&mut self, layer: &str, feature: &Feature) -> crate::gpkg::Result<()> {
        Edit::update(self, layer, feature)
    }
    fn set_value(
        &mut self,
        layer: &str,
        fid: i64,
        field: &str,
        v: &FieldValue,
    ) -> crate::gpkg::Result<()> {
        Edit::set_value(self, layer, fid, field, v)
    }
    fn delete(&mut self, layer: &str, fid: i64) -> crate::gpkg::Result<()> {
        Edit::delete(self, layer, fid)
    }
    fn connection(&self) -> &Connection {
        Edit::connection(self)
    }
}

/// One operation in progress, inside its transaction. Every write checks
/// that the layer is being edited and the layer's field rules (domains,
/// required fields) before anything is written.
pub struct EditTx<'a> {
    edit: &'a mut dyn Store,
    editing: &'a HashSet<String>,
    rules: &'a HashMap<String, FieldRules>,
}

impl EditTx<'_> {
    pub fn path(&self) -> &Path {
        self.edit.path()
    }

    /// The layer's description (schema, CRS), as this transaction sees it.
    pub fn layer(&mut self, layer: &str) -> Result<LayerInfo, EditError> {
        Ok(self.edit.layer_info(layer)?)
    }

    pub fn get(&mut self, layer: &str, fid: i64) -> Result<Option<Feature>, EditError> {
        Ok(self.edit.get(layer, fid)?)
    }

    /// A feature that must exist: its absence is an error naming it.
    pub fn require(&mut self, layer: &str, fid: i64) -> Result<Feature, EditError> {
        self.get(layer, fid)?.ok_or_else(|| {
            EditError::from(GpkgError::NoSuchFeature {
                path: self.path().to_path_buf(),
                layer: layer.to_string(),
                fid,
            })
        })
    }

    pub fn features_in(
        &mut self,
        layer: &str,
        area: geo_types::Rect<f64>,
    ) -> Result<Vec<Feature>, EditError> {
        Ok(self.edit.features_in(layer, area)?)
    }

    pub fn insert(&mut self, layer: &str, feature: &Feature) -> Result<i64, EditError> {
        let info = self.writable(layer)?;
        if let Some(rules) = self.rules.get(layer) {
            rules.check(&info, feature.fid, &feature.values)?;
        }
        Ok(self.edit.insert(layer, feature)?)
    }

    pub fn update(&mut self, layer: &str, feature: &Feature) -> Result<(), EditError> {
        let info = self.writable(layer)?;
        if let Some(rules) = self.rules.get(layer) {
            rules.check(&info, feature.fid, &feature.values)?;
        }
        Ok(self.edit.update(layer, feature)?)
    }

    pub fn set_geometry(
        &mut self,
        layer: &str,
        fid: i64,
        g: &geo_types::Geometry<f64>,
    ) -> Result<(), EditError> {
        self.writable(layer)?;
        let mut feature = self.require(layer, fid)?;
        feature.geometry = Some(g.clone());
        // The stored Z/M belong to the old coordinates.
        feature.zm = Default::default();
        Ok(self.edit.update(layer, &feature)?)
    }

    pub fn set_value(
        &mut self,
        layer: &str,
        fid: i64,
        field: &str,
        v: &FieldValue,
    ) -> Result<(), EditError> {
        let info = self.writable(layer)?;
        if let Some(rules) = self.rules.get(layer) {
            rules.check_value(&info, Some(fid), field, v)?;
        }
        Ok(self.edit.set_value(layer, fid, field, v)?)
    }

    pub fn delete(&mut self, layer: &str, fid: i64) -> Result<(), EditError> {
        self.writable(layer)?;
        Ok(self.edit.delete(layer, fid)?)
    }

    /// The transaction, for reads the methods above do not offer (the
    /// field policies, neighbours by SQL). Writes go through the methods.
    pub fn connection(&self) -> &Connection {
        self.edit.connection()
    }

    fn writable(&mut self, layer: &str) -> Result<LayerInfo, EditError> {
        if !self.editing.contains(layer) {
            return Err(EditError::NotEditing {
                path: self.path().to_path_buf(),
                layer: layer.to_string(),
            });
        }
        self.layer(layer)
    }
}
