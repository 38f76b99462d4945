//! The client engine against a real server, through a proxy that cuts, stalls and resets connections,
//! across server restarts, and killed with `kill -9`. Embedded SQLite and PostgreSQL (+ Redis) alike.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ordera_client::{ConnectionState, Engine, EngineConfig};
use ordera_e2e::proxy::{Mode, Proxy};
use ordera_e2e::server::{Owner, TestDatabase, TestServer};
use ordera_protocol::device::SignedIn;
use ordera_protocol::orders::{Order, OrderLineRequest, PlaceOrderRequest, StatusAction};
use ordera_protocol::sync::Snapshot;
use ordera_protocol::{OrderStatus, OrderType, Role};
use rand::Rng;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A server behind a proxy, a restaurant with a menu, and the owner's HTTP access to the truth.
struct World {
    server: TestServer,
    redis: Option<String>,
    proxy: Proxy,
    owner: Owner,
    products: Vec<Uuid>,
    database_url: String,
    data: tempfile::TempDir,
    _database: Option<TestDatabase>,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let data = tempfile::tempdir().unwrap();
        let database = match backend {
            Backend::Postgres => Some(TestDatabase::postgres().await),
            Backend::Sqlite => None,
        };
        let database_url = match &database {
            Some(database) => database.url.clone(),
            None => format!("sqlite://{}", data.path().join("server.db").display()),
        };
        let redis = (backend == Backend::Postgres).then(ordera_e2e::server::redis_url);
        let server = TestServer::start(&database_url, redis.as_deref(), data.path());
        let proxy = Proxy::start(server.addr).await;
        let owner = Owner::sign_up(server.addr).await;
        let products = owner.menu(3).await;
        Self { server, redis, proxy, owner, products, database_url, data, _database: database }
    }

    /// Kills the server and starts a new one on the same database; the proxy sends clients to it.
    fn restart_server(&mut self) {
        self.server.kill();
        self.server = TestServer::start(&self.database_url, self.redis.as_deref(), self.data.path());
        self.proxy.set_upstream(self.server.addr);
        self.owner = self.owner.at(self.server.addr);
    }

    /// Pairs a new engine of `kind` through the proxy.
    async fn engine(&self, kind: &str) -> (Engine, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), fast()).unwrap();
        let code = self.owner.pairing_code(kind).await;
        engine.pair(&self.proxy.url(), &code).await.unwrap();
        (engine, dir)
    }

    async fn snapshot(&self) -> Snapshot {
        serde_json::from_value(self.owner.get("sync/snapshot").await).unwrap()
    }
}

/// Short timings, so faults are noticed and recovered from within a test's patience.
fn fast() -> EngineConfig {
    EngineConfig {
        heartbeat: Duration::from_millis(100),
        dead_after: Duration::from_millis(800),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(300),
        request_timeout: Duration::from_secs(2),
        ..EngineConfig::default()
    }
}

fn order(product: Uuid) -> PlaceOrderRequest {
    PlaceOrderRequest {
        id: ordera_protocol::new_id(),
        order_type: OrderType::Takeaway,
        items: vec![OrderLineRequest { product_id: product, quantity: 1, note: Some("no onions".into()) }],
        note: None,
    }
}

async fn until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn settled(engine: &Engine) -> bool {
    let status = engine.status();
    status.connection == ConnectionState::Online && status.pending == 0
}

