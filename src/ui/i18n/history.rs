//! The Identify panel's feature history text (`Key::History`),
//! Vietnamese and English.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKey {
    Title,
    NoChanges,
    Inserted,
    Updated,
    Deleted,
    Edit,
    OtherProgram,
    Empty,
    Geometry,
    Vertices,
    UnreadableGeometry,
}

pub(super) fn pair(key: HistoryKey) -> (&'static str, &'static str) {
    use HistoryKey::*;
    match key {
        Title => ("Lịch sử", "History"),
        NoChanges => (
            "Nhật ký chỉnh sửa chưa ghi thay đổi nào của đối tượng này",
            "The edit journal has no changes of this feature",
        ),
        Inserted => ("thêm mới", "inserted"),
        Updated => ("sửa", "updated"),
        Deleted => ("xoá", "deleted"),
        Edit => ("lần sửa", "edit"),
        OtherProgram => (
            "chương trình khác (QGIS, GDAL…)",
            "another program (QGIS, GDAL…)",
        ),
        Empty => ("(trống)", "(empty)"),
        Geometry => ("(hình học)", "(geometry)"),
        Vertices => ("đỉnh", "vertices"),
        UnreadableGeometry => ("hình học không đọc được", "unreadable geometry"),
    }
}
