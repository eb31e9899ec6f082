//! A fault-injecting TCP proxy on loopback, put between the sync client and
//! the real servers (issue 11): latency, a bandwidth cap, connections cut
//! or reset mid-request or mid-response, a server that never answers, a
//! garbled or truncated response, or a canned answer (a 503 page, a 401,
//! an endless body) in place of the server's. The kernel here has no
//! netem and toxiproxy is not packaged (SYNC-SERVERS.md section 5), so it
//! is written on std threads.
//!
//! Every blocking read or write has a timeout (50 ms or 100 ms, see
//! pipe.rs), after which the thread checks whether the proxy is
//! stopping, so dropping a [`FaultProxy`] returns within a fraction of a
//! second even with clients still connected, and no thread outlives it.
//!
//! Faults are decided per connection, when it is accepted, and byte
//! counts are per connection: a keep-alive client's later requests on the
//! same connection count on. Schedules ([`Fault::Once`], [`Fault::First`],
//! [`Fault::EveryNth`]) count connections, not requests; pygeoapi
//! (gunicorn) answers `Connection: close`, so there the two are the same.

#![allow(dead_code)]

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use pipe::{CHUNK, Canned, Discard, End, Halt, POLL, Rules, Source, configure, pump, reset};

mod pipe;

/// How long a canned answer waits for the request's head before it
/// answers anyway.
const HEAD_WAIT: Duration = Duration::from_secs(2);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What the proxy does to a connection. Set with [`FaultProxy::set`];
/// it applies to connections accepted from then on.
#[derive(Clone, Debug, Default)]
pub enum Fault {
    /// Forward both ways untouched.
    #[default]
    None,
    /// Every byte, both ways, reaches the other side this much later (a
    /// delay line: throughput is kept, so a request and its response take
    /// twice this longer in all, plus the server's time). The TCP
    /// handshake with the proxy is not delayed.
    Latency(Duration),
    /// Each direction of each connection is a link of `bits_per_s` (bytes
    /// released at that pace, no burst), then delayed by `latency` as in
    /// [`Fault::Latency`]: 4 Mbit/s moves 500 KB in about 1 s.
    Throttle { bits_per_s: u64, latency: Duration },
    /// One link shared by every connection accepted while it is set (a
    /// commune's 4 Mbit/s line, whatever number of connections a client
    /// opens): each direction releases `bits_per_s` in all, then delays by
    /// `latency`. Made by [`Fault::link`].
    Link {
        bits_per_s: u64,
        latency: Duration,
        clocks: Arc<LinkClocks>,
    },
    /// Forward this many client-to-server bytes, then reset both sides
    /// (RST): the request is dropped midway and no response comes.
    CutUpAfter(u64),
    /// Forward this many server-to-client bytes, then reset both sides
    /// (RST): the response breaks off with a connection-reset error. The
    /// proxy sends exactly this many; on loopback the client receives
    /// them unless its receive window was full.
    CutDownAfter(u64),
    /// Accept, then reset at once (SO_LINGER 0), without contacting the
    /// server: the client's write or read fails with a connection reset.
    Reset,
    /// Accept and read whatever the client sends, but never answer and
    /// never close: the client waits until its own timeout. The server is
    /// not contacted.
    BlackHole,
    /// Every response byte from offset `after` on (counted per
    /// connection, the status line and headers included) is inverted (XOR
    /// 0xFF): the length is kept, the content is garbage.
    Garble { after: u64 },
    /// Forward this many response bytes, then close the client's side
    /// cleanly (FIN): the client sees a body shorter than announced.
    Truncate { after: u64 },
    /// Do not contact the server: once the request's head has arrived,
    /// answer these raw bytes (a whole HTTP response; see
    /// [`Fault::respond`]) and close (FIN).
    Respond(Vec<u8>),
    /// Like [`Fault::Respond`] with `head` (status line and headers,
    /// ending in an empty line), followed by a body of `body_len` bytes
    /// of `fill` repeated, generated as it is sent, so that 200 MB of `[`
    /// costs no memory.
    RespondStream {
        head: Vec<u8>,
        body_len: u64,
        fill: Vec<u8>,
    },
    /// `fault` on the `nth` connection (0-based) accepted since this was
    /// set; the others pass through.
    Once { nth: usize, fault: Box<Fault> },
    /// `fault` on the first `n` connections accepted since this was set,
    /// then pass through (a server that fails twice, then recovers).
    First { n: usize, fault: Box<Fault> },
    /// `fault` on every `n`th connection since this was set: with n = 3,
    /// the 3rd, 6th, 9th...; the others pass through.
    EveryNth { n: usize, fault: Box<Fault> },
    /// All of these on the same connection, in order (a later one wins
    /// where two set the same thing; of two byte limits the lower wins):
    /// e.g. a throttled link that is then cut mid-response.
    All(Vec<Fault>),
}

