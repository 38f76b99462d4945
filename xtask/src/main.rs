//! `cargo xtask`: the project's own commands.
//!
//! - `run`   builds and starts the server on its embedded SQLite default with the demo restaurant, and where
//!   a display exists the three apps, each already in it (`--server-only`: the server alone).
//! - `test`  installs what the tests need, finds PostgreSQL and Redis on 127.0.0.1 or starts throwaway
//!   ones, then runs formatting, lint and every test. It fails loudly; it never skips.
//!
//! - `cluster` runs the production topology as local processes: PostgreSQL, Redis, two server replicas
//!   and nginx in front, with the demo restaurant.
//! - `bench` builds release binaries and runs `ordera-bench` against the same services, then `kds-draw`
//!   (order → ticket painted on the release kitchen display app).
//! - `dist` builds the installable packages of the three apps (Linux `.deb`, Windows `.exe`); `package`
//!   packages one built shell; `icons` redraws the apps' icons from their SVG.
//!
//! Plain `std`, `anyhow`, `ctrlc` and `serde_json` only, so that `cargo xtask` builds in seconds on a fresh
//! machine.

mod apps;
mod cluster;
mod dist;
mod services;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = args.split_first().map(|(c, r)| (c.as_str(), r)).unwrap_or(("help", &[]));
    match command {
        "run" => run(rest),
        "test" => test(rest),
        "bench" => bench(rest),
        "cluster" => cluster::run(rest),
        "dist" => dist::dist(rest),
        "package" => dist::package(rest),
        "icons" => dist::icons(),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run [-- server args]  start Ordera (embedded SQLite, demo restaurant) with its three apps in it\n  \
                   [--server-only]     the server alone\n  \
                 test                  install what is missing and run every test\n  \
                 cluster [--addr A]    PostgreSQL, Redis, two server replicas and nginx (default 127.0.0.1:8080);\n  \
                   [--server-bin P]    with a server binary already built instead of a release build\n  \
                 bench [--seconds N]   measure release builds on PostgreSQL and Redis; print a table\n  \
                 dist [--out DIR]      the apps' installable packages: Linux .deb and Windows .exe (default ../ordera-dist)\n  \
                 package --app A --binary B --out D   the .deb of one built shell (kiosk, kds or admin)\n  \
                 icons                 redraw the apps' icons from their icon.svg"
            );
            if command == "help" || command == "--help" {
                Ok(())
            } else {
                bail!("unknown command {command:?}")
            }
        }
    }
}

/// The workspace `cargo xtask` was run in. `cargo run` sets CARGO_MANIFEST_DIR for the running binary: a
/// clone sharing the build cache with another (CI beside a working copy) may run an xtask binary built
/// from the other clone, whose compile-time directory would point there.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let manifest_dir = manifest_dir.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().expect("xtask lives in the workspace").to_path_buf()
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

pub fn step(title: &str) {
    println!("\n==> {title}");
}

