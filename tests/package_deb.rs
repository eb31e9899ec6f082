//! The Debian package: built by packaging/debian/build-deb.sh in release
//! mode, installed with dpkg (its dependencies are Debian's, which
//! packaging/install-deps.sh has installed), run from /usr/bin, removed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn build_deb() -> PathBuf {
    let out = Command::new(root().join("packaging/debian/build-deb.sh"))
        .output()
        .expect("build-deb.sh runs");
    assert!(
        out.status.success(),
        "build-deb.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deb = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string());
    assert!(deb.is_file(), "{deb:?}");
    deb
}

fn is_root() -> bool {
    run("id", &["-u"]).trim() == "0"
}

#[test]
fn the_deb_installs_runs_and_removes_cleanly() {
    let deb = build_deb();
    let deb = deb.to_str().unwrap();

    // What is in it: the program, the desktop entry, the icon, the MIME
    // type, the sample and the licences.
    let listing = run("dpkg-deb", &["-c", deb]);
    for file in [
        "./usr/bin/tramgis",
        "./usr/share/applications/tramgis.desktop",
        "./usr/share/icons/hicolor/scalable/apps/tramgis.svg",
        "./usr/share/mime/packages/tramgis.xml",
        "./usr/share/tramgis/sample/bac-giang-sample.gpkg",
        "./usr/share/tramgis/landuse_colours.csv",
        "./usr/share/doc/tramgis/copyright",
        "./usr/share/doc/tramgis/NotoSans-LICENSE.txt",
    ] {
        assert!(
            listing.lines().any(|l| l.ends_with(file)),
            "{file} missing:\n{listing}"
        );
    }
    let control = run("dpkg-deb", &["-f", deb, "Depends"]);
    for lib in ["libgdal", "libproj", "libsqlite3-0"] {
        assert!(control.contains(lib), "Depends lacks {lib}: {control}");
    }
    let desktop = run(
        "sh",
        &[
            "-c",
            &format!(
                "dpkg-deb --fsys-tarfile {deb} | tar -xO ./usr/share/applications/tramgis.desktop"
            ),
        ],
    );
    assert!(desktop.contains("MimeType=application/geopackage+sqlite3;"));
    // desktop-file-utils (install-deps.sh) checks the entry as the
    // desktop does.
    run(
        "desktop-file-validate",
        &[root()
            .join("packaging/debian/tramgis.desktop")
            .to_str()
            .unwrap()],
    );

    assert!(
        is_root(),
        "installing the .deb with dpkg needs root (CI runs as root)"
    );
    run("dpkg", &["-i", deb]);
    let installed = std::panic::catch_unwind(|| {
        let version = run("/usr/bin/tramgis", &["--version"]);
        assert_eq!(
            version.trim(),
            format!("tramgis {}", env!("CARGO_PKG_VERSION"))
        );
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws.gpkg");
        run(
            "/usr/bin/tramgis",
            &["sample", "--out", ws.to_str().unwrap()],
        );
        let report = run("/usr/bin/tramgis", &["validate", ws.to_str().unwrap()]);
        assert!(report.contains("valid GeoPackage"), "{report}");
        // GDAL reads what the installed program wrote.
        let (ok, info, err) = common::tool("ogrinfo", &["-so", "-q", ws.to_str().unwrap()]);
        assert!(ok && info.contains("thua_dat"), "{info}{err}");
        // A .gpkg is a GeoPackage to the desktop (shared-mime-info's magic
        // and glob from our package).
        let mime = run(
            "gio",
            &["info", "-a", "standard::content-type", ws.to_str().unwrap()],
        );
        assert!(mime.contains("application/geopackage+sqlite3"), "{mime}");
    });
    run("dpkg", &["-r", "tramgis"]);
    for gone in [
        "/usr/bin/tramgis",
        "/usr/share/tramgis",
        "/usr/share/applications/tramgis.desktop",
        "/usr/share/mime/packages/tramgis.xml",
    ] {
        assert!(!Path::new(gone).exists(), "{gone} left after dpkg -r");
    }
    let status = Command::new("dpkg")
        .args(["-s", "tramgis"])
        .output()
        .unwrap();
    let state = String::from_utf8_lossy(&status.stdout);
    assert!(
        !status.status.success() || state.contains("deinstall") || state.contains("config-files"),
        "{state}"
    );
    if let Err(e) = installed {
        std::panic::resume_unwind(e);
    }
}
