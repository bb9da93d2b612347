//! Finding a person the way workers ask: by name, full pinyin or initials, the whole ID number
//! or its last 4–6 characters, a phone number or its tail, or an address like "11幢2单元301".
//! Every branch is an index range scan led by the actor's communities, with the scope filter
//! inside the same SQL.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::access::personal::PersonName;
use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::clock::today;
use crate::db::{Conn, Value, prefix_end};
use crate::error::StoreResult;
use crate::registry::tree::path_ids;
use shequ_domain::access::mask::{mask_id, mask_phone};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub person_id: i64,
    pub name: PersonName,
    pub sex: String,
    pub age: i64,
    pub id_masked: String,
    pub phone_masked: Option<String>,
    pub address: String,
    pub living: bool,
    /// Which key matched: 姓名, 拼音, 首字母, 身份证号, 电话, 住址.
    pub matched: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Query {
    IdNumber(String),
    DigitsTail(String),
    Phone(String),
    Address {
        building: Option<String>,
        unit: Option<String>,
        room: String,
    },
    Letters(String),
    /// Letters and digits: a passport or other document number.
    Document(String),
    Name(String),
}

fn to_half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn classify(raw: &str) -> Option<Query> {
    let q: String = raw
        .chars()
        .map(to_half_width)
        .filter(|c| !c.is_whitespace())
        .collect();
    if q.is_empty() {
        return None;
    }
    let upper = q.to_uppercase();
    let digits_x = upper
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || (c == 'X' && i == upper.len() - 1));
    if digits_x {
        return Some(match upper.len() {
            18 => Query::IdNumber(upper),
            11 if upper.starts_with('1') => Query::Phone(upper),
            4..=6 => Query::DigitsTail(upper),
            1..=3 if upper.chars().all(|c| c.is_ascii_digit()) => Query::Address {
                building: None,
                unit: None,
                room: upper,
            },
            _ => Query::DigitsTail(
                upper
                    .chars()
                    .rev()
                    .take(6)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect(),
            ),
        });
    }
    if let Some(a) = parse_address(&q) {
        return Some(a);
    }
    if q.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(Query::Letters(q.to_lowercase()));
    }
    if q.len() >= 3
        && q.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && q.chars().any(|c| c.is_ascii_digit())
    {
        return Some(Query::Document(upper));
    }
    Some(Query::Name(q))
}

/// "11幢2单元301", "11栋2单元301室", "11号楼301", "11-2-301".
fn parse_address(q: &str) -> Option<Query> {
    let dash: Vec<&str> = q.split('-').collect();
    if dash.len() == 3
        && dash
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        return Some(Query::Address {
            building: Some(dash[0].into()),
            unit: Some(dash[1].into()),
            room: dash[2].into(),
        });
    }
    let mut building = None;
    let mut unit = None;
    let mut rest = q;
    for mark in ["号楼", "幢", "栋"] {
        if let Some((b, r)) = rest.split_once(mark) {
            building = Some(b.to_string());
            rest = r;
            break;
        }
    }
    if let Some((u, r)) = rest.split_once("单元") {
        unit = Some(u.to_string());
        rest = r;
    }
    let room = rest.trim_end_matches('室').trim_end_matches('号');
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if (building.is_some() || unit.is_some())
        && numeric(room)
        && building.as_deref().is_none_or(numeric)
        && unit.as_deref().is_none_or(numeric)
    {
        return Some(Query::Address {
            building,
            unit,
            room: room.to_string(),
        });
    }
    None
}

const HIT_COLS: &str =
    "p.id, p.name, p.sex, p.birth_date, p.id_sealed, p.phone, p.area_path, p.living, p.doc_no";

/// How a branch of the search matches its column.
enum Key {
    /// `col >= key AND col < key + U+10FFFF`: names, pinyin, document numbers.
    Prefix(String),
    /// `col = key`: a blind index of a whole ID number or phone.
    Exact(String),
    /// `col = blind(last four)`, then the opened value must end with the typed 4–6 characters.
    Tail(String, Field, String),
}

