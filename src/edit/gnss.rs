//! GNSS positions for field laptops, from Debian's `gpsd` over its JSON
//! protocol (TCP, `localhost:2947` by default): the client sends
//! `?WATCH={"enable":true,"json":true}` and reads one JSON object a line;
//! TPV reports carry the position, GST reports the receiver's own error
//! estimate. A thread of its own keeps the latest fix and reconnects when
//! gpsd goes away (unplugged receiver, restarted service).
//!
//! The fix is WGS 84 longitude/latitude; [`Fix::position_in`] projects it
//! to a layer's CRS, and [`point_at_fix`] / [`move_to_fix`] build or move a
//! point feature there, writing the accuracy and time into chosen fields.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use geo_types::{Coord, Geometry, MultiPoint, Point};

use crate::crs::{Crs, CrsError, Transformer};
use crate::gpkg::LayerInfo;
use crate::model::{Feature, FieldType, FieldValue, GeometryType};

/// gpsd's port.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:2947";
const WATCH: &[u8] = b"?WATCH={\"enable\":true,\"json\":true};\n";
/// How often the thread looks at its stop flag while gpsd is silent.
const POLL: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum GnssError {
    #[error("chưa có vị trí GNSS (no GNSS fix yet)")]
    NoFix,
    #[error(
        "lớp {layer} không phải lớp điểm, không thể đặt đối tượng tại vị trí GNSS (not a point layer)"
    )]
    NotAPointLayer { layer: String },
    #[error("lớp {layer} không có trường {field} (no such field)")]
    UnknownField { layer: String, field: String },
    #[error("lớp {layer}, trường {field}: kiểu {field_type:?} không chứa được {what}")]
    FieldType {
        layer: String,
        field: String,
        field_type: FieldType,
        what: &'static str,
    },
    #[error("chuyển vị trí GNSS sang hệ tọa độ của lớp: {0}")]
    Crs(#[from] CrsError),
}

/// gpsd's fix mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FixMode {
    NoFix,
    TwoD,
    ThreeD,
}

/// A position report.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// WGS 84 degrees.
    pub lon: f64,
    pub lat: f64,
    /// Altitude above mean sea level, m (3D fixes).
    pub alt: Option<f64>,
    pub mode: FixMode,
    /// UTC, ISO-8601 as gpsd gives it (`2024-05-01T03:00:03.000Z`).
    pub time: Option<String>,
    /// Estimated horizontal error, metres, about 95 %: twice the receiver's
    /// GST error (2DRMS) when it reports one, else gpsd's `eph`, else the
    /// root sum of squares of `epx`/`epy`.
    pub horizontal_accuracy_m: Option<f64>,
    /// Where `horizontal_accuracy_m` comes from.
    pub accuracy_source: Option<AccuracySource>,
    /// gpsd's own estimates, as reported.
    pub eph: Option<f64>,
    pub epx: Option<f64>,
    pub epy: Option<f64>,
    pub device: Option<String>,
    /// When this process received it.
    pub received: Instant,
}

impl Fix {
    /// The position in `crs` (x = easting).
    pub fn position_in(&self, crs: &Crs) -> Result<Coord<f64>, CrsError> {
        self.position_with(&Transformer::between(&wgs84(), crs)?)
    }

    /// The position through a transformer from WGS 84 (EPSG:4326), e.g. one
    /// of a TransformerCache, for a display that redraws every frame.
    pub fn position_with(&self, from_wgs84: &Transformer) -> Result<Coord<f64>, CrsError> {
        from_wgs84.transform(self.lonlat())
    }

    pub fn lonlat(&self) -> Coord<f64> {
        Coord {
            x: self.lon,
            y: self.lat,
        }
    }

    /// Seconds since it was received.
    pub fn age(&self) -> Duration {
        self.received.elapsed()
    }
}

/// The estimate behind a fix's horizontal accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccuracySource {
    /// The receiver's own GST error report for the fix's epoch.
    Gst,
    /// gpsd's `eph`.
    Eph,
    /// gpsd's `epx` and `epy`.
    Epxy,
}

/// The CRS of every fix.
pub fn wgs84() -> Crs {
    Crs::Epsg(crate::crs::WGS84)
}

