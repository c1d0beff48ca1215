//! Chart data.

mod get_district_chart;
mod get_district_forecast;
mod get_forecast;
mod get_node_chart;
mod get_series;

pub use get_district_chart::{
    get_district_chart, GetDistrictChart, DEMAND_FORECAST_HOURS, DEMAND_HISTORY_HOURS,
};
pub use get_district_forecast::{get_district_forecast, GetDistrictForecast};
pub use get_forecast::{get_forecast, GetForecast};
pub use get_node_chart::{get_node_chart, GetNodeChart};
pub use get_series::{get_series, GetSeries};
