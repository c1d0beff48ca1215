//! Zones for a network whose utility has drawn no districts: its pressure loggers grouped by
//! location. The detector tells two events apart by district (a drop in another district that
//! began hours after a leak is another leak); without districts every drop would join whatever
//! leak is open. Districts (DMAs) are compact areas of the network, so loggers near each other
//! stand in for them.

/// A node to place: its position (degrees) and whether it is a pressure logger (zones are drawn
/// around loggers; other nodes join the nearest).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Located {
    pub lat: f64,
    pub lon: f64,
    pub logger: bool,
}

/// Rounds of centre updates; the assignment settles in a few for a few dozen loggers.
const ROUNDS: usize = 50;

/// How many zones for `loggers` loggers: about the square root (12 loggers → 3, 24 → 5), so
/// that each zone holds a few loggers; none below 6 loggers (two zones of two say nothing).
pub fn zone_count(loggers: usize) -> usize {
    if loggers < 6 {
        1
    } else {
        (loggers as f64).sqrt().round() as usize
    }
}

/// The zone of each node (`None` without a position), numbered from north to south, or all
/// `None` when there are too few loggers for more than one zone. Deterministic: the first
/// centre is the logger farthest from the loggers' mean position, each next the logger
/// farthest from the centres so far, then k-means rounds.
pub fn by_location(nodes: &[Option<Located>]) -> Vec<Option<usize>> {
    let loggers: Vec<(f64, f64)> = nodes
        .iter()
        .flatten()
        .filter(|n| n.logger && n.lat.is_finite() && n.lon.is_finite())
        .map(|n| (n.lat, n.lon))
        .collect();
    let k = zone_count(loggers.len());
    if k < 2 {
        return vec![None; nodes.len()];
    }
    // Distances on a local plane: a degree of longitude is shorter than one of latitude.
    let mean_lat = loggers.iter().map(|p| p.0).sum::<f64>() / loggers.len() as f64;
    let scale = mean_lat.to_radians().cos();
    let dist2 = |a: (f64, f64), b: (f64, f64)| {
        let (dy, dx) = (a.0 - b.0, (a.1 - b.1) * scale);
        dy * dy + dx * dx
    };
    let mean = (
        mean_lat,
        loggers.iter().map(|p| p.1).sum::<f64>() / loggers.len() as f64,
    );
    let farthest_from = |centres: &[(f64, f64)], fallback: (f64, f64)| {
        loggers
            .iter()
            .copied()
            .max_by(|a, b| {
                let d = |p: (f64, f64)| {
                    centres
                        .iter()
                        .map(|c| dist2(p, *c))
                        .fold(f64::INFINITY, f64::min)
                };
                d(*a).total_cmp(&d(*b))
            })
            .unwrap_or(fallback)
    };
    let mut centres = vec![farthest_from(&[mean], mean)];
    while centres.len() < k {
        let next = farthest_from(&centres, mean);
        centres.push(next);
    }
    let nearest = |p: (f64, f64), centres: &[(f64, f64)]| {
        (0..centres.len())
            .min_by(|&a, &b| dist2(p, centres[a]).total_cmp(&dist2(p, centres[b])))
            .unwrap_or(0)
    };
    for _ in 0..ROUNDS {
        let mut sums = vec![(0.0, 0.0, 0usize); k];
        for p in &loggers {
            let z = nearest(*p, &centres);
            sums[z] = (sums[z].0 + p.0, sums[z].1 + p.1, sums[z].2 + 1);
        }
        let moved: Vec<(f64, f64)> = sums
            .iter()
            .zip(&centres)
            .map(|(s, c)| {
                if s.2 == 0 {
                    *c
                } else {
                    (s.0 / s.2 as f64, s.1 / s.2 as f64)
                }
            })
            .collect();
        if moved == centres {
            break;
        }
        centres = moved;
    }
    // Numbered from north to south (then west to east), whatever order the search found them.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        centres[b]
            .0
            .total_cmp(&centres[a].0)
            .then(centres[a].1.total_cmp(&centres[b].1))
    });
    let rank: Vec<usize> = (0..k)
        .map(|z| order.iter().position(|&o| o == z).unwrap_or(z))
        .collect();
    nodes
        .iter()
        .map(|n| {
            let n = n.as_ref()?;
            (n.lat.is_finite() && n.lon.is_finite())
                .then(|| rank[nearest((n.lat, n.lon), &centres)])
        })
        .collect()
}

/// A zone's name as incidents show it: `Zone A`, `Zone B`, … (`Zone 27` past the alphabet).
pub fn zone_name(zone: usize) -> String {
    match u8::try_from(zone).ok().filter(|z| *z < 26) {
        Some(z) => format!("Zone {}", char::from(b'A' + z)),
        None => format!("Zone {}", zone + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64, logger: bool) -> Option<Located> {
        Some(Located { lat, lon, logger })
    }

    #[test]
    fn three_clusters_of_loggers_are_three_zones_and_a_meter_joins_the_nearest() {
        // Three groups of three loggers: north, centre, south (0.05° apart, 0.002° within).
        let mut nodes = Vec::new();
        for (lat, lon) in [(39.30, 9.10), (39.25, 9.15), (39.20, 9.10)] {
            for d in [0.0, 0.002, -0.002] {
                nodes.push(at(lat + d, lon - d, true));
            }
        }
        nodes.push(at(39.251, 9.149, false)); // a meter in the centre group
        nodes.push(None); // a node without a position
        assert_eq!(zone_count(9), 3);
        let zones = by_location(&nodes);
        assert_eq!(
            zones,
            vec![
                Some(0),
                Some(0),
                Some(0),
                Some(1),
                Some(1),
                Some(1),
                Some(2),
                Some(2),
                Some(2),
                Some(1),
                None
            ]
        );
        assert_eq!(zone_name(1), "Zone B");
        assert_eq!(zone_name(30), "Zone 31");
    }

    #[test]
    fn few_loggers_make_no_zones() {
        let nodes: Vec<_> = (0..5).map(|i| at(39.0 + f64::from(i), 9.0, true)).collect();
        assert_eq!(by_location(&nodes), vec![None; 5]);
        assert_eq!(zone_count(24), 5);
    }
}
