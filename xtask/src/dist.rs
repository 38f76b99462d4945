//! Installable apps: `cargo xtask dist` builds release packages of the three apps into one folder — a Debian
//! package of each for Linux, and each app's Windows program cross-compiled with Debian's MinGW toolchain.
//!
//! The Debian packages are made by `dpkg-deb` from a staged tree (the binary, a desktop entry, the icons), with
//! what each app's `tauri.conf.json` says of it: the name, version, descriptions and dependencies. A Windows
//! installer (NSIS) is not built here: Tauri's bundler fetches its NSIS plugins from the network at build time,
//! which this machine's closed network refuses; the README says how to build it on Windows.
//!
//! `cargo xtask package --app A --binary B --out D` packages an already-built shell binary: the test of the
//! packages uses it on the debug build, so it checks what `dist` does without a release build.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::apps::{self, APPS};
use crate::services::ensure_apt;
use crate::{cargo, check, root, step, target_dir};

/// The Windows target the shells are cross-compiled for, with Debian's MinGW-w64.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// The icon sizes a Linux desktop looks for (hicolor), and those packed into each Windows `.ico`.
const PNG_SIZES: &[u32] = &[32, 128, 256];
const ICO_SIZES: &[u32] = &[16, 24, 32, 48, 64, 256];

/// The file in an app's `icons/` holding its `size`-pixel PNG: the largest is `icon.png`, the name Tauri
/// takes for the window's icon.
fn png_name(size: u32) -> String {
    if size == 256 {
        "icon.png".to_owned()
    } else {
        format!("{size}x{size}.png")
    }
}

/// What a package says of its app, read from the app's `tauri.conf.json` (and the workspace's version).
struct AppInfo {
    /// `ordera-kiosk`: the package, binary and icon name.
    package: String,
    /// "Ordera Kiosk".
    product: String,
    version: String,
    short: String,
    long: String,
    depends: Vec<String>,
}

fn tauri_dir(folder: &str) -> PathBuf {
    root().join("apps").join(folder).join("src-tauri")
}

fn app_info(folder: &str) -> Result<AppInfo> {
    let (_, package) = APPS.iter().find(|(f, _)| *f == folder).with_context(|| format!("no app {folder:?}"))?;
    let path = tauri_dir(folder).join("tauri.conf.json");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?)
            .with_context(|| format!("parsing {}", path.display()))?;
    let text = |pointer: &str| {
        config
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .with_context(|| format!("{pointer} in {}", path.display()))
    };
    let depends = config
        .pointer("/bundle/linux/deb/depends")
        .and_then(|v| v.as_array())
        .map(|list| list.iter().filter_map(|d| d.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    Ok(AppInfo {
        package: (*package).to_owned(),
        product: text("/productName")?,
        version: workspace_version()?,
        short: text("/bundle/shortDescription")?,
        long: text("/bundle/longDescription")?,
        depends,
    })
}

/// The version every crate and app shares (`[workspace.package]`): Tauri takes the app's from its crate.
fn workspace_version() -> Result<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).context("reading Cargo.toml")?;
    let package = manifest.split("[workspace.package]").nth(1).context("no [workspace.package] in Cargo.toml")?;
    package
        .lines()
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| line.strip_prefix("version = \"")?.strip_suffix('"').map(str::to_owned))
        .context("no version in [workspace.package]")
}

