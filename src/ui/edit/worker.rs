//! The editing thread: it owns the workspace's writable connection and
//! runs every edit, undo and redo there, so a commit (and the lock wait
//! another program's write may cause) never blocks a frame. After each
//! commit it reads back just the features the edit touched, in map
//! coordinates, for the map to redraw them.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use super::operation::{self, LayerCrs, Operation};
use super::{Changed, EditFailure, Redraw, Reply, Request, Write};
use crate::crs::{Crs, Transformer};
use crate::edit::snap::{AreaLimits, Reprojection, SnapIndex, SnapLayer};
use crate::edit::{Applied, EditSession};
use crate::model::{Feature, FieldValue};

struct Worker {
    path: PathBuf,
    user: String,
    map_crs: Crs,
    session: Option<EditSession>,
    crs: HashMap<String, LayerCrs>,
    defaults: HashMap<String, Vec<FieldValue>>,
    snap: Arc<RwLock<SnapIndex>>,
    /// The box (layer coordinates) of the features edited per polygon
    /// layer since its editing started: checked when it stops.
    edited: HashMap<String, geo_types::Rect<f64>>,
    /// The map box the window shows (the snapping index follows it).
    view: Option<geo_types::Rect<f64>>,
    limits: AreaLimits,
}

/// Runs the editing thread until the window drops its sender and every
/// request it sent is done.
pub fn run(
    path: PathBuf,
    user: String,
    map_crs: Crs,
    snap: Arc<RwLock<SnapIndex>>,
    requests: Receiver<Request>,
    replies: Sender<Reply>,
    wake: impl Fn() + Send + 'static,
) {
    let mut w = Worker {
        path,
        user,
        map_crs,
        session: None,
        crs: HashMap::new(),
        defaults: HashMap::new(),
        snap,
        edited: HashMap::new(),
        view: None,
        limits: AreaLimits::default(),
    };
    let mut queue = VecDeque::new();
    loop {
        if queue.is_empty() {
            match requests.recv() {
                Ok(r) => queue.push_back(r),
                Err(_) => break,
            }
        }
        queue.extend(requests.try_iter());
        let request = queue.pop_front().expect("one at least");
        // A pan sends a box per frame: only the latest queued one is
        // indexed, the older ones are answered at once.
        let reply = match request {
            Request::View { area, max_features }
                if queue.iter().any(|r| matches!(r, Request::View { .. })) =>
            {
                w.view = Some(area);
                w.limits.max_features = max_features;
                Reply::ViewIndexed
            }
            request => w.handle(request),
        };
        // A window that has gone still gets its queued edits made: it
        // waits for this thread (Editing's drop), and a confirmed edit is
        // never dropped with the window.
        if replies.send(reply).is_ok() {
            wake();
        }
    }
}

impl Worker {
    fn handle(&mut self, request: Request) -> Reply {
        let result = match request {
            Request::Start(layer) => self.start(&layer).map(|()| Reply::Started(layer)),
            Request::Stop(layer) => {
                if let Some(s) = &mut self.session {
                    s.stop_editing(&layer);
                }
                if let Ok(mut s) = self.snap.write() {
                    s.remove_layer(&layer);
                }
                let edited = self.edited.remove(&layer);
                Ok(Reply::Stopped(layer, edited))
            }
            Request::SetMapCrs(crs) => {
                self.map_crs = crs;
                self.crs.clear();
                // In the old map's coordinates: the window sends the new one.
                self.view = None;
                // The snapping index is in map coordinates: built again.
                let layers: Vec<String> = self
                    .session
                    .as_ref()
                    .map(EditSession::editing)
                    .unwrap_or_default();
                if let Ok(mut s) = self.snap.write() {
                    *s = SnapIndex::default();
                }
                self.snap_to(&layers).and_then(|()| self.history())
            }
            Request::SnapTo(layers) => self.snap_to(&layers).and_then(|()| self.history()),
            Request::View { area, max_features } => {
                self.view = Some(area);
                self.limits.max_features = max_features;
                let layers: Vec<String> = match self.snap.read() {
                    Ok(s) => s.names().map(str::to_string).collect(),
                    Err(_) => Vec::new(),
                };
                self.follow_view(&layers).map(|()| Reply::ViewIndexed)
            }
            Request::Apply(op) => self.apply(&op),
            Request::SetUser(user) => {
                if let Some(s) = &mut self.session {
                    s.set_user(&user);
                }
                self.user = user;
                self.history()
            }
            Request::Undo => self.undo_redo(true),
            Request::Redo => self.undo_redo(false),
            Request::Write(origin, write) => {
                let result = self.write(&write).and_then(|a| self.changed(a));
                return Reply::Written(
                    origin,
                    result.map(|r| match r {
                        Reply::Applied(c) => c,
                        _ => unreachable!("changed() answers Applied"),
                    }),
                );
            }
        };
        result.unwrap_or_else(Reply::Failed)
    }

