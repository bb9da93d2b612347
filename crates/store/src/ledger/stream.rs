//! A catalogue ledger's rows, handed to a sink a row at a time: the ids of the rows are
//! selected once by the figures' own rule (8 bytes a row), then the rows are read and handed
//! on a thousand at a time, so a 100,000-row ledger never sits in memory. The export is
//! permitted, scoped and audited here; the sink only lays rows out (an .xlsx in
//! `shequ_ledgers`).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use shequ_domain::figures::Period;
use shequ_domain::registry::tags::tag_kind;

use super::MAX_ROWS;
use super::catalogue::{self, Col, Ledger, Sheet, Val};
use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::access::sealed::{Sealer, load_details, sealer};
use crate::db::{Conn, Row, Value};
use crate::error::{StoreError, StoreResult};
use crate::indicators::catalogue::matching;
use crate::registry::search::age_on;
use crate::registry::tree::{self, Node, path_ids};

/// Rows read from the database at a time.
const CHUNK: usize = 1_000;

/// One cell of a ledger row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Date(NaiveDate),
}

/// What a sheet starts with.
pub struct Head<'a> {
    pub name: &'a str,
    /// "凤熙社区走访记录台账".
    pub title: String,
    /// "2024年 · 共 213 次".
    pub note: String,
    pub columns: &'a [Col],
    pub rows: usize,
}

/// Where the rows go. An error is the message to show; it stops the export.
pub trait Sink {
    fn sheet(&mut self, head: Head<'_>) -> Result<(), String>;
    /// A heading row before the rows of one community (a street's ledger).
    fn group(&mut self, text: &str) -> Result<(), String>;
    fn row(&mut self, cells: Vec<Cell>) -> Result<(), String>;
}

/// What was exported, for the file name and the caller's checks.
#[derive(Debug, Clone)]
pub struct Exported {
    pub ledger: Ledger,
    pub place: String,
    pub period: Period,
    /// Rows of each sheet, in order.
    pub rows: Vec<usize>,
}

/// Writes ledger `code` of node `node_id` over `period` into `sink`, within `actor`'s scope,
/// and audits the export with its row counts. Personal ledgers need the export permission,
/// the second factor and the people scope at the node, as every export of people does.
pub fn export(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    period: &Period,
    code: &str,
    sink: &mut dyn Sink,
) -> StoreResult<Exported> {
    let ledger = catalogue::find(code).ok_or_else(|| {
        StoreError::invalid(
            "台账",
            format!("没有编号为“{code}”的台账，请在台账页面选择"),
        )
    })?;
    let node = tree::get(conn, actor, node_id)?;
    if ledger.personal {
        actor.require(actor.role.exports_people(), &format!("导出{}", ledger.name))?;
        crate::access::second_factor::require(actor)?;
        if !actor.sees_people_at(&node.path) {
            return Err(StoreError::Forbidden(format!(
                "您无权导出“{}”的{}",
                node.name, ledger.name
            )));
        }
    }
    let mut places = Labels::default();
    let mut rows = Vec::with_capacity(ledger.sheets.len());
    for sheet in &ledger.sheets {
        rows.push(write_sheet(
            conn,
            actor,
            (&node, period),
            (&ledger, sheet),
            &mut places,
            sink,
        )?);
    }
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("export", format!("node:{node_id}")).with(serde_json::json!({
            "台账": ledger.name,
            "范围": node.name,
            "期间": period.label(),
            "行数": rows.iter().sum::<usize>(),
        })),
    )?;
    Ok(Exported {
        ledger,
        place: node.name,
        period: *period,
        rows,
    })
}

/// `{as_of}`, `{first}` and `{last}` in a definition's SQL, as date literals (dates, never
/// input, so inlining them is safe).
fn dated(sql: &str, period: &Period, as_of: NaiveDate) -> String {
    sql.replace("{as_of}", &format!("'{as_of}'"))
        .replace("{first}", &format!("'{}'", period.first()))
        .replace("{last}", &format!("'{}'", period.last()))
}

