use ordera_protocol::api::{Category, MenuResponse, Product};
use ordera_protocol::sync::Event;
use ordera_protocol::{Allergen, DeviceKind, Money};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

both! {
    async fn a_manager_builds_categories_renames_reorders_hides_and_deletes_them(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let (_, manager) = app.user(&soho, "manager").await;
        let burgers: Category = expect_json(app.post("categories", Some(&manager), &json!({"name": " Burgers "})).await, StatusCode::CREATED).await;
        let sides = app.category(&soho, "Sides").await;
        let drinks = app.category(&soho, "Drinks").await;
        assert_eq!((burgers.name.as_str(), burgers.position, sides.position, drinks.position), ("Burgers", 0, 1, 2));
        assert!(burgers.visible);

        let renamed: Category = expect_json(app.patch(&format!("categories/{}", sides.id), &manager, &json!({"name": "Sides & Extras"})).await, StatusCode::OK).await;
        assert_eq!(renamed.name, "Sides & Extras");
        assert_eq!(renamed.position, 1, "a rename keeps the position");

        let order = json!({"ids": [drinks.id, burgers.id, sides.id]});
        let reordered: Vec<Category> = expect_json(app.post("categories/reorder", Some(&manager), &order).await, StatusCode::OK).await;
        let names: Vec<&str> = reordered.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Drinks", "Burgers", "Sides & Extras"]);
        let incomplete = json!({"ids": [drinks.id, burgers.id]});
        expect_error(app.post("categories/reorder", Some(&manager), &incomplete).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        // Hiding a category takes it and its products off the kiosk menu, not off the manager's list.
        app.product(&soho, &drinks, "Cola", 295).await;
        app.product(&soho, &burgers, "Smash", 1095).await;
        let hidden: Category = expect_json(app.patch(&format!("categories/{}", drinks.id), &manager, &json!({"visible": false})).await, StatusCode::OK).await;
        assert!(!hidden.visible);
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let menu: MenuResponse = expect_json(app.get("menu", &kiosk.token).await, StatusCode::OK).await;
        assert_eq!(menu.categories.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Burgers", "Sides & Extras"]);
        assert_eq!(menu.products.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Smash"]);
        let all: Vec<Category> = expect_json(app.get("categories", &manager).await, StatusCode::OK).await;
        assert_eq!(all.len(), 3);

        // A category with products cannot be deleted; an empty one can.
        let error = expect_error(app.delete(&format!("categories/{}", drinks.id), &manager).await, StatusCode::CONFLICT, "conflict").await;
        assert!(error.error.message.contains("1 product"), "{error:?}");
        expect_status(app.delete(&format!("categories/{}", sides.id), &manager).await, StatusCode::NO_CONTENT).await;
        expect_error(app.delete(&format!("categories/{}", sides.id), &manager).await, StatusCode::NOT_FOUND, "not_found").await;
        let left: Vec<Category> = expect_json(app.get("categories", &manager).await, StatusCode::OK).await;
        assert_eq!(left.len(), 2);
    }

    async fn positions_set_the_order_of_categories_and_products_on_the_kiosk(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let sides = app.category(&soho, "Sides").await;
        // New products go to the end of the list; a position can be given instead.
        let smash = app.product(&soho, &burgers, "Smash", 1095).await;
        let chicken = app.product(&soho, &burgers, "Chicken", 995).await;
        let veggie: Product = expect_json(
            app.post("products", Some(&soho.token), &json!({"category_id": burgers.id, "name": "Veggie", "price": 950, "position": 0})).await,
            StatusCode::CREATED,
        ).await;
        assert_eq!((smash.position, chicken.position, veggie.position), (0, 1, 0));
        // Moving one product and one category by their position.
        let moved: Product = expect_json(app.patch(&format!("products/{}", smash.id), &soho.token, &json!({"position": 5})).await, StatusCode::OK).await;
        assert_eq!(moved.position, 5);
        let burgers_last: Category = expect_json(app.patch(&format!("categories/{}", burgers.id), &soho.token, &json!({"position": 2})).await, StatusCode::OK).await;
        assert_eq!(burgers_last.position, 2);
        let negative = expect_error(app.patch(&format!("categories/{}", sides.id), &soho.token, &json!({"position": -1})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(negative.error.fields.unwrap().0.contains_key("position"));
        app.product(&soho, &sides, "Fries", 350).await;

        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let menu: MenuResponse = expect_json(app.get("menu", &kiosk.token).await, StatusCode::OK).await;
        assert_eq!(menu.categories.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Sides", "Burgers"]);
        let in_burgers: Vec<&str> = menu.products.iter().filter(|p| p.category_id == burgers.id).map(|p| p.name.as_str()).collect();
        assert_eq!(in_burgers, ["Veggie", "Chicken", "Smash"]);
    }

    async fn a_manager_creates_changes_and_deletes_products(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let sides = app.category(&soho, "Sides").await;
        let body = json!({
            "category_id": burgers.id, "name": "Halloumi Burger", "description": "Grilled halloumi, chilli jam",
            "price": 1150, "allergens": ["milk", "gluten", "milk"], "station": "Grill",
            "stock": 20, "low_stock_threshold": 5
        });
        let product: Product = expect_json(app.post("products", Some(&soho.token), &body).await, StatusCode::CREATED).await;
        assert_eq!(product.price, Money(1150));
        assert_eq!(product.allergens, vec![Allergen::Gluten, Allergen::Milk], "sorted, without repeats");
        assert_eq!(product.station, "grill");
        assert_eq!((product.stock, product.low_stock_threshold), (Some(20), Some(5)));
        assert!(product.available && product.orderable() && !product.low_on_stock());
        assert_eq!(product.position, 0);
        assert!(product.image.is_none());

        let path = format!("products/{}", product.id);
        let changed: Product = expect_json(app.patch(&path, &soho.token, &json!({"price": 1250, "stock": 4, "category_id": sides.id})).await, StatusCode::OK).await;
        assert_eq!((changed.price, changed.stock, changed.category_id), (Money(1250), Some(4), sides.id));
        assert!(changed.low_on_stock());
        assert_eq!(changed.name, "Halloumi Burger", "absent fields stay as they were");
        let uncounted: Product = expect_json(app.patch(&path, &soho.token, &json!({"stock": null})).await, StatusCode::OK).await;
        assert_eq!((uncounted.stock, uncounted.low_stock_threshold), (None, Some(5)));
        let off: Product = expect_json(app.patch(&path, &soho.token, &json!({"available": false})).await, StatusCode::OK).await;
        assert!(!off.orderable());

        let fetched: Product = expect_json(app.get(&path, &soho.token).await, StatusCode::OK).await;
        assert_eq!(fetched, off);
        let second = app.product(&soho, &sides, "Fries", 395).await;
        assert_eq!(second.position, 1, "appended after the last product of its category");
        let listed: Vec<Product> = expect_json(app.get("products", &soho.token).await, StatusCode::OK).await;
        assert_eq!(listed.len(), 2);

        expect_status(app.delete(&path, &soho.token).await, StatusCode::NO_CONTENT).await;
        expect_error(app.get(&path, &soho.token).await, StatusCode::NOT_FOUND, "not_found").await;
        expect_error(app.patch(&path, &soho.token, &json!({"price": 1})).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn bad_product_input_is_refused_with_its_fields_and_changes_nothing(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let bad = json!({"category_id": burgers.id, "name": "", "price": -5, "station": "gr!ll", "stock": -1});
        let error = expect_error(app.post("products", Some(&soho.token), &bad).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let fields = error.error.fields.unwrap();
        for field in ["name", "price", "station", "stock"] {
            assert!(fields.0.contains_key(field), "{field}: {fields:?}");
        }
        let unknown_category = json!({"category_id": uuid::Uuid::now_v7(), "name": "Ghost", "price": 100});
        let error = expect_error(app.post("products", Some(&soho.token), &unknown_category).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(error.error.fields.unwrap().0.contains_key("category_id"));
        let unknown_allergen = json!({"category_id": burgers.id, "name": "Nutty", "price": 100, "allergens": ["gluten", "kryptonite"]});
        let error = expect_error(app.post("products", Some(&soho.token), &unknown_allergen).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        assert!(error.error.message.contains("kryptonite"), "{error:?}");
        let too_dear = json!({"category_id": burgers.id, "name": "Gold", "price": Money::MAX_PRICE + 1});
        expect_error(app.post("products", Some(&soho.token), &too_dear).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        let product = app.product(&soho, &burgers, "Smash", 1095).await;
        let path = format!("products/{}", product.id);
        expect_error(app.patch(&path, &soho.token, &json!({"price": -1})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        expect_error(app.patch(&path, &soho.token, &json!({"category_id": uuid::Uuid::now_v7()})).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        let unchanged: Product = expect_json(app.get(&path, &soho.token).await, StatusCode::OK).await;
        assert_eq!(unchanged, product);
        let listed: Vec<Product> = expect_json(app.get("products", &soho.token).await, StatusCode::OK).await;
        assert_eq!(listed.len(), 1);
    }

    async fn every_menu_change_is_logged_in_order_with_the_whole_entity(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let product = app.product(&soho, &burgers, "Smash", 1095).await;
        app.patch(&format!("products/{}", product.id), &soho.token, &json!({"stock": 3})).await;
        app.delete(&format!("products/{}", product.id), &soho.token).await;
        let events = app.store.events_since(soho.tenant.id, 0, 100).await.unwrap();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4], "gapless, from 1");
        assert!(matches!(&events[0].event, Event::CategoryUpserted { category } if category.id == burgers.id));
        assert!(matches!(&events[1].event, Event::ProductUpserted { product: p } if p.id == product.id && p.stock.is_none()));
        assert!(matches!(&events[2].event, Event::ProductUpserted { product: p } if p.stock == Some(3)));
        assert!(matches!(&events[3].event, Event::ProductDeleted { id } if *id == product.id));
        assert_eq!(app.store.events_since(soho.tenant.id, 2, 100).await.unwrap().len(), 2);
        // Failed changes log nothing.
        app.patch(&format!("products/{}", product.id), &soho.token, &json!({"stock": 3})).await;
        assert_eq!(app.store.events_since(soho.tenant.id, 0, 100).await.unwrap().len(), 4);
    }
}
