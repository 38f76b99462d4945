//! PostgreSQL and Redis for the tests: the machine's own on 127.0.0.1 when they answer, otherwise
//! throwaway ones started here (and stopped on drop), installing the Debian packages when missing.
//! `ORDERA_XTASK_THROWAWAY=1` forces throwaway servers, to exercise that path.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{check, target_dir};

fn force_throwaway() -> bool {
    std::env::var("ORDERA_XTASK_THROWAWAY").is_ok_and(|v| v == "1")
}

fn answers(addr: &str) -> bool {
    let addr: SocketAddr = addr.parse().expect("valid address");
    TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{what} did not come up within {timeout:?}")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs Debian packages, once: skipped when `probe` already finds what they provide.
pub fn ensure_apt(packages: &[&str], probe: impl Fn() -> bool) -> Result<()> {
    if probe() {
        return Ok(());
    }
    if !is_root() {
        bail!("missing packages {packages:?}: install them with `sudo apt-get install -y {}`", packages.join(" "));
    }
    println!("installing {packages:?}");
    check(Command::new("apt-get").arg("update").status(), "apt-get update")?;
    check(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status(),
        "apt-get install",
    )?;
    if !probe() {
        bail!("{packages:?} installed but still not found");
    }
    Ok(())
}

pub fn ensure_rustup_component(component: &str) -> Result<()> {
    let installed = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.starts_with(component)));
    if !installed {
        check(Command::new("rustup").args(["component", "add", component]).status(), "rustup component add")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------

pub struct Postgres {
    admin_url: String,
    throwaway: Option<PathBuf>,
}

fn local_postgres(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

impl Postgres {
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    pub fn find_or_start() -> Result<Self> {
        if let Ok(admin_url) = std::env::var("ORDERA_TEST_DATABASE_URL") {
            println!("using ORDERA_TEST_DATABASE_URL");
            return Ok(Self { admin_url, throwaway: None });
        }
        if !force_throwaway() && answers("127.0.0.1:5432") {
            return Ok(Self { admin_url: local_postgres(5432), throwaway: None });
        }
        println!("no PostgreSQL on 127.0.0.1:5432: starting a throwaway one");
        ensure_apt(&["postgresql"], || pg_bin("initdb").is_some())?;
        let bin = pg_bin("initdb").context("initdb")?.parent().expect("bin dir").to_path_buf();
        let port = free_port()?;
        let dir = target_dir().join("xtask").join(format!("postgres-{port}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        // PostgreSQL refuses to run as root: run it as the `postgres` user the package creates.
        let as_user = |program: &Path| {
            let mut command = if is_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            } else {
                Command::new(program)
            };
            command.stdout(Stdio::null());
            command
        };
        if is_root() {
            check(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status(), "chown")?;
        }
        let data = dir.join("data");
        check(
            as_user(&bin.join("initdb"))
                .args(["-D"])
                .arg(&data)
                .args(["-U", "postgres", "--auth=trust", "--no-sync"])
                .status(),
            "initdb",
        )?;
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", dir.display());
        check(
            as_user(&bin.join("pg_ctl"))
                .args(["-D"])
                .arg(&data)
                .args(["-o", &options, "-l"])
                .arg(dir.join("log"))
                .args(["-w", "start"])
                .status(),
            "pg_ctl start",
        )?;
        wait_until("PostgreSQL", Duration::from_secs(30), || answers(&format!("127.0.0.1:{port}")))?;
        Ok(Self { admin_url: local_postgres(port), throwaway: Some(data) })
    }
}

fn pg_bin(name: &str) -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path()).collect();
    versions.sort();
    versions.into_iter().rev().map(|v| v.join("bin").join(name)).find(|p| p.exists())
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let (Some(data), Some(pg_ctl)) = (&self.throwaway, pg_bin("pg_ctl")) {
            let mut command = if is_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(pg_ctl);
                c
            } else {
                Command::new(pg_ctl)
            };
            let _ = command.args(["-D"]).arg(data).args(["-m", "immediate", "stop"]).stdout(Stdio::null()).status();
        }
    }
}

// ---------------------------------------------------------------------------------------------------------

pub struct Redis {
    port: u16,
    child: Option<Child>,
}

fn redis_pongs(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
}

impl Redis {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn find_or_start() -> Result<Self> {
        // Inside `cargo xtask test` (the cluster smoke test), the Redis the suite already uses.
        if let Some(port) = std::env::var("ORDERA_TEST_REDIS_URL").ok().and_then(|url| loopback_port(&url)) {
            return Ok(Self { port, child: None });
        }
        if !force_throwaway() && redis_pongs(6379) {
            return Ok(Self { port: 6379, child: None });
        }
        println!("no Redis on 127.0.0.1:6379: starting a throwaway one");
        ensure_apt(&["redis-server"], || Command::new("redis-server").arg("--version").output().is_ok())?;
        let port = free_port()?;
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .context("starting redis-server")?;
        let redis = Self { port, child: Some(child) };
        wait_until("Redis", Duration::from_secs(15), || redis_pongs(port))?;
        Ok(redis)
    }
}

/// The port of a `redis://127.0.0.1:PORT` URL.
fn loopback_port(url: &str) -> Option<u16> {
    url.strip_prefix("redis://127.0.0.1:")?.trim_end_matches('/').parse().ok()
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
