//! Product photos. An upload is accepted only if it decodes as PNG, JPEG or WebP within size limits; it is
//! then re-encoded (which drops metadata and anything hidden in the file) as a display-size JPEG and a
//! thumbnail. Images are served with a strong ETag and long-lived cache headers: an image id never
//! changes content, a new upload gets a new id.
//!
//! A file of a few KiB can declare a canvas of 10,000 × 10,000 pixels, which takes 400 MB to decode (a
//! decompression bomb). So the size the header declares is checked before anything is decoded, the
//! decoder's own allocations are capped to what an image within that size needs, and uploads are
//! decoded a few at a time (`ORDERA_IMAGE_WORKERS`), in a short queue.

use std::io::Cursor;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::StreamExt;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use ordera_protocol::api::{ErrorBody, Product};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Auth, ManagerAuth};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use crate::store::NewImage;

/// The longest side of the image shown on a product sheet.
pub const DISPLAY_SIZE: u32 = 800;
/// The longest side of the image in the product grid.
pub const THUMB_SIZE: u32 = 240;
/// Larger sources are refused before decoding, so a tiny file cannot claim a huge canvas (a pixel bomb).
const MAX_SOURCE_SIDE: u32 = 10_000;
/// The default for `ORDERA_MAX_IMAGE_PIXELS`: a 12-megapixel phone photo (4032 × 3024) fits, and decodes
/// in at most 64 MB.
pub const DEFAULT_MAX_PIXELS: u64 = 16_000_000;
/// What the decoder may allocate per pixel: 8-bit RGBA. A 16-bit image needs twice as much and is accepted
/// at up to half the pixels.
const BYTES_PER_PIXEL: u64 = 4;
const JPEG_QUALITY: u8 = 82;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_product_image)).routes(routes!(get_image))
}

/// A re-encoded upload, ready to store.
pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub display: Vec<u8>,
    pub thumb: Vec<u8>,
    pub etag: String,
}

impl Processed {
    /// The image to store, under a new id.
    pub fn into_new_image(self) -> NewImage {
        NewImage {
            id: ordera_protocol::new_id(),
            width: self.width,
            height: self.height,
            display: self.display,
            thumb: self.thumb,
            etag: self.etag,
        }
    }
}

/// The upload's format, guessed from its first bytes: one of PNG, JPEG or WebP, or 415.
fn reader(bytes: &[u8]) -> ApiResult<ImageReader<Cursor<&[u8]>>> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading an upload from memory: {e}")))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) => Ok(reader),
        _ => Err(ApiError::UnsupportedMediaType("the file is not a PNG, JPEG or WebP image".into())),
    }
}

/// Reads only the header and refuses an image larger than `max_pixels` (or wider or taller than any
/// photo) before a byte of it is decoded. Cheap: call it before queueing for [`process`].
pub fn check_size(bytes: &[u8], max_pixels: u64) -> ApiResult<(u32, u32)> {
    let (width, height) = reader(bytes)?
        .into_dimensions()
        .map_err(|e| ApiError::invalid_field("image", format!("the image could not be read: {e}")))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels || width > MAX_SOURCE_SIDE || height > MAX_SOURCE_SIDE {
        return Err(ApiError::invalid_field(
            "image",
            format!(
                "the image is {width}×{height} pixels ({:.1} megapixels); at most {:.1} megapixels and \
                 {MAX_SOURCE_SIDE} pixels a side are accepted: send a smaller one",
                pixels as f64 / 1e6,
                max_pixels as f64 / 1e6
            ),
        ));
    }
    Ok((width, height))
}

/// Decodes, checks and re-encodes an uploaded image. CPU-bound: run it in the images queue.
pub fn process(bytes: &[u8], max_pixels: u64) -> ApiResult<Processed> {
    check_size(bytes, max_pixels)?;
    let mut reader = reader(bytes)?;
    // A second wall behind the header check, should a decoder find more in the file than its header said.
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    let max_alloc = max_pixels.saturating_mul(BYTES_PER_PIXEL);
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => ApiError::invalid_field(
            "image",
            format!(
                "the image needs more memory to decode than the {:.0} MB allowed: send a smaller one",
                max_alloc as f64 / 1e6
            ),
        ),
        e => ApiError::invalid_field("image", format!("the image could not be decoded: {e}")),
    })?;
    let display = fit(&decoded, DISPLAY_SIZE);
    drop(decoded);
    // From the display image rather than the source: the same picture, at a fraction of the memory.
    let thumb = fit(&DynamicImage::ImageRgb8(display.clone()), THUMB_SIZE);
    let (width, height) = (display.width(), display.height());
    let display = encode_jpeg(&display)?;
    let thumb = encode_jpeg(&thumb)?;
    let etag = URL_SAFE_NO_PAD.encode(&Sha256::digest(&display)[..16]);
    Ok(Processed { width, height, display, thumb, etag })
}

