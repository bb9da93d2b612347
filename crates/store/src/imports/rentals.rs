//! Importing a 出租房屋 ledger into a grid: for each rented home (found by its address under
//! the grid) its landlord and 治安责任书 date. The tenants themselves are people: they come in
//! with the persons ledger (人员类别 流动) and are listed here from the residents. Compared
//! first, then committed all-or-nothing with one audit row; the grid's own 出租房屋台账
//! re-imports to no changes.

use std::collections::HashMap;

use chrono::NaiveDate;
use shequ_domain::access::mask::mask_phone;

use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::imports::{Change, Judged, Kind, Names, Written, at_row};
use crate::imports::{building_name, unit_name};
use crate::params;
use crate::registry::housing::{self, Housing};
use crate::registry::tree::Node;

/// One rented home of a file. `present`: the fields the file has a column for.
#[derive(Debug, Clone)]
pub struct RentalRow {
    pub sheet: String,
    pub row: u32,
    pub address: String,
    pub building: String,
    pub unit: Option<String>,
    pub room: String,
    pub landlord_name: Option<String>,
    pub landlord_phone: Option<String>,
    pub agreement_signed_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub present: Vec<&'static str>,
}

#[derive(Debug, Clone)]
pub enum RentalVerdict {
    New {
        room_id: i64,
        housing: Housing,
    },
    Unchanged,
    Update {
        room_id: i64,
        housing: Housing,
        changes: Vec<Change>,
    },
    Rejected {
        field: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct RentalPlan {
    pub grid_id: i64,
    pub rows: Vec<(RentalRow, RentalVerdict)>,
}

/// The room at building / unit / room under the grid, if the tree has it.
fn find_room(conn: &mut Conn, grid: i64, row: &RentalRow) -> StoreResult<Option<i64>> {
    let mut names = vec![building_name(&row.building)];
    if let Some(u) = &row.unit {
        names.push(unit_name(u));
    }
    names.push(row.room.trim().to_string());
    let mut at = grid;
    for name in names {
        match conn.query_opt(
            "SELECT id FROM org_nodes WHERE parent_id = ? AND name = ? AND retired_on IS NULL",
            params![at, name.as_str()],
        )? {
            Some(r) => at = r.get(0)?,
            None => return Ok(None),
        }
    }
    Ok(Some(at))
}

/// Compares every row with the grid's homes. Writes nothing.
pub fn plan_rentals(
    conn: &mut Conn,
    actor: &Actor,
    grid_id: i64,
    rows: Vec<RentalRow>,
) -> StoreResult<RentalPlan> {
    actor.require(actor.role.writes_people(), "导入出租房屋")?;
    let grid = crate::imports::grid_for(conn, actor, grid_id, "房屋信息")?;
    let mut seen: HashMap<i64, u32> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let verdict = match find_room(conn, grid.id, &row)? {
            None => RentalVerdict::Rejected {
                field: "地址".into(),
                message: format!(
                    "“{}”在{}还没有登记：请先导入这里的实有人口台账（承租人和房屋会一并建立），再导入出租房屋",
                    row.address, grid.name
                ),
            },
            Some(room_id) => match seen.get(&room_id) {
                // A ledger with one row per tenant repeats the home: the first row speaks for it.
                Some(_) => continue,
                None => {
                    seen.insert(room_id, row.row);
                    compare(conn, actor, room_id, &row)?
                }
            },
        };
        out.push((row, verdict));
    }
    Ok(RentalPlan {
        grid_id: grid.id,
        rows: out,
    })
}

fn compare(
    conn: &mut Conn,
    actor: &Actor,
    room_id: i64,
    row: &RentalRow,
) -> StoreResult<RentalVerdict> {
    let has = |k: &str| row.present.contains(&k);
    let old = housing::get_stored(conn, actor, room_id)?;
    let Some(old) = old else {
        let housing = Housing {
            usage: "出租".into(),
            landlord_name: row.landlord_name.clone(),
            landlord_phone: row.landlord_phone.clone(),
            agreement_signed_on: row.agreement_signed_on,
            notes: row.notes.clone(),
        };
        return Ok(match housing::check(&housing) {
            Err(StoreError::Invalid { field, message }) => {
                RentalVerdict::Rejected { field, message }
            }
            Err(e) => return Err(e),
            Ok(()) => RentalVerdict::New { room_id, housing },
        });
    };
    let mut merged = old.clone();
    merged.usage = "出租".into();
    if has("landlord_name") {
        merged.landlord_name = row.landlord_name.clone();
    }
    if has("landlord_phone") {
        merged.landlord_phone = row.landlord_phone.clone();
    }
    if has("agreement_signed_on") {
        merged.agreement_signed_on = row.agreement_signed_on;
    }
    if has("notes") {
        merged.notes = row.notes.clone();
    }
    if let Err(e) = housing::check(&merged) {
        return Ok(match e {
            StoreError::Invalid { field, message } => RentalVerdict::Rejected { field, message },
            other => return Err(other),
        });
    }
    let merged = housing::normalised(&merged)?;
    let old_n = housing::normalised(&old)?;
    let mut changes = Vec::new();
    let mut diff = |field: &'static str, before: Option<String>, after: Option<String>| {
        if before != after {
            changes.push(Change {
                field,
                before: before.unwrap_or_default(),
                after: after.unwrap_or_default(),
            });
        }
    };
    diff(
        "房屋用途",
        Some(old_n.usage.clone()),
        Some(merged.usage.clone()),
    );
    diff(
        "房东姓名",
        old_n.landlord_name.clone(),
        merged.landlord_name.clone(),
    );
    diff(
        "房东电话",
        old_n.landlord_phone.as_deref().map(mask_phone),
        merged.landlord_phone.as_deref().map(mask_phone),
    );
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    diff(
        "治安责任书签订日期",
        day(old_n.agreement_signed_on),
        day(merged.agreement_signed_on),
    );
    diff("备注", old_n.notes.clone(), merged.notes.clone());
    Ok(if changes.is_empty() {
        RentalVerdict::Unchanged
    } else {
        RentalVerdict::Update {
            room_id,
            housing: merged,
            changes,
        }
    })
}

