//! 一表通: forms a street (or district) sends its communities. A form is created from the
//! layout of the street's own .xlsx (`shequ_ingest::form`), its value cells bound to catalogue
//! indicators (suggested by name, then set on a page), and published for a period. Each
//! community's copy is filled from its records by the catalogue, the community types what no
//! record holds and submits; every submission is kept as a new version. A copy above the
//! communities adds up their latest submissions and names who has not submitted.

use std::collections::HashMap;

use serde::Serialize;
use shequ_domain::figures::Period;
use shequ_domain::forms::{Binding, FormError, Layout, Value, parse_number, parse_text};
use shequ_domain::registry::org::NodeKind;

use crate::access::audit::{self, By, Event};
use crate::db::{Conn, Row, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::indicators::catalogue;
use crate::params;
use crate::registry::tree::{self, NODE_COLS, Node};
use crate::{Actor, clock};

/// A form as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Form {
    pub id: i64,
    /// The node that sent it (a street or the district).
    pub node_id: i64,
    pub node_name: String,
    pub node_path: String,
    pub title: String,
    pub layout: Layout,
    /// Set when published.
    pub period: Option<Period>,
    pub created_at: String,
    pub created_by: String,
    pub published_at: Option<String>,
    pub published_by: Option<String>,
    pub version: i64,
}

impl Form {
    pub fn published(&self) -> bool {
        self.published_at.is_some()
    }

    fn from_row(r: &Row) -> StoreResult<Form> {
        let id: i64 = r.get(0)?;
        let layout: String = r.get(5)?;
        let layout: Layout = serde_json::from_str(&layout)
            .map_err(|e| StoreError::Output(format!("表格 {id} 的格式无法读取：{e}")))?;
        let period: Option<String> = r.get(6)?;
        Ok(Form {
            id,
            node_id: r.get(1)?,
            node_name: r.get(2)?,
            node_path: r.get(3)?,
            title: r.get(4)?,
            layout,
            period: period.and_then(|p| Period::parse(&p).ok()),
            created_at: r.get(7)?,
            created_by: r.get(8)?,
            published_at: r.get(9)?,
            published_by: r.get(10)?,
            version: r.get(11)?,
        })
    }
}

const FORM_COLS: &str = "f.id, f.node_id, n.name, n.path, f.title, f.layout, f.period, \
     f.created_at, f.created_by, f.published_at, f.published_by, f.version";

/// One submitted version of a community's copy.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = FormVersion)]
pub struct Version {
    pub version: i64,
    pub submitted_by: String,
    pub submitted_at: String,
}

/// A community under a copy that adds up, and its latest submission.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = FormStanding)]
pub struct Standing {
    pub community_id: i64,
    pub community_name: String,
    pub latest: Option<Version>,
}

/// A form's copy at one node.
#[derive(Debug, Clone, Serialize)]
pub struct Copy {
    pub form: Form,
    pub node: Node,
    pub kind: CopyKind,
}

#[derive(Debug, Clone, Serialize)]
pub enum CopyKind {
    /// A community's copy: its figures computed now (`live`, typed cells from the latest
    /// submission) and what it last submitted.
    Community {
        live: Vec<Vec<Value>>,
        submitted: Option<(Version, Vec<Vec<Value>>)>,
        versions: Vec<Version>,
    },
    /// The copy of a node above the communities: their latest submissions added up.
    Sum {
        cells: Vec<Vec<Value>>,
        communities: Vec<Standing>,
    },
    /// A form not yet published, seen by whoever sends it: its bindings.
    Draft,
}

/// A form in a list, with what the viewer's node has done with it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = FormListed)]
pub struct Listed {
    pub id: i64,
    pub title: String,
    pub from: String,
    pub period: Option<String>,
    pub published: bool,
    /// At a community: its latest version; above: how many communities submitted, of how many.
    pub standing: String,
}

fn invalid(e: FormError) -> StoreError {
    StoreError::invalid("一表通", e.to_string())
}

fn load(conn: &mut Conn, form_id: i64) -> StoreResult<Form> {
    let row = conn
        .query_opt(
            &format!(
                "SELECT {FORM_COLS} FROM report_forms f JOIN org_nodes n ON n.id = f.node_id \
                 WHERE f.id = ?"
            ),
            params![form_id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("表格 {form_id}")))?;
    Form::from_row(&row)
}

