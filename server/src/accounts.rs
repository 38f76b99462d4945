//! Restaurants and the people who run them: sign up, log in and out, who am I, and staff management.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use ordera_protocol::api::{
    CreateUserRequest, ErrorBody, LoginRequest, MeResponse, ResetPasswordRequest, SessionResponse, SignupRequest,
    Tenant, UpdateTenantRequest, UpdateUserRequest, User,
};
use ordera_protocol::validate::Email;
use ordera_protocol::Role;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{
    self, bearer_token, hash_password, token_hash, verify_password, Auth, ClientIp, ManagerAuth, Principal,
    SESSION_TOKEN_PREFIX,
};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::state::AppState;
use crate::store::{now, NewSession, NewTenant, NewUserRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(update_tenant))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reset_password))
}

async fn start_session(state: &AppState, tenant_id: Uuid, user: User) -> ApiResult<SessionResponse> {
    let token = auth::new_token(SESSION_TOKEN_PREFIX);
    let expires_at = now() + state.config.session_ttl();
    state
        .store
        .create_session(&NewSession { token_hash: token_hash(&token), tenant_id, user_id: user.id, expires_at })
        .await?;
    let tenant = state.store.tenant(tenant_id).await?;
    Ok(SessionResponse { token, expires_at, user, tenant })
}