/// Waits until the engine is online, has nothing queued and its cache holds what the server holds.
async fn converged(world: &World, engines: &[&Engine]) -> Snapshot {
    let start = std::time::Instant::now();
    loop {
        // Settled first, then the truth: every command acknowledged before the snapshot is read is in it.
        // Read the other way round, the last commands could be acknowledged while the snapshot is on its
        // way, and it would lack orders the server does have.
        if engines.iter().all(|engine| settled(engine)) {
            let truth = world.snapshot().await;
            let all = engines.iter().all(|engine| {
                settled(engine)
                    && engine
                        .menu()
                        .map(|m| m.products == truth.products && m.categories == truth.categories)
                        .unwrap_or(false)
            });
            if all {
                return truth;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "engines did not converge: {:?}",
            engines.iter().map(|e| e.status()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn by_id(orders: Vec<Order>) -> BTreeMap<Uuid, Order> {
    orders.into_iter().map(|o| (o.id, o)).collect()
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(super::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(super::Backend::Postgres).await
                }
            }
        )*
    };
}

both!(
    every_queued_order_arrives_once_through_cuts_stalls_resets_and_outages,
    a_thousand_orders_queued_offline_arrive_in_order_exactly_once,
    a_restore_from_backup_and_a_new_epoch_resync_devices_that_keep_their_outbox,
);

/// Thousands of operations (orders from a kiosk, bumps from a kitchen screen, menu edits by a manager)
/// while the network misbehaves at random; afterwards both caches equal the server's state and every
/// queued order exists on the server exactly once.
async fn every_queued_order_arrives_once_through_cuts_stalls_resets_and_outages(backend: Backend) {
    let world = World::new(backend).await;
    let (kiosk, _kiosk_dir) = world.engine("kiosk").await;
    let (kds, _kds_dir) = world.engine("kds").await;
    let chaos_for = Duration::from_secs(6);

    let proxy = world.proxy.clone();
    let chaos = tokio::spawn(async move {
        let start = std::time::Instant::now();
        let mut faults = 0;
        while start.elapsed() < chaos_for {
            let (pause, fault) = {
                let mut rng = rand::rng();
                (rng.random_range(50..300u64), rng.random_range(0..4u8))
            };
            tokio::time::sleep(Duration::from_millis(pause)).await;
            match fault {
                0 => proxy.cut(false),
                1 => proxy.cut(true),
                2 => {
                    proxy.set_mode(Mode::Stall);
                    let stall = rand::rng().random_range(100..1500u64);
                    tokio::time::sleep(Duration::from_millis(stall)).await;
                    proxy.set_mode(Mode::Pass);
                }
                _ => {
                    proxy.set_mode(Mode::Down);
                    let down = rand::rng().random_range(100..800u64);
                    tokio::time::sleep(Duration::from_millis(down)).await;
                    proxy.set_mode(Mode::Pass);
                }
            }
            faults += 1;
        }
        proxy.set_mode(Mode::Pass);
        faults
    });

    // The kiosk takes orders, the kitchen bumps what it sees, the manager edits the menu.
    let mut placed = Vec::new();
    let mut bumped = BTreeSet::new();
    let start = std::time::Instant::now();
    let mut round = 0;
    while start.elapsed() < chaos_for {
        for _ in 0..25 {
            let request = order(world.products[round % world.products.len()]);
            placed.push(request.id);
            kiosk.place_order(request).unwrap();
        }
        for seen in kds.orders().unwrap() {
            if seen.status == OrderStatus::Placed && bumped.insert(seen.id) {
                kds.set_status(seen.id, StatusAction::Start, None).unwrap();
            }
        }
        if round % 5 == 0 {
            let price = 500 + round as i64;
            world.owner.patch(&format!("products/{}", world.products[1]), serde_json::json!({"price": price})).await;
        }
        round += 1;
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let faults = chaos.await.unwrap();
    assert!(faults >= 5, "the network misbehaved only {faults} times");

    let truth = converged(&world, &[&kiosk, &kds]).await;
    // Every order the kiosk saved is on the server, once.
    let server_orders = by_id(truth.orders.clone());
    assert_eq!(
        server_orders.len(),
        placed.len(),
        "{} placed, {} on the server; refused on the kiosk: {:?}",
        placed.len(),
        server_orders.len(),
        kiosk.rejected().unwrap().iter().map(|e| e.reason.clone()).collect::<Vec<_>>()
    );
    assert!(placed.iter().all(|id| server_orders.contains_key(id)));
    let numbers: BTreeSet<i64> = server_orders.values().map(|o| o.number).collect();
    assert_eq!(numbers.len(), placed.len(), "one ticket number per order");
    // Both caches equal the server: the kitchen's holds every order as the server has it, the kiosk's its own.
    until("the kitchen's cache holds every order", Duration::from_secs(20), || {
        by_id(kds.orders().unwrap()) == server_orders
    })
    .await;
    assert_eq!(by_id(kiosk.orders().unwrap()).keys().collect::<Vec<_>>(), server_orders.keys().collect::<Vec<_>>());
    let bumped_on_server = server_orders.values().filter(|o| o.status == OrderStatus::Preparing).count();
    assert_eq!(bumped_on_server, bumped.len(), "every bump arrived");
    assert!(kiosk.rejected().unwrap().is_empty() && kds.rejected().unwrap().is_empty());
    kiosk.shutdown().await;
    kds.shutdown().await;
}

/// Offline for a long time with 1,000 orders queued: back online, all arrive, in the order they were
/// taken (ticket numbers follow it), exactly once.
async fn a_thousand_orders_queued_offline_arrive_in_order_exactly_once(backend: Backend) {
    let world = World::new(backend).await;
    let (kiosk, _dir) = world.engine("kiosk").await;
    until("online", Duration::from_secs(10), || settled(&kiosk)).await;
    world.proxy.set_mode(Mode::Down);
    until("offline", Duration::from_secs(10), || kiosk.status().connection != ConnectionState::Online).await;
    let mut placed = Vec::new();
    for n in 0..1000 {
        let request = order(world.products[n % world.products.len()]);
        placed.push(request.id);
        let entry = kiosk.place_order(request).unwrap();
        assert_eq!(entry.seq as usize, n + 1, "a local reference to show the customer");
    }
    assert_eq!(kiosk.status().pending, 1000);
    assert_eq!(world.snapshot().await.orders.len(), 0, "nothing reached the server yet");
    world.proxy.set_mode(Mode::Pass);
    until("drained", Duration::from_secs(60), || settled(&kiosk)).await;
    let truth = world.snapshot().await;
    let mut on_server = truth.orders.clone();
    on_server.sort_by_key(|o| o.number);
    assert_eq!(on_server.iter().map(|o| o.id).collect::<Vec<_>>(), placed, "in order, exactly once");
    assert_eq!(on_server.last().unwrap().number, 1000);
    kiosk.shutdown().await;
}

/// The server dies while the kiosk is offline and comes back from a restore (a new epoch, an empty
/// log): the kiosk takes a new snapshot, keeps its outbox and delivers it.
/// A restore from backup, done as the README says: the database is backed up while a kiosk is online; the
/// kiosk then places two orders, which the restore will undo; offline, it queues five more; with the server
/// stopped the backup is restored and `ordera-server new-epoch` run; the restarted server's log grows past
/// the kiosk's old cursor before the kiosk is back. The kiosk must take a fresh snapshot (not continue from
/// its cursor on a history that is gone, keeping orders the server no longer has), and its five queued
/// orders must arrive once.
async fn a_restore_from_backup_and_a_new_epoch_resync_devices_that_keep_their_outbox(backend: Backend) {
    let mut world = World::new(backend).await;
    let (kiosk, _dir) = world.engine("kiosk").await;
    until("online", Duration::from_secs(10), || settled(&kiosk)).await;
    let backed_up = world.snapshot().await.cursor;
    let backup = world.data.path().join("backup");
    backup_database(&world, &backup).await;

    let undone = [order(world.products[0]), order(world.products[1])];
    for request in &undone {
        kiosk.place_order(request.clone()).unwrap();
    }
    converged(&world, &[&kiosk]).await;
    let cursor = kiosk.status().position.expect("a position");
    world.proxy.set_mode(Mode::Down);
    until("offline", Duration::from_secs(10), || kiosk.status().connection != ConnectionState::Online).await;
    let mut queued = Vec::new();
    for n in 0..5 {
        let request = order(world.products[n % world.products.len()]);
        queued.push(request.id);
        kiosk.place_order(request).unwrap();
    }

    world.server.kill();
    world.database_url = restore_database(&world, &backup).await;
    let task = std::process::Command::new(ordera_e2e::process::server_binary(env!("CARGO_TARGET_TMPDIR")))
        .arg("new-epoch")
        .env("DATABASE_URL", &world.database_url)
        .env_remove("REDIS_URL")
        .env_remove("SENTRY_DSN")
        .output()
        .unwrap();
    assert!(task.status.success(), "new-epoch: {}", String::from_utf8_lossy(&task.stderr));
    assert!(String::from_utf8_lossy(&task.stdout).contains("1 restaurants moved to a new epoch"));
    world.restart_server();
    for n in 0..=(cursor - backed_up.seq + 2) {
        let renamed = serde_json::json!({"name": format!("Renamed {n}")});
        world.owner.patch(&format!("products/{}", world.products[2]), renamed).await;
    }
    world.proxy.set_mode(Mode::Pass);

    let truth = converged(&world, &[&kiosk]).await;
    assert_ne!(truth.cursor.epoch, backed_up.epoch);
    assert!(truth.cursor.seq > cursor, "the restored log grew past the kiosk's old cursor");
    let on_server: BTreeSet<Uuid> = truth.orders.iter().map(|o| o.id).collect();
    assert_eq!(on_server, queued.iter().copied().collect::<BTreeSet<_>>(), "the queued orders arrived once");
    until("the kiosk holds what the server holds", Duration::from_secs(20), || {
        kiosk.orders().unwrap().iter().map(|o| o.id).collect::<BTreeSet<_>>() == on_server
    })
    .await;
    assert!(kiosk.menu().unwrap().products.iter().any(|p| p.name.starts_with("Renamed")));
    kiosk.shutdown().await;
}

/// A consistent copy of the running server's database: `pg_dump`, or SQLite's `VACUUM INTO`.
async fn backup_database(world: &World, to: &std::path::Path) {
    use sqlx::Connection;
    if world.database_url.starts_with("postgres") {
        let dumped = std::process::Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(to)
            .arg(&world.database_url)
            .output()
            .unwrap_or_else(|e| panic!("pg_dump, from PostgreSQL's client tools, is needed: {e}"));
        assert!(dumped.status.success(), "pg_dump: {}", String::from_utf8_lossy(&dumped.stderr));
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&world.database_url).await.unwrap();
        sqlx::query("VACUUM INTO $1").bind(to.display().to_string()).execute(&mut conn).await.unwrap();
    }
}

/// Puts the copy back, the server stopped, and returns the database's address: `pg_restore --clean` into
/// the same database, or the SQLite copy as a file of its own (the stopped server's connections may still
/// be closing over the old one).
async fn restore_database(world: &World, from: &std::path::Path) -> String {
    if world.database_url.starts_with("postgres") {
        let restored = std::process::Command::new("pg_restore")
            .args(["--clean", "--if-exists", "--single-transaction", "--dbname"])
            .arg(&world.database_url)
            .arg(from)
            .output()
            .unwrap_or_else(|e| panic!("pg_restore, from PostgreSQL's client tools, is needed: {e}"));
        assert!(restored.status.success(), "pg_restore: {}", String::from_utf8_lossy(&restored.stderr));
        world.database_url.clone()
    } else {
        let file = world.data.path().join("restored.db");
        std::fs::copy(from, &file).unwrap();
        format!("sqlite://{}", file.display())
    }
}

/// A kiosk process killed with SIGKILL while queuing and while catching up: on restart nothing it said
/// was saved is lost, nothing is doubled, and its cache matches the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_killed_mid_queue_and_mid_sync_loses_and_doubles_nothing() {
    use tokio::io::AsyncBufReadExt;
    let world = World::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let harness = env!("CARGO_BIN_EXE_engine-harness");
    let product = world.products[1].to_string();
    let data = dir.path().to_str().unwrap().to_owned();
    let run = |code: String, count: usize| {
        tokio::process::Command::new(harness)
            .args([data.as_str(), world.proxy.url().as_str(), code.as_str(), &count.to_string(), product.as_str()])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let mut saved = Vec::new();

    // 1. Killed while queuing, some orders perhaps mid-send.
    let mut child = run(world.owner.pairing_code("kiosk").await, 400);
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let stop_after = rand::rng().random_range(50..300);
    let mut killed = false;
    // Lines printed before the kill but not yet read are still in the pipe: they count as saved too.
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(id) = line.strip_prefix("saved ") {
            saved.push(id.parse::<Uuid>().unwrap());
            if saved.len() == stop_after && !killed {
                child.kill().await.unwrap();
                killed = true;
            }
        }
    }

    // 2. Restarted, and killed again while it catches up and drains.
    let mut child = run("-".into(), 0);
    tokio::time::sleep(Duration::from_millis(rand::rng().random_range(20..200))).await;
    child.kill().await.unwrap();

    // 3. Restarted once more: it drains and reports its cache.
    let mut child = run("-".into(), 0);
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let drained = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(ids) = line.strip_prefix("drained ") {
                return ids
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<Uuid>().unwrap())
                    .collect::<BTreeSet<_>>();
            }
        }
        panic!("the harness ended without draining")
    })
    .await
    .expect("drained within a minute");
    assert!(child.wait().await.unwrap().success());

    let truth = world.snapshot().await;
    let on_server: BTreeSet<Uuid> = truth.orders.iter().map(|o| o.id).collect();
    assert_eq!(on_server.len(), truth.orders.len());
    for id in &saved {
        assert!(on_server.contains(id), "order {id} was saved on the kiosk but never arrived");
    }
    assert!(
        on_server.len() >= saved.len() && on_server.len() <= saved.len() + 1,
        "at most the one order being queued at the kill may arrive unannounced: {} saved, {} arrived",
        saved.len(),
        on_server.len()
    );
    assert_eq!(drained, on_server, "the kiosk's cache holds exactly the server's orders");
    let numbers: BTreeSet<i64> = truth.orders.iter().map(|o| o.number).collect();
    assert_eq!(numbers.len(), truth.orders.len(), "no ticket number twice");
}

