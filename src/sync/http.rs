//! The HTTP side of a sync: one agent per sync with bounded timeouts, the
//! remote's credentials, a cap on what a response may weigh, and counts of
//! bytes sent and received (the 4 Mbit/s commune link is the budget).
//! Statuses are returned, not trusted: the portal clients read the body.

use std::io::Read;
use std::time::Duration;

use super::error::{Result, SyncError};

/// A secret for a remote, given for this session (from the keyring or
/// asked for); never stored in the workspace.
#[derive(Clone, Default)]
pub enum Credentials {
    #[default]
    None,
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("no credentials"),
            Credentials::Basic { user, .. } => write!(f, "basic ({user}, password hidden)"),
            Credentials::Bearer(_) => f.write_str("bearer (token hidden)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest a request may take from connecting to its last byte.
    pub request: Duration,
    pub connect: Duration,
    /// A response larger than this is refused (a hostile or broken server).
    pub max_response: u64,
    /// Requests in flight at once where a protocol sends one per feature
    /// (OGC API – Features has no batch): on a 200 ms link one at a time
    /// leaves the line idle, and a portal may allow more or fewer.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request: Duration::from_secs(60),
            connect: Duration::from_secs(10),
            max_response: 64 * 1024 * 1024,
            connections: 8,
        }
    }
}

pub struct Response {
    pub url: String,
    pub status: u16,
    pub content_type: String,
    pub location: Option<String>,
    /// The `Content-Crs` header (OGC API – Features Part 2).
    pub content_crs: Option<String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; an HTML error page or junk is a clear error.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| SyncError::BadResponse {
            url: self.url.clone(),
            expected: "JSON",
            detail: format!("{e}; it starts with {}", self.snippet()),
        })
    }

    /// The first words of the body, for an error message.
    pub fn snippet(&self) -> String {
        let text = self.text();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match text.char_indices().nth(120) {
            Some((i, _)) => format!("\"{}…\"", &text[..i]),
            None if text.is_empty() => "nothing".into(),
            None => format!("\"{text}\""),
        }
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// An error for a status outside 2xx, with what the body says.
    pub fn status_error(&self) -> SyncError {
        let message = match self.json() {
            Ok(v) => v
                .get("description")
                .or_else(|| v.get("message"))
                .and_then(|d| d.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| self.snippet()),
            Err(_) => self.snippet(),
        };
        SyncError::Status {
            url: self.url.clone(),
            status: self.status,
            message: match self.status {
                401 => {
                    format!("the portal wants a login (check the remote's credentials); {message}")
                }
                403 => format!("the login may not do this; {message}"),
                _ => message,
            },
        }
    }
}

pub struct Http {
    agent: ureq::Agent,
    credentials: Credentials,
    limits: Limits,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub requests: u64,
}