/// The form `form_id` as seen from `node_id` (in the actor's area): the node must be the
/// sender or below it, and a draft is seen only from the sender's own area.
fn at_node(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    form_id: i64,
) -> StoreResult<(Node, Form)> {
    let node = tree::get(conn, actor, node_id)?;
    let form = load(conn, form_id)?;
    let below = node.path.starts_with(&form.node_path);
    if !below || (!form.published() && !actor.sees_path(&form.node_path)) {
        return Err(StoreError::NotFound(format!("表格 {form_id}")));
    }
    Ok((node, form))
}

/// A form from the layout of a street's .xlsx, its cells bound where an indicator's name
/// matches the row and column. Only a street or the district sends forms. Audited.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    mut layout: Layout,
) -> StoreResult<i64> {
    actor.require(actor.role.publishes_forms(), "下发一表通")?;
    let node = tree::get(conn, actor, node_id)?;
    if node.kind >= NodeKind::Community {
        return Err(StoreError::invalid(
            "下发单位",
            "一表通由街道或区下发给社区：请在街道（或区）的页面上传表格",
        ));
    }
    layout.check().map_err(invalid)?;
    suggest(&mut layout);
    let json = serde_json::to_string(&layout).map_err(|e| StoreError::Output(e.to_string()))?;
    conn.transaction(|c| {
        let id = c.insert(
            "INSERT INTO report_forms (node_id, title, layout, created_at, created_by) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
            params![
                node.id,
                layout.title.as_str(),
                json.as_str(),
                clock::now(),
                actor.display_name.as_str()
            ],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("form.create", format!("form:{id}")).with(serde_json::json!({
                "表格": layout.title, "下发单位": node.name,
                "行": layout.rows.len(), "列": layout.columns(),
            })),
        )?;
        Ok(id)
    })
}

/// Binds every number cell whose row and column name an indicator: "实有人口" × "数量",
/// "低保" × "户数" → 低保户数 …; the rest stay for the community to type.
fn suggest(layout: &mut Layout) {
    let names: HashMap<String, &'static str> = catalogue::all()
        .map(|(_, i)| (normal(i.name), i.code))
        .collect();
    let generic = [
        "数量",
        "数",
        "合计",
        "总数",
        "数值",
        "本期",
        "本期数",
        "统计数",
        "情况",
    ];
    let columns = layout.columns();
    for r in 0..layout.rows.len() {
        let row = normal(&layout.row_name(r));
        for c in 0..columns {
            if layout.rows[r].cells[c] != Binding::Number {
                continue;
            }
            let col_name = layout.column_name(c);
            let col = normal(col_name.rsplit('·').next().unwrap_or(&col_name));
            let whole_col = normal(&col_name);
            let mut tries = vec![
                format!("{row}{col}"),
                format!("{row}{whole_col}"),
                format!("{whole_col}{row}"),
            ];
            if columns == 1 || generic.contains(&col.as_str()) {
                tries.push(row.clone());
            }
            if let Some(code) = tries.iter().find_map(|t| names.get(t)) {
                layout.rows[r].cells[c] = Binding::Figure {
                    code: (*code).to_string(),
                };
            }
        }
    }
}

/// A name as compared: no spaces, brackets or colons, no leading 其中.
fn normal(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '（' | '）' | '(' | ')' | '：' | ':' | '、'))
        .collect();
    s.trim_start_matches("其中").to_string()
}

/// Sets the bindings of a draft, cell by cell (`bindings[r][c]` as the editor writes them:
/// an indicator code, `#`, `文字` or nothing). An unknown code is refused with its cell, and
/// nothing changes. Audited.
pub fn bind(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    form_id: i64,
    version: i64,
    bindings: &HashMap<(usize, usize), String>,
) -> StoreResult<Form> {
    actor.require(actor.role.publishes_forms(), "设置一表通")?;
    let (_, mut form) = at_node(conn, actor, node_id, form_id)?;
    editable(actor, &form, version)?;
    let mut problems = Vec::new();
    for r in 0..form.layout.rows.len() {
        for c in 0..form.layout.columns() {
            let Some(typed) = bindings.get(&(r, c)) else {
                continue;
            };
            let b = Binding::parse(typed);
            if let Binding::Figure { code } = &b
                && catalogue::find(code).is_none()
            {
                problems.push(format!(
                    "{}：没有编号为“{code}”的指标，请从列表中选择，或填 # 由社区手填",
                    form.layout.place(r, c)
                ));
                continue;
            }
            form.layout.rows[r].cells[c] = b;
        }
    }
    refuse(problems)?;
    let json =
        serde_json::to_string(&form.layout).map_err(|e| StoreError::Output(e.to_string()))?;
    let bound = form.layout.codes().len();
    conn.transaction(|c| {
        let n = c.execute(
            "UPDATE report_forms SET layout = ?, version = version + 1 WHERE id = ? AND version = ?",
            params![json.as_str(), form.id, version],
        )?;
        if n == 0 {
            return Err(stale());
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("form.bind", format!("form:{}", form.id))
                .with(serde_json::json!({ "表格": form.title, "绑定指标": bound })),
        )
    })?;
    load(conn, form.id)
}

