//! Shapefiles that arrive without their `.shx` index (a common loss when
//! files are mailed or copied one by one). GDAL can rebuild the index from
//! the `.shp`, but it writes it beside the `.shp` it opens, and the user's
//! folder must never be written: the Shapefile is copied to a temporary
//! folder and the index rebuilt there.

use std::path::{Path, PathBuf};

/// A temporary copy of a Shapefile whose `.shx` GDAL is to rebuild; the
/// folder is removed when this is dropped.
pub struct RestoredCopy {
    /// The copied `.shp`.
    pub shp: PathBuf,
    _dir: tempfile::TempDir,
}

/// Whether `path` is a `.shp` with no `.shx` (in either case) beside it.
pub fn is_missing_shx(path: &Path) -> bool {
    let is_shp = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    is_shp
        && path.is_file()
        && !["shx", "SHX"]
            .iter()
            .any(|e| path.with_extension(e).exists())
}

/// Copies the `.shp` and every file sharing its name (`.dbf`, `.prj`,
/// `.cpg`, …) to a new temporary folder.
pub fn copy_for_restore(path: &Path) -> std::io::Result<RestoredCopy> {
    let dir = tempfile::Builder::new().prefix("tramgis-shx-").tempdir()?;
    let stem = path.file_stem().unwrap_or_default().to_os_string();
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let p = entry.path();
        if p.is_file() && p.file_stem() == Some(stem.as_os_str()) {
            std::fs::copy(&p, dir.path().join(entry.file_name()))?;
        }
    }
    Ok(RestoredCopy {
        shp: dir.path().join(path.file_name().unwrap_or_default()),
        _dir: dir,
    })
}

/// The line the import report carries for a rebuilt index.
pub fn note(path: &Path) -> String {
    format!(
        "{}: the .shx index was missing; GDAL rebuilt it in a temporary copy (the folder was not written to)",
        path.display()
    )
}
