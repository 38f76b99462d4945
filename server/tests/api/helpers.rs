//! `TestApp`: a real server on a random port over a fresh database, and fixtures that read as sentences:
//! `app.restaurant("Soho").await.with_kiosk(&app).await`.

use std::sync::Arc;

use ordera_protocol::api::{
    Category, CreatePairingCodeRequest, ErrorBody, PairResponse, PairingCodeResponse, Product, SessionResponse,
    SignupRequest, Tenant, User,
};
use ordera_protocol::DeviceKind;
use ordera_server::store::Store;
use ordera_server::{Application, Config};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

pub const PASSWORD: &str = "a long enough password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Runs each `async fn name(app: TestApp)` once per backend, as `name::postgres` and `name::sqlite`.
macro_rules! both {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::helpers::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run($crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await).await
                }
            }
        )*
    };
}

/// The PostgreSQL server the suite makes its databases on. `cargo xtask test` sets it (starting a
/// throwaway server when none answers); a missing server fails the test, it never skips it.
pub fn postgres_admin_url() -> String {
    std::env::var("ORDERA_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Makes a fresh, empty PostgreSQL database and returns its URL.
pub async fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let admin_url = postgres_admin_url();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is required for these tests but {admin_url} does not answer ({e}). \
             Run `cargo xtask test`, which starts one, or set ORDERA_TEST_DATABASE_URL."
        )
    });
    let name = format!("ordera_test_{}", Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("creating a test database");
    let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
    format!("{base}/{name}")
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub backend: Backend,
    pub database_url: String,
    pub store: Arc<dyn Store>,
    /// The instance's count of sync sockets, per restaurant.
    pub sockets: Arc<ordera_server::sockets::Sockets>,
    pub client: reqwest::Client,
    _database: Option<TestDatabase>,
    _data_dir: tempfile::TempDir,
}

/// A fresh PostgreSQL database, dropped when the test is done so runs do not pile databases up.
/// `WITH (FORCE)` ends the connections servers still hold; it runs on its own thread because `Drop`
/// cannot await.
pub struct TestDatabase {
    pub url: String,
}

impl TestDatabase {
    pub async fn new() -> Self {
        Self { url: fresh_postgres_database().await }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((_, name)) = self.url.rsplit_once('/') else { return };
        let name = name.to_owned();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(&drop).execute(&mut admin).await;
                }
            });
        })
        .join();
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with settings changed by `configure` (short expiries, small limits).
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        ordera_server::telemetry::init_for_tests();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let database = match backend {
            Backend::Postgres => Some(TestDatabase::new().await),
            Backend::Sqlite => None,
        };
        let database_url = match &database {
            Some(database) => database.url.clone(),
            None => format!("sqlite://{}", data_dir.path().join("ordera.db").display()),
        };
        let mut config = Config::for_tests(&database_url, data_dir.path().to_path_buf());
        configure(&mut config);
        let app = Application::build(config).await.expect("building the app");
        let addr = app.addr();
        let store = app.state().store.clone();
        let sockets = app.state().sockets.clone();
        tokio::spawn(app.run_until(std::future::pending()));
        let client = reqwest::Client::builder().no_proxy().build().expect("http client");
        Self { addr, backend, database_url, store, sockets, client, _database: database, _data_dir: data_dir }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("http://{}{}", self.addr, path)
        } else {
            format!("http://{}/api/v1/{}", self.addr, path)
        }
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token)).send().await.expect("request")
    }

    /// `get` with owned arguments, for closures that build the path.
    pub async fn get_owned(&self, path: String, token: String) -> Response {
        self.get(&path, &token).await
    }

    pub async fn post<T: Serialize + ?Sized>(&self, path: &str, token: Option<&str>, body: &T) -> Response {
        self.request(Method::POST, path, token).json(body).send().await.expect("request")
    }

    pub async fn patch<T: Serialize + ?Sized>(&self, path: &str, token: &str, body: &T) -> Response {
        self.request(Method::PATCH, path, Some(token)).json(body).send().await.expect("request")
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token)).send().await.expect("request")
    }

    /// Signs up a restaurant (in London, paying in GBP) and returns its owner's session.
    pub async fn restaurant(&self, name: &str) -> Restaurant {
        self.restaurant_in(name, "Europe/London", "GBP").await
    }

    pub async fn restaurant_in(&self, name: &str, timezone: &str, currency: &str) -> Restaurant {
        let slug: String = name.to_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
        let email = format!("owner-{slug}-{}@example.com", Uuid::new_v4().simple());
        let request = SignupRequest {
            restaurant_name: name.into(),
            timezone: timezone.into(),
            currency: currency.into(),
            owner_name: "Olive Owner".into(),
            email,
            password: PASSWORD.into(),
        };
        let session: SessionResponse =
            expect_json(self.post("signup", None, &request).await, StatusCode::CREATED).await;
        Restaurant { token: session.token, tenant: session.tenant, owner: session.user }
    }

    /// Adds a user with `role` to the restaurant and logs them in.
    pub async fn user(&self, restaurant: &Restaurant, role: &str) -> (User, String) {
        let email = format!("{role}-{}@example.com", Uuid::new_v4().simple());
        let body = json!({"email": email, "name": format!("A {role}"), "role": role, "password": PASSWORD});
        let user: User =
            expect_json(self.post("users", Some(&restaurant.token), &body).await, StatusCode::CREATED).await;
        let session = self.login(&email, PASSWORD).await;
        (user, session.token)
    }

    pub async fn login(&self, email: &str, password: &str) -> SessionResponse {
        let response = self.post("login", None, &json!({"email": email, "password": password})).await;
        expect_json(response, StatusCode::OK).await
    }

    /// Makes a pairing code as the owner and pairs a device of `kind` with it.
    pub async fn pair(&self, restaurant: &Restaurant, kind: DeviceKind) -> PairResponse {
        let request = CreatePairingCodeRequest { kind, name: format!("Test {kind}") };
        let code: PairingCodeResponse = expect_json(
            self.post("devices/pairing-codes", Some(&restaurant.token), &request).await,
            StatusCode::CREATED,
        )
        .await;
        expect_json(self.post("devices/pair", None, &json!({"code": code.code})).await, StatusCode::CREATED).await
    }

    pub async fn category(&self, restaurant: &Restaurant, name: &str) -> Category {
        expect_json(self.post("categories", Some(&restaurant.token), &json!({"name": name})).await, StatusCode::CREATED)
            .await
    }

    pub async fn product(&self, restaurant: &Restaurant, category: &Category, name: &str, price: i64) -> Product {
        let body = json!({"category_id": category.id, "name": name, "price": price});
        expect_json(self.post("products", Some(&restaurant.token), &body).await, StatusCode::CREATED).await
    }
}

