//! The schematic network map: every node with coordinates drawn at its position as SVG (no map
//! tiles, so it works offline), each district as the shaded outline (convex hull) of its
//! nodes. A marker's shape and colour both say its status (colour is never the only signal),
//! its tooltip names it with its latest readings, and it links to the node's page. On a large
//! network, normal nodes that fall close together are drawn as one numbered group, so the map
//! stays readable (and light) with thousands of nodes; a node that needs attention (incident,
//! fault, silent) is always drawn on its own. A group links to the same page zoomed to its part
//! of the network (`?map=south,west,north,east`), where its nodes are drawn one by one.

use shared::overview::{MapNode, NodeStatus};
use shared::{AppError, Metric};
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
/// A zoomed window is at least this many degrees on a side (about 100 m), padded around the
/// nodes it is made for by this share of its size on each side.
const MIN_SPAN: f64 = 0.001;
const WINDOW_PAD: f64 = 0.15;

/// A part of the network to draw: a box of latitudes and longitudes, written in the page's
/// URL as `map=south,west,north,east` (degrees).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapWindow {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl MapWindow {
    /// Reads `south,west,north,east`; a clear error naming the `map` field otherwise.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let bad = |why: &str| {
            AppError::validation("map", format!("{why} (south,west,north,east in degrees)"))
        };
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("four numbers expected"))?;
        let [south, west, north, east] = v[..] else {
            return Err(bad("four numbers expected"));
        };
        let lat = -90.0..=90.0;
        let lon = -180.0..=180.0;
        if !(lat.contains(&south)
            && lat.contains(&north)
            && lon.contains(&west)
            && lon.contains(&east))
        {
            return Err(bad("latitudes lie within ±90 and longitudes within ±180"));
        }
        if south >= north || west >= east {
            return Err(bad("south must be below north and west left of east"));
        }
        Ok(Self {
            south,
            west,
            north,
            east,
        })
    }

    /// The box around `points` (latitude, longitude), padded, at least [`MIN_SPAN`] a side,
    /// and kept within ±90° and ±180° (so [`MapWindow::parse`] reads back what a link carries).
    fn around(points: impl Iterator<Item = (f64, f64)>) -> Self {
        let mut w = Self {
            south: 90.0,
            west: 180.0,
            north: -90.0,
            east: -180.0,
        };
        for (lat, lon) in points {
            w = Self {
                south: w.south.min(lat),
                west: w.west.min(lon),
                north: w.north.max(lat),
                east: w.east.max(lon),
            };
        }
        let pad = |lo: f64, hi: f64, limit: f64| {
            let side = (hi - lo).max(MIN_SPAN) * (1.0 + 2.0 * WINDOW_PAD);
            let mid = (lo + hi) / 2.0;
            (
                (mid - side / 2.0).max(-limit),
                (mid + side / 2.0).min(limit),
            )
        };
        let (south, north) = pad(w.south, w.north, 90.0);
        let (west, east) = pad(w.west, w.east, 180.0);
        Self {
            south,
            west,
            north,
            east,
        }
    }

    fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.south..=self.north).contains(&lat) && (self.west..=self.east).contains(&lon)
    }

    /// The value of the URL's `map` parameter.
    pub fn to_param(&self) -> String {
        format!(
            "{:.5},{:.5},{:.5},{:.5}",
            self.south, self.west, self.north, self.east
        )
    }
}

