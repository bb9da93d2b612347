//! Open311 GeoReport v2 over the tickets: the 小类 categories are the services, a POSTed request
//! becomes a ticket (source open311) in the community its API key belongs to, and the requests
//! that came in this way can be looked up by id, token or filters. Only what the submitter
//! sent and the ticket's public progress leave: never a worker's name or a reporter's phone.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shequ_domain::tickets::State;

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::access::users::{digest, random_token};
use crate::clock::now;
use crate::db::{Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree;

/// What kind of failure an Open311 call met; the web crate's `error.rs` turns it into the
/// HTTP status the spec names (400, 403, 404, 500), the store never speaks HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open311Kind {
    /// A parameter is missing, malformed or out of range.
    BadRequest,
    /// The api_key is unknown or disabled.
    Forbidden,
    /// No such service, request or token.
    NotFound,
    /// Something failed on our side (logged; the caller sees a generic description).
    Internal,
}

/// An Open311 failure: its kind and its description.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Error {
    pub kind: Open311Kind,
    pub description: String,
}

fn err(kind: Open311Kind, description: impl Into<String>) -> Open311Error {
    Open311Error {
        kind,
        description: description.into(),
    }
}

impl From<StoreError> for Open311Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid { field, message } => {
                err(Open311Kind::BadRequest, format!("{field}：{message}"))
            }
            StoreError::NotFound(m) => err(Open311Kind::NotFound, format!("{m}不存在")),
            other => {
                tracing::error!("open311: {other}");
                err(Open311Kind::Internal, "服务器处理出错，请稍后再试")
            }
        }
    }
}

impl From<crate::db::DbError> for Open311Error {
    fn from(e: crate::db::DbError) -> Self {
        StoreError::from(e).into()
    }
}

pub type Open311Result<T> = Result<T, Open311Error>;

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    /// realtime: every request is a ticket someone works on.
    #[serde(rename = "type")]
    pub kind: String,
    pub keywords: String,
    pub group: String,
}

/// Every active 小类 of the district, grouped by its 大类 (a community's own 小类 are for its
/// own staff's forms; the service list is the same for every client).
pub fn services(conn: &mut Conn) -> StoreResult<Vec<Service>> {
    let rows = conn.query(
        "SELECT c.code, c.name, p.name, l.amount, l.unit FROM ticket_categories c
         JOIN ticket_categories p ON p.code = c.parent_code
         LEFT JOIN ticket_time_limits l ON l.code = c.limit_normal
         WHERE c.active = 1 AND c.community_id IS NULL ORDER BY c.code",
        params![],
    )?;
    rows.iter()
        .map(|r| {
            let amount: Option<i64> = r.get(3)?;
            let unit: Option<String> = r.get(4)?;
            let limit = match (
                amount,
                unit.as_deref()
                    .and_then(shequ_domain::worktime::LimitUnit::parse),
            ) {
                (Some(a), Some(u)) => format!("一般在{a}{}内处置", u.label()),
                _ => String::new(),
            };
            let name: String = r.get(1)?;
            let group: String = r.get(2)?;
            Ok(Service {
                service_code: r.get(0)?,
                description: format!("{group} · {name}。{limit}"),
                keywords: format!("{group},{name}"),
                service_name: name,
                metadata: false,
                kind: "realtime".into(),
                group,
            })
        })
        .collect()
}

pub fn service(conn: &mut Conn, code: &str) -> Open311Result<Service> {
    services(conn)?
        .into_iter()
        .find(|s| s.service_code == code)
        .ok_or_else(|| err(Open311Kind::NotFound, format!("没有服务代码“{code}”")))
}

/// A key in use: which system, and where its reports go.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: i64,
    pub name: String,
    pub node_id: i64,
    pub community_id: i64,
}

