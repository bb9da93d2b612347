//! Who is acting and where they may look. Every query that returns records takes an `Actor`
//! and puts its scope into the SQL itself (never filtering after loading).

use shequ_domain::access::roles::Role;
use shequ_domain::registry::org::NodeKind;

use crate::db::{Conn, Value, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::params;

#[derive(Debug, Clone)]
pub struct ScopeNode {
    pub id: i64,
    pub path: String,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub nodes: Vec<ScopeNode>,
    /// Every community the scope touches: the leading column of the registry's indexes.
    pub communities: Vec<i64>,
    /// Where this user may open personal data: the whole scope for community roles, only the
    /// granted nodes (inside the scope) for street and district staff, nothing for the
    /// administrators and the auditor.
    pub people_nodes: Vec<ScopeNode>,
    pub people_communities: Vec<i64>,
    /// This session passed the second factor (TOTP): needed to reveal or export personal data.
    pub mfa: bool,
}

impl Actor {
    /// The user a command-line action is done as (and audited under).
    pub fn load_by_username(conn: &mut Conn, username: &str) -> StoreResult<Actor> {
        let id = id_by_username(conn, username)?;
        Actor::load(conn, id)
    }

    /// The command line's reader of figures (`shequ report`, run by whoever runs the server):
    /// the whole tree, counts only. It may open no personal data, so the records behind a
    /// figure stay closed to it.
    pub fn figures_reader(conn: &mut Conn) -> StoreResult<Actor> {
        let (nodes, communities) = load_nodes(
            conn,
            "SELECT n.id, n.path, n.kind, n.community_id FROM org_nodes n
             WHERE n.parent_id IS NULL AND n.retired_on IS NULL ORDER BY n.path",
            &[],
        )?;
        Ok(Actor {
            user_id: 0,
            username: "report".into(),
            display_name: "命令行统计".into(),
            role: Role::DistrictAdmin,
            nodes,
            communities,
            people_nodes: Vec::new(),
            people_communities: Vec::new(),
            mfa: false,
        })
    }

    pub fn load(conn: &mut Conn, user_id: i64) -> StoreResult<Actor> {
        let u = conn
            .query_opt(
                "SELECT username, display_name, role FROM users WHERE id = ? AND active = 1",
                params![user_id],
            )?
            .ok_or_else(|| StoreError::NotFound("用户".into()))?;
        Actor::with_scope(conn, user_id, u.get(0)?, u.get(1)?, &u.get::<String>(2)?)
    }

    /// The actor of a user row already read (`users::resume_without_writing` reads it with the session):
    /// its scope, and where it may open personal data.
    pub(crate) fn with_scope(
        conn: &mut Conn,
        user_id: i64,
        username: String,
        display_name: String,
        role_text: &str,
    ) -> StoreResult<Actor> {
        let role = Role::parse(role_text)
            .ok_or_else(|| StoreError::Conflict(format!("用户角色“{role_text}”无法识别")))?;
        let nodes = load_nodes(
            conn,
            "SELECT n.id, n.path, n.kind, n.community_id FROM user_scopes s JOIN org_nodes n ON n.id = s.node_id
             WHERE s.user_id = ? ORDER BY n.path",
            params![user_id],
        )?;
        let (people_nodes, people_communities) = if role.reads_people() {
            (nodes.0.clone(), nodes.1.clone())
        } else if role.may_be_granted_people() {
            let granted = load_nodes(
                conn,
                "SELECT n.id, n.path, n.kind, n.community_id FROM data_grants g JOIN org_nodes n ON n.id = g.node_id
                 WHERE g.user_id = ? AND g.revoked_at IS NULL ORDER BY n.path",
                params![user_id],
            )?;
            // A grant reaches no further than the user's own area.
            let inside: Vec<ScopeNode> = granted
                .0
                .into_iter()
                .filter(|g| nodes.0.iter().any(|n| g.path.starts_with(&n.path)))
                .collect();
            let communities = granted
                .1
                .into_iter()
                .filter(|c| nodes.1.contains(c))
                .collect();
            (inside, communities)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(Actor {
            user_id,
            username,
            display_name,
            role,
            nodes: nodes.0,
            communities: nodes.1,
            people_nodes,
            people_communities,
            mfa: false,
        })
    }

    /// May this user open personal data anywhere at all?
    pub fn reads_people(&self) -> bool {
        !self.people_nodes.is_empty()
    }

    /// May this user open the personal data of a record at `path`?
    pub fn sees_people_at(&self, path: &str) -> bool {
        self.people_nodes.iter().any(|n| path.starts_with(&n.path))
    }

    /// `path_filter` over where personal data may be opened.
    pub fn people_path_filter(&self, col: &str) -> (String, Vec<Value>) {
        path_filter(&self.people_nodes, col)
    }

    /// `community_filter` over where personal data may be opened.
    pub fn people_community_filter(&self, col: &str) -> (String, Vec<Value>) {
        community_filter(&self.people_communities, col)
    }

    pub fn sees_path(&self, path: &str) -> bool {
        self.nodes.iter().any(|n| path.starts_with(&n.path))
    }

    /// Is `path` an ancestor of one of my nodes (shown as breadcrumbs, not opened)?
    pub fn is_above_scope(&self, path: &str) -> bool {
        self.nodes.iter().any(|n| n.path.starts_with(path))
    }

    /// `(col >= ? AND col < ?) OR …` for each scope node, with its parameters. An actor with
    /// no scope gets a condition that matches nothing.
    pub fn path_filter(&self, col: &str) -> (String, Vec<Value>) {
        path_filter(&self.nodes, col)
    }

    /// `col IN (?, …)` over the communities of my scope.
    pub fn community_filter(&self, col: &str) -> (String, Vec<Value>) {
        community_filter(&self.communities, col)
    }

    pub fn require(&self, allowed: bool, what: &str) -> StoreResult<()> {
        if allowed {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!(
                "您的角色（{}）无权{what}",
                self.role.label()
            )))
        }
    }
}

