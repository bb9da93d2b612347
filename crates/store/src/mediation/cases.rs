//! Cases: opening, parties, sessions, the labour flow's hand-offs, closing, the agreement.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use shequ_domain::mediation::{self as rules, HAND_OFFS, OUTCOMES, PARTY_SIDES, SOURCES};

use super::{text, type_checked};
use crate::access::audit::{self, By, Event};
use crate::access::personal::{IdNo, PersonName, PhoneNo};
use crate::access::scope::{Actor, RecordSql};
use crate::access::sealed::{Field, sealer};
use crate::clock::{now, today};
use crate::db::{Conn, Row, Value, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::people;
use crate::registry::tree;

/// A case sits at the node it was opened for. Read by the access guard (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT area_path FROM mediation_cases WHERE id = ?",
    version: Some("SELECT version FROM mediation_cases WHERE id = ?"),
};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// applicant (申请人) | respondent (被申请人)
    pub side: String,
    /// A resident on the registry: name, sex, ID, phone and address come from there.
    #[serde(default)]
    pub person_id: Option<i64>,
    /// Someone from outside (or a company): given here.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    /// The grid or community where the dispute is.
    pub node_id: i64,
    pub type_code: String,
    /// screening (排查发现) | walk_in (来访, default) | referral (转办)
    #[serde(default)]
    pub source: Option<String>,
    /// For a referral: who sent it. A labour case's referral is the legal-aid centre's
    /// assignment, recorded as the first hand-off.
    #[serde(default)]
    pub referred_by: Option<String>,
    /// Labour disputes: the employer.
    #[serde(default)]
    pub employer: Option<String>,
    /// 纠纷简要情况.
    pub summary: String,
    /// Default: the person recording it.
    #[serde(default)]
    pub mediator: Option<String>,
    /// Default: today.
    #[serde(default)]
    pub received_on: Option<NaiveDate>,
    pub parties: Vec<PartyInput>,
    /// The register entry it comes from.
    #[serde(default)]
    pub screening_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Party {
    pub side: String,
    pub side_label: String,
    pub person_id: Option<i64>,
    pub name: PersonName,
    pub sex: Option<String>,
    pub id_number: Option<IdNo>,
    pub phone: Option<PhoneNo>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub held_on: String,
    pub place: String,
    pub mediators: String,
    pub notes: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseEvent {
    pub at: String,
    pub actor_name: String,
    pub action: String,
    pub action_label: String,
    pub counterpart: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    pub community_id: i64,
    pub node_id: i64,
    pub place: String,
    pub case_no: String,
    pub type_code: String,
    pub type_label: String,
    pub source: String,
    pub source_label: String,
    pub referred_by: Option<String>,
    pub employer: Option<String>,
    pub company_union: Option<String>,
    pub summary: String,
    pub mediator: String,
    pub received_on: String,
    pub due_on: String,
    /// Open and past its time limit.
    pub overdue: bool,
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    /// Received on an earlier day than it was entered (补录).
    pub backdated: bool,
    pub closed_on: Option<String>,
    pub agreement: Option<String>,
    pub performance: Option<String>,
    pub close_note: Option<String>,
    pub screening_id: Option<i64>,
    pub version: i64,
    pub parties: Vec<Party>,
    pub sessions: Vec<Session>,
    pub events: Vec<CaseEvent>,
    /// The hand-offs possible now (codes).
    pub hand_offs: Vec<String>,
}

/// A party as it goes into the database: (side, person, name, sex, id sealed, phone sealed,
/// address).
type PartyRow = (
    &'static str,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn party_row(c: &mut Conn, actor: &Actor, i: usize, p: &PartyInput) -> StoreResult<PartyRow> {
    let who = format!("当事人{}", i + 1);
    let side = rules::code_of(PARTY_SIDES, &p.side)
        .ok_or_else(|| StoreError::invalid(&who, "请选择申请人或被申请人"))?;
    let s = sealer()?;
    if let Some(pid) = p.person_id {
        let person = people::get(c, actor, pid)?;
        let address = people::current_home(c, pid)?.map(|h| h.address);
        return Ok((
            side,
            Some(pid),
            person.name.expose().to_string(),
            Some(person.sex),
            s.seal_opt(
                Field::PartyIdNumber,
                person.id_number.as_ref().map(|v| v.expose()),
            )?,
            s.seal_opt(Field::PartyPhone, person.phone.as_ref().map(|v| v.expose()))?,
            address,
        ));
    }
    let name = text(&format!("{who}姓名"), p.name.as_deref(), 60)?
        .ok_or_else(|| StoreError::invalid(&who, "请填写姓名（或单位名称），或选择本社区居民"))?;
    let id = text(&format!("{who}身份证号"), p.id_number.as_deref(), 30)?
        .map(|v| {
            shequ_domain::IdNumber::parse(&v)
                .map_err(|e| StoreError::invalid(format!("{who}身份证号"), e.to_string()))
        })
        .transpose()?;
    let sex = match text(&format!("{who}性别"), p.sex.as_deref(), 4)? {
        Some(v) => Some(
            shequ_domain::Sex::parse(&v)
                .map_err(|e| StoreError::invalid(format!("{who}性别"), e.to_string()))?
                .label()
                .to_string(),
        ),
        None => id.as_ref().map(|i| i.sex().label().to_string()),
    };
    let phone = text(&format!("{who}电话"), p.phone.as_deref(), 20)?
        .map(|v| {
            shequ_domain::Phone::parse(&v)
                .map(|p| p.as_str().to_string())
                .map_err(|e| StoreError::invalid(format!("{who}电话"), e.to_string()))
        })
        .transpose()?;
    Ok((
        side,
        None,
        name,
        sex,
        s.seal_opt(Field::PartyIdNumber, id.as_ref().map(|i| i.as_str()))?,
        s.seal_opt(Field::PartyPhone, phone.as_deref())?,
        text(&format!("{who}住址"), p.address.as_deref(), 200)?,
    ))
}

fn event(
    c: &mut Conn,
    actor: &Actor,
    case: (i64, i64),
    action: &str,
    counterpart: Option<&str>,
    note: Option<&str>,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO mediation_events (community_id, case_id, at, user_id, actor_name, action, counterpart, note)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            case.1,
            case.0,
            now(),
            actor.user_id,
            actor.display_name.as_str(),
            action,
            counterpart,
            note
        ],
    )?;
    Ok(())
}

