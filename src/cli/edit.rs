//! Scripted corrections through the edit session: `tramgis edit` (set
//! fields of one feature, as one edit), `tramgis undo` / `tramgis redo`
//! (the workspace's undo history), `tramgis bench-edit`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use geo::{BoundingRect, Centroid};
use geo_types::{Geometry, LineString};

use crate::edit::ops::paste::parse_value;
use crate::edit::ops::split::split;
use crate::edit::{EditError, EditSession, history};
use crate::gpkg::GeoPackage;
use crate::model::FieldValue;

#[derive(clap::Args, Debug)]
pub struct EditArgs {
    pub workspace: PathBuf,
    #[arg(long)]
    pub layer: String,
    #[arg(long)]
    pub fid: i64,
    /// field=value, repeatable; the value is read by the field's type
    /// (empty is NULL).
    #[arg(long = "set", required = true)]
    pub set: Vec<String>,
    /// The name recorded in the journal (default: $USER).
    #[arg(long)]
    pub user: Option<String>,
}

fn user_name(user: &Option<String>) -> String {
    user.clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "tramgis".into())
}

/// Sets fields of one feature as one edit; a value that does not fit its
/// field is refused, naming file, layer, feature and field, and nothing
/// is written.
pub fn edit(args: &EditArgs) -> Result<()> {
    let mut session = EditSession::open(&args.workspace, &user_name(&args.user))?;
    let info = session.gpkg().layer(&args.layer)?;
    let mut values: Vec<(String, FieldValue)> = Vec::new();
    for assignment in &args.set {
        let Some((name, text)) = assignment.split_once('=') else {
            bail!("--set {assignment}: expected field=value");
        };
        let name = name.trim();
        let field_error = |detail: String| EditError::Field {
            path: args.workspace.clone(),
            layer: args.layer.clone(),
            field: name.to_string(),
            detail: format!("feature {}: {detail}", args.fid),
        };
        let Some(i) = info.schema.field_index(name) else {
            return Err(field_error("the layer has no such field".into()).into());
        };
        let field = &info.schema.fields[i];
        let value = parse_value(field.field_type, text).map_err(field_error)?;
        values.push((field.name.clone(), value));
    }
    session.start_editing(&args.layer)?;
    let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
    let description = format!("Sửa {} của đối tượng {}", names.join(", "), args.fid);
    let (_, applied) = session.apply(&description, |tx| {
        tx.require(&args.layer, args.fid)?;
        for (name, value) in &values {
            tx.set_value(&args.layer, args.fid, name, value)?;
        }
        Ok(())
    })?;
    println!(
        "{}: {} (edit {})",
        args.workspace.display(),
        applied.description,
        applied.edit_id
    );
    Ok(())
}

/// Undoes the newest step of the undo history; with `edit`, or when the
/// workspace's newest edit is not in the history (an import, a repair),
/// that edit from the journal instead.
pub fn undo(workspace: &Path, edit: Option<i64>) -> Result<()> {
    let from_history = match edit {
        Some(_) => false,
        None => {
            let gpkg = GeoPackage::open_read_only(workspace)?;
            let step = history::next_undo(gpkg.connection(), workspace)?;
            let last = gpkg.last_edit()?.map(|e| e.edit_id);
            step.is_some_and(|s| last.is_none_or(|l| s.edit_id >= l))
        }
    };
    if from_history {
        let mut session = EditSession::open(workspace, &user_name(&None))?;
        let applied = session.undo()?.context("nothing to undo")?;
        println!(
            "{}: {} (edit {})",
            workspace.display(),
            applied.description,
            applied.edit_id
        );
        return Ok(());
    }
    let mut gpkg = GeoPackage::open(workspace)?;
    let edit_id = match edit {
        Some(id) => id,
        None => match gpkg.last_edit()? {
            Some(last) => last.edit_id,
            None => bail!("{}: the edit journal is empty", workspace.display()),
        },
    };
    let undo_id = gpkg.undo_edit(edit_id)?;
    println!(
        "{}: edit {edit_id} undone (as edit {undo_id})",
        workspace.display()
    );
    Ok(())
}

