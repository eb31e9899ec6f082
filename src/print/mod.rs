//! Printed maps: a layout (paper A4–A0, portrait or landscape; the map at
//! a round scale with a VN-2000 coordinate grid, title, legend of what is
//! in view, scale bar, north arrow, source and date) composed into one
//! display list of paths and text in paper millimetres, written to PDF
//! (vector geometry, searchable text) or PNG (rasterized on the CPU).
//!
//! The way through: [`compose`] reads the workspace's layers in the
//! printed extent through the R-tree ([`map`]), styles them as the window
//! does, and adds the [`furniture`]; [`pdf`] and [`raster`] draw the
//! resulting [`Page`]. [`export`] does it all, as a background job can.

pub mod compose;
pub mod font;
pub mod furniture;
pub mod layout;
pub mod map;
pub mod page;
pub mod paper;
pub mod pdf;
pub mod raster;

use std::path::{Path, PathBuf};

pub use compose::{Composed, compose};
pub use layout::{Layout, Sheet};
pub use page::Page;
pub use paper::{Orientation, Paper};

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(transparent)]
    Store(#[from] crate::gpkg::GpkgError),
    #[error(transparent)]
    Render(crate::render::RenderError),
    #[error("layer '{layer}': {source}")]
    Crs {
        layer: String,
        #[source]
        source: crate::crs::CrsError,
    },
    #[error("{path}: no layer with features to print")]
    NoLayers { path: PathBuf },
    #[error(
        "the map CRS {crs} is geographic (degrees): a printed scale needs a projected CRS such as EPSG:9214"
    )]
    Geographic { crs: String },
    #[error("{path}: the output must end in .pdf or .png")]
    Format { path: PathBuf },
    #[error("a {width}×{height} pixel image is too large to draw; lower the dpi")]
    TooLarge { width: u32, height: u32 },
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing {path}: {detail}")]
    Png { path: PathBuf, detail: String },
    #[error("cancelled")]
    Cancelled,
}

impl From<crate::jobs::Cancelled> for PrintError {
    fn from(_: crate::jobs::Cancelled) -> Self {
        PrintError::Cancelled
    }
}

pub type Result<T> = std::result::Result<T, PrintError>;

/// The output formats, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Png,
}

impl Format {
    pub fn of(path: &Path) -> Result<Format> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("pdf") => Ok(Format::Pdf),
            Some("png") => Ok(Format::Png),
            _ => Err(PrintError::Format {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    pub path: PathBuf,
    pub format: Format,
    pub bytes: u64,
    /// The PNG's size in pixels; None for a PDF.
    pub pixels: Option<(u32, u32)>,
    pub composed: Composed,
}

/// Composes `layout` and writes it to `path` (.pdf or .png, at the
/// layout's dpi). `progress` counts the features read; cancelling stops
/// the job soon after with [`PrintError::Cancelled`] and writes nothing.
pub fn export(layout: &Layout, path: &Path, progress: &crate::jobs::Progress) -> Result<Exported> {
    let format = Format::of(path)?;
    let composed = compose(layout, progress)?;
    let mut pixels = None;
    match format {
        Format::Pdf => {
            let bytes = pdf::to_pdf(&composed.page);
            if progress.is_cancelled() {
                return Err(PrintError::Cancelled);
            }
            std::fs::write(path, bytes).map_err(|source| PrintError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        }
        Format::Png => {
            let pixmap = raster::rasterize(&composed.page, layout.dpi, progress)?;
            pixels = Some((pixmap.width(), pixmap.height()));
            raster::write_png(&pixmap, layout.dpi, path)?;
        }
    }
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Exported {
        path: path.to_path_buf(),
        format,
        bytes,
        pixels,
        composed,
    })
}

/// A picture of the sheet for a print panel: the layout composed and
/// drawn at `dpi` (30 to 50 is enough on screen), as straight RGBA rows
/// with its width and height.
pub fn preview(
    layout: &Layout,
    dpi: f64,
    progress: &crate::jobs::Progress,
) -> Result<(u32, u32, Vec<u8>)> {
    let composed = compose(layout, progress)?;
    let pixmap = raster::rasterize(&composed.page, dpi, progress)?;
    // Drawn on opaque white: premultiplied and straight alpha agree.
    Ok((pixmap.width(), pixmap.height(), pixmap.take()))
}
