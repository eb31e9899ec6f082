//! A remote's secret (HTTP Basic password or bearer token) in the OS
//! keyring: the freedesktop Secret Service (GNOME Keyring, KWallet,
//! KeePassXC) over the D-Bus session bus, where one runs. Nothing of it is
//! ever written to the workspace. Where no keyring answers, [`load`] gives
//! `None` and the caller asks for the secret as before.
//!
//! An entry is found by the server, not by the workspace's name for it:
//! attributes `application=tramgis`, `url`, `kind` (`password`/`token`)
//! and, for Basic, `user`. Two workspaces syncing with the same portal as
//! the same user share one entry, and `secret-tool lookup application
//! tramgis url … user …` reads it back.
//!
//! Each call talks to D-Bus on a thread of its own and waits at most
//! [`ANSWER`] for the service, so a session without a bus, a bus without
//! a Secret Service or a wedged daemon costs two seconds at most; only an
//! unlock prompt shown to the user is waited for longer ([`PROMPT`]). Call
//! these from a job, not the UI thread.

use std::time::Duration;

use super::remote::{Auth, Remote};

/// The longest the Secret Service may take to answer a step.
pub const ANSWER: Duration = Duration::from_secs(2);
/// The longest a prompt to unlock the keyring may stay open.
pub const PROMPT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// No keyring to use: no session bus, no Secret Service, no answer.
    #[error("no OS keyring is available ({0}); the secret will be asked for each session")]
    Unavailable(String),
    /// The keyring answered but did not do it (a dismissed unlock prompt).
    #[error("the OS keyring refused: {0}")]
    Refused(String),
    #[error("remote {0} needs no password or token")]
    NoSecret(String),
}

pub type Result<T, E = KeyringError> = std::result::Result<T, E>;

/// Whether a Secret Service answers on this session's bus.
pub fn available() -> bool {
    os::available()
}

/// The remote's secret kept in the keyring, if a keyring runs and has one.
/// Quiet by design: any failure is `None`, and the caller asks instead.
pub fn load(remote: &Remote) -> Option<String> {
    os::load(&Entry::of(remote)?)
}

/// Keeps `secret` for the remote, replacing one kept before.
pub fn store(remote: &Remote, secret: &str) -> Result<()> {
    let entry = Entry::of(remote).ok_or_else(|| KeyringError::NoSecret(remote.url.clone()))?;
    os::store(&entry, secret)
}

/// Deletes the remote's secret; whether there was one.
pub fn forget(remote: &Remote) -> Result<bool> {
    match Entry::of(remote) {
        Some(entry) => os::forget(&entry),
        None => Ok(false),
    }
}

/// What identifies a remote's secret in the keyring, and how it is shown
/// there (Seahorse, KWallet's manager).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct Entry {
    attributes: Vec<(&'static str, String)>,
    label: String,
}

impl Entry {
    fn of(remote: &Remote) -> Option<Entry> {
        let url = remote.url.clone();
        let mut attributes = vec![("application", "tramgis".to_string())];
        let label = match &remote.auth {
            Auth::None => return None,
            Auth::Basic { user } => {
                attributes.push(("kind", "password".into()));
                attributes.push(("user", user.clone()));
                format!("tramgis: mật khẩu của {user} tại {url} (sync password)")
            }
            Auth::Bearer => {
                attributes.push(("kind", "token".into()));
                format!("tramgis: mã truy cập cho {url} (sync token)")
            }
        };
        attributes.push(("url", url));
        Some(Entry { attributes, label })
    }
}

#[cfg(target_os = "linux")]
mod os {
    use std::collections::HashMap;
    use std::sync::mpsc;

    use secret_service::blocking::SecretService;
    use secret_service::{EncryptionType, Error};

    use super::{ANSWER, Entry, KeyringError, PROMPT, Result};

    enum Step<T> {
        Connected,
        Prompting,
        Done(std::result::Result<T, String>),
        Failed(String),
    }