/// `cargo xtask dist [--out DIR]`: release packages of every app, named with the app and its version.
pub fn dist(rest: &[String]) -> Result<()> {
    let out = match rest {
        [] => root().join("..").join("ordera-dist"),
        [flag, dir] if flag == "--out" => PathBuf::from(dir),
        _ => bail!("usage: cargo xtask dist [--out DIR]"),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let out = out.canonicalize()?;

    step("apps: tools and release UI builds");
    apps::setup()?;
    ensure_packaging_tools()?;
    ensure_windows_toolchain()?;
    apps::build_uis(true)?;

    // The release shells serve the UI embedded in them (Tauri's custom protocol), as `tauri build` does.
    let features: Vec<String> = APPS.iter().map(|(_, package)| format!("{package}/custom-protocol")).collect();
    let shells: Vec<&str> = APPS.iter().flat_map(|(_, package)| ["-p", package]).collect();
    step("Linux: release builds of the three shells");
    check(
        cargo().args(["build", "--release"]).args(&shells).args(["--features", &features.join(",")]).status(),
        "cargo build --release",
    )?;
    step("Windows: the same, cross-compiled with MinGW-w64");
    check(
        cargo()
            .args(["build", "--release", "--target", WINDOWS_TARGET])
            .args(&shells)
            .args(["--features", &features.join(",")])
            .status(),
        "cargo build --release --target x86_64-pc-windows-gnu",
    )?;

    step("packages");
    let mut made = Vec::new();
    for (folder, package) in APPS {
        let info = app_info(folder)?;
        made.push(deb(folder, &target_dir().join("release").join(package), &out)?);
        // The Windows program loads the WebView2 runtime through WebView2Loader.dll, which the build leaves
        // beside it: both go in one folder, copied to the PC as it is.
        let built = target_dir().join(WINDOWS_TARGET).join("release");
        let folder = out.join(format!("{}_{}_x64", info.package, info.version));
        std::fs::create_dir_all(&folder)?;
        for file in [format!("{package}.exe"), "WebView2Loader.dll".to_owned()] {
            std::fs::copy(built.join(&file), folder.join(&file)).with_context(|| format!("copying {file}"))?;
        }
        made.push(folder.join(format!("{package}.exe")));
    }
    println!("\nThe packages are in {}:", out.display());
    for path in made {
        let size = std::fs::metadata(&path)?.len();
        let name = path.strip_prefix(&out).unwrap_or(&path).display().to_string();
        println!("  {name}  ({:.1} MiB)", size as f64 / 1048576.0);
    }
    Ok(())
}

/// `cargo xtask package --app kiosk --binary PATH --out DIR`: the Debian package of one built shell.
pub fn package(rest: &[String]) -> Result<()> {
    let mut app = None;
    let mut binary = None;
    let mut out = None;
    let mut args = rest.iter();
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--app" => app = Some(value.clone()),
            "--binary" => binary = Some(PathBuf::from(value)),
            "--out" => out = Some(PathBuf::from(value)),
            _ => bail!("unknown option {flag:?}"),
        }
    }
    let (Some(app), Some(binary), Some(out)) = (app, binary, out) else {
        bail!("usage: cargo xtask package --app kiosk|kds|admin --binary PATH --out DIR");
    };
    ensure_packaging_tools()?;
    std::fs::create_dir_all(&out)?;
    let made = deb(&app, &binary, &out)?;
    println!("{}", made.display());
    Ok(())
}

fn ensure_packaging_tools() -> Result<()> {
    ensure_apt(&["dpkg"], || Command::new("dpkg-deb").arg("--version").output().is_ok_and(|o| o.status.success()))
}

/// The Debian package of the app in `apps/<folder>` with `binary` as its program: `<package>_<version>_amd64.deb`
/// in `out`. It installs the program in /usr/bin, a desktop entry so the app is in the system's menu (and can
/// be started at login), and its icons.
fn deb(folder: &str, binary: &Path, out: &Path) -> Result<PathBuf> {
    let info = app_info(folder)?;
    if !binary.is_file() {
        bail!("{} is not built", binary.display());
    }
    let stage = tempfile_dir(&format!("{}-deb", info.package))?;
    let put = |relative: &str, contents: &[u8], mode: u32| -> Result<()> {
        let path = stage.join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent"))?;
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        Ok(())
    };
    put(&format!("usr/bin/{}", info.package), &std::fs::read(binary)?, 0o755)?;
    let icons = tauri_dir(folder).join("icons");
    for size in PNG_SIZES {
        let file = png_name(*size);
        let png = std::fs::read(icons.join(&file)).with_context(|| format!("reading the icon {file}"))?;
        put(&format!("usr/share/icons/hicolor/{size}x{size}/apps/{}.png", info.package), &png, 0o644)?;
    }
    let desktop = format!(
        "[Desktop Entry]\nType=Application\nName={}\nComment={}\nExec={}\nIcon={}\nTerminal=false\n\
         Categories=Office;Finance;\nStartupWMClass={}\n",
        info.product, info.short, info.package, info.package, info.package
    );
    put(&format!("usr/share/applications/{}.desktop", info.package), desktop.as_bytes(), 0o644)?;
    let installed_kib = dir_size(&stage)?.div_ceil(1024);
    // Debian's control file folds the long description onto lines that start with a space.
    let control = format!(
        "Package: {}\nVersion: {}\nArchitecture: amd64\nMaintainer: Ordera <packages@localhost>\n\
         Installed-Size: {installed_kib}\nDepends: {}\nSection: misc\nPriority: optional\nDescription: {}\n {}\n",
        info.package,
        info.version,
        info.depends.join(", "),
        info.short,
        info.long
    );
    put("DEBIAN/control", control.as_bytes(), 0o644)?;
    let deb = out.join(format!("{}_{}_amd64.deb", info.package, info.version));
    let status = Command::new("dpkg-deb").args(["--build", "--root-owner-group"]).arg(&stage).arg(&deb).status();
    let built = check(status, "dpkg-deb --build");
    std::fs::remove_dir_all(&stage).ok();
    built?;
    Ok(deb)
}

