//! Devices: a manager makes a short single-use pairing code; the kiosk, KDS or admin device exchanges it
//! for its own token. Managers list devices with their last-seen time and app version, rename them and
//! revoke them; a revoked token stops working on its next request, and its open socket closes at once.

use axum::extract::State;
use axum::http::StatusCode;
use ordera_protocol::api::{
    CreatePairingCodeRequest, Device, ErrorBody, PairRequest, PairResponse, PairingCodeResponse, UpdateDeviceRequest,
};
use ordera_protocol::DeviceKind;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{
    self, pairing_code_hash, token_hash, Auth, ClientIp, ManagerAuth, Principal, UserAuth, DEVICE_TOKEN_PREFIX,
};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use crate::store::{now, NewDevice, NewPairingCode};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices))
        .routes(routes!(create_pairing_code))
        .routes(routes!(pair))
        .routes(routes!(revoke_device))
        .routes(routes!(update_device))
}

/// The restaurant's devices, revoked ones included, with when each was last seen.
#[utoipa::path(get, path = "/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = Vec<Device>), (status = 403, body = ErrorBody)))]
async fn list_devices(State(state): State<AppState>, ManagerAuth(me): ManagerAuth) -> ApiResult<ApiJson<Vec<Device>>> {
    Ok(ApiJson(state.store.devices(me.tenant_id).await?))
}

/// Make a pairing code for a new kiosk, KDS or admin device. Staff may make admin codes only.
#[utoipa::path(post, path = "/devices/pairing-codes", tag = "devices", security(("bearer" = [])),
    request_body = CreatePairingCodeRequest,
    responses((status = 201, body = PairingCodeResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_pairing_code(
    State(state): State<AppState>,
    me: UserAuth,
    ApiJson(request): ApiJson<CreatePairingCodeRequest>,
) -> ApiResult<(StatusCode, ApiJson<PairingCodeResponse>)> {
    // Anyone signed in may pair an admin computer (the admin app does so for whoever signs in, and such a
    // device may do no more than staff); only managers pair the kiosks and kitchen screens a restaurant runs on.
    if request.kind != DeviceKind::Admin && !me.role.can_manage() {
        return Err(ApiError::Forbidden("only an owner or a manager may pair kiosks and kitchen screens"));
    }
    let name = request.validate()?;
    let code = auth::new_pairing_code();
    let expires_at = now() + state.config.pairing_ttl();
    state
        .store
        .create_pairing_code(&NewPairingCode {
            code_hash: pairing_code_hash(&code),
            tenant_id: me.tenant_id,
            kind: request.kind,
            name: name.as_str().to_owned(),
            created_by: me.user_id,
            expires_at,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(PairingCodeResponse { code, kind: request.kind, name: name.into_inner(), expires_at }),
    ))
}

/// Exchange a pairing code for a device token. Needs no other credential; each code works once.
#[utoipa::path(post, path = "/devices/pair", tag = "devices", request_body = PairRequest,
    responses((status = 201, body = PairResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
async fn pair(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    ApiJson(request): ApiJson<PairRequest>,
) -> ApiResult<(StatusCode, ApiJson<PairResponse>)> {
    // Guessing codes is throttled per address, like passwords.
    state.throttle.check_pairing(address).map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    let token = auth::new_token(DEVICE_TOKEN_PREFIX);
    let device = NewDevice { id: ordera_protocol::new_id(), token_hash: token_hash(&token) };
    let paired = state.store.pair_device(&pairing_code_hash(&request.code), &device).await?;
    let Some((tenant, device)) = paired else {
        state.throttle.pairing_failed(address);
        return Err(ApiError::Unauthorized("this pairing code is unknown, used or expired; ask for a new one"));
    };
    tracing::info!(tenant = %tenant.id, device = %device.id, kind = %device.kind, "device paired");
    Ok((StatusCode::CREATED, ApiJson(PairResponse { token, device, tenant })))
}

/// Revoke a device: its token stops working at once. Revoking twice is harmless. Managers revoke any
/// device; a device may revoke itself.
#[utoipa::path(post, path = "/devices/{id}/revoke", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "device id")),
    responses((status = 200, body = Device), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_device(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Device>> {
    // Managers revoke any device; a device may revoke itself (the admin app does so when its person signs out).
    let allowed = match auth.principal {
        Principal::User { role, .. } => role.can_manage(),
        Principal::Device { device_id, .. } => device_id == id,
    };
    if !allowed {
        return Err(ApiError::Forbidden("only an owner or a manager may revoke another device"));
    }
    Ok(ApiJson(state.store.revoke_device(auth.tenant_id, id).await?))
}

/// Rename a device; its screens and the device list show the new name at once.
#[utoipa::path(patch, path = "/devices/{id}", tag = "devices", security(("bearer" = [])),
    request_body = UpdateDeviceRequest, params(("id" = Uuid, Path, description = "device id")),
    responses((status = 200, body = Device), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_device(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateDeviceRequest>,
) -> ApiResult<ApiJson<Device>> {
    let changes = request.validate()?;
    Ok(ApiJson(state.store.update_device(me.tenant_id, id, &changes).await?))
}