impl Http {
    pub fn new(credentials: Credentials, limits: Limits) -> Http {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(limits.request))
            .timeout_connect(Some(limits.connect))
            .user_agent(concat!("tramgis/", env!("CARGO_PKG_VERSION")))
            // Every connection in flight stays open for the next request
            // where the server keeps it alive (ureq keeps 3 per host).
            .max_idle_connections(limits.connections.max(1))
            .max_idle_connections_per_host(limits.connections.max(1))
            .build()
            .into();
        Http {
            agent,
            credentials,
            limits,
            bytes_sent: 0,
            bytes_received: 0,
            requests: 0,
        }
    }

    /// Another client on the same agent (its connection pool) and
    /// credentials, with counts of its own, for a worker thread.
    pub fn fork(&self) -> Http {
        Http {
            agent: self.agent.clone(),
            credentials: self.credentials.clone(),
            limits: self.limits.clone(),
            bytes_sent: 0,
            bytes_received: 0,
            requests: 0,
        }
    }

    /// How many requests may be in flight at once (at least one).
    pub fn connections(&self) -> usize {
        self.limits.connections.max(1)
    }

    pub fn add_counts(&mut self, sent: u64, received: u64, requests: u64) {
        self.bytes_sent += sent;
        self.bytes_received += received;
        self.requests += requests;
    }

    pub fn get(&mut self, url: &str, accept: &str) -> Result<Response> {
        self.send("GET", url, &[("Accept", accept)], None)
    }

    /// One request; `body` is sent as is with the headers given.
    pub fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Response> {
        let network = |e: ureq::Error| SyncError::Network {
            url: url.to_string(),
            detail: e.to_string(),
        };
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request = request.header("Accept-Encoding", "gzip");
        match &self.credentials {
            Credentials::None => {}
            Credentials::Basic { user, password } => {
                request = request.header("Authorization", basic(user, password));
            }
            Credentials::Bearer(token) => {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
        }
        self.requests += 1;
        let head_bytes = 64
            + url.len() as u64
            + headers
                .iter()
                .map(|(n, v)| (n.len() + v.len() + 4) as u64)
                .sum::<u64>();
        let body_bytes = body.map_or(0, |b| b.len() as u64);
        self.bytes_sent += head_bytes + body_bytes;
        let request = request
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .map_err(|e| SyncError::Config(format!("{url}: a request that cannot be made: {e}")))?;
        let mut response = self.agent.run(request).map_err(network)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let content_crs = header("content-crs");
        let gzipped = header("content-encoding").is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
        let mut wire = Vec::new();
        let limit = self.limits.max_response;
        let mut reader = response.body_mut().as_reader();
        let read = (&mut reader).take(limit + 1).read_to_end(&mut wire);
        // What crossed the wire, compressed: the cost on a commune's line.
        self.bytes_received += wire.len() as u64 + 200;
        read.map_err(|e| SyncError::Network {
            url: url.to_string(),
            detail: format!("the answer was cut off after {} bytes ({e})", wire.len()),
        })?;
        // Decoded here rather than by the HTTP client: pygeoapi (gzip: true)
        // labels even an empty answer gzip, which is no gzip stream.
        let body = if gzipped && !wire.is_empty() {
            let mut body = Vec::new();
            flate2::read::GzDecoder::new(wire.as_slice())
                .take(limit + 1)
                .read_to_end(&mut body)
                .map_err(|e| SyncError::Network {
                    url: url.to_string(),
                    detail: format!(
                        "the gzip answer of {} bytes does not decode ({e})",
                        wire.len()
                    ),
                })?;
            body
        } else {
            wire
        };
        if body.len() as u64 > limit {
            return Err(SyncError::BadResponse {
                url: url.to_string(),
                expected: "answer of a sensible size",
                detail: format!("it is larger than {} MB; refused", limit / 1_000_000),
            });
        }
        Ok(Response {
            url: url.to_string(),
            status,
            content_type,
            location,
            content_crs,
            body,
        })
    }
}

/// Answers of `count` requests made over up to `http.connections()`
/// connections at once, in order; the counts of bytes and requests go to
/// `http`. A worker stops at a transient error (the link is down); the
/// requests it then did not make make the whole an error.
pub fn parallel<T: Send>(
    http: &mut Http,
    count: usize,
    request: impl Fn(&mut Http, usize) -> Result<T> + Sync,
) -> Result<Vec<Result<T>>> {
    let workers = http.connections().min(count).max(1);
    let mut slots: Vec<Option<Result<T>>> = (0..count).map(|_| None).collect();
    let mut totals = (0, 0, 0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mut http = http.fork();
                let request = &request;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    let mut i = w;
                    while i < count {
                        let r = request(&mut http, i);
                        let failed = matches!(r, Err(ref e) if e.is_transient());
                        out.push((i, r));
                        if failed {
                            break;
                        }
                        i += workers;
                    }
                    (out, http.bytes_sent, http.bytes_received, http.requests)
                })
            })
            .collect();
        for h in handles {
            let (out, s, r, n) = h.join().expect("a sync worker does not panic");
            for (i, v) in out {
                slots[i] = Some(v);
            }
            totals.0 += s;
            totals.1 += r;
            totals.2 += n;
        }
    });
    http.add_counts(totals.0, totals.1, totals.2);
    if let Some(err) = slots.iter().position(Option::is_none) {
        // A worker stopped at a transient error: report it, not a gap.
        let first = slots
            .iter_mut()
            .filter_map(Option::take)
            .find_map(|r| r.err().filter(SyncError::is_transient));
        return Err(first.unwrap_or(SyncError::Network {
            url: String::new(),
            detail: format!("request {err} was not made"),
        }));
    }
    Ok(slots.into_iter().map(|s| s.expect("filled")).collect())
}

fn basic(user: &str, password: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}");
    let bytes = input.as_bytes();
    let mut out = String::from("Basic ");
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_auth_is_base64_of_user_colon_password() {
        assert_eq!(
            super::basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(super::basic("ab", "c"), "Basic YWI6Yw==");
    }
}
