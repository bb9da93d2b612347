//! The organisation tree. Each node stores its materialised path of ids (`/1/4/9/`), so "all
//! records under this node" is one index range scan on any table that carries `area_path`.

use chrono::NaiveDate;
use serde::Serialize;
use shequ_domain::access::roles::Role;
use shequ_domain::registry::org::{NodeKind, normalize_area_code, normalize_node_name};

use crate::access::audit::{self, By, Event};
use crate::access::scope::{Actor, RecordSql};
use crate::clock::now;
use crate::db::{Conn, Row, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::params;

/// A node of the tree: its own path. Read by the access guard (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT path FROM org_nodes WHERE id = ?",
    version: Some("SELECT version FROM org_nodes WHERE id = ?"),
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Node {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: NodeKind,
    pub name: String,
    pub code: Option<String>,
    pub path: String,
    pub community_id: Option<i64>,
    pub retired_on: Option<NaiveDate>,
    pub version: i64,
}

pub(crate) const NODE_COLS: &str =
    "id, parent_id, kind, name, code, path, community_id, retired_on, version";

impl Node {
    pub(crate) fn from_row(r: &Row) -> StoreResult<Node> {
        let kind: String = r.get(2)?;
        Ok(Node {
            id: r.get(0)?,
            parent_id: r.get(1)?,
            kind: NodeKind::parse(&kind)
                .ok_or_else(|| StoreError::Conflict(format!("节点类型“{kind}”无法识别")))?,
            name: r.get(3)?,
            code: r.get(4)?,
            path: r.get(5)?,
            community_id: r.get(6)?,
            retired_on: r.get(7)?,
            version: r.get(8)?,
        })
    }

    /// Ids from the root down to this node.
    pub fn lineage(&self) -> Vec<i64> {
        self.path
            .split('/')
            .filter_map(|s| s.parse().ok())
            .collect()
    }
}

/// The ids in a materialised path, root first: "/1/4/9/" → [1, 4, 9].
pub fn path_ids(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|s| s.parse().ok()).collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChildSummary {
    pub node: Node,
    /// People living under this node now.
    pub people: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NodeEvent {
    pub happened_on: NaiveDate,
    pub recorded_at: String,
    pub kind: String,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
    pub user: Option<String>,
}

/// Reads a node without a scope check (internal use).
pub(crate) fn load(conn: &mut Conn, id: i64) -> StoreResult<Node> {
    let row = conn
        .query_opt(
            &format!("SELECT {NODE_COLS} FROM org_nodes WHERE id = ?"),
            params![id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("节点 {id}")))?;
    Node::from_row(&row)
}

/// A node inside the actor's scope.
pub fn get(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Node> {
    let node = load(conn, id)?;
    if !actor.sees_path(&node.path) {
        return Err(StoreError::Forbidden(format!(
            "“{}”不在您的管辖范围内",
            node.name
        )));
    }
    Ok(node)
}

/// The actor's top nodes: where their tree starts.
pub fn roots(conn: &mut Conn, actor: &Actor) -> StoreResult<Vec<Node>> {
    let mut out = Vec::new();
    for n in &actor.nodes {
        out.push(load(conn, n.id)?);
    }
    Ok(out)
}

/// Ancestors from the root down to the parent, for breadcrumbs.
pub fn ancestors(conn: &mut Conn, node: &Node) -> StoreResult<Vec<Node>> {
    let mut out = Vec::new();
    for id in node.lineage() {
        if id != node.id {
            out.push(load(conn, id)?);
        }
    }
    Ok(out)
}

/// "第二网格 / 11幢 / 2单元 / 301": the node's address below its community.
pub fn address_of(conn: &mut Conn, node: &Node) -> StoreResult<String> {
    let mut parts = Vec::new();
    for a in ancestors(conn, node)? {
        if a.kind > NodeKind::Grid {
            parts.push(a.name);
        }
    }
    parts.push(node.name.clone());
    Ok(parts.join(""))
}

pub fn children(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    include_retired: bool,
) -> StoreResult<Vec<ChildSummary>> {
    let parent = get(conn, actor, id)?;
    let rows = conn.query(
        &format!(
            "SELECT {NODE_COLS} FROM org_nodes WHERE parent_id = ? AND (? = 1 OR retired_on IS NULL)
             ORDER BY sort_order, length(name), name"
        ),
        params![parent.id, include_retired],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let node = Node::from_row(&r)?;
        let people = count_people(conn, &node.path)?;
        out.push(ChildSummary { node, people });
    }
    Ok(out)
}

pub fn count_people(conn: &mut Conn, path: &str) -> StoreResult<i64> {
    Ok(conn.scalar(
        "SELECT count(*) FROM persons WHERE area_path >= ? AND area_path < ? AND living = 1",
        params![path, prefix_end(path)],
    )?)
}

/// A dated change to a node, as kept in `node_events`.
struct Change<'a> {
    kind: &'a str,
    on: NaiveDate,
    before: Option<&'a str>,
    after: Option<&'a str>,
    /// For a move: the parents before and after.
    parents: Option<(i64, i64)>,
}

/// Keeps a node's history and writes the matching audit row, in the caller's transaction.
fn event(conn: &mut Conn, actor: &Actor, node: &Node, ch: Change) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO node_events (node_id, community_id, happened_on, recorded_at, kind, before_value, after_value,
            from_parent_id, to_parent_id, user_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            node.id,
            node.community_id,
            ch.on,
            now(),
            ch.kind,
            ch.before,
            ch.after,
            ch.parents.map(|p| p.0),
            ch.parents.map(|p| p.1),
            actor.user_id
        ],
    )?;
    let action = format!("node.{}", ch.kind);
    audit::record(
        conn,
        By::Actor(actor),
        Event::ok(&action, format!("node:{}", node.id)).with(serde_json::json!({
            "节点": node.name, "日期": ch.on, "变更前": ch.before, "变更后": ch.after
        })),
    )
}