    /// Runs `work` against the Secret Service on a thread of its own,
    /// within [`ANSWER`] per step (a prompt within [`PROMPT`]). A thread
    /// stuck on a silent daemon is left behind; it holds nothing of ours.
    fn with_service<T, W>(work: W) -> Result<T>
    where
        T: Send + 'static,
        W: FnOnce(&SecretService, &dyn Fn()) -> std::result::Result<T, Error> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("keyring".into())
            .spawn(move || {
                // Dh: the secret crosses the bus encrypted, not in clear.
                let service = match SecretService::connect(EncryptionType::Dh) {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Step::Failed(e.to_string()));
                        return;
                    }
                };
                let _ = tx.send(Step::Connected);
                let prompting = {
                    let tx = tx.clone();
                    move || {
                        let _ = tx.send(Step::Prompting);
                    }
                };
                let done = work(&service, &prompting).map_err(|e| describe(&e));
                let _ = tx.send(Step::Done(done));
            });
        if let Err(e) = spawned {
            return Err(KeyringError::Unavailable(format!(
                "no thread for D-Bus: {e}"
            )));
        }
        let mut wait = ANSWER;
        loop {
            match rx.recv_timeout(wait) {
                Ok(Step::Connected) => wait = ANSWER,
                Ok(Step::Prompting) => wait = PROMPT,
                Ok(Step::Done(done)) => return done.map_err(KeyringError::Refused),
                Ok(Step::Failed(why)) => return Err(KeyringError::Unavailable(why)),
                Err(_) => {
                    return Err(KeyringError::Unavailable(format!(
                        "the Secret Service did not answer within {} s",
                        wait.as_secs()
                    )));
                }
            }
        }
    }

    fn describe(e: &Error) -> String {
        match e {
            Error::Prompt => "the unlock prompt was dismissed".into(),
            Error::NoResult => "the Secret Service has no keyring to keep it in".into(),
            other => other.to_string(),
        }
    }

    pub fn available() -> bool {
        with_service(|_, _| Ok(())).is_ok()
    }

    pub fn load(entry: &Entry) -> Option<String> {
        let wanted = owned(entry);
        let secret = with_service(move |service, prompting| {
            let found = service.search_items(borrowed(&wanted))?;
            if let Some(item) = found.unlocked.first() {
                return item.get_secret().map(Some);
            }
            match found.locked.first() {
                Some(item) => {
                    prompting();
                    item.unlock()?;
                    item.get_secret().map(Some)
                }
                None => Ok(None),
            }
        });
        String::from_utf8(secret.ok()??).ok()
    }

    pub fn store(entry: &Entry, secret: &str) -> Result<()> {
        let wanted = owned(entry);
        let label = entry.label.clone();
        let secret = secret.as_bytes().to_vec();
        with_service(move |service, prompting| {
            let collection = service.get_any_collection()?;
            if collection.is_locked()? {
                prompting();
                collection.unlock()?;
            }
            // replace: a secret kept before for the same server and user
            // is overwritten, not kept beside the new one.
            collection.create_item(&label, borrowed(&wanted), &secret, true, "text/plain")?;
            Ok(())
        })
    }

    pub fn forget(entry: &Entry) -> Result<bool> {
        let wanted = owned(entry);
        with_service(move |service, prompting| {
            let found = service.search_items(borrowed(&wanted))?;
            if !found.locked.is_empty() {
                prompting();
            }
            let any = !(found.unlocked.is_empty() && found.locked.is_empty());
            for item in found.locked.iter().chain(&found.unlocked) {
                if item.is_locked()? {
                    item.unlock()?;
                }
                item.delete()?;
            }
            Ok(any)
        })
    }

    // The worker thread needs owned attributes; the API wants &str maps.
    fn owned(entry: &Entry) -> HashMap<String, String> {
        entry
            .attributes
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn borrowed(map: &HashMap<String, String>) -> HashMap<&str, &str> {
        map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
}

/// Elsewhere (the Windows build) there is no keyring: the secret is asked
/// for each session.
#[cfg(not(target_os = "linux"))]
mod os {
    use super::{Entry, KeyringError, Result};

    const WHY: &str = "this build keeps no secrets; only the Linux build uses the Secret Service";

    pub fn available() -> bool {
        false
    }

    pub fn load(_: &Entry) -> Option<String> {
        None
    }

    pub fn store(_: &Entry, _: &str) -> Result<()> {
        Err(KeyringError::Unavailable(WHY.into()))
    }

    pub fn forget(_: &Entry) -> Result<bool> {
        Ok(false)
    }
}
