use std::io::Cursor;

use ordera_protocol::api::Product;
use ordera_protocol::DeviceKind;
use reqwest::{header, Method, StatusCode};

use crate::helpers::*;

fn encode(image: &image::RgbaImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        image::ImageFormat::Jpeg => image::DynamicImage::ImageRgba8(image.clone()).to_rgb8().write_to(&mut out, format),
        _ => image.write_to(&mut out, format),
    }
    .expect("encoding a test image");
    out.into_inner()
}

fn gradient(width: u32, height: u32) -> image::RgbaImage {
    image::RgbaImage::from_fn(width, height, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255]))
}

/// A small file declaring `side`×`side` pixels, which would take `side`² × 4 bytes to decode. The PNG
/// is a whole, valid one of black pixels (deflate shrinks them a thousandfold); the WebP is a real 1×1
/// lossless file whose header is rewritten: after RIFF, VP8L and the 0x2f signature come 14 bits each
/// of width - 1 and height - 1, little-endian, then the alpha and version bits, kept as they were.
fn bomb(format: image::ImageFormat, side: u32) -> Vec<u8> {
    let bytes = match format {
        image::ImageFormat::Png => {
            use image::codecs::png::{CompressionType, FilterType, PngEncoder};
            use image::ImageEncoder;
            let mut out = Vec::new();
            PngEncoder::new_with_quality(&mut out, CompressionType::Best, FilterType::NoFilter)
                .write_image(image::GrayImage::new(side, side).as_raw(), side, side, image::ExtendedColorType::L8)
                .expect("encoding a bomb");
            out
        }
        image::ImageFormat::WebP => {
            let mut bytes = encode(&gradient(1, 1), format);
            assert_eq!(&bytes[12..16], b"VP8L", "the encoder writes lossless WebP");
            let header = u32::from_le_bytes(bytes[21..25].try_into().unwrap());
            let header = (header & !((1 << 28) - 1)) | (side - 1) | ((side - 1) << 14);
            bytes[21..25].copy_from_slice(&header.to_le_bytes());
            bytes
        }
        other => panic!("no bomb in {other:?}"),
    };
    let reader = image::ImageReader::new(Cursor::new(&bytes)).with_guessed_format().unwrap();
    assert_eq!(reader.into_dimensions().unwrap(), (side, side));
    bytes
}

