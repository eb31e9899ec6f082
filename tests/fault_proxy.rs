//! The fault proxy the sync tests put in front of the real servers
//! (tests/common/fault_proxy.rs) does what each fault says, proven
//! against a small HTTP server here that answers a known body.

mod common;

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::fault_proxy::{Fault, FaultProxy};

const GET: &[u8] = b"GET /data HTTP/1.1\r\nHost: upstream\r\nConnection: close\r\n\r\n";

/// Bytes no two offsets of which repeat at a short period, so that a
/// shifted or garbled copy cannot pass for the original.
fn body(len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
        .collect()
}

/// One connection at a time: reads the request (its head and a
/// Content-Length body), notes how many bytes it got, answers 200 with
/// `body` and closes.
struct Upstream {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<usize>>>,
    thread: Option<JoinHandle<()>>,
}

impl Upstream {
    fn start(body: Vec<u8>) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (stopping, noting) = (Arc::clone(&stop), Arc::clone(&received));
        let thread = thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut conn) = conn else { continue };
                let (got, whole) = read_request(&mut conn);
                noting.lock().unwrap().push(got);
                if whole {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = conn.write_all(head.as_bytes());
                    let _ = conn.write_all(&body);
                }
            }
        });
        Upstream {
            addr,
            stop,
            received,
            thread: Some(thread),
        }
    }

    /// The bytes of each request it was sent, waiting up to 2 s for
    /// `count` of them.
    fn received(&self, count: usize) -> Vec<usize> {
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.received.lock().unwrap().len() < count && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if TcpStream::connect(self.addr).is_ok() {
            let _ = self.thread.take().unwrap().join();
        }
    }
}

/// Reads a request; returns the bytes read and whether it was whole.
fn read_request(conn: &mut TcpStream) -> (usize, bool) {
    conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    conn.set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 8192];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if got.len() >= end + 4 + length {
                return (got.len(), true);
            }
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return (got.len(), false),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn setup(len: usize) -> (Upstream, FaultProxy, Vec<u8>) {
    let upstream = Upstream::start(body(len));
    let proxy = FaultProxy::start(upstream.addr);
    (upstream, proxy, body(len))
}

/// Sends `request` and reads until the end or an error (a 5 s read
/// timeout at most); returns what came and the error.
fn exchange(addr: SocketAddr, request: &[u8]) -> (Vec<u8>, Option<io::Error>) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    if let Err(e) = conn.write_all(request) {
        return (Vec::new(), Some(e));
    }
    let mut got = Vec::new();
    let mut buf = [0; 65536];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Some(e)),
        }
    }
}

/// A whole response to GET: its head and body.
fn get(addr: SocketAddr) -> (String, Vec<u8>) {
    let (got, err) = exchange(addr, GET);
    assert!(err.is_none(), "{err:?}");
    split(&got)
}

fn split(response: &[u8]) -> (String, Vec<u8>) {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {} bytes", response.len()));
    (
        String::from_utf8_lossy(&response[..end]).into_owned(),
        response[end + 4..].to_vec(),
    )
}

/// Waits up to 2 s for `done`.
fn until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !done() {
        assert!(Instant::now() < deadline, "still not so after 2 s");
        thread::sleep(Duration::from_millis(10));
    }
}

fn status(head: &str) -> &str {
    head.lines().next().unwrap_or("")
}

#[test]
fn passing_through_gives_the_upstream_response_and_counts_it() {
    let (upstream, proxy, expected) = setup(300_000);
    let (direct, _) = exchange(upstream.addr, GET);
    let (via, err) = exchange(proxy.addr(), GET);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(via.len(), direct.len());
    assert!(
        via == direct,
        "the proxied response differs from the direct one"
    );
    assert_eq!(split(&via).1, expected);
    assert_eq!(proxy.connections(), 1);
    assert_eq!(proxy.upstream_connections(), 1);
    assert_eq!(proxy.bytes_up(), GET.len() as u64);
    assert_eq!(proxy.bytes_down(), via.len() as u64);
    assert_eq!(upstream.received(2), vec![GET.len(); 2]);
}