/// The key behind `api_key`: 400 when none is given, 403 when it is not a key in use.
pub fn key(conn: &mut Conn, api_key: Option<&str>) -> Open311Result<Key> {
    let Some(k) = api_key.map(str::trim).filter(|k| !k.is_empty()) else {
        return Err(err(Open311Kind::BadRequest, "缺少 api_key"));
    };
    let row = conn
        .query_opt(
            "SELECT id, name, node_id, community_id FROM open311_keys WHERE key_hash = ? AND disabled_at IS NULL",
            params![digest(k)],
        )?
        .ok_or_else(|| err(Open311Kind::Forbidden, "api_key 无效或已停用"))?;
    Ok(Key {
        id: row.get(0)?,
        name: row.get(1)?,
        node_id: row.get(2)?,
        community_id: row.get(3)?,
    })
}

/// Makes a key for a system that will submit reports to `node_id` (a community or below).
/// Returns the key, which is stored only as its hash.
pub fn add_key(conn: &mut Conn, actor: &Actor, name: &str, node_id: i64) -> StoreResult<String> {
    actor.require(actor.role.manages_tree(), "开通网上报事接口")?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(StoreError::invalid(
            "名称",
            "请写明接入的系统（不超过 60 字）",
        ));
    }
    let key = random_token(24)?;
    conn.transaction(|c| {
        let node = tree::get(c, actor, node_id)?;
        let community = node.community_id.ok_or_else(|| {
            StoreError::invalid("位置", "请选择一个社区或网格：网上报的事件落到这里")
        })?;
        let id = c.insert(
            "INSERT INTO open311_keys (key_hash, name, node_id, community_id, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            params![digest(&key), name, node.id, community, now()],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("open311.key", format!("open311_key:{id}"))
                .with(serde_json::json!({ "名称": name, "位置": node.name })),
        )?;
        Ok(key.clone())
    })
}

/// A POSTed request, as the spec names its fields.
#[derive(Debug, Clone, Default)]
pub struct NewRequest {
    pub service_code: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub description: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub media_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    pub service_request_id: String,
    pub token: String,
    pub service_notice: String,
    pub account_id: Option<String>,
}

/// Files the request as a ticket in the key's community.
pub fn submit(conn: &mut Conn, key: &Key, r: &NewRequest) -> Open311Result<Receipt> {
    let service = service(conn, r.service_code.trim())?;
    let address = r
        .address_string
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let located = r.lat.is_some() && r.long.is_some();
    if !located && address.is_none() {
        return Err(err(
            Open311Kind::BadRequest,
            "需要 lat/long 或 address_string 说明地点",
        ));
    }
    if let (Some(lat), Some(long)) = (r.lat, r.long)
        && (!(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&long))
    {
        return Err(err(Open311Kind::BadRequest, "lat/long 超出范围"));
    }
    let description = r.description.as_deref().map(str::trim).unwrap_or("");
    if description.chars().count() > 4000 {
        return Err(err(Open311Kind::BadRequest, "description 超过 4000 字"));
    }
    if address.is_some_and(|a| a.chars().count() > 200) {
        return Err(err(Open311Kind::BadRequest, "address_string 超过 200 字"));
    }
    let name: String = [r.last_name.as_deref(), r.first_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("");
    let name = (!name.is_empty()).then(|| name.chars().take(40).collect::<String>());
    // A contact number is kept as given when it isn't a mainland number: an optional contact
    // field is no reason to turn a report away.
    let phone = r
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match shequ_domain::Phone::parse(p) {
            Ok(p) => p.as_str().to_string(),
            Err(_) => p.chars().take(30).collect(),
        });
    let title: String = {
        let first = description.lines().next().unwrap_or("").trim();
        if first.is_empty() {
            service.service_name.clone()
        } else {
            first.chars().take(60).collect()
        }
    };
    let mut full = description.to_string();
    if let Some(e) = r.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        full.push_str(&format!(
            "\n（联系邮箱：{}）",
            e.chars().take(100).collect::<String>()
        ));
    }
    if let Some(m) = r
        .media_url
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        full.push_str(&format!(
            "\n（照片：{}）",
            m.chars().take(300).collect::<String>()
        ));
    }
    let token = random_token(16)?;
    let id = conn.transaction(|c| {
        let node = tree::load(c, key.node_id)?;
        crate::tickets::file_outside_report(
            c,
            &crate::tickets::OutsideReport {
                community_id: key.community_id,
                node: &node,
                category_code: &service.service_code,
                title: &title,
                description: &full,
                location: address,
                reporter_name: name.as_deref(),
                reporter_phone: phone.as_deref(),
                source: "open311",
                channel: &format!("网上报事（{}）", key.name),
                audited_as: &format!("open311:{}", key.name),
                token: &token,
                lat_long: (r.lat, r.long),
                open311_key_id: Some(key.id),
                report_link_id: None,
            },
        )
    })?;
    Ok(Receipt {
        service_request_id: id.to_string(),
        token,
        service_notice: service.description,
        account_id: None,
    })
}