fn write_sheet(
    conn: &mut Conn,
    actor: &Actor,
    (node, period): (&Node, &Period),
    (ledger, sheet): (&Ledger, &Sheet),
    places: &mut Labels,
    sink: &mut dyn Sink,
) -> StoreResult<usize> {
    let as_of = period.as_of(crate::clock::today());
    let when = dated(&sheet.when, period, as_of);
    let mut ids = matching(
        conn,
        actor,
        node,
        period,
        sheet.source,
        (sheet.key, &when, sheet.params),
        sheet.order,
        ledger.personal,
    )?;
    // A row joined twice (two open spans of one record) is listed once; the ids are checked
    // sorted first, as they nearly always are unique.
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        let mut seen = HashSet::with_capacity(ids.len());
        ids.retain(|id| seen.insert(*id));
    }
    drop(sorted);
    if ids.len() > MAX_ROWS {
        return Err(StoreError::invalid(
            "范围",
            format!(
                "{}有 {} 行，一次最多导出 {MAX_ROWS} 行，请选择更小的范围（例如一个社区）或更短的期间",
                sheet.title,
                ids.len()
            ),
        ));
    }
    let as_of_note = if as_of < period.last() {
        format!("（截至{}）", as_of.format("%Y年%m月%d日"))
    } else {
        String::new()
    };
    sink.sheet(Head {
        name: &sheet.name,
        title: format!("{}{}", node.name, sheet.title),
        note: format!(
            "{}{as_of_note} · 共 {} {}",
            period.label(),
            ids.len(),
            sheet.word
        ),
        columns: &sheet.columns,
        rows: ids.len(),
    })
    .map_err(StoreError::Output)?;
    let select = Select::of(sheet, period, as_of);
    let s = sealer()?;
    // A street's (or district's) ledger is read community by community.
    let by_community = node.community_id.is_none();
    let mut current: Option<String> = None;
    let mut seq = 0i64;
    for chunk in ids.chunks(CHUNK) {
        let rows = select.rows(conn, chunk)?;
        let paths: Vec<&str> = rows.values().map(|r| r.path.as_str()).collect();
        places.load(conn, &paths)?;
        let lookups = select.lookups(conn, &rows, as_of)?;
        for id in chunk {
            let Some(row) = rows.get(id) else { continue };
            let place = places.place(&row.path);
            if by_community && current.as_deref() != Some(place.community.as_str()) {
                sink.group(&place.community).map_err(StoreError::Output)?;
                current = Some(place.community.clone());
            }
            seq += 1;
            let cells = select.cells(row, (seq, as_of), &place, &lookups, &s)?;
            sink.row(cells).map_err(StoreError::Output)?;
        }
    }
    Ok(ids.len())
}

/// A row as read: its place and its columns' values.
struct Read {
    path: String,
    values: Row,
}

/// The SQL reading a sheet's rows by id: the key, the place, each column's expression (a
/// computed one reads nothing), then the tag's kind, class and details where a column
/// shows a detail.
struct Select<'a> {
    sheet: &'a Sheet,
    sql_head: String,
    /// The index in the row of each column's value (None: computed in Rust).
    at: Vec<Option<usize>>,
    /// Where the tag's kind, class and details start.
    tag_at: Option<usize>,
}

