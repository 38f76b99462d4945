//! The demo restaurant "Sizzling Bistro - Soho": four categories, twenty products with photos drawn here,
//! and an owner whose fresh password is printed on every start (so no password lives in the repository).

use anyhow::Context;
use ordera_protocol::api::{CreateCategoryRequest, CreateProductRequest};
use ordera_protocol::{Allergen, DeviceKind, Role};

use crate::auth::hash_password;
use crate::cpu::CpuQueue;
use crate::images;
use crate::store::{now, NewPairingCode, NewTenant, NewUserRow, Store};

pub const DEMO_RESTAURANT: &str = "Sizzling Bistro - Soho";
pub const DEMO_OWNER_EMAIL: &str = "owner@sizzling-bistro.example";

struct Item {
    name: &'static str,
    description: &'static str,
    price: i64,
    allergens: &'static [Allergen],
    station: &'static str,
    stock: Option<(i64, i64)>,
}

const fn item(
    name: &'static str,
    description: &'static str,
    price: i64,
    allergens: &'static [Allergen],
    station: &'static str,
) -> Item {
    Item { name, description, price, allergens, station, stock: None }
}

fn menu() -> Vec<(&'static str, [u8; 3], Vec<Item>)> {
    use Allergen::*;
    vec![
        (
            "Burgers",
            [196, 92, 38],
            vec![
                item(
                    "Classic Smash Burger",
                    "Two smashed beef patties, American cheese, pickles, house sauce.",
                    1095,
                    &[Gluten, Milk, Eggs, Mustard, Sesame],
                    "grill",
                ),
                item(
                    "Bacon Double",
                    "Double beef, smoked streaky bacon, cheddar, burger relish.",
                    1395,
                    &[Gluten, Milk, Mustard, Sesame],
                    "grill",
                ),
                Item {
                    stock: Some((20, 5)),
                    ..item(
                        "Halloumi Burger",
                        "Grilled halloumi, roast peppers, rocket, chilli jam.",
                        1150,
                        &[Gluten, Milk, Sesame],
                        "grill",
                    )
                },
                item(
                    "Spicy Chicken Burger",
                    "Buttermilk fried chicken, sriracha mayo, slaw.",
                    1195,
                    &[Gluten, Eggs, Milk],
                    "fryer",
                ),
                item(
                    "Mushroom & Swiss",
                    "Beef patty, garlic mushrooms, Swiss cheese, truffle mayo.",
                    1250,
                    &[Gluten, Milk, Eggs],
                    "grill",
                ),
            ],
        ),
        (
            "Sides",
            [214, 162, 52],
            vec![
                item("Skin-on Fries", "Triple-cooked, sea salt.", 395, &[], "fryer"),
                item("Sweet Potato Fries", "With smoked paprika salt.", 450, &[], "fryer"),
                item("Onion Rings", "Beer-battered, with garlic dip.", 425, &[Gluten, Milk], "fryer"),
                item("Mac & Cheese Bites", "Crumbed, with tomato relish.", 550, &[Gluten, Milk, Eggs], "fryer"),
                item(
                    "House Salad",
                    "Leaves, cucumber, radish, mustard vinaigrette.",
                    495,
                    &[Mustard, Sulphites],
                    "cold",
                ),
            ],
        ),
        (
            "Drinks",
            [52, 120, 196],
            vec![
                item("Cola", "330 ml can.", 295, &[], "bar"),
                item("Homemade Lemonade", "Fresh lemons, a little mint.", 325, &[], "bar"),
                item("Peach Iced Tea", "Brewed in house.", 325, &[], "bar"),
                item("Vanilla Milkshake", "Thick, with Madagascan vanilla.", 495, &[Milk], "bar"),
                item("Sparkling Water", "500 ml bottle.", 225, &[], "bar"),
            ],
        ),
        (
            "Desserts",
            [128, 70, 140],
            vec![
                item("Chocolate Brownie", "Warm, with vanilla ice cream.", 495, &[Eggs, Milk, Gluten], "cold"),
                item("Sticky Toffee Pudding", "Toffee sauce, clotted cream.", 595, &[Gluten, Milk, Eggs], "cold"),
                item("Vanilla Ice Cream", "Three scoops.", 395, &[Milk], "cold"),
                item("Apple Crumble", "Bramley apples, oat crumble, custard.", 550, &[Gluten, Milk], "cold"),
                Item {
                    stock: Some((12, 3)),
                    ..item("Baked Cheesecake", "New York style, berry compote.", 575, &[Gluten, Milk, Eggs], "cold")
                },
            ],
        ),
    ]
}