#[test]
fn a_4_mbit_link_with_100_ms_latency_takes_its_time() {
    let (_upstream, proxy, expected) = setup(500_000);
    proxy.set(Fault::Throttle {
        bits_per_s: 4_000_000,
        latency: Duration::from_millis(100),
    });
    let started = Instant::now();
    let (head, body) = get(proxy.addr());
    let took = started.elapsed();
    assert_eq!(status(&head), "HTTP/1.1 200 OK");
    assert!(body == expected, "the throttled body differs");
    // 4 Mbit at 4 Mbit/s is 1 s, and the request and the response are
    // each 100 ms late; a loaded machine may add, never take away.
    assert!(took >= Duration::from_millis(1150), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn a_shared_link_is_shared_by_parallel_connections() {
    let (_upstream, proxy, expected) = setup(250_000);
    proxy.set(Fault::link(4_000_000, Duration::from_millis(50)));
    let started = Instant::now();
    let addr = proxy.addr();
    let bodies: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(move || get(addr).1)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let took = started.elapsed();
    assert!(bodies.iter().all(|b| *b == expected), "a body differs");
    // Four times 2 Mbit over one 4 Mbit/s link is 2 s; four links of
    // their own would take 0.5 s.
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn latency_delays_each_way_but_keeps_the_throughput() {
    let (_upstream, proxy, expected) = setup(2_000_000);
    proxy.set(Fault::Latency(Duration::from_millis(150)));
    let started = Instant::now();
    let (_, body) = get(proxy.addr());
    let took = started.elapsed();
    assert!(body == expected, "the delayed body differs");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // 2 MB, were each chunk delayed in turn rather than all in flight,
    // would take 30 x 150 ms.
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn cut_down_after_resets_mid_response() {
    let (upstream, proxy, _) = setup(300_000);
    let (full, _) = exchange(upstream.addr, GET);
    proxy.set(Fault::CutDownAfter(10_000));
    let (got, err) = exchange(proxy.addr(), GET);
    assert!(got.len() <= 10_000, "{} bytes", got.len());
    assert_eq!(got[..], full[..got.len()]);
    assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::ConnectionReset));
    assert_eq!(proxy.bytes_down(), 10_000);
}

#[test]
fn truncate_closes_cleanly_after_so_many_bytes() {
    let (upstream, proxy, _) = setup(300_000);
    let (full, _) = exchange(upstream.addr, GET);
    proxy.set(Fault::Truncate { after: 10_000 });
    let (got, err) = exchange(proxy.addr(), GET);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 10_000);
    assert_eq!(got[..], full[..10_000]);
}

#[test]
fn cut_up_after_drops_the_request_midway() {
    let (upstream, proxy, _) = setup(1_000);
    proxy.set(Fault::CutUpAfter(1_000));
    let mut post =
        b"POST /data HTTP/1.1\r\nHost: upstream\r\nContent-Length: 50000\r\n\r\n".to_vec();
    post.extend(body(50_000));
    let (got, err) = exchange(proxy.addr(), &post);
    assert!(got.is_empty(), "a response of {} bytes came", got.len());
    assert!(
        matches!(
            err.as_ref().map(|e| e.kind()),
            Some(ErrorKind::ConnectionReset | ErrorKind::BrokenPipe)
        ),
        "{err:?}"
    );
    assert_eq!(upstream.received(1), vec![1_000]);
    assert_eq!(proxy.bytes_up(), 1_000);
}

#[test]
fn reset_resets_without_asking_the_server() {
    let (upstream, proxy, _) = setup(1_000);
    proxy.set(Fault::Reset);
    let (got, err) = exchange(proxy.addr(), GET);
    assert!(got.is_empty());
    assert!(
        matches!(
            err.as_ref().map(|e| e.kind()),
            Some(ErrorKind::ConnectionReset | ErrorKind::BrokenPipe)
        ),
        "{err:?}"
    );
    assert_eq!(proxy.upstream_connections(), 0);
    assert_eq!(upstream.received.lock().unwrap().len(), 0);
}

#[test]
fn a_black_hole_makes_the_client_time_out() {
    let (_upstream, proxy, _) = setup(1_000);
    proxy.set(Fault::BlackHole);
    let mut conn = TcpStream::connect(proxy.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    conn.write_all(GET).unwrap();
    let started = Instant::now();
    let err = conn.read(&mut [0; 100]).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(proxy.bytes_up(), GET.len() as u64);
    assert_eq!(proxy.bytes_down(), 0);
    assert_eq!(proxy.upstream_connections(), 0);
}

#[test]
fn respond_answers_the_canned_response() {
    let (_upstream, proxy, _) = setup(1_000);
    proxy.set(Fault::respond(503, "text/html", b"<html>busy</html>"));
    let (head, body) = get(proxy.addr());
    assert_eq!(status(&head), "HTTP/1.1 503 Service Unavailable");
    assert!(head.contains("Content-Length: 17"), "{head}");
    assert_eq!(body, b"<html>busy</html>");
    assert_eq!(proxy.upstream_connections(), 0);
    assert_eq!(proxy.bytes_up(), GET.len() as u64);
}

#[test]
fn respond_stream_delivers_the_claimed_length() {
    let (_upstream, proxy, _) = setup(1_000);
    let len = 32 << 20;
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/geo+json\r\nContent-Length: {len}\r\n\r\n"
    );
    proxy.set(Fault::RespondStream {
        head: head.clone().into_bytes(),
        body_len: len,
        fill: b"[".to_vec(),
    });
    let mut conn = TcpStream::connect(proxy.addr()).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.write_all(GET).unwrap();
    let mut got_head = vec![0; head.len()];
    conn.read_exact(&mut got_head).unwrap();
    assert_eq!(got_head, head.as_bytes());
    // Counted as it comes rather than kept, as the proxy does not keep it.
    let (mut count, mut others) = (0u64, 0u64);
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = conn.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        count += n as u64;
        others += buf[..n].iter().filter(|&&b| b != b'[').count() as u64;
    }
    assert_eq!(count, len);
    assert_eq!(others, 0);
    assert_eq!(proxy.bytes_down(), head.len() as u64 + len);
}

