//! What a flood of password work does to a real server process: hundreds of concurrent logins and
//! sign-ups, from one address and from many, against `ordera-server` as it is deployed (behind the
//! proxy, with its own allocator). The process's peak resident memory stays bounded, every answer is
//! one a client can act on, and a normal login goes through once the throttle allows it.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use ordera_protocol::api::SessionResponse;
use reqwest::{header, StatusCode};
use serde_json::json;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::helpers::*;

/// A throttle window long enough that nothing in the flood ages out while it lasts, short enough to
/// wait out at the end.
const WINDOW_SECS: u64 = 20;
const SIGNUPS_PER_ADDRESS: usize = 5;
/// How much the server's peak resident memory may grow in the flood: far above what two hashing workers
/// and 400 connections need (2 × 19 MiB and a few KiB each), far below what a hash per request reaches
/// (hundreds of threads × 19 MiB).
const GROWTH_BOUND_KIB: u64 = 160 * 1024;

struct Server {
    addr: SocketAddr,
    child: Child,
    _data_dir: tempfile::TempDir,
}

impl Server {
    async fn start(database_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data_dir = tempfile::tempdir().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_ordera-server"))
            .env("DATABASE_URL", database_url)
            .env_remove("REDIS_URL")
            .env_remove("SENTRY_DSN")
            .env("ORDERA_ADDR", format!("127.0.0.1:{port}"))
            .env("ORDERA_DATA_DIR", data_dir.path())
            // As deployed: each client's address comes from the proxy's header, which lets this test
            // speak from many addresses.
            .env("ORDERA_BEHIND_PROXY", "true")
            .env("ORDERA_HASHING_THREADS", "2")
            .env("ORDERA_SIGNUPS_PER_ADDRESS", SIGNUPS_PER_ADDRESS.to_string())
            .env("ORDERA_THROTTLE_WINDOW_SECS", WINDOW_SECS.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        for _ in 0..600 {
            if client.get(format!("http://{addr}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Self { addr, child, _data_dir: data_dir };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not become ready within a minute");
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1/{path}", self.addr)
    }

    /// A line of `/proc/<pid>/status`, in KiB: `VmRSS` now, `VmHWM` the peak so far.
    fn memory_kib(&self, field: &str) -> u64 {
        let pid = self.child.id().expect("the server is running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

fn signup_body(email: &str) -> serde_json::Value {
    json!({"restaurant_name": "Flood", "timezone": "Europe/London", "currency": "GBP", "owner_name": "Olive",
        "email": email, "password": PASSWORD})
}

/// What a flood's requests were answered, by who sent them.
#[derive(Default, Debug)]
struct Answers {
    ok: usize,
    unauthorized: usize,
    too_many: usize,
}

async fn flood(database_url: &str) {
    let server = Server::start(database_url).await;
    let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().unwrap();
    let owner_email = format!("owner-{}@example.com", Uuid::new_v4().simple());
    let signup = http.post(server.url("signup")).header("x-real-ip", "192.0.2.1").json(&signup_body(&owner_email));
    let _: SessionResponse = expect_json(signup.send().await.unwrap(), StatusCode::CREATED).await;
    let peak_before = server.memory_kib("VmHWM:");

    // 400 at once. From one address: 150 guesses at the owner's password and 50 sign-ups. From as many
    // addresses as requests (a botnet, or a busy proxy): 150 logins to unknown accounts and 50 sign-ups,
    // which no per-address or per-account limit stops; only the hashing queue does.
    let attacker = "203.0.113.9";
    let mut requests = Vec::new();
    for n in 0..400u32 {
        let (from, request) = match n % 8 {
            0..=2 => (attacker.to_owned(), ("login", json!({"email": owner_email, "password": format!("guess {n}")}))),
            3 => (attacker.to_owned(), ("signup", signup_body(&format!("spam-{n}@example.com")))),
            4..=6 => (
                format!("2001:db8::{n:x}"),
                ("login", json!({"email": format!("nobody-{n}@example.com"), "password": "a password"})),
            ),
            _ => (format!("2001:db8::{n:x}"), ("signup", signup_body(&format!("many-{n}@example.com")))),
        };
        let (path, body) = request;
        let sent = http.post(server.url(path)).header("x-real-ip", from.as_str()).json(&body).send();
        requests.push(tokio::spawn(async move {
            let response = sent.await.expect("an answer, not a dropped connection");
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after: u64 = response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
                assert!((1..=WINDOW_SECS + 1).contains(&retry_after), "Retry-After {retry_after}");
                expect_error(response, status, "too_many_requests").await;
            }
            (from, path, status)
        }));
    }
    let (mut guesses, mut spam, mut spread) = (Answers::default(), Answers::default(), Answers::default());
    for request in requests {
        let (from, path, status) = request.await.unwrap();
        let answers = match (from == attacker, path) {
            (true, "login") => &mut guesses,
            (true, _) => &mut spam,
            (false, _) => &mut spread,
        };
        match status {
            StatusCode::OK | StatusCode::CREATED => answers.ok += 1,
            StatusCode::UNAUTHORIZED => answers.unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => answers.too_many += 1,
            other => panic!("{path} from {from} answered {other}"),
        }
    }

    // Guesses were counted as they came in, not after their hashes: no more than the account's limit
    // were checked, the rest refused at once.
    assert_eq!(guesses.ok, 0);
    assert!(guesses.unauthorized <= ordera_server::config::LOGIN_FAILURES_PER_ACCOUNT, "{guesses:?}");
    assert_eq!(guesses.unauthorized + guesses.too_many, 150, "{guesses:?}");
    assert!(spam.ok <= SIGNUPS_PER_ADDRESS, "{spam:?}");
    assert_eq!(spam.ok + spam.too_many, 50, "{spam:?}");
    assert_eq!(spread.ok + spread.unauthorized + spread.too_many, 200, "{spread:?}");
    let peak = server.memory_kib("VmHWM:");
    assert!(
        peak <= peak_before + GROWTH_BOUND_KIB,
        "peak resident memory {peak} KiB, before the flood {peak_before} KiB"
    );

    // The owner's account is locked by the guesses; once the window allows it, the right password works.
    let login = || {
        http.post(server.url("login"))
            .header("x-real-ip", attacker)
            .json(&json!({"email": owner_email, "password": PASSWORD}))
            .send()
    };
    let mut response = login().await.unwrap();
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        let retry_after: u64 = response.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        tokio::time::sleep(Duration::from_secs(retry_after)).await;
        response = login().await.unwrap();
    }
    let session: SessionResponse = expect_json(response, StatusCode::OK).await;
    assert_eq!(session.user.email, owner_email);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_logins_and_sign_ups_keeps_memory_bounded_and_a_normal_login_works_after_postgres() {
    let database = TestDatabase::new().await;
    flood(&database.url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_logins_and_sign_ups_keeps_memory_bounded_and_a_normal_login_works_after_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    flood(&format!("sqlite://{}", dir.path().join("ordera.db").display())).await;
}
