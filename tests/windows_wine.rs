//! The Windows package under Wine: packaging/windows/build.sh cross-builds
//! tramgis.exe against the GDAL, PROJ and SQLite DLLs of PyPI's pyogrio
//! wheel and makes the NSIS installer; here it is installed silently into a
//! fresh Wine prefix and the installed program does real work, checked
//! against what this (Linux) build does with the same input.
//!
//! Wine 8.0 lacks bcryptprimitives.dll (ProcessPrng, which Rust's standard
//! library imports; Windows 10 and later have it): the prefix gets a shim
//! built from packaging/windows/wine-shim, for these tests only. The
//! installer never contains it (checked below).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The installer, built once.
fn installer() -> PathBuf {
    let out = Command::new(root().join("packaging/windows/build.sh"))
        .output()
        .expect("packaging/windows/build.sh runs");
    assert!(out.status.success(), "build.sh failed:\n{}", text(&out));
    let setup = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string());
    assert!(setup.is_file(), "{setup:?}");
    setup
}

/// A fresh Wine prefix with the test-only ProcessPrng shim.
struct Wine {
    prefix: tempfile::TempDir,
}

impl Wine {
    fn new() -> Wine {
        let wine = Wine {
            prefix: tempfile::tempdir().unwrap(),
        };
        let out = wine
            .command("wineboot")
            .arg("-i")
            .output()
            .expect("wineboot");
        assert!(out.status.success(), "wineboot: {}", text(&out));
        let shim = wine.prefix.path().join("bcryptprimitives.dll");
        let out = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-O2", "-shared", "-o"])
            .arg(&shim)
            .arg(root().join("packaging/windows/wine-shim/bcryptprimitives.c"))
            .arg(root().join("packaging/windows/wine-shim/bcryptprimitives.def"))
            .arg("-ladvapi32")
            .output()
            .expect("mingw gcc");
        assert!(out.status.success(), "shim: {}", text(&out));
        std::fs::copy(&shim, wine.c("windows/system32/bcryptprimitives.dll")).unwrap();
        wine
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("WINEPREFIX", self.prefix.path())
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko download prompts.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY");
        c
    }

    /// A path inside the prefix's C: drive.
    fn c(&self, path: &str) -> PathBuf {
        self.prefix.path().join("drive_c").join(path)
    }

    fn install_dir(&self) -> PathBuf {
        self.c("Program Files/tramgis")
    }

    /// Runs the installed tramgis.exe; Linux paths are given as Z: paths.
    fn tramgis(&self, args: &[&str]) -> Output {
        self.command("wine")
            .arg(self.install_dir().join("tramgis.exe"))
            .args(args)
            .current_dir(self.install_dir())
            .output()
            .expect("wine runs")
    }

    /// Runs `script` (sh) under a fresh Xvfb display, with this prefix:
    /// Wine's Vulkan (winevulkan on Mesa's lavapipe) needs an X display.
    fn under_xvfb(&self, script: &str) -> Output {
        self.command("xvfb-run")
            .args(["-a", "-s", "-screen 0 1400x900x24", "sh", "-c", script])
            .current_dir(self.install_dir())
            .output()
            .expect("xvfb-run runs")
    }

    fn tramgis_ok(&self, args: &[&str]) -> String {
        let out = self.tramgis(args);
        assert!(
            out.status.success(),
            "tramgis.exe {args:?}:\n{}",
            text(&out)
        );
        text(&out)
    }
}