fn stale() -> StoreError {
    StoreError::Conflict("这张表格刚被别人修改过，请刷新页面后重新操作".into())
}

/// A draft, at the version the editor was based on, in the actor's own area.
fn editable(actor: &Actor, form: &Form, version: i64) -> StoreResult<()> {
    if !actor.sees_path(&form.node_path) {
        return Err(StoreError::Forbidden(format!(
            "“{}”由{}下发，只有下发单位可以修改",
            form.title, form.node_name
        )));
    }
    if form.published() {
        return Err(StoreError::Conflict(format!(
            "“{}”已经下发，不能再修改；如需改动，请重新上传一张表格",
            form.title
        )));
    }
    if form.version != version {
        return Err(stale());
    }
    Ok(())
}

fn refuse(problems: Vec<String>) -> StoreResult<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let more = problems.len().saturating_sub(5);
    let mut text = problems.into_iter().take(5).collect::<Vec<_>>().join("；");
    if more > 0 {
        text.push_str(&format!("；另有 {more} 处"));
    }
    Err(StoreError::invalid("一表通", text))
}

/// Publishes a draft for `period`: from now on each community below sees its copy. Audited.
pub fn publish(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    form_id: i64,
    version: i64,
    period: &Period,
) -> StoreResult<Form> {
    actor.require(actor.role.publishes_forms(), "下发一表通")?;
    let (_, form) = at_node(conn, actor, node_id, form_id)?;
    editable(actor, &form, version)?;
    if !form.layout.bound() {
        return Err(invalid(FormError::NothingBound));
    }
    let communities = communities_under(conn, &form.node_path)?;
    conn.transaction(|c| {
        let n = c.execute(
            "UPDATE report_forms SET period = ?, published_at = ?, published_by = ?, \
             version = version + 1 WHERE id = ? AND version = ? AND published_at IS NULL",
            params![
                period.to_string(),
                clock::now(),
                actor.display_name.as_str(),
                form.id,
                version
            ],
        )?;
        if n == 0 {
            return Err(stale());
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("form.publish", format!("form:{}", form.id)).with(serde_json::json!({
                "表格": form.title, "期间": period.label(), "社区数": communities.len(),
            })),
        )
    })?;
    load(conn, form.id)
}

/// The communities below `path` that are not retired, in the tree's order.
fn communities_under(conn: &mut Conn, path: &str) -> StoreResult<Vec<Node>> {
    let rows = conn.query(
        &format!(
            "SELECT {NODE_COLS} FROM org_nodes WHERE kind = 'community' AND retired_on IS NULL \
             AND path >= ? AND path < ? ORDER BY sort_order, length(name), name"
        ),
        params![path, prefix_end(path)],
    )?;
    rows.iter().map(Node::from_row).collect()
}

fn versions(conn: &mut Conn, form_id: i64, community_id: i64) -> StoreResult<Vec<Version>> {
    let rows = conn.query(
        "SELECT version, submitted_by, submitted_at FROM form_returns \
         WHERE form_id = ? AND community_id = ? ORDER BY version DESC",
        params![form_id, community_id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.get(0)?,
                submitted_by: r.get(1)?,
                submitted_at: r.get(2)?,
            })
        })
        .collect()
}

/// A submission: its version, and every cell as it stood.
type Submitted = (Version, Vec<Vec<Value>>);

