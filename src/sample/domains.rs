//! The sample workspace's field domains (GeoPackage Schema extension): the
//! pick lists and ranges a land official's form offers, readable by GDAL
//! and QGIS as field domains.

use rusqlite::Connection;

use super::layers::{BTS_OPERATORS, BTS_TECHNOLOGIES, BTS_TOWER_TYPES, planning_functions};
use crate::edit::domains::{self, Assignment, DomainError, FieldDomain, Range};
use crate::model::landuse::landuse_codes;

/// Technologies offered besides the ones the generator writes.
const MORE_TECHNOLOGIES: [&str; 1] = ["5G"];

fn at_least(min: f64, inclusive: bool) -> Range {
    Range {
        min: Some(min),
        min_inclusive: inclusive,
        max: None,
        max_inclusive: false,
    }
}

/// The domains, and the columns tied to them.
pub fn definitions() -> (Vec<FieldDomain>, Vec<Assignment<'static>>) {
    let landuse: Vec<(&str, &str)> = landuse_codes()
        .iter()
        .map(|c| (c.code.as_str(), c.name_vi.as_str()))
        .collect();
    let functions: Vec<(String, String)> = planning_functions()
        .map(|(symbol, name)| (name.to_string(), format!("{name} ({symbol})")))
        .collect();
    let functions: Vec<(&str, &str)> = functions
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let same = |v: &[&'static str]| -> Vec<(&'static str, &'static str)> {
        v.iter().map(|s| (*s, *s)).collect()
    };
    let types: Vec<&str> = BTS_TOWER_TYPES.iter().map(|t| t.0).collect();
    let techs: Vec<&str> = BTS_TECHNOLOGIES
        .iter()
        .chain(&MORE_TECHNOLOGIES)
        .copied()
        .collect();
    let domains = vec![
        FieldDomain::coded("ma_loai_dat", "Mã loại đất", &landuse),
        FieldDomain::coded(
            "chuc_nang_quy_hoach",
            "Chức năng sử dụng đất của ô quy hoạch",
            &functions,
        ),
        FieldDomain::coded("nha_mang", "Nhà mạng viễn thông", &same(&BTS_OPERATORS)),
        FieldDomain::coded("loai_cot", "Loại cột ăng-ten", &same(&types)),
        FieldDomain::coded("cong_nghe", "Công nghệ mạng di động", &same(&techs)),
        FieldDomain::range(
            "chieu_cao_cot",
            "Chiều cao (m), lớn hơn 0",
            at_least(0.0, false),
        ),
        FieldDomain::range(
            "ty_le_phan_tram",
            "Tỷ lệ phần trăm, từ 0 đến 100 %",
            Range {
                min: Some(0.0),
                min_inclusive: true,
                max: Some(100.0),
                max_inclusive: true,
            },
        ),
        FieldDomain::range("so_tang", "Số tầng, không âm", at_least(0.0, true)),
        FieldDomain::range(
            "he_so_sdd",
            "Hệ số sử dụng đất, không âm",
            at_least(0.0, true),
        ),
    ];
    let columns = vec![
        ("thua_dat", "ma_loai_dat", "ma_loai_dat"),
        ("o_quy_hoach", "chuc_nang", "chuc_nang_quy_hoach"),
        ("o_quy_hoach", "mat_do_xd", "ty_le_phan_tram"),
        ("o_quy_hoach", "tang_cao_min", "so_tang"),
        ("o_quy_hoach", "tang_cao_max", "so_tang"),
        ("o_quy_hoach", "he_so_sdd", "he_so_sdd"),
        ("tram_bts", "nha_mang", "nha_mang"),
        ("tram_bts", "loai_cot", "loai_cot"),
        ("tram_bts", "cong_nghe", "cong_nghe"),
        ("tram_bts", "chieu_cao", "chieu_cao_cot"),
    ];
    (domains, columns)
}

/// Writes the sample's domains into a workspace, all or nothing.
pub fn write(conn: &Connection) -> Result<(), DomainError> {
    let (domains, columns) = definitions();
    domains::write_domains(conn, &domains, &columns)
}
