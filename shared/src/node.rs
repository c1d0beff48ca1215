//! Network nodes: what kind of asset a sensor sits on.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The kind of network asset a node represents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A pressure logger on a junction.
    Pressure,
    /// A flow meter on a main or district inlet.
    Flow,
    /// A customer or bulk meter.
    Meter,
    /// A storage tank or reservoir.
    Tank,
    /// A pumping station.
    Pump,
    /// A water-quality station.
    Quality,
}

impl NodeKind {
    /// Every kind, in display order.
    pub const ALL: [NodeKind; 6] = [
        NodeKind::Pressure,
        NodeKind::Flow,
        NodeKind::Meter,
        NodeKind::Tank,
        NodeKind::Pump,
        NodeKind::Quality,
    ];

    /// The metrics a node of this kind usually reports, the main one first.
    pub const fn metrics(self) -> &'static [crate::Metric] {
        use crate::Metric as M;
        match self {
            NodeKind::Pressure => &[M::Pressure, M::Temperature],
            NodeKind::Flow => &[M::FlowRate, M::Volume, M::Pressure, M::Temperature],
            NodeKind::Meter => &[M::Volume, M::FlowRate],
            NodeKind::Tank => &[M::Level, M::FlowRate],
            NodeKind::Pump => &[M::FlowRate, M::Pressure],
            NodeKind::Quality => &[M::Chlorine, M::Turbidity, M::Ph, M::Temperature],
        }
    }

    /// The stable name used in storage and CSV files.
    pub const fn as_str(self) -> &'static str {
        match self {
            NodeKind::Pressure => "pressure",
            NodeKind::Flow => "flow",
            NodeKind::Meter => "meter",
            NodeKind::Tank => "tank",
            NodeKind::Pump => "pump",
            NodeKind::Quality => "quality",
        }
    }
}

/// The name given was not a known node kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown node kind `{0}`")]
pub struct UnknownNodeKind(pub String);

impl FromStr for NodeKind {
    type Err = UnknownNodeKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NodeKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownNodeKind(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_rejects_others() {
        for k in NodeKind::ALL {
            assert_eq!(k.as_str().parse::<NodeKind>().unwrap(), k);
        }
        assert!("valve".parse::<NodeKind>().is_err());
    }
}