impl Fault {
    /// A whole HTTP/1.1 response with `Content-Length` and
    /// `Connection: close`, for [`Fault::Respond`].
    /// A shared link of `bits_per_s` each way, `latency` each way.
    pub fn link(bits_per_s: u64, latency: Duration) -> Fault {
        Fault::Link {
            bits_per_s: bits_per_s.max(1),
            latency,
            clocks: Arc::new(LinkClocks::default()),
        }
    }

    pub fn respond(status: u16, content_type: &str, body: &[u8]) -> Fault {
        let mut bytes = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            reason(status),
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        Fault::Respond(bytes)
    }

    /// [`Fault::Once`] without the boxing.
    pub fn once(nth: usize, fault: Fault) -> Fault {
        Fault::Once {
            nth,
            fault: Box::new(fault),
        }
    }

    /// [`Fault::First`] without the boxing.
    pub fn first(n: usize, fault: Fault) -> Fault {
        Fault::First {
            n,
            fault: Box::new(fault),
        }
    }

    /// [`Fault::EveryNth`] without the boxing.
    pub fn every_nth(n: usize, fault: Fault) -> Fault {
        Fault::EveryNth {
            n,
            fault: Box::new(fault),
        }
    }

    /// Adds what this fault does to the `k`th connection since it was set
    /// to `plan`.
    fn apply(&self, plan: &mut Plan, k: usize) {
        match self {
            Fault::None => {}
            Fault::Latency(d) => plan.latency = *d,
            Fault::Throttle {
                bits_per_s,
                latency,
            } => {
                plan.bits_per_s = Some((*bits_per_s).max(1));
                plan.latency = *latency;
            }
            Fault::Link {
                bits_per_s,
                latency,
                clocks,
            } => {
                plan.bits_per_s = Some(*bits_per_s);
                plan.latency = *latency;
                plan.link = Some(Arc::clone(clocks));
            }
            Fault::CutUpAfter(n) => plan.up_limit = lower(plan.up_limit, *n),
            Fault::CutDownAfter(n) => plan.limit_down(*n, Close::Reset),
            Fault::Reset => plan.answer = Answer::Reset,
            Fault::BlackHole => plan.answer = Answer::Silence,
            Fault::Garble { after } => plan.garble_after = Some(*after),
            Fault::Truncate { after } => plan.limit_down(*after, Close::Fin),
            Fault::Respond(bytes) => plan.answer = Answer::canned(bytes.clone(), 0, Vec::new()),
            Fault::RespondStream {
                head,
                body_len,
                fill,
            } => plan.answer = Answer::canned(head.clone(), *body_len, fill.clone()),
            Fault::Once { nth, fault } if k == *nth => fault.apply(plan, k),
            Fault::First { n, fault } if k < *n => fault.apply(plan, k),
            Fault::EveryNth { n, fault } if *n > 0 && (k + 1).is_multiple_of(*n) => {
                fault.apply(plan, k)
            }
            Fault::Once { .. } | Fault::First { .. } | Fault::EveryNth { .. } => {}
            Fault::All(faults) => faults.iter().for_each(|f| f.apply(plan, k)),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn lower(limit: Option<u64>, n: u64) -> Option<u64> {
    Some(limit.map_or(n, |l| l.min(n)))
}

/// What one connection gets, worked out from the fault when it is
/// accepted.
#[derive(Default)]
struct Plan {
    latency: Duration,
    bits_per_s: Option<u64>,
    up_limit: Option<u64>,
    down_limit: Option<(u64, Close)>,
    garble_after: Option<u64>,
    answer: Answer,
    link: Option<Arc<LinkClocks>>,
}

/// When each direction of a shared link is next free.
#[derive(Debug, Default)]
pub struct LinkClocks {
    up: Mutex<Option<Instant>>,
    down: Mutex<Option<Instant>>,
}

impl Plan {
    fn limit_down(&mut self, n: u64, close: Close) {
        if self.down_limit.is_none_or(|(l, _)| n <= l) {
            self.down_limit = Some((n, close));
        }
    }

    fn rules(&self, limit: Option<u64>, garble_after: Option<u64>, up: bool) -> Rules {
        Rules {
            latency: self.latency,
            bits_per_s: self.bits_per_s,
            limit,
            garble_after,
            link: self.link.as_ref().map(|c| {
                let clocks = Arc::clone(c);
                Box::new(move |now: Instant, cost: Duration| {
                    let clock = if up { &clocks.up } else { &clocks.down };
                    let mut free = lock(clock);
                    let next = free.map_or(now, |f| f.max(now)) + cost;
                    *free = Some(next);
                    next
                }) as Box<dyn Fn(Instant, Duration) -> Instant + Send + Sync>
            }),
        }
    }
}

#[derive(Clone, Copy)]
enum Close {
    Reset,
    Fin,
}

#[derive(Default)]
enum Answer {
    #[default]
    Upstream,
    Reset,
    Silence,
    Canned(Canned),
}

impl Answer {
    fn canned(head: Vec<u8>, body_len: u64, fill: Vec<u8>) -> Answer {
        Answer::Canned(Canned::new(head, body_len, fill))
    }
}

/// The proxy; dropping it stops it and joins all its threads.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    listener: Option<JoinHandle<()>>,
}

struct Shared {
    upstream: Mutex<SocketAddr>,
    stop: AtomicBool,
    /// The fault, and how many connections were accepted since it was set.
    fault: Mutex<(Fault, usize)>,
    connections: AtomicUsize,
    upstream_connections: AtomicUsize,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// A panicking test thread must not make every later lock panic too.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl FaultProxy {
    /// A proxy to `upstream` on 127.0.0.1 and a free port, passing
    /// everything through until [`FaultProxy::set`] says otherwise.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the fault proxy binds on loopback");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            stop: AtomicBool::new(false),
            fault: Mutex::new((Fault::None, 0)),
            connections: AtomicUsize::new(0),
            upstream_connections: AtomicUsize::new(0),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            threads: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        let listener = thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || accept(listener, &accepting))
            .expect("the fault proxy starts its thread");
        FaultProxy {
            addr,
            shared,
            listener: Some(listener),
        }
    }

