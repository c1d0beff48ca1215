//! The schematic network map: every node with coordinates drawn at its position as SVG (no map
//! tiles, so it works offline), each district as the shaded outline (convex hull) of its
//! nodes. A marker's shape and colour both say its status (colour is never the only signal),
//! its tooltip names it with its latest readings, and it links to the node's page. On a large
//! network, normal nodes that fall close together are drawn as one numbered group, so the map
//! stays readable (and light) with thousands of nodes; a node that needs attention (incident,
//! fault, silent) is always drawn on its own.

use shared::overview::{MapNode, NodeStatus};
use shared::Metric;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Drawing size (the SVG scales to its box).
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 560.0;
const PAD: f64 = 48.0;
/// Up to this many nodes carry their id as a label; more would crowd the map.
const LABEL_LIMIT: usize = 80;
/// Above this many located nodes, normal nodes sharing a grouping cell are drawn as one group.
const GROUP_ABOVE: usize = 300;
/// Side of a grouping cell on the drawing (the box is 960 × 560).
const CELL: f64 = 40.0;
/// Node ids a group's tooltip lists before "and n more".
const GROUP_NAMES: usize = 8;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A marker of `status` centred on (x, y): circle, hollow square, triangle or diamond.
pub fn marker(status: NodeStatus, x: f64, y: f64) -> String {
    let class = format!("map-node status-{}", status.as_str());
    match status {
        NodeStatus::Normal => format!(r#"<circle class="{class}" cx="{x:.1}" cy="{y:.1}" r="6"/>"#),
        NodeStatus::Stale => format!(
            r#"<rect class="{class}" x="{:.1}" y="{:.1}" width="11" height="11"/>"#,
            x - 5.5,
            y - 5.5
        ),
        NodeStatus::Fault => format!(
            r#"<polygon class="{class}" points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"/>"#,
            x,
            y - 8.0,
            x + 7.5,
            y + 5.5,
            x - 7.5,
            y + 5.5
        ),
        NodeStatus::Incident => format!(
            r#"<polygon class="{class}" points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}"/>"#,
            x,
            y - 10.0,
            x + 10.0,
            y,
            x,
            y + 10.0,
            x - 10.0,
            y
        ),
    }
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, of distinct points.
fn hull(mut pts: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    pts.dedup();
    if pts.len() < 3 {
        return pts;
    }
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut lower: Vec<(f64, f64)> = Vec::new();
    for p in &pts {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], *p) <= 0.0 {
            lower.pop();
        }
        lower.push(*p);
    }
    let mut upper: Vec<(f64, f64)> = Vec::new();
    for p in pts.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], *p) <= 0.0 {
            upper.pop();
        }
        upper.push(*p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// Where each located node goes on the drawing: an equirectangular projection around the
/// network's middle latitude (true to shape at a town's scale), fitted into the box.
fn project(nodes: &[&MapNode]) -> Vec<(f64, f64)> {
    let lats: Vec<f64> = nodes.iter().filter_map(|n| n.lat).collect();
    let lons: Vec<f64> = nodes.iter().filter_map(|n| n.lon).collect();
    let (lat0, lat1) = lats
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let (lon0, lon1) = lons
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let k = ((lat0 + lat1) / 2.0).to_radians().cos();
    let (w, h) = ((lon1 - lon0) * k, lat1 - lat0);
    let scale = match (w > 0.0, h > 0.0) {
        (true, true) => ((WIDTH - 2.0 * PAD) / w).min((HEIGHT - 2.0 * PAD) / h),
        (true, false) => (WIDTH - 2.0 * PAD) / w,
        (false, true) => (HEIGHT - 2.0 * PAD) / h,
        (false, false) => 0.0,
    };
    // Centre the drawing in the box.
    let (ox, oy) = ((WIDTH - w * scale) / 2.0, (HEIGHT - h * scale) / 2.0);
    nodes
        .iter()
        .map(|n| {
            let (lat, lon) = (n.lat.unwrap_or(lat0), n.lon.unwrap_or(lon0));
            (ox + (lon - lon0) * k * scale, oy + (lat1 - lat) * scale)
        })
        .collect()
}

fn tooltip(n: &MapNode) -> String {
    let mut t = format!("{} · {}", n.external_id, n.name);
    if let Some(d) = &n.district {
        let _ = write!(t, " · {d}");
    }
    let _ = write!(t, "\n{}", n.status.label());
    if let Some(p) = n.pressure {
        let _ = write!(t, "\nPressure {}", Metric::Pressure.format(p));
    }
    if let Some(f) = n.flow_rate {
        let _ = write!(t, "\nFlow {}", Metric::FlowRate.format(f));
    }
    match n.last_seen {
        Some(at) => {
            let _ = write!(t, "\nLast reading {}", at.format("%Y-%m-%d %H:%M UTC"));
        }
        None => t.push_str("\nNo reading yet"),
    }
    t
}

/// The map of `nodes` as an SVG document fragment; nodes without coordinates are left out
/// (the page says how many). Empty when no node has coordinates.
pub fn map_svg(nodes: &[MapNode]) -> String {
    let located: Vec<&MapNode> = nodes
        .iter()
        .filter(|n| n.lat.is_some_and(f64::is_finite) && n.lon.is_some_and(f64::is_finite))
        .collect();
    if located.is_empty() {
        return String::new();
    }
    let xy = project(&located);
    let mut svg = format!(
        r#"<svg class="network-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg"><title id="map-title">Schematic map of {} nodes; shape and colour show each node's status</title>"#,
        located.len()
    );
    // Districts: the outline of their nodes, shaded, with the name at the middle.
    let mut districts: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    for (n, p) in located.iter().zip(&xy) {
        if let Some(d) = &n.district {
            districts.entry(d).or_default().push(*p);
        }
    }
    // District names go on top of the markers (drawn last), readable on a crowded map.
    let mut labels = String::new();
    for (i, (name, pts)) in districts.iter().enumerate() {
        let outline = hull(pts.clone());
        let class = format!("map-district tone-{}", i % 6);
        let (cx, cy) = (
            pts.iter().map(|p| p.0).sum::<f64>() / pts.len() as f64,
            pts.iter().map(|p| p.1).sum::<f64>() / pts.len() as f64,
        );
        match outline.len() {
            0 => {}
            1 => {
                let _ = write!(
                    svg,
                    r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="26"/>"#,
                    outline[0].0, outline[0].1
                );
            }
            _ => {
                let points: Vec<String> = outline
                    .iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect();
                let _ = write!(
                    svg,
                    r#"<polygon class="{class}" points="{}"/>"#,
                    points.join(" ")
                );
            }
        }
        let _ = write!(
            labels,
            r#"<text class="map-district-label" x="{cx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            cy - 16.0,
            escape(name)
        );
    }
    // Groups of normal nodes first, then every other node, worst last, so an incident's marker
    // is drawn over its neighbours.
    let (groups, single) = group(&located, &xy);
    for members in &groups {
        draw_group(&mut svg, &located, &xy, members);
    }
    let mut order = single;
    order.sort_by_key(|i| std::cmp::Reverse(located[*i].status));
    let node_labels = located.len() <= LABEL_LIMIT;
    for i in order {
        let (n, (x, y)) = (located[i], xy[i]);
        let tip = tooltip(n);
        let _ = write!(
            svg,
            r#"<a href="/nodes/{}" aria-label="{}" data-status="{}"><title>{}</title>{}"#,
            n.id,
            escape(&tip.replace('\n', ", ")),
            n.status.as_str(),
            escape(&tip),
            marker(n.status, x, y)
        );
        if node_labels {
            let _ = write!(
                svg,
                r#"<text class="map-label" x="{:.1}" y="{:.1}">{}</text>"#,
                x + 9.0,
                y + 4.0,
                escape(&n.external_id)
            );
        }
        svg.push_str("</a>");
    }
    svg.push_str(&labels);
    svg.push_str("</svg>");
    svg
}

/// Groups of two or more normal nodes sharing a cell of the drawing (only on networks above
/// [`GROUP_ABOVE`] nodes), and the nodes drawn on their own.
fn group(located: &[&MapNode], xy: &[(f64, f64)]) -> (Vec<Vec<usize>>, Vec<usize>) {
    if located.len() <= GROUP_ABOVE {
        return (Vec::new(), (0..located.len()).collect());
    }
    let mut cells: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    let mut single = Vec::new();
    for (i, (n, (x, y))) in located.iter().zip(xy).enumerate() {
        if n.status == NodeStatus::Normal {
            let cell = ((x / CELL).floor() as i64, (y / CELL).floor() as i64);
            cells.entry(cell).or_default().push(i);
        } else {
            single.push(i);
        }
    }
    let mut groups = Vec::new();
    for members in cells.into_values() {
        if members.len() == 1 {
            single.push(members[0]);
        } else {
            groups.push(members);
        }
    }
    (groups, single)
}

/// One group: a normal marker sized by how many it holds, the count on it, and a tooltip that
/// names its nodes and districts.
fn draw_group(svg: &mut String, located: &[&MapNode], xy: &[(f64, f64)], members: &[usize]) {
    let count = members.len();
    let (x, y) = (
        members.iter().map(|&i| xy[i].0).sum::<f64>() / count as f64,
        members.iter().map(|&i| xy[i].1).sum::<f64>() / count as f64,
    );
    let mut districts: Vec<&str> = members
        .iter()
        .filter_map(|&i| located[i].district.as_deref())
        .collect();
    districts.sort_unstable();
    districts.dedup();
    let mut ids: Vec<&str> = members
        .iter()
        .map(|&i| located[i].external_id.as_str())
        .collect();
    ids.sort_unstable();
    let mut tip = format!("{count} nodes, all normal");
    if !districts.is_empty() {
        let _ = write!(tip, " · {}", districts.join(", "));
    }
    let _ = write!(tip, "\n{}", ids[..count.min(GROUP_NAMES)].join(", "));
    if count > GROUP_NAMES {
        let _ = write!(tip, " and {} more", count - GROUP_NAMES);
    }
    // Larger for more nodes, never over the neighbouring cells' groups.
    let r = (7.0 + 2.0 * (count as f64).ln()).min(CELL * 0.4);
    let _ = write!(
        svg,
        r#"<g class="map-group" role="img" aria-label="{}" data-count="{count}"><title>{}</title><circle class="map-node status-normal" cx="{x:.1}" cy="{y:.1}" r="{r:.1}"/><text class="map-group-count" x="{x:.1}" y="{y:.1}" dy="0.35em" text-anchor="middle">{count}</text></g>"#,
        escape(&tip.replace('\n', ": ")),
        escape(&tip),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::NodeKind;

    fn node(id: i64, lat: Option<f64>, lon: f64, status: NodeStatus, district: &str) -> MapNode {
        MapNode {
            id,
            external_id: format!("N{id}"),
            name: format!("Node <{id}>"),
            kind: NodeKind::Pressure,
            district: Some(district.into()),
            lat,
            lon: Some(lon),
            status,
            last_seen: None,
            pressure: Some(3.25),
            flow_rate: None,
        }
    }

    /// (x, y) of the marker linking to `/nodes/{id}`.
    fn position(svg: &str, id: i64) -> (f64, f64) {
        let at = svg.find(&format!(r#"<a href="/nodes/{id}""#)).unwrap();
        let rest = &svg[at..];
        let num = |key: &str| -> f64 {
            let i = rest.find(key).unwrap() + key.len();
            rest[i..].split('"').next().unwrap().parse().unwrap()
        };
        (num(r#"cx=""#), num(r#"cy=""#))
    }

    #[test]
    fn north_is_up_east_is_right_and_every_located_node_links_to_its_page() {
        let nodes = vec![
            node(1, Some(39.22), 9.10, NodeStatus::Normal, "A"),
            node(2, Some(39.20), 9.10, NodeStatus::Normal, "A"),
            node(3, Some(39.20), 9.14, NodeStatus::Normal, "B"),
            node(4, None, 9.12, NodeStatus::Normal, "B"),
        ];
        let svg = map_svg(&nodes);
        assert_eq!(svg.matches("<a href=\"/nodes/").count(), 3);
        assert!(!svg.contains("/nodes/4\""));
        let (p1, p2, p3) = (position(&svg, 1), position(&svg, 2), position(&svg, 3));
        assert!(p1.1 < p2.1, "north above south: {p1:?} {p2:?}");
        assert!(p3.0 > p2.0, "east right of west: {p3:?} {p2:?}");
        assert_eq!(p1.0, p2.0);
        // The projection keeps shape: 0.04° of longitude at 39.2° N is cos(39.2°) ≈ 0.775 as
        // long as 0.04° of latitude... and 0.02° of latitude half of that.
        let ratio = (p3.0 - p2.0) / (p2.1 - p1.1);
        assert!(
            (ratio - 2.0 * 39.21f64.to_radians().cos()).abs() < 0.01,
            "{ratio}"
        );
        // Names are escaped, and the tooltip carries the reading.
        assert!(svg.contains("Node &lt;1&gt;"));
        assert!(svg.contains("Pressure 3.25 bar") || svg.contains("Pressure 3.2"));
    }

    #[test]
    fn status_has_a_shape_and_incidents_are_drawn_last() {
        let nodes = vec![
            node(1, Some(39.0), 9.0, NodeStatus::Incident, "A"),
            node(2, Some(39.1), 9.1, NodeStatus::Normal, "A"),
            node(3, Some(39.2), 9.2, NodeStatus::Stale, "A"),
            node(4, Some(39.3), 9.3, NodeStatus::Fault, "A"),
        ];
        let svg = map_svg(&nodes);
        let at = |id: i64| svg.find(&format!("/nodes/{id}\"")).unwrap();
        assert!(at(1) > at(4) && at(4) > at(3) && at(3) > at(2));
        assert!(svg.contains(r#"<circle class="map-node status-normal""#));
        assert!(svg.contains(r#"<rect class="map-node status-stale""#));
        assert!(svg.contains(r#"<polygon class="map-node status-fault""#));
        assert!(svg.contains(r#"<polygon class="map-node status-incident""#));
        // One district: one outline around the four nodes; a small network is never grouped.
        assert_eq!(svg.matches("map-district tone-0").count(), 1);
        assert!(!svg.contains("map-group"));
    }

    #[test]
    fn a_large_network_groups_its_normal_nodes_and_shows_every_other_one() {
        // 3,000 nodes on a 60 × 50 grid over about 6 × 5 km; a few need attention.
        let mut nodes = Vec::new();
        for i in 0..3000i64 {
            let status = match i {
                7 | 1500 => NodeStatus::Incident,
                42 => NodeStatus::Fault,
                2999 => NodeStatus::Stale,
                _ => NodeStatus::Normal,
            };
            let district = if i % 60 < 30 { "West" } else { "East" };
            let (row, col) = (i / 60, i % 60);
            nodes.push(node(
                i,
                Some(39.20 + row as f64 * 0.001),
                9.10 + col as f64 * 0.001,
                status,
                district,
            ));
        }
        let svg = map_svg(&nodes);
        assert!(svg.contains("Schematic map of 3000 nodes"));
        // Every node needing attention keeps its own marker and link.
        for id in [7, 1500, 42, 2999] {
            assert!(
                svg.contains(&format!("<a href=\"/nodes/{id}\"")),
                "node {id}"
            );
        }
        // Every normal node is drawn once: alone, or counted in exactly one group.
        let grouped: usize = svg
            .split(r#"data-count=""#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().parse::<usize>().unwrap())
            .sum();
        let alone = svg.matches(r#"data-status="normal""#).count();
        assert_eq!(grouped + alone, 2996);
        let groups = svg.matches(r#"class="map-group""#).count();
        assert!(groups > 0 && grouped > 2000, "{groups} groups of {grouped}");
        // Far fewer marks than nodes, and a document a browser draws at once.
        assert!(groups + alone + 4 < 800, "{} marks", groups + alone + 4);
        assert!(svg.len() < 400_000, "{} bytes", svg.len());
        // A group names its nodes and district in its tooltip.
        assert!(
            svg.contains("nodes, all normal · West") || svg.contains("nodes, all normal · East")
        );
        assert!(svg.contains(" more</title>"));
    }

    #[test]
    fn hull_keeps_the_outer_points_only() {
        let h = hull(vec![
            (0.0, 0.0),
            (2.0, 0.0),
            (1.0, 1.0),
            (2.0, 2.0),
            (0.0, 2.0),
        ]);
        assert_eq!(h.len(), 4);
        assert!(!h.contains(&(1.0, 1.0)));
        assert!(map_svg(&[node(1, None, 9.0, NodeStatus::Normal, "A")]).is_empty());
    }
}
