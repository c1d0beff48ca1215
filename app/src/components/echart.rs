//! An interactive ECharts chart. The option (JSON, built on the server with `charming`) sits
//! in `data-option`; `public/charts.js` draws it with ECharts (from `public/vendor`) once the
//! page has hydrated, and again whenever the option changes. Until then — or without
//! JavaScript — the server-rendered fallback (an SVG of the same data) is what shows.

use leptos::prelude::*;

#[component]
pub fn EChart(
    /// The ECharts option, JSON.
    option: String,
    /// What the chart shows, for assistive technology.
    label: String,
    /// The server-rendered picture shown until ECharts has drawn.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="echart-wrap">
            <div class="echart" data-option=option role="img" aria-label=label data-testid="echart"></div>
            <div class="chart-fallback">{children()}</div>
        </div>
    }
}