    /// A proxy to the server of `url` (`http://host:port/...`).
    pub fn in_front_of(url: &str) -> FaultProxy {
        FaultProxy::start(authority_addr(url))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `url` with its scheme and authority replaced by the proxy's, so
    /// that `http://127.0.0.1:5000/collections/bts` goes through it. Links
    /// the server writes itself (pygeoapi's `Location` and `links`, from
    /// its configured `server.url`) still name the server.
    pub fn proxied(&self, url: &str) -> String {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let path = rest.find('/').map_or("", |i| &rest[i..]);
        format!("{}{path}", self.url())
    }

    /// Applies `fault` to connections accepted from now on (connections
    /// already open keep theirs), and restarts the count that
    /// [`Fault::Once`] and the other schedules go by. The fault is chosen
    /// when the proxy accepts, which may be just after the client's
    /// connect() returned: wait on [`FaultProxy::connections`] before
    /// changing faults between connections of concurrent clients.
    pub fn set(&self, fault: Fault) {
        *lock(&self.shared.fault) = (fault, 0);
    }

    /// Sends connections accepted from now on to another server.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.shared.upstream) = upstream;
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Connections the proxy opened to the server so far (canned answers,
    /// resets and black holes open none).
    pub fn upstream_connections(&self) -> usize {
        self.shared.upstream_connections.load(Ordering::SeqCst)
    }

    /// Client-to-server bytes forwarded so far (those a canned answer or
    /// black hole swallowed included); never behind what the server has
    /// received.
    pub fn bytes_up(&self) -> u64 {
        self.shared.bytes_up.load(Ordering::SeqCst)
    }

    /// Server-to-client bytes forwarded so far (canned answers included);
    /// never behind what the clients have received.
    pub fn bytes_down(&self) -> u64 {
        self.shared.bytes_down.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // The accepting thread blocks in accept(); a connection of our own
        // wakes it to see the flag. Were that to fail, joining it could
        // hang, so it is left to die with the process instead.
        let woke = TcpStream::connect_timeout(&self.addr, CONNECT_TIMEOUT).is_ok();
        if let Some(listener) = self.listener.take()
            && woke
        {
            let _ = listener.join();
        }
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for t in threads {
            let _ = t.join();
        }
    }
}

fn authority_addr(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| panic!("no host:port in {url:?}"))
}

fn accept(listener: TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else {
            // Out of descriptors, say: let some connections finish.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let plan = {
            let mut fault = lock(&shared.fault);
            let mut plan = Plan::default();
            fault.0.apply(&mut plan, fault.1);
            fault.1 += 1;
            plan
        };
        shared.connections.fetch_add(1, Ordering::SeqCst);
        let serving = Arc::clone(shared);
        let Ok(t) = thread::Builder::new()
            .name("fault-proxy-conn".into())
            .spawn(move || serve(client, plan, &serving))
        else {
            continue;
        };
        let mut threads = lock(&shared.threads);
        threads.retain(|t| !t.is_finished());
        threads.push(t);
    }
}