    fn history(&mut self) -> Result<Reply, EditFailure> {
        let s = self.session()?;
        Ok(Reply::History((
            s.can_undo()?.is_some(),
            s.can_redo()?.is_some(),
        )))
    }

    fn session(&mut self) -> Result<&mut EditSession, EditFailure> {
        if self.session.is_none() {
            // Opening changes nothing in the file: a layer is adopted
            // (journal, triggers, spatial index) when its editing starts.
            self.session = Some(EditSession::open(&self.path, &self.user)?);
        }
        Ok(self.session.as_mut().expect("opened above"))
    }

    fn start(&mut self, layer: &str) -> Result<(), EditFailure> {
        let s = self.session()?;
        s.start_editing(layer)?;
        let info = s.gpkg().layer(layer)?;
        let rules = crate::edit::rules::FieldRules::load(s.gpkg().connection(), &info)?;
        let mut defaults = rules.defaults(&info);
        defaults.resize(info.schema.fields.len(), FieldValue::Null);
        self.defaults.insert(layer.to_string(), defaults);
        // The layer being edited is snapped to (its own vertices).
        self.snap_to(&[layer.to_string()])
    }

    /// Indexes the layers for snapping, in map coordinates (those not
    /// indexed yet): the area around the view only, which the index
    /// follows as the view moves ([`Request::View`]).
    fn snap_to(&mut self, layers: &[String]) -> Result<(), EditFailure> {
        let mut new = Vec::new();
        for layer in layers {
            if self.snap.read().is_ok_and(|s| s.layer(layer).is_some()) {
                continue;
            }
            if let Ok(mut s) = self.snap.write() {
                s.set_layer(layer, SnapLayer::for_areas());
            }
            new.push(layer.clone());
        }
        self.follow_view(&new)
    }

    /// Brings the layers' snapping index to the view: the part of the view
    /// and its margin not indexed yet is read through the R-tree without
    /// the index's lock (frames keep snapping meanwhile), then added under
    /// it; too many features there turn the layer's snapping off.
    fn follow_view(&mut self, layers: &[String]) -> Result<(), EditFailure> {
        let Some(view) = self.view else {
            return Ok(());
        };
        let limits = self.limits;
        for layer in layers {
            let plan = self.snap.read().ok().and_then(|s| {
                let l = s.layer(layer)?;
                let area = l.area_to_load(view, &limits)?;
                Some((area, l.missing(area)))
            });
            let Some((area, pieces)) = plan else {
                continue;
            };
            let crs = self.layer_crs(layer)?;
            let read = self.read_snap_area(layer, &crs, area, &pieces);
            self.crs.insert(layer.clone(), crs);
            let read = read?;
            let Ok(mut s) = self.snap.write() else {
                continue;
            };
            let Some(l) = s.layer_mut(layer) else {
                continue;
            };
            match read {
                Err(count) => l.set_count(count, limits.max_features),
                Ok((count, read)) => {
                    l.set_count(count, limits.max_features);
                    l.add_area(read);
                    if l.is_over(&limits) {
                        l.retain_area(area);
                    }
                }
            }
        }
        Ok(())
    }

    /// The count of `area`'s features and those of its not yet indexed
    /// `pieces`, or the count (over the limit) that turns the layer's
    /// snapping off.
    fn read_snap_area(
        &mut self,
        layer: &str,
        crs: &LayerCrs,
        area: geo_types::Rect<f64>,
        pieces: &[geo_types::Rect<f64>],
    ) -> Result<Result<(u64, crate::edit::snap::AreaRead), u64>, EditFailure> {
        let max = self.limits.max_features;
        let gpkg = self.session()?.gpkg();
        let in_layer = crate::edit::snap::box_in(&crs.to_layer, area)?;
        let count = crate::edit::snap::count_in(gpkg, layer, in_layer, max)?;
        if count > max {
            return Ok(Err(count));
        }
        let to = Reprojection {
            to_layer: &crs.to_layer,
            to_map: &crs.to_map,
        };
        let read = SnapLayer::read_area(gpkg, layer, to, area, pieces, |_| false)?;
        Ok(Ok((count, read)))
    }

    fn layer_crs(&mut self, layer: &str) -> Result<LayerCrs, EditFailure> {
        if let Some(c) = self.crs.remove(layer) {
            return Ok(c);
        }
        let map = self.map_crs.clone();
        let info = self.session()?.gpkg().layer(layer)?;
        Ok(LayerCrs {
            to_layer: Transformer::between(&map, &info.crs)?,
            to_map: Transformer::between(&info.crs, &map)?,
        })
    }

