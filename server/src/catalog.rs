//! The menu: categories and products. Managers change it; every signed-in user and paired device reads it.
//! A product switched off "until" a time comes back by itself: [`bring_back_due`] runs in every instance.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use ordera_protocol::api::{
    Category, CreateCategoryRequest, CreateProductRequest, ErrorBody, MenuResponse, Product, ReorderCategoriesRequest,
    UpdateCategoryRequest, UpdateProductRequest,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{Auth, ManagerAuth};
use crate::error::{ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use crate::store::{now, Store};

/// How often each instance looks for products due back: how late, at most, a product "86'd until 14:00"
/// reappears on the kiosks.
pub const DUE_BACK_CHECK: Duration = Duration::from_secs(1);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(menu))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(reorder_categories))
        .routes(routes!(update_category, delete_category))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product, delete_product))
}

/// What a kiosk shows: visible categories in order and their products (sold-out ones flagged).
#[utoipa::path(get, path = "/menu", tag = "menu", security(("bearer" = [])),
    responses((status = 200, body = MenuResponse), (status = 401, body = ErrorBody)))]
async fn menu(State(state): State<AppState>, auth: Auth) -> ApiResult<ApiJson<MenuResponse>> {
    let tenant = state.store.tenant(auth.tenant_id).await?;
    let categories: Vec<Category> =
        state.store.categories(auth.tenant_id).await?.into_iter().filter(|c| c.visible).collect();
    let mut products: Vec<Product> = state
        .store
        .products(auth.tenant_id)
        .await?
        .into_iter()
        .filter(|p| categories.iter().any(|c| c.id == p.category_id))
        .collect();
    let category_rank = |id: Uuid| categories.iter().position(|c| c.id == id).unwrap_or(usize::MAX);
    products.sort_by_key(|p| (category_rank(p.category_id), p.position));
    Ok(ApiJson(MenuResponse { tenant, categories, products }))
}

/// Every category, hidden ones included, in menu order.
#[utoipa::path(get, path = "/categories", tag = "menu", security(("bearer" = [])),
    responses((status = 200, body = Vec<Category>), (status = 401, body = ErrorBody)))]
async fn list_categories(State(state): State<AppState>, auth: Auth) -> ApiResult<ApiJson<Vec<Category>>> {
    Ok(ApiJson(state.store.categories(auth.tenant_id).await?))
}

#[utoipa::path(post, path = "/categories", tag = "menu", security(("bearer" = [])), request_body = CreateCategoryRequest,
    responses((status = 201, body = Category), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_category(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiJson(request): ApiJson<CreateCategoryRequest>,
) -> ApiResult<(StatusCode, ApiJson<Category>)> {
    let category = request.validate()?;
    Ok((StatusCode::CREATED, ApiJson(state.store.create_category(me.tenant_id, &category).await?)))
}

/// Put all categories in the given order.
#[utoipa::path(post, path = "/categories/reorder", tag = "menu", security(("bearer" = [])),
    request_body = ReorderCategoriesRequest,
    responses((status = 200, body = Vec<Category>), (status = 422, body = ErrorBody)))]
async fn reorder_categories(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiJson(request): ApiJson<ReorderCategoriesRequest>,
) -> ApiResult<ApiJson<Vec<Category>>> {
    Ok(ApiJson(state.store.reorder_categories(me.tenant_id, &request.ids).await?))
}

/// Rename, move, hide or show a category.
#[utoipa::path(patch, path = "/categories/{id}", tag = "menu", security(("bearer" = [])),
    request_body = UpdateCategoryRequest, params(("id" = Uuid, Path, description = "category id")),
    responses((status = 200, body = Category), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_category(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateCategoryRequest>,
) -> ApiResult<ApiJson<Category>> {
    let changes = request.validate()?;
    Ok(ApiJson(state.store.update_category(me.tenant_id, id, &changes).await?))
}

/// Delete an empty category (409 while it holds products).
#[utoipa::path(delete, path = "/categories/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "category id")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_category(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    state.store.delete_category(me.tenant_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every product, in position order.
#[utoipa::path(get, path = "/products", tag = "menu", security(("bearer" = [])),
    responses((status = 200, body = Vec<Product>), (status = 401, body = ErrorBody)))]
async fn list_products(State(state): State<AppState>, auth: Auth) -> ApiResult<ApiJson<Vec<Product>>> {
    Ok(ApiJson(state.store.products(auth.tenant_id).await?))
}

#[utoipa::path(post, path = "/products", tag = "menu", security(("bearer" = [])), request_body = CreateProductRequest,
    responses((status = 201, body = Product), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiJson(request): ApiJson<CreateProductRequest>,
) -> ApiResult<(StatusCode, ApiJson<Product>)> {
    let product = request.validate()?;
    Ok((StatusCode::CREATED, ApiJson(state.store.create_product(me.tenant_id, &product).await?)))
}

#[utoipa::path(get, path = "/products/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "product id")),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody)))]
async fn get_product(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Product>> {
    Ok(ApiJson(state.store.product(auth.tenant_id, id).await?))
}

/// Change any of a product's fields; `stock: null` stops counting stock. `unavailable_until` switches it off
/// until the end of the business day or a time, after which it comes back by itself.
#[utoipa::path(patch, path = "/products/{id}", tag = "menu", security(("bearer" = [])),
    request_body = UpdateProductRequest, params(("id" = Uuid, Path, description = "product id")),
    responses((status = 200, body = Product), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_product(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateProductRequest>,
) -> ApiResult<ApiJson<Product>> {
    let changes = request.validate()?;
    Ok(ApiJson(state.store.update_product(me.tenant_id, id, &changes).await?))
}

#[utoipa::path(delete, path = "/products/{id}", tag = "menu", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "product id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_product(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    state.store.delete_product(me.tenant_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switches products back on whose "until" has passed, for the life of the process. Each is brought back
/// with its event in one conditional write, so with several instances running this, one wins and the
/// restaurant's devices hear of it once.
pub async fn bring_back_due(store: Arc<dyn Store>) {
    let mut interval = tokio::time::interval(DUE_BACK_CHECK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let at = now();
        let due = match store.products_due_back(at).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(error = %error, "looking for products due back failed");
                continue;
            }
        };
        for (tenant_id, product_id) in due {
            match store.bring_back(tenant_id, product_id, at).await {
                Ok(Some(_)) => tracing::info!(tenant = %tenant_id, product = %product_id, "product back on the menu"),
                Ok(None) => {}
                Err(error) => tracing::warn!(error = %error, product = %product_id, "bringing a product back failed"),
            }
        }
    }
}
