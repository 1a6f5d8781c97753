//! Load generator for the mechanism server (issue 4, item 8): performance by benchmark.
//!
//! ```text
//! cargo run --release -p truceline-server --example loadgen -- [options]
//! ```
//!
//! It starts the real server in-process on 127.0.0.1 port 0 with the bundled example
//! agreement (data in a temporary directory), gives every party a freshly generated Ed25519
//! key, signs in over HTTP (challenge and response), opens N stream subscribers (SSE), then
//! posts JSON Lines batches of position reports from a few concurrent party clients for a
//! fixed time. Most units move about on their own side of the lines (a fifth of them inside
//! the areas of limitation); in every batch one fresh "crosser" unit enters the area of
//! separation (an `exclusion_breach`) and the previous batch's crosser leaves it (an
//! `exclusion_cleared`), so events flow all the time and each can be traced to the batch
//! that caused it.
//!
//! It measures reports a second (the median over whole 1-second windows), the latency from
//! the time the batch that carries a breaching (or clearing) report was due to the event
//! reaching a subscriber's socket (the kernel's receive time) and to this program's read of
//! it (one thread reads every stream, so the last subscribers of an event are read late),
//! whether every subscriber received exactly the events its principal may see
//! (checked against `GET /v1/feed` under the same principal), and the process's peak RSS
//! (server and load generator together: they share the process).
//!
//! Everything is bounded: the run stops after `--seconds`, the drain after `--drain`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ed25519_dalek::SigningKey;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HClient;
use serde_json::{json, Value};
use truceline_ledger::keys::SignerKey;
use truceline_server::clock::SystemClock;
use truceline_server::{AppState, Config};

const EXAMPLE_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/golan-illustrative"
);
/// Simulated time of the first batch: 2025-12-01T06:00:00Z (no windowed rule is open yet).
const SIM_T0_S: i64 = 1_764_568_800;
/// Inside the area of separation, more than 2 km apart (so crossers of the two parties never
/// breach the separation rule with each other).
const IL_CROSS: (f64, f64) = (35.884334, 33.011197);
const SY_CROSS: (f64, f64) = (35.85, 33.2);

type Http = HClient<HttpConnector, Full<Bytes>>;

/// A client as a careful one is built: TCP_NODELAY, so that a request's last segment is not
/// held back waiting for an ACK.
fn http_client() -> Http {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    HClient::builder(hyper_util::rt::TokioExecutor::new()).build(connector)
}

struct Opts {
    seconds: u64,
    drain: u64,
    subscribers: usize,
    clients: usize,
    batch: usize,
    units: usize,
    server_threads: usize,
    client_threads: usize,
    agreement: String,
    /// Offered reports a second over all clients; 0: as fast as the server answers.
    rate: u64,
    /// Units entering the area of separation a second, over all clients.
    crossings: f64,
}

fn usage() -> ! {
    eprintln!(
        "loadgen [--seconds 20] [--drain 15] [--subscribers 1000] [--clients 4] [--batch 5000]\n\
         \x20       [--rate 0] [--crossings 10] [--units 20000] [--server-threads 2]\n\
         \x20       [--client-threads 1] [--agreement DIR]\n\
         Starts the server in-process on 127.0.0.1:0 and measures it. --units is per client;\n\
         --rate is the offered reports a second over all clients (0: closed loop, each client\n\
         sends its next batch when the last is answered); --crossings is units entering the\n\
         area of separation a second over all clients (each makes a breach and a clear event)."
    );
    std::process::exit(2)
}

fn opts() -> Opts {
    let mut o = Opts {
        seconds: 20,
        drain: 15,
        subscribers: 1000,
        clients: 4,
        batch: 5000,
        units: 20_000,
        server_threads: 2,
        client_threads: 1,
        agreement: EXAMPLE_DIR.to_string(),
        rate: 0,
        crossings: 10.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut v = || args.next().unwrap_or_else(|| usage());
        let n = |s: String| s.parse::<u64>().unwrap_or_else(|_| usage());
        match a.as_str() {
            "--seconds" => o.seconds = n(v()).clamp(1, 600),
            "--drain" => o.drain = n(v()).clamp(1, 120),
            "--subscribers" => o.subscribers = n(v()).min(9_000) as usize,
            "--clients" => o.clients = n(v()).clamp(1, 64) as usize,
            "--batch" => o.batch = n(v()).clamp(1, 99_000) as usize,
            "--units" => o.units = n(v()).clamp(10, 1_000_000) as usize,
            "--server-threads" => o.server_threads = n(v()).clamp(1, 64) as usize,
            "--client-threads" => o.client_threads = n(v()).clamp(1, 64) as usize,
            "--agreement" => o.agreement = v(),
            "--rate" => o.rate = n(v()).min(10_000_000),
            "--crossings" => o.crossings = (n(v()) as f64).clamp(0.1, 1000.0),
            _ => usage(),
        }
    }
    o
}