/// What part of the map to draw and where its links go.
#[derive(Clone, Copy, Debug)]
pub struct MapView<'a> {
    /// The part of the network, or all of it.
    pub window: Option<MapWindow>,
    /// The page's address with its other parameters, ending in `?` or `&`: a group's link
    /// adds `map=…` to it, the way back to the whole network drops the trailing character.
    pub page: &'a str,
}

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
/// middle latitude (true to shape at a town's scale), fitting the nodes, or the window when
/// zoomed, into the box.
fn project(nodes: &[&MapNode], window: Option<MapWindow>) -> Vec<(f64, f64)> {
    let mut lats: Vec<f64> = nodes.iter().filter_map(|n| n.lat).collect();
    let mut lons: Vec<f64> = nodes.iter().filter_map(|n| n.lon).collect();
    if let Some(w) = window {
        (lats, lons) = (vec![w.south, w.north], vec![w.west, w.east]);
    }
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
    if let Some(l) = n.level {
        let _ = write!(t, "\nLevel {}", Metric::Level.format(l));
    }
    match n.last_seen {
        Some(at) => {
            let _ = write!(t, "\nLast reading {}", at.format("%Y-%m-%d %H:%M UTC"));
        }
        None => t.push_str("\nNo reading yet"),
    }
    t
}

/// The map of `nodes` (of the part `view` asks for) as an SVG document fragment; nodes without
/// coordinates are left out (the page says how many). Empty when no node has coordinates.
pub fn map_svg(nodes: &[MapNode], view: MapView) -> String {
    let located: Vec<&MapNode> = nodes
        .iter()
        .filter(|n| n.lat.is_some_and(f64::is_finite) && n.lon.is_some_and(f64::is_finite))
        .collect();
    if located.is_empty() {
        return String::new();
    }
    let all = located.len();
    let located: Vec<&MapNode> = match view.window {
        Some(w) => located
            .into_iter()
            .filter(|n| w.contains(n.lat.unwrap_or(f64::NAN), n.lon.unwrap_or(f64::NAN)))
            .collect(),
        None => located,
    };
    let xy = project(&located, view.window);
    let what = match view.window {
        Some(_) => format!("Part of the network: {} of {all} nodes", located.len()),
        None => format!("Schematic map of {all} nodes"),
    };
    let mut svg = format!(
        r#"<svg class="network-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg"><title id="map-title">{what}; shape and colour show each node's status</title>"#
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
        draw_group(&mut svg, &located, &xy, members, view.page);
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
    if view.window.is_some() {
        // The way back, top left, over everything.
        let back = view.page.trim_end_matches(['?', '&']);
        let _ = write!(
            svg,
            r#"<a class="map-back" href="{}"><rect x="8" y="8" width="196" height="30" rx="6"/><text x="20" y="28">← Whole network ({all} nodes)</text></a>"#,
            escape(back)
        );
        if located.is_empty() {
            let _ = write!(
                svg,
                r#"<text class="map-empty" x="{}" y="{}" text-anchor="middle">No node with coordinates in this part of the network.</text>"#,
                WIDTH / 2.0,
                HEIGHT / 2.0
            );
        }
    }
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

/// One group: a normal marker sized by how many it holds, the count on it, a tooltip that
/// names its nodes and districts, and a link to the map zoomed to them.
fn draw_group(
    svg: &mut String,
    located: &[&MapNode],
    xy: &[(f64, f64)],
    members: &[usize],
    page: &str,
) {
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
    tip.push_str("\nSelect to zoom in");
    let window = MapWindow::around(members.iter().filter_map(|&i| {
        let n = located[i];
        n.lat.zip(n.lon)
    }));
    // Larger for more nodes, never over the neighbouring cells' groups.
    let r = (7.0 + 2.0 * (count as f64).ln()).min(CELL * 0.4);
    let _ = write!(
        svg,
        r#"<a class="map-group" href="{}" aria-label="{}" data-count="{count}"><title>{}</title><circle class="map-node status-normal" cx="{x:.1}" cy="{y:.1}" r="{r:.1}"/><text class="map-group-count" x="{x:.1}" y="{y:.1}" dy="0.35em" text-anchor="middle">{count}</text></a>"#,
        escape(&format!("{page}map={}", window.to_param())),
        escape(&tip.replace('\n', ": ")),
        escape(&tip),
    );
}

#[cfg(test)]
mod tests;
