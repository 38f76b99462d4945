//! Hostile or unlucky input, from outside as a client sends it: text PostgreSQL cannot store, paging past
//! any real page, JSON of the wrong shape, an oversized WebSocket frame, spreadsheet formulas in a note.
//! Each is refused in the one error shape (or neutralised), the same on both backends, and changes nothing.

use ordera_protocol::api::{Category, Product};
use ordera_protocol::orders::{OrderPage, Outcome};
use ordera_protocol::sync::ServerMessage;
use ordera_protocol::DeviceKind;
use reqwest::{header, Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use crate::ws::SyncClient;

/// The field an error names, with its message.
fn field(error: &ordera_protocol::api::ErrorBody, name: &str) -> String {
    let fields = error.error.fields.as_ref().unwrap_or_else(|| panic!("no fields named in {error:?}"));
    fields.0.get(name).cloned().unwrap_or_else(|| panic!("`{name}` not named in {error:?}"))
}

both! {
    async fn text_postgres_cannot_store_is_refused_with_422_naming_the_field_everywhere(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let sides = app.category(&soho, "Sides").await;
        let fries = app.product(&soho, &sides, "Fries", 395).await;
        let head = app.store.head(soho.tenant.id).await.unwrap();

        // Without any token: the login's e-mail.
        let login = app.post("login", None, &json!({"email": "owner\u{0}@example.com", "password": PASSWORD})).await;
        let error = expect_error(login, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(field(&error, "email").contains("control character"), "{error:?}");

        // A query parameter, in the history and in its export.
        for path in ["orders?q=%00", "orders/export.csv?q=fries%00"] {
            let error = expect_error(app.get(path, &soho.token).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            field(&error, "q");
        }

        // A product's description, on create and on update; another control character (ESC, which drives
        // kitchen printers and terminals) the same way.
        let create = json!({"category_id": sides.id, "name": "Shake", "price": 450, "description": "thick\u{0}"});
        let error = expect_error(app.post("products", Some(&soho.token), &create).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        field(&error, "description");
        for description in ["crisp\u{0}", "\u{1b}[31mred"] {
            let update = app.patch(&format!("products/{}", fries.id), &soho.token, &json!({"description": description})).await;
            let error = expect_error(update, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            field(&error, "description");
        }
        // Nested: a line's note names its place in the order.
        let mut order = order_body(Uuid::now_v7(), &[(fries.id, 1)]);
        order["items"][0]["note"] = json!("no salt\u{7}");
        let error = expect_error(app.post("orders", Some(&soho.token), &order).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        field(&error, "items[0].note");

        // Over the socket: the command is acked as refused, naming the field, so the device drops it.
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let (mut socket, _, _) = SyncClient::connect(app.addr, &kiosk.token, None, app.store.head(soho.tenant.id).await.unwrap().seq).await;
        let id = Uuid::now_v7();
        let mut body = order_body(id, &[(fries.id, 1)]);
        body["note"] = json!("table 4\u{0}");
        let message = json!({"type": "place_order", "command_id": id, "order": body});
        socket.send_raw(message.to_string()).await;
        match socket.recv().await {
            ServerMessage::Ack { command_id, result } => {
                assert_eq!(command_id, id);
                assert_eq!(result.outcome, Outcome::Rejected);
                assert!(result.reason.as_deref().unwrap_or_default().contains("order.note"), "{result:?}");
            }
            other => panic!("expected an ack, got {other:?}"),
        }

        // Nothing changed: no product, no order, the description as it was, only the device's pairing logged.
        let products: Vec<Product> = expect_json(app.get("products", &soho.token).await, StatusCode::OK).await;
        assert_eq!(products.len(), 1);
        assert_eq!(products[0].description, fries.description);
        let history: OrderPage = expect_json(app.get("orders", &soho.token).await, StatusCode::OK).await;
        assert_eq!(history.total, 0);
        let events = app.store.events_since(soho.tenant.id, head.seq, 100).await.unwrap();
        assert!(events.iter().all(|e| !matches!(e.event, ordera_protocol::sync::Event::ProductUpserted { .. })), "{events:?}");
    }

    async fn line_breaks_and_tabs_are_free_text_but_other_control_characters_are_not(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let sides = app.category(&soho, "Sides").await;
        let fries = app.product(&soho, &sides, "Fries", 395).await;
        let mut order = order_body(Uuid::now_v7(), &[(fries.id, 1)]);
        order["note"] = json!("table 4\nby the window");
        order["items"][0]["note"] = json!("no salt\textra vinegar");
        let placed: ordera_protocol::orders::Order = expect_json(app.post("orders", Some(&soho.token), &order).await, StatusCode::CREATED).await;
        assert_eq!(placed.note, "table 4\nby the window");
        assert_eq!(placed.items[0].note, "no salt\textra vinegar");
        let update = app.patch(&format!("products/{}", fries.id), &soho.token, &json!({"description": "Thin.\nCrisp."})).await;
        let fries: Product = expect_json(update, StatusCode::OK).await;
        assert_eq!(fries.description, "Thin.\nCrisp.");

        for bad in ["\u{0}", "\u{8}", "\r", "\u{7f}", "\u{85}"] {
            let mut order = order_body(Uuid::now_v7(), &[(fries.id, 1)]);
            order["note"] = json!(format!("a{bad}b"));
            let error = expect_error(app.post("orders", Some(&soho.token), &order).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            field(&error, "note");
        }
    }

    async fn a_page_far_beyond_the_last_is_refused_with_its_bounds(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        for path in ["orders?page=9223372036854775807&per_page=50", "orders?page=0"] {
            let error = expect_error(app.get(path, &soho.token).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(field(&error, "page").contains("between 1 and"), "{error:?}");
        }
        for per_page in ["0", "201", "9223372036854775807", "-9223372036854775808"] {
            let error = expect_error(app.get(&format!("orders?per_page={per_page}"), &soho.token).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(field(&error, "per_page").contains("between 1 and 200"), "{error:?}");
        }
        for limit in ["0", "101", "9223372036854775807"] {
            let error = expect_error(app.get(&format!("reports/top-products?limit={limit}"), &soho.token).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            assert!(field(&error, "limit").contains("between 1 and 100"), "{error:?}");
        }
        // The last page the server serves still answers (empty).
        let last: OrderPage = expect_json(app.get("orders?page=1000000&per_page=200", &soho.token).await, StatusCode::OK).await;
        assert!(last.orders.is_empty());
        expect_status(app.request(Method::GET, "/healthz", None).send().await.unwrap(), StatusCode::OK).await;
    }

    async fn a_body_of_the_wrong_json_shape_is_refused_naming_the_field(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let sides = app.category(&soho, "Sides").await;
        let fries = app.product(&soho, &sides, "Fries", 395).await;
        let head = app.store.head(soho.tenant.id).await.unwrap();

        // An array where the body's object belongs.
        let patch = app.patch(&format!("categories/{}", sides.id), &soho.token, &json!([])).await;
        expect_error(patch, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let create = app.post("categories", Some(&soho.token), &json!(["Drinks"])).await;
        expect_error(create, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        // ... or where a nested object belongs.
        let order = json!({"id": Uuid::now_v7(), "order_type": "takeaway", "items": [[fries.id, 1]]});
        let error = expect_error(app.post("orders", Some(&soho.token), &order).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        field(&error, "items[0]");

        // A value of the wrong JSON type for a field of a closed set.
        let user = json!({"email": "cook@example.com", "name": "Cook", "role": null, "password": PASSWORD});
        let error = expect_error(app.post("users", Some(&soho.token), &user).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        field(&error, "role");
        let order = json!({"id": Uuid::now_v7(), "order_type": 5, "items": [{"product_id": fries.id, "quantity": 1}]});
        let error = expect_error(app.post("orders", Some(&soho.token), &order).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        field(&error, "order_type");

        // Nothing changed, and nothing was logged.
        let categories: Vec<Category> = expect_json(app.get("categories", &soho.token).await, StatusCode::OK).await;
        assert_eq!(categories.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Sides"]);
        assert_eq!(app.store.head(soho.tenant.id).await.unwrap(), head, "no event was written");
        let users: Vec<ordera_protocol::api::User> = expect_json(app.get("users", &soho.token).await, StatusCode::OK).await;
        assert_eq!(users.len(), 1);
    }

    async fn a_websocket_frame_over_a_mebibyte_closes_with_1009(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let kds = app.pair(&soho, DeviceKind::Kds).await;
        let (mut socket, _, _) = SyncClient::connect(app.addr, &kds.token, None, 0).await;
        socket.send_raw(format!(r#"{{"type":"ping","nonce":1,"pad":"{}"}}"#, "x".repeat(1024 * 1024))).await;
        let (code, reason) = socket.expect_close().await;
        assert_eq!(code, 1009, "{reason}");
        // The server is fine and the device reconnects.
        let (again, _, _) = SyncClient::connect(app.addr, &kds.token, None, 0).await;
        again.close().await;
    }

    async fn csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let sides = app.category(&soho, "Sides").await;
        let fries = app.product(&soho, &sides, "Fries", 395).await;
        let notes = ["=HYPERLINK(\"http://127.0.0.1/\",\"click\")", "+1", "-2+3", "@SUM(A1)", "\tindent", "plain"];
        for note in notes {
            let mut order = order_body(Uuid::now_v7(), &[(fries.id, 1)]);
            order["note"] = json!(note);
            expect_status(app.post("orders", Some(&soho.token), &order).await, StatusCode::CREATED).await;
        }
        let response = app.get("orders/export.csv", &soho.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
        let body = response.text().await.unwrap();
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let note_column = headers.iter().position(|h| h == "note").unwrap();
        let total_column = headers.iter().position(|h| h == "total").unwrap();
        let mut cells: Vec<String> = Vec::new();
        for record in reader.records() {
            let record = record.unwrap();
            cells.push(record[note_column].to_owned());
            assert_eq!(&record[total_column], "3.95", "numbers stay numbers");
        }
        cells.sort();
        let mut expected: Vec<String> = notes
            .iter()
            .map(|note| {
                // The order keeps the note as typed (trimmed); the spreadsheet gets it as text.
                let stored = note.trim();
                if stored.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{stored}") } else { stored.to_owned() }
            })
            .collect();
        expected.sort();
        assert_eq!(cells, expected);
    }
}

/// Sends `head` on a fresh connection and reads the response's status line and headers, lower-cased.
async fn early_answer(app: &TestApp, head: &str) -> (tokio::net::TcpStream, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !received.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(crate::ws::WAIT, stream.read(&mut buffer)).await.expect("an answer").unwrap();
        assert!(read > 0, "the connection closed without an answer");
        received.extend_from_slice(&buffer[..read]);
    }
    (stream, String::from_utf8_lossy(&received).to_lowercase())
}

both! {
    async fn an_answer_given_before_the_body_arrived_says_the_connection_closes(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        // 401: no token, and the body (20 bytes promised) not sent yet.
        let (_, unauthorized) = early_answer(&app, "POST /api/v1/categories HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n").await;
        assert!(unauthorized.starts_with("http/1.1 401"), "{unauthorized}");
        assert!(unauthorized.contains("\r\nconnection: close\r\n"), "{unauthorized}");
        // 405: a method the path does not have.
        let head = format!("PUT /api/v1/categories HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n", soho.token);
        let (_, not_allowed) = early_answer(&app, &head).await;
        assert!(not_allowed.starts_with("http/1.1 405"), "{not_allowed}");
        assert!(not_allowed.contains("\r\nconnection: close\r\n"), "{not_allowed}");

        // A request whose body was read keeps its connection for the next one.
        use tokio::io::AsyncWriteExt;
        let body = r#"{"name": "Drinks"}"#;
        let head = format!("POST /api/v1/categories HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", soho.token, body.len());
        let (mut stream, created) = early_answer(&app, &head).await;
        assert!(created.starts_with("http/1.1 201"), "{created}");
        assert!(!created.contains("connection: close"), "{created}");
        stream.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n").await.unwrap();
        let mut next = Vec::new();
        let mut buffer = [0u8; 4096];
        while !String::from_utf8_lossy(&next).contains("HTTP/1.1 200") {
            use tokio::io::AsyncReadExt;
            let read = tokio::time::timeout(crate::ws::WAIT, stream.read(&mut buffer)).await.expect("an answer").unwrap();
            assert!(read > 0, "the next request was lost: {}", String::from_utf8_lossy(&next));
            next.extend_from_slice(&buffer[..read]);
        }
    }
}