fn serve(client: TcpStream, plan: Plan, shared: &Shared) {
    let kill = AtomicBool::new(false);
    let halt = Halt {
        stop: &shared.stop,
        kill: &kill,
    };
    if configure(&client).is_err() {
        return;
    }
    let mut upstream = None;
    let mut canned = None;
    match plan.answer {
        Answer::Reset => return reset(&client),
        Answer::Upstream => {
            let to = *lock(&shared.upstream);
            // A server that is down looks, to the client, like a proxy
            // that closes at once.
            let Ok(server) = TcpStream::connect_timeout(&to, CONNECT_TIMEOUT) else {
                return;
            };
            shared.upstream_connections.fetch_add(1, Ordering::SeqCst);
            if configure(&server).is_err() {
                return;
            }
            upstream = Some(server);
        }
        Answer::Canned(ref c) => {
            if !await_head(&client, shared, &halt) {
                return;
            }
            canned = Some(c.clone());
        }
        Answer::Silence => {}
    }
    let up = plan.rules(plan.up_limit, None, true);
    let down = plan.rules(plan.down_limit.map(|(n, _)| n), plan.garble_after, false);
    let close = plan.down_limit.map_or(Close::Fin, |(_, c)| c);
    let (client, upstream) = (&client, upstream.as_ref());
    let abort = || {
        kill.store(true, Ordering::SeqCst);
        reset(client);
        if let Some(server) = upstream {
            reset(server);
        }
    };
    thread::scope(|s| {
        let answering = upstream.is_some() || canned.is_some();
        if answering {
            s.spawn(|| {
                let mut to_client = client;
                let end = match (upstream, canned.as_mut()) {
                    (Some(mut server), _) => pump(
                        &mut server,
                        &mut to_client,
                        &down,
                        &shared.bytes_down,
                        &halt,
                    ),
                    (None, Some(canned)) => {
                        pump(canned, &mut to_client, &down, &shared.bytes_down, &halt)
                    }
                    (None, None) => unreachable!(),
                };
                match (end, close) {
                    (End::Eof, _) | (End::Limit, Close::Fin) => {
                        let _ = client.shutdown(Shutdown::Write);
                    }
                    (End::Limit, Close::Reset) | (End::Broken, _) => abort(),
                    (End::Stopped, _) => {}
                }
            });
        }
        let mut from_client = client;
        let end = match upstream {
            Some(mut server) => pump(&mut from_client, &mut server, &up, &shared.bytes_up, &halt),
            None => pump(&mut from_client, &mut Discard, &up, &shared.bytes_up, &halt),
        };
        match end {
            // The client is done sending; the response may still come.
            End::Eof => {
                if let Some(server) = upstream {
                    let _ = server.shutdown(Shutdown::Write);
                }
            }
            End::Limit | End::Broken => abort(),
            End::Stopped => {}
        }
    });
    // Dropping the sockets here closes them: with a FIN, or with a RST
    // where abort() set SO_LINGER to 0.
}

/// Reads the client's request head (up to the empty line, 64 KB or
/// [`HEAD_WAIT`]) before a canned answer, as a server would; false when the
/// client went away first.
fn await_head(mut client: &TcpStream, shared: &Shared, halt: &Halt) -> bool {
    let deadline = Instant::now() + HEAD_WAIT;
    let mut head = Vec::new();
    let mut buf = [0; 4096];
    while Instant::now() < deadline && head.len() < CHUNK && !halt.is_set() {
        match client.read_within(&mut buf, POLL) {
            Ok(Some(0)) | Err(_) => return false,
            Ok(Some(n)) => {
                shared.bytes_up.fetch_add(n as u64, Ordering::SeqCst);
                head.extend_from_slice(&buf[..n]);
                if head.windows(4).any(|w| w == b"\r\n\r\n") {
                    return true;
                }
            }
            Ok(None) => {}
        }
    }
    !halt.is_set()
}