    fn apply(&mut self, op: &Operation) -> Result<Reply, EditFailure> {
        let layer = op.layer().to_string();
        let crs = self.layer_crs(&layer)?;
        let defaults = self.defaults.get(&layer).cloned().unwrap_or_default();
        let description = op.description();
        match op {
            Operation::Split { line, .. } => {
                let cut: geo_types::LineString<f64> = line
                    .iter()
                    .map(|p| {
                        crs.to_layer
                            .transform(geo_types::Coord { x: p[0], y: p[1] })
                    })
                    .collect::<Result<_, _>>()?;
                let fids = self.crossed(&layer, &cut)?;
                self.crs.insert(layer.clone(), crs);
                let applied = crate::edit::ops::split::split(self.session()?, &layer, &fids, &cut)?;
                return self.changed(applied);
            }
            Operation::Merge { fids, .. } => {
                self.crs.insert(layer.clone(), crs);
                let applied = crate::edit::ops::merge::merge(self.session()?, &layer, fids)?;
                return self.changed(applied);
            }
            Operation::PasteText { .. }
            | Operation::CopyFeatures { .. }
            | Operation::Offset { .. }
            | Operation::AddAvoidingOverlaps { .. } => {
                let result = self.library_edit(op, &crs, defaults);
                self.crs.insert(layer.clone(), crs);
                return self.changed(result?);
            }
            _ => {}
        }
        let result = self
            .session()
            .and_then(|s| Ok(s.apply(&description, |tx| operation::run(tx, op, &crs, &defaults))?));
        self.crs.insert(layer, crs);
        let ((), applied) = result?;
        self.changed(applied)
    }

    /// The edits the library makes as one whole (paste, copy, offset,
    /// avoid overlaps): each is its own transaction of the session.
    fn library_edit(
        &mut self,
        op: &Operation,
        crs: &LayerCrs,
        defaults: Vec<FieldValue>,
    ) -> Result<Applied, EditFailure> {
        let s = self.session()?;
        let applied = match op {
            Operation::PasteText { layer, text } => {
                crate::edit::ops::paste::paste_text(s, layer, text, None)?
            }
            Operation::CopyFeatures { layer, from, fids } => {
                crate::edit::ops::paste::copy_features(s, from, fids, layer)?
            }
            Operation::Offset {
                layer,
                fid,
                distance,
            } => crate::edit::geometry::offset::offset_in(s, layer, *fid, *distance)?,
            Operation::AddAvoidingOverlaps {
                layer,
                geometry,
                avoid,
            } => {
                let mut g = geometry.clone();
                crs.to_layer.transform_geometry(&mut g)?;
                let avoid: Vec<&str> = avoid.iter().map(String::as_str).collect();
                let feature = Feature::new(Some(g), defaults);
                crate::edit::geometry::avoid_overlaps::insert_avoiding_overlaps(
                    s, layer, feature, &avoid,
                )?
                .1
            }
            _ => unreachable!("the other operations run in operation::run"),
        };
        Ok(applied)
    }

    /// A panel's write, as one edit of this thread's session (so undo and
    /// redo know it). The layer must be in editing, as for the tools.
    fn write(&mut self, write: &Write) -> Result<Applied, EditFailure> {
        let path = self.path.clone();
        let s = self.session()?;
        let layer = match write {
            Write::Feature { layer, .. } | Write::MoveToFix { layer, .. } => layer.as_str(),
            Write::Fix { finding, .. } => finding.layer.as_str(),
        };
        if !s.is_editing(layer) {
            return Err(crate::edit::EditError::NotEditing {
                path,
                layer: layer.to_string(),
            }
            .into());
        }
        match write {
            Write::Feature {
                layer,
                feature,
                description,
            } => {
                let (_, applied) = s.apply(description, |tx| match feature.fid {
                    Some(_) => tx.update(layer, feature),
                    None => tx.insert(layer, feature).map(|_| ()),
                })?;
                Ok(applied)
            }
            Write::Fix { finding, options } => {
                Ok(crate::edit::check::apply_fix(s, finding, options)?)
            }
            Write::MoveToFix {
                layer,
                fid,
                fix,
                fields,
            } => {
                let info = s.gpkg().layer(layer)?;
                let rules = crate::edit::rules::FieldRules::load(s.gpkg().connection(), &info)?;
                let mut f =
                    s.gpkg()
                        .get_feature(layer, *fid)?
                        .ok_or_else(|| EditFailure::Missing {
                            layer: layer.clone(),
                            fid: *fid,
                        })?;
                crate::edit::gnss::move_to_fix(&mut f, &info, fix, fields)?;
                rules
                    .check(&info, f.fid, &f.values)
                    .map_err(|v| EditFailure::Refused(Box::new(v)))?;
                let description =
                    format!("Di chuyển đối tượng {fid} của lớp {layer} tới vị trí GNSS");
                let (_, applied) = s.apply(&description, |tx| tx.update(layer, &f))?;
                Ok(applied)
            }
        }
    }