impl<'a> Select<'a> {
    fn of(sheet: &'a Sheet, period: &Period, as_of: NaiveDate) -> Select<'a> {
        let mut exprs = vec![sheet.key.to_string(), sheet.source.path.to_string()];
        let mut at = Vec::with_capacity(sheet.columns.len());
        for c in &sheet.columns {
            let expr = match &c.val {
                Val::Text(e)
                | Val::Int(e)
                | Val::Date(e)
                | Val::Instant(e)
                | Val::Sealed(e, _)
                | Val::YesNo(e)
                | Val::Coded(e, _)
                | Val::Age(e)
                | Val::Groups(e)
                | Val::Listed(e, _) => Some(dated(e, period, as_of)),
                Val::Seq | Val::Community | Val::Grid | Val::Address | Val::Detail(_) => None,
            };
            at.push(expr.map(|e| {
                exprs.push(e);
                exprs.len() - 1
            }));
        }
        let tag_at = sheet.tag_kind.map(|_| {
            exprs.extend(["t.kind".into(), "t.category".into(), "t.details".into()]);
            exprs.len() - 3
        });
        Select {
            sheet,
            sql_head: format!(
                "SELECT {} FROM {} {} WHERE {} IN ",
                exprs.join(", "),
                sheet.source.from_on(as_of),
                dated(sheet.joins, period, as_of),
                sheet.key
            ),
            at,
            tag_at,
        }
    }

    fn rows(&self, conn: &mut Conn, ids: &[i64]) -> StoreResult<HashMap<i64, Read>> {
        let marks = vec!["?"; ids.len()].join(",");
        let args: Vec<Value> = ids.iter().map(|i| Value::Int(*i)).collect();
        let mut out = HashMap::with_capacity(ids.len());
        for r in conn.query(&format!("{}({marks})", self.sql_head), &args)? {
            let id: i64 = r.get(0)?;
            let path: String = r.get(1)?;
            out.entry(id).or_insert(Read { path, values: r });
        }
        Ok(out)
    }

    /// For each column that names things by id (a person's special groups on the as-of day,
    /// the units a patrol checked), the text of each id of this chunk; None for the others.
    fn lookups(
        &self,
        conn: &mut Conn,
        rows: &HashMap<i64, Read>,
        as_of: NaiveDate,
    ) -> StoreResult<Vec<Option<HashMap<i64, String>>>> {
        let mut out = Vec::with_capacity(self.sheet.columns.len());
        for (c, at) in self.sheet.columns.iter().zip(&self.at) {
            let (Val::Groups(_) | Val::Listed(..), Some(at)) = (&c.val, at) else {
                out.push(None);
                continue;
            };
            let mut ids = Vec::with_capacity(rows.len());
            for r in rows.values() {
                if let Some(id) = r.values.get::<Option<i64>>(*at)? {
                    ids.push(id);
                }
            }
            out.push(Some(match c.val {
                Val::Listed(_, sql) => listed(conn, sql, &ids)?,
                _ => open_groups_on(conn, &ids, as_of)?,
            }));
        }
        Ok(out)
    }

    fn cells(
        &self,
        row: &Read,
        (seq, as_of): (i64, NaiveDate),
        place: &Place,
        lookups: &[Option<HashMap<i64, String>>],
        s: &Sealer,
    ) -> StoreResult<Vec<Cell>> {
        let v = &row.values;
        let details = match self.tag_at {
            Some(t) => {
                let kind: Option<String> = v.get(t)?;
                let category: Option<String> = v.get(t + 1)?;
                let stored: Option<String> = v.get(t + 2)?;
                match (kind, stored) {
                    (Some(kind), Some(stored)) => {
                        let opened = load_details(&kind, category.as_deref(), &stored)?;
                        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&opened)
                            .unwrap_or_default()
                    }
                    _ => serde_json::Map::new(),
                }
            }
            None => serde_json::Map::new(),
        };
        let mut out = Vec::with_capacity(self.sheet.columns.len());
        for (k, (c, at)) in self.sheet.columns.iter().zip(&self.at).enumerate() {
            let text = |i: usize| -> StoreResult<Option<String>> { Ok(v.get(i)?) };
            let cell = match (&c.val, *at) {
                (Val::Seq, _) => Cell::Int(seq),
                (Val::Community, _) => Cell::Text(place.community.clone()),
                (Val::Grid, _) => Cell::Text(place.grid.clone()),
                (Val::Address, _) => Cell::Text(place.address.clone()),
                (Val::Detail(key), _) => match details.get(*key) {
                    Some(serde_json::Value::String(s)) => Cell::Text(s.clone()),
                    Some(serde_json::Value::Number(n)) => n
                        .as_i64()
                        .map_or_else(|| Cell::Text(n.to_string()), Cell::Int),
                    Some(serde_json::Value::Bool(b)) => Cell::Text(yes_no(*b).into()),
                    _ => Cell::Empty,
                },
                (_, None) => Cell::Empty,
                (Val::Text(_), Some(i)) => text(i)?.map_or(Cell::Empty, Cell::Text),
                (Val::Int(_), Some(i)) => v.get::<Option<i64>>(i)?.map_or(Cell::Empty, Cell::Int),
                (Val::Date(_), Some(i)) => match text(i)? {
                    Some(d) => d
                        .get(..10)
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                        .map_or(Cell::Text(d), Cell::Date),
                    None => Cell::Empty,
                },
                (Val::Instant(_), Some(i)) => match text(i)? {
                    Some(t) => Cell::Text(crate::clock::local_minute(&t).unwrap_or(t)),
                    None => Cell::Empty,
                },
                (Val::Sealed(_, field), Some(i)) => s
                    .open_opt(*field, text(i)?)?
                    .map_or(Cell::Empty, Cell::Text),
                (Val::YesNo(_), Some(i)) => match v.get::<Option<i64>>(i)? {
                    Some(n) => Cell::Text(yes_no(n != 0).into()),
                    None => Cell::Empty,
                },
                (Val::Coded(_, label), Some(i)) => {
                    text(i)?.map_or(Cell::Empty, |code| Cell::Text(label(&code)))
                }
                (Val::Age(_), Some(i)) => match text(i)? {
                    Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .map_or(Cell::Empty, |b| Cell::Int(age_on(b, as_of))),
                    None => Cell::Empty,
                },
                (Val::Groups(_) | Val::Listed(..), Some(i)) => {
                    let found = v.get::<Option<i64>>(i)?.and_then(|id| {
                        lookups
                            .get(k)
                            .and_then(Option::as_ref)
                            .and_then(|m| m.get(&id))
                    });
                    found.cloned().map_or(Cell::Empty, Cell::Text)
                }
            };
            out.push(cell);
        }
        Ok(out)
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// The names `sql` gives each id (`SELECT id, name … WHERE id IN`, the list appended),
/// joined as "甲、乙".
fn listed(conn: &mut Conn, sql: &str, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    let mut out: HashMap<i64, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let args: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        for r in conn.query(&format!("{sql} ({marks})"), &args)? {
            let name: String = r.get(1)?;
            let entry = out.entry(r.get(0)?).or_default();
            if !entry.is_empty() {
                entry.push('、');
            }
            entry.push_str(&name);
        }
    }
    Ok(out)
}

/// The special groups each of these people was in on `day`, as "低保、残疾".
pub(super) fn open_groups_on(
    conn: &mut Conn,
    ids: &[i64],
    day: NaiveDate,
) -> StoreResult<HashMap<i64, String>> {
    let mut out: HashMap<i64, Vec<&'static str>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut args: Vec<Value> = vec![Value::from(day), Value::from(day)];
        args.extend(chunk.iter().map(|i| Value::Int(*i)));
        for r in conn.query(
            &format!(
                "SELECT person_id, kind FROM tags WHERE started_on <= ? AND (ended_on IS NULL OR ended_on > ?)
                 AND person_id IN ({marks}) ORDER BY id"
            ),
            &args,
        )? {
            let kind: String = r.get(1)?;
            if let Some(k) = tag_kind(&kind) {
                let labels = out.entry(r.get(0)?).or_default();
                if !labels.contains(&k.label) {
                    labels.push(k.label);
                }
            }
        }
    }
    Ok(out.into_iter().map(|(k, v)| (k, v.join("、"))).collect())
}

