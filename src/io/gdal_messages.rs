//! GDAL's and PROJ's warnings and errors, caught while an import or export
//! runs, so that they reach the user in the report (with the row they were
//! raised on) instead of as lines on stderr.
//!
//! GDAL keeps its error handlers per thread (`CPLPushErrorHandlerEx`), so a
//! capture belongs to the thread that started it: an import running in a
//! job thread catches its own messages and nobody else's. PROJ logs through
//! the logger of the context an operation runs in; contexts are created as
//! copies of PROJ's default one, whose logger is pointed here once.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, c_char, c_int, c_void};
use std::marker::PhantomData;
use std::sync::Once;

/// One message as GDAL or PROJ raised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GdalMessage {
    /// The 1-based source row being read when it was raised, if any.
    pub row: Option<u64>,
    /// An error (the operation failed) rather than a warning.
    pub error: bool,
    pub text: String,
}

thread_local! {
    /// One list per active capture on this thread, innermost last.
    static CAPTURES: RefCell<Vec<Vec<GdalMessage>>> = const { RefCell::new(Vec::new()) };
    static ROW: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Collects GDAL's and PROJ's messages on this thread while it lives.
/// Not `Send`: it must end on the thread that started it.
pub struct Capture {
    _thread_bound: PhantomData<*const ()>,
}

impl Capture {
    pub fn start() -> Capture {
        route_proj_log();
        CAPTURES.with(|c| c.borrow_mut().push(Vec::new()));
        // SAFETY: the handler only touches this thread's storage; it is
        // popped in `drop` on this same thread.
        unsafe { gdal_sys::CPLPushErrorHandlerEx(Some(on_gdal_message), std::ptr::null_mut()) };
        Capture {
            _thread_bound: PhantomData,
        }
    }

    /// The messages caught so far, in order.
    pub fn messages(&self) -> Vec<GdalMessage> {
        CAPTURES.with(|c| c.borrow().last().cloned().unwrap_or_default())
    }

    /// The messages as report lines starting with `context` (the file and
    /// layer): repeats of one message folded into one line that names its
    /// first row and how many rows raised it.
    pub fn lines(&self, context: &str) -> Vec<String> {
        let mut folded: Vec<(GdalMessage, Vec<u64>)> = Vec::new();
        for m in self.messages() {
            let i = match folded.iter().position(|(f, _)| f.text == m.text) {
                Some(i) => i,
                None => {
                    folded.push((m.clone(), Vec::new()));
                    folded.len() - 1
                }
            };
            // Rows are read more than once (sampling, then loading).
            if let Some(r) = m.row
                && !folded[i].1.contains(&r)
            {
                folded[i].1.push(r);
            }
        }
        folded
            .into_iter()
            .map(|(m, rows)| match rows.as_slice() {
                [] => format!("{context}: {}", m.text),
                [r] => format!("{context}, row {r}: {}", m.text),
                [r, ..] => format!(
                    "{context}, row {r} and {} more rows: {}",
                    rows.len() - 1,
                    m.text
                ),
            })
            .collect()
    }

    /// The text of the last error raised, for a failure GDAL explained.
    pub fn last_error(&self) -> Option<String> {
        self.messages()
            .into_iter()
            .rev()
            .find(|m| m.error)
            .map(|m| m.text)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // SAFETY: pops the handler pushed in `start` on this thread.
        unsafe { gdal_sys::CPLPopErrorHandler() };
        // An inner capture's messages belong to the outer one too.
        CAPTURES.with(|c| {
            let mut captures = c.borrow_mut();
            if let Some(inner) = captures.pop()
                && let Some(outer) = captures.last_mut()
            {
                outer.extend(inner);
            }
        });
    }
}

/// Names the source row that messages raised from now on concern (None
/// once reading is over).
pub fn at_row(row: Option<u64>) {
    ROW.with(|r| r.set(row));
}

fn record(error: bool, text: &str) -> bool {
    let text = text.trim();
    if text.is_empty() {
        return true;
    }
    CAPTURES.with(|c| {
        let mut captures = c.borrow_mut();
        let Some(list) = captures.last_mut() else {
            return false;
        };
        list.push(GdalMessage {
            row: ROW.with(Cell::get),
            error,
            text: text.to_string(),
        });
        true
    })
}

unsafe extern "C" fn on_gdal_message(
    class: gdal_sys::CPLErr::Type,
    _number: gdal_sys::CPLErrorNum,
    message: *const c_char,
) {
    use gdal_sys::CPLErr;
    if message.is_null()
        || !matches!(
            class,
            CPLErr::CE_Warning | CPLErr::CE_Failure | CPLErr::CE_Fatal
        )
    {
        return;
    }
    // SAFETY: GDAL passes a NUL-terminated message valid for this call.
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    record(class != CPLErr::CE_Warning, &text);
}

unsafe extern "C" fn on_proj_message(_data: *mut c_void, level: c_int, message: *const c_char) {
    if message.is_null() || level != proj_sys::PJ_LOG_LEVEL_PJ_LOG_ERROR as c_int {
        return;
    }
    // SAFETY: PROJ passes a NUL-terminated message valid for this call.
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    if !record(true, &text) {
        // No capture on this thread: where PROJ would have written it.
        eprintln!("{}", text.trim_end());
    }
}

/// Points the logger of PROJ's default context, which every new context
/// copies, at `on_proj_message`.
fn route_proj_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a null context is PROJ's default one; the function is a
        // plain `extern "C"` function that lives for the whole program.
        unsafe {
            proj_sys::proj_log_func(
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                Some(on_proj_message),
            )
        };
    });
}

