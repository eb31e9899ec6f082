//! User-interface text in Vietnamese (the default) and English. Every
//! label the window shows goes through `tr`, so a missing translation is a
//! compile error rather than a stray English word.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    File,
    Open,
    Quit,
    View,
    ZoomFull,
    Language,
    Layers,
    Features,
    Loading,
    Cancel,
    Ready,
    Scale,
    OpenFailed,
    Theme(crate::model::LayerTheme),
    NoTheme,
}

pub fn tr(lang: Lang, key: Key) -> &'static str {
    use crate::model::LayerTheme as T;
    use Key::*;
    let (vi, en) = match key {
        File => ("Tệp", "File"),
        Open => ("Mở không gian làm việc…", "Open workspace…"),
        Quit => ("Thoát", "Quit"),
        View => ("Xem", "View"),
        ZoomFull => ("Toàn bộ bản đồ", "Zoom to full extent"),
        Language => ("Ngôn ngữ", "Language"),
        Layers => ("Lớp dữ liệu", "Layers"),
        Features => ("đối tượng", "features"),
        Loading => ("Đang tải", "Loading"),
        Cancel => ("Hủy", "Cancel"),
        Ready => ("Sẵn sàng", "Ready"),
        Scale => ("Tỷ lệ", "Scale"),
        OpenFailed => ("Không mở được tệp", "Cannot open the file"),
        Theme(T::LandUse) => ("Sử dụng đất", "Land use"),
        Theme(T::Planning) => ("Quy hoạch", "Planning"),
        Theme(T::Telecom) => ("BTS & viễn thông", "BTS & telecom"),
        Theme(T::SmartCity) => ("Đô thị thông minh", "Smart city"),
        Theme(T::Infrastructure) => ("Hạ tầng kỹ thuật", "Infrastructure"),
        Theme(T::Base) => ("Nền", "Base"),
        NoTheme => ("Khác", "Other"),
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}