fn main() {
    let o = opts();
    let dir = tempfile::tempdir().expect("temporary directory");
    let text = std::fs::read_to_string(format!("{}/agreement.toml", o.agreement))
        .expect("reading agreement.toml");
    let geometry_name = truceline_server::policy::geometry_path(&text, "agreement.toml")
        .expect("agreement.toml names its geometry");
    let zones = std::fs::read_to_string(format!("{}/{geometry_name}", o.agreement))
        .expect("reading the geometry");
    let (agreement, policy) =
        truceline_server::policy::load_all(&text, "agreement.toml", &zones, &geometry_name)
            .expect("the agreement loads");
    let agreement = Arc::new(agreement);
    let keys: HashMap<String, SigningKey> = agreement
        .parties
        .iter()
        .map(|p| {
            let k = SignerKey::generate(&p.id).expect("key");
            (p.id.clone(), k.signing_key().clone())
        })
        .collect();
    let vkeys = keys
        .iter()
        .map(|(id, k)| {
            SignerKey::from_signing_key(id, k.clone())
                .unwrap()
                .verifier()
        })
        .collect();
    let log_key = SignerKey::generate(&format!("truceline/{}", agreement.id)).expect("log key");
    let origin = format!("truceline/{}", agreement.id);
    let state = AppState::open(Config {
        agreement: Arc::clone(&agreement),
        policy,
        data_dir: dir.path().to_path_buf(),
        keys: vkeys,
        log_key,
        clock: Arc::new(SystemClock),
        max_subscribers: o.subscribers + 100,
        rebuild: false,
        agreement_files: None,
    })
    .expect("the server opens");

    // The server and the load have their own runtimes, as they would in two processes.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.server_threads)
        .thread_name("server")
        .enable_all()
        .build()
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let base = format!("http://{}", listener.local_addr().unwrap());
    server_rt.spawn(truceline_server::serve(
        listener,
        Arc::clone(&state),
        async move {
            let _ = stopped.await;
        },
    ));
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.client_threads)
        .thread_name("load")
        .enable_all()
        .build()
        .unwrap();
    let ok = client_rt.block_on(run(&o, &base, &origin, &keys));
    let _ = stop.send(());
    drop(client_rt);
    drop(server_rt);
    std::process::exit(if ok { 0 } else { 1 });
}

async fn request(
    http: &Http,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Bytes,
) -> Result<(u16, Bytes), String> {
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = http
        .request(req.body(Full::new(body)).unwrap())
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, bytes))
}

/// Signs in as `id` with its key: challenge, Ed25519 signature, bearer token.
async fn sign_in(http: &Http, base: &str, origin: &str, id: &str, key: &SigningKey) -> String {
    let body = Bytes::from(json!({"id": id}).to_string());
    let (s, b) = request(
        http,
        "POST",
        &format!("{base}/v1/auth/challenge"),
        None,
        body,
    )
    .await
    .expect("challenge");
    assert_eq!(s, 200, "challenge: {}", String::from_utf8_lossy(&b));
    let c: Value = serde_json::from_slice(&b).unwrap();
    let nonce = c["nonce"].as_str().unwrap();
    let signature = truceline_server::auth::sign_challenge(key, origin, id, nonce);
    let body = Bytes::from(json!({"id": id, "nonce": nonce, "signature": signature}).to_string());
    let (s, b) = request(http, "POST", &format!("{base}/v1/auth/token"), None, body)
        .await
        .expect("token");
    assert_eq!(s, 200, "token: {}", String::from_utf8_lossy(&b));
    let t: Value = serde_json::from_slice(&b).unwrap();
    t["token"].as_str().unwrap().to_owned()
}

/// What one subscriber received: feed id, and when each `event` item reached the
/// subscriber's socket (the kernel's receive time) and when this program read it.
#[derive(Default)]
struct Received {
    events: Vec<(u64, Instant, Instant)>,
    other: u64,
    error: Option<String>,
}

