//! 辖区单位: companies, shops, schools and restaurants located in a grid, with the safety and
//! fire-safety responsibility agreements (责任书) they signed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shequ_domain::registry::credit_code::CreditCode;
use shequ_domain::registry::org::NodeKind;
use shequ_domain::registry::phone::Phone;
use shequ_domain::registry::{UNIT_KINDS, pick};

use crate::access::audit::{self, By, Event};
use crate::access::personal::{PersonName, PhoneNo};
use crate::access::scope::{Actor, RecordSql};
use crate::access::sealed::{Field, sealer};
use crate::clock::now;
use crate::db::{Conn, Row, Value};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree;

/// A unit sits at its node. Read by the access guard (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT area_path FROM units WHERE id = ?",
    version: Some("SELECT version FROM units WHERE id = ?"),
};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub node_id: i64,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub employees: Option<i64>,
    #[serde(default)]
    pub safety_agreement_on: Option<NaiveDate>,
    #[serde(default)]
    pub fire_agreement_on: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub id: i64,
    pub node_id: i64,
    pub name: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub address: Option<String>,
    pub contact_name: Option<PersonName>,
    pub contact_phone: Option<PhoneNo>,
    pub employees: Option<i64>,
    pub safety_agreement_on: Option<NaiveDate>,
    pub fire_agreement_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub version: i64,
}

const COLS: &str = "id, node_id, name, kind, credit_code, address, contact_name, contact_phone, \
     employees, safety_agreement_on, fire_agreement_on, closed_on, notes, version";

fn from_row(r: &Row, actor: &Actor) -> StoreResult<Unit> {
    Ok(Unit {
        id: r.get(0)?,
        node_id: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
        credit_code: r.get(4)?,
        address: r.get(5)?,
        contact_name: PersonName::opt_for(r.get(6)?, actor),
        contact_phone: PhoneNo::opt(sealer()?.open_opt(Field::ContactPhone, r.get(7)?)?),
        employees: r.get(8)?,
        safety_agreement_on: r.get(9)?,
        fire_agreement_on: r.get(10)?,
        closed_on: r.get(11)?,
        notes: r.get(12)?,
        version: r.get(13)?,
    })
}

pub(crate) struct Valid {
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) credit_code: Option<String>,
    pub(crate) contact_phone: Option<String>,
}

pub(crate) fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) fn validate(u: &UnitInput) -> StoreResult<Valid> {
    let name = u.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(StoreError::invalid(
            "单位名称",
            "请填写单位名称（不超过 80 字）",
        ));
    }
    let kind =
        pick("单位类别", UNIT_KINDS, &u.kind).map_err(|m| StoreError::invalid("单位类别", m))?;
    let credit_code = trimmed(&u.credit_code)
        .map(|c| CreditCode::parse(&c).map(|c| c.as_str().to_string()))
        .transpose()
        .map_err(|e| StoreError::invalid("统一社会信用代码", e.to_string()))?;
    let contact_phone = trimmed(&u.contact_phone)
        .map(|p| Phone::parse(&p).map(|p| p.as_str().to_string()))
        .transpose()
        .map_err(|e| StoreError::invalid("负责人电话", e.to_string()))?;
    if u.employees.is_some_and(|e| e < 0) {
        return Err(StoreError::invalid("从业人数", "不能为负数"));
    }
    Ok(Valid {
        name,
        kind,
        credit_code,
        contact_phone,
    })
}

pub fn create(conn: &mut Conn, actor: &Actor, u: &UnitInput) -> StoreResult<i64> {
    actor.require(actor.role.writes_people(), "登记辖区单位")?;
    let v = validate(u)?;
    conn.transaction(|c| {
        let node = tree::get(c, actor, u.node_id)?;
        if node.kind < NodeKind::Grid {
            return Err(StoreError::invalid(
                "所在位置",
                "请选择单位所在的网格或楼栋",
            ));
        }
        let id = insert(c, &node, &v, u)?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("unit.create", format!("unit:{id}"))
                .with(serde_json::json!({ "名称": v.name, "类别": v.kind, "位置": node.id })),
        )?;
        Ok(id)
    })
}