pub struct NewNode<'a> {
    pub parent_id: Option<i64>,
    pub kind: NodeKind,
    pub name: &'a str,
    pub code: Option<&'a str>,
    pub on: NaiveDate,
}

pub fn create(conn: &mut Conn, actor: &Actor, new: &NewNode) -> StoreResult<i64> {
    let name = normalize_node_name(new.name).map_err(|m| StoreError::invalid("名称", m))?;
    let code = normalize_area_code(new.code.unwrap_or_default())
        .map_err(|m| StoreError::invalid("区划代码", m))?;
    conn.transaction(|c| {
        let parent = match new.parent_id {
            Some(pid) => Some(get(c, actor, pid)?),
            None => None,
        };
        let may = match new.kind {
            NodeKind::Building | NodeKind::Unit | NodeKind::Room => actor.role.adds_places(),
            _ => actor.role.manages_tree(),
        };
        actor.require(may, &format!("新增{}", new.kind.label()))?;
        let community_id = match &parent {
            Some(p) => {
                if !p.kind.may_contain(new.kind) {
                    return Err(StoreError::invalid(
                        "类型",
                        format!("{}下面不能直接建{}", p.kind.label(), new.kind.label()),
                    ));
                }
                if p.retired_on.is_some() {
                    return Err(StoreError::Conflict(format!("“{}”已撤销，不能再添加下级", p.name)));
                }
                p.community_id
            }
            None => {
                if new.kind != NodeKind::District || actor.role != Role::Admin {
                    return Err(StoreError::invalid("上级", "只有系统管理员可以建立顶层的区"));
                }
                None
            }
        };
        let dup = c.scalar(
            "SELECT count(*) FROM org_nodes WHERE parent_id IS NOT DISTINCT FROM ? AND name = ? AND retired_on IS NULL",
            params![new.parent_id, name.as_str()],
        )?;
        if dup > 0 {
            return Err(StoreError::invalid("名称", format!("同一上级下已有“{name}”，请换一个名称")));
        }
        let id = c.insert(
            "INSERT INTO org_nodes (parent_id, kind, name, code, path, community_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![new.parent_id, new.kind.as_str(), name.as_str(), code, format!("/tmp-{}", now()), community_id, now()],
        )?;
        let path = format!("{}{id}/", parent.as_ref().map_or("/", |p| p.path.as_str()));
        let community_id = if new.kind == NodeKind::Community { Some(id) } else { community_id };
        c.execute(
            "UPDATE org_nodes SET path = ?, community_id = ? WHERE id = ?",
            params![path, community_id, id],
        )?;
        let node = load(c, id)?;
        event(
            c,
            actor,
            &node,
            Change { kind: "created", on: new.on, before: None, after: Some(&node.name), parents: None },
        )?;
        Ok(id)
    })
}

