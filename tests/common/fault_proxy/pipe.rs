//! One connection's two directions for tests/common/fault_proxy.rs:
//! each a pump that reads a source and writes a sink under a direction's
//! rules (delay, rate, byte limit, garbling), with every blocking call
//! bounded in time so that it notices when to stop.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any read waits before its thread looks at the stop flag.
pub(super) const POLL: Duration = Duration::from_millis(50);
/// The longest any write waits before its thread looks at the stop flag.
pub(super) const WRITE_SLICE: Duration = Duration::from_millis(100);
pub(super) const CHUNK: usize = 64 * 1024;
/// Throttled bytes are released in pieces this size, so that a capped
/// link delivers smoothly rather than in 64 KB bursts.
const PIECE: usize = 4 * 1024;

/// Why a connection's thread stops: the proxy stops, or the connection
/// was aborted by the thread of its other direction.
pub(super) struct Halt<'a> {
    pub(super) stop: &'a AtomicBool,
    pub(super) kill: &'a AtomicBool,
}

impl Halt<'_> {
    pub(super) fn is_set(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.kill.load(Ordering::SeqCst)
    }
}

pub(super) fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    // Latency is what this proxy adds on purpose; Nagle's would be extra.
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(WRITE_SLICE))
}

/// Makes closing `stream` send a RST rather than a FIN (SO_LINGER 0;
/// std's `set_linger` is unstable). It takes effect when the last handle
/// to the socket drops; shutdown() must not be called first, as that
/// would send a FIN.
pub(super) fn reset(stream: &TcpStream) {
    #[repr(C)]
    struct Linger {
        onoff: std::ffi::c_int,
        linger: std::ffi::c_int,
    }
    unsafe extern "C" {
        fn setsockopt(
            fd: std::ffi::c_int,
            level: std::ffi::c_int,
            name: std::ffi::c_int,
            value: *const std::ffi::c_void,
            len: u32,
        ) -> std::ffi::c_int;
    }
    // Linux's values (asm-generic/socket.h).
    const SOL_SOCKET: std::ffi::c_int = 1;
    const SO_LINGER: std::ffi::c_int = 13;
    let linger = Linger {
        onoff: 1,
        linger: 0,
    };
    // SAFETY: the descriptor belongs to `stream`, which is alive for the
    // call, and the option value is a `struct linger` that outlives it.
    unsafe {
        setsockopt(
            stream.as_raw_fd(),
            SOL_SOCKET,
            SO_LINGER,
            (&linger as *const Linger).cast(),
            size_of::<Linger>() as u32,
        );
    }
}

/// A byte source a pump reads from: a socket, or a canned answer.
pub(super) trait Source {
    /// Ok(None): nothing came within `wait`; Ok(Some(0)): the end.
    fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<Option<usize>>;
}

/// Where a pump writes: a socket, or nowhere.
pub(super) trait Sink {
    /// Ok(0): nothing could be written within [`WRITE_SLICE`].
    fn write_some(&mut self, buf: &[u8]) -> io::Result<usize>;
}

impl Source for &TcpStream {
    fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<Option<usize>> {
        self.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match self.read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e) if timed_out(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Sink for &TcpStream {
    fn write_some(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.write(buf) {
            Err(e) if timed_out(&e) => Ok(0),
            other => other,
        }
    }
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}

pub(super) struct Discard;

impl Sink for Discard {
    fn write_some(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
}

/// A canned answer: its head, then a body generated as it is read.
#[derive(Clone)]
pub(super) struct Canned {
    head: Vec<u8>,
    sent: usize,
    body_left: u64,
    fill: Vec<u8>,
    fill_at: usize,
}

impl Canned {
    /// `head`, then `body_len` bytes of `fill` over and over (of a space
    /// when `fill` is empty).
    pub(super) fn new(head: Vec<u8>, body_len: u64, fill: Vec<u8>) -> Canned {
        Canned {
            head,
            sent: 0,
            body_left: body_len,
            fill: if fill.is_empty() { b" ".to_vec() } else { fill },
            fill_at: 0,
        }
    }
}

impl Source for Canned {
    fn read_within(&mut self, buf: &mut [u8], _: Duration) -> io::Result<Option<usize>> {
        if self.sent < self.head.len() {
            let n = (self.head.len() - self.sent).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.sent..self.sent + n]);
            self.sent += n;
            return Ok(Some(n));
        }
        let n = buf
            .len()
            .min(usize::try_from(self.body_left).unwrap_or(usize::MAX));
        let mut done = 0;
        while done < n {
            let take = (self.fill.len() - self.fill_at).min(n - done);
            buf[done..done + take].copy_from_slice(&self.fill[self.fill_at..self.fill_at + take]);
            self.fill_at = (self.fill_at + take) % self.fill.len();
            done += take;
        }
        self.body_left -= n as u64;
        Ok(Some(n))
    }
}

/// How a pump treats one direction of one connection.
pub(super) struct Rules {
    pub(super) latency: Duration,
    pub(super) bits_per_s: Option<u64>,
    /// Stop after forwarding this many bytes.
    pub(super) limit: Option<u64>,
    pub(super) garble_after: Option<u64>,
    /// A link shared with other connections: given the time and a piece's
    /// transmit time, when the piece has left it.
    pub(super) link: Option<Box<dyn Fn(Instant, Duration) -> Instant + Send + Sync>>,
}

impl Rules {
    /// How far reading may run ahead of writing: enough to keep a
    /// delayed link full, little enough that the sender feels
    /// backpressure, as it would from a slow network.
    fn read_ahead(&self) -> usize {
        let in_flight = match self.bits_per_s {
            Some(rate) => rate as f64 / 8.0 * (self.latency.as_secs_f64() + 0.1),
            None if self.latency.is_zero() => 0.0,
            // Without a cap, allow some 40 MB/s through the delay.
            None => 40e6 * self.latency.as_secs_f64(),
        };
        (in_flight as usize).clamp(4 * CHUNK, 64 << 20)
    }