/// A request as GET returns it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// open | closed
    pub status: String,
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// ISO 8601 with the deployment's zone, as the spec asks.
fn zoned(utc: &str) -> String {
    DateTime::parse_from_rfc3339(utc)
        .map(|d| shequ_domain::clock::local(&d).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_else(|_| utc.to_string())
}

const COLS: &str = "t.id, t.state, t.category_code, c.name, t.description, t.assignee_kind, \
     t.reported_at, t.updated_at, t.due_at, t.location, t.latitude, t.longitude, t.title";

fn from_row(c: &mut Conn, r: &crate::db::Row) -> StoreResult<ServiceRequest> {
    let id: i64 = r.get(0)?;
    let state: String = r.get(1)?;
    let state = State::parse(&state).unwrap_or(State::Reported);
    // The latest public word on it: why it was declined, or what was done.
    let note = c
        .query_opt(
            "SELECT note FROM ticket_events WHERE ticket_id = ? AND action IN ('refuse', 'feedback', 'close') AND note IS NOT NULL ORDER BY id DESC LIMIT 1",
            params![id],
        )?
        .map(|r| r.get::<String>(0))
        .transpose()?;
    let assignee: Option<String> = r.get(5)?;
    let updated: String = r.get(7)?;
    let due: Option<String> = r.get(8)?;
    Ok(ServiceRequest {
        service_request_id: id.to_string(),
        status: if state.is_open() { "open" } else { "closed" }.into(),
        status_notes: Some(note.unwrap_or_else(|| state.label().to_string())),
        service_code: r.get(2)?,
        service_name: r.get(3)?,
        description: r.get(4)?,
        // Who handles it, by kind only: a department, the property company, the street.
        agency_responsible: assignee.and_then(|k| {
            shequ_domain::tickets::DISPATCH_KINDS
                .iter()
                .find(|(code, _)| *code == k)
                .map(|(_, label)| label.to_string())
        }),
        service_notice: None,
        requested_datetime: zoned(&r.get::<String>(6)?),
        updated_datetime: zoned(&updated),
        expected_datetime: due.as_deref().map(zoned),
        address: r.get(9)?,
        lat: r.get(10)?,
        long: r.get(11)?,
        media_url: None,
    })
}

pub fn request(conn: &mut Conn, id: &str) -> Open311Result<ServiceRequest> {
    let id: i64 = id
        .trim()
        .parse()
        .map_err(|_| err(Open311Kind::NotFound, format!("没有编号为“{id}”的报事")))?;
    let row = conn
        .query_opt(
            &format!(
                "SELECT {COLS} FROM tickets t JOIN ticket_categories c ON c.code = t.category_code
                 WHERE t.id = ? AND t.source = 'open311'"
            ),
            params![id],
        )?
        .ok_or_else(|| err(Open311Kind::NotFound, format!("没有编号为“{id}”的报事")))?;
    Ok(from_row(conn, &row)?)
}

/// The request id behind a token.
pub fn token(conn: &mut Conn, token: &str) -> Open311Result<(String, String)> {
    let row = conn
        .query_opt(
            "SELECT id FROM tickets WHERE open311_token = ?",
            params![token.trim()],
        )?
        .ok_or_else(|| err(Open311Kind::NotFound, "没有这个 token"))?;
    let id: i64 = row.get(0)?;
    Ok((id.to_string(), token.trim().to_string()))
}

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub ids: Vec<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

fn when(field: &str, v: &str) -> Open311Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            err(
                Open311Kind::BadRequest,
                format!("{field} 应为 ISO 8601 时间，如 2026-11-01T00:00:00+08:00"),
            )
        })
}