/// Where the client stands.
#[derive(Debug, Clone, PartialEq)]
pub enum GpsdStatus {
    Connecting,
    /// Connected; no position yet or the receiver lost it.
    Connected,
    /// gpsd is not there (the error), retrying.
    Lost(String),
}

#[derive(Debug)]
struct State {
    connection: GpsdStatus,
    fix: Option<Fix>,
    /// Bumped on every change, so a waiter sees each new report.
    generation: u64,
    /// Bumped on every new position.
    fixes: u64,
    /// The latest GST error (lat, lon, 1σ metres) and its time.
    gst: Option<(Option<String>, f64, f64)>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
}

/// A gpsd client on its own thread. Dropping it stops the thread.
pub struct GpsdClient {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl GpsdClient {
    /// Starts watching gpsd at `address` (`host:port`).
    pub fn start(address: &str) -> GpsdClient {
        Self::start_with_notify(address, || {})
    }

    /// As [`start`](Self::start); `notify` runs on the client's thread after
    /// every change (the window asks for a repaint there).
    pub fn start_with_notify(address: &str, notify: impl Fn() + Send + 'static) -> GpsdClient {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                connection: GpsdStatus::Connecting,
                fix: None,
                generation: 0,
                fixes: 0,
                gst: None,
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let address = address.to_string();
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("gpsd".into())
            .spawn(move || run(&address, &worker, &notify))
            .expect("a thread can be started");
        GpsdClient {
            shared,
            thread: Some(thread),
        }
    }

    /// The latest fix (2D or 3D), however old: see [`Fix::age`].
    pub fn latest(&self) -> Option<Fix> {
        self.lock().fix.clone()
    }

    pub fn status(&self) -> GpsdStatus {
        self.lock().connection.clone()
    }

    /// Waits for a fix received after this call, up to `timeout`.
    pub fn wait_for_fix(&self, timeout: Duration) -> Option<Fix> {
        let start = self.lock().fixes;
        self.wait_until(timeout, |s| s.fix.clone().filter(|_| s.fixes != start))
    }

    /// Waits, up to `timeout`, until the latest fix is one `pred` accepts
    /// (a fix received before this call counts; so does a fix a late GST
    /// report has just updated).
    pub fn wait_for_fix_where(
        &self,
        timeout: Duration,
        pred: impl Fn(&Fix) -> bool,
    ) -> Option<Fix> {
        self.wait_until(timeout, |s| s.fix.clone().filter(|f| pred(f)))
    }

    /// Waits until the connection is in a state `pred` accepts.
    pub fn wait_for_status(&self, timeout: Duration, pred: impl Fn(&GpsdStatus) -> bool) -> bool {
        self.wait_until(timeout, |s| pred(&s.connection).then_some(()))
            .is_some()
    }

