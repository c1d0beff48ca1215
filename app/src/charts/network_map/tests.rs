//! The map's drawing: projection, shapes, groups and zoom.

use super::*;
use shared::NodeKind;

const WHOLE: MapView = MapView {
    window: None,
    page: "/enhanced-overview?",
};

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
        level: None,
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
    let svg = map_svg(&nodes, WHOLE);
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
    assert!(!svg.contains("Level"), "no level where none is measured");
}

#[test]
fn a_tank_s_tooltip_gives_its_level() {
    let tank = MapNode {
        kind: NodeKind::Tank,
        pressure: None,
        level: Some(3.64),
        ..node(1, Some(39.2), 9.1, NodeStatus::Normal, "A")
    };
    let svg = map_svg(&[tank], WHOLE);
    assert!(svg.contains("Level 3.6 m"), "{svg}");
    assert!(!svg.contains("Pressure"));
}

#[test]
fn status_has_a_shape_and_incidents_are_drawn_last() {
    let nodes = vec![
        node(1, Some(39.0), 9.0, NodeStatus::Incident, "A"),
        node(2, Some(39.1), 9.1, NodeStatus::Normal, "A"),
        node(3, Some(39.2), 9.2, NodeStatus::Stale, "A"),
        node(4, Some(39.3), 9.3, NodeStatus::Fault, "A"),
    ];
    let svg = map_svg(&nodes, WHOLE);
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

/// 3,000 nodes on a 60 × 50 grid over about 6 × 5 km, in two districts; four need attention.
fn grid() -> Vec<MapNode> {
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
    nodes
}

#[test]
fn a_large_network_groups_its_normal_nodes_and_shows_every_other_one() {
    let nodes = grid();
    let svg = map_svg(&nodes, WHOLE);
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
    assert!(svg.contains("nodes, all normal · West") || svg.contains("nodes, all normal · East"));
    assert!(svg.contains(" more\nSelect to zoom in</title>"));
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
    assert!(map_svg(&[node(1, None, 9.0, NodeStatus::Normal, "A")], WHOLE).is_empty());
}

#[test]
fn a_group_links_to_its_part_of_the_network_where_each_node_is_drawn() {
    let nodes = grid();
    let page = "/enhanced-overview?range=7d&";
    let svg = map_svg(&nodes, MapView { window: None, page });
    // The first group's link, and the ids its tooltip names.
    let at = svg.find(r#"<a class="map-group" href=""#).unwrap();
    let href = svg[at..].split('"').nth(3).unwrap().replace("&amp;", "&");
    let param = href
        .strip_prefix("/enhanced-overview?range=7d&map=")
        .unwrap_or_else(|| panic!("{href}"));
    let count: usize = svg[at..]
        .split(r#"data-count=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let window = MapWindow::parse(param).unwrap();
    let zoomed = map_svg(
        &nodes,
        MapView {
            window: Some(window),
            page,
        },
    );
    // Every node of the group is there on its own, with its link: nothing grouped any more.
    assert!(!zoomed.contains("map-group"), "{zoomed}");
    let drawn = zoomed.matches(r#"<a href="/nodes/"#).count();
    assert!(drawn >= count, "{drawn} drawn, the group held {count}");
    let inside = nodes
        .iter()
        .filter(|n| window.contains(n.lat.unwrap(), n.lon.unwrap()))
        .count();
    assert_eq!(drawn, inside);
    assert!(inside < 100, "a close-up, not the network: {inside}");
    assert!(zoomed.contains(&format!("Part of the network: {inside} of 3000 nodes")));
    // The way back keeps the period.
    assert!(zoomed.contains(r#"<a class="map-back" href="/enhanced-overview?range=7d">"#));
    assert!(!svg.contains("map-back"));
    // Zoomed in: the nodes that shared one cell of the whole map now spread over several.
    let xs: Vec<f64> = zoomed
        .split(r#"cx=""#)
        .skip(1)
        .map(|r| r.split('"').next().unwrap().parse().unwrap())
        .collect();
    let spread =
        xs.iter().cloned().fold(f64::MIN, f64::max) - xs.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 4.0 * CELL, "{spread}");
    // A window with nobody in it says so.
    let empty = MapWindow::parse("10,10,10.01,10.01").unwrap();
    let none = map_svg(
        &nodes,
        MapView {
            window: Some(empty),
            page,
        },
    );
    assert!(none.contains("No node with coordinates in this part"));
}

#[test]
fn a_map_window_is_checked() {
    let w = MapWindow::parse("39.2, 9.1,39.3,9.2").unwrap();
    assert_eq!((w.south, w.west, w.north, w.east), (39.2, 9.1, 39.3, 9.2));
    assert_eq!(MapWindow::parse(&w.to_param()).unwrap(), w);
    for bad in [
        "39.2,9.1,39.3",
        "a,b,c,d",
        "39.3,9.1,39.2,9.2",
        "95,9.1,96,9.2",
        "39.2,9.2,39.3,9.1",
        "",
    ] {
        let e = MapWindow::parse(bad).unwrap_err();
        assert_eq!(e.status_code(), 422, "{bad}");
        assert!(format!("{e:?}").contains("map"), "{bad}: {e:?}");
    }
    // Around one point: the least span, centred on it.
    let one = MapWindow::around([(39.25, 9.15)].into_iter());
    assert!((one.north - one.south - MIN_SPAN * (1.0 + 2.0 * WINDOW_PAD)).abs() < 1e-12);
    assert!(one.contains(39.25, 9.15) && !one.contains(39.26, 9.15));
    // At the edge of the globe the padding stops at ±90° / ±180°, and the link's window
    // still reads back.
    let edge = MapWindow::around([(89.9999, 179.9999), (89.9995, 179.9992)].into_iter());
    assert_eq!((edge.north, edge.east), (90.0, 180.0));
    assert!(edge.south < 89.9995 && edge.west < 179.9992);
    assert!(edge.contains(89.9999, 179.9999));
    let read = MapWindow::parse(&edge.to_param()).unwrap();
    assert_eq!((read.north, read.east), (90.0, 180.0));
    let south_west = MapWindow::around([(-89.9999, -179.9999)].into_iter());
    assert_eq!((south_west.south, south_west.west), (-90.0, -180.0));
    MapWindow::parse(&south_west.to_param()).unwrap();
}
