//! Network efficiency: the IWA water balance figures a utility reports, as plain formulas.
//!
//! Units: flows in L/s, volumes in m³, pressure in bar (metres of head where the formula wants
//! them), lengths in km.

/// Metres of water head per bar.
pub const METRES_PER_BAR: f64 = 10.197;
/// Legitimate night consumption assumed per service connection, L/h (a common planning value;
/// the net night flow above it is taken as leakage).
pub const NIGHT_USE_L_PER_CONNECTION_HOUR: f64 = 1.7;

/// Volume in m³ that a mean flow of `mean_lps` carries over `seconds`.
pub fn volume_m3(mean_lps: f64, seconds: f64) -> f64 {
    mean_lps * seconds / 1000.0
}

/// Non-revenue water: volume (m³) and share of the system input (%), from system input volume
/// and billed metered consumption. `None` share when nothing entered.
pub fn non_revenue_water(input_m3: f64, metered_m3: f64) -> (f64, Option<f64>) {
    let nrw = input_m3 - metered_m3;
    (nrw, (input_m3 > 0.0).then(|| 100.0 * nrw / input_m3))
}

/// Non-revenue water in litres per service connection per day.
pub fn litres_per_connection_day(nrw_m3: f64, connections: f64, days: f64) -> Option<f64> {
    (connections > 0.0 && days > 0.0).then(|| nrw_m3 * 1000.0 / connections / days)
}

/// Unavoidable annual real losses expressed per day, in litres:
/// UARL = (18·Lm + 0.8·Nc + 25·Lp)·P, with mains length Lm (km), service connections Nc,
/// customer-side pipe length Lp (km) and average pressure P (m).
pub fn uarl_litres_per_day(
    mains_km: f64,
    connections: f64,
    customer_pipe_km: f64,
    pressure_bar: f64,
) -> f64 {
    (18.0 * mains_km + 0.8 * connections + 25.0 * customer_pipe_km) * pressure_bar * METRES_PER_BAR
}

/// Night-day factor in hours: how many hours at night-time leakage rate make one day's
/// leakage, with leakage proportional to pressure (FAVAD, N1 = 1): Σ over the day's hours of
/// P_hour / P_night. 24 when pressure is not known.
pub fn night_day_factor(hourly_pressure_bar: &[f64], night_pressure_bar: Option<f64>) -> f64 {
    let valid: Vec<f64> = hourly_pressure_bar
        .iter()
        .copied()
        .filter(|p| p.is_finite())
        .collect();
    match night_pressure_bar {
        Some(pn) if pn > 0.0 && !valid.is_empty() => {
            valid.iter().map(|p| p / pn).sum::<f64>() * 24.0 / valid.len() as f64
        }
        _ => 24.0,
    }
}

/// Net night flow (L/s): minimum night flow less the legitimate night use of the connections.
pub fn net_night_flow(mnf_lps: f64, connections: f64) -> f64 {
    (mnf_lps - connections * NIGHT_USE_L_PER_CONNECTION_HOUR / 3600.0).max(0.0)
}

/// Real losses of a day (m³) estimated from the net night flow and the night-day factor.
pub fn real_losses_m3_per_day(net_night_flow_lps: f64, night_day_factor_hours: f64) -> f64 {
    volume_m3(net_night_flow_lps, night_day_factor_hours * 3600.0)
}

/// Infrastructure Leakage Index: current real losses over unavoidable real losses.
pub fn infrastructure_leakage_index(real_losses_m3_day: f64, uarl_l_day: f64) -> Option<f64> {
    (uarl_l_day > 0.0).then(|| real_losses_m3_day * 1000.0 / uarl_l_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn volume_of_a_steady_flow() {
        // 10 L/s for an hour is 36 m³.
        assert!(close(volume_m3(10.0, 3600.0), 36.0));
    }

    #[test]
    fn nrw_volume_share_and_per_connection() {
        // 1000 m³ in, 780 m³ billed: 220 m³ (22 %); over 500 connections and 1 day, 440 L each.
        let (nrw, pct) = non_revenue_water(1000.0, 780.0);
        assert!(close(nrw, 220.0));
        assert!(close(pct.unwrap(), 22.0));
        assert!(close(
            litres_per_connection_day(nrw, 500.0, 1.0).unwrap(),
            440.0
        ));
        assert_eq!(non_revenue_water(0.0, 0.0).1, None);
        assert_eq!(litres_per_connection_day(1.0, 0.0, 1.0), None);
    }

    #[test]
    fn uarl_by_hand() {
        // Lm 20 km, Nc 1000, Lp 5 km, 5 bar: (360 + 800 + 125) × 50.985 m = 65 515.725 L/day.
        assert!(close(
            uarl_litres_per_day(20.0, 1000.0, 5.0, 5.0),
            1285.0 * 50.985
        ));
    }

    #[test]
    fn night_day_factor_by_hand() {
        // Night 5 bar; 12 hours at 5 and 12 at 4 bar: 12 × 1 + 12 × 0.8 = 21.6 h.
        let hours: Vec<f64> = (0..24).map(|h| if h < 12 { 5.0 } else { 4.0 }).collect();
        assert!(close(night_day_factor(&hours, Some(5.0)), 21.6));
        assert!(close(night_day_factor(&hours, None), 24.0));
    }

    #[test]
    fn real_losses_and_ili_by_hand() {
        // MNF 10 L/s, 3600 connections use 1.7 L/h each = 1.7 L/s: net 8.3 L/s.
        let nnf = net_night_flow(10.0, 3600.0);
        assert!(close(nnf, 8.3));
        // Over a 20 h night-day factor: 8.3 × 72 000 s = 597.6 m³/day.
        let rl = real_losses_m3_per_day(nnf, 20.0);
        assert!(close(rl, 597.6));
        // Against a UARL of 119 520 L/day the ILI is 5.
        assert!(close(
            infrastructure_leakage_index(rl, 119_520.0).unwrap(),
            5.0
        ));
        assert_eq!(infrastructure_leakage_index(rl, 0.0), None);
        assert_eq!(net_night_flow(1.0, 36_000.0), 0.0, "never negative");
    }
}