impl Kind for RentalPlan {
    type Row = RentalRow;
    type Verdict = RentalVerdict;

    fn names(&self) -> Names {
        Names::of("rentals", "出租房屋", "导入出租房屋")
    }

    fn rows(&self) -> &[(RentalRow, RentalVerdict)] {
        &self.rows
    }

    fn judged(v: &RentalVerdict) -> Judged {
        match v {
            RentalVerdict::New { .. } => Judged::New,
            RentalVerdict::Unchanged => Judged::Unchanged,
            RentalVerdict::Update { .. } => Judged::Update,
            RentalVerdict::Rejected { .. } => Judged::Rejected,
        }
    }

    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node> {
        crate::imports::grid_for(c, actor, self.grid_id, "房屋信息")
    }

    fn write(
        &self,
        c: &mut Conn,
        actor: &Actor,
        _: &Node,
        i: usize,
        accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written> {
        let (row, verdict) = &self.rows[i];
        let at = at_row(&row.sheet, row.row);
        Ok(match verdict {
            RentalVerdict::New { room_id, housing } => {
                housing::set(c, actor, *room_id, housing).map_err(at)?;
                Written::New
            }
            RentalVerdict::Update {
                room_id, housing, ..
            } if accept(i) => {
                housing::set(c, actor, *room_id, housing).map_err(at)?;
                Written::Updated
            }
            RentalVerdict::Update { .. } => Written::Skipped,
            RentalVerdict::Unchanged => Written::Unchanged,
            RentalVerdict::Rejected { .. } => Written::Rejected,
        })
    }
}
