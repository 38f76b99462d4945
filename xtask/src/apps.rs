//! Building the apps: the tools they need (installed once, each step skipped when already there) and the
//! two-step build of each app — its Yew UI with trunk into `dist/`, then its Tauri shell, which embeds it.
//! Versions are the ones verified together in the team's toolchain notes.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::services::ensure_apt;
use crate::{check, root};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const TAURI_DRIVER_VERSION: &str = "2.1.0";

/// The apps, by folder under `apps/`, with their shell package names.
pub const APPS: &[(&str, &str)] = &[("kiosk", "ordera-kiosk"), ("kds", "ordera-kds"), ("admin", "ordera-admin")];

/// Debian packages the shells build and run against (webkit2gtk), and what the UI tests drive them with.
const APT_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "libssl-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    "xvfb",
    "webkit2gtk-driver",
    // Answers the native save dialog in the admin app's export test (a GTK window beside the webview).
    "xdotool",
];

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"));
    home.join("bin").join(name)
}

fn version_of(program: &Path, flag: &str) -> Option<String> {
    let output = Command::new(program).arg(flag).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

fn cargo_install(name: &str, version: &str, locked: bool) -> Result<()> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(["install", name, "--version", version]);
    if locked {
        command.arg("--locked");
    }
    check(command.status(), &format!("cargo install {name}"))
}

/// Installs what building and testing the apps needs, skipping whatever is already there.
pub fn setup() -> Result<()> {
    ensure_apt(APT_PACKAGES, || {
        Command::new("pkg-config").args(["--exists", "webkit2gtk-4.1"]).status().is_ok_and(|s| s.success())
            && Command::new("which").arg("Xvfb").output().is_ok_and(|o| o.status.success())
            && Command::new("which").arg("WebKitWebDriver").output().is_ok_and(|o| o.status.success())
    })?;
    ensure_rust_target("wasm32-unknown-unknown")?;
    if !version_of(&cargo_bin("trunk"), "--version").is_some_and(|v| v.contains(TRUNK_VERSION)) {
        cargo_install("trunk", TRUNK_VERSION, true)?;
    }
    // Its own lockfile pins a crate the registry no longer has, so this one is installed unlocked.
    let bindgen = locked_wasm_bindgen()?;
    if !version_of(&cargo_bin("wasm-bindgen"), "--version").is_some_and(|v| v.ends_with(&bindgen)) {
        cargo_install("wasm-bindgen-cli", &bindgen, false)?;
    }
    if !cargo_bin("tauri-driver").exists() {
        cargo_install("tauri-driver", TAURI_DRIVER_VERSION, true)?;
    }
    Ok(())
}

/// Adds the Rust standard library for `target` unless it is there.
pub fn ensure_rust_target(target: &str) -> Result<()> {
    let targets = Command::new("rustup").args(["target", "list", "--installed"]).output()?;
    if !String::from_utf8_lossy(&targets.stdout).lines().any(|t| t == target) {
        check(Command::new("rustup").args(["target", "add", target]).status(), "rustup target add")?;
    }
    Ok(())
}

/// Forgets Tauri's cache of compressed UI files in the shells' build folders. A cache file left half
/// written (by a build stopped midway, or by two compilations of a shell at once before the shells' test
/// harnesses were turned off) would otherwise be embedded as it is, and the app would start blank.
fn forget_embedded_ui_caches() -> Result<()> {
    for profile in ["debug", "release"] {
        let build = crate::target_dir().join(profile).join("build");
        let Ok(entries) = std::fs::read_dir(&build) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if APPS.iter().any(|(_, package)| name.starts_with(&format!("{package}-"))) {
                let cache = entry.path().join("out").join("tauri-codegen-assets");
                if cache.exists() {
                    std::fs::remove_dir_all(&cache).with_context(|| format!("removing {}", cache.display()))?;
                }
            }
        }
    }
    Ok(())
}

/// Builds every app's UI into its `dist/` (which its shell embeds at compile time).
pub fn build_uis(release: bool) -> Result<()> {
    forget_embedded_ui_caches()?;
    for (folder, _) in APPS {
        let mut command = Command::new(cargo_bin("trunk"));
        command.arg("build").current_dir(root().join("apps").join(folder));
        if release {
            command.arg("--release");
        }
        // trunk finds wasm-bindgen on PATH: make sure cargo's bin folder is on it.
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths: Vec<PathBuf> = std::env::split_paths(&path).collect();
        paths.insert(0, cargo_bin(""));
        command.env("PATH", std::env::join_paths(paths)?);
        check(command.status(), &format!("trunk build of apps/{folder}"))?;
    }
    Ok(())
}
