//! A process killed with SIGKILL in the middle of a stream of edits loses
//! no committed edit and leaves a file that opens and validates.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use tramgis::gpkg::GeoPackage;
use tramgis::gpkg::validate::{Severity, validate};

const CHILD_ENV: &str = "TRAMGIS_CRASH_CHILD_FILE";

/// Run only as the child of `sigkill_mid_batch_loses_no_committed_edit`:
/// makes edits forever, printing each fid after its transaction commits.
#[test]
#[ignore = "helper process for the SIGKILL test"]
fn child_edits_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut gpkg = GeoPackage::open(&path).unwrap();
    let mut i = 0u64;
    loop {
        // Each user edit: insert one lot and rewrite another, in one transaction.
        let fid = gpkg
            .edit("batch", |e| {
                let fid = e.insert("lots", &square_feature(i as f64, 50.0, "LUC"))?;
                e.set_value(
                    "lots",
                    1,
                    "area",
                    &tramgis::model::FieldValue::Real(i as f64),
                )?;
                Ok(fid)
            })
            .unwrap();
        println!("{fid}");
        i += 1;
    }
}

#[test]
fn sigkill_mid_batch_loses_no_committed_edit() {
    let dir = tempfile::tempdir().unwrap();
    let (gpkg, path) = lots(dir.path(), 1);
    drop(gpkg);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_edits_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut committed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while committed.len() < 300 {
        let line = lines.next().expect("child stopped early").unwrap();
        if let Ok(fid) = line.trim().parse::<i64>() {
            committed.push(fid);
        }
    }
    // SIGKILL: no destructors, no chance to finish the edit in flight.
    child.kill().unwrap();
    child.wait().unwrap();

    let gpkg = GeoPackage::open(&path).unwrap();
    for fid in &committed {
        assert!(
            gpkg.get_feature("lots", *fid).unwrap().is_some(),
            "committed fid {fid} lost"
        );
    }
    // Each edit is whole: the inserted lot and the area update go together.
    let last_fid = gpkg
        .all_features("lots")
        .unwrap()
        .iter()
        .map(|f| f.fid.unwrap())
        .max()
        .unwrap();
    let area = gpkg.get_feature("lots", 1).unwrap().unwrap().values[1]
        .as_f64()
        .unwrap();
    assert_eq!(
        area as i64,
        last_fid - 2,
        "insert and update of one edit were split"
    );
    drop(gpkg);
    let errors: Vec<_> = validate(&path)
        .unwrap()
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
