//! Where GDAL and PROJ find their data files. On Windows the installer puts
//! `gdal_data` and `proj_data` next to `tramgis.exe`; both libraries are
//! pointed there before either starts, and never at what the user's
//! environment or another GIS's installation says (another version's
//! `proj.db` makes PROJ fail, another GDAL's plugins crash this one).
//! On Linux the distribution's packages own the data: nothing is changed.

use std::path::{Path, PathBuf};

/// The data folders beside `exe`, when the program was installed with
/// them: (GDAL's, PROJ's).
pub fn beside(exe: &Path) -> Option<(PathBuf, PathBuf)> {
    let dir = exe.parent()?;
    let gdal = dir.join("gdal_data");
    let proj = dir.join("proj_data");
    (gdal.is_dir() && proj.join("proj.db").is_file()).then_some((gdal, proj))
}

/// Points GDAL and PROJ at the data installed beside the program (Windows),
/// before any thread starts. Returns the folders used, if any.
pub fn use_installed_data() -> Option<(PathBuf, PathBuf)> {
    if !cfg!(windows) {
        return None;
    }
    let (gdal, proj) = beside(&std::env::current_exe().ok()?)?;
    point_libraries_at(&gdal, &proj);
    Some((gdal, proj))
}

/// Tells GDAL and PROJ where their data is through their own APIs: the
/// DLLs read the environment through their C runtime's copy of it, which
/// a change made after the program started does not reach. The variables
/// are set too, for the programs tramgis starts.
fn point_libraries_at(gdal: &Path, proj: &Path) {
    let (gdal_text, proj_text) = (gdal.to_string_lossy(), proj.to_string_lossy());
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        std::env::set_var("GDAL_DATA", gdal);
        std::env::set_var("PROJ_DATA", proj);
        std::env::set_var("PROJ_LIB", proj);
    }
    let _ = gdal::config::set_config_option("GDAL_DATA", &gdal_text);
    // No plugins from another GDAL installation.
    let _ = gdal::config::set_config_option("GDAL_DRIVER_PATH", "disable");
    let Ok(proj_c) = std::ffi::CString::new(proj_text.as_bytes()) else {
        return;
    };
    let paths = [proj_c.as_ptr(), std::ptr::null()];
    // SAFETY: a NULL context is PROJ's default one, which every context
    // created later (ours and GDAL's) copies; the strings are copied.
    unsafe {
        proj_sys::proj_context_set_search_paths(std::ptr::null_mut(), 1, paths.as_ptr());
        // The installed proj.db and grids only, nothing from the network.
        proj_sys::proj_context_set_enable_network(std::ptr::null_mut(), 0);
        gdal_sys::OSRSetPROJSearchPaths(paths.as_ptr());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_beside_the_program_counts_only_when_both_are_there() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tramgis.exe");
        assert_eq!(beside(&exe), None);
        std::fs::create_dir(dir.path().join("gdal_data")).unwrap();
        std::fs::create_dir(dir.path().join("proj_data")).unwrap();
        assert_eq!(beside(&exe), None, "no proj.db yet");
        std::fs::write(dir.path().join("proj_data/proj.db"), b"").unwrap();
        assert_eq!(
            beside(&exe),
            Some((dir.path().join("gdal_data"), dir.path().join("proj_data")))
        );
    }
}
