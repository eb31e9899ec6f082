//! Opening a remote: its protocol client with this session's credentials,
//! and detection of the protocol from what the URL answers.

use super::error::{Result, SyncError};
use super::http::{Credentials, Http, Limits};
use super::ogcapi::OgcApi;
use super::portal::Portal;
use super::remote::{Auth, Protocol, Remote};
use super::wfst::Wfs;

pub fn connect(remote: &Remote, credentials: Credentials, limits: Limits) -> Box<dyn Portal> {
    let http = Http::new(credentials, limits);
    match remote.protocol {
        Protocol::OgcApiFeatures => Box::new(OgcApi::new(&remote.url, http)),
        Protocol::WfsT => Box::new(Wfs::new(&remote.url, http)),
    }
}

/// The protocol a portal speaks: an OGC API landing page, else a WFS
/// GetCapabilities document offering Transaction.
pub fn detect(url: &str, credentials: Credentials) -> Result<Protocol> {
    let mut http = Http::new(credentials, Limits::default());
    let ogc = OgcApi::detect(url, &mut http);
    if ogc.is_ok() {
        return Ok(Protocol::OgcApiFeatures);
    }
    match Wfs::detect(url, &mut http) {
        Ok(true) => Ok(Protocol::WfsT),
        Ok(false) => Err(SyncError::Config(format!(
            "{url}: a WFS, but its capabilities offer no Transaction (WFS-T); it can be read, not synced"
        ))),
        Err(wfs) => Err(SyncError::Config(format!(
            "{url}: neither an OGC API – Features landing page ({}) nor a WFS ({wfs})",
            ogc.err().map(|e| e.to_string()).unwrap_or_default()
        ))),
    }
}

/// This session's secret for a remote: from the environment
/// (`TRAMGIS_SYNC_PASSWORD`, `TRAMGIS_SYNC_TOKEN`) or asked for on the
/// terminal; never read from or written to the workspace.
pub fn session_credentials(remote: &Remote) -> Result<Credentials> {
    match &remote.auth {
        Auth::None => Ok(Credentials::None),
        Auth::Basic { user } => {
            let password = secret(
                "TRAMGIS_SYNC_PASSWORD",
                &format!("Mật khẩu của {user} tại {}: ", remote.url),
            )?;
            Ok(Credentials::Basic {
                user: user.clone(),
                password,
            })
        }
        Auth::Bearer => Ok(Credentials::Bearer(secret(
            "TRAMGIS_SYNC_TOKEN",
            &format!("Mã truy cập (token) cho {}: ", remote.url),
        )?)),
    }
}

fn secret(variable: &str, prompt: &str) -> Result<String> {
    if let Ok(value) = std::env::var(variable) {
        return Ok(value);
    }
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(SyncError::Config(format!(
            "the remote needs a secret: set {variable} or run from a terminal to be asked"
        )));
    }
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| SyncError::Config(format!("reading the secret: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
