//! `/api/v1/network/efficiency`: the water balance per district (or the network) and period.

use super::extract::{ApiCaller, ApiQuery};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use shared::efficiency::{EfficiencyQuery, EfficiencyRow, Period};
use shared::AppError;

/// Query of `GET /api/v1/network/efficiency`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct EfficiencyParams {
    /// Periods starting at or after (RFC 3339).
    pub from: DateTime<Utc>,
    /// Periods starting before (RFC 3339).
    pub to: DateTime<Utc>,
    /// District name; the whole network when absent.
    pub district: Option<String>,
    /// `day` (default) or `hour`.
    pub period: Option<String>,
}

/// Water balance figures (IWA): system input volume and metered consumption (m³), non-revenue
/// water (m³, % of input, litres per connection per day), minimum night flow and net night flow
/// (L/s), real losses and unavoidable real losses (m³/day), the Infrastructure Leakage Index and
/// mean pressure (bar). Formulas: see the `EfficiencyRow` schema.
#[utoipa::path(
    get,
    path = "/api/v1/network/efficiency",
    tag = "network",
    security(("bearer" = [])),
    params(EfficiencyParams),
    responses(
        (status = 200, description = "Figures, oldest first", body = Vec<EfficiencyRow>),
        (status = 422, description = "Malformed or too long range, or unknown period", body = AppError),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    ApiQuery(p): ApiQuery<EfficiencyParams>,
) -> Result<Json<Vec<EfficiencyRow>>, ApiError> {
    let period = match p.period.as_deref() {
        None | Some("") => Period::Day,
        Some(s) => {
            Period::parse(s).ok_or_else(|| AppError::validation("period", "`day` or `hour`"))?
        }
    };
    let query = EfficiencyQuery {
        from: p.from,
        to: p.to,
        district: p.district.filter(|d| !d.is_empty()),
        period,
    };
    Ok(Json(state.services.efficiency.rows(&caller, query).await?))
}