impl TestApp {
    /// Moves every order to another business day, as if they had been placed then.
    pub async fn move_orders_to(&self, date: chrono::NaiveDate) {
        self.execute_with("UPDATE orders SET business_date = $1", date).await;
    }

    /// Moves every device's last sighting back to `at`, as if none had been heard from since.
    pub async fn set_devices_last_seen(&self, at: chrono::DateTime<chrono::Utc>) {
        self.execute_with("UPDATE devices SET last_seen_at = $1", at).await;
    }

    /// Runs one statement with one bound value straight on the database, behind the server's back.
    async fn execute_with<T>(&self, sql: &str, value: T)
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
        T: for<'q> sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + Send + 'static,
    {
        use sqlx::Connection;
        match self.backend {
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.database_url).await.unwrap();
                sqlx::query(sql).bind(value).execute(&mut conn).await.unwrap();
            }
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.database_url).await.unwrap();
                sqlx::query(sql).bind(value).execute(&mut conn).await.unwrap();
            }
        }
    }

    /// Places a takeaway order of `(product, quantity)` lines and expects it to be created.
    pub async fn place_order(&self, token: &str, lines: &[(Uuid, i64)]) -> ordera_protocol::orders::Order {
        let body = order_body(Uuid::now_v7(), lines);
        expect_json(self.post("orders", Some(token), &body).await, StatusCode::CREATED).await
    }
}

pub fn order_body(id: Uuid, lines: &[(Uuid, i64)]) -> serde_json::Value {
    let items: Vec<serde_json::Value> =
        lines.iter().map(|(product_id, quantity)| json!({"product_id": product_id, "quantity": quantity})).collect();
    json!({"id": id, "order_type": "takeaway", "items": items})
}

pub struct Restaurant {
    pub token: String,
    pub tenant: Tenant,
    pub owner: User,
}

/// Asserts the status and decodes the body, showing the body when either fails.
pub async fn expect_json<T: DeserializeOwned>(response: Response, status: StatusCode) -> T {
    let actual = response.status();
    let text = response.text().await.expect("response body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not the expected JSON ({e}): {text}"))
}

/// Asserts an error response: its status, its `code`, and the one error shape.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> ErrorBody {
    let body: ErrorBody = expect_json(response, status).await;
    assert_eq!(body.error.code, code, "unexpected error code: {body:?}");
    assert!(!body.error.message.is_empty(), "an error must say what went wrong");
    body
}

pub async fn expect_status(response: Response, status: StatusCode) {
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "unexpected status; body: {text}");
}