pub fn check(status: std::io::Result<ExitStatus>, what: &str) -> Result<()> {
    let status = status.with_context(|| format!("starting {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

fn run(rest: &[String]) -> Result<()> {
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    // `--server-only` starts the server alone; every other argument goes to the server.
    let server_only = rest.iter().any(|a| a == "--server-only");
    let with_apps = display && !server_only;
    step("building the server");
    check(cargo().args(["build", "--release", "-p", "ordera-server"]).status(), "cargo build")?;
    if with_apps {
        step("building the apps");
        apps::setup()?;
        apps::build_uis(true)?;
        for (_, package) in apps::APPS {
            check(
                cargo().args(["build", "--release", "-p", package, "--features", "custom-protocol"]).status(),
                "cargo build of the app shells",
            )?;
        }
    }
    let release = target_dir().join("release");
    let data_dir = root().join("data");
    step(&format!("starting Ordera on its embedded database in {}", data_dir.display()));
    let extra: Vec<&String> = rest.iter().filter(|a| *a != "--server-only").skip_while(|a| *a == "--").collect();
    // The apps suggest the address the server listens on (`--addr` among the server's arguments).
    let addr = extra
        .iter()
        .position(|a| *a == "--addr")
        .and_then(|i| extra.get(i + 1))
        .map(|a| a.to_string())
        .or_else(|| std::env::var("ORDERA_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let mut server = Command::new(release.join("ordera-server"))
        .arg("--demo")
        .args(extra)
        .env("ORDERA_DATA_DIR", std::env::var("ORDERA_DATA_DIR").unwrap_or_else(|_| data_dir.display().to_string()))
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting ordera-server")?;
    // The server's output is passed on as it comes; the demo's ways in are read from it on the way.
    let (ways_in, heard) = std::sync::mpsc::channel::<DemoWaysIn>();
    let output = server.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        let mut found = DemoWaysIn::default();
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            println!("{line}");
            if found.read(&line) {
                let _ = ways_in.send(found.clone());
            }
        }
    });
    let mut apps = Vec::new();
    if with_apps {
        let found = heard.recv_timeout(std::time::Duration::from_secs(120)).ok();
        if found.is_none() {
            println!("the demo's pairing codes did not appear; pair each app with a code from the admin app");
        }
        for (folder, package) in apps::APPS {
            let kind = folder.to_uppercase();
            let mut app = Command::new(release.join(package));
            app.env("ORDERA_SERVER_URL", format!("http://{addr}"))
                .env(format!("ORDERA_{kind}_DATA_DIR"), data_dir.join(folder));
            // Each app starts already in the demo restaurant: the kiosk and the kitchen screen paired with
            // their codes, the admin app signed in as the demo's owner (the dashboard is the owner's).
            if let Some(found) = &found {
                match *folder {
                    "admin" => {
                        app.env("ORDERA_ADMIN_EMAIL", &found.owner_email).env("ORDERA_ADMIN_PASSWORD", &found.password);
                    }
                    _ => {
                        if let Some(code) = found.codes.iter().find(|(k, _)| k.eq_ignore_ascii_case(folder)) {
                            app.env(format!("ORDERA_{kind}_PAIRING_CODE"), &code.1);
                        }
                    }
                }
            }
            apps.push(app.spawn().with_context(|| format!("starting {package}"))?);
        }
        println!("the kiosk, the kitchen screen and the admin app start in the demo restaurant");
    } else if !display {
        println!("no display: starting the server only");
    }
    let status = server.wait();
    for mut app in apps {
        let _ = app.kill();
    }
    check(status, "ordera-server")
}

/// What the demo server prints for getting in: its owner's login and a pairing code per app.
#[derive(Clone, Default)]
struct DemoWaysIn {
    owner_email: String,
    password: String,
    codes: Vec<(String, String)>,
}

impl DemoWaysIn {
    /// Reads one line of the server's output; true once both the login and the codes were read.
    fn read(&mut self, line: &str) -> bool {
        if let Some((_, login)) = line.split_once("log in as ") {
            if let Some((email, password)) = login.split_once(" with password ") {
                self.owner_email = email.trim().to_owned();
                self.password = password.trim().to_owned();
            }
        }
        if let Some((_, codes)) = line.split_once("once each): ") {
            self.codes = codes
                .split(", ")
                .filter_map(|pair| pair.trim().split_once(' '))
                .map(|(kind, code)| (kind.to_owned(), code.to_owned()))
                .collect();
        }
        !self.password.is_empty() && !self.codes.is_empty()
    }
}

pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // Matches `.cargo/config.toml`: the build cache lives beside the clone.
        None => root().join("..").join("target"),
    }
}

fn test(_rest: &[String]) -> Result<()> {
    step("toolchain components");
    services::ensure_rustup_component("rustfmt")?;
    services::ensure_rustup_component("clippy")?;

    step("services: PostgreSQL and Redis");
    let postgres = services::Postgres::find_or_start()?;
    let redis = services::Redis::find_or_start()?;
    println!("PostgreSQL: {}", postgres.admin_url());
    println!("Redis:      {}", redis.url());

    step("apps: tools and UI builds");
    apps::setup()?;
    apps::build_uis(false)?;

    step("deployment: the proxy and compose file the cluster tests and production use");
    cluster::ensure_tools()?;
    cluster::check_compose()?;

    step("formatting");
    check(cargo().args(["fmt", "--all", "--", "--check"]).status(), "cargo fmt --check")?;

    step("lint");
    check(
        cargo()
            .args(["clippy", "--workspace", "--all-targets", "--features", "ordera-e2e/ui", "--", "-D", "warnings"])
            .status(),
        "cargo clippy",
    )?;

    // One selection of packages and features for every build below, so that cargo resolves the
    // dependencies once and builds them once.
    let everything = ["--workspace", "--all-targets", "--features", "ordera-e2e/ui"];
    step("build: every crate, test and app shell (the app tests drive the built shells)");
    check(cargo().arg("build").args(everything).status(), "cargo build")?;

    step("Windows: every app shell still compiles for Windows (MinGW-w64)");
    dist::check_windows()?;

    step("tests, the apps' end-to-end tests among them (the built apps under Xvfb, over WebDriver)");
    let mut totals = Totals::default();
    let mut tests = cargo();
    // Every test binary runs even when an earlier one fails, so the total below is the whole picture.
    tests.arg("test").args(everything).arg("--no-fail-fast");
    let outcome = totals.run(tests, &postgres, &redis);
    drop(redis);
    drop(postgres);
    let outcome = outcome.and_then(|()| {
        if totals.passed == 0 {
            bail!("no test ran");
        }
        Ok(())
    });
    if outcome.is_ok() {
        println!("\nAll checks and tests passed.");
    }
    // The total is the last line, for whoever reads the closing line of a run.
    println!("{} passed, {} failed", totals.passed, totals.failed);
    outcome
}

