//! A room's use as housing, and rented homes with their landlord and 治安责任书.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shequ_domain::registry::org::NodeKind;
use shequ_domain::registry::phone::Phone;
use shequ_domain::registry::{HOUSING_USES, pick};

use crate::access::audit::{self, By, Event};
use crate::access::personal::{PersonName, PhoneNo};
use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Housing {
    pub usage: String,
    #[serde(default)]
    pub landlord_name: Option<String>,
    #[serde(default)]
    pub landlord_phone: Option<String>,
    #[serde(default)]
    pub agreement_signed_on: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A room's housing as pages and the API show it: the landlord's phone masked, their name as
/// the viewer may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HousingView {
    pub usage: String,
    pub landlord_name: Option<PersonName>,
    pub landlord_phone: Option<PhoneNo>,
    pub agreement_signed_on: Option<NaiveDate>,
    pub notes: Option<String>,
}

pub fn get(conn: &mut Conn, actor: &Actor, room_id: i64) -> StoreResult<Option<HousingView>> {
    Ok(get_stored(conn, actor, room_id)?.map(|h| HousingView {
        usage: h.usage,
        landlord_name: PersonName::opt_for(h.landlord_name, actor),
        landlord_phone: PhoneNo::opt(h.landlord_phone),
        agreement_signed_on: h.agreement_signed_on,
        notes: h.notes,
    }))
}

/// The stored values in full, for the store's own comparisons (imports, keeping a masked
/// phone sent back unchanged).
pub(crate) fn get_stored(
    conn: &mut Conn,
    actor: &Actor,
    room_id: i64,
) -> StoreResult<Option<Housing>> {
    tree::get(conn, actor, room_id)?;
    let Some(r) = conn.query_opt(
        "SELECT usage, landlord_name, landlord_phone, agreement_signed_on, notes FROM housing WHERE room_id = ?",
        params![room_id],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Housing {
        usage: r.get(0)?,
        landlord_name: r.get(1)?,
        landlord_phone: sealer()?.open_opt(Field::LandlordPhone, r.get(2)?)?,
        agreement_signed_on: r.get(3)?,
        notes: r.get(4)?,
    }))
}

/// The values as they would be stored: usage from the list, text trimmed, the phone in its
/// normal form. Bad input is an error naming the field.
pub fn normalised(h: &Housing) -> StoreResult<Housing> {
    let usage =
        pick("房屋用途", HOUSING_USES, &h.usage).map_err(|m| StoreError::invalid("房屋用途", m))?;
    let trim = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let landlord_name = trim(&h.landlord_name);
    let landlord_phone = trim(&h.landlord_phone)
        .map(|p| Phone::parse(&p).map(|p| p.as_str().to_string()))
        .transpose()
        .map_err(|e| StoreError::invalid("房东电话", e.to_string()))?;
    if usage == "出租" && landlord_name.is_none() {
        return Err(StoreError::invalid("房东姓名", "出租房屋请填写房东姓名"));
    }
    Ok(Housing {
        usage: usage.to_string(),
        landlord_name,
        landlord_phone,
        agreement_signed_on: h.agreement_signed_on,
        notes: trim(&h.notes),
    })
}

/// Whether `set` would take these values.
pub fn check(h: &Housing) -> StoreResult<()> {
    normalised(h).map(|_| ())
}

/// What the figures count a home by, as stored: (community, use, 治安责任书 day).
type Counted = (i64, String, Option<String>);

fn counted(c: &mut Conn, room_id: i64) -> StoreResult<Option<Counted>> {
    c.query_opt(
        "SELECT community_id, usage, agreement_signed_on FROM housing WHERE room_id = ?",
        params![room_id],
    )?
    .map(|r| -> StoreResult<Counted> { Ok((r.get(0)?, r.get(1)?, r.get(2)?)) })
    .transpose()
}

/// When a home's use or 责任书 day changed, keeps what they were until today (`housing_facts`),
/// so a past day's figures stay as they were; as `people::keep_counted_history` does for a
/// person. A home recorded for the first time has no past of its own to keep.
fn keep_counted_history(c: &mut Conn, room_id: i64, before: Option<Counted>) -> StoreResult<()> {
    let (Some(before), Some(after)) = (before, counted(c, room_id)?) else {
        return Ok(());
    };
    if (&before.1, &before.2) == (&after.1, &after.2) {
        return Ok(());
    }
    let today = crate::clock::today();
    let from: Option<String> = c
        .query_opt(
            "SELECT max(valid_to) FROM housing_facts WHERE room_id = ?",
            params![room_id],
        )?
        .map(|r| r.get(0))
        .transpose()?
        .flatten();
    let from = from.unwrap_or_else(|| "0001-01-01".to_string());
    if from.as_str() >= today.to_string().as_str() {
        return Ok(());
    }
    c.execute(
        "INSERT INTO housing_facts (community_id, room_id, usage, agreement_signed_on, valid_from, \
         valid_to, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            before.0,
            room_id,
            before.1.as_str(),
            before.2,
            from.as_str(),
            today,
            now()
        ],
    )?;
    Ok(())
}

pub fn set(conn: &mut Conn, actor: &Actor, room_id: i64, h: &Housing) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "登记房屋信息")?;
    let mut h = h.clone();
    // The form and the API show the landlord's phone masked; sent back unchanged it keeps
    // what is stored.
    if let Some(typed) = h.landlord_phone.as_deref().map(str::trim)
        && typed.contains('*')
        && let Some(stored) = get_stored(conn, actor, room_id)?.and_then(|o| o.landlord_phone)
        && shequ_domain::access::mask::mask_phone(&stored) == typed
    {
        h.landlord_phone = Some(stored);
    }
    let h = &h;
    let Housing {
        usage,
        landlord_name,
        landlord_phone,
        notes,
        ..
    } = normalised(h)?;
    conn.transaction(|c| {
        let room = tree::get(c, actor, room_id)?;
        if room.kind != NodeKind::Room {
            return Err(StoreError::invalid("房屋", "只有“户”一级可以登记房屋用途"));
        }
        let before = counted(c, room.id)?;
        let sealed_phone = sealer()?.seal_opt(Field::LandlordPhone, landlord_phone.as_deref())?;
        let args = params![
            usage.as_str(),
            landlord_name.clone(),
            sealed_phone,
            h.agreement_signed_on,
            notes.clone(),
            now(),
            room.id
        ];
        let n = c.execute(
            "UPDATE housing SET usage = ?, landlord_name = ?, landlord_phone = ?, agreement_signed_on = ?, notes = ?,
                updated_at = ?, version = version + 1 WHERE room_id = ?",
            args,
        )?;
        if n == 0 {
            c.execute(
                "INSERT INTO housing (usage, landlord_name, landlord_phone, agreement_signed_on, notes, updated_at, room_id, community_id)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                &[args, params![room.community_id]].concat(),
            )?;
        }
        keep_counted_history(c, room.id, before)?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("housing.set", format!("room:{}", room.id)).with(serde_json::json!({
                "用途": usage,
                "房东": landlord_name.as_deref().map(shequ_domain::access::mask::mask_name),
                "治安责任书": h.agreement_signed_on,
            })),
        )?;
        Ok(())
    })
}
