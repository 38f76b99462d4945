//! `cargo xtask cluster`: the production topology of `docker-compose.yml` as local processes — PostgreSQL,
//! Redis, two stateless server replicas and nginx in front running `deploy/nginx/ordera.conf.template` —
//! so it runs (and is tested) on a machine without Docker. Also the deployment checks `cargo xtask test`
//! makes: nginx for the cluster test, and the compose file validated.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::services::{ensure_apt, Postgres, Redis};
use crate::{cargo, check, root, step, target_dir};

const DATABASE: &str = "ordera_cluster";

/// nginx for the proxy, docker-compose to validate the compose file, psql to make the cluster's database.
pub fn ensure_tools() -> Result<()> {
    let found = |program: &str| Command::new("which").arg(program).output().is_ok_and(|o| o.status.success());
    ensure_apt(&["nginx"], || Path::new("/usr/sbin/nginx").exists() || found("nginx"))?;
    ensure_apt(&["docker-compose"], || found("docker-compose"))?;
    ensure_apt(&["postgresql-client"], || found("psql"))
}

/// Compose parses and checks the compose file (no Docker daemon needed): Docker's own `docker compose`
/// where it is installed, Debian's `docker-compose` otherwise.
pub fn check_compose() -> Result<()> {
    let v2 = Command::new("docker").args(["compose", "version"]).output().is_ok_and(|o| o.status.success());
    let mut command = if v2 {
        let mut command = Command::new("docker");
        command.arg("compose");
        command
    } else {
        Command::new("docker-compose")
    };
    let output = command
        .args(["-f", "docker-compose.yml", "config", "--quiet"])
        // The file insists on a password; any value checks the rest.
        .env("POSTGRES_PASSWORD", "compose-check")
        .current_dir(root())
        .output()
        .context("running compose config")?;
    if !output.status.success() {
        bail!("docker-compose.yml is not valid:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    println!("docker-compose.yml is valid");
    Ok(())
}

fn free_addr() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Waits until `addr` accepts connections, failing at once if the process meant to listen there ends.
fn wait_for(addr: SocketAddr, child: &mut Child, what: &str) -> Result<()> {
    let start = Instant::now();
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Some(status) = child.try_wait()? {
            bail!("{what} exited while starting ({status})");
        }
        if start.elapsed() > Duration::from_secs(60) {
            bail!("{what} did not listen on {addr}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// The cluster's processes, stopped (SIGTERM, then waited for) however `run` ends.
#[derive(Default)]
struct Processes(Vec<(String, Child)>);

impl Processes {
    fn add(&mut self, name: String, child: Child) -> &mut Child {
        self.0.push((name, child));
        &mut self.0.last_mut().expect("just added").1
    }

    /// The first process that has ended on its own, if any.
    fn ended(&mut self) -> Option<String> {
        self.0.iter_mut().find_map(|(name, child)| child.try_wait().ok().flatten().map(|_| name.clone()))
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        }
        for (_, child) in &mut self.0 {
            let _ = child.wait();
        }
    }
}

/// Creates the cluster's database once.
fn ensure_database(admin_url: &str) -> Result<String> {
    let exists = Command::new("psql")
        .args([admin_url, "-tAc", &format!("SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")])
        .output()
        .context("running psql")?;
    if !String::from_utf8_lossy(&exists.stdout).contains('1') {
        check(
            Command::new("psql").args([admin_url, "-qc", &format!("CREATE DATABASE {DATABASE}")]).status(),
            "creating the cluster database",
        )?;
    }
    let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(admin_url);
    Ok(format!("{base}/{DATABASE}"))
}

/// Writes the proxy's two configuration files into `dir` with their placeholders filled (as the nginx
/// image's template step does in compose) and returns the main one.
fn proxy_files(dir: &Path, listen: SocketAddr, upstreams: [SocketAddr; 2]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let values = [
        ("ORDERA_PROXY_DIR", dir.display().to_string()),
        ("ORDERA_LISTEN", listen.to_string()),
        ("ORDERA_UPSTREAM_A", upstreams[0].to_string()),
        ("ORDERA_UPSTREAM_B", upstreams[1].to_string()),
    ];
    for (template, file) in [("ordera.conf.template", "ordera.conf"), ("local.conf.template", "nginx.conf")] {
        let mut text = std::fs::read_to_string(root().join("deploy/nginx").join(template))?;
        for (name, value) in &values {
            text = text.replace(&format!("${{{name}}}"), value);
        }
        std::fs::write(dir.join(file), text)?;
    }
    // nginx's workers run unprivileged when started as root and write their temporary files here.
    check(Command::new("chmod").arg("777").arg(dir).status(), "chmod")?;
    Ok(dir.join("nginx.conf"))
}

pub fn run(rest: &[String]) -> Result<()> {
    let listen: SocketAddr = match rest.iter().position(|a| a == "--addr") {
        Some(i) => rest.get(i + 1).context("--addr needs an address")?.parse().context("--addr")?,
        None => "127.0.0.1:8080".parse().expect("a valid address"),
    };
    step("services: PostgreSQL and Redis");
    let postgres = Postgres::find_or_start()?;
    let redis = Redis::find_or_start()?;
    ensure_tools()?;
    let database_url = ensure_database(postgres.admin_url())?;

    // `--server-bin` runs a server already built (the smoke test uses the debug build it has).
    let binary = match rest.iter().position(|a| a == "--server-bin") {
        Some(i) => PathBuf::from(rest.get(i + 1).context("--server-bin needs a path")?),
        None => {
            step("building the server");
            check(cargo().args(["build", "--release", "-p", "ordera-server"]).status(), "cargo build")?;
            target_dir().join("release").join("ordera-server")
        }
    };

    step("starting two replicas and the proxy");
    // Ctrl-C reaches every process of the terminal; this one then stops the rest in order and drops the
    // throwaway services, which run in sessions of their own.
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = interrupted.clone();
        ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst)).context("handling Ctrl-C")?;
    }
    let data_dir = root().join("data").join("cluster");
    std::fs::create_dir_all(&data_dir)?;
    let upstreams = [free_addr()?, free_addr()?];
    let mut processes = Processes::default();
    for (index, addr) in upstreams.iter().enumerate() {
        let mut command = Command::new(&binary);
        // Connection URLs go by environment, not on a command line that `ps` shows.
        command
            .args(["--addr", &addr.to_string()])
            .arg("--data-dir")
            .arg(&data_dir)
            .env("DATABASE_URL", &database_url)
            .env("REDIS_URL", redis.url())
            .env("ORDERA_BEHIND_PROXY", "true");
        // One replica refreshes the demo restaurant (and prints its login); migrations are safe from both.
        if index == 0 {
            command.arg("--demo");
        }
        let name = format!("server replica {} on {addr}", index + 1);
        let child = processes.add(name.clone(), command.spawn().context("starting a replica")?);
        wait_for(*addr, child, &name)?;
    }
    // nginx's workers run unprivileged when started as root: its folder must be reachable for them,
    // which a build folder under a home directory may not be.
    let proxy_dir = std::env::temp_dir().join(format!("ordera-cluster-proxy-{}", listen.port()));
    let config = proxy_files(&proxy_dir, listen, upstreams)?;
    let nginx = Command::new(nginx())
        .arg("-p")
        .arg(&proxy_dir)
        .arg("-e")
        .arg(proxy_dir.join("error.log"))
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .spawn()
        .context("starting nginx")?;
    let name = format!("nginx on {listen}");
    let child = processes.add(name.clone(), nginx);
    wait_for(listen, child, &name)?;
    println!(
        "\nOrdera cluster: http://{listen} (nginx) → replicas {} and {}, PostgreSQL database {DATABASE}, Redis.\n\
         Stop a replica with SIGTERM to watch its clients move to the other; Ctrl-C stops everything.",
        upstreams[0], upstreams[1],
    );

    // Runs until Ctrl-C, or until a process ends by itself (then the cluster stops and says so).
    let outcome = loop {
        if interrupted.load(Ordering::SeqCst) {
            break Ok(());
        }
        if let Some(name) = processes.ended() {
            break Err(anyhow::anyhow!("{name} stopped by itself: stopping the cluster"));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    println!("stopping the cluster");
    drop(processes);
    drop(redis);
    drop(postgres);
    outcome
}

fn nginx() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or("nginx".into())
}
