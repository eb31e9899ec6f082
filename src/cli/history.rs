//! `tramgis history`: one feature's changes from the edit journal, one
//! block per change, oldest first.

use std::path::PathBuf;

use anyhow::Result;

use crate::gpkg::{GeoPackage, HistoryEntry};

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    pub workspace: PathBuf,
    #[arg(long)]
    pub layer: String,
    #[arg(long)]
    pub fid: i64,
}

pub fn run(args: &HistoryArgs) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(&args.workspace)?;
    let entries = gpkg.feature_history(&args.layer, args.fid)?;
    if entries.is_empty() {
        println!(
            "{}: layer '{}', feature {}: no changes in the edit journal",
            args.workspace.display(),
            args.layer,
            args.fid
        );
    }
    for (k, entry) in entries.iter().enumerate() {
        if k > 0 {
            println!();
        }
        print!("{}", block(entry));
    }
    Ok(())
}

/// An entry as the command prints it: a heading line (time, user, op,
/// edit and its description, or "external program"), then one
/// `field: old → new` line per changed field.
pub fn block(entry: &HistoryEntry) -> String {
    let source = match (entry.edit_id, &entry.description) {
        (Some(id), Some(d)) if !d.is_empty() => format!("edit {id}: {d}"),
        (Some(id), _) => format!("edit {id}"),
        (None, _) => "another program".to_string(),
    };
    let mut text = format!(
        "{}  {}  {}  ({source})\n",
        entry.changed_at,
        entry.user,
        entry.op.as_str()
    );
    for field in &entry.fields {
        let side = |v: &Option<crate::gpkg::HistoryValue>| {
            v.as_ref().map(ToString::to_string).unwrap_or("—".into())
        };
        text.push_str(&format!(
            "  {}: {} → {}\n",
            field.name,
            side(&field.old),
            side(&field.new)
        ));
    }
    text
}