/// A refused order is kept aside with its reason and does not hold up the orders behind it; the engine
/// tells its listeners about every change; photos land on disk; a revoked kiosk forgets its token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_do_not_block_the_queue_and_a_revoked_kiosk_forgets_its_token() {
    use ordera_client::{EngineEvent, Error};
    let world = World::new(Backend::Sqlite).await;
    world.owner.patch(&format!("products/{}", world.products[0]), serde_json::json!({"stock": 1})).await;
    let image = world.owner.upload_image(world.products[2], ordera_server::demo::picture([200, 90, 40], 3)).await;
    let (kiosk, _dir) = world.engine("kiosk").await;
    let mut events = kiosk.subscribe();
    until("online", Duration::from_secs(10), || settled(&kiosk)).await;
    until("photos cached", Duration::from_secs(10), || {
        kiosk.image_path(image, true).is_some() && kiosk.image_path(image, false).is_some()
    })
    .await;
    let thumb = std::fs::read(kiosk.image_path(image, true).unwrap()).unwrap();
    assert_eq!(&thumb[..2], &[0xFF, 0xD8], "a JPEG");

    world.proxy.set_mode(Mode::Down);
    until("offline", Duration::from_secs(10), || kiosk.status().connection != ConnectionState::Online).await;
    let first = order(world.products[0]);
    let sold_out = order(world.products[0]);
    let after = order(world.products[1]);
    for request in [&first, &sold_out, &after] {
        kiosk.place_order(request.clone()).unwrap();
    }
    world.proxy.set_mode(Mode::Pass);
    until("drained", Duration::from_secs(20), || settled(&kiosk)).await;

    let rejected = kiosk.rejected().unwrap();
    assert_eq!(rejected.iter().map(|e| e.command_id).collect::<Vec<_>>(), [sold_out.id]);
    assert!(rejected[0].reason.as_deref().unwrap().contains("sold out"), "{rejected:?}");
    assert_eq!(kiosk.status().rejected, 1);
    let on_server: BTreeSet<Uuid> = world.snapshot().await.orders.iter().map(|o| o.id).collect();
    assert_eq!(on_server, [first.id, after.id].into_iter().collect(), "the order behind the refused one went through");
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push(event);
    }
    assert!(seen
        .iter()
        .any(|e| matches!(e, EngineEvent::CommandRejected { command_id, .. } if *command_id == sold_out.id)));
    assert!(seen.iter().any(|e| matches!(e, EngineEvent::OrdersChanged)));
    assert!(seen.iter().any(|e| matches!(e, EngineEvent::CatalogChanged)), "the stock change reached the menu");
    assert!(seen.iter().any(
        |e| matches!(e, EngineEvent::ConnectionChanged { status } if status.connection == ConnectionState::Offline)
    ));
    assert!(seen.iter().any(
        |e| matches!(e, EngineEvent::ConnectionChanged { status } if status.connection == ConnectionState::Online)
    ));
    let sold: Vec<_> = kiosk.menu().unwrap().products.into_iter().filter(|p| p.id == world.products[0]).collect();
    assert_eq!(sold[0].stock, Some(0), "the cache shows it sold out");
    kiosk.dismiss(sold_out.id).unwrap();
    assert_eq!(kiosk.status().rejected, 0);

    // Revoked: the kiosk stops, forgets its token and says so; the cache stays readable.
    let device = kiosk.credentials().unwrap().unwrap().device.id;
    world.owner.post(&format!("devices/{device}/revoke"), serde_json::json!({})).await;
    until("unpaired", Duration::from_secs(10), || kiosk.status().connection == ConnectionState::Unpaired).await;
    assert!(kiosk.status().last_error.unwrap_or_default().contains("revoked"));
    assert!(kiosk.credentials().unwrap().is_none());
    assert_eq!(kiosk.place_order(order(world.products[1])), Err(Error::NotPaired));
    assert!(!kiosk.menu().unwrap().products.is_empty());
}