/// A subscriber's connection: reads ask the kernel for the receive time of the bytes read
/// (SO_TIMESTAMPNS), so that the time an event reached the subscriber is not the time this
/// program, which reads a thousand streams on one thread, got round to it. A read's time is
/// that of its last segment, so it is never earlier than any message in it.
struct StampedConn {
    tcp: hyper_util::rt::TokioIo<tokio::net::TcpStream>,
    scratch: Vec<u8>,
    /// Kernel receive time of the latest read, nanoseconds since the Unix epoch.
    last_rx_ns: Arc<AtomicU64>,
}

impl StampedConn {
    async fn connect(
        addr: std::net::SocketAddr,
        last_rx_ns: Arc<AtomicU64>,
    ) -> std::io::Result<Self> {
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        nix::sys::socket::setsockopt(&tcp, nix::sys::socket::sockopt::ReceiveTimestampns, &true)
            .map_err(std::io::Error::from)?;
        Ok(StampedConn {
            tcp: hyper_util::rt::TokioIo::new(tcp),
            scratch: vec![0; 64 * 1024],
            last_rx_ns,
        })
    }
}

/// One non-blocking `recvmsg`: bytes read and the kernel's receive time, if it gave one.
fn recv_stamped(fd: std::os::fd::RawFd, buf: &mut [u8]) -> std::io::Result<(usize, Option<u64>)> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let mut space = nix::cmsg_space!(nix::sys::time::TimeSpec);
    let msg = recvmsg::<()>(fd, &mut iov, Some(&mut space), MsgFlags::MSG_DONTWAIT)
        .map_err(std::io::Error::from)?;
    let mut at = None;
    for c in msg.cmsgs().map_err(std::io::Error::from)? {
        if let ControlMessageOwned::ScmTimestampns(t) = c {
            at = Some(t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64);
        }
    }
    Ok((msg.bytes, at))
}

impl hyper::rt::Read for StampedConn {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::os::fd::AsRawFd;
        let StampedConn {
            tcp,
            scratch,
            last_rx_ns,
        } = self.get_mut();
        let tcp = tcp.inner();
        let want = buf.remaining().min(scratch.len());
        loop {
            std::task::ready!(tcp.poll_read_ready(cx))?;
            let read = tcp.try_io(tokio::io::Interest::READABLE, || {
                recv_stamped(tcp.as_raw_fd(), &mut scratch[..want])
            });
            match read {
                Ok((n, at)) => {
                    if let Some(at) = at {
                        last_rx_ns.store(at, Ordering::Release);
                    }
                    buf.put_slice(&scratch[..n]);
                    return std::task::Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => return std::task::Poll::Ready(Err(e)),
            }
        }
    }
}

