//! The organisation tree: 区 → 街道 → 社区 → 网格 → 楼栋 → 单元 → 户.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    District,
    Street,
    Community,
    Grid,
    Building,
    Unit,
    Room,
}

impl NodeKind {
    pub const ALL: [NodeKind; 7] = [
        NodeKind::District,
        NodeKind::Street,
        NodeKind::Community,
        NodeKind::Grid,
        NodeKind::Building,
        NodeKind::Unit,
        NodeKind::Room,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::District => "district",
            NodeKind::Street => "street",
            NodeKind::Community => "community",
            NodeKind::Grid => "grid",
            NodeKind::Building => "building",
            NodeKind::Unit => "unit",
            NodeKind::Room => "room",
        }
    }

    pub fn parse(s: &str) -> Option<NodeKind> {
        NodeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NodeKind::District => "区",
            NodeKind::Street => "街道",
            NodeKind::Community => "社区",
            NodeKind::Grid => "网格",
            NodeKind::Building => "楼栋",
            NodeKind::Unit => "单元",
            NodeKind::Room => "户",
        }
    }

    /// Kinds that may hang directly under this one. A building without units holds its rooms
    /// directly, as bungalows and small blocks do.
    pub fn children(self) -> &'static [NodeKind] {
        match self {
            NodeKind::District => &[NodeKind::Street],
            NodeKind::Street => &[NodeKind::Community],
            NodeKind::Community => &[NodeKind::Grid],
            NodeKind::Grid => &[NodeKind::Building],
            NodeKind::Building => &[NodeKind::Unit, NodeKind::Room],
            NodeKind::Unit => &[NodeKind::Room],
            NodeKind::Room => &[],
        }
    }

    pub fn may_contain(self, child: NodeKind) -> bool {
        self.children().contains(&child)
    }

    /// At or below the community: such a node belongs to exactly one community.
    pub fn is_within_community(self) -> bool {
        self >= NodeKind::Community
    }
}

/// A node name as typed: trimmed, inner whitespace collapsed, 1–40 characters.
pub fn normalize_node_name(input: &str) -> Result<String, String> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("名称不能为空，请填写名称".into());
    }
    if name.chars().count() > 40 {
        return Err(format!("名称“{name}”超过 40 个字，请缩短"));
    }
    Ok(name)
}

/// A GB/T 2260 (6 digits) or statistical (9 or 12 digits) area code.
pub fn normalize_area_code(input: &str) -> Result<Option<String>, String> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if code.is_empty() {
        return Ok(None);
    }
    if !code.chars().all(|c| c.is_ascii_digit()) || ![6, 9, 12].contains(&code.len()) {
        return Err(format!(
            "区划代码“{code}”格式不对：应为 6 位（GB/T 2260 县级）、9 位（乡镇街道）或 12 位（村居）数字"
        ));
    }
    Ok(Some(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_shape() {
        assert!(NodeKind::Grid.may_contain(NodeKind::Building));
        assert!(NodeKind::Building.may_contain(NodeKind::Room));
        assert!(!NodeKind::Grid.may_contain(NodeKind::Room));
        assert!(NodeKind::Room.is_within_community());
        assert!(!NodeKind::Street.is_within_community());
        assert_eq!(NodeKind::parse("网格"), Some(NodeKind::Grid));
    }

    #[test]
    fn names_and_codes() {
        assert_eq!(normalize_node_name("  11幢  ").as_deref(), Ok("11幢"));
        assert!(normalize_node_name(" ").is_err());
        assert_eq!(
            normalize_area_code("530102"),
            Ok(Some("530102".to_string()))
        );
        assert_eq!(normalize_area_code(""), Ok(None));
        assert!(normalize_area_code("53010").is_err());
    }
}