fn action_label(action: &str) -> &'static str {
    match action {
        "receive" => "受理",
        "session" => "调解",
        "close" => "结案",
        other => rules::label(HAND_OFFS, other),
    }
}

/// Opens a case. Returns its id.
pub fn open(conn: &mut Conn, actor: &Actor, input: &CaseInput) -> StoreResult<i64> {
    actor.require(actor.role.writes_people(), "登记调解案件")?;
    let (type_code, type_label, days) = type_checked("纠纷类型", &input.type_code)?;
    let source_in = input
        .source
        .as_deref()
        .unwrap_or(if input.screening_id.is_some() {
            "screening"
        } else {
            "walk_in"
        });
    let source = rules::code_of(SOURCES, source_in)
        .ok_or_else(|| StoreError::invalid("案件来源", "应为 排查发现、来访、转办 之一"))?;
    let referred_by = text("转办单位", input.referred_by.as_deref(), 60)?;
    if source == "referral" && referred_by.is_none() {
        return Err(StoreError::invalid(
            "转办单位",
            "转办的案件请写明由哪个单位转来（如：区总工会职工法律援助中心）",
        ));
    }
    let employer = text("用人单位", input.employer.as_deref(), 100)?;
    if type_code == "labour" && employer.is_none() {
        return Err(StoreError::invalid(
            "用人单位",
            "劳资纠纷请写明用人单位名称",
        ));
    }
    let summary = text("纠纷简要情况", Some(&input.summary), 2000)?
        .ok_or_else(|| StoreError::invalid("纠纷简要情况", "请写明纠纷的主要事实和争议事项"))?;
    let mediator = text("调解员", input.mediator.as_deref(), 60)?
        .unwrap_or_else(|| actor.display_name.clone());
    let received = input.received_on.unwrap_or_else(today);
    if received > today() {
        return Err(StoreError::invalid("受理日期", "不能晚于今天"));
    }
    let sides: BTreeSet<&str> = input
        .parties
        .iter()
        .filter_map(|p| rules::code_of(PARTY_SIDES, &p.side))
        .collect();
    if input.parties.len() > 20 {
        return Err(StoreError::invalid("当事人", "最多 20 位，请精简"));
    }
    conn.transaction(|c| {
        let node = tree::get(c, actor, input.node_id)?;
        let community_id = node
            .community_id
            .ok_or_else(|| StoreError::invalid("位置", "请选择社区或网格"))?;
        if !actor.sees_people_at(&node.path) {
            return Err(StoreError::Forbidden("该地点不在您的管辖范围内".into()));
        }
        let parties = input
            .parties
            .iter()
            .enumerate()
            .map(|(i, p)| party_row(c, actor, i, p))
            .collect::<StoreResult<Vec<_>>>()?;
        if sides.len() < 2 {
            return Err(StoreError::invalid(
                "当事人",
                "请至少填写一位申请人和一位被申请人",
            ));
        }
        let year = i64::from(received.year());
        let seq = c.scalar(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM mediation_cases WHERE community_id = ? AND year = ?",
            params![community_id, year],
        )?;
        let community = tree::load(c, community_id)?;
        let case_no = format!("{}调〔{year}〕{seq}号", community.name);
        let due = received + chrono::Duration::days(days);
        let entered = crate::periods::entering(c, community_id, "受理日期", received)?;
        let ts = now();
        let id = c
            .insert(
                "INSERT INTO mediation_cases (community_id, node_id, area_path, case_no, year, seq, type_code, source, referred_by, employer,
                    summary, mediator, received_on, due_on, screening_id, user_id, created_at, backdated)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                params![
                    community_id,
                    node.id,
                    node.path.as_str(),
                    case_no.as_str(),
                    year,
                    seq,
                    type_code,
                    source,
                    referred_by.as_deref(),
                    employer.as_deref(),
                    summary.as_str(),
                    mediator.as_str(),
                    received,
                    due,
                    input.screening_id,
                    actor.user_id,
                    ts.as_str(),
                    entered.flag()
                ],
            )
            .map_err(|e| {
                if e.is_unique_violation() {
                    StoreError::Conflict("同时有人登记了案件，编号冲突，请再提交一次".into())
                } else {
                    e.into()
                }
            })?;
        for (i, p) in parties.iter().enumerate() {
            c.execute(
                "INSERT INTO mediation_parties (community_id, case_id, side, person_id, name, sex, id_number, phone, address, position)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![community_id, id, p.0, p.1, p.2.as_str(), p.3.as_deref(), p.4.as_deref(), p.5.as_deref(), p.6.as_deref(), i],
            )?;
        }
        if let Some(sid) = input.screening_id {
            let linked = c.execute(
                "UPDATE screenings SET case_id = ? WHERE id = ? AND case_id IS NULL AND type_code IS NOT NULL AND area_path >= ? AND area_path < ?",
                params![id, sid, community.path.as_str(), prefix_end(&community.path)],
            )?;
            if linked != 1 {
                return Err(StoreError::invalid(
                    "排查记录",
                    format!("排查记录 {sid} 不存在、不是本社区的，或已立案"),
                ));
            }
        }
        event(c, actor, (id, community_id), "receive", None, Some(&format!("{type_label}，限 {days} 天内调结")))?;
        if type_code == "labour" && source == "referral" {
            event(c, actor, (id, community_id), "assign", referred_by.as_deref(), Some("分派社区工会调处"))?;
        }
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("mediation.open", format!("mediation:{id}"))
                .with(serde_json::json!({ "编号": case_no, "类型": type_label, "当事人": parties.len(), "受理日期": received, "补录": entered.backdated })),
        )?;
        Ok(id)
    })
}

