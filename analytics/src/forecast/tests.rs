use super::*;

/// Daily and weekly shape with a slow trend and deterministic wiggle.
fn demand(hours: usize) -> Vec<f64> {
    (0..hours)
        .map(|t| {
            let h = (t % 24) as f64;
            let weekend = (t / 24) % 7 >= 5;
            100.0 + 0.01 * t as f64 + 30.0 * ((h - 7.0) / 24.0 * std::f64::consts::TAU).sin()
                - if weekend { 15.0 } else { 0.0 }
                + 2.0 * ((t as f64) * 1.7).sin()
        })
        .collect()
}

/// Night hours at zero (a pump that rests), noisy days: the spread reaches below zero.
fn resting_pump(hours: usize, shift: f64) -> Vec<f64> {
    let mut state = 7u64;
    (0..hours)
        .map(|t| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 16.0;
            let h = t % 24;
            shift + if h < 6 { 0.0 } else { (10.0 + noise).max(0.0) }
        })
        .collect()
}

#[test]
fn a_series_never_below_zero_is_not_forecast_below_zero() {
    let (_, fc) = forecast_hourly(&resting_pump(4 * WEEK, 0.0), 48, 0.95).unwrap();
    assert!(fc.lower.iter().all(|v| *v >= 0.0), "{:?}", fc.lower);
    assert!(fc.point.iter().all(|v| *v >= 0.0), "{:?}", fc.point);
    assert!(fc.lower.iter().zip(&fc.upper).all(|(l, u)| l <= u));
    // The same series moved down (so it has negative values): its interval does reach
    // below the moved zero, which is what the floor above cut.
    let (_, moved) = forecast_hourly(&resting_pump(4 * WEEK, -50.0), 48, 0.95).unwrap();
    assert!(
        moved.lower.iter().any(|v| *v < -50.0),
        "the example never needed the floor: {:?}",
        moved.lower
    );
}

#[test]
fn beats_seasonal_naive_on_a_seasonal_series_and_covers_it() {
    let all = demand(6 * WEEK);
    let (train, test) = all.split_at(5 * WEEK);
    let (_, fc) = forecast_hourly(train, WEEK, 0.95).unwrap();
    assert_eq!(fc.point.len(), WEEK);
    let model = mae(test, &fc.point).unwrap();
    let naive = mae(test, &seasonal_naive(train, WEEK, WEEK)).unwrap();
    assert!(model < naive, "model {model:.3} vs naive {naive:.3}");
    assert!(coverage(test, &fc.lower, &fc.upper).unwrap() > 0.8);
    assert!(fc.lower.iter().zip(&fc.upper).all(|(l, u)| l <= u));
}

#[test]
fn the_week_profile_takes_the_shape_and_the_last_weeks_level() {
    // Four weeks of a pure weekly pattern, the last week 10 higher.
    let mut y: Vec<f64> = (0..4 * WEEK).map(|t| (t % WEEK) as f64).collect();
    let n = y.len();
    for v in &mut y[n - WEEK..] {
        *v += 10.0;
    }
    let fc = forecast_week_profile(&y, 48).unwrap();
    // Hour n is hour-of-week 0: the shape says 0, the level is the last week's (+10).
    assert!((fc[0] - 10.0).abs() < 1e-9, "{}", fc[0]);
    assert!((fc[47] - 57.0).abs() < 1e-9, "{}", fc[47]);
    assert!(forecast_week_profile(&y[..WEEK - 1], 24).is_none());
}

#[test]
fn the_day_median_ignores_an_odd_day() {
    // Three days of the hour of the day, the middle one 100 higher.
    let y: Vec<f64> = (0..72)
        .map(|t| (t % 24) as f64 + if t / 24 == 1 { 100.0 } else { 0.0 })
        .collect();
    let fc = forecast_day_median(&y, 30).unwrap();
    assert_eq!(fc[0], 0.0);
    assert_eq!(fc[5], 5.0);
    assert_eq!(fc[29], 5.0);
    assert!(forecast_day_median(&y[..23], 24).is_none());
}