/// A kitchen screen shows its queued marks and bumps by the server's own rules: offline, the first line
/// done starts the ticket, the last makes it ready, so the next bump serves it (not a second "ready", which
/// the server would take as a repeat); back online the server ends exactly where the screen showed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kitchen_screen_shows_queued_marks_as_the_server_will_apply_them() {
    let world = World::new(Backend::Sqlite).await;
    let (kiosk, _kiosk_dir) = world.engine("kiosk").await;
    let (kds, _kds_dir) = world.engine("kds").await;
    let request = PlaceOrderRequest {
        items: vec![
            OrderLineRequest { product_id: world.products[0], quantity: 1, note: None },
            OrderLineRequest { product_id: world.products[1], quantity: 2, note: None },
        ],
        ..order(world.products[0])
    };
    kiosk.place_order(request.clone()).unwrap();
    until("the kitchen has the order", Duration::from_secs(10), || {
        kds.orders().unwrap().iter().any(|o| o.id == request.id) && settled(&kds)
    })
    .await;

    world.proxy.set_mode(Mode::Down);
    until("offline", Duration::from_secs(10), || kds.status().connection != ConnectionState::Online).await;
    let shown = |kds: &Engine| kds.orders_as_queued().unwrap().into_iter().find(|o| o.id == request.id).unwrap();
    kds.mark_items(request.id, vec![0], true).unwrap();
    assert_eq!(shown(&kds).status, OrderStatus::Preparing, "the first line done starts it");
    kds.mark_items(request.id, vec![1], true).unwrap();
    let ready = shown(&kds);
    assert_eq!(ready.status, OrderStatus::Ready, "every line done makes it ready");
    assert!(ready.items.iter().all(|item| item.done_at.is_some()));
    kds.set_status(request.id, StatusAction::Complete, None).unwrap();
    assert_eq!(shown(&kds).status, OrderStatus::Completed);

    world.proxy.set_mode(Mode::Pass);
    until("drained", Duration::from_secs(20), || settled(&kds)).await;
    let truth: Order = serde_json::from_value(world.owner.get(&format!("orders/{}", request.id)).await).unwrap();
    assert_eq!(truth.status, OrderStatus::Completed);
    assert!(truth.items.iter().all(|item| item.done_at.is_some()));
    assert!(kds.rejected().unwrap().is_empty());
    kiosk.shutdown().await;
    kds.shutdown().await;
}

