//! A tiny token server for distribution's `auth: token:` (the bearer flow Docker Hub uses):
//! it checks Basic credentials on `GET /token`, exchanges refresh tokens on `POST /token`
//! (OAuth2 `refresh_token` and `password` grants), and issues JWTs signed with a P-256 key
//! whose self-signed certificate is the registry's `rootcertbundle` (the JWT carries it in
//! `x5c`). Wrong credentials get Docker Hub's answer, a 401 with
//! `{"details":"incorrect username or password"}`. Test-only, plain HTTP on the namespace's
//! loopback, one connection at a time.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rcgen::{CertificateParams, DnType, KeyPair};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

use crate::NetNs;

/// The `service` the registry names in its challenge and the tokens' audience.
pub const SERVICE: &str = "wharf-test-registry";
/// The tokens' issuer.
pub const ISSUER: &str = "wharf-test-token-server";

/// A running token server; stops on drop.
pub struct TokenServer {
    port: u16,
    cert_pem: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenServer")
            .field("port", &self.port)
            .finish()
    }
}

struct State {
    user: String,
    password: String,
    key: EcdsaKeyPair,
    x5c: String,
    refresh_tokens: Mutex<HashSet<String>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl TokenServer {
    /// Starts a server in `ns` on 127.0.0.1 (a free port) accepting `user`/`password`.
    pub fn start(ns: &NetNs, user: &str, password: &str) -> Result<TokenServer> {
        let rng = SystemRandom::new();
        let key_pair = KeyPair::generate()?;
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &key_pair.serialize_der(),
            &rng,
        )
        .map_err(|e| anyhow::anyhow!("loading the token key: {e}"))?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "wharf test token signer");
        let cert = params.self_signed(&key_pair)?;
        let x5c = STANDARD.encode(cert.der());

        let listener = ns.run_in(|| TcpListener::bind("127.0.0.1:0"))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(State {
            user: user.to_owned(),
            password: password.to_owned(),
            key,
            x5c,
            refresh_tokens: Mutex::new(HashSet::new()),
            log: log.clone(),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let _ = serve(&state, conn);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(TokenServer {
            port,
            cert_pem: cert.pem(),
            stop,
            thread: Some(thread),
            log,
        })
    }

    /// The realm URL for the registry's configuration.
    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// The signing certificate, for the registry's `rootcertbundle`.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// What was asked so far, one line per request: `GET /token?...` or
    /// `POST grant_type=...` (credentials and tokens left out).
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one connection (one request, then close).
fn serve(state: &State, conn: TcpStream) -> Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut authorization = None;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(v.trim().to_owned()),
                "content-length" => length = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, answer) = answer(state, &method, &target, authorization.as_deref(), &body);
    let text = answer.to_string();
    let reason = if status == 200 { "OK" } else { "Unauthorized" };
    let mut out = conn;
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    out.flush()?;
    Ok(())
}

fn answer(
    state: &State,
    method: &str,
    target: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> (u16, Value) {
    let refused = (401, json!({ "details": "incorrect username or password" }));
    let log = |entry: String| {
        state
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry)
    };
    let query = target.split_once('?').map_or("", |(_, q)| q);
    match method {
        "GET" => {
            let params: Vec<(String, String)> =
                serde_urlencoded::from_str(query).unwrap_or_default();
            log(format!("GET /token?{}", redact(&params)));
            let get = |k: &'static str| {
                params
                    .iter()
                    .filter(move |(n, _)| n == k)
                    .map(|(_, v)| v.as_str())
            };
            let user = match authorization.and_then(basic_credentials) {
                Some((u, p)) if u == state.user && p == state.password => Some(u),
                Some(_) => return refused,
                None => None,
            };
            let scopes: Vec<&str> = get("scope").collect();
            let service = get("service").next().unwrap_or(SERVICE);
            // Anonymous callers get a token with no access: the registry then refuses them.
            let granted = if user.is_some() { scopes } else { Vec::new() };
            let token = sign(state, user.as_deref().unwrap_or(""), service, &granted);
            let mut reply = json!({ "token": token, "expires_in": 300 });
            if user.is_some() && get("offline_token").next() == Some("true") {
                reply["refresh_token"] = json!(new_refresh_token(state));
            }
            (200, reply)
        }
        "POST" => {
            let form: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body).unwrap_or_default();
            log(format!("POST {}", redact(&form)));
            let get = |k: &str| {
                form.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or_default()
            };
            let ok = match get("grant_type") {
                "refresh_token" => state
                    .refresh_tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains(get("refresh_token")),
                "password" => get("username") == state.user && get("password") == state.password,
                _ => false,
            };
            if !ok {
                return refused;
            }
            let scopes: Vec<&str> = get("scope").split_whitespace().collect();
            let service = match get("service") {
                "" => SERVICE,
                s => s,
            };
            let token = sign(state, &state.user, service, &scopes);
            let refresh = match get("grant_type") {
                "refresh_token" => get("refresh_token").to_owned(),
                _ => new_refresh_token(state),
            };
            (
                200,
                json!({ "access_token": token, "refresh_token": refresh, "expires_in": 300 }),
            )
        }
        _ => refused,
    }
}

/// The parameters without secrets, for the log.
fn redact(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| match k.as_str() {
            "password" | "refresh_token" => format!("{k}=<redacted>"),
            _ => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (u, p) = decoded.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

fn new_refresh_token(state: &State) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the kernel gives random bytes");
    let token = hex(&bytes);
    state
        .refresh_tokens
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(token.clone());
    token
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A JWT granting every action each `repository:NAME:ACTIONS` scope asks for.
fn sign(state: &State, subject: &str, audience: &str, scopes: &[&str]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let access: Vec<Value> = scopes
        .iter()
        .filter_map(|s| {
            let mut parts = s.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            Some(json!({ "type": kind, "name": name, "actions": actions.split(',').collect::<Vec<_>>() }))
        })
        .collect();
    let mut jti = [0u8; 8];
    getrandom::fill(&mut jti).expect("the kernel gives random bytes");
    let header = json!({ "typ": "JWT", "alg": "ES256", "x5c": [state.x5c] });
    let claims = json!({
        "iss": ISSUER, "sub": subject, "aud": audience,
        "exp": now + 300, "nbf": now - 10, "iat": now, "jti": hex(&jti),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = state
        .key
        .sign(&SystemRandom::new(), signing_input.as_bytes())
        .expect("signing with a P-256 key");
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    )
}

/// Writes the signing certificate where the registry's configuration points.
pub(crate) fn write_bundle(server: &TokenServer, path: &std::path::Path) -> Result<()> {
    std::fs::write(path, server.cert_pem()).with_context(|| format!("writing {}", path.display()))
}