const CASE_COLS: &str = "id, community_id, node_id, case_no, type_code, source, referred_by, employer, company_union, \
     summary, mediator, received_on, due_on, outcome, closed_on, agreement, performance, close_note, screening_id, version, area_path, backdated";

fn load_row(c: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Row> {
    actor.require(actor.reads_people(), "查看调解案件")?;
    let row = c
        .query_opt(
            &format!("SELECT {CASE_COLS} FROM mediation_cases WHERE id = ?"),
            params![id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("调解案件 {id}")))?;
    let path: String = row.get(20)?;
    if !actor.sees_people_at(&path) {
        return Err(StoreError::Forbidden("该案件不在您的管辖范围内".into()));
    }
    Ok(row)
}

/// `places` keeps each node's address once per call: a list names the same few places often.
/// `full`: the viewer of one case, whose parties, sessions and events are loaded too.
fn case_from_row(
    c: &mut Conn,
    r: &Row,
    full: Option<&Actor>,
    places: &mut HashMap<i64, String>,
) -> StoreResult<Case> {
    let id: i64 = r.get(0)?;
    let node_id: i64 = r.get(2)?;
    let place = match places.get(&node_id) {
        Some(p) => p.clone(),
        None => {
            let node = tree::load(c, node_id)?;
            let p = tree::address_of(c, &node)?;
            places.insert(node_id, p.clone());
            p
        }
    };
    let type_code: String = r.get(4)?;
    let source: String = r.get(5)?;
    let outcome: Option<String> = r.get(13)?;
    let due: String = r.get(12)?;
    let overdue = outcome.is_none() && due < today().format("%Y-%m-%d").to_string();
    let (parties, sessions, events) = if let Some(viewer) = full {
        let s = sealer()?;
        let parties = c
            .query(
                "SELECT side, person_id, name, sex, id_number, phone, address FROM mediation_parties WHERE case_id = ? ORDER BY position",
                params![id],
            )?
            .iter()
            .map(|p| {
                let side: String = p.get(0)?;
                Ok(Party {
                    side_label: rules::label(PARTY_SIDES, &side).to_string(),
                    side,
                    person_id: p.get(1)?,
                    name: PersonName::for_viewer(p.get(2)?, viewer),
                    sex: p.get(3)?,
                    id_number: IdNo::opt(s.open_opt(Field::PartyIdNumber, p.get(4)?)?),
                    phone: PhoneNo::opt(s.open_opt(Field::PartyPhone, p.get(5)?)?),
                    address: p.get(6)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let sessions = c
            .query(
                "SELECT held_on, place, mediators, notes FROM mediation_sessions WHERE case_id = ? ORDER BY held_on, id",
                params![id],
            )?
            .iter()
            .map(|s| {
                Ok(Session {
                    held_on: s.get(0)?,
                    place: s.get(1)?,
                    mediators: s.get(2)?,
                    notes: s.get(3)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let events = c
            .query(
                "SELECT at, actor_name, action, counterpart, note FROM mediation_events WHERE case_id = ? ORDER BY id",
                params![id],
            )?
            .iter()
            .map(|e| {
                let action: String = e.get(2)?;
                Ok(CaseEvent {
                    at: e.get(0)?,
                    actor_name: e.get(1)?,
                    action_label: action_label(&action).to_string(),
                    action,
                    counterpart: e.get(3)?,
                    note: e.get(4)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        (parties, sessions, events)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let hand_offs = HAND_OFFS
        .iter()
        .filter(|(a, _)| rules::hand_off_allowed(&type_code, outcome.is_some(), a).is_ok())
        .map(|(a, _)| a.to_string())
        .collect();
    Ok(Case {
        id,
        community_id: r.get(1)?,
        node_id,
        place,
        case_no: r.get(3)?,
        type_label: rules::type_of(&type_code)
            .map(|t| t.1)
            .unwrap_or_default()
            .to_string(),
        type_code,
        source_label: rules::label(SOURCES, &source).to_string(),
        source,
        referred_by: r.get(6)?,
        employer: r.get(7)?,
        company_union: r.get(8)?,
        summary: r.get(9)?,
        mediator: r.get(10)?,
        received_on: r.get(11)?,
        due_on: due,
        overdue,
        outcome_label: outcome
            .as_deref()
            .map(|o| rules::label(OUTCOMES, o).to_string()),
        outcome,
        closed_on: r.get(14)?,
        agreement: r.get(15)?,
        performance: r.get(16)?,
        close_note: r.get(17)?,
        screening_id: r.get(18)?,
        version: r.get(19)?,
        backdated: r.get::<i64>(21)? != 0,
        parties,
        sessions,
        events,
        hand_offs,
    })
}

pub fn get(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Case> {
    let row = load_row(conn, actor, id)?;
    case_from_row(conn, &row, Some(actor), &mut HashMap::new())
}

/// Cases under a node: open ones (most overdue first) or all of a year. Scoped in SQL to where
/// the actor may open personal data, and never cut short: a list that silently drops cases
/// would read as "nothing more to do".
pub fn list(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    open_only: bool,
) -> StoreResult<Vec<Case>> {
    actor.require(actor.reads_people(), "查看调解案件")?;
    let node = tree::get(conn, actor, node_id)?;
    let (cf, mut args) = actor.people_community_filter("community_id");
    let (pf, pargs) = actor.people_path_filter("area_path");
    args.push(Value::from(node.path.as_str()));
    args.push(Value::from(prefix_end(&node.path)));
    args.extend(pargs);
    let sql = format!(
        "SELECT {CASE_COLS} FROM mediation_cases WHERE {cf} AND area_path >= ? AND area_path < ? AND {pf} {} ORDER BY {}",
        if open_only { "AND outcome IS NULL" } else { "" },
        if open_only {
            "due_on, id"
        } else {
            "received_on DESC, id DESC"
        }
    );
    let rows = conn.query(&sql, &args)?;
    let mut out = Vec::with_capacity(rows.len());
    let mut places = HashMap::new();
    for r in rows {
        out.push(case_from_row(conn, &r, None, &mut places)?);
    }
    Ok(out)
}

fn check_version(row: &Row, version: i64) -> StoreResult<()> {
    let current: i64 = row.get(19)?;
    if current != version {
        return Err(StoreError::Conflict(
            "该案件刚被他人更新，请刷新页面后再操作".into(),
        ));
    }
    Ok(())
}

fn open_row(row: &Row) -> StoreResult<()> {
    let outcome: Option<String> = row.get(13)?;
    match outcome {
        None => Ok(()),
        Some(o) => Err(StoreError::IllegalStep {
            message: format!("该案件已结案（{}），不能再办理", rules::label(OUTCOMES, &o)),
            allowed: Vec::new(),
        }),
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// Default: today.
    #[serde(default)]
    pub held_on: Option<NaiveDate>,
    #[serde(default)]
    pub place: Option<String>,
    /// Default: the case's mediator.
    #[serde(default)]
    pub mediators: Option<String>,
    /// 调解经过.
    pub notes: String,
    pub version: i64,
}

pub fn add_session(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    input: &SessionInput,
) -> StoreResult<Case> {
    actor.require(actor.role.writes_people(), "记录调解")?;
    let notes = text("调解经过", Some(&input.notes), 4000)?
        .ok_or_else(|| StoreError::invalid("调解经过", "请记录这次调解的经过和双方意见"))?;
    let place = text("调解地点", input.place.as_deref(), 100)?.unwrap_or_default();
    let mediators = text("调解人员", input.mediators.as_deref(), 100)?;
    let held = input.held_on.unwrap_or_else(today);
    if held > today() {
        return Err(StoreError::invalid("调解日期", "不能晚于今天"));
    }
    conn.transaction(|c| {
        let row = load_row(c, actor, id)?;
        open_row(&row)?;
        check_version(&row, input.version)?;
        let received: String = row.get(11)?;
        if held.format("%Y-%m-%d").to_string() < received {
            return Err(StoreError::invalid("调解日期", "不能早于受理日期"));
        }
        let community_id: i64 = row.get(1)?;
        let mediator: String = row.get(10)?;
        c.execute(
            "INSERT INTO mediation_sessions (community_id, case_id, held_on, place, mediators, notes, user_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params![community_id, id, held, place.as_str(), mediators.unwrap_or(mediator).as_str(), notes.as_str(), actor.user_id, now()],
        )?;
        c.execute(
            "UPDATE mediation_cases SET version = version + 1 WHERE id = ?",
            params![id],
        )?;
        event(c, actor, (id, community_id), "session", None, Some(&format!("{held} {place}")))?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("mediation.session", format!("mediation:{id}")),
        )?;
        get(c, actor, id)
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOffInput {
    /// assign (法律援助中心分派) | assist (企业工会协助) | return (返还法律援助中心，转仲裁)
    pub action: String,
    /// The other side: 区总工会职工法律援助中心, XX公司工会 …
    pub counterpart: String,
    #[serde(default)]
    pub note: Option<String>,
    pub version: i64,
}

/// A hand-off of the labour flow. `return` ends the case: it goes back to arbitration.
pub fn hand_off(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    input: &HandOffInput,
) -> StoreResult<Case> {
    actor.require(actor.role.writes_people(), "办理调解案件")?;
    let action = rules::code_of(HAND_OFFS, &input.action).ok_or_else(|| {
        StoreError::invalid(
            "移交",
            "应为 法律援助中心分派、企业工会协助、返还法律援助中心 之一",
        )
    })?;
    let counterpart = text("移交对象", Some(&input.counterpart), 100)?
        .ok_or_else(|| StoreError::invalid("移交对象", "请写明交给或来自哪个单位"))?;
    let note = text("说明", input.note.as_deref(), 500)?;
    conn.transaction(|c| {
        let row = load_row(c, actor, id)?;
        let type_code: String = row.get(4)?;
        let outcome: Option<String> = row.get(13)?;
        if let Err(allowed) = rules::hand_off_allowed(&type_code, outcome.is_some(), action) {
            return Err(StoreError::IllegalStep {
                message: if outcome.is_some() {
                    "该案件已结案，不能再移交".into()
                } else {
                    format!("“{}”只用于劳资纠纷的三级联动", rules::label(HAND_OFFS, action))
                },
                allowed,
            });
        }
        check_version(&row, input.version)?;
        let community_id: i64 = row.get(1)?;
        match action {
            "assist" => c.execute(
                "UPDATE mediation_cases SET company_union = ?, version = version + 1 WHERE id = ?",
                params![counterpart.as_str(), id],
            )?,
            "return" => {
                let note = note.clone().unwrap_or_else(|| "调处未成，返还仲裁委".into());
                c.execute(
                    "UPDATE mediation_cases SET outcome = 'arbitration', closed_on = ?, close_note = ?, version = version + 1 WHERE id = ?",
                    params![today(), note.as_str(), id],
                )?
            }
            _ => c.execute(
                "UPDATE mediation_cases SET version = version + 1 WHERE id = ?",
                params![id],
            )?,
        };
        event(c, actor, (id, community_id), action, Some(&counterpart), note.as_deref())?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("mediation.hand_off", format!("mediation:{id}"))
                .with(serde_json::json!({ "移交": action, "对象": counterpart })),
        )?;
        get(c, actor, id)
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// success (调解成功) | failed (调解不成) | arbitration (转仲裁) | litigation (转诉讼) | withdrawn (撤回)
    pub outcome: String,
    /// Default: today.
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
    /// What the parties agreed (needed for 调解成功: it goes into the 人民调解协议书).
    #[serde(default)]
    pub agreement: Option<String>,
    /// How and by when it is carried out.
    #[serde(default)]
    pub performance: Option<String>,
    /// Why, for any other outcome.
    #[serde(default)]
    pub note: Option<String>,
    pub version: i64,
}

pub fn close(conn: &mut Conn, actor: &Actor, id: i64, input: &CloseInput) -> StoreResult<Case> {
    actor.require(actor.role.writes_people(), "调解案件结案")?;
    let outcome = rules::code_of(OUTCOMES, &input.outcome).ok_or_else(|| {
        StoreError::invalid(
            "调解结果",
            "应为 调解成功、调解不成、转仲裁、转诉讼、撤回 之一",
        )
    })?;
    let agreement = text("协议内容", input.agreement.as_deref(), 4000)?;
    let performance = text("履行方式和期限", input.performance.as_deref(), 1000)?;
    let note = text("说明", input.note.as_deref(), 1000)?;
    if outcome == "success" && agreement.is_none() {
        return Err(StoreError::invalid(
            "协议内容",
            "调解成功请写明双方达成的协议内容，用于生成人民调解协议书",
        ));
    }
    if outcome != "success" && note.is_none() {
        return Err(StoreError::invalid(
            "说明",
            format!("“{}”请写明原因和去向", rules::label(OUTCOMES, outcome)),
        ));
    }
    let closed = input.closed_on.unwrap_or_else(today);
    if closed > today() {
        return Err(StoreError::invalid("结案日期", "不能晚于今天"));
    }
    conn.transaction(|c| {
        let row = load_row(c, actor, id)?;
        open_row(&row)?;
        check_version(&row, input.version)?;
        let received: String = row.get(11)?;
        if closed.format("%Y-%m-%d").to_string() < received {
            return Err(StoreError::invalid("结案日期", "不能早于受理日期"));
        }
        let community_id: i64 = row.get(1)?;
        crate::periods::entering(c, community_id, "结案日期", closed)?;
        let type_code: String = row.get(4)?;
        c.execute(
            "UPDATE mediation_cases SET outcome = ?, closed_on = ?, agreement = ?, performance = ?, close_note = ?, version = version + 1 WHERE id = ?",
            params![outcome, closed, agreement.as_deref(), performance.as_deref(), note.as_deref(), id],
        )?;
        // The labour flow: what the community union could not settle goes back to the
        // legal-aid centre, and from there to arbitration.
        if type_code == "labour" && matches!(outcome, "failed" | "arbitration") {
            let centre: Option<String> = row.get(6)?;
            event(
                c,
                actor,
                (id, community_id),
                "return",
                Some(centre.as_deref().unwrap_or("区总工会职工法律援助中心")),
                Some("调处未成，备案后返还区劳动人事争议仲裁委员会"),
            )?;
        }
        event(
            c,
            actor,
            (id, community_id),
            "close",
            None,
            Some(rules::label(OUTCOMES, outcome)),
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("mediation.close", format!("mediation:{id}"))
                .with(serde_json::json!({ "结果": rules::label(OUTCOMES, outcome) })),
        )?;
        get(c, actor, id)
    })
}

/// What the 人民调解协议书 needs: the case with its parties' full details, for a mediator of
/// the case's area. Audited by the caller's export.
pub struct AgreementData {
    pub case: Case,
    pub parties: Vec<AgreementParty>,
    pub committee: String,
}

/// One party as the agreement prints it, unmasked. Named fields, not a tuple: the document's
/// columns pick each value by name, so a column can't print its neighbour's value.
#[derive(Debug, Clone, Default)]
pub struct AgreementParty {
    /// 申请人 / 被申请人.
    pub side: String,
    pub name: String,
    pub sex: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
}

pub fn agreement_data(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<AgreementData> {
    actor.require(actor.role.writes_people(), "制作人民调解协议书")?;
    let case = get(conn, actor, id)?;
    if case.outcome.as_deref() != Some("success") {
        return Err(StoreError::IllegalStep {
            message: "只有调解成功的案件才能制作人民调解协议书".into(),
            allowed: Vec::new(),
        });
    }
    // It carries the parties' full ID numbers and phones: the same second factor as a ledger.
    crate::access::second_factor::require(actor)?;
    let s = sealer()?;
    let parties = conn
        .query(
            "SELECT side, name, sex, id_number, phone, address FROM mediation_parties WHERE case_id = ? ORDER BY position",
            params![id],
        )?
        .iter()
        .map(|p| {
            let side: String = p.get(0)?;
            Ok(AgreementParty {
                side: rules::label(PARTY_SIDES, &side).to_string(),
                name: p.get(1)?,
                sex: p.get::<Option<String>>(2)?.unwrap_or_default(),
                id_number: s
                    .open_opt(Field::PartyIdNumber, p.get(3)?)?
                    .unwrap_or_default(),
                phone: s.open_opt(Field::PartyPhone, p.get(4)?)?.unwrap_or_default(),
                address: p.get::<Option<String>>(5)?.unwrap_or_default(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let community = tree::load(conn, case.community_id)?;
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("mediation.agreement", format!("mediation:{id}"))
            .with(serde_json::json!({ "编号": case.case_no })),
    )?;
    Ok(AgreementData {
        committee: format!("{}人民调解委员会", community.name),
        case,
        parties,
    })
}

/// The cases a person is a party to (the person page lists them), newest first, scoped in SQL.
pub fn cases_of_person(conn: &mut Conn, actor: &Actor, person_id: i64) -> StoreResult<Vec<Case>> {
    people::get(conn, actor, person_id)?;
    let (cf, mut args) = actor.people_community_filter("community_id");
    let (pf, pargs) = actor.people_path_filter("area_path");
    args.extend(pargs);
    args.push(crate::db::Value::from(person_id));
    let rows = conn.query(
        &format!(
            "SELECT {CASE_COLS} FROM mediation_cases WHERE {cf} AND {pf}
               AND id IN (SELECT case_id FROM mediation_parties WHERE person_id = ?)
             ORDER BY received_on DESC, id DESC LIMIT 100"
        ),
        &args,
    )?;
    let mut places = HashMap::new();
    rows.iter()
        .map(|r| case_from_row(conn, r, None, &mut places))
        .collect()
}