#[test]
fn members_that_forecast_the_past_better_weigh_more() {
    // Weekdays and weekends differ a lot, so the day median (blind to the weekday) forecast
    // past weeks worst; the pattern repeats each week, so the naive forecast did well.
    let y: Vec<f64> = (0..6 * WEEK)
        .map(|t| {
            let weekend = (t / 24) % 7 >= 5;
            50.0 + 20.0 * ((t % 24) as f64 / 24.0 * std::f64::consts::TAU).sin()
                + if weekend { 40.0 } else { 0.0 }
                + 1.5 * ((t as f64) * 1.3).sin()
        })
        .collect();
    let (method, fc) = forecast_hourly(&y, 48, 0.95).unwrap();
    let w = |m: Member| method.weights.iter().find(|(k, _)| *k == m).unwrap().1;
    assert_eq!(method.weights.len(), 4);
    assert!((method.weights.iter().map(|(_, w)| w).sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(w(Member::DayMedian) < w(Member::SeasonalNaive), "{method}");
    assert!(w(Member::DayMedian) < w(Member::WeekProfile), "{method}");
    assert!(
        method.to_string().starts_with("combination(mstl_ets "),
        "{method}"
    );
    assert!(fc.lower.iter().zip(&fc.point).all(|(l, p)| l <= p));
    assert!(fc.upper.iter().zip(&fc.point).all(|(u, p)| u >= p));
}

#[test]
fn two_days_are_enough_with_equal_weights_and_day_to_day_spread() {
    let y: Vec<f64> = (0..72).map(|t| (t % 24) as f64 + (t / 24) as f64).collect();
    let (method, fc) = forecast_hourly(&y, 24, 0.95).unwrap();
    // No whole week: only the members that need less, equally weighted.
    let members: Vec<Member> = method.weights.iter().map(|(m, _)| *m).collect();
    assert_eq!(members, vec![Member::Mstl, Member::DayMedian]);
    assert!(method.weights.iter().all(|(_, w)| (*w - 0.5).abs() < 1e-9));
    // Every day ran exactly 1 above the one before: the interval reaches 1 above the point.
    assert!(fc
        .upper
        .iter()
        .zip(&fc.point)
        .all(|(u, p)| (u - p - 1.0).abs() < 1e-9));
}

#[test]
fn gaps_are_bridged_and_short_series_refused() {
    assert_eq!(
        fill_gaps(&[f64::NAN, 1.0, f64::NAN, 3.0, f64::NAN]).unwrap(),
        vec![1.0, 1.0, 2.0, 3.0, 3.0]
    );
    assert!(fill_gaps(&[f64::NAN]).is_none());
    assert!(matches!(
        forecast_mstl(&[1.0; 30], 24, 0.95),
        Err(ForecastError::TooShort(30))
    ));
    assert!(matches!(
        forecast_hourly(&[1.0; 30], 24, 0.95),
        Err(ForecastError::TooShort(30))
    ));
}

#[test]
fn members_combine_by_their_weighted_median() {
    let members = vec![
        (Member::Mstl, vec![1.0, 5.0]),
        (Member::WeekProfile, vec![2.0, 6.0]),
        (Member::DayMedian, vec![10.0, 0.0]),
    ];
    let weights = |a: f64, b: f64, c: f64| {
        vec![
            (Member::Mstl, a),
            (Member::WeekProfile, b),
            (Member::DayMedian, c),
        ]
    };
    // Hour 0: 1 (0.3), 2 (0.3 → 0.6 ≥ ½) → 2, where the weighted mean would be 4.9.
    assert_eq!(
        combine(&members, &weights(0.3, 0.3, 0.4), 2),
        vec![2.0, 5.0]
    );
    // A member with most of the weight decides alone: hour 1 sorted 0 (0.6) → 0.
    assert_eq!(
        combine(&members, &weights(0.2, 0.2, 0.6), 2),
        vec![10.0, 0.0]
    );
    // Exactly half reached at a value: the midpoint of it and the next weighted one (a
    // member without weight counts for nothing); equal weights give the ordinary median.
    assert_eq!(combine(&members, &weights(0.5, 0.0, 0.5), 1), vec![5.5]);
    assert_eq!(
        combine(&members, &weights(0.5, 0.5, 0.0), 2),
        vec![1.5, 5.5]
    );
}

#[test]
fn naive_repeats_last_season_and_metrics_by_hand() {
    let h = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(seasonal_naive(&h, 3, 2), vec![3.0, 4.0, 3.0]);
    assert_eq!(mae(&[1.0, 2.0, f64::NAN], &[2.0, 4.0, 0.0]), Some(1.5));
    assert_eq!(coverage(&[1.0, 5.0], &[0.0, 0.0], &[2.0, 2.0]), Some(0.5));
}