/// The reason a GDAL call failed, in words: the message GDAL raised, or
/// `otherwise` when it raised none; never the binding's "returned a NULL
/// pointer. Error msg: ''".
pub fn reason(error: &gdal::errors::GdalError, otherwise: &str) -> String {
    use gdal::errors::GdalError;
    let text = match error {
        GdalError::NullPointer { msg, .. } | GdalError::CplError { msg, .. } => msg.clone(),
        other => other.to_string(),
    };
    let text = text.trim().trim_end_matches('.').to_string();
    if text.is_empty() {
        otherwise.to_string()
    } else {
        text
    }
}

/// A GDAL message about `path` without the path, for a line that names the
/// file already: "'/d/x.gml' not recognized as ..." becomes "not recognized
/// as ...".
pub fn without_path(text: &str, path: &std::path::Path) -> String {
    let p = path.display().to_string();
    if p.is_empty() {
        return text.to_string();
    }
    let mut out = text.to_string();
    for quoted in [
        format!("`{p}'"),
        format!("'{p}'"),
        format!("\"{p}\""),
        p.clone(),
    ] {
        out = out.replace(&quoted, "");
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let out = out.trim_start_matches([':', ',', ' ']).trim();
    if out.is_empty() {
        text.to_string()
    } else {
        out.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raise(class: gdal_sys::CPLErr::Type, text: &str) {
        let fmt = c"%s";
        let c = std::ffi::CString::new(text).unwrap();
        unsafe { gdal_sys::CPLError(class, 1, fmt.as_ptr(), c.as_ptr()) };
    }

    #[test]
    fn messages_are_caught_per_row_and_folded() {
        let capture = Capture::start();
        at_row(Some(3));
        raise(gdal_sys::CPLErr::CE_Warning, "value truncated");
        at_row(Some(4));
        raise(gdal_sys::CPLErr::CE_Warning, "value truncated");
        at_row(None);
        raise(gdal_sys::CPLErr::CE_Failure, "cannot open");
        assert_eq!(
            capture.lines("a.shp, layer 'a'"),
            vec![
                "a.shp, layer 'a', row 3 and 1 more rows: value truncated".to_string(),
                "a.shp, layer 'a': cannot open".to_string()
            ]
        );
        assert_eq!(capture.last_error().as_deref(), Some("cannot open"));
    }

    #[test]
    fn captures_nest_and_end() {
        let outer = Capture::start();
        {
            let inner = Capture::start();
            raise(gdal_sys::CPLErr::CE_Warning, "inner");
            assert_eq!(inner.messages().len(), 1);
        }
        raise(gdal_sys::CPLErr::CE_Warning, "outer");
        let texts: Vec<String> = outer.messages().into_iter().map(|m| m.text).collect();
        assert_eq!(texts, vec!["inner".to_string(), "outer".to_string()]);
    }

    #[test]
    fn paths_are_named_once() {
        let p = std::path::Path::new("/d/x.gml");
        assert_eq!(
            without_path("`/d/x.gml' not recognized as a supported file format", p),
            "not recognized as a supported file format"
        );
        assert_eq!(without_path("nothing here", p), "nothing here");
    }

    #[test]
    fn proj_errors_are_caught() {
        let capture = Capture::start();
        let p = proj::Proj::new_known_crs("EPSG:4326", "EPSG:3857", None).unwrap();
        // Latitude beyond the pole: PROJ logs an error and fails the point.
        assert!(p.convert((10.0f64, 95.0f64)).is_err() || p.convert((95.0f64, 10.0f64)).is_err());
        assert!(
            !capture.messages().is_empty(),
            "PROJ's error went elsewhere"
        );
    }
}