/// Requests that came in through Open311, newest first. Without dates, the last 90 days; a
/// span longer than 90 days is refused, as the spec allows.
pub fn requests(conn: &mut Conn, f: &RequestFilter) -> Open311Result<Vec<ServiceRequest>> {
    let mut sql = format!(
        "SELECT {COLS} FROM tickets t JOIN ticket_categories c ON c.code = t.category_code WHERE t.source = 'open311'"
    );
    let mut args: Vec<Value> = Vec::new();
    let ids: Vec<i64> = f
        .ids
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                err(
                    Open311Kind::BadRequest,
                    format!("service_request_id “{s}” 不是编号"),
                )
            })
        })
        .collect::<Open311Result<_>>()?;
    if !ids.is_empty() {
        if ids.len() > 100 {
            return Err(err(
                Open311Kind::BadRequest,
                "一次最多查询 100 个 service_request_id",
            ));
        }
        sql.push_str(&format!(
            " AND t.id IN ({})",
            vec!["?"; ids.len()].join(",")
        ));
        args.extend(ids.iter().map(|i| Value::Int(*i)));
    } else {
        let end = match &f.end_date {
            Some(e) => when("end_date", e)?,
            None => shequ_domain::clock::now_utc(),
        };
        let start = match &f.start_date {
            Some(s) => when("start_date", s)?,
            None => end - Duration::days(90),
        };
        if start > end {
            return Err(err(Open311Kind::BadRequest, "start_date 晚于 end_date"));
        }
        if end - start > Duration::days(90) {
            return Err(err(
                Open311Kind::BadRequest,
                "start_date 与 end_date 相隔不能超过 90 天",
            ));
        }
        let fmt = |d: DateTime<Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        sql.push_str(" AND t.reported_at >= ? AND t.reported_at <= ?");
        args.push(Value::from(fmt(start).as_str()));
        args.push(Value::from(fmt(end).as_str()));
    }
    if let Some(code) = f.service_code.as_deref().filter(|c| !c.is_empty()) {
        let codes: Vec<&str> = code.split(',').map(str::trim).collect();
        sql.push_str(&format!(
            " AND t.category_code IN ({})",
            vec!["?"; codes.len()].join(",")
        ));
        args.extend(codes.iter().map(|c| Value::from(*c)));
    }
    let open: Vec<&str> = State::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(State::as_str)
        .collect();
    match f.status.as_deref() {
        None | Some("") => {}
        Some(s) => {
            let mut wanted = Vec::new();
            for part in s.split(',').map(str::trim) {
                match part {
                    "open" => wanted.extend(open.iter().copied()),
                    "closed" => wanted.extend(
                        State::ALL
                            .into_iter()
                            .filter(|s| !s.is_open())
                            .map(State::as_str),
                    ),
                    other => {
                        return Err(err(
                            Open311Kind::BadRequest,
                            format!("status 应为 open 或 closed，不是“{other}”"),
                        ));
                    }
                }
            }
            sql.push_str(&format!(
                " AND t.state IN ({})",
                vec!["?"; wanted.len()].join(",")
            ));
            args.extend(wanted.into_iter().map(Value::from));
        }
    }
    let size = f.page_size.unwrap_or(50);
    if !(1..=1000).contains(&size) {
        return Err(err(Open311Kind::BadRequest, "page_size 应为 1–1000"));
    }
    let page = f.page.unwrap_or(1);
    if page < 1 {
        return Err(err(Open311Kind::BadRequest, "page 从 1 开始"));
    }
    sql.push_str(" ORDER BY t.reported_at DESC, t.id DESC LIMIT ? OFFSET ?");
    args.push(Value::Int(size));
    args.push(Value::Int((page - 1).saturating_mul(size)));
    let rows = conn.query(&sql, &args)?;
    rows.iter()
        .map(|r| from_row(conn, r).map_err(Open311Error::from))
        .collect()
}
