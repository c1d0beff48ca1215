use leptos::prelude::*;
use shared::series::{Series, SeriesQuery};
use shared::AppError;

/// A node's metric over a range, downsampled for a chart.
#[server(output = crate::resource::Wire)]
pub async fn get_series(query: SeriesQuery) -> Result<Series, AppError> {
    use crate::ssr::{caller, services, with_status};
    with_status(
        async {
            let caller = caller().await?;
            services()?.series.series(&caller, query).await
        }
        .await,
    )
}
