//! The land-use code table: codes, Vietnamese names and standard fill
//! colours, shipped as data in `assets/landuse_colours.csv` so a province can
//! correct a value without a rebuild (a file of the same name in the
//! directory named by `TRAMGIS_ASSETS` overrides the built-in copy).

use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq)]
pub struct LandUseCode {
    pub code: String,
    pub name_vi: String,
    pub rgb: [u8; 3],
    pub sources: String,
    pub note: String,
}

const BUILT_IN: &str = include_str!("../../assets/landuse_colours.csv");

/// Splits one CSV record (RFC 4180 quoting, no embedded newlines).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// Parses the table; a bad line is an error naming its line number.
pub fn parse_table(text: &str) -> Result<Vec<LandUseCode>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv_line(line);
        let channel = |k: usize| -> Result<u8, String> {
            f.get(k).and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
                format!(
                    "landuse_colours.csv line {}: column {} is not a 0-255 value",
                    i + 1,
                    k + 1
                )
            })
        };
        if f.len() < 5 {
            return Err(format!(
                "landuse_colours.csv line {}: expected at least 5 columns",
                i + 1
            ));
        }
        out.push(LandUseCode {
            code: f[0].trim().to_string(),
            name_vi: f[1].trim().to_string(),
            rgb: [channel(2)?, channel(3)?, channel(4)?],
            sources: f.get(5).cloned().unwrap_or_default(),
            note: f.get(6).cloned().unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The table in use: the override when one is present and valid, else the
/// built-in copy.
pub fn landuse_codes() -> &'static [LandUseCode] {
    static TABLE: OnceLock<Vec<LandUseCode>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let override_text = std::env::var_os("TRAMGIS_ASSETS")
            .map(|dir| std::path::Path::new(&dir).join("landuse_colours.csv"))
            .and_then(|p| std::fs::read_to_string(p).ok());
        if let Some(text) = override_text {
            match parse_table(&text) {
                Ok(t) => return t,
                Err(e) => eprintln!("tramgis: ignoring the land-use table override: {e}"),
            }
        }
        parse_table(BUILT_IN).expect("the built-in land-use table parses")
    })
}

pub fn landuse_code(code: &str) -> Option<&'static LandUseCode> {
    landuse_codes().iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_table_has_the_common_codes_with_their_colours() {
        assert!(landuse_codes().len() >= 93);
        assert_eq!(landuse_code("LUC").unwrap().rgb, [255, 252, 140]);
        assert_eq!(landuse_code("ODT").unwrap().name_vi, "Đất ở tại đô thị");
        assert_eq!(
            landuse_code("TMD").unwrap().name_vi,
            "Đất thương mại, dịch vụ"
        );
    }

    #[test]
    fn quoted_fields_keep_their_commas_and_quotes() {
        assert_eq!(
            split_csv_line(r#"A,"b, c","say ""hi""",d"#),
            ["A", "b, c", "say \"hi\"", "d"]
        );
    }

    #[test]
    fn a_bad_colour_names_its_line() {
        let err = parse_table("code,name,r,g,b\nLUC,x,255,300,1\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }
}