/// Each community's latest submission of a form under `path`: its version and its cells.
fn latest_returns(
    conn: &mut Conn,
    form_id: i64,
    path: &str,
) -> StoreResult<HashMap<i64, Submitted>> {
    let rows = conn.query(
        "SELECT r.community_id, r.version, r.submitted_by, r.submitted_at, r.cells \
         FROM form_returns r JOIN org_nodes n ON n.id = r.community_id \
         WHERE r.form_id = ? AND n.path >= ? AND n.path < ? AND r.version = \
           (SELECT max(x.version) FROM form_returns x \
             WHERE x.form_id = r.form_id AND x.community_id = r.community_id)",
        params![form_id, path, prefix_end(path)],
    )?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        let cells: String = r.get(4)?;
        let cells = serde_json::from_str(&cells)
            .map_err(|e| StoreError::Output(format!("报送内容无法读取：{e}")))?;
        let version = Version {
            version: r.get(1)?,
            submitted_by: r.get(2)?,
            submitted_at: r.get(3)?,
        };
        out.insert(r.get::<i64>(0)?, (version, cells));
    }
    Ok(out)
}

/// The copy of a form at a node: a community's own, or the sum of the communities below.
pub fn open(conn: &mut Conn, actor: &Actor, node_id: i64, form_id: i64) -> StoreResult<Copy> {
    let (node, form) = at_node(conn, actor, node_id, form_id)?;
    let kind = if !form.published() {
        CopyKind::Draft
    } else if node.kind == NodeKind::Community {
        let versions = versions(conn, form.id, node.id)?;
        let submitted = latest_returns(conn, form.id, &node.path)?.remove(&node.id);
        let typed = submitted.as_ref().map(|(_, cells)| cells.as_slice());
        let live = fill(conn, actor, &node, &form, typed, None)?;
        CopyKind::Community {
            live,
            submitted,
            versions,
        }
    } else if node.kind < NodeKind::Community {
        let mut cells = empty(&form.layout);
        let mut communities = Vec::new();
        let mut latest = latest_returns(conn, form.id, &node.path)?;
        for community in communities_under(conn, &node.path)? {
            let latest = latest.remove(&community.id);
            if let Some((_, theirs)) = &latest {
                for (row, their_row) in cells.iter_mut().zip(theirs) {
                    for (cell, their) in row.iter_mut().zip(their_row) {
                        *cell = cell.plus(their);
                    }
                }
            }
            communities.push(Standing {
                community_id: community.id,
                community_name: community.name,
                latest: latest.map(|(v, _)| v),
            });
        }
        CopyKind::Sum { cells, communities }
    } else {
        return Err(StoreError::invalid(
            "一表通",
            "一表通按社区填报：请在社区（或街道）的页面打开这张表格",
        ));
    };
    Ok(Copy { form, node, kind })
}

fn empty(layout: &Layout) -> Vec<Vec<Value>> {
    vec![vec![Value::Empty; layout.columns()]; layout.rows.len()]
}

/// A community's cells: the figures of its records for the form's period, the typed cells
/// from `typed` (the latest submission) or `fresh` (what was just typed, already read).
fn fill(
    conn: &mut Conn,
    actor: &Actor,
    community: &Node,
    form: &Form,
    typed: Option<&[Vec<Value>]>,
    fresh: Option<&[Vec<Value>]>,
) -> StoreResult<Vec<Vec<Value>>> {
    let period = form
        .period
        .ok_or_else(|| StoreError::Conflict(format!("“{}”还没有下发", form.title)))?;
    let codes = form.layout.codes();
    let figures = catalogue::compute(conn, actor, community, &period, &codes)?;
    let mut out = empty(&form.layout);
    for (r, row) in form.layout.rows.iter().enumerate() {
        for (c, b) in row.cells.iter().enumerate() {
            out[r][c] = match b {
                Binding::Blank => Value::Empty,
                Binding::Figure { code } => figures
                    .iter()
                    .find(|f| f.code == code)
                    .map_or(Value::Empty, |f| Value::Figure { amount: f.amount }),
                Binding::Number | Binding::Text => fresh
                    .or(typed)
                    .and_then(|t| t.get(r)?.get(c).cloned())
                    .unwrap_or(Value::Empty),
            };
        }
    }
    Ok(out)
}

