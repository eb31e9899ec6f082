//! WFS 1.1.0 with Transaction (WFS-T): being written (see the helper's
//! task); this placeholder only keeps the crate building meanwhile.

use std::collections::HashMap;

use super::error::{Result, SyncError};
use super::http::Http;
use super::portal::{Description, Op, Outcome, Portal};
use super::record::Record;
use super::remote::LayerMapping;

pub struct Wfs {
    base: String,
    http: Http,
}

impl Wfs {
    pub fn new(url: &str, http: Http) -> Wfs {
        Wfs {
            base: url.to_string(),
            http,
        }
    }

    /// Whether `url` is a WFS whose capabilities offer Transaction.
    pub fn detect(url: &str, _http: &mut Http) -> Result<bool> {
        Err(SyncError::Config(format!(
            "{url}: WFS-T is not available yet"
        )))
    }

    fn unavailable(&self) -> SyncError {
        SyncError::Config(format!("{}: WFS-T is not available yet", self.base))
    }
}

impl Portal for Wfs {
    fn http(&mut self) -> &mut Http {
        &mut self.http
    }
    fn describe(&mut self, _: &LayerMapping) -> Result<Option<Description>> {
        Err(self.unavailable())
    }
    fn fetch(
        &mut self,
        _: &LayerMapping,
        _: Option<[f64; 4]>,
        _: &mut dyn FnMut(Vec<Record>) -> Result<()>,
    ) -> Result<()> {
        Err(self.unavailable())
    }
    fn fetch_these(&mut self, _: &LayerMapping, _: &[Record]) -> Result<HashMap<String, Record>> {
        Err(self.unavailable())
    }
    fn send(
        &mut self,
        _: &LayerMapping,
        _: &[Op],
        _: &mut dyn FnMut(usize, Outcome) -> Result<()>,
    ) -> Result<()> {
        Err(self.unavailable())
    }
}
