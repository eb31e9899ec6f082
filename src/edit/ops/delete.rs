//! Delete features, as one operation ("Xóa 3 đối tượng").

use crate::edit::{Applied, EditError, EditSession};

pub fn delete_features(
    session: &mut EditSession,
    layer: &str,
    fids: &[i64],
) -> Result<Applied, EditError> {
    let description = format!("Xóa {} đối tượng", fids.len());
    let (_, applied) = session.apply(&description, |tx| {
        for &fid in fids {
            tx.delete(layer, fid)?;
        }
        Ok(())
    })?;
    Ok(applied)
}
