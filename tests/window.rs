//! The real window under Xvfb on Mesa's lavapipe (Vulkan on the CPU): it
//! starts on a workspace, draws the map, and every Vietnamese letter of its
//! interface has a glyph (TRAMGIS_STRICT_GLYPHS makes a missing one fatal).
#![cfg(feature = "gui")]

mod common;

use std::process::Command;

use tramgis::model::landuse::landuse_code;

#[test]
fn window_starts_on_lavapipe_and_draws_the_map_and_vietnamese_text() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = common::sample(dir.path(), 1000);
    let shot = dir.path().join("shot.png");
    let log = dir.path().join("tramgis.log");
    let script = format!(
        "XDG_DATA_HOME={data} TRAMGIS_STRICT_GLYPHS=1 {bin} {ws} > {log} 2>&1 & pid=$!; \
         sleep 12; xwd -root -silent | convert xwd:- {shot}; \
         if kill -0 $pid 2>/dev/null; then kill $pid; echo running; else echo exited; fi",
        data = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_tramgis"),
        ws = workspace.display(),
        log = log.display(),
        shot = shot.display(),
    );
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "sh", "-c", &script])
        .output()
        .expect("xvfb-run (package xvfb) runs");
    let status = String::from_utf8_lossy(&out.stdout);
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.contains("running"),
        "the window stopped: {status}\n{log_text}"
    );
    assert!(!log_text.contains("No glyph"), "{log_text}");
    let image = image::open(&shot).expect("a screenshot").to_rgb8();
    assert_eq!(image.dimensions(), (1280, 800));
    // The map: the parcels, which tile the communes, cover a good part of
    // the map area (the screen less the layer tree and the docked editing
    // panel, about 760 × 740; the fitted province fills some 15 % of it)
    // in the land-use colours of the codes the file holds.
    let colours: Vec<[u8; 3]> = rusqlite::Connection::open(&workspace)
        .unwrap()
        .prepare("SELECT DISTINCT ma_loai_dat FROM thua_dat")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|code| landuse_code(&code.unwrap()).expect("a known code").rgb)
        .collect();
    assert!(colours.len() >= 3, "{colours:?}");
    let parcels = image.pixels().filter(|p| colours.contains(&p.0)).count();
    assert!(
        parcels > 60_000,
        "only {parcels} pixels in the parcels' land-use colours {colours:?}"
    );
    // The interface: light text on the dark side panel, i.e. the layer tree.
    let panel_text = (0..150u32)
        .flat_map(|x| (60..700u32).map(move |y| (x, y)))
        .filter(|&(x, y)| image.get_pixel(x, y).0[0] > 180)
        .count();
    assert!(
        panel_text > 500,
        "the layer panel looks empty ({panel_text} light pixels)"
    );
}
