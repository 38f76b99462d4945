//! A built app shell driven the way a person uses it: its real window on a private X display (Xvfb),
//! driven over WebDriver through tauri-driver and WebKitWebDriver. Each [`AppSession`] owns its display,
//! driver and app, and ends them all when dropped, also when a test fails half-way.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::NewSessionError;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// How long an element may take to appear: generous, since a 2-core machine also runs the server.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The built shell binary of `package` (the debug build beside `target_tmp`, the test's
/// `CARGO_TARGET_TMPDIR`, where `cargo xtask test` puts it), or `ORDERA_<APP>_BIN` when set.
pub fn app_binary(target_tmp: &str, package: &str) -> PathBuf {
    let variable = format!("ORDERA_{}_BIN", package.trim_start_matches("ordera-").to_uppercase());
    if let Some(path) = std::env::var_os(&variable) {
        return PathBuf::from(path);
    }
    let target = Path::new(target_tmp).parent().expect("a target directory").to_path_buf();
    let path = target.join("debug").join(package);
    assert!(
        path.exists(),
        "{} is not built: `cargo xtask test` builds it (or build the UI with trunk and run `cargo build -p {package}`)",
        path.display()
    );
    path
}

/// Where a test leaves its screenshots, for a person to look at: `<target_tmp>/screenshots/<suite>`.
pub fn artifacts(target_tmp: &str, suite: &str) -> PathBuf {
    let dir = Path::new(target_tmp).join("screenshots").join(suite);
    std::fs::create_dir_all(&dir).expect("an artifacts folder");
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn wait_for_port(port: u16, what: &str) {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(start.elapsed() < PATIENCE, "{what} did not listen on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Ends a child politely (SIGTERM lets tauri-driver end its WebKitWebDriver and the app), then for sure.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A private X display.
struct Display {
    xvfb: Child,
    number: String,
}

impl Display {
    fn start() -> Self {
        // Xvfb picks a free display itself and writes its number to the given descriptor (stdout here).
        let mut xvfb = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is required for the app tests; `cargo xtask test` installs it (Debian package xvfb)");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().expect("piped stdout")).read_line(&mut line).expect("Xvfb's display");
        let number = line.trim().to_owned();
        assert!(!number.is_empty(), "Xvfb did not start");
        Self { xvfb, number }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        stop(&mut self.xvfb);
    }
}

/// Starts tauri-driver on `display` with the app's settings, and returns it with its port once it and the
/// WebKitWebDriver it runs behind it both listen: a session asked for before the second listens is cut
/// without an answer.
fn start_driver(display: &Display, env: &[(&str, String)]) -> (Child, u16) {
    let (port, native_port) = (free_port(), free_port());
    let mut driver = Command::new(tauri_driver())
        .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
        .env("DISPLAY", format!(":{}", display.number))
        // The app under test reports to no Sentry but the one a test gives it.
        .env_remove("SENTRY_DSN")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .spawn()
        .expect("tauri-driver is required for the app tests; `cargo xtask test` installs it");
    let ready = std::thread::spawn(move || {
        wait_for_port(port, "tauri-driver");
        wait_for_port(native_port, "WebKitWebDriver");
    });
    if ready.join().is_err() {
        stop(&mut driver);
        panic!("tauri-driver or its WebKitWebDriver did not start");
    }
    (driver, port)
}

/// One run of an app shell under WebDriver.
pub struct AppSession {
    pub client: Client,
    driver: Child,
    _display: Display,
}

impl AppSession {
    /// Starts `binary` with `env` (the app's settings) on a fresh display and connects to it.
    pub async fn launch(binary: &Path, env: &[(&str, String)]) -> Self {
        let display = Display::start();
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": {"application": binary.display().to_string()},
        });
        let mut builder = ClientBuilder::native();
        builder.capabilities(capabilities.as_object().expect("an object").clone());
        let deadline = Instant::now() + PATIENCE;
        loop {
            let (mut driver, port) = start_driver(&display, env);
            let failed =
                match tokio::time::timeout_at(deadline.into(), builder.connect(&format!("http://127.0.0.1:{port}")))
                    .await
                {
                    Ok(Ok(client)) => return Self { client, driver, _display: display },
                    // A connection cut before any answer (seen on a loaded 2-core machine) leaves it unknown
                    // whether the app was started: end this driver, and the app with it, and start afresh.
                    // Any answer is final.
                    Ok(Err(
                        error @ (NewSessionError::Failed(_) | NewSessionError::FailedC(_) | NewSessionError::Lost(_)),
                    )) if Instant::now() < deadline => {
                        eprintln!("WebDriver cut the new-session request ({error}); starting the driver again");
                        stop(&mut driver);
                        continue;
                    }
                    failed => failed,
                };
            stop(&mut driver);
            panic!("could not start {} under WebDriver: {failed:?}", binary.display());
        }
    }

    /// Waits for the element `css` to be in the page.
    pub async fn element(&self, css: &str) -> Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!("{css} did not appear: {error}\n{}", self.what_shows().await),
        }
    }

    /// What the page shows now, for a failure message: a test that timed out says where the app was instead.
    pub async fn what_shows(&self) -> String {
        let script = "const main = document.querySelector('main, [id]');\
            return `screen: #${main ? main.id : '?'}; text: ${document.body.innerText.slice(0, 800)}`;";
        match self.client.execute(script, vec![]).await {
            Ok(serde_json::Value::String(shows)) => shows,
            other => format!("(the page could not be read: {other:?})"),
        }
    }

    /// Waits until no element matches `css`.
    pub async fn gone(&self, css: &str) {
        let start = Instant::now();
        loop {
            // WebKitWebDriver answers a search that races the page's own redraw with "stale element": that
            // is no answer either way, so it is asked again.
            match self.client.find_all(Locator::Css(css)).await {
                Ok(found) if found.is_empty() => return,
                Ok(_) => assert!(start.elapsed() < PATIENCE, "{css} did not go away\n{}", self.what_shows().await),
                Err(error) => assert!(start.elapsed() < PATIENCE, "{css}: WebDriver kept failing: {error}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.element(css).await.click().await.unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.element(css).await.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// Replaces what the field `css` holds with `text`.
    pub async fn replace_in(&self, css: &str, text: &str) {
        let field = self.element(css).await;
        field.clear().await.unwrap_or_else(|e| panic!("clearing {css}: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// Types `code` into the pairing screen every app shows first (`ordera_ui::PairScreen`) and sends it.
    pub async fn pair_with(&self, code: &str) {
        // The admin app opens on signing in a person; a pairing code is its other way in.
        let first = self.element("#pair-screen, #sign-in").await;
        if first.attr("id").await.ok().flatten().as_deref() == Some("sign-in") {
            self.click("#use-pairing-code").await;
            self.element("#pair-screen").await;
        }
        self.type_into("#pairing-code", code).await;
        self.click("#pair").await;
    }

    pub async fn text(&self, css: &str) -> String {
        self.element(css).await.text().await.unwrap_or_else(|e| panic!("reading {css}: {e}"))
    }

    /// The attribute `name` of the element `css`, once it is in the page.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.element(css).await.attr(name).await.unwrap_or_else(|e| panic!("reading {name} of {css}: {e}"))
    }

    /// Runs `script` in the page and returns what it returned.
    pub async fn script(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("running {script:?}: {e}"))
    }

    /// Waits until the text of `css` satisfies `ok`, and returns it.
    pub async fn text_until(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if ok(&text) {
                        return text;
                    }
                    assert!(start.elapsed() < PATIENCE, "{css} never showed {what}; it says {text:?}");
                }
            }
            assert!(start.elapsed() < PATIENCE, "{css} never showed {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The page's root element classes (the theme's accessibility switches live there).
    pub async fn root_classes(&self) -> String {
        let value = self.client.execute("return document.documentElement.className", vec![]).await.expect("script");
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Saves what the window shows as `<dir>/<name>.png`.
    pub async fn screenshot(&self, dir: &Path, name: &str) {
        // WebKit paints after the DOM changes: wait for two frames and the page's pictures, so the shot
        // shows what a person sees now rather than the last painted frame.
        let settle = "const done = arguments[0];\
            Promise.all([...document.images].map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })))\
            .then(() => requestAnimationFrame(() => requestAnimationFrame(() => done())));";
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.execute_async(settle, vec![])).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("saving a screenshot");
    }

    /// Answers the system's save dialog the app opened as a person would: the file's full path typed into
    /// its name field, then Enter. The dialog is a native GTK window beside the webview, out of WebDriver's
    /// reach, so the keys go to it through the X display (xdotool, which `cargo xtask test` installs).
    pub async fn save_as(&self, path: &Path) {
        let display = format!(":{}", self._display.number);
        let xdotool = |args: &[&str]| {
            let output = Command::new("xdotool").env("DISPLAY", &display).args(args).output().expect(
                "xdotool is required for the dialog tests; `cargo xtask test` installs it (Debian package xdotool)",
            );
            (output.status.success(), String::from_utf8_lossy(&output.stdout).trim().to_owned())
        };
        let start = Instant::now();
        let dialog = loop {
            // GTK's save dialog is titled "Save File" unless the app names it.
            let (found, windows) = xdotool(&["search", "--onlyvisible", "--name", "^Save"]);
            if let Some(window) = windows.lines().next().filter(|_| found) {
                break window.to_owned();
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no save dialog opened");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        // Its widgets take a moment to be drawn and focused after the window maps.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(xdotool(&["windowfocus", "--sync", &dialog]).0, "focusing the save dialog");
        let path = path.display().to_string();
        for keys in
            [vec!["key", "--clearmodifiers", "ctrl+a"], vec!["type", "--delay", "15", &path], vec!["key", "Return"]]
        {
            assert!(xdotool(&keys).0, "typing into the save dialog: {keys:?}");
        }
    }

    /// Ends the WebDriver session (the app closes), then the driver and the display.
    pub async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
        stop(&mut self.driver);
    }
}

/// Whether `binary` runs with `variable=value` in its environment: how a test tells that an app it started
/// (with its own data folder in its environment) has ended by itself. The drivers carry the same
/// environment, so only processes of the binary itself count.
pub fn app_running(binary: &Path, variable: &str, value: &str) -> bool {
    let wanted = format!("{variable}={value}");
    let binary = binary.canonicalize().unwrap_or_else(|_| binary.to_path_buf());
    let Ok(processes) = std::fs::read_dir("/proc") else { return false };
    processes.flatten().any(|entry| {
        std::fs::read_link(entry.path().join("exe")).is_ok_and(|exe| exe == binary)
            && std::fs::read(entry.path().join("environ"))
                .is_ok_and(|environ| environ.split(|b| *b == 0).any(|pair| pair == wanted.as_bytes()))
    })
}

impl Drop for AppSession {
    fn drop(&mut self) {
        stop(&mut self.driver);
    }
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"));
    let installed = home.join("bin").join("tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}