/// Test results added up across a `cargo test` run's test binaries.
#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

impl Totals {
    /// Runs `command` (a `cargo test`) against the services, passing its output through while adding up
    /// each test binary's result line, so the run ends with one total rather than the last binary's.
    fn run(&mut self, mut command: Command, postgres: &services::Postgres, redis: &services::Redis) -> Result<()> {
        let mut child = command
            .env("ORDERA_TEST_DATABASE_URL", postgres.admin_url())
            .env("ORDERA_TEST_REDIS_URL", redis.url())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting cargo test")?;
        for line in BufReader::new(child.stdout.take().expect("piped stdout")).lines() {
            let line = line?;
            println!("{line}");
            if let Some(result) = line.strip_prefix("test result: ") {
                self.passed += count(result, " passed");
                self.failed += count(result, " failed");
            }
        }
        check(child.wait(), "cargo test")
    }
}

/// The number before `label` in a libtest result line (`ok. 12 passed; 0 failed; …`).
fn count(result: &str, label: &str) -> u64 {
    result
        .split(';')
        .find(|part| part.ends_with(label))
        .and_then(|part| part.trim_end_matches(label).rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

fn bench(rest: &[String]) -> Result<()> {
    step("services: PostgreSQL and Redis");
    let postgres = services::Postgres::find_or_start()?;
    let redis = services::Redis::find_or_start()?;
    services::ensure_apt(&["postgresql-client"], || Command::new("pgbench").arg("--version").output().is_ok())?;
    step("release build");
    check(
        cargo().args(["build", "--release", "-p", "ordera-server", "-p", "ordera-bench"]).status(),
        "cargo build --release",
    )?;
    let release = target_dir().join("release");
    step("measuring (a few minutes)");
    let status = Command::new(release.join("ordera-bench"))
        .arg("--server-bin")
        .arg(release.join("ordera-server"))
        .args(["--admin-url", postgres.admin_url(), "--redis-url", &redis.url()])
        .args(rest)
        .current_dir(root())
        .status();
    let measured = check(status, "ordera-bench").and_then(|()| bench_kitchen_display(&postgres, &redis));
    drop(redis);
    drop(postgres);
    measured
}

/// The kitchen display's rows: the release app in a real webview (its own Xvfb, over tauri-driver), as
/// `cargo xtask run` builds it, with `kds-draw` posting orders and reading when each ticket was painted.
fn bench_kitchen_display(postgres: &services::Postgres, redis: &services::Redis) -> Result<()> {
    step("kitchen display: the release app and its measuring tool");
    apps::setup()?;
    apps::build_uis(true)?;
    check(
        cargo().args(["build", "--release", "-p", "ordera-kds", "--features", "custom-protocol"]).status(),
        "cargo build of the kitchen display",
    )?;
    check(
        cargo().args(["build", "--release", "-p", "ordera-e2e", "--features", "ui", "--bin", "kds-draw"]).status(),
        "cargo build of kds-draw",
    )?;
    let release = target_dir().join("release");
    step("measuring the kitchen display (a few minutes)");
    let status = Command::new(release.join("kds-draw"))
        .arg("--server-bin")
        .arg(release.join("ordera-server"))
        .arg("--kds-bin")
        .arg(release.join("ordera-kds"))
        .args(["--redis-url", &redis.url()])
        .env("ORDERA_TEST_DATABASE_URL", postgres.admin_url())
        .current_dir(root())
        .status();
    check(status, "kds-draw")
}

#[cfg(test)]
mod tests {
    #[test]
    fn result_lines_are_counted() {
        let line = "ok. 12 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(super::count(line, " passed"), 12);
        assert_eq!(super::count(line, " failed"), 3);
    }

    #[test]
    fn the_demo_servers_ways_in_are_read_from_its_output() {
        let mut found = super::DemoWaysIn::default();
        assert!(!found.read("2026-12-07T19:00:00Z  INFO ordera_server: starting"));
        let login = "Demo restaurant \"Sizzling Bistro - Soho\": log in as owner@sizzling-bistro.example with password demo-abc";
        assert!(!found.read(login), "the codes are still to come");
        let codes =
            "Pairing codes for the apps (valid 10 minutes, once each): kiosk K7MQ-2XFD, kds 9RTC-4MNB, admin A2B3-C4D5";
        assert!(found.read(codes));
        assert_eq!(
            (found.owner_email.as_str(), found.password.as_str()),
            ("owner@sizzling-bistro.example", "demo-abc")
        );
        let kinds: Vec<(&str, &str)> = found.codes.iter().map(|(k, c)| (k.as_str(), c.as_str())).collect();
        assert_eq!(kinds, [("kiosk", "K7MQ-2XFD"), ("kds", "9RTC-4MNB"), ("admin", "A2B3-C4D5")]);
    }
}
