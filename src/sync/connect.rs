//! Opening a remote: its protocol client with this session's credentials,
//! and detection of the protocol from what the URL answers.

use super::error::{Result, SyncError};
use super::http::{Credentials, Http, Limits};
use super::keyring;
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
/// (`TRAMGIS_SYNC_PASSWORD`, `TRAMGIS_SYNC_TOKEN`), else from the OS
/// keyring where one runs, else asked for on the terminal; never read from
/// or written to the workspace.
pub fn session_credentials(remote: &Remote) -> Result<Credentials> {
    let Some(variable) = variable(&remote.auth) else {
        return Ok(Credentials::None);
    };
    let secret = match std::env::var(variable) {
        Ok(value) => value,
        Err(_) => match keyring::load(remote) {
            Some(kept) => kept,
            None => ask(remote, false)?,
        },
    };
    Ok(credentials(remote, secret))
}

/// The secret to keep in the keyring for a remote (`sync login`): from the
/// environment, else one line of standard input, asked for on a terminal
/// or read from a pipe (a script's `echo … | tramgis sync login`).
pub fn secret_to_keep(remote: &Remote) -> Result<Option<String>> {
    let Some(variable) = variable(&remote.auth) else {
        return Ok(None);
    };
    match std::env::var(variable) {
        Ok(value) => Ok(Some(value)),
        Err(_) => ask(remote, true).map(Some),
    }
}

/// The credentials a remote's authentication takes with this secret.
pub fn credentials(remote: &Remote, secret: String) -> Credentials {
    match &remote.auth {
        Auth::None => Credentials::None,
        Auth::Basic { user } => Credentials::Basic {
            user: user.clone(),
            password: secret,
        },
        Auth::Bearer => Credentials::Bearer(secret),
    }
}

fn variable(auth: &Auth) -> Option<&'static str> {
    match auth {
        Auth::None => None,
        Auth::Basic { .. } => Some("TRAMGIS_SYNC_PASSWORD"),
        Auth::Bearer => Some("TRAMGIS_SYNC_TOKEN"),
    }
}

/// One line of standard input; without a terminal only when `from_pipe`,
/// so an unattended sync fails with a message instead of waiting.
fn ask(remote: &Remote, from_pipe: bool) -> Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let terminal = std::io::stdin().is_terminal();
    if !terminal && !from_pipe {
        return Err(SyncError::Config(format!(
            "{}: the remote needs a secret: set {}, keep it in the OS keyring with \
             `tramgis sync login`, or run from a terminal to be asked",
            remote.url,
            variable(&remote.auth).unwrap_or_default()
        )));
    }
    if terminal {
        match &remote.auth {
            Auth::Basic { user } => eprint!("Mật khẩu của {user} tại {}: ", remote.url),
            _ => eprint!("Mã truy cập (token) cho {}: ", remote.url),
        }
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| SyncError::Config(format!("reading the secret: {e}")))?;
    let secret = line.trim_end_matches(['\r', '\n']).to_string();
    if secret.is_empty() && !terminal {
        return Err(SyncError::Config(format!(
            "{}: no secret on standard input",
            remote.url
        )));
    }
    Ok(secret)
}
