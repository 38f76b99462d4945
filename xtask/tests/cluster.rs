//! `cargo xtask cluster` as an operator runs it: the command itself brings up PostgreSQL's database, two
//! replicas and nginx, the demo owner logs in through the proxy, and Ctrl-C stops everything it started.
//! It runs the debug server `cargo xtask test` has built (`--server-bin`) instead of a release build.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Sends one HTTP/1.1 request and returns the status and the whole response (headers and body).
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("the proxy answers");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response)
}

fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

#[test]
fn the_cluster_command_serves_the_demo_through_the_proxy_and_stops_everything_on_ctrl_c() {
    let xtask = Path::new(env!("CARGO_BIN_EXE_xtask"));
    let server = xtask.with_file_name("ordera-server");
    assert!(server.exists(), "{} is not built: run `cargo xtask test`", server.display());
    let listen = free_addr();
    let mut cluster = Command::new(xtask)
        .args(["cluster", "--addr", &listen.to_string(), "--server-bin"])
        .arg(&server)
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting cargo xtask cluster");

    // What it prints, line by line, as it comes.
    let (lines, printed) = mpsc::channel();
    let stdout = cluster.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    let (mut login, mut ready) = (None, None);
    while ready.is_none() {
        let line = printed
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("cargo xtask cluster did not come up within 3 minutes");
        if line.starts_with("Demo restaurant") {
            // "Demo restaurant "…": log in as EMAIL with password PASSWORD"
            let words: Vec<&str> = line.split(' ').collect();
            login = Some((words[words.len() - 4].to_owned(), words[words.len() - 1].to_owned()));
        }
        if line.starts_with("Ordera cluster:") {
            ready = Some(line);
        }
    }
    let ready = ready.unwrap();
    // "Ordera cluster: http://L (nginx) → replicas A and B, …"
    let replicas: Vec<SocketAddr> =
        ready.split(|c: char| c.is_whitespace() || c == ',').filter_map(|word| word.parse().ok()).collect();
    assert_eq!(replicas.len(), 2, "{ready}");

    let (status, response) = http(listen, "GET", "/readyz", None);
    assert_eq!(status, 200, "{response}");
    assert!(response.to_lowercase().contains("x-ordera-replica"), "the proxy says which replica answered: {response}");
    let (email, password) = login.expect("the demo login is printed");
    let body = format!(r#"{{"email": "{email}", "password": "{password}"}}"#);
    let (status, response) = http(listen, "POST", "/api/v1/login", Some(&body));
    assert_eq!(status, 200, "the demo owner logs in through the proxy: {response}");
    assert!(response.contains("\"token\""), "{response}");

    // Ctrl-C: the command stops its replicas and nginx, and ends well.
    assert!(Command::new("kill").args(["-INT", &cluster.id().to_string()]).status().unwrap().success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = cluster.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "cargo xtask cluster did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "cargo xtask cluster ended with {status}");
    for addr in replicas.into_iter().chain([listen]) {
        assert!(
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
            "{addr} still listens after the cluster stopped"
        );
    }
}
