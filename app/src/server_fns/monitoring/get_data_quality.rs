use leptos::prelude::*;
use shared::quality::DataQualityReport;
use shared::AppError;

/// The newest data quality report of the current tenant (none before the first run).
#[server(output = crate::resource::Wire)]
pub async fn get_data_quality() -> Result<Option<DataQualityReport>, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            caller.require_read()?;
            services()?.quality.latest(&caller).await
        }
        .await,
    )
}
