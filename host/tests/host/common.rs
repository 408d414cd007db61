//! Helpers: spawning the host like a browser, frame I/O, a loopback HTTPS server.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use swipy_host::transport::{encode_frame, FrameReader};
use swipy_shared::protocol::{decode_response, Envelope, Response};

pub const EXT_ID: &str = "abcdefghijklmnopabcdefghijklmnop";

pub fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_swipy"))
}

pub fn fixture_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recs_core.json"),
    )
    .expect("fixture")
}

pub fn fixture() -> Value {
    serde_json::from_str(&fixture_text()).expect("fixture json")
}

/// Starts `swipy ARGS` with `SWIPY_HOME=home` and piped stdin/stdout, the test-only
/// variables removed unless `env` sets them; a thread turns stdout into frames.
pub fn spawn_framed(
    args: &[&str],
    home: &Path,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> (Child, Receiver<Vec<u8>>) {
    let mut cmd = Command::new(exe());
    cmd.args(args)
        .env("SWIPY_HOME", home)
        .env_remove("SWIPY_TEST_RESOLVE")
        .env_remove("SWIPY_TEST_CA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn swipy");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut r = FrameReader::new(stdout, 64 * 1024 * 1024);
        while let Ok(Some(f)) = r.read_frame() {
            if tx.send(f).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// A running host, started as a browser starts it.
pub struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    frames: Receiver<Vec<u8>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    next_id: u32,
}

impl Host {
    /// `swipy chrome-extension://ID/` with `SWIPY_HOME=home`.
    pub fn chromium(home: &Path, env: &[(&str, &str)]) -> Host {
        Host::spawn(&[&format!("chrome-extension://{EXT_ID}/")], home, env)
    }

    pub fn spawn(args: &[&str], home: &Path, env: &[(&str, &str)]) -> Host {
        let (mut child, frames) = spawn_framed(args, home, env, Stdio::piped());
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        let stdin = child.stdin.take();
        Host {
            child,
            stdin,
            frames,
            stderr,
            next_id: 1,
        }
    }

    pub fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write");
        stdin.flush().expect("flush");
    }

    pub fn send_body(&mut self, body: &[u8]) {
        self.write_raw(&encode_frame(body));
    }

    /// Sends a request with the next id; returns the id.
    pub fn send(&mut self, kind: &str, data: Value) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let msg = serde_json::json!({"v": 1, "id": id, "type": kind, "data": data});
        self.send_body(&serde_json::to_vec(&msg).expect("json"));
        id
    }

    pub fn recv(&mut self) -> Envelope<Response> {
        let f = self
            .frames
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| {
                panic!(
                    "no answer from the host ({e}); stderr:\n{}",
                    self.stderr_text()
                )
            });
        decode_response(&f).expect("a valid response envelope")
    }

    /// Sends and returns the single answer, checking `re`.
    pub fn call(&mut self, kind: &str, data: Value) -> Response {
        let id = self.send(kind, data);
        let r = self.recv();
        assert_eq!(r.re, Some(id), "answer to request {id}: {r:?}");
        r.body
    }

    pub fn hello(&mut self) {
        match self.call(
            "hello",
            serde_json::json!({"protocol": 1, "client": "integration test"}),
        ) {
            Response::Hello { protocol: 1, .. } => {}
            other => panic!("hello answered with {other:?}"),
        }
    }

    /// Closes stdin and waits for the exit code (at most 60 s).
    pub fn close(self) -> (i32, String, Vec<Vec<u8>>) {
        let (status, stderr, rest) = self.close_full();
        (status.code().unwrap_or(-1), stderr, rest)
    }

    /// Closes stdin and waits for the exit (at most 60 s): how it ended (a signal
    /// included) and its stderr.
    pub fn close_status(self) -> (std::process::ExitStatus, String) {
        let (status, stderr, _) = self.close_full();
        (status, stderr)
    }

    fn close_full(mut self) -> (std::process::ExitStatus, String, Vec<Vec<u8>>) {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the host did not exit after EOF; stderr:\n{}",
                    self.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(50));
        let rest: Vec<Vec<u8>> = self.frames.try_iter().collect();
        (status, self.stderr_text(), rest)
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("lock")).into_owned()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs the CLI; returns (exit code, stdout, stderr).
pub fn swipy(home: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(exe());
    cmd.arg("--data-dir")
        .arg(home)
        .args(args)
        .env_remove("SWIPY_HOME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run swipy");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Whole years between a birth date and today (UTC), by the calendar.
pub fn age_today(y: i64, m: i64, d: i64) -> u32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as f64;
    let ts = swipy_host::logger::timestamp(now);
    let ty: i64 = ts[0..4].parse().expect("y");
    let tm: i64 = ts[5..7].parse().expect("m");
    let td: i64 = ts[8..10].parse().expect("d");
    let mut age = ty - y;
    if (tm, td) < (m, d) {
        age -= 1;
    }
    age as u32
}