/// Creates the demo restaurant if it does not exist, gives its owner a fresh printed password, and prints
/// fresh pairing codes for a kiosk, a kitchen screen and an admin device, so the apps `cargo xtask run` starts pair at once.
pub async fn seed(store: &dyn Store, pairing_ttl: chrono::Duration) -> anyhow::Result<()> {
    let password = crate::auth::new_token("demo-")[..17].to_owned();
    // One hash, before the server takes requests: a queue of its own.
    let password_hash = hash_password(&CpuQueue::new("hashing", 1, 0), password.clone()).await?;
    let (tenant_id, owner_id) = if let Some(existing) = store.credentials(DEMO_OWNER_EMAIL).await? {
        store.set_password(existing.tenant_id, existing.user.id, &password_hash).await?;
        (existing.tenant_id, existing.user.id)
    } else {
        create(store, password_hash).await?
    };
    println!("Demo restaurant \"{DEMO_RESTAURANT}\": log in as {DEMO_OWNER_EMAIL} with password {password}");
    let mut codes = Vec::new();
    for (kind, name) in
        [(DeviceKind::Kiosk, "Demo kiosk"), (DeviceKind::Kds, "Demo kitchen screen"), (DeviceKind::Admin, "Demo admin")]
    {
        let code = crate::auth::new_pairing_code();
        store
            .create_pairing_code(&NewPairingCode {
                code_hash: crate::auth::pairing_code_hash(&code),
                tenant_id,
                kind,
                name: name.to_owned(),
                created_by: owner_id,
                expires_at: now() + pairing_ttl,
            })
            .await?;
        codes.push(format!("{kind} {code}"));
    }
    println!(
        "Pairing codes for the apps (valid {} minutes, once each): {}",
        pairing_ttl.num_minutes(),
        codes.join(", ")
    );
    Ok(())
}

/// Returns the new restaurant's and owner's ids.
async fn create(store: &dyn Store, password_hash: String) -> anyhow::Result<(uuid::Uuid, uuid::Uuid)> {
    let tenant = NewTenant {
        id: ordera_protocol::new_id(),
        name: DEMO_RESTAURANT.to_owned(),
        timezone: "Europe/London".to_owned(),
        currency: "GBP".to_owned(),
    };
    let owner = NewUserRow {
        id: ordera_protocol::new_id(),
        email: DEMO_OWNER_EMAIL.to_owned(),
        name: "Sam Bistro".to_owned(),
        role: Role::Owner,
        password_hash,
    };
    let (tenant, owner) = store.signup(&tenant, &owner).await?;
    for (index, (category_name, colour, items)) in menu().into_iter().enumerate() {
        let request =
            CreateCategoryRequest { name: category_name.to_owned(), position: Some(index as i64), visible: None };
        let category = store.create_category(tenant.id, &request.validate().map_err(anyhow::Error::msg)?).await?;
        for (n, item) in items.iter().enumerate() {
            let request = CreateProductRequest {
                category_id: category.id,
                name: item.name.to_owned(),
                description: Some(item.description.to_owned()),
                price: item.price,
                allergens: item.allergens.to_vec(),
                station: Some(item.station.to_owned()),
                available: None,
                stock: item.stock.map(|(stock, _)| stock),
                low_stock_threshold: item.stock.map(|(_, threshold)| threshold),
                position: Some(n as i64),
            };
            let product = store.create_product(tenant.id, &request.validate().map_err(anyhow::Error::msg)?).await?;
            let png = picture(colour, n as u32);
            let processed = tokio::task::spawn_blocking(move || images::process(&png, images::DEFAULT_MAX_PIXELS))
                .await?
                .map_err(|e| anyhow::anyhow!("processing a demo picture: {e}"))?;
            let image = processed.into_new_image();
            store.set_product_image(tenant.id, product.id, &image).await.context("storing a demo picture")?;
        }
    }
    Ok((tenant.id, owner.id))
}

/// A 640×480 PNG of a plate on a warm background in the category's colour, its food shape varying by item.
pub fn picture(colour: [u8; 3], variant: u32) -> Vec<u8> {
    let (width, height) = (640u32, 480u32);
    let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0 + 10.0);
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let distance = (dx * dx + dy * dy).sqrt();
        let angle = dy.atan2(dx);
        let shade = |c: u8, k: f32| (f32::from(c) * k).clamp(0.0, 255.0) as u8;
        // The food: a lobed blob whose number of lobes depends on the item.
        let lobes = 3.0 + variant as f32;
        let food_radius = 110.0 + 18.0 * (angle * lobes).sin();
        if distance < food_radius {
            let k = 1.05 - distance / 600.0;
            image::Rgb([shade(colour[0], k), shade(colour[1], k), shade(colour[2], k)])
        } else if distance < 190.0 {
            let k = if distance > 175.0 { 0.9 } else { 1.0 };
            image::Rgb([shade(248, k), shade(246, k), shade(240, k)])
        } else {
            let k = 0.35 + 0.25 * (y as f32 / height as f32);
            image::Rgb([shade(colour[0], k), shade(colour[1], k), shade(colour[2], k)])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).expect("encoding a PNG in memory");
    out.into_inner()
}