/// Redoes the step undone last.
pub fn redo(workspace: &Path) -> Result<()> {
    let mut session = EditSession::open(workspace, &user_name(&None))?;
    match session.redo()? {
        Some(applied) => {
            println!(
                "{}: {} (edit {})",
                workspace.display(),
                applied.description,
                applied.edit_id
            );
            Ok(())
        }
        None => bail!("{}: nothing to redo", workspace.display()),
    }
}

#[derive(clap::Args, Debug)]
pub struct BenchEditArgs {
    pub workspace: PathBuf,
    #[arg(long, default_value = "thua_dat")]
    pub layer: String,
    /// Edits (and splits) to time.
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
}

fn stats(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.2} ms, p90 {:.2} ms, max {:.2} ms (n={})",
        p(0.5),
        p(0.9),
        ms[ms.len() - 1],
        ms.len()
    )
}

/// Times one committed edit (a parcel moved by 1 cm and its area set:
/// journal, R-tree, history and all), its undo, a split of a parcel
/// through its centroid and the undo of that split. Every edit is undone
/// again, so the features end as they were (the journal keeps the rows).
pub fn bench(args: &BenchEditArgs) -> Result<()> {
    let mut session = EditSession::open(&args.workspace, "bench-edit")?;
    session.start_editing(&args.layer)?;
    let info = session.gpkg().layer(&args.layer)?;
    let area_field = info
        .schema
        .fields
        .iter()
        .find(|f| f.field_type == crate::model::FieldType::Real)
        .map(|f| f.name.clone());
    let all = session.gpkg().fids_where(&args.layer, None, None)?;
    if all.is_empty() {
        bail!(
            "{}: layer '{}' is empty",
            args.workspace.display(),
            args.layer
        );
    }
    // Spread over the layer, so the pages are not all hot.
    let pick = |k: usize| all[(k * 7919 * 104_729) % all.len()];
    let (mut edit_ms, mut undo_ms, mut split_ms, mut split_undo_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for k in 0..args.runs {
        let fid = pick(k);
        let feature = session
            .gpkg()
            .get_feature(&args.layer, fid)?
            .context("feature vanished")?;
        let Some(g) = feature.geometry.clone() else {
            continue;
        };
        let moved = {
            use geo::Translate;
            g.translate(0.01, 0.0)
        };
        let t = Instant::now();
        session.apply("Di chuyển 1 đối tượng", |tx| {
            tx.set_geometry(&args.layer, fid, &moved)?;
            if let Some(f) = &area_field {
                tx.set_value(&args.layer, fid, f, &FieldValue::Real(123.25))?;
            }
            Ok(())
        })?;
        edit_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        session.undo()?;
        undo_ms.push(t.elapsed().as_secs_f64() * 1e3);

        if let Geometry::Polygon(_) | Geometry::MultiPolygon(_) = g {
            let (Some(c), Some(b)) = (g.centroid(), g.bounding_rect()) else {
                continue;
            };
            let cut = LineString::from(vec![(c.x(), b.min().y - 1.0), (c.x(), b.max().y + 1.0)]);
            let t = Instant::now();
            match split(&mut session, &args.layer, &[fid], &cut) {
                Ok(_) => {}
                Err(EditError::Layer { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
            split_ms.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            session.undo()?;
            split_undo_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let n = all.len();
    println!(
        "{}: layer '{}', {n} features",
        args.workspace.display(),
        args.layer
    );
    let line = |what: &str, ms: Vec<f64>, target: Option<f64>| {
        if ms.is_empty() {
            println!("{what}: not measured");
            return;
        }
        let median = {
            let mut s = ms.clone();
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        };
        match target {
            Some(t) => println!(
                "{what}: {} — {:.2}× the {t} ms target",
                stats(ms),
                median / t
            ),
            None => println!("{what}: {}", stats(ms)),
        }
    };
    line("one edit committed", edit_ms, Some(20.0));
    line("undo of that edit", undo_ms, None);
    line("split of a parcel", split_ms, None);
    line("undo of a split", split_undo_ms, Some(20.0));
    Ok(())
}
