//! The overview's demand forecast: one district at a time — its inlet meters' measured inflow
//! over the last week, then the next two days forecast with their interval, and what the next
//! day holds (volume, peak hour), all from the stored hourly rollups and forecast.

use crate::components::echart::EChart;
use crate::components::error_box::ErrorBox;
use crate::components::when;
use crate::server_fns::series::get_district_chart;
use leptos::prelude::*;
use shared::forecast::{DemandOutlook, DistrictDemandChart};
use shared::AppError;

/// The demand chart of the district picked on the overview.
pub type DemandResource =
    crate::resource::PageResource<Result<Option<DistrictDemandChart>, AppError>>;

/// The demand chart's resource for the district `chosen` holds (`None`: the first listed).
pub fn demand_resource(chosen: RwSignal<Option<i64>>) -> DemandResource {
    crate::resource::resource(move || chosen.get(), get_district_chart)
}

/// `districts`: (id, name), in the order the district table lists them. `chosen` is the
/// district picked (`None`: the first) and `chart` its demand: both live at page level, so
/// the chart's resource is created once, outside the suspense that waits for the overview
/// (a resource created inside one may be created twice on the server, which shifts the ids
/// hydration matches resources by).
#[component]
pub fn DistrictDemand(
    districts: Vec<(i64, String)>,
    chosen: RwSignal<Option<i64>>,
    chart: DemandResource,
) -> impl IntoView {
    let Some(first) = districts.first().map(|d| d.0) else {
        return ().into_any();
    };
    let current = move || chosen.get().unwrap_or(first);
    view! {
        <section class="card" aria-labelledby="demand-head" data-testid="district-demand">
            <div class="card-head">
                <h2 id="demand-head">"Demand forecast"</h2>
                <label class="inline-field">
                    "District "
                    <select
                        data-testid="demand-district"
                        on:change=move |ev| {
                            if let Ok(id) = event_target_value(&ev).parse() {
                                chosen.set(Some(id));
                            }
                        }
                    >
                        {districts
                            .into_iter()
                            .map(|(id, name)| view! { <option value=id.to_string() selected=move || current() == id>{name}</option> })
                            .collect_view()}
                    </select>
                </label>
            </div>
            <p class="muted">
                "The district's inflow (its inlet meters added up) hour by hour over the last 7 days, then the next 48 hours as forecast, with the 95 % interval shaded. Forecasts are refitted every hour."
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading the demand forecast…"</p> }>
                {move || Suspend::new(async move {
                    match chart.await {
                        Ok(Some(c)) => view! { <DemandBody chart=c /> }.into_any(),
                        Ok(None) => view! {
                            <p class="empty" data-testid="demand-empty">"No district has nodes yet."</p>
                        }
                        .into_any(),
                        Err(AppError::Conflict { message }) => view! {
                            <p class="empty" data-testid="demand-empty">{format!("No demand to show: {message}.")}</p>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorBox error retry=move |_| chart.refetch() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn DemandBody(chart: DistrictDemandChart) -> impl IntoView {
    let label = format!("Inflow and demand forecast of district {}", chart.district);
    view! {
        {match chart.outlook {
            Some(o) => view! { <Outlook o /> }.into_any(),
            None => view! {
                <p class="empty" data-testid="demand-note">
                    {format!("No forecast yet: {}.", chart.note.unwrap_or_default())}
                </p>
            }
            .into_any(),
        }}
        <EChart option=chart.option label>
            <p class="muted">"The chart draws once the page has loaded."</p>
        </EChart>
    }
}

#[component]
fn Outlook(o: DemandOutlook) -> impl IntoView {
    view! {
        <dl class="outlook" data-testid="demand-outlook">
            <div>
                <dt>"Next 24 hours"</dt>
                <dd data-testid="demand-volume">{format!("{:.0} m³", o.next_day_m3)}</dd>
                <dd class="muted">{format!("{:.0}–{:.0} m³ if every hour sits at its interval's edge", o.next_day_low_m3, o.next_day_high_m3)}</dd>
            </div>
            <div>
                <dt>"Peak hour"</dt>
                <dd data-testid="demand-peak">{format!("{:.1} L/s", o.peak_lps)}</dd>
                <dd class="muted">{format!("from {}", when(o.peak_at))}</dd>
            </div>
            <div>
                <dt>"Model"</dt>
                <dd class="method">{shared::forecast::method_label(&o.method)}</dd>
                <dd class="muted">{format!("fitted {}", when(o.generated_at))}</dd>
            </div>
        </dl>
    }
}