/// Scales down to fit a `side`×`side` box (never up), and flattens transparency onto white as JPEG has none.
fn fit(image: &DynamicImage, side: u32) -> image::RgbImage {
    let scaled = if image.width() > side || image.height() > side {
        image.resize(side, side, FilterType::Lanczos3)
    } else {
        image.clone()
    };
    let rgba = scaled.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (x, y, pixel) in rgba.enumerate_pixels() {
        let [r, g, b, a] = pixel.0;
        let blend = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        rgb.put_pixel(x, y, image::Rgb([blend(r), blend(g), blend(b)]));
    }
    rgb
}

fn encode_jpeg(image: &image::RgbImage) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(image)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding a JPEG: {e}")))?;
    Ok(out)
}

/// Reads a body of at most `limit` bytes. A larger one is still read (up to a few times the limit) and
/// discarded before the 413 goes out: a client that is still sending would otherwise see its connection
/// reset and never read the answer. Past that cap the connection is dropped.
async fn read_limited(body: Body, limit: usize, content_length: Option<&HeaderValue>) -> ApiResult<Vec<u8>> {
    let declared = content_length.and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let drain_cap = limit.saturating_mul(4);
    let mut too_large = declared.is_some_and(|len| len > limit);
    let mut received = 0usize;
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the upload: {e}")))?;
        received += chunk.len();
        too_large |= received > limit;
        if received > drain_cap {
            break;
        }
        if !too_large {
            bytes.extend_from_slice(&chunk);
        }
    }
    if too_large {
        return Err(ApiError::PayloadTooLarge(format!("images may be at most {} KiB", limit / 1024)));
    }
    Ok(bytes)
}

const ACCEPTED_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// Upload or replace a product's photo: the raw image as the body, with its `Content-Type`.
#[utoipa::path(put, path = "/products/{id}/image", tag = "menu", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "product id")),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn upload_product_image(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<ApiJson<Product>> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !ACCEPTED_TYPES.contains(&mime.as_str()) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the image with Content-Type {} (got {:?})",
            ACCEPTED_TYPES.join(", "),
            content_type
        )));
    }
    let bytes = read_limited(body, state.config.max_upload_bytes, headers.get(header::CONTENT_LENGTH)).await?;
    if bytes.is_empty() {
        return Err(ApiError::invalid_field("image", "the body is empty"));
    }
    // Fail fast on a bomb or an unknown product before queueing to decode.
    let max_pixels = state.config.max_image_pixels;
    check_size(&bytes, max_pixels)?;
    state.store.product(me.tenant_id, id).await?;
    let processed = state.imaging.run(move || process(&bytes, max_pixels)).await??;
    Ok(ApiJson(state.store.set_product_image(me.tenant_id, id, &processed.into_new_image()).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ImageQuery {
    /// `display` (default, at most 800 px) or `thumb` (at most 240 px).
    size: Option<String>,
}

/// A product image as JPEG. Honours `If-None-Match`; cacheable for a year (ids never change content).
#[utoipa::path(get, path = "/images/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "image id"), ImageQuery),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 304), (status = 404, body = ErrorBody)))]
async fn get_image(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<ImageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let thumb = match query.size.as_deref() {
        None | Some("display") => false,
        Some("thumb") => true,
        Some(other) => return Err(ApiError::BadRequest(format!("unknown size {other:?}; use display or thumb"))),
    };
    let image = state.store.image(auth.tenant_id, id).await?;
    let etag = format!("\"{}{}\"", image.etag, if thumb { "-t" } else { "" });
    let cache = [
        (header::ETAG, HeaderValue::from_str(&etag).map_err(anyhow::Error::from)?),
        // Private: images are behind a token, so shared caches must not keep them.
        (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable")),
    ];
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    let bytes = if thumb { image.thumb } else { image.display };
    Ok((cache, [(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"))], bytes).into_response())
}
