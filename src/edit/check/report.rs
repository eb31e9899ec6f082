//! The report as CSV: one row per finding, for `tramgis check` and for
//! officials who keep the list in a spreadsheet.

use std::io::Write;

use super::Report;

/// The header row.
pub const CSV_HEADER: &str = "kind,fid,other_fid,x,y,area_m2,message";

/// Writes the report: kind, fid, other fids (`;`-separated), the marker's
/// x and y (layer CRS), the area in m², and the message in Vietnamese and
/// English (" / " between them).
pub fn write_csv(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for f in &report.findings {
        let fid = f.fid.map(|n| n.to_string()).unwrap_or_default();
        let others = f
            .other_fids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(";");
        writeln!(
            out,
            "{},{},{},{:.3},{:.3},{:.3},{}",
            f.kind.key(),
            fid,
            others,
            f.location.x,
            f.location.y,
            f.area,
            quoted(&format!("{} / {}", f.message_vi, f.message_en))
        )?;
    }
    Ok(())
}

/// A CSV field in double quotes, inner quotes doubled (RFC 4180).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}