/// The community, grid and address of a place.
#[derive(Debug, Clone, Default)]
struct Place {
    community: String,
    grid: String,
    address: String,
}

/// The kinds and names of the nodes met so far, rooms only for the current chunk: what is
/// kept is bounded by the places above the rooms, not by the rows (a ledger's rows are mostly
/// in different rooms).
#[derive(Default)]
struct Labels {
    nodes: HashMap<i64, (String, String)>,
    rooms: HashMap<i64, String>,
}

impl Labels {
    fn load(&mut self, conn: &mut Conn, paths: &[&str]) -> StoreResult<()> {
        self.rooms.clear();
        let mut missing: Vec<i64> = paths
            .iter()
            .flat_map(|p| path_ids(p))
            .filter(|id| !self.nodes.contains_key(id))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        for chunk in missing.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let args: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
            for r in conn.query(
                &format!("SELECT id, kind, name FROM org_nodes WHERE id IN ({marks})"),
                &args,
            )? {
                let (id, kind, name): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                if kind == "room" {
                    self.rooms.insert(id, name);
                } else {
                    self.nodes.insert(id, (kind, name));
                }
            }
        }
        Ok(())
    }

    fn place(&self, path: &str) -> Place {
        let mut p = Place::default();
        for id in path_ids(path) {
            if let Some(room) = self.rooms.get(&id) {
                p.address.push_str(room);
            } else if let Some((kind, name)) = self.nodes.get(&id) {
                match kind.as_str() {
                    "community" => p.community = name.clone(),
                    "grid" => p.grid = name.clone(),
                    "building" | "unit" => p.address.push_str(name),
                    _ => {}
                }
            }
        }
        p
    }
}