/// Writes a checked unit under `node`.
pub(crate) fn insert(
    c: &mut Conn,
    node: &tree::Node,
    v: &Valid,
    u: &UnitInput,
) -> StoreResult<i64> {
    let ts = now();
    let id = c.insert(
        "INSERT INTO units (community_id, area_path, created_at, updated_at, node_id, name, kind,
        credit_code, address, contact_name, contact_phone, employees, safety_agreement_on,
        fire_agreement_on, closed_on, notes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            node.community_id,
            node.path.as_str(),
            ts.as_str(),
            ts.as_str(),
            node.id,
            v.name.as_str(),
            v.kind,
            v.credit_code.clone(),
            trimmed(&u.address),
            trimmed(&u.contact_name),
            sealer()?.seal_opt(Field::ContactPhone, v.contact_phone.as_deref())?,
            u.employees,
            u.safety_agreement_on,
            u.fire_agreement_on,
            Value::Null,
            trimmed(&u.notes)
        ],
    )?;
    Ok(id)
}

pub fn get(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Unit> {
    let row = conn
        .query_opt(
            &format!("SELECT {COLS}, area_path FROM units WHERE id = ?"),
            params![id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("单位 {id}")))?;
    let path: String = row.get(14)?;
    if !actor.sees_path(&path) {
        return Err(StoreError::Forbidden("该单位不在您的管辖范围内".into()));
    }
    from_row(&row, actor)
}

pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    u: &UnitInput,
    version: Option<i64>,
) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "修改辖区单位")?;
    conn.transaction(|c| {
        let old = get(c, actor, id)?;
        // The masked phone sent back unchanged keeps what is stored.
        let mut u = u.clone();
        if let (Some(typed), Some(stored)) = (u.contact_phone.as_deref(), &old.contact_phone)
            && typed.contains('*')
            && typed.trim() == stored.masked()
        {
            u.contact_phone = Some(stored.expose().to_string());
        }
        let u = &u;
        let v = validate(u)?;
        if version.is_some_and(|v| v != old.version) {
            return Err(StoreError::Conflict(format!("“{}”已被他人修改，请刷新后再改", old.name)));
        }
        let node = tree::get(c, actor, u.node_id)?;
        c.execute(
            "UPDATE units SET node_id = ?, area_path = ?, name = ?, kind = ?, credit_code = ?, address = ?, contact_name = ?,
                contact_phone = ?, employees = ?, safety_agreement_on = ?, fire_agreement_on = ?, notes = ?,
                updated_at = ?, version = version + 1 WHERE id = ?",
            params![
                node.id,
                node.path.as_str(),
                v.name.as_str(),
                v.kind,
                v.credit_code,
                trimmed(&u.address),
                trimmed(&u.contact_name),
                sealer()?.seal_opt(Field::ContactPhone, v.contact_phone.as_deref())?,
                u.employees,
                u.safety_agreement_on,
                u.fire_agreement_on,
                trimmed(&u.notes),
                now(),
                id
            ],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("unit.update", format!("unit:{id}"))
                .with(serde_json::json!({ "名称": v.name, "类别": v.kind, "位置": node.id })),
        )?;
        Ok(())
    })
}

/// Units under a node in the actor's scope, open ones first.
pub fn list(conn: &mut Conn, actor: &Actor, node_id: i64, limit: i64) -> StoreResult<Vec<Unit>> {
    let node = tree::get(conn, actor, node_id)?;
    let rows = conn.query(
        &format!(
            "SELECT {COLS} FROM units WHERE area_path >= ? AND area_path < ?
             ORDER BY closed_on IS NOT NULL, name LIMIT ?"
        ),
        params![node.path.as_str(), crate::db::prefix_end(&node.path), limit],
    )?;
    rows.iter().map(|r| from_row(r, actor)).collect()
}
