//! A real Ordera server on its own runtime and thread, so that a test can kill it (every task and socket
//! dropped at once, as when a process dies) and start another on the same database.

use std::net::SocketAddr;

use ordera_server::{Application, Config};
use serde_json::{json, Value};
use uuid::Uuid;

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on `database_url`, fanning out through Redis when `redis_url` is given.
    pub fn start(database_url: &str, redis_url: Option<&str>, data_dir: &std::path::Path) -> Self {
        ordera_server::telemetry::init_for_tests();
        let mut config = Config::for_tests(database_url, data_dir.to_path_buf());
        config.redis_url = redis_url.map(|url| secrecy::SecretString::from(url.to_owned()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let app = runtime.block_on(Application::build(config)).expect("starting the server");
            addr_tx.send(app.addr()).unwrap();
            runtime.spawn(app.run_until(std::future::pending()));
            let _ = stopped.recv();
            runtime.shutdown_background();
        });
        let addr = addr_rx.recv().expect("the server's address");
        Self { addr, stop: Some(stop), thread: Some(thread) }
    }

    /// Kills the server: its listener, sockets and tasks all end at once.
    pub fn kill(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The Redis the suites use (`cargo xtask test` provides one).
pub fn redis_url() -> String {
    std::env::var("ORDERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The PostgreSQL the suites make their databases on (`cargo xtask test` provides one).
pub fn postgres_admin_url() -> String {
    std::env::var("ORDERA_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh PostgreSQL database, dropped again on drop.
pub struct TestDatabase {
    pub url: String,
}

impl TestDatabase {
    pub async fn postgres() -> Self {
        use sqlx::Connection;
        let admin_url = postgres_admin_url();
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is required but {admin_url} does not answer ({e}); run `cargo xtask test`")
        });
        let name = format!("ordera_test_{}", Uuid::now_v7().simple());
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
        Self { url: format!("{base}/{name}") }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((_, name)) = self.url.rsplit_once('/') else { return };
        let name = name.to_owned();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}

/// Breaks a restaurant's database under the running server at `database_url` (PostgreSQL or SQLite): the
/// table of categories disappears, so whatever reads the menu fails inside the server, as a real fault
/// would (a bad migration, a restore gone wrong).
pub async fn break_the_menu(database_url: &str) {
    use sqlx::Connection;
    const SQL: &str = "ALTER TABLE categories RENAME TO categories_lost";
    if database_url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query(SQL).execute(&mut connection).await.unwrap();
    } else {
        let mut connection = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query(SQL).execute(&mut connection).await.unwrap();
    }
}

/// A manager's view of the server over HTTP, for fixtures and for checking the truth.
#[derive(Clone)]
pub struct Owner {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
    /// To sign in with, beside [`PASSWORD`].
    pub email: String,
}

/// Every test person's password.
pub const PASSWORD: &str = "a long enough password";

impl Owner {
    /// Signs up a restaurant at `server` and returns its owner.
    pub async fn sign_up(server: SocketAddr) -> Self {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let base = format!("http://{server}/api/v1");
        let email = format!("{}@example.com", Uuid::now_v7().simple());
        let body = json!({"restaurant_name": "Soho", "timezone": "Europe/London", "currency": "GBP",
            "owner_name": "Olive", "email": email, "password": PASSWORD});
        let session: Value =
            http.post(format!("{base}/signup")).json(&body).send().await.unwrap().json().await.unwrap();
        Self { base, token: session["token"].as_str().expect("a session").to_owned(), http, email }
    }

    pub fn at(&self, server: SocketAddr) -> Self {
        Self { base: format!("http://{server}/api/v1"), ..self.clone() }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}/{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// A category with `count` products (the first counts stock, from 100,000) and their ids.
    pub async fn menu(&self, count: usize) -> Vec<Uuid> {
        let category = self.post("categories", json!({"name": "Mains"})).await;
        let mut products = Vec::new();
        for n in 0..count {
            let mut body = json!({"category_id": category["id"], "name": format!("Dish {n}"), "price": 500 + n});
            if n == 0 {
                body["stock"] = json!(100_000);
            }
            let product = self.post("products", body).await;
            products.push(product["id"].as_str().unwrap().parse().unwrap());
        }
        products
    }

    /// Uploads a PNG as a product's photo and returns the image id.
    pub async fn upload_image(&self, product: Uuid, png: Vec<u8>) -> Uuid {
        let response = self
            .http
            .put(format!("{}/products/{product}/image", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "image/png")
            .body(png)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "upload: {}", response.status());
        let product: Value = response.json().await.unwrap();
        product["image"]["id"].as_str().unwrap().parse().unwrap()
    }

    pub async fn pairing_code(&self, kind: &str) -> String {
        let code = self.post("devices/pairing-codes", json!({"kind": kind, "name": format!("Test {kind}")})).await;
        code["code"].as_str().unwrap().to_owned()
    }
}