impl TestApp {
    async fn upload(&self, token: &str, product: &Product, content_type: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.request(Method::PUT, &format!("products/{}/image", product.id), Some(token))
            .header(header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .expect("upload")
    }
}

both! {
    async fn a_photo_is_decoded_resized_re_encoded_and_served_with_cache_headers(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let product = app.product(&soho, &burgers, "Smash", 1095).await;
        let png = ordera_server::demo::picture([200, 80, 40], 2);
        let updated: Product = expect_json(app.upload(&soho.token, &product, "image/png", png).await, StatusCode::OK).await;
        let image = updated.image.clone().expect("the product has an image");
        assert_eq!((image.width, image.height), (640, 480), "small enough to keep its size");

        // A paired kiosk fetches it, as the display JPEG and as a thumbnail.
        let kiosk = app.pair(&soho, DeviceKind::Kiosk).await;
        let response = app.get(&format!("images/{}", image.id), &kiosk.token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
        assert!(response.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("max-age=31536000"));
        let etag = response.headers()[header::ETAG].to_str().unwrap().to_owned();
        let display = image::load_from_memory(&response.bytes().await.unwrap()).expect("a real JPEG");
        assert_eq!((display.width(), display.height()), (640, 480));
        let thumb_response = app.get(&format!("images/{}?size=thumb", image.id), &kiosk.token).await;
        let thumb_etag = thumb_response.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert_ne!(thumb_etag, etag);
        let thumb = image::load_from_memory(&thumb_response.bytes().await.unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (240, 180));

        // A revalidation with the ETag costs no body.
        let revalidated = app.request(Method::GET, &format!("images/{}", image.id), Some(&kiosk.token))
            .header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        assert!(revalidated.bytes().await.unwrap().is_empty());
        let bad_size = app.get(&format!("images/{}?size=huge", image.id), &kiosk.token).await;
        expect_error(bad_size, StatusCode::BAD_REQUEST, "bad_request").await;
    }

    async fn large_jpeg_and_webp_uploads_are_scaled_down_and_a_replaced_image_is_gone(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let product = app.product(&soho, &burgers, "Smash", 1095).await;
        let jpeg = encode(&gradient(1600, 1200), image::ImageFormat::Jpeg);
        let first: Product = expect_json(app.upload(&soho.token, &product, "image/jpeg", jpeg).await, StatusCode::OK).await;
        let first_image = first.image.unwrap();
        assert_eq!((first_image.width, first_image.height), (800, 600));

        let webp = encode(&gradient(300, 900), image::ImageFormat::WebP);
        let second: Product = expect_json(app.upload(&soho.token, &product, "image/webp", webp).await, StatusCode::OK).await;
        let second_image = second.image.unwrap();
        assert_ne!(second_image.id, first_image.id);
        assert_eq!((second_image.width, second_image.height), (267, 800));
        expect_error(app.get(&format!("images/{}", first_image.id), &soho.token).await, StatusCode::NOT_FOUND, "not_found").await;
        expect_status(app.get(&format!("images/{}", second_image.id), &soho.token).await, StatusCode::OK).await;

        // Deleting the product deletes its image.
        app.delete(&format!("products/{}", product.id), &soho.token).await;
        expect_error(app.get(&format!("images/{}", second_image.id), &soho.token).await, StatusCode::NOT_FOUND, "not_found").await;
    }

    async fn bad_uploads_are_refused_and_change_nothing(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let product = app.product(&soho, &burgers, "Smash", 1095).await;
        let png = ordera_server::demo::picture([10, 20, 30], 1);

        let wrong_type = app.upload(&soho.token, &product, "text/plain", png.clone()).await;
        expect_error(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
        let not_an_image = app.upload(&soho.token, &product, "image/png", b"hello, I am text".to_vec()).await;
        expect_error(not_an_image, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
        expect_error(app.upload(&soho.token, &product, "image/png", gif).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
        let truncated = png[..png.len() / 3].to_vec();
        expect_error(app.upload(&soho.token, &product, "image/png", truncated).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        expect_error(app.upload(&soho.token, &product, "image/png", Vec::new()).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
        // Over the configured limit (512 KiB in tests): refused, and the client still reads the answer.
        let huge = vec![0u8; 600 * 1024];
        expect_error(app.upload(&soho.token, &product, "image/png", huge).await, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
        // A pixel bomb: a tiny file declaring a 20000×20000 canvas.
        let bomb = encode(&gradient(1, 1), image::ImageFormat::Png);
        let mut bomb = bomb;
        bomb[16..20].copy_from_slice(&20000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&20000u32.to_be_bytes());
        expect_error(app.upload(&soho.token, &product, "image/png", bomb).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

        // Staff, devices and unknown products are refused too.
        let (_, staff) = app.user(&soho, "staff").await;
        expect_error(app.upload(&staff, &product, "image/png", png.clone()).await, StatusCode::FORBIDDEN, "forbidden").await;
        let mut ghost = product.clone();
        ghost.id = uuid::Uuid::now_v7();
        expect_error(app.upload(&soho.token, &ghost, "image/png", png).await, StatusCode::NOT_FOUND, "not_found").await;

        let unchanged: Product = expect_json(app.get(&format!("products/{}", product.id), &soho.token).await, StatusCode::OK).await;
        assert!(unchanged.image.is_none());
    }

    async fn a_png_or_webp_declaring_ten_thousand_square_pixels_is_refused_before_decoding(app: TestApp) {
        let soho = app.restaurant("Soho").await;
        let burgers = app.category(&soho, "Burgers").await;
        let product = app.product(&soho, &burgers, "Smash", 1095).await;
        for (format, content_type) in [(image::ImageFormat::Png, "image/png"), (image::ImageFormat::WebP, "image/webp")] {
            let bomb = bomb(format, 10_000);
            assert!(bomb.len() < 200 * 1024, "a bomb is small: {} bytes", bomb.len());
            let refused = expect_error(app.upload(&soho.token, &product, content_type, bomb).await, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
            // The answer is about the size the header declares, not a failure found while decoding.
            let fields = refused.error.fields.expect("the field in error");
            let message = &fields.0["image"];
            assert!(message.contains("10000×10000") && message.contains("megapixels"), "{content_type}: {message}");
        }
        let unchanged: Product = expect_json(app.get(&format!("products/{}", product.id), &soho.token).await, StatusCode::OK).await;
        assert!(unchanged.image.is_none(), "nothing was stored");

        // An ordinary photo still goes through.
        let photo = encode(&gradient(1200, 900), image::ImageFormat::Jpeg);
        let updated: Product = expect_json(app.upload(&soho.token, &product, "image/jpeg", photo).await, StatusCode::OK).await;
        assert_eq!(updated.image.map(|i| (i.width, i.height)), Some((800, 600)));
    }
}

/// An operator may lower the limit: a photo within the default is then refused, with the size it has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pixel_limit_is_a_setting() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| config.max_image_pixels = 1_000_000).await;
    let soho = app.restaurant("Soho").await;
    let burgers = app.category(&soho, "Burgers").await;
    let product = app.product(&soho, &burgers, "Smash", 1095).await;
    let photo = encode(&gradient(1200, 900), image::ImageFormat::Png);
    let refused = expect_error(
        app.upload(&soho.token, &product, "image/png", photo).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        refused.error.message.contains("1200×900") && refused.error.message.contains("1.0 megapixels"),
        "{}",
        refused.error.message
    );
    let small = encode(&gradient(1000, 1000), image::ImageFormat::Png);
    expect_status(app.upload(&soho.token, &product, "image/png", small).await, StatusCode::OK).await;
}