fn tempfile_dir(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("ordera-{name}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { dir_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

/// Installs what cross-compiling the shells for Windows needs: the Rust standard library for the target and
/// Debian's MinGW-w64 C compiler (SQLite and the Windows resource file are compiled with it).
pub fn ensure_windows_toolchain() -> Result<()> {
    ensure_apt(&["gcc-mingw-w64-x86-64"], || {
        Command::new("x86_64-w64-mingw32-gcc").arg("--version").output().is_ok_and(|o| o.status.success())
    })?;
    apps::ensure_rust_target(WINDOWS_TARGET)
}

/// `cargo xtask test`'s check that every shell still compiles for Windows, so Linux-only code cannot creep in.
pub fn check_windows() -> Result<()> {
    ensure_windows_toolchain()?;
    let shells: Vec<&str> = APPS.iter().flat_map(|(_, package)| ["-p", package]).collect();
    check(
        cargo().args(["check", "--target", WINDOWS_TARGET]).args(&shells).status(),
        "cargo check --target x86_64-pc-windows-gnu",
    )
}

/// `cargo xtask icons`: each app's icons, drawn from its `icons/icon.svg` (rsvg-convert) and packed into the
/// Windows `.ico` (icotool), both from Debian's packages. The results are committed; run this after editing
/// an icon.
pub fn icons() -> Result<()> {
    ensure_apt(&["librsvg2-bin", "icoutils"], || {
        ["rsvg-convert", "icotool"]
            .iter()
            .all(|tool| Command::new("which").arg(tool).output().is_ok_and(|o| o.status.success()))
    })?;
    for (folder, _) in APPS {
        let icons = tauri_dir(folder).join("icons");
        let svg = icons.join("icon.svg");
        let render = |size: u32, to: &Path| {
            check(
                Command::new("rsvg-convert")
                    .args(["-w", &size.to_string(), "-h", &size.to_string()])
                    .arg(&svg)
                    .arg("-o")
                    .arg(to)
                    .status(),
                "rsvg-convert",
            )
        };
        for size in PNG_SIZES {
            render(*size, &icons.join(png_name(*size)))?;
        }
        let frames = tempfile_dir(&format!("{folder}-ico"))?;
        let mut icotool = Command::new("icotool");
        icotool.args(["--create", "--output"]).arg(icons.join("icon.ico"));
        for size in ICO_SIZES {
            let frame = frames.join(format!("{size}.png"));
            render(*size, &frame)?;
            // The largest frame is stored as PNG, as Windows expects of 256-pixel icons; the others as bitmaps.
            if *size == 256 {
                icotool.arg("--raw").arg(&frame);
            } else {
                icotool.arg(&frame);
            }
        }
        check(icotool.status(), "icotool --create")?;
        std::fs::remove_dir_all(&frames).ok();
        println!("apps/{folder}: icons drawn");
    }
    Ok(())
}