#[test]
fn garble_inverts_every_byte_after_the_offset() {
    let (upstream, proxy, _) = setup(50_000);
    let (full, _) = exchange(upstream.addr, GET);
    proxy.set(Fault::Garble { after: 1_000 });
    let (got, err) = exchange(proxy.addr(), GET);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), full.len());
    assert_eq!(got[..1_000], full[..1_000]);
    assert!(
        got[1_000..]
            .iter()
            .zip(&full[1_000..])
            .all(|(g, f)| *g == !*f)
    );
}

#[test]
fn once_hits_only_the_chosen_connection() {
    let (upstream, proxy, _) = setup(20_000);
    let whole = exchange(upstream.addr, GET).0.len();
    proxy.set(Fault::once(1, Fault::Truncate { after: 100 }));
    let lengths: Vec<usize> = (0..4)
        .map(|_| exchange(proxy.addr(), GET).0.len())
        .collect();
    assert_eq!(lengths, vec![whole, 100, whole, whole]);
    // Setting a fault again restarts the count.
    proxy.set(Fault::once(0, Fault::Truncate { after: 100 }));
    assert_eq!(exchange(proxy.addr(), GET).0.len(), 100);
    assert_eq!(exchange(proxy.addr(), GET).0.len(), whole);
    assert_eq!(proxy.connections(), 6);
}

#[test]
fn first_and_every_nth_schedule_a_fault() {
    let (_upstream, proxy, _) = setup(100);
    let statuses = |n: usize| -> Vec<String> {
        (0..n)
            .map(|_| status(&get(proxy.addr()).0).to_string())
            .collect()
    };
    let (ok, busy) = ("HTTP/1.1 200 OK", "HTTP/1.1 503 Service Unavailable");
    proxy.set(Fault::first(2, Fault::respond(503, "text/plain", b"busy")));
    assert_eq!(statuses(4), [busy, busy, ok, ok]);
    proxy.set(Fault::every_nth(
        3,
        Fault::respond(503, "text/plain", b"busy"),
    ));
    assert_eq!(statuses(6), [ok, ok, busy, ok, ok, busy]);
    assert_eq!(proxy.upstream_connections(), 6);
}

#[test]
fn all_throttles_and_then_truncates() {
    let (_upstream, proxy, _) = setup(1_000_000);
    proxy.set(Fault::All(vec![
        Fault::Throttle {
            bits_per_s: 8_000_000,
            latency: Duration::ZERO,
        },
        Fault::Truncate { after: 200_000 },
    ]));
    let started = Instant::now();
    let (got, err) = exchange(proxy.addr(), GET);
    let took = started.elapsed();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 200_000);
    // 1.6 Mbit at 8 Mbit/s.
    assert!(took >= Duration::from_millis(190), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn dropping_the_proxy_is_prompt_and_closes_its_connections() {
    let (_upstream, proxy, _) = setup(1_000);
    proxy.set(Fault::BlackHole);
    let mut waiting = TcpStream::connect(proxy.addr()).unwrap();
    waiting.write_all(GET).unwrap();
    // The fault is chosen when the proxy accepts, which may be after
    // connect() has returned.
    until(|| proxy.connections() == 1);
    proxy.set(Fault::None);
    // Connected to the server through the proxy, and silent.
    let mut idle = TcpStream::connect(proxy.addr()).unwrap();
    until(|| proxy.upstream_connections() == 1);
    let started = Instant::now();
    drop(proxy);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "{took:?}");
    for conn in [&mut waiting, &mut idle] {
        conn.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
        assert_eq!(conn.read(&mut [0; 100]).unwrap(), 0);
    }
}

#[test]
fn a_proxy_in_front_of_a_url_takes_its_paths() {
    let (upstream, _, expected) = setup(1_000);
    let proxy = FaultProxy::in_front_of(&format!("http://{}/collections", upstream.addr));
    let url = format!("http://{}/collections/bts/items?crs=x", upstream.addr);
    let proxied = proxy.proxied(&url);
    assert_eq!(
        proxied,
        format!("http://{}/collections/bts/items?crs=x", proxy.addr())
    );
    assert_eq!(proxy.url(), format!("http://{}", proxy.addr()));
    assert_eq!(get(proxy.addr()).1, expected);
}
