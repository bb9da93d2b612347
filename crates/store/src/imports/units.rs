//! Importing a 辖区单位 ledger into a grid: each unit matched by its 统一社会信用代码 (or, without
//! one, by its name) within the community; compared first, then committed all-or-nothing with
//! one audit row. The community's own 辖区单位台账 re-imports to no changes.

use std::collections::HashMap;

use shequ_domain::access::mask::mask_phone;

use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::imports::{Change, Judged, Kind, Names, Written, at_row};
use crate::params;
use crate::registry::tree::Node;
use crate::registry::units::{self, Unit, UnitInput};

/// One row of a units ledger, read. `present`: the fields the file has a column for (what
/// it leaves out keeps the stored value).
#[derive(Debug, Clone)]
pub struct UnitRow {
    pub sheet: String,
    pub row: u32,
    pub input: UnitInput,
    pub present: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub enum UnitVerdict {
    New,
    Unchanged,
    Update {
        unit_id: i64,
        version: i64,
        merged: Box<UnitInput>,
        changes: Vec<Change>,
    },
    Rejected {
        field: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct UnitPlan {
    pub grid_id: i64,
    pub rows: Vec<(UnitRow, UnitVerdict)>,
}

/// Compares every row with the community's units. Writes nothing.
pub fn plan_units(
    conn: &mut Conn,
    actor: &Actor,
    grid_id: i64,
    rows: Vec<UnitRow>,
) -> StoreResult<UnitPlan> {
    actor.require(actor.role.writes_people(), "导入辖区单位")?;
    let grid = crate::imports::grid_for(conn, actor, grid_id, "单位")?;
    let community = grid.community_id.unwrap_or_default();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for mut row in rows {
        row.input.node_id = grid.id;
        let verdict = match units::validate(&row.input) {
            Err(StoreError::Invalid { field, message }) => UnitVerdict::Rejected { field, message },
            Err(e) => return Err(e),
            Ok(v) => {
                // The same unit twice in one file is one of them written wrong.
                let key = v.credit_code.clone().unwrap_or_else(|| v.name.clone());
                if let Some(first) = seen.get(&key) {
                    UnitVerdict::Rejected {
                        field: "单位名称".into(),
                        message: format!("与第{first}行是同一单位：每个单位只登记一次"),
                    }
                } else {
                    seen.insert(key, row.row);
                    let found = match &v.credit_code {
                        Some(code) => conn.query_opt(
                            "SELECT id FROM units WHERE community_id = ? AND credit_code = ? AND closed_on IS NULL",
                            params![community, code.as_str()],
                        )?,
                        None => conn.query_opt(
                            "SELECT id FROM units WHERE community_id = ? AND name = ? AND closed_on IS NULL",
                            params![community, v.name.as_str()],
                        )?,
                    };
                    match found {
                        None => UnitVerdict::New,
                        Some(r) => {
                            let old = units::get(conn, actor, r.get(0)?)?;
                            compare(&row, &v, old)
                        }
                    }
                }
            }
        };
        out.push((row, verdict));
    }
    Ok(UnitPlan {
        grid_id: grid.id,
        rows: out,
    })
}

fn compare(row: &UnitRow, v: &units::Valid, old: Unit) -> UnitVerdict {
    let has = |k: &str| row.present.contains(&k);
    let u = &row.input;
    let mut changes = Vec::new();
    let mut merged = UnitInput {
        node_id: old.node_id,
        name: v.name.clone(),
        kind: v.kind.to_string(),
        credit_code: old.credit_code.clone(),
        address: old.address.clone(),
        contact_name: old.contact_name.as_ref().map(|n| n.expose().to_string()),
        contact_phone: old.contact_phone.as_ref().map(|p| p.expose().to_string()),
        employees: old.employees,
        safety_agreement_on: old.safety_agreement_on,
        fire_agreement_on: old.fire_agreement_on,
        notes: old.notes.clone(),
    };
    let mut diff = |field: &'static str, before: Option<String>, after: Option<String>| {
        if before != after {
            changes.push(Change {
                field,
                before: before.unwrap_or_default(),
                after: after.unwrap_or_default(),
            });
        }
    };
    diff("单位名称", Some(old.name.clone()), Some(v.name.clone()));
    diff("单位类别", Some(old.kind.clone()), Some(v.kind.to_string()));
    if has("credit_code") {
        diff(
            "统一社会信用代码",
            old.credit_code.clone(),
            v.credit_code.clone(),
        );
        merged.credit_code = v.credit_code.clone();
    }
    if has("address") {
        diff("地址", old.address.clone(), units::trimmed(&u.address));
        merged.address = units::trimmed(&u.address);
    }
    if has("contact_name") {
        diff(
            "负责人",
            old.contact_name.as_ref().map(|n| n.expose().to_string()),
            units::trimmed(&u.contact_name),
        );
        merged.contact_name = units::trimmed(&u.contact_name);
    }
    if has("contact_phone") {
        diff(
            "负责人电话",
            old.contact_phone.as_ref().map(|p| p.masked()),
            v.contact_phone.as_deref().map(mask_phone),
        );
        merged.contact_phone = v.contact_phone.clone();
    }
    if has("employees") {
        let show = |n: Option<i64>| n.map(|n| n.to_string());
        diff("从业人数", show(old.employees), show(u.employees));
        merged.employees = u.employees;
    }
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
    if has("safety_agreement_on") {
        diff(
            "安全生产责任书签订日期",
            day(old.safety_agreement_on),
            day(u.safety_agreement_on),
        );
        merged.safety_agreement_on = u.safety_agreement_on;
    }
    if has("fire_agreement_on") {
        diff(
            "消防安全责任书签订日期",
            day(old.fire_agreement_on),
            day(u.fire_agreement_on),
        );
        merged.fire_agreement_on = u.fire_agreement_on;
    }
    if has("notes") {
        diff("备注", old.notes.clone(), units::trimmed(&u.notes));
        merged.notes = units::trimmed(&u.notes);
    }
    if changes.is_empty() {
        UnitVerdict::Unchanged
    } else {
        UnitVerdict::Update {
            unit_id: old.id,
            version: old.version,
            merged: Box::new(merged),
            changes,
        }
    }
}

impl Kind for UnitPlan {
    type Row = UnitRow;
    type Verdict = UnitVerdict;

    fn names(&self) -> Names {
        Names::of("units", "辖区单位", "导入辖区单位")
    }

    fn rows(&self) -> &[(UnitRow, UnitVerdict)] {
        &self.rows
    }

    fn judged(v: &UnitVerdict) -> Judged {
        match v {
            UnitVerdict::New => Judged::New,
            UnitVerdict::Unchanged => Judged::Unchanged,
            UnitVerdict::Update { .. } => Judged::Update,
            UnitVerdict::Rejected { .. } => Judged::Rejected,
        }
    }

    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node> {
        crate::imports::grid_for(c, actor, self.grid_id, "单位")
    }

    fn write(
        &self,
        c: &mut Conn,
        actor: &Actor,
        grid: &Node,
        i: usize,
        accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written> {
        let (row, verdict) = &self.rows[i];
        let at = at_row(&row.sheet, row.row);
        Ok(match verdict {
            UnitVerdict::New => {
                let v = units::validate(&row.input).map_err(&at)?;
                units::insert(c, grid, &v, &row.input).map_err(at)?;
                Written::New
            }
            UnitVerdict::Update {
                unit_id,
                version,
                merged,
                ..
            } if accept(i) => {
                units::update(c, actor, *unit_id, merged, Some(*version)).map_err(at)?;
                Written::Updated
            }
            UnitVerdict::Update { .. } => Written::Skipped,
            UnitVerdict::Unchanged => Written::Unchanged,
            UnitVerdict::Rejected { .. } => Written::Rejected,
        })
    }
}