// ---------------------------------------------------------------------------------------
// A loopback HTTPS server posing as Tinder's image CDN.

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send no Content-Length (body ends when the connection closes).
    pub no_length: bool,
}

impl Reply {
    pub fn new(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body,
            no_length: false,
        }
    }
}

pub struct Cdn {
    pub port: u16,
    pub ca_pem: String,
    pub ca_file: tempfile::NamedTempFile,
    hits: Arc<Mutex<HashMap<String, u32>>>,
    /// Request heads (request line + headers) in arrival order.
    heads: Arc<Mutex<Vec<String>>>,
    _rt: tokio::runtime::Runtime,
}

pub type Route = Arc<dyn Fn(&str, u32) -> Reply + Send + Sync>;

/// A JPEG whose pixels depend on `seed`, so different URLs give different files.
pub fn jpeg_for(seed: &str, w: u32, h: u32) -> Vec<u8> {
    let v = seed
        .bytes()
        .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(v % 251) as u8, (x * 7) as u8, (y * 5 + v % 13) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

impl Cdn {
    /// Serves `route(path, hit number)` for `images-ssl.gotinder.com` and
    /// `images.gotinder.com` (certificate SANs), trusted through a fresh test CA.
    pub fn start(route: Route) -> Cdn {
        let (acceptor, ca_file, ca_pem) = test_tls("Swipy test CA");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("rt");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hits: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let hits2 = Arc::clone(&hits);
        let heads: Arc<Mutex<Vec<String>>> = Arc::default();
        let heads2 = Arc::clone(&heads);
        rt.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    break;
                };
                let acceptor = acceptor.clone();
                let route = Arc::clone(&route);
                let hits = Arc::clone(&hits2);
                let heads = Arc::clone(&heads2);
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16384 {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head);
                    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    heads.lock().expect("heads").push(text.to_string());
                    let n = {
                        let mut h = hits.lock().expect("hits");
                        let c = h.entry(path.clone()).or_insert(0);
                        *c += 1;
                        *c
                    };
                    let reply = route(&path, n);
                    let mut resp = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
                    if !reply.no_length {
                        resp.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
                    }
                    for (k, v) in &reply.headers {
                        resp.push_str(&format!("{k}: {v}\r\n"));
                    }
                    resp.push_str("\r\n");
                    let _ = tls.write_all(resp.as_bytes()).await;
                    let _ = tls.write_all(&reply.body).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Cdn {
            port,
            ca_pem,
            ca_file,
            hits,
            heads,
            _rt: rt,
        }
    }

    /// Request heads received so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }

    pub fn hits(&self, path: &str) -> u32 {
        self.hits
            .lock()
            .expect("hits")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn total_hits(&self) -> u32 {
        self.hits.lock().expect("hits").values().sum()
    }

    /// The `SWIPY_TEST_RESOLVE` value sending both CDN names here.
    pub fn resolve_spec(&self) -> String {
        format!(
            "images-ssl.gotinder.com=127.0.0.1:{p},images.gotinder.com=127.0.0.1:{p}",
            p = self.port
        )
    }

    /// [`Cdn::resolve_spec`] plus `api.gotinder.com` (the matches read).
    pub fn resolve_spec_with_api(&self) -> String {
        format!(
            "{},api.gotinder.com=127.0.0.1:{}",
            self.resolve_spec(),
            self.port
        )
    }

    pub fn ca_path(&self) -> String {
        self.ca_file.path().display().to_string()
    }
}

/// A fresh test CA (written to a temp PEM file for `SWIPY_TEST_CA`) and a TLS acceptor for a
/// leaf certificate it signed, valid for Tinder's image and API host names.
pub fn test_tls(ca_name: &str) -> (tokio_rustls::TlsAcceptor, tempfile::NamedTempFile, String) {
    use tokio_rustls::rustls;
    let ca_key = rcgen::KeyPair::generate().expect("ca key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, ca_name);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = rcgen::CertificateParams::new(vec![
        "images-ssl.gotinder.com".to_owned(),
        "images.gotinder.com".to_owned(),
        "api.gotinder.com".to_owned(),
    ])
    .expect("leaf params")
    .signed_by(&leaf_key, &issuer)
    .expect("leaf");
    let ca_pem = ca_cert.pem();
    let mut ca_file = tempfile::NamedTempFile::new().expect("ca file");
    ca_file.write_all(ca_pem.as_bytes()).expect("write ca");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .expect("server config");
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_file,
        ca_pem,
    )
}