impl hyper::rt::Write for StampedConn {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// The wall clock and the monotonic clock read together, to put kernel receive times
/// (wall clock) on the same scale as send times (monotonic) for the run's short length.
#[derive(Clone, Copy)]
struct ClockPair {
    instant: Instant,
    unix_ns: u64,
}

impl ClockPair {
    fn now() -> Self {
        let unix_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        ClockPair {
            instant: Instant::now(),
            unix_ns,
        }
    }
    fn instant_of(&self, unix_ns: u64) -> Instant {
        if unix_ns >= self.unix_ns {
            self.instant + Duration::from_nanos(unix_ns - self.unix_ns)
        } else {
            self.instant - Duration::from_nanos(self.unix_ns - unix_ns)
        }
    }
}

async fn subscribe(
    addr: std::net::SocketAddr,
    token: String,
    got: Arc<Mutex<Received>>,
    opened: Arc<AtomicU64>,
    deadline: Instant,
    clocks: ClockPair,
) {
    let fail = |e: String| {
        got.lock().unwrap().error = Some(e);
        opened.fetch_add(1, Ordering::SeqCst);
    };
    let last_rx_ns = Arc::new(AtomicU64::new(0));
    let conn = match StampedConn::connect(addr, Arc::clone(&last_rx_ns)).await {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    let (mut sender, connection) = match hyper::client::conn::http1::handshake(conn).await {
        Ok(h) => h,
        Err(e) => return fail(e.to_string()),
    };
    tokio::spawn(connection);
    let req = hyper::Request::get(format!("http://{addr}/v1/stream"))
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = match sender.send_request(req).await {
        Ok(r) if r.status() == 200 => r,
        Ok(r) => return fail(format!("status {}", r.status())),
        Err(e) => return fail(e.to_string()),
    };
    opened.fetch_add(1, Ordering::SeqCst);
    let mut body = resp.into_body();
    let mut buf: Vec<u8> = Vec::new();
    // One timer for the subscriber's life.
    let stop = tokio::time::sleep_until(deadline.into());
    tokio::pin!(stop);
    loop {
        let frame = tokio::select! {
            f = body.frame() => f,
            () = &mut stop => return,
        };
        let frame = match frame {
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                got.lock().unwrap().error = Some(e.to_string());
                return;
            }
            None => return,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let read_at = Instant::now();
        let arrived_at = match last_rx_ns.load(Ordering::Acquire) {
            0 => read_at,
            ns => clocks.instant_of(ns).min(read_at),
        };
        buf.extend_from_slice(&data);
        // Whole messages end with a blank line; only `id:` and `event:` are read.
        let mut start = 0;
        let mut g = got.lock().unwrap();
        while let Some(end) = memfind(&buf[start..], b"\n\n") {
            let block = &buf[start..start + end];
            start += end + 2;
            let (mut id, mut is_event, mut any) = (None, false, false);
            for line in block.split(|&b| b == b'\n') {
                if let Some(v) = line.strip_prefix(b"id:") {
                    id = std::str::from_utf8(v)
                        .ok()
                        .and_then(|s| s.trim().parse().ok());
                } else if let Some(v) = line.strip_prefix(b"event:") {
                    is_event = v.trim_ascii() == b"event";
                    any = true;
                }
            }
            match (id, is_event) {
                (Some(id), true) => g.events.push((id, arrived_at, read_at)),
                _ if any => g.other += 1,
                _ => {} // keep-alive comment
            }
        }
        drop(g);
        buf.drain(..start);
    }
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One client's batches: templates of `batch` lines whose `t` is patched before each send.
struct Templates {
    bodies: Vec<Vec<u8>>,
    /// Offsets of the 20 bytes of `t` in each body.
    t_at: Vec<Vec<usize>>,
}

fn rfc3339(s: i64) -> String {
    // Whole seconds, so always the 20 bytes the templates leave for `t`.
    truceline_engine::Timestamp::from_unix_seconds(s).to_string()
}

/// A small deterministic generator (no dependency, same load every run).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn templates(client: usize, party: &str, o: &Opts) -> Templates {
    const STEPS: usize = 8;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (client as u64 + 1).wrapping_mul(0x1234_5678_9ABC));
    let categories = ["personnel", "tank", "artillery", "militia"];
    // Each unit: base position, heading, category, count.
    let units: Vec<(f64, f64, f64, f64, &str, u32)> = (0..o.units)
        .map(|i| {
            let in_area = i % 5 == 0;
            let (lon0, lon1) = match (party, in_area) {
                // West of line A, in the areas of limitation (personnel: uncapped there).
                ("IL", true) => (35.58, 35.74),
                ("IL", false) => (35.0, 35.5),
                // East of line B, in the areas of limitation (SY personnel cap is 6000).
                (_, true) => (35.95, 36.12),
                (_, false) => (36.2, 36.7),
            };
            let lon = lon0 + rng.next() * (lon1 - lon0);
            let lat = 32.72 + rng.next() * 0.6;
            let heading = rng.next() * std::f64::consts::TAU;
            let (category, count) = if in_area {
                ("personnel", 1)
            } else {
                (categories[i % 4], 1 + (i % 40) as u32)
            };
            (lon, lat, heading, rng.next(), category, count)
        })
        .collect();
    let mut bodies = Vec::new();
    let mut t_at = Vec::new();
    let mut next_unit = 0usize;
    for step in 0..STEPS {
        let mut body = Vec::with_capacity(o.batch * 130);
        let mut at = Vec::with_capacity(o.batch);
        for _ in 0..o.batch {
            let i = next_unit % units.len();
            next_unit += 1;
            let (lon, lat, heading, _, category, count) = units[i];
            // Up to ~0.008 degrees of drift over the steps: never across a line.
            let r = 0.001 * step as f64;
            let (lon, lat) = (lon + r * heading.cos(), lat + r * heading.sin());
            at.push(body.len() + 6);
            body.extend_from_slice(
                format!(
                    "{{\"t\":\"2025-12-01T06:00:00Z\",\"unit\":\"{party}-c{client}-u{i}\",\"party\":\"{party}\",\"category\":\"{category}\",\"count\":{count},\"lon\":{lon:.6},\"lat\":{lat:.6}}}\n"
                )
                .as_bytes(),
            );
        }
        bodies.push(body);
        t_at.push(at);
    }
    Templates { bodies, t_at }
}

/// Send instants of the batches that carried each crosser's entry and exit.
#[derive(Default)]
struct Crossings {
    entered: HashMap<String, Instant>,
    left: HashMap<String, Instant>,
}

#[derive(Default)]
struct ClientStats {
    /// (arrival of the answer, reports accepted)
    accepted: Vec<(Instant, usize)>,
    /// Round trip of accepted batches (send to answer), microseconds.
    round_trip_us: Vec<u64>,
    retries: u64,
    errors: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn post_loop(
    client: usize,
    party: &'static str,
    token: String,
    url: String,
    tpl: Templates,
    start: Instant,
    end: Instant,
    crossings: Arc<Mutex<Crossings>>,
    stop: Arc<AtomicBool>,
    // Time between this client's batches (None: closed loop) and between its crossings.
    pace: Option<Duration>,
    cross_every: Duration,
) -> ClientStats {
    let http: Http = http_client();
    let mut stats = ClientStats::default();
    let (cx, cy) = if party == "IL" { IL_CROSS } else { SY_CROSS };
    let mut prev: Option<String> = None;
    let mut seq = 0usize;
    let mut last_cross: Option<Instant> = None;
    // Clients start spread over one pacing interval.
    let mut due = pace.map(|p| start + p.mul_f64(client as f64 / 4.0 % 1.0));
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        if let Some(d) = due {
            tokio::time::sleep_until(d.into()).await;
        }
        let i = seq % tpl.bodies.len();
        let crosser = last_cross
            .is_none_or(|l| l.elapsed() >= cross_every)
            .then(|| format!("{party}-x{client}-{seq}"));
        if crosser.is_some() {
            last_cross = Some(Instant::now());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Simulated time: one second per second of the run, the same for every client.
            let t = rfc3339(SIM_T0_S + start.elapsed().as_secs() as i64);
            let mut body = tpl.bodies[i].clone();
            for &at in &tpl.t_at[i] {
                body[at..at + 20].copy_from_slice(t.as_bytes());
            }
            if let Some(p) = &prev {
                let out_lon = if party == "IL" { 35.2 } else { 36.5 };
                body.extend_from_slice(format!("{{\"t\":\"{t}\",\"unit\":\"{p}\",\"party\":\"{party}\",\"category\":\"personnel\",\"count\":1,\"lon\":{out_lon},\"lat\":{cy}}}\n").as_bytes());
            }
            if let Some(x) = &crosser {
                body.extend_from_slice(format!("{{\"t\":\"{t}\",\"unit\":\"{x}\",\"party\":\"{party}\",\"category\":\"personnel\",\"count\":1,\"lon\":{cx},\"lat\":{cy}}}\n").as_bytes());
            }
            // Latency counts from when the batch was due, if paced (no coordinated omission).
            let sent = due.map_or_else(Instant::now, |d| d.min(Instant::now()));
            let n =
                tpl.t_at[i].len() + usize::from(crosser.is_some()) + usize::from(prev.is_some());
            match request(&http, "POST", &url, Some(&token), Bytes::from(body)).await {
                Ok((200, _)) => {
                    let now = Instant::now();
                    stats.accepted.push((now, n));
                    stats.round_trip_us.push((now - sent).as_micros() as u64);
                    let mut c = crossings.lock().unwrap();
                    if let Some(x) = &crosser {
                        c.entered.insert(x.clone(), sent);
                    }
                    if let Some(p) = prev.take() {
                        c.left.insert(p, sent);
                    }
                    break;
                }
                // Two clients raced across a second of simulated time: the later-stamped
                // batch got in first. Restamp and send again, as a real client would.
                Ok((422, b)) if attempt < 5 && memfind(&b, b"time order").is_some() => {
                    stats.retries += 1;
                }
                Ok((s, b)) => {
                    stats.errors.push(format!(
                        "status {s}: {}",
                        String::from_utf8_lossy(&b[..b.len().min(300)])
                    ));
                    break;
                }
                Err(e) => {
                    stats.errors.push(e);
                    break;
                }
            }
        }
        if stats.errors.len() > 20 {
            stop.store(true, Ordering::Relaxed);
        }
        if crosser.is_some() {
            prev = crosser;
        }
        seq += 1;
        if let (Some(d), Some(p)) = (due, pace) {
            // Behind schedule: the next batch is due at once (the server sets the pace).
            due = Some((d + p).max(Instant::now() - p * 4));
        }
    }
    stats
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU seconds used so far by this process's threads, summed by thread name (the server's
/// runtime threads are "server", the load's are "load"; the engine, ledger and feed threads
/// have their own names).
/// With each, the seconds its threads spent runnable but waiting for a core (schedstat).
fn cpu_by_thread() -> HashMap<String, (f64, f64)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ... field 14 utime, 15 stime, in clock ticks (100 a second).
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_string();
        let rest: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let ticks: f64 = rest
            .get(11)
            .and_then(|u| u.parse::<f64>().ok())
            .unwrap_or(0.0)
            + rest
                .get(12)
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.0);
        let waited_ns: f64 = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().nth(1).and_then(|w| w.parse().ok()))
            .unwrap_or(0.0);
        let e = out.entry(comm).or_insert((0.0, 0.0));
        e.0 += ticks / 100.0;
        e.1 += waited_ns / 1e9;
    }
    out
}

