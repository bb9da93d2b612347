//! Who is acting and where they may look. Every query that returns records takes an `Actor`
//! and puts its scope into the SQL itself (never filtering after loading).

use shequ_domain::org::NodeKind;
use shequ_domain::roles::Role;

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
}

impl Actor {
    pub fn load(conn: &mut Conn, user_id: i64) -> StoreResult<Actor> {
        let u = conn
            .query_opt(
                "SELECT username, display_name, role FROM users WHERE id = ? AND active = 1",
                params![user_id],
            )?
            .ok_or_else(|| StoreError::NotFound("用户".into()))?;
        let role_text: String = u.get(2)?;
        let role = Role::parse(&role_text)
            .ok_or_else(|| StoreError::Conflict(format!("用户角色“{role_text}”无法识别")))?;
        let mut nodes = Vec::new();
        let mut communities = Vec::new();
        for r in conn.query(
            "SELECT n.id, n.path, n.kind, n.community_id FROM user_scopes s JOIN org_nodes n ON n.id = s.node_id
             WHERE s.user_id = ? ORDER BY n.path",
            params![user_id],
        )? {
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
        Ok(Actor {
            user_id,
            username: u.get(0)?,
            display_name: u.get(1)?,
            role,
            nodes,
            communities,
        })
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
        if self.nodes.is_empty() {
            return ("1 = 0".into(), vec![]);
        }
        let mut parts = Vec::new();
        let mut vals = Vec::new();
        for n in &self.nodes {
            parts.push(format!("({col} >= ? AND {col} < ?)"));
            vals.push(Value::from(n.path.as_str()));
            vals.push(Value::from(prefix_end(&n.path)));
        }
        (format!("({})", parts.join(" OR ")), vals)
    }

    /// `col IN (?, …)` over the communities of my scope.
    pub fn community_filter(&self, col: &str) -> (String, Vec<Value>) {
        if self.communities.is_empty() {
            return ("1 = 0".into(), vec![]);
        }
        let marks = vec!["?"; self.communities.len()].join(", ");
        (
            format!("{col} IN ({marks})"),
            self.communities.iter().map(|c| Value::Int(*c)).collect(),
        )
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
