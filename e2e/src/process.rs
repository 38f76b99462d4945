//! The production topology as local processes: the real `ordera-server` binary (stopped with SIGTERM, as
//! an orchestrator does, or killed) and nginx in front of the replicas running the deployment's own proxy
//! configuration (`deploy/nginx/ordera.conf.template`).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a process may take to come up or to stop.
const PATIENCE: Duration = Duration::from_secs(30);

/// A free loopback address for a process to listen on.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port")
}

/// The debug `ordera-server` beside `target_tmp` (a test's `CARGO_TARGET_TMPDIR`), which `cargo test`
/// builds for the server's own integration tests, or `ORDERA_SERVER_BIN` when set.
pub fn server_binary(target_tmp: &str) -> PathBuf {
    if let Some(path) = std::env::var_os("ORDERA_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let path = Path::new(target_tmp).parent().expect("a target directory").join("debug").join("ordera-server");
    assert!(
        path.exists(),
        "{} is not built: run `cargo build -p ordera-server` (or `cargo xtask test`)",
        path.display()
    );
    path
}

fn signal(child: &Child, name: &str) {
    let _ = Command::new("kill").arg(format!("-{name}")).arg(child.id().to_string()).status();
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// One `ordera-server` process.
pub struct ServerProcess {
    pub addr: SocketAddr,
    child: Child,
}

impl ServerProcess {
    /// Starts `binary` on `addr` with the given database, Redis and environment, and waits until it is ready.
    pub async fn start(
        binary: &Path,
        addr: SocketAddr,
        database_url: &str,
        redis_url: Option<&str>,
        data_dir: &Path,
        env: &[(&str, String)],
    ) -> Self {
        let mut command = Command::new(binary);
        command
            .args(["--addr", &addr.to_string(), "--database-url", database_url, "--position-check-ms", "500"])
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            // Only what the test gives it: never an operator's Sentry, database or Redis from the shell.
            .env_remove("SENTRY_DSN")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null());
        if let Some(redis) = redis_url {
            command.args(["--redis-url", redis]);
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut server = Self { addr, child };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(2)).build().unwrap();
        let start = Instant::now();
        loop {
            if let Ok(response) = http.get(format!("http://{}/readyz", self.addr)).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server on {} exited while starting: {status}", self.addr);
            }
            assert!(start.elapsed() < PATIENCE, "the server on {} did not become ready", self.addr);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, as an orchestrator stops a replica: returns how the process ended.
    pub fn terminate(&mut self) -> ExitStatus {
        signal(&self.child, "TERM");
        wait_exit(&mut self.child, PATIENCE).unwrap_or_else(|| panic!("the server on {} ignored SIGTERM", self.addr))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx in front of two replicas, with its files in its own folder.
pub struct Proxy {
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Proxy {
    pub async fn start(upstreams: [SocketAddr; 2]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let addr = free_addr();
        let root = dir.path().display().to_string();
        // The deployment's own templates, filled as the nginx image's template step does in compose.
        let values = [
            ("ORDERA_PROXY_DIR", root.clone()),
            ("ORDERA_LISTEN", addr.to_string()),
            ("ORDERA_UPSTREAM_A", upstreams[0].to_string()),
            ("ORDERA_UPSTREAM_B", upstreams[1].to_string()),
        ];
        // `cargo test` sets the package's directory at run time too: this clone's, even when the binary
        // was built from another clone sharing the build cache.
        let package = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        let templates = package.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR"))).join("../deploy/nginx");
        for (template, file) in [("ordera.conf.template", "ordera.conf"), ("local.conf.template", "nginx.conf")] {
            let mut text = std::fs::read_to_string(templates.join(template)).expect("the deployment's nginx templates");
            for (name, value) in &values {
                text = text.replace(&format!("${{{name}}}"), value);
            }
            std::fs::write(dir.path().join(file), text).unwrap();
        }
        // nginx's workers run unprivileged when started as root and write their temporary files here.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let child = Command::new(nginx())
            .args(["-p", &root, "-e", &format!("{root}/error.log"), "-c", &format!("{root}/nginx.conf")])
            .stdout(Stdio::null())
            .spawn()
            .expect("nginx is required for the cluster tests; `cargo xtask test` installs it (Debian package nginx)");
        let mut proxy = Self { addr, child, _dir: dir };
        let start = Instant::now();
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = proxy.child.try_wait() {
                let log = std::fs::read_to_string(proxy._dir.path().join("error.log")).unwrap_or_default();
                panic!("nginx exited: {status}\n{log}");
            }
            assert!(start.elapsed() < PATIENCE, "nginx did not listen on {addr}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // A fast stop: open sync sockets are not waited for.
        signal(&self.child, "TERM");
        if wait_exit(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn nginx() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or("nginx".into())
}
