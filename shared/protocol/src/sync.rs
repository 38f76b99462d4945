//! The per-tenant event log's entries. Each carries the whole entity after the change, so a client applies
//! it without a second request, and applying it twice changes nothing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{Category, Device, Product, Tenant};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    TenantUpdated { tenant: Tenant },
    CategoryUpserted { category: Category },
    CategoryDeleted { id: Uuid },
    ProductUpserted { product: Product },
    ProductDeleted { id: Uuid },
    DeviceUpserted { device: Device },
    DeviceRevoked { id: Uuid },
}

/// One entry of a tenant's log: `seq` is gapless and in commit order within the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoggedEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub event: Event,
}