fn check_version(node: &Node, version: Option<i64>) -> StoreResult<()> {
    match version {
        Some(v) if v != node.version => Err(StoreError::Conflict(format!(
            "“{}”已被他人修改，请刷新后再改",
            node.name
        ))),
        _ => Ok(()),
    }
}

pub fn rename(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    new_name: &str,
    version: Option<i64>,
    on: NaiveDate,
) -> StoreResult<()> {
    let name = normalize_node_name(new_name).map_err(|m| StoreError::invalid("名称", m))?;
    actor.require(actor.role.manages_tree(), "修改组织架构")?;
    conn.transaction(|c| {
        let node = get(c, actor, id)?;
        check_version(&node, version)?;
        if node.name == name {
            return Ok(());
        }
        c.execute(
            "UPDATE org_nodes SET name = ?, version = version + 1 WHERE id = ?",
            params![name.as_str(), id],
        )?;
        event(
            c,
            actor,
            &node,
            Change {
                kind: "renamed",
                on,
                before: Some(&node.name),
                after: Some(&name),
                parents: None,
            },
        )
    })
}

pub fn recode(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    code: &str,
    on: NaiveDate,
) -> StoreResult<()> {
    let code = normalize_area_code(code).map_err(|m| StoreError::invalid("区划代码", m))?;
    actor.require(actor.role.manages_tree(), "修改组织架构")?;
    conn.transaction(|c| {
        let node = get(c, actor, id)?;
        if node.code == code {
            return Ok(());
        }
        c.execute(
            "UPDATE org_nodes SET code = ?, version = version + 1 WHERE id = ?",
            params![code.clone(), id],
        )?;
        event(
            c,
            actor,
            &node,
            Change {
                kind: "recoded",
                on,
                before: node.code.as_deref(),
                after: code.as_deref(),
                parents: None,
            },
        )
    })
}

/// Every table whose rows carry the path of their place in `area_path` (and their community in
/// `community_id`): scope checks read that copy, so a move must rewrite each of them or the old
/// grid keeps access and the new one gets none. `tests/tree_move.rs` compares this list with
/// the schema on both backends, so a new table with an area path fails until it is listed here.
pub const AREA_PATH_TABLES: &[&str] = &[
    "persons",
    "units",
    "tickets",
    "visits",
    "patrol_schedules",
    "patrols",
    "attachments",
    "screenings",
    "mediation_cases",
    "report_links",
];