pub fn search(conn: &mut Conn, actor: &Actor, raw: &str, limit: usize) -> StoreResult<Vec<Hit>> {
    actor.require(actor.reads_people(), "查询人员")?;
    let Some(query) = classify(raw) else {
        return Ok(vec![]);
    };
    let mut hits = Vec::new();
    let sealer = sealer()?;
    let tail = |field: Field, t: &str| -> StoreResult<Option<Key>> {
        Ok(sealer
            .tail(field, t)?
            .map(|k| Key::Tail(k, field, t.to_string())))
    };
    let mut branches: Vec<(&str, Key, &str)> = Vec::new();
    match &query {
        Query::IdNumber(id) => branches.push((
            "p.id_blind",
            Key::Exact(sealer.blind(Field::IdNumber, id)?),
            "身份证号",
        )),
        Query::Phone(p) => branches.push((
            "p.phone_blind",
            Key::Exact(sealer.blind(Field::Phone, p)?),
            "电话",
        )),
        Query::DigitsTail(t) => {
            if let Some(k) = tail(Field::IdNumber, t)? {
                branches.push(("p.id_tail", k, "身份证号"));
            }
            if let Some(k) = tail(Field::Phone, t)? {
                branches.push(("p.phone_tail", k, "电话"));
            }
        }
        Query::Letters(l) => {
            branches.push(("p.name_initials", Key::Prefix(l.clone()), "首字母"));
            branches.push(("p.name_pinyin", Key::Prefix(l.clone()), "拼音"));
        }
        Query::Document(d) => branches.push(("p.doc_no", Key::Prefix(d.clone()), "证件号码")),
        Query::Name(n) => branches.push(("p.name", Key::Prefix(n.clone()), "姓名")),
        Query::Address { .. } => {}
    }
    for (col, key, label) in branches {
        if hits.len() >= limit {
            break;
        }
        let (cf, mut args) = actor.people_community_filter("p.community_id");
        let (pf, pargs) = actor.people_path_filter("p.area_path");
        let (cond, suffix, fetch) = match key {
            Key::Prefix(k) => {
                let end = prefix_end(&k);
                args.push(Value::from(k));
                args.push(Value::from(end));
                (format!("{col} >= ? AND {col} < ?"), None, limit)
            }
            Key::Exact(k) => {
                args.push(Value::from(k));
                (format!("{col} = ?"), None, limit)
            }
            // The last four narrow it down; longer tails are compared after opening, so
            // fetch more rows than will be shown.
            Key::Tail(k, field, typed) => {
                args.push(Value::from(k));
                (format!("{col} = ?"), Some((field, typed)), limit * 20)
            }
        };
        args.extend(pargs);
        args.push(Value::from(fetch));
        let sql =
            format!("SELECT {HIT_COLS} FROM persons p WHERE {cf} AND {cond} AND {pf} LIMIT ?");
        for r in conn.query(&sql, &args)? {
            let id: i64 = r.get(0)?;
            if hits.iter().any(|h: &RawHit| h.id == id) {
                continue;
            }
            let hit = RawHit::from_row(&r, label)?;
            if let Some((field, typed)) = &suffix {
                let value = match field {
                    Field::IdNumber => hit.id_number.as_deref(),
                    _ => hit.phone.as_deref(),
                };
                if !value.is_some_and(|v| v.ends_with(typed.as_str())) {
                    continue;
                }
            }
            if hits.len() < limit {
                hits.push(hit);
            }
        }
    }
    if let Query::Address {
        building,
        unit,
        room,
    } = &query
    {
        hits.extend(by_address(
            conn,
            actor,
            building.as_deref(),
            unit.as_deref(),
            room,
            limit,
        )?);
    }
    hits.truncate(limit);
    finish(conn, actor, hits)
}

struct RawHit {
    id: i64,
    name: String,
    sex: String,
    birth: NaiveDate,
    /// The ID number, or the document number of someone without one.
    id_number: Option<String>,
    phone: Option<String>,
    area_path: String,
    living: bool,
    matched: &'static str,
}

impl RawHit {
    /// A row of `HIT_COLS`.
    fn from_row(r: &crate::db::Row, matched: &'static str) -> StoreResult<RawHit> {
        let s = sealer()?;
        let id_number = s.open_opt(Field::IdNumber, r.get(4)?)?;
        let doc_no: Option<String> = r.get(8)?;
        Ok(RawHit {
            id: r.get(0)?,
            name: r.get(1)?,
            sex: r.get(2)?,
            birth: r.get(3)?,
            id_number: id_number.or(doc_no),
            phone: s.open_opt(Field::Phone, r.get(5)?)?,
            area_path: r.get(6)?,
            living: r.get(7)?,
            matched,
        })
    }
}

/// (kind, name) of every node named in these paths, in one query per 500 nodes.
fn node_labels(conn: &mut Conn, paths: &[String]) -> StoreResult<HashMap<i64, (String, String)>> {
    let mut ids: Vec<i64> = paths.iter().flat_map(|p| path_ids(p)).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let args: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        for r in conn.query(
            &format!("SELECT id, kind, name FROM org_nodes WHERE id IN ({marks})"),
            &args,
        )? {
            names.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
        }
    }
    Ok(names)
}