    fn transmit_time(&self, bytes: usize, rate: u64) -> Duration {
        Duration::from_nanos((bytes as u128 * 8 * 1_000_000_000 / rate as u128) as u64)
    }
}

pub(super) enum End {
    /// The source ended and all it sent was delivered.
    Eof,
    /// The byte limit was reached and delivered.
    Limit,
    /// A read or write failed (a reset, a closed peer).
    Broken,
    Stopped,
}

/// Copies `src` to `dst` under `rules`: bytes read are queued with the
/// time they may be written (now + latency, later when the rate is
/// capped), and written when due.
pub(super) fn pump(
    src: &mut dyn Source,
    dst: &mut dyn Sink,
    rules: &Rules,
    counter: &AtomicU64,
    halt: &Halt,
) -> End {
    let mut buf = vec![0; CHUNK];
    let mut queue: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    let mut queued = 0;
    let mut link_free = Instant::now();
    let mut taken = 0u64;
    let mut ended = (rules.limit == Some(0)).then_some(End::Limit);
    let read_ahead = rules.read_ahead();
    loop {
        if halt.is_set() {
            return End::Stopped;
        }
        let now = Instant::now();
        while queue.front().is_some_and(|(due, _)| *due <= now) {
            let (_, bytes) = queue.pop_front().unwrap();
            queued -= bytes.len();
            if !deliver(dst, &bytes, counter, halt) {
                return if halt.is_set() {
                    End::Stopped
                } else {
                    End::Broken
                };
            }
        }
        let wait = queue
            .front()
            .map_or(POLL, |(due, _)| due.saturating_duration_since(now))
            .min(POLL);
        if ended.is_some() || queued >= read_ahead {
            if queue.is_empty() {
                return ended.unwrap_or(End::Eof);
            }
            thread::sleep(wait);
            continue;
        }
        let want = rules
            .limit
            .map_or(CHUNK, |l| (l - taken).min(CHUNK as u64) as usize);
        let n = match src.read_within(&mut buf[..want], wait) {
            Ok(None) => continue,
            Ok(Some(0)) => {
                ended = Some(End::Eof);
                continue;
            }
            Ok(Some(n)) => n,
            Err(_) => return End::Broken,
        };
        if let Some(after) = rules.garble_after {
            for (i, b) in buf[..n].iter_mut().enumerate() {
                if taken + i as u64 >= after {
                    *b ^= 0xFF;
                }
            }
        }
        taken += n as u64;
        if rules.limit == Some(taken) {
            ended = Some(End::Limit);
        }
        let now = Instant::now();
        match rules.bits_per_s {
            None => queue.push_back((now + rules.latency, buf[..n].to_vec())),
            Some(rate) => {
                for piece in buf[..n].chunks(PIECE) {
                    let cost = rules.transmit_time(piece.len(), rate);
                    let sent = match &rules.link {
                        Some(shared) => shared(now, cost),
                        None => {
                            link_free = link_free.max(now) + cost;
                            link_free
                        }
                    };
                    queue.push_back((sent + rules.latency, piece.to_vec()));
                }
            }
        }
        queued += n;
    }
}

/// Writes all of `bytes`, a slice at a time so as to notice a halt, and
/// adds them to `counter`; false when it could not.
fn deliver(dst: &mut dyn Sink, mut bytes: &[u8], counter: &AtomicU64, halt: &Halt) -> bool {
    // Counted before they are written, and the unwritten rest taken back
    // after a failure, so that the count never lags what the peer has
    // already received (a test may read it the moment its response ends).
    counter.fetch_add(bytes.len() as u64, Ordering::SeqCst);
    while !bytes.is_empty() {
        let written = if halt.is_set() {
            Err(())
        } else {
            dst.write_some(bytes).map_err(drop)
        };
        match written {
            Ok(n) => bytes = &bytes[n..],
            Err(()) => {
                counter.fetch_sub(bytes.len() as u64, Ordering::SeqCst);
                return false;
            }
        }
    }
    true
}