/// Submits a community's copy: its figures computed now, the typed cells as given
/// (`typed[(r, c)]`, read as the cell's kind; a wrong one is refused with its cell and nothing
/// is kept). Each submission is the next version. Audited.
pub fn submit(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    form_id: i64,
    typed: &HashMap<(usize, usize), String>,
) -> StoreResult<Version> {
    actor.require(actor.role.fills_forms(), "报送一表通")?;
    let (node, form) = at_node(conn, actor, node_id, form_id)?;
    if node.kind != NodeKind::Community || !form.published() {
        return Err(StoreError::invalid(
            "一表通",
            "一表通由社区报送：请在本社区的页面打开这张表格",
        ));
    }
    let mut read = empty(&form.layout);
    let mut problems = Vec::new();
    for (r, row) in form.layout.rows.iter().enumerate() {
        for (c, b) in row.cells.iter().enumerate() {
            let given = typed.get(&(r, c)).map_or("", String::as_str);
            let place = form.layout.place(r, c);
            let value = match b {
                Binding::Number => parse_number(&place, given)
                    .map(|v| v.map_or(Value::Empty, |value| Value::Number { value })),
                Binding::Text => parse_text(&place, given)
                    .map(|t| t.map_or(Value::Empty, |text| Value::Text { text })),
                _ => Ok(Value::Empty),
            };
            match value {
                Ok(v) => read[r][c] = v,
                Err(e) => problems.push(e.to_string()),
            }
        }
    }
    refuse(problems)?;
    let cells = fill(conn, actor, &node, &form, None, Some(&read))?;
    let json = serde_json::to_string(&cells).map_err(|e| StoreError::Output(e.to_string()))?;
    let now = clock::now();
    let version = conn.transaction(|c| {
        let version = c.scalar(
            "SELECT coalesce(max(version), 0) + 1 FROM form_returns \
             WHERE form_id = ? AND community_id = ?",
            params![form.id, node.id],
        )?;
        c.execute(
            "INSERT INTO form_returns (form_id, community_id, version, cells, user_id, \
             submitted_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![
                form.id,
                node.id,
                version,
                json.as_str(),
                actor.user_id,
                actor.display_name.as_str(),
                now.as_str()
            ],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("form.submit", format!("form:{}", form.id)).with(serde_json::json!({
                "表格": form.title, "社区": node.name, "版本": version,
            })),
        )?;
        Ok::<i64, StoreError>(version)
    })?;
    Ok(Version {
        version,
        submitted_by: actor.display_name.clone(),
        submitted_at: now,
    })
}

/// The forms a node deals with: those it (or a node above it) sent, published ones only from
/// above; at a community, its latest version; above, how many of its communities submitted.
pub fn list(conn: &mut Conn, actor: &Actor, node_id: i64) -> StoreResult<Vec<Listed>> {
    let node = tree::get(conn, actor, node_id)?;
    let mut forms = Vec::new();
    let lineage: Vec<crate::db::Value> = node.lineage().into_iter().map(Into::into).collect();
    let marks = vec!["?"; lineage.len()].join(",");
    for r in &conn.query(
        &format!(
            "SELECT {FORM_COLS} FROM report_forms f JOIN org_nodes n ON n.id = f.node_id \
             WHERE f.node_id IN ({marks}) ORDER BY f.id DESC"
        ),
        &lineage,
    )? {
        let form = Form::from_row(r)?;
        if form.published() || actor.sees_path(&form.node_path) {
            forms.push(form);
        }
    }
    let communities = if node.kind < NodeKind::Community {
        communities_under(conn, &node.path)?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(forms.len());
    for f in forms {
        let standing = if !f.published() {
            "草稿（未下发）".to_string()
        } else if node.kind == NodeKind::Community {
            match versions(conn, f.id, node.id)?.first() {
                Some(v) => format!("已报送第{}版", v.version),
                None => "未报送".to_string(),
            }
        } else if node.kind < NodeKind::Community {
            let done = conn.scalar(
                "SELECT count(DISTINCT r.community_id) FROM form_returns r \
                 JOIN org_nodes n ON n.id = r.community_id \
                 WHERE r.form_id = ? AND n.path >= ? AND n.path < ? AND n.retired_on IS NULL",
                params![f.id, node.path.as_str(), prefix_end(&node.path)],
            )?;
            format!("已报送 {done}/{} 个社区", communities.len())
        } else {
            String::new()
        };
        out.push(Listed {
            id: f.id,
            title: f.title,
            from: f.node_name,
            period: f.period.map(|p| p.label()),
            published: f.published_at.is_some(),
            standing,
        });
    }
    Ok(out)
}