fn path_filter(nodes: &[ScopeNode], col: &str) -> (String, Vec<Value>) {
    if nodes.is_empty() {
        return ("1 = 0".into(), vec![]);
    }
    let mut parts = Vec::new();
    let mut vals = Vec::new();
    for n in nodes {
        parts.push(format!("({col} >= ? AND {col} < ?)"));
        vals.push(Value::from(n.path.as_str()));
        vals.push(Value::from(prefix_end(&n.path)));
    }
    (format!("({})", parts.join(" OR ")), vals)
}

fn community_filter(communities: &[i64], col: &str) -> (String, Vec<Value>) {
    if communities.is_empty() {
        return ("1 = 0".into(), vec![]);
    }
    let marks = vec!["?"; communities.len()].join(", ");
    (
        format!("{col} IN ({marks})"),
        communities.iter().map(|c| Value::Int(*c)).collect(),
    )
}

/// Nodes of a query `(id, path, kind, community_id)` for one user, and every community they
/// touch (a node above communities touches all communities beneath it).
fn load_nodes(
    conn: &mut Conn,
    sql: &str,
    args: &[Value],
) -> StoreResult<(Vec<ScopeNode>, Vec<i64>)> {
    let mut nodes = Vec::new();
    let mut communities = Vec::new();
    for r in conn.query(sql, args)? {
        let kind: String = r.get(2)?;
        let node = ScopeNode {
            id: r.get(0)?,
            path: r.get(1)?,
            kind: NodeKind::parse(&kind).unwrap_or(NodeKind::Room),
        };
        match r.get::<Option<i64>>(3)? {
            // At or below a community: exactly one community.
            Some(c) => communities.push(c),
            None => {
                for c in conn.query(
                    "SELECT id FROM org_nodes WHERE kind = 'community' AND path >= ? AND path < ?",
                    params![node.path.as_str(), prefix_end(&node.path)],
                )? {
                    communities.push(c.get::<i64>(0)?);
                }
            }
        }
        nodes.push(node);
    }
    communities.sort_unstable();
    communities.dedup();
    Ok((nodes, communities))
}

/// The kinds of record a route's `{id}` can name. Each kind's SQL lives beside its line of
/// work (a `RECORD: RecordSql`), and `crate::records` reaches it through one exhaustive match:
/// a kind can't be added without saying where its records sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Node,
    Person,
    Tag,
    Group,
    Unit,
    Ticket,
    Attachment,
    Mediation,
}

impl RecordKind {
    /// The name `shequ routes` prints for a route whose `{id}` names this kind (the
    /// authorisation test reads it).
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordKind::Node => "node",
            RecordKind::Person => "person",
            RecordKind::Tag => "tag",
            RecordKind::Group => "group",
            RecordKind::Unit => "unit",
            RecordKind::Ticket => "ticket",
            RecordKind::Attachment => "attachment",
            RecordKind::Mediation => "mediation_case",
        }
    }
}

/// How one kind of record is found by its id, kept beside the module that owns the table.
#[derive(Debug, Clone, Copy)]
pub struct RecordSql {
    /// `SELECT <area path> … WHERE <id> = ?`: where a record sits in the tree, to refuse one
    /// outside the caller's area before any handler runs.
    pub area: &'static str,
    /// `SELECT version … WHERE id = ?`, or None for kinds edited without a version.
    pub version: Option<&'static str>,
}

/// The id of an account named on the command line, or a message naming it.
pub(crate) fn id_by_username(conn: &mut Conn, username: &str) -> StoreResult<i64> {
    Ok(conn
        .query_opt(
            "SELECT id FROM users WHERE username = ?",
            params![username.trim()],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("用户“{}”", username.trim())))?
        .get(0)?)
}