fn digits_of(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Rooms in the actor's scope matching an address's parts, as (id, path).
fn rooms_at(
    conn: &mut Conn,
    actor: &Actor,
    building: Option<&str>,
    unit: Option<&str>,
    room: &str,
) -> StoreResult<Vec<(i64, String)>> {
    let (cf, mut args) = actor.community_filter("n.community_id");
    let (pf, pargs) = actor.path_filter("n.path");
    args.push(Value::from(room));
    args.push(Value::from(format!("{room}室")));
    args.extend(pargs);
    let rooms = conn.query(
        &format!("SELECT n.id, n.path FROM org_nodes n WHERE {cf} AND n.kind = 'room' AND n.name IN (?, ?) AND n.retired_on IS NULL AND {pf}"),
        &args,
    )?;
    let paths: Vec<String> = rooms.iter().map(|r| r.get(1)).collect::<Result<_, _>>()?;
    let names = node_labels(conn, &paths)?;
    let mut out = Vec::new();
    for (r, path) in rooms.iter().zip(paths) {
        let ids = path_ids(&path);
        let part = |kind: &str| {
            ids.iter()
                .filter_map(|i| names.get(i))
                .find(|(k, _)| k == kind)
                .map(|(_, n)| digits_of(n))
        };
        if building.is_some_and(|b| part("building").as_deref() != Some(b))
            || unit.is_some_and(|u| part("unit").as_deref() != Some(u))
        {
            continue;
        }
        out.push((r.get(0)?, path));
    }
    Ok(out)
}

/// The one room an address like "11幢2单元301" names in the actor's area.
pub fn room_by_address(conn: &mut Conn, actor: &Actor, text: &str) -> StoreResult<i64> {
    let Some(Query::Address {
        building,
        unit,
        room,
    }) = classify(text)
    else {
        return Err(crate::StoreError::invalid(
            "新住址",
            format!("“{}”不是房屋地址，请写成“11幢2单元301”", text.trim()),
        ));
    };
    let found = rooms_at(conn, actor, building.as_deref(), unit.as_deref(), &room)?;
    match found.as_slice() {
        [(id, _)] => Ok(*id),
        [] => Err(crate::StoreError::invalid(
            "新住址",
            format!(
                "在您的辖区里找不到“{}”，请先在楼栋里登记该房屋",
                text.trim()
            ),
        )),
        _ => Err(crate::StoreError::invalid(
            "新住址",
            format!(
                "“{}”对应 {} 处房屋，请写全楼栋和单元",
                text.trim(),
                found.len()
            ),
        )),
    }
}

fn by_address(
    conn: &mut Conn,
    actor: &Actor,
    building: Option<&str>,
    unit: Option<&str>,
    room: &str,
    limit: usize,
) -> StoreResult<Vec<RawHit>> {
    let mut out = Vec::new();
    for (rid, _) in rooms_at(conn, actor, building, unit, room)? {
        for p in conn.query(
            &format!(
                "SELECT {HIT_COLS} FROM residences r JOIN persons p ON p.id = r.person_id
                 WHERE r.room_id = ? AND r.moved_out_on IS NULL ORDER BY r.household_id, r.id"
            ),
            crate::params![rid],
        )? {
            out.push(RawHit::from_row(&p, "住址")?);
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Addresses for all hits with one query for all the nodes they mention.
/// (community name, building+unit+room) of each area path, e.g. ("凤凰社区", "11幢2单元301").
pub(crate) fn place_names(
    conn: &mut Conn,
    paths: &[String],
) -> StoreResult<HashMap<String, (String, String)>> {
    let names = node_labels(conn, paths)?;
    let mut out = HashMap::new();
    for p in paths {
        let mut community = String::new();
        let mut below = String::new();
        for id in path_ids(p) {
            if let Some((kind, name)) = names.get(&id) {
                match kind.as_str() {
                    "community" => community = name.clone(),
                    "building" | "unit" | "room" => below.push_str(name),
                    _ => {}
                }
            }
        }
        out.insert(p.clone(), (community, below));
    }
    Ok(out)
}

fn finish(conn: &mut Conn, actor: &Actor, raw: Vec<RawHit>) -> StoreResult<Vec<Hit>> {
    let paths: Vec<String> = raw.iter().map(|h| h.area_path.clone()).collect();
    let places = place_names(conn, &paths)?;
    let today = today();
    Ok(raw
        .into_iter()
        .map(|h| {
            let (community, below) = places.get(&h.area_path).cloned().unwrap_or_default();
            let address = if h.living {
                format!("{community} {below}")
            } else {
                format!("{community}（已迁出）")
            };
            Hit {
                person_id: h.id,
                age: age_on(h.birth, today),
                name: PersonName::for_viewer(h.name, actor),
                sex: h.sex,
                id_masked: h.id_number.as_deref().map(mask_id).unwrap_or_default(),
                phone_masked: h.phone.as_deref().map(mask_phone),
                address: address.trim().to_string(),
                living: h.living,
                matched: h.matched,
            }
        })
        .collect())
}

pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    on.years_since(birth).map_or(0, i64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_classified() {
        assert_eq!(classify("zs"), Some(Query::Letters("zs".into())));
        assert_eq!(classify("张三"), Some(Query::Name("张三".into())));
        assert_eq!(classify("00２x"), Some(Query::DigitsTail("002X".into())));
        assert_eq!(
            classify("11010519491231002x"),
            Some(Query::IdNumber("11010519491231002X".into()))
        );
        assert_eq!(
            classify("13800001234"),
            Some(Query::Phone("13800001234".into()))
        );
        assert_eq!(
            classify("11幢2单元301"),
            Some(Query::Address {
                building: Some("11".into()),
                unit: Some("2".into()),
                room: "301".into()
            })
        );
        assert_eq!(
            classify("11-2-301"),
            Some(Query::Address {
                building: Some("11".into()),
                unit: Some("2".into()),
                room: "301".into()
            })
        );
        assert_eq!(classify("  "), None);
        assert_eq!(
            classify("e1234567"),
            Some(Query::Document("E1234567".into()))
        );
    }
}