/// All `event` items after `after` that `token`'s principal may see, by `GET /v1/feed`.
async fn feed_events(http: &Http, base: &str, token: &str, after: u64) -> Vec<(u64, Value)> {
    let mut out = Vec::new();
    let mut after = after;
    for _ in 0..10_000 {
        let url = format!("{base}/v1/feed?after={after}&kind=event&limit=1000");
        let (s, b) = request(http, "GET", &url, Some(token), Bytes::new())
            .await
            .expect("feed");
        assert_eq!(s, 200, "feed: {}", String::from_utf8_lossy(&b));
        let v: Value = serde_json::from_slice(&b).unwrap();
        let items = v["items"].as_array().cloned().unwrap_or_default();
        let next = v["next_after"].as_u64().unwrap_or(after);
        for i in items {
            out.push((i["id"].as_u64().unwrap(), i["data"].clone()));
        }
        if next == after {
            break;
        }
        after = next;
    }
    out
}

async fn run(o: &Opts, base: &str, origin: &str, keys: &HashMap<String, SigningKey>) -> bool {
    let http: Http = http_client();
    let mut tokens = HashMap::new();
    for id in ["IL", "SY", "RU", "RU-MP", "US"] {
        let key = keys.get(id).expect("the example's parties");
        tokens.insert(id, sign_in(&http, base, origin, id, key).await);
    }
    let (_, b) = request(
        &http,
        "GET",
        &format!("{base}/v1/health"),
        None,
        Bytes::new(),
    )
    .await
    .unwrap();
    let start_id = serde_json::from_slice::<Value>(&b).unwrap()["feed"]
        .as_u64()
        .unwrap_or(0);

    // Subscribers: parties, the monitor, the mediator and the observer in turn.
    let who = ["IL", "SY", "RU-MP", "RU", "US"];
    let opened = Arc::new(AtomicU64::new(0));
    let addr: std::net::SocketAddr = base
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .expect("the server's address");
    let clocks = ClockPair::now();
    let sub_deadline = Instant::now() + Duration::from_secs(o.seconds + o.drain + 60);
    let mut subs = Vec::new();
    let t_open = Instant::now();
    for i in 0..o.subscribers {
        let id = who[i % who.len()];
        let got = Arc::new(Mutex::new(Received::default()));
        // One connection each: a subscriber is a separate client.
        tokio::spawn(subscribe(
            addr,
            tokens[id].clone(),
            Arc::clone(&got),
            Arc::clone(&opened),
            sub_deadline,
            clocks,
        ));
        subs.push((id, got));
    }
    while opened.load(Ordering::SeqCst) < o.subscribers as u64 {
        if t_open.elapsed() > Duration::from_secs(60) {
            eprintln!(
                "subscribers: only {} of {} open after 60 s",
                opened.load(Ordering::SeqCst),
                o.subscribers
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let open_ms = t_open.elapsed().as_millis();
    let failed_subs = subs
        .iter()
        .filter(|(_, g)| g.lock().unwrap().error.is_some())
        .count();

    let tpls: Vec<Templates> = (0..o.clients)
        .map(|c| templates(c, if c % 2 == 0 { "IL" } else { "SY" }, o))
        .collect();
    let crossings = Arc::new(Mutex::new(Crossings::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = cpu_by_thread();
    let start = Instant::now();
    let end = start + Duration::from_secs(o.seconds);
    let mut posters = Vec::new();
    for (c, tpl) in tpls.into_iter().enumerate() {
        let party: &'static str = if c % 2 == 0 { "IL" } else { "SY" };
        posters.push(tokio::spawn(post_loop(
            c,
            party,
            tokens[party].clone(),
            format!("{base}/v1/reports"),
            tpl,
            start,
            end,
            Arc::clone(&crossings),
            Arc::clone(&stop),
            (o.rate > 0).then(|| {
                Duration::from_secs_f64(o.batch as f64 * o.clients as f64 / o.rate as f64)
            }),
            Duration::from_secs_f64(o.clients as f64 / o.crossings),
        )));
    }
    let mut stats = Vec::new();
    for p in posters {
        stats.push(p.await.expect("poster"));
    }
    let load_s = start.elapsed().as_secs_f64();
    let cpu_after = cpu_by_thread();

    // Expected: what GET /v1/feed shows each principal, which is the server's own audience.
    let mut expected: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut about: HashMap<u64, (String, String)> = HashMap::new();
    for id in who {
        let items = feed_events(&http, base, &tokens[id], start_id).await;
        if id == "RU" {
            for (fid, data) in &items {
                about.insert(
                    *fid,
                    (
                        data["kind"].as_str().unwrap_or("").to_owned(),
                        data["unit"].as_str().unwrap_or("").to_owned(),
                    ),
                );
            }
        }
        expected.insert(id, items.into_iter().map(|(i, _)| i).collect());
    }
    // Drain: wait (bounded) until every subscriber has what it should.
    let drain_start = Instant::now();
    loop {
        let behind = subs
            .iter()
            .filter(|(id, g)| g.lock().unwrap().events.len() < expected[id].len())
            .count();
        if behind == 0 || drain_start.elapsed() > Duration::from_secs(o.drain) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Throughput: reports accepted per whole 1-second window of the run.
    let mut windows = vec![0u64; o.seconds as usize + 2];
    let (mut total, mut retries, mut errors) = (0u64, 0u64, Vec::new());
    let mut rtt: Vec<u64> = Vec::new();
    for s in &stats {
        for (at, n) in &s.accepted {
            let w = (*at - start).as_secs() as usize;
            if w < windows.len() {
                windows[w] += *n as u64;
            }
            total += *n as u64;
        }
        rtt.extend(&s.round_trip_us);
        retries += s.retries;
        errors.extend(s.errors.iter().cloned());
    }
    // The first second warms up; the last may be cut short.
    let full = (load_s.floor() as usize).min(windows.len());
    let mut per_s: Vec<u64> = windows[..full].iter().skip(1).copied().collect();
    if per_s.is_empty() {
        per_s = windows[..full.max(1)].to_vec();
    }
    per_s.sort_unstable();
    rtt.sort_unstable();

    // Latency of every traced event at every subscriber that received it.
    let crossings = crossings.lock().unwrap();
    // Send to the subscriber's socket (kernel receive time), and send to this program's read.
    let mut lat_us: Vec<u64> = Vec::new();
    let mut read_lat_us: Vec<u64> = Vec::new();
    let (mut complete, mut missing, mut extra, mut dup) = (0usize, 0usize, 0usize, 0usize);
    let mut per_principal: HashMap<&str, (usize, usize, u64)> = HashMap::new();
    let mut other_items = 0u64;
    for (id, g) in &subs {
        let g = g.lock().unwrap();
        other_items += g.other;
        let want = &expected[id];
        let mut got: Vec<u64> = g.events.iter().map(|e| e.0).collect();
        let n = got.len();
        got.sort_unstable();
        got.dedup();
        dup += n - got.len();
        let want_set: std::collections::HashSet<u64> = want.iter().copied().collect();
        let got_set: std::collections::HashSet<u64> = got.iter().copied().collect();
        let m = want_set.difference(&got_set).count();
        let x = got_set.difference(&want_set).count();
        missing += m;
        extra += x;
        if m == 0 && x == 0 && g.error.is_none() {
            complete += 1;
        }
        let e = per_principal.entry(id).or_default();
        e.0 += 1;
        e.1 += want.len();
        e.2 += g.other;
        for (fid, arrived, read) in &g.events {
            let Some((kind, unit)) = about.get(fid) else {
                continue;
            };
            let sent = match kind.as_str() {
                "exclusion_breach" => crossings.entered.get(unit),
                "exclusion_cleared" => crossings.left.get(unit),
                _ => None,
            };
            if let Some(sent) = sent {
                lat_us.push(arrived.saturating_duration_since(*sent).as_micros() as u64);
                read_lat_us.push(read.saturating_duration_since(*sent).as_micros() as u64);
            }
        }
    }
    lat_us.sort_unstable();
    read_lat_us.sort_unstable();
    let traced_events = about
        .values()
        .filter(|(k, u)| {
            (k == "exclusion_breach" && crossings.entered.contains_key(u))
                || (k == "exclusion_cleared" && crossings.left.contains_key(u))
        })
        .count();
    let ms = |us: u64| us as f64 / 1000.0;

    println!("truceline loadgen: server in-process on {base}, example agreement");
    println!(
        "  setup: {} clients x {}-report batches for {} s, offered {}, {} units per client, {} crossings/s, {} subscribers; server runtime {} threads, load runtime {}",
        o.clients, o.batch, o.seconds,
        if o.rate == 0 { "closed loop".to_string() } else { format!("{} reports/s", o.rate) },
        o.units, o.crossings, o.subscribers, o.server_threads, o.client_threads
    );
    println!(
        "  subscribers: {} opened in {open_ms} ms, {failed_subs} failed to open",
        o.subscribers - failed_subs
    );
    println!(
        "  reports: {total} accepted in {load_s:.1} s = {:.0}/s overall; per 1-s window median {} /s (min {}, max {}, {} windows)",
        total as f64 / load_s,
        percentile(&per_s, 0.5),
        per_s.first().copied().unwrap_or(0),
        per_s.last().copied().unwrap_or(0),
        per_s.len()
    );
    println!(
        "  batches: {} accepted, round trip (send to answer, ledger durable) p50 {:.1} ms, p99 {:.1} ms; {retries} restamped after a time-order race, {} errors",
        rtt.len(),
        ms(percentile(&rtt, 0.5)),
        ms(percentile(&rtt, 0.99)),
        errors.len()
    );
    for e in errors.iter().take(3) {
        println!("    error: {e}");
    }
    println!(
        "  events: {} in the feed ({traced_events} traced to a batch), {} event deliveries measured",
        about.len(),
        lat_us.len()
    );
    println!(
        "  report-to-event latency (batch due -> event in the subscriber's socket, kernel receive time): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&lat_us, 0.5)),
        ms(percentile(&lat_us, 0.99)),
        ms(lat_us.last().copied().unwrap_or(0))
    );
    println!(
        "  the same to this program's read of it (1,000 streams read on the load thread): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&read_lat_us, 0.5)),
        ms(percentile(&read_lat_us, 0.99)),
        ms(read_lat_us.last().copied().unwrap_or(0))
    );
    let mut pp: Vec<_> = per_principal.into_iter().collect();
    pp.sort();
    let pp: Vec<String> = pp
        .iter()
        .map(|(id, (n, w, x))| {
            format!(
                "{id} x{n}: {} events, {} other items each",
                w / n.max(&1),
                *x / *n.max(&1) as u64
            )
        })
        .collect();
    println!("  delivery: {}", pp.join(", "));
    println!(
        "  delivery: {complete} of {} subscribers got exactly the events they may see; {missing} missing, {extra} not allowed, {dup} duplicated; {other_items} other items (incidents) in all",
        o.subscribers
    );
    let before = |k: &str| cpu_before.get(k).copied().unwrap_or((0.0, 0.0));
    let mut cpu: Vec<(String, f64)> = cpu_after
        .iter()
        .map(|(k, v)| (k.clone(), v.0 - before(k).0))
        .filter(|(_, v)| *v > 0.0)
        .collect();
    let waited: Vec<(String, f64)> = cpu_after
        .iter()
        .map(|(k, v)| (k.clone(), v.1 - before(k).1))
        .collect();
    let wait_of = |name: &str| {
        waited
            .iter()
            .filter(|w| w.0 == name)
            .map(|w| w.1)
            .sum::<f64>()
            / load_s
    };
    cpu.sort_by(|a, b| b.1.total_cmp(&a.1));
    let all: f64 = cpu.iter().map(|c| c.1).sum();
    let load_gen: f64 = cpu.iter().filter(|c| c.0 == "load").map(|c| c.1).sum();
    println!(
        "  cpu during the run: {:.2} cores in all, of which the load generator {:.2} and the server {:.2} ({:.1} us of server CPU a report); by thread: {}",
        all / load_s,
        load_gen / load_s,
        (all - load_gen) / load_s,
        (all - load_gen) * 1e6 / (total.max(1) as f64),
        cpu.iter()
            .map(|(k, v)| format!("{k} {:.2}", v / load_s))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  waiting for a core (runnable, not running; other processes on the machine count here): engine thread {:.0} ms a second, server threads {:.0} ms a second, load threads {:.0} ms a second",
        wait_of("engine") * 1000.0,
        wait_of("server") * 1000.0,
        wait_of("load") * 1000.0
    );
    println!(
        "  memory: peak RSS {:.0} MiB (server and load generator in one process), now {:.0} MiB",
        rss_kib("VmHWM:") as f64 / 1024.0,
        rss_kib("VmRSS:") as f64 / 1024.0
    );
    errors.is_empty() && complete == o.subscribers
}