/// Moves a node (typically a building to another grid) within its community, carrying its
/// subtree and every record placed in it (`AREA_PATH_TABLES`).
pub fn move_to(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    new_parent_id: i64,
    on: NaiveDate,
) -> StoreResult<()> {
    actor.require(actor.role.manages_tree(), "调整组织架构")?;
    conn.transaction(|c| {
        let node = get(c, actor, id)?;
        let target = get(c, actor, new_parent_id)?;
        if node.parent_id == Some(target.id) {
            return Ok(());
        }
        if !target.kind.may_contain(node.kind) {
            return Err(StoreError::invalid(
                "目标",
                format!("{}不能移到{}下面", node.kind.label(), target.kind.label()),
            ));
        }
        if node.kind <= NodeKind::Community || target.community_id != node.community_id {
            return Err(StoreError::invalid(
                "目标",
                "只能在同一社区内调整网格、楼栋、单元和户",
            ));
        }
        if target.retired_on.is_some() {
            return Err(StoreError::Conflict(format!(
                "“{}”已撤销，不能移入",
                target.name
            )));
        }
        let old = node.path.clone();
        let new = format!("{}{}/", target.path, node.id);
        let cut = i64::try_from(old.chars().count()).unwrap_or(0) + 1;
        let end = prefix_end(&old);
        c.execute(
            "UPDATE org_nodes SET path = ? || substr(path, ?) WHERE path >= ? AND path < ?",
            params![new.as_str(), cut, old.as_str(), end.as_str()],
        )?;
        c.execute(
            "UPDATE org_nodes SET parent_id = ?, version = version + 1 WHERE id = ?",
            params![target.id, node.id],
        )?;
        for table in AREA_PATH_TABLES {
            c.execute(
                &format!(
                    "UPDATE {table} SET area_path = ? || substr(area_path, ?)
                     WHERE community_id = ? AND area_path >= ? AND area_path < ?"
                ),
                params![
                    new.as_str(),
                    cut,
                    node.community_id,
                    old.as_str(),
                    end.as_str()
                ],
            )?;
        }
        let from = node.parent_id.unwrap_or_default();
        let from_name = load(c, from).map(|p| p.name).unwrap_or_default();
        event(
            c,
            actor,
            &node,
            Change {
                kind: "moved",
                on,
                before: Some(&from_name),
                after: Some(&target.name),
                parents: Some((from, target.id)),
            },
        )
    })
}

/// Retires a node: it stays in history but takes no new records. Refused while people live
/// under it or it has active children.
pub fn retire(conn: &mut Conn, actor: &Actor, id: i64, on: NaiveDate) -> StoreResult<()> {
    actor.require(actor.role.manages_tree(), "撤销组织架构节点")?;
    conn.transaction(|c| {
        let node = get(c, actor, id)?;
        if node.retired_on.is_some() {
            return Ok(());
        }
        let people = count_people(c, &node.path)?;
        if people > 0 {
            return Err(StoreError::Conflict(format!(
                "“{}”下还有 {people} 名在住人员，请先办理迁出或调整住址再撤销",
                node.name
            )));
        }
        let active = c.scalar(
            "SELECT count(*) FROM org_nodes WHERE parent_id = ? AND retired_on IS NULL",
            params![node.id],
        )?;
        if active > 0 {
            return Err(StoreError::Conflict(format!(
                "“{}”下还有 {active} 个未撤销的下级，请先撤销或移走它们",
                node.name
            )));
        }
        c.execute(
            "UPDATE org_nodes SET retired_on = ?, version = version + 1 WHERE id = ?",
            params![on, id],
        )?;
        event(
            c,
            actor,
            &node,
            Change {
                kind: "retired",
                on,
                before: None,
                after: Some(&on.to_string()),
                parents: None,
            },
        )
    })
}

pub fn history(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Vec<NodeEvent>> {
    let node = get(conn, actor, id)?;
    let rows = conn.query(
        "SELECT e.happened_on, e.recorded_at, e.kind, e.before_value, e.after_value, u.display_name
         FROM node_events e LEFT JOIN users u ON u.id = e.user_id
         WHERE e.node_id = ? ORDER BY e.id",
        params![node.id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(NodeEvent {
                happened_on: r.get(0)?,
                recorded_at: r.get(1)?,
                kind: r.get(2)?,
                before_value: r.get(3)?,
                after_value: r.get(4)?,
                user: r.get(5)?,
            })
        })
        .collect()
}