    /// The features of `layer` the cut line meets (layer coordinates).
    fn crossed(
        &mut self,
        layer: &str,
        cut: &geo_types::LineString<f64>,
    ) -> Result<Vec<i64>, EditFailure> {
        use geo::{BoundingRect, Intersects};
        let Some(area) = cut.bounding_rect() else {
            return Ok(vec![]);
        };
        let query = crate::gpkg::Query {
            bbox: Some(area),
            ..Default::default()
        };
        let mut fids = Vec::new();
        self.session()?.gpkg().read_features(layer, &query, |f| {
            if let (Some(fid), Some(g)) = (f.fid, &f.geometry)
                && g.intersects(cut)
            {
                fids.push(fid);
            }
            std::ops::ControlFlow::Continue(())
        })?;
        Ok(fids)
    }

    fn undo_redo(&mut self, undo: bool) -> Result<Reply, EditFailure> {
        let s = self.session()?;
        let applied = if undo { s.undo()? } else { s.redo()? };
        match applied {
            Some(a) => self.changed(a),
            None => self.history(),
        }
    }

    /// The committed edit, with the touched features read back in map
    /// coordinates and the snapping index brought up to date.
    fn changed(&mut self, applied: Applied) -> Result<Reply, EditFailure> {
        let committed = Instant::now();
        let mut redraw = Vec::new();
        for c in &applied.changes {
            let crs = self.layer_crs(&c.layer)?;
            let mut touched: Vec<i64> = c
                .inserted
                .iter()
                .chain(&c.updated)
                .chain(&c.deleted)
                .copied()
                .collect();
            touched.sort_unstable();
            touched.dedup();
            let mut features: Vec<Feature> = Vec::with_capacity(touched.len());
            let mut boxes: Vec<geo_types::Rect<f64>> = Vec::new();
            let gpkg = self.session()?.gpkg();
            for &fid in &touched {
                if let Some(mut f) = gpkg.get_feature(&c.layer, fid)? {
                    if let Some(
                        g
                        @ (geo_types::Geometry::Polygon(_) | geo_types::Geometry::MultiPolygon(_)),
                    ) = &f.geometry
                    {
                        boxes.extend(geo::BoundingRect::bounding_rect(g));
                    }
                    if let Some(g) = &mut f.geometry {
                        crs.to_map.transform_geometry(g)?;
                    }
                    features.push(f);
                }
            }
            // Where updated or deleted polygons were: a check on stop
            // editing looks there too (a deleted parcel leaves a gap).
            if !c.updated.is_empty() || !c.deleted.is_empty() {
                let info = gpkg.layer(&c.layer)?;
                if matches!(
                    info.schema.geometry_type.linear(),
                    crate::model::GeometryType::Polygon | crate::model::GeometryType::MultiPolygon
                ) {
                    boxes.extend(gpkg.envelopes_before(applied.edit_id, &info)?);
                }
            }
            for b in boxes {
                let all = self.edited.get(&c.layer).map_or(b, |a| {
                    geo_types::Rect::new(
                        geo_types::Coord {
                            x: a.min().x.min(b.min().x),
                            y: a.min().y.min(b.min().y),
                        },
                        geo_types::Coord {
                            x: a.max().x.max(b.max().x),
                            y: a.max().y.max(b.max().y),
                        },
                    )
                });
                self.edited.insert(c.layer.clone(), all);
            }
            if let Ok(mut s) = self.snap.write()
                && let Some(l) = s.layer_mut(&c.layer)
            {
                for fid in &touched {
                    l.remove(*fid);
                }
                // Only where the index is complete: one edited outside
                // the loaded area is read when that area is.
                for f in &features {
                    if let (Some(fid), Some(g)) = (f.fid, &f.geometry) {
                        l.update(fid, g);
                    }
                }
            }
            self.crs.insert(c.layer.clone(), crs);
            redraw.push(Redraw {
                layer: c.layer.clone(),
                removed: touched,
                features,
            });
        }
        let s = self.session()?;
        let (can_undo, can_redo) = (s.can_undo()?.is_some(), s.can_redo()?.is_some());
        Ok(Reply::Applied(Box::new(Changed {
            applied,
            redraw,
            committed,
            can_undo,
            can_redo,
        })))
    }
}
