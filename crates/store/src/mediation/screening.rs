//! The 排查 register: disputes found on visits, patrols and screening rounds, and rounds that
//! found none.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shequ_domain::mediation::{self as rules};

use super::{text, type_checked};
use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::clock::{now, today};
use crate::db::{Conn, Value, prefix_end};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree;

/// A dispute found in the field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeFound {
    /// neighbour | family | property | labour | land | damage | rental | other (or 邻里纠纷 …)
    pub type_code: String,
    /// Who and what, in a sentence.
    pub summary: String,
}

/// A round of 排查 in a grid: the disputes found, or none.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningInput {
    /// Default: today.
    #[serde(default)]
    pub screened_on: Option<NaiveDate>,
    /// Empty: screened, nothing found.
    #[serde(default)]
    pub disputes: Vec<DisputeFound>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Screening {
    pub id: i64,
    pub node_id: i64,
    pub place: String,
    pub screened_on: String,
    /// visit | patrol | screening
    pub source: String,
    pub source_label: String,
    /// None: screened, nothing found.
    pub type_code: Option<String>,
    pub type_label: Option<String>,
    pub summary: String,
    pub case_id: Option<i64>,
    pub worker_name: String,
    /// Entered on a later day than the round (补录).
    pub backdated: bool,
}

fn check_disputes(disputes: &[DisputeFound]) -> StoreResult<()> {
    if disputes.len() > 20 {
        return Err(StoreError::invalid(
            "发现的纠纷",
            "一次最多登记 20 起，请分次登记",
        ));
    }
    for d in disputes {
        type_checked("纠纷类型", &d.type_code)?;
        text("纠纷情况", Some(&d.summary), 500)?
            .ok_or_else(|| StoreError::invalid("纠纷情况", "请用一句话写明谁和谁、因为什么"))?;
    }
    Ok(())
}

/// Enters the register inside the caller's transaction: one row per dispute found, or one row
/// saying the round found none. `from`: ("visit" | "patrol" | "screening", its id or 0).
pub(crate) fn register_found(
    c: &mut Conn,
    actor: &Actor,
    at: (i64, i64, &str),
    on: NaiveDate,
    from: (&str, i64),
    disputes: &[DisputeFound],
) -> StoreResult<Vec<i64>> {
    check_disputes(disputes)?;
    let (community_id, node_id, area) = at;
    let (visit_id, patrol_id) = match from.0 {
        "visit" => (Some(from.1), None),
        "patrol" => (None, Some(from.1)),
        _ => (None, None),
    };
    let rows: Vec<(Option<&str>, &str)> = if disputes.is_empty() {
        vec![(None, "")]
    } else {
        disputes
            .iter()
            .map(|d| (rules::type_of(&d.type_code).map(|t| t.0), d.summary.trim()))
            .collect()
    };
    let entered = crate::periods::entering(c, community_id, "排查日期", on)?;
    let mut ids = Vec::with_capacity(rows.len());
    for (type_code, summary) in rows {
        ids.push(c.insert(
            "INSERT INTO screenings (community_id, node_id, area_path, screened_on, source, visit_id, patrol_id, type_code, summary, user_id, worker_name, created_at, backdated)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            params![
                community_id,
                node_id,
                area,
                on,
                from.0,
                visit_id,
                patrol_id,
                type_code,
                summary,
                actor.user_id,
                actor.display_name.as_str(),
                now(),
                entered.flag()
            ],
        )?);
    }
    Ok(ids)
}

/// Records a round of 排查 at a grid (or a node under it).
pub fn screen(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    input: &ScreeningInput,
) -> StoreResult<Vec<i64>> {
    actor.require(actor.role.writes_people(), "登记矛盾纠纷排查")?;
    let on = input.screened_on.unwrap_or_else(today);
    if on > today() || on < today() - chrono::Duration::days(366) {
        return Err(StoreError::invalid("排查日期", "应在今天和一年前之间"));
    }
    check_disputes(&input.disputes)?;
    conn.transaction(|c| {
        let node = tree::get(c, actor, node_id)?;
        let community = node
            .community_id
            .filter(|_| node.kind >= shequ_domain::registry::org::NodeKind::Grid)
            .ok_or_else(|| StoreError::invalid("位置", "排查按网格登记：请选择网格"))?;
        if !actor.sees_people_at(&node.path) {
            return Err(StoreError::Forbidden("该网格不在您的管辖范围内".into()));
        }
        let ids = register_found(
            c,
            actor,
            (community, node.id, node.path.as_str()),
            on,
            ("screening", 0),
            &input.disputes,
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("screening.record", format!("node:{}", node.id))
                .with(serde_json::json!({ "日期": on, "补录": on < today(), "发现纠纷": input.disputes.len() })),
        )?;
        Ok(ids)
    })
}

/// The register under a node for a period, newest first: scoped in SQL to where the actor may
/// open personal data, and whole (a period's register is what 排查率 is read from).
pub fn register(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<Screening>> {
    actor.require(actor.reads_people(), "查看矛盾纠纷排查台账")?;
    let node = tree::get(conn, actor, node_id)?;
    let (cf, mut args) = actor.people_community_filter("community_id");
    let (pf, pargs) = actor.people_path_filter("area_path");
    args.push(Value::from(node.path.as_str()));
    args.push(Value::from(prefix_end(&node.path)));
    args.extend(pargs);
    args.push(Value::from(from));
    args.push(Value::from(to));
    let rows = conn.query(
        &format!(
            "SELECT id, node_id, screened_on, source, type_code, summary, case_id, worker_name, backdated
             FROM screenings WHERE {cf} AND area_path >= ? AND area_path < ? AND {pf}
               AND screened_on >= ? AND screened_on <= ?
             ORDER BY screened_on DESC, id DESC"
        ),
        &args,
    )?;
    let mut places: HashMap<i64, String> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let node_id: i64 = r.get(1)?;
        let place = match places.get(&node_id) {
            Some(p) => p.clone(),
            None => {
                let n = tree::load(conn, node_id)?;
                let p = tree::address_of(conn, &n)?;
                places.insert(node_id, p.clone());
                p
            }
        };
        let source: String = r.get(3)?;
        let type_code: Option<String> = r.get(4)?;
        out.push(Screening {
            id: r.get(0)?,
            node_id,
            place,
            screened_on: r.get(2)?,
            source_label: match source.as_str() {
                "visit" => "走访发现",
                "patrol" => "巡查发现",
                _ => "专项排查",
            }
            .into(),
            source,
            type_label: type_code
                .as_deref()
                .and_then(rules::type_of)
                .map(|t| t.1.to_string()),
            type_code,
            summary: r.get(5)?,
            case_id: r.get(6)?,
            worker_name: r.get(7)?,
            backdated: r.get::<i64>(8)? != 0,
        });
    }
    Ok(out)
}