/// The admin app's engine: a manager signs in with e-mail and password, which pairs the device with their
/// restaurant (it then syncs like any screen); the UI's calls and photo uploads reach the API as that
/// person, with the server's answers passed back whole, errors included; signing out revokes that pairing and forgets the
/// session, so the device keeps no working token of theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_signs_in_calls_the_api_as_themselves_and_signs_out_leaving_no_working_token() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(&format!("sqlite://{}", data.path().join("server.db").display()), None, data.path());
    let url = format!("http://{}", server.addr);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let email = format!("{}@example.com", Uuid::now_v7().simple());
    let password = "a long enough password";
    let signup = serde_json::json!({"restaurant_name": "Soho", "timezone": "Europe/London", "currency": "GBP",
        "owner_name": "Olive", "email": email, "password": password});
    let response = http.post(format!("{url}/api/v1/signup")).json(&signup).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let engine = Engine::open(&data.path().join("admin"), EngineConfig::default()).unwrap();

    // A wrong password is refused with the server's words, and pairs nothing.
    let refused = engine.sign_in(&url, &email, "not the password at all", "Office PC").await.unwrap_err();
    assert!(matches!(refused, ordera_client::Error::Unauthorized(_)), "{refused:?}");
    assert!(engine.credentials().unwrap().is_none() && engine.signed_in().unwrap().is_none());

    let signed_in = engine.sign_in(&format!("{url}/"), &format!(" {email} "), password, "Office PC").await.unwrap();
    assert_eq!((signed_in.user.email.as_str(), signed_in.tenant.name.as_str()), (email.as_str(), "Soho"));
    assert_eq!(engine.signed_in().unwrap(), Some(signed_in.clone()));
    until("the device syncs", Duration::from_secs(30), || engine.status().connection == ConnectionState::Online).await;
    let device = engine.credentials().unwrap().expect("paired by the sign-in");

    // Calls go as the person: the device list shows this computer; a manager's change is made.
    let devices = engine.call("GET", "devices", None).await.unwrap();
    assert_eq!(devices.status, 200);
    let listed = devices.body.as_array().expect("a list").iter().find(|d| d["id"] == device.device.id.to_string());
    assert_eq!(listed.map(|d| (d["name"].clone(), d["kind"].clone())), Some(("Office PC".into(), "admin".into())));
    let renamed = engine.call("PATCH", "tenant", Some(&serde_json::json!({"name": "Soho Central"}))).await.unwrap();
    assert_eq!((renamed.status, renamed.body["name"].as_str()), (200, Some("Soho Central")));
    // The server's refusal comes back whole, its field errors with it.
    let refused = engine.call("POST", "categories", Some(&serde_json::json!({"name": ""}))).await.unwrap();
    assert_eq!(refused.status, 422);
    assert!(refused.body["error"]["fields"]["name"].is_string(), "{}", refused.body);
    assert!(matches!(engine.call("FETCH ME", "devices", None).await, Err(ordera_client::Error::Invalid(_))));

    // A product photo goes up as the file's own bytes and type; the answer is the product with its image,
    // and a refused file's answer comes back whole too.
    let mains = engine.call("POST", "categories", Some(&serde_json::json!({"name": "Mains"}))).await.unwrap();
    let dish = serde_json::json!({"category_id": mains.body["id"], "name": "Halloumi Burger", "price": 950});
    let dish = engine.call("POST", "products", Some(&dish)).await.unwrap();
    let dish_id: Uuid = dish.body["id"].as_str().unwrap().parse().unwrap();
    let png = ordera_server::demo::picture([200, 90, 40], 1);
    let uploaded = engine.upload_image(dish_id, "image/png", png.clone()).await.unwrap();
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    assert_eq!(uploaded.body["id"], dish.body["id"]);
    assert!(uploaded.body["image"]["id"].is_string(), "{}", uploaded.body);
    let not_an_image = engine.upload_image(dish_id, "text/plain", png).await.unwrap();
    assert_eq!(
        (not_an_image.status, not_an_image.body["error"]["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let garbled = engine.upload_image(dish_id, "image/png", b"not a picture".to_vec()).await.unwrap();
    assert_eq!(garbled.status, 415, "{}", garbled.body);
    let product: serde_json::Value = engine.call("GET", &format!("products/{dish_id}"), None).await.unwrap().body;
    assert_eq!(product["image"], uploaded.body["image"], "a refused file changes nothing");

    // Signing in again on the same computer keeps its pairing.
    engine.sign_in(&url, &email, password, "Office PC").await.unwrap();
    assert_eq!(engine.credentials().unwrap().map(|c| c.device.id), Some(device.device.id));

    // Signing out: the pairing the sign-in made no longer works anywhere, and the device forgets it all.
    engine.sign_out().await.unwrap();
    assert!(engine.signed_in().unwrap().is_none() && engine.credentials().unwrap().is_none());
    let me = http.get(format!("{url}/api/v1/me")).bearer_auth(&device.token).send().await.unwrap();
    assert_eq!(me.status(), reqwest::StatusCode::UNAUTHORIZED, "the device's token was revoked");
    assert!(matches!(engine.call("GET", "devices", None).await, Err(ordera_client::Error::NotPaired)));
    assert!(matches!(engine.upload_image(dish_id, "image/png", vec![1]).await, Err(ordera_client::Error::NotPaired)));
    engine.shutdown().await;
}

/// A new restaurant set up from the admin app's engine: a refused field comes back whole (nothing is
/// created, the computer is not paired); a good sign-up keeps the owner's session and pairs the computer
/// with the new restaurant in one step, its answer the owner rather than a token; the owner calls the API
/// as themselves at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_restaurant_is_set_up_from_the_app_and_its_owner_is_signed_in_at_once() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(&format!("sqlite://{}", data.path().join("server.db").display()), None, data.path());
    let url = format!("http://{}", server.addr);
    let engine = Engine::open(&data.path().join("admin"), EngineConfig::default()).unwrap();
    let email = format!("{}@example.com", Uuid::now_v7().simple());
    let mut request = ordera_protocol::api::SignupRequest {
        restaurant_name: "Soho".into(),
        timezone: "Europe/Nowhere".into(),
        currency: "GBP".into(),
        owner_name: "Olive".into(),
        email: email.clone(),
        password: "a long enough password".into(),
    };

    let refused = engine.sign_up(&url, &request, "Office PC").await.unwrap();
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body["error"]["fields"]["timezone"].is_string(), "{}", refused.body);
    assert!(engine.credentials().unwrap().is_none() && engine.signed_in().unwrap().is_none());

    request.timezone = "Europe/London".into();
    let made = engine.sign_up(&format!("{url}/"), &request, "Office PC").await.unwrap();
    assert_eq!(made.status, 201, "{}", made.body);
    assert!(made.body.get("token").is_none(), "no token reaches the UI: {}", made.body);
    let owner: SignedIn = serde_json::from_value(made.body).unwrap();
    assert_eq!(
        (owner.user.email.as_str(), owner.user.role, owner.tenant.name.as_str()),
        (email.as_str(), Role::Owner, "Soho")
    );
    assert_eq!(engine.signed_in().unwrap(), Some(owner.clone()));
    until("the new restaurant's computer syncs", Duration::from_secs(30), || {
        engine.status().connection == ConnectionState::Online
    })
    .await;
    let device = engine.credentials().unwrap().expect("paired by the sign-up");
    let people = engine.call("GET", "users", None).await.unwrap();
    assert_eq!(people.status, 200);
    assert_eq!(people.body.as_array().map(Vec::len), Some(1), "the owner alone: {}", people.body);
    let devices = engine.call("GET", "devices", None).await.unwrap();
    assert!(devices.body.as_array().unwrap().iter().any(|d| d["id"] == device.device.id.to_string()));

    // The same e-mail cannot set up a second restaurant by accident: refused, and the session stays.
    let again = engine.sign_up(&url, &request, "Office PC").await.unwrap();
    assert!(!(200..300).contains(&again.status), "{}", again.body);
    assert_eq!(engine.signed_in().unwrap().map(|s| s.tenant.id), Some(owner.tenant.id));
    engine.shutdown().await;
}