/// Sign up a restaurant branch with its owner account; returns a session for the owner. Sign-ups are
/// limited per address, and like logins wait for a free password-hashing worker.
#[utoipa::path(post, path = "/signup", tag = "accounts", request_body = SignupRequest,
    responses((status = 201, body = SessionResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
async fn signup(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    ApiJson(request): ApiJson<SignupRequest>,
) -> ApiResult<(StatusCode, ApiJson<SessionResponse>)> {
    let signup = request.validate()?;
    // Counted before the hash is computed, so that a burst cannot all be let in while the first are hashing.
    state.throttle.begin_signup(address).map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    let password_hash = match hash_password(&state.hashing, signup.password.expose().to_owned()).await {
        Err(busy @ ApiError::TooManyRequests { .. }) => {
            state.throttle.signup_unchecked(address);
            return Err(busy);
        }
        hashed => hashed?,
    };
    let tenant = NewTenant {
        id: ordera_protocol::new_id(),
        name: signup.restaurant_name.into_inner(),
        timezone: signup.timezone.name().to_owned(),
        currency: signup.currency.code(),
    };
    let owner = NewUserRow {
        id: ordera_protocol::new_id(),
        email: signup.email.into_inner(),
        name: signup.owner_name.into_inner(),
        role: Role::Owner,
        password_hash,
    };
    let (tenant, user) = state.store.signup(&tenant, &owner).await?;
    tracing::info!(tenant = %tenant.id, "restaurant signed up");
    let session = start_session(&state, tenant.id, user).await?;
    Ok((StatusCode::CREATED, ApiJson(session)))
}

/// Log in with e-mail and password. Repeated failures lock the account (and the address) out for a while;
/// a login counts as failed from the moment it starts until its password proves right.
#[utoipa::path(post, path = "/login", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
async fn login(
    State(state): State<AppState>,
    ClientIp(address): ClientIp,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<SessionResponse>> {
    let wrong = ApiError::Unauthorized("wrong e-mail address or password");
    // A malformed address cannot have an account; it gets the same answer as a wrong password.
    let email =
        Email::parse(&request.email).map(Email::into_inner).unwrap_or_else(|_| request.email.trim().to_lowercase());
    let attempt = state
        .throttle
        .begin_login(&email, address)
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;

    let credentials = state.store.credentials(&email).await?;
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let verified = match verify_password(&state.hashing, request.password, stored_hash).await {
        Err(busy @ ApiError::TooManyRequests { .. }) => {
            attempt.unchecked();
            return Err(busy);
        }
        verified => verified?,
    };
    let credentials = match credentials {
        Some(credentials) if verified => credentials,
        _ => return Err(wrong),
    };
    if !credentials.user.active {
        return Err(ApiError::Unauthorized("this account has been deactivated"));
    }
    attempt.succeeded();
    let session = start_session(&state, credentials.tenant_id, credentials.user).await?;
    Ok(ApiJson(session))
}

/// End the current session. Device tokens are not ended this way: managers revoke devices.
#[utoipa::path(post, path = "/logout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(state): State<AppState>, auth: Auth, headers: HeaderMap) -> ApiResult<StatusCode> {
    if let (Principal::User { .. }, Some(token)) = (auth.principal, bearer_token(&headers)) {
        state.store.delete_session(&token_hash(token)).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Who the bearer token belongs to, and their restaurant.
#[utoipa::path(get, path = "/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
async fn me(State(state): State<AppState>, auth: Auth) -> ApiResult<ApiJson<MeResponse>> {
    let tenant = state.store.tenant(auth.tenant_id).await?;
    let response = match auth.principal {
        Principal::User { user_id, .. } => {
            MeResponse { tenant, user: Some(state.store.user(auth.tenant_id, user_id).await?), device: None }
        }
        Principal::Device { device_id, .. } => {
            let device = state.store.devices(auth.tenant_id).await?.into_iter().find(|d| d.id == device_id);
            MeResponse { tenant, user: None, device }
        }
    };
    Ok(ApiJson(response))
}

/// Change the restaurant's settings (name, time zone, kitchen timers, when its business day starts, the
/// kiosks' idle reset and staff PIN); every device hears of it.
#[utoipa::path(patch, path = "/tenant", tag = "accounts", security(("bearer" = [])), request_body = UpdateTenantRequest,
    responses((status = 200, body = Tenant), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_tenant(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiJson(request): ApiJson<UpdateTenantRequest>,
) -> ApiResult<ApiJson<Tenant>> {
    let mut changes = request.validate()?;
    if let Some(pin) = &changes.kiosk_pin {
        changes.kiosk_pin_hash = Some(hash_password(&state.hashing, pin.expose().to_owned()).await?);
    }
    Ok(ApiJson(state.store.update_tenant(me.tenant_id, &changes).await?))
}

/// The restaurant's staff accounts.
#[utoipa::path(get, path = "/users", tag = "staff", security(("bearer" = [])),
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, ManagerAuth(me): ManagerAuth) -> ApiResult<ApiJson<Vec<User>>> {
    Ok(ApiJson(state.store.users(me.tenant_id).await?))
}

/// Add a staff account with a role and a first password.
#[utoipa::path(post, path = "/users", tag = "staff", security(("bearer" = [])), request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, ApiJson<User>)> {
    let new_user = request.validate()?;
    if !me.role.may_grant(new_user.role) {
        return Err(ApiError::Forbidden("only an owner may add owners"));
    }
    let password_hash = hash_password(&state.hashing, new_user.password.expose().to_owned()).await?;
    let row = NewUserRow {
        id: ordera_protocol::new_id(),
        email: new_user.email.into_inner(),
        name: new_user.name.into_inner(),
        role: new_user.role,
        password_hash,
    };
    let user = state.store.create_user(me.tenant_id, &row).await?;
    Ok((StatusCode::CREATED, ApiJson(user)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "staff", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<User>> {
    Ok(ApiJson(state.store.user(me.tenant_id, id).await?))
}

/// Rename, change the role of, deactivate or reactivate a user.
#[utoipa::path(patch, path = "/users/{id}", tag = "staff", security(("bearer" = [])), request_body = UpdateUserRequest,
    params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateUserRequest>,
) -> ApiResult<ApiJson<User>> {
    let changes = request.validate()?;
    let target = state.store.user(me.tenant_id, id).await?;
    if !me.role.may_grant(target.role) || changes.role.is_some_and(|role| !me.role.may_grant(role)) {
        return Err(ApiError::Forbidden("only an owner may change an owner or make someone owner"));
    }
    if id == me.user_id && changes.active == Some(false) {
        return Err(ApiError::Conflict("you cannot deactivate your own account".into()));
    }
    Ok(ApiJson(state.store.update_user(me.tenant_id, id, &changes).await?))
}

/// Set a new password for a user who forgot theirs. Every session of theirs ends at once (the caller's own
/// stays, when people reset their own); only an owner may reset an owner's.
#[utoipa::path(post, path = "/users/{id}/password", tag = "staff", security(("bearer" = [])),
    request_body = ResetPasswordRequest, params(("id" = Uuid, Path, description = "user id")),
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    ManagerAuth(me): ManagerAuth,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ResetPasswordRequest>,
) -> ApiResult<ApiJson<User>> {
    let password = request.validate()?;
    let target = state.store.user(me.tenant_id, id).await?;
    if !me.role.may_grant(target.role) {
        return Err(ApiError::Forbidden("only an owner may reset an owner's password"));
    }
    let password_hash = hash_password(&state.hashing, password.expose().to_owned()).await?;
    let keep = (id == me.user_id).then(|| bearer_token(&headers).map(token_hash)).flatten();
    let user = state.store.reset_password(me.tenant_id, id, &password_hash, keep.as_deref()).await?;
    tracing::info!(tenant = %me.tenant_id, user = %id, "password reset; the user's sessions ended");
    Ok(ApiJson(user))
}