    /// Waits, up to `timeout`, until `found` gives something from the
    /// state, looking again at every report.
    fn wait_until<T>(&self, timeout: Duration, found: impl Fn(&State) -> Option<T>) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if let Some(t) = found(&state) {
                return Some(t);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for GpsdClient {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn update(shared: &Shared, notify: &dyn Fn(), f: impl FnOnce(&mut State)) {
    {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state);
        state.generation += 1;
    }
    shared.changed.notify_all();
    notify();
}

/// The thread: connect, watch, read; on any failure wait and reconnect.
fn run(address: &str, shared: &Shared, notify: &dyn Fn()) {
    let mut backoff = POLL;
    while !shared.stop.load(Ordering::Relaxed) {
        let lost = match session(address, shared, notify) {
            Ok(()) => "gpsd đã đóng kết nối (gpsd closed the connection)".to_string(),
            Err(e) => format!("không kết nối được gpsd tại {address}: {e}"),
        };
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        update(shared, notify, |s| s.connection = GpsdStatus::Lost(lost));
        let until = Instant::now() + backoff;
        while Instant::now() < until && !shared.stop.load(Ordering::Relaxed) {
            std::thread::sleep(POLL);
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection, until gpsd closes it, an error, or stop.
fn session(address: &str, shared: &Shared, notify: &dyn Fn()) -> std::io::Result<()> {
    let addr = address
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(ErrorKind::NotFound, "no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(POLL))?;
    stream.write_all(WATCH)?;
    update(shared, notify, |s| s.connection = GpsdStatus::Connected);
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        // read_until keeps what it read before a timeout, so a line that
        // arrives in pieces is completed by the next call.
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(()),
            Ok(_) if line.ends_with(b"\n") => {
                let report = parse_report(&line);
                line.clear();
                match report {
                    Some(Report::Tpv(tpv)) => update(shared, notify, |s| apply_tpv(s, tpv)),
                    Some(Report::Gst { time, lat, lon }) => {
                        update(shared, notify, |s| apply_gst(s, time, lat, lon))
                    }
                    None => {}
                }
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The fields of a TPV report we use.
#[derive(Debug, Clone, PartialEq)]
struct Tpv {
    mode: i64,
    lat: Option<f64>,
    lon: Option<f64>,
    alt: Option<f64>,
    time: Option<String>,
    eph: Option<f64>,
    epx: Option<f64>,
    epy: Option<f64>,
    device: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Report {
    Tpv(Tpv),
    Gst {
        time: Option<String>,
        lat: f64,
        lon: f64,
    },
}

fn parse_report(line: &[u8]) -> Option<Report> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    let num = |k: &str| v.get(k).and_then(|x| x.as_f64()).filter(|x| x.is_finite());
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    match v.get("class")?.as_str()? {
        "TPV" => Some(Report::Tpv(Tpv {
            mode: v.get("mode").and_then(|m| m.as_i64()).unwrap_or(0),
            lat: num("lat"),
            lon: num("lon"),
            // gpsd 3.20+ names it altMSL; older ones alt.
            alt: num("altMSL").or_else(|| num("alt")),
            time: text("time"),
            eph: num("eph"),
            epx: num("epx"),
            epy: num("epy"),
            device: text("device"),
        })),
        "GST" => Some(Report::Gst {
            time: text("time"),
            lat: num("lat")?,
            lon: num("lon")?,
        }),
        _ => None,
    }
}

/// 2DRMS from a GST report's 1σ latitude and longitude errors.
fn two_drms(lat_sigma: f64, lon_sigma: f64) -> f64 {
    2.0 * lat_sigma.hypot(lon_sigma)
}

/// Keeps the GST for the next TPV and, as gpsd may send an epoch's GST after
/// its TPV, gives the current fix of the same epoch the receiver's estimate.
fn apply_gst(state: &mut State, time: Option<String>, lat: f64, lon: f64) {
    if let Some(fix) = &mut state.fix
        && time.is_some()
        && fix.time == time
    {
        fix.horizontal_accuracy_m = Some(two_drms(lat, lon));
        fix.accuracy_source = Some(AccuracySource::Gst);
    }
    state.gst = Some((time, lat, lon));
}

fn apply_tpv(state: &mut State, tpv: Tpv) {
    let mode = match tpv.mode {
        2 => FixMode::TwoD,
        3 => FixMode::ThreeD,
        _ => FixMode::NoFix,
    };
    let (Some(lat), Some(lon)) = (tpv.lat, tpv.lon) else {
        // No position in this report: keep the last fix, say it is lost.
        if mode == FixMode::NoFix
            && let Some(f) = &mut state.fix
        {
            f.mode = FixMode::NoFix;
        }
        return;
    };
    if mode == FixMode::NoFix {
        if let Some(f) = &mut state.fix {
            f.mode = FixMode::NoFix;
        }
        return;
    }
    // The receiver's GST estimate counts when it is for this epoch (or
    // carries no time, as the first GST of a session may not).
    let gst = state
        .gst
        .as_ref()
        .filter(|(t, _, _)| t.is_none() || *t == tpv.time)
        .map(|(_, la, lo)| two_drms(*la, *lo));
    let (horizontal_accuracy_m, accuracy_source) = match (gst, tpv.eph, tpv.epx.zip(tpv.epy)) {
        (Some(g), _, _) => (Some(g), Some(AccuracySource::Gst)),
        (None, Some(e), _) => (Some(e), Some(AccuracySource::Eph)),
        (None, None, Some((x, y))) => (Some(x.hypot(y)), Some(AccuracySource::Epxy)),
        _ => (None, None),
    };
    state.connection = GpsdStatus::Connected;
    state.fixes += 1;
    state.fix = Some(Fix {
        lon,
        lat,
        alt: if mode == FixMode::ThreeD {
            tpv.alt
        } else {
            None
        },
        mode,
        time: tpv.time,
        horizontal_accuracy_m,
        accuracy_source,
        eph: tpv.eph,
        epx: tpv.epx,
        epy: tpv.epy,
        device: tpv.device,
        received: Instant::now(),
    });
}

/// The fields a fix writes besides the geometry (None: not written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FixFields {
    /// Horizontal accuracy in metres (a REAL, INTEGER or TEXT field).
    pub accuracy: Option<String>,
    /// The fix's UTC time (a DATETIME, DATE or TEXT field).
    pub time: Option<String>,
}

/// A new point feature of `layer` at the fix: `values` (the form's, in
/// field order; e.g. FieldRules::defaults) with the accuracy and time
/// written into `fields`. Check it with FieldRules and insert it through
/// the edit session.
pub fn point_at_fix(
    layer: &LayerInfo,
    fix: &Fix,
    fields: &FixFields,
    values: Vec<FieldValue>,
) -> Result<Feature, GnssError> {
    let mut feature = Feature::new(None, values);
    move_to_fix(&mut feature, layer, fix, fields)?;
    feature.fid = None;
    Ok(feature)
}

/// Moves a point feature to the fix (its other values kept) and writes the
/// accuracy and time into `fields`.
pub fn move_to_fix(
    feature: &mut Feature,
    layer: &LayerInfo,
    fix: &Fix,
    fields: &FixFields,
) -> Result<(), GnssError> {
    if fix.mode == FixMode::NoFix {
        return Err(GnssError::NoFix);
    }
    let at = fix.position_in(&layer.crs)?;
    let point = Point::from(at);
    feature.geometry = Some(match layer.schema.geometry_type {
        GeometryType::Point | GeometryType::Geometry => Geometry::Point(point),
        GeometryType::MultiPoint => Geometry::MultiPoint(MultiPoint(vec![point])),
        _ => {
            return Err(GnssError::NotAPointLayer {
                layer: layer.name.clone(),
            });
        }
    });
    let schema = &layer.schema;
    if schema.has_z || schema.has_m {
        let dims = crate::gpkg::geom::Dims {
            z: schema.has_z,
            m: schema.has_m,
        };
        feature.zm = crate::gpkg::geom::ZmValues {
            dims,
            z: if schema.has_z {
                vec![fix.alt.unwrap_or(0.0)]
            } else {
                Vec::new()
            },
            m: if schema.has_m { vec![0.0] } else { Vec::new() },
        };
    } else {
        feature.zm = crate::gpkg::geom::ZmValues::default();
    }
    if feature.values.len() < schema.fields.len() {
        feature.values.resize(schema.fields.len(), FieldValue::Null);
    }
    let field_at = |name: &str| {
        schema
            .field_index(name)
            .ok_or_else(|| GnssError::UnknownField {
                layer: layer.name.clone(),
                field: name.to_string(),
            })
    };
    let wrong_type = |name: &str, field_type, what| GnssError::FieldType {
        layer: layer.name.clone(),
        field: name.to_string(),
        field_type,
        what,
    };
    if let Some(name) = &fields.accuracy {
        let i = field_at(name)?;
        let field_type = schema.fields[i].field_type;
        feature.values[i] = match (fix.horizontal_accuracy_m, field_type) {
            (None, _) => FieldValue::Null,
            (Some(a), FieldType::Real) => FieldValue::Real(a),
            (Some(a), FieldType::Integer) => FieldValue::Integer(a.round() as i64),
            (Some(a), FieldType::Text) => FieldValue::Text(format!("{a:.2}")),
            _ => return Err(wrong_type(name, field_type, "độ chính xác (accuracy, m)")),
        };
    }
    if let Some(name) = &fields.time {
        let i = field_at(name)?;
        let field_type = schema.fields[i].field_type;
        feature.values[i] = match (&fix.time, field_type) {
            (None, _) => FieldValue::Null,
            (Some(t), FieldType::DateTime) => FieldValue::DateTime(t.clone()),
            (Some(t), FieldType::Date) => FieldValue::Date(t.chars().take(10).collect()),
            (Some(t), FieldType::Text) => FieldValue::Text(t.clone()),
            _ => return Err(wrong_type(name, field_type, "thời gian (UTC time)")),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            connection: GpsdStatus::Connected,
            fix: None,
            generation: 0,
            fixes: 0,
            gst: None,
        }
    }

    fn tpv(line: &str) -> Tpv {
        match parse_report(line.as_bytes()) {
            Some(Report::Tpv(t)) => t,
            other => panic!("{other:?}"),
        }
    }

    /// A report as gpsd 3.22 sends it (captured from gpspipe -w).
    const TPV: &str = r#"{"class":"TPV","device":"/dev/pts/1","mode":3,"time":"2024-05-01T03:00:03.000Z","ept":0.005,"lat":21.270000000,"lon":106.190000000,"altHAE":1.2000,"altMSL":25.3000,"alt":25.3000,"epv":29.900,"track":0.0000,"speed":0.000,"geoidSep":-24.100,"eph":17.100,"sep":30.400}"#;

    #[test]
    fn tpv_gives_the_fix_with_gst_accuracy_of_its_epoch() {
        let mut s = state();
        apply_tpv(&mut s, tpv(TPV));
        let f = s.fix.clone().unwrap();
        assert_eq!((f.lat, f.lon, f.alt), (21.27, 106.19, Some(25.3)));
        assert_eq!(f.mode, FixMode::ThreeD);
        assert_eq!(f.horizontal_accuracy_m, Some(17.1));
        let gst =
            r#"{"class":"GST","time":"2024-05-01T03:00:03.000Z","rms":1.1,"lat":1.5,"lon":1.3}"#;
        let Some(Report::Gst { time, lat, lon }) = parse_report(gst.as_bytes()) else {
            panic!()
        };
        s.gst = Some((time, lat, lon));
        apply_tpv(&mut s, tpv(TPV));
        let a = s.fix.clone().unwrap().horizontal_accuracy_m.unwrap();
        assert!((a - 2.0 * 1.5f64.hypot(1.3)).abs() < 1e-12);
        assert_eq!(
            s.fix.clone().unwrap().accuracy_source,
            Some(AccuracySource::Gst)
        );
        // A GST of another epoch does not count.
        apply_tpv(&mut s, tpv(&TPV.replace("03:00:03", "03:00:04")));
        assert_eq!(s.fix.clone().unwrap().horizontal_accuracy_m, Some(17.1));
        assert_eq!(
            s.fix.clone().unwrap().accuracy_source,
            Some(AccuracySource::Eph)
        );
    }

    #[test]
    fn a_gst_after_its_epochs_tpv_updates_that_fix_only() {
        let mut s = state();
        apply_tpv(&mut s, tpv(TPV));
        apply_gst(&mut s, Some("2024-05-01T03:00:02.000Z".into()), 1.5, 1.3);
        assert_eq!(s.fix.clone().unwrap().horizontal_accuracy_m, Some(17.1));
        apply_gst(&mut s, Some("2024-05-01T03:00:03.000Z".into()), 1.5, 1.3);
        let f = s.fix.clone().unwrap();
        assert!((f.horizontal_accuracy_m.unwrap() - 2.0 * 1.5f64.hypot(1.3)).abs() < 1e-12);
        assert_eq!(f.accuracy_source, Some(AccuracySource::Gst));
    }

    #[test]
    fn losing_the_fix_keeps_the_last_position() {
        let mut s = state();
        apply_tpv(&mut s, tpv(TPV));
        apply_tpv(&mut s, tpv(r#"{"class":"TPV","mode":1}"#));
        let f = s.fix.unwrap();
        assert_eq!(f.mode, FixMode::NoFix);
        assert_eq!(f.lat, 21.27);
        assert!(parse_report(b"{\"class\":\"SKY\"}").is_none());
        assert!(parse_report(b"not json").is_none());
    }
}