/// A Linux path as Wine's Z: drive sees it.
fn z(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

fn linux_tramgis(args: &[&str]) -> String {
    let (ok, out, err) = common::tramgis(args);
    assert!(ok, "tramgis {args:?}: {err}");
    format!("{out}{err}")
}

/// Every coordinate of a GeoJSON file, in order.
fn coordinates(path: &Path) -> Vec<f64> {
    fn walk(v: &serde_json::Value, out: &mut Vec<f64>) {
        match v {
            serde_json::Value::Number(n) => out.push(n.as_f64().unwrap()),
            serde_json::Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for f in doc["features"].as_array().unwrap() {
        walk(&f["geometry"]["coordinates"], &mut out);
    }
    out
}

fn assert_same_coordinates(windows: &Path, linux: &Path) {
    let (w, l) = (coordinates(windows), coordinates(linux));
    assert_eq!(w.len(), l.len(), "{windows:?} vs {linux:?}");
    assert!(!w.is_empty());
    let worst = w
        .iter()
        .zip(&l)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 0.001, "coordinates differ by up to {worst} m");
}

#[test]
fn the_windows_installer_installs_and_the_program_works_under_wine() {
    let setup = installer();
    let dir = tempfile::tempdir().unwrap();
    let wine = Wine::new();

    // A silent install, as an office's IT would run it.
    let out = wine
        .command("wine")
        .arg(&setup)
        .arg("/S")
        .output()
        .expect("the installer runs");
    assert!(out.status.success(), "installer: {}", text(&out));
    let installed = wine.install_dir();
    for file in [
        "tramgis.exe",
        "uninstall.exe",
        "proj_data/proj.db",
        "gdal_data/gdalvrt.xsd",
        "sample/bac-giang-sample.gpkg",
        "LICENSES/tramgis.txt",
        "LICENSES/gdal.txt",
        "LICENSES/proj_9.txt",
        "LICENSES/geos_c.txt",
        "LICENSES/sqlite3.txt",
        "LICENSES/spatialite.txt",
        "LICENSES/libcurl.txt",
        "LICENSES/libssl-3-x64.txt",
        "LICENSES/NotoSans-OFL.txt",
        "LICENSES/rust-crates.txt",
    ] {
        assert!(installed.join(file).is_file(), "{file} not installed");
    }
    assert!(
        !installed.join("bcryptprimitives.dll").exists(),
        "the Wine shim must never ship"
    );
    let start_menu =
        wine.c("ProgramData/Microsoft/Windows/Start Menu/Programs/tramgis/tramgis.lnk");
    assert!(start_menu.is_file(), "{start_menu:?}");
    let reg = wine
        .command("wine")
        .args([
            "reg",
            "query",
            r"HKLM\Software\Classes\tramgis.GeoPackage\shell\open\command",
        ])
        .output()
        .unwrap();
    assert!(
        text(&reg).contains("tramgis.exe"),
        ".gpkg does not open in tramgis: {}",
        text(&reg)
    );

    // The installed program, run from its folder.
    let version = wine.tramgis_ok(&["--version"]);
    assert!(version.contains(&format!("tramgis {}", env!("CARGO_PKG_VERSION"))));
    let ws = dir.path().join("ws.gpkg");
    wine.tramgis_ok(&["sample", "--out", &z(&ws), "--parcels", "300"]);
    let info = wine.tramgis_ok(&["info", &z(&ws)]);
    assert!(
        info.contains("thua_dat") && info.contains("tram_bts"),
        "{info}"
    );
    let report = wine.tramgis_ok(&["validate", &z(&ws)]);
    assert!(report.contains("valid GeoPackage"), "{report}");
    // GDAL on Linux reads what the Windows build wrote.
    let (ok, ogr, err) = common::tool("ogrinfo", &["-so", "-q", ws.to_str().unwrap()]);
    assert!(ok && ogr.contains("thua_dat"), "{ogr}{err}");

    // The same sample from the Linux build, for the comparisons.
    let linux_ws = dir.path().join("linux.gpkg");
    linux_tramgis(&[
        "sample",
        "--out",
        linux_ws.to_str().unwrap(),
        "--parcels",
        "300",
    ]);

    // The map drawn offscreen through Wine's Vulkan (DX12 on vkd3d is
    // listed but does not open there: the renderer takes the next adapter)
    // looks like the Linux build's drawing of the same workspace.
    let (win_png, linux_png) = (dir.path().join("win.png"), dir.path().join("linux.png"));
    let render = ["--size", "800x600", "--msaa", "1"];
    let out = wine.under_xvfb(&format!(
        "wine tramgis.exe render '{}' --out '{}' {}",
        z(&ws),
        z(&win_png),
        render.join(" ")
    ));
    assert!(win_png.is_file(), "render under Wine: {}", text(&out));
    assert!(text(&out).contains("Vulkan"), "{}", text(&out));
    let mut args = vec![
        "render",
        ws.to_str().unwrap(),
        "--out",
        linux_png.to_str().unwrap(),
    ];
    args.extend(render);
    linux_tramgis(&args);
    let compare = Command::new("compare")
        .args(["-metric", "MAE"])
        .arg(&win_png)
        .arg(&linux_png)
        .arg("null:")
        .output()
        .expect("imagemagick's compare");
    // "N (normalised)" on stderr.
    let metric = String::from_utf8_lossy(&compare.stderr).to_string();
    let normalised: f64 = metric
        .split(['(', ')'])
        .nth(1)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("compare said: {metric}"));
    assert!(normalised < 0.01, "the drawings differ: MAE {metric}");

    // The window through winevulkan: it opens on the workspace and draws
    // the map (a screenshot of the Xvfb screen with the window in it).
    let shot = dir.path().join("window.png");
    let out = wine.under_xvfb(&format!(
        "wine tramgis.exe '{ws}' & \
         for i in $(seq 1 90); do xwininfo -root -tree | grep -q '\"tramgis\"' && break; sleep 1; done; \
         sleep 8; import -window root '{shot}'; \
         xwininfo -root -tree | grep '\"tramgis\"'; wineserver -k",
        ws = z(&ws),
        shot = shot.display()
    ));
    assert!(
        text(&out).contains("\"tramgis\""),
        "no tramgis window under Wine: {}",
        text(&out)
    );
    let colours = Command::new("identify")
        .args(["-format", "%k"])
        .arg(&shot)
        .output()
        .expect("identify");
    let colours: u64 = String::from_utf8_lossy(&colours.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(colours > 500, "the window looks empty ({colours} colours)");

    // A VN-2000 / UTM 48N shapefile with its .prj (as consultants send),
    // reprojected into the workspace's TM-3 107-00 on import.
    let shp = dir.path().join("thua_utm.shp");
    let (ok, _, err) = common::tool(
        "ogr2ogr",
        &[
            "-t_srs",
            "EPSG:3405",
            "-lco",
            "ENCODING=UTF-8",
            shp.to_str().unwrap(),
            linux_ws.to_str().unwrap(),
            "thua_dat",
        ],
    );
    assert!(ok, "{err}");
    assert!(dir.path().join("thua_utm.prj").is_file());
    // A CSV of towers in WGS 84 (a field team's GPS list).
    let csv = dir.path().join("towers.csv");
    std::fs::write(
        &csv,
        "ma_tram,nha_mang,lon,lat\nBG-001,Viettel,106.1946,21.2731\nBG-002,VNPT,106.2512,21.3105\nBG-003,MobiFone,106.3021,21.2279\n",
    )
    .unwrap();
    // Into each build's own sample workspace (the same content), as new
    // layers.
    for (target, exe) in [("win", true), ("linux", false)] {
        let into = if exe { ws.clone() } else { linux_ws.clone() };
        let into_arg = if exe {
            z(&into)
        } else {
            into.display().to_string()
        };
        let shp_arg = if exe {
            z(&shp)
        } else {
            shp.display().to_string()
        };
        let csv_arg = if exe {
            z(&csv)
        } else {
            csv.display().to_string()
        };
        let imports: [Vec<&str>; 2] = [
            vec!["import", &shp_arg, "--into", &into_arg, "--to", "thua"],
            vec![
                "import",
                &csv_arg,
                "--into",
                &into_arg,
                "--to",
                "tram",
                "--xy",
                "lon,lat",
                "--src-crs",
                "EPSG:4326",
            ],
        ];
        for args in &imports {
            if exe {
                wine.tramgis_ok(args);
            } else {
                linux_tramgis(args);
            }
        }
        for layer in ["thua", "tram"] {
            let geojson = dir.path().join(format!("{target}-{layer}.geojson"));
            let geojson_arg = if exe {
                z(&geojson)
            } else {
                geojson.display().to_string()
            };
            let args = ["export", &into_arg, "--layer", layer, "--out", &geojson_arg];
            if exe {
                wine.tramgis_ok(&args);
            } else {
                linux_tramgis(&args);
            }
        }
    }
    for layer in ["thua", "tram"] {
        assert_same_coordinates(
            &dir.path().join(format!("win-{layer}.geojson")),
            &dir.path().join(format!("linux-{layer}.geojson")),
        );
    }
    let towers = std::fs::read_to_string(dir.path().join("win-tram.geojson")).unwrap();
    assert!(towers.contains("MobiFone"), "{towers}");

    // Removal leaves nothing of the program behind.
    let out = wine
        .command("wine")
        .arg(installed.join("uninstall.exe"))
        .arg("/S")
        .output()
        .unwrap();
    assert!(out.status.success(), "uninstall: {}", text(&out));
    // The NSIS uninstaller copies itself to a temporary folder and returns
    // at once; wait for that copy to finish.
    let _ = wine.command("wineserver").arg("-w").status();
    assert!(
        !installed.join("tramgis.exe").exists(),
        "tramgis.exe left after uninstall"
    );
    assert!(!start_menu.exists());
    let reg = wine
        .command("wine")
        .args(["reg", "query", r"HKLM\Software\Classes\tramgis.GeoPackage"])
        .output()
        .unwrap();
    assert!(
        !reg.status.success(),
        "the .gpkg association is left: {}",
        text(&reg)
    );
}