/// What a kiosk keeps on its disk is what it may see: its own orders and the menu, never another kiosk's
/// customers, their notes or the device list, while its position still follows the whole log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_keeps_nothing_of_another_kiosks_orders_on_its_disk() {
    let world = World::new(Backend::Sqlite).await;
    let (ours, our_dir) = world.engine("kiosk").await;
    let (theirs, _their_dir) = world.engine("kiosk").await;
    let noted = |note: &str| PlaceOrderRequest { note: Some(note.into()), ..order(world.products[1]) };
    let (own, other) = (noted("own-note-table-4"), noted("their-secret-note"));
    ours.place_order(own.clone()).unwrap();
    theirs.place_order(other.clone()).unwrap();
    // A kitchen screen paired meanwhile: the device list is the staff's.
    let (_kitchen, _kitchen_dir) = world.engine("kds").await;
    until("both settled", Duration::from_secs(20), || settled(&ours) && settled(&theirs)).await;
    let head = world.snapshot().await.cursor.seq;
    until("our kiosk at the head of the log", Duration::from_secs(20), || ours.status().position == Some(head)).await;

    assert_eq!(ours.orders().unwrap().iter().map(|o| o.id).collect::<Vec<_>>(), [own.id]);
    assert_eq!(theirs.orders().unwrap().iter().map(|o| o.id).collect::<Vec<_>>(), [other.id]);
    let mut disk = Vec::new();
    for entry in walk(our_dir.path()) {
        disk.extend(std::fs::read(entry).unwrap());
    }
    let contains = |needle: &str| disk.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains("own-note-table-4") && contains(&own.id.to_string()), "the kiosk's own order is on its disk");
    for secret in [other.id.to_string().as_str(), "their-secret-note", "Test kds"] {
        assert!(!contains(secret), "{secret:?} is on the kiosk's disk");
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
