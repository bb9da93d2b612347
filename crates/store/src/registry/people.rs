//! Persons, households and where they live. `residences` is the history of who lived where;
//! the person row carries only what is true now.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
pub use shequ_domain::access::mask::mask_id;
use shequ_domain::registry::id_number::IdNumber;
use shequ_domain::registry::names::{NameKeys, normalize_name};
use shequ_domain::registry::org::NodeKind;
use shequ_domain::registry::phone::Phone;
use shequ_domain::registry::sex::Sex;
use shequ_domain::registry::{
    DOC_TYPES, EMPLOYMENT, ETHNICITIES, PERSON_TYPES, RELATIONS, normalize_doc_no, pick,
};

use crate::access::audit::{self, By, Event};
use crate::access::personal::{IdNo, PersonName, PhoneNo, Revealed};
use crate::access::scope::{Actor, RecordSql};
use crate::access::sealed::{self, Field};
use crate::clock::{now, today};
use crate::db::{Conn, Row};
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::registry::tree::{self, Node};

/// A person sits where they live now (or in their community once moved out). Read by the access guard (`crate::records`).
pub const RECORD: RecordSql = RecordSql {
    area: "SELECT area_path FROM persons WHERE id = ?",
    version: Some("SELECT version FROM persons WHERE id = ?"),
};

/// A person's own facts as typed in a form or sent to the API.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    /// 公民身份号码. Sex and birth date are derived from it.
    #[serde(default)]
    pub id_number: Option<String>,
    /// For people without a 公民身份号码: 护照, 外国人永久居留身份证, 出生医学证明 …
    #[serde(default)]
    pub doc_type: Option<String>,
    #[serde(default)]
    pub doc_no: Option<String>,
    /// Only without a 公民身份号码 (男/女); with one it must agree or be left out.
    #[serde(default)]
    pub sex: Option<String>,
    /// Only without a 公民身份号码; with one it must agree or be left out.
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub ethnicity: Option<String>,
    #[serde(default)]
    pub person_type: Option<String>,
    /// 人户一致: lives where registered.
    #[serde(default)]
    pub registered_here: Option<bool>,
    #[serde(default)]
    pub employment: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A `PersonInput` after validation: every value can be stored as it is.
#[derive(Debug, Clone)]
pub struct ValidPerson {
    pub name: String,
    pub keys: NameKeys,
    pub id_number: Option<IdNumber>,
    pub document: Option<(&'static str, String)>,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: Option<Phone>,
    pub ethnicity: &'static str,
    pub person_type: &'static str,
    pub registered_here: bool,
    pub employment: Option<&'static str>,
    pub notes: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What the audit log keeps of a person: every value masked, notes only as present or not.
#[allow(clippy::too_many_arguments)]
fn masked(
    name: &str,
    id_number: Option<&str>,
    doc_no: Option<&str>,
    phone: Option<&str>,
    ethnicity: &str,
    person_type: &str,
    employment: Option<&str>,
    registered_here: bool,
    notes: Option<&str>,
) -> BTreeMap<&'static str, String> {
    use shequ_domain::access::mask::{mask_name, mask_phone};
    let mut m = BTreeMap::new();
    m.insert("姓名", mask_name(name));
    m.insert("公民身份号码", id_number.map(mask_id).unwrap_or_default());
    m.insert("证件号码", doc_no.map(mask_id).unwrap_or_default());
    m.insert("联系电话", phone.map(mask_phone).unwrap_or_default());
    m.insert("民族", ethnicity.to_string());
    m.insert("人员类型", person_type.to_string());
    m.insert("就业状况", employment.unwrap_or_default().to_string());
    m.insert("人户一致", registered_here.to_string());
    m.insert(
        "备注",
        if notes.is_some_and(|n| !n.is_empty()) {
            "有".into()
        } else {
            String::new()
        },
    );
    m
}

impl Person {
    fn masked(&self) -> BTreeMap<&'static str, String> {
        masked(
            self.name.expose(),
            self.id_number.as_ref().map(IdNo::expose),
            self.doc_no.as_ref().map(IdNo::expose),
            self.phone.as_ref().map(PhoneNo::expose),
            &self.ethnicity,
            &self.person_type,
            self.employment.as_deref(),
            self.registered_here,
            self.notes.as_deref(),
        )
    }
}

impl ValidPerson {
    fn masked(&self) -> BTreeMap<&'static str, String> {
        masked(
            &self.name,
            self.id_number.as_ref().map(IdNumber::as_str),
            self.document.as_ref().map(|d| d.1.as_str()),
            self.phone.as_ref().map(Phone::as_str),
            self.ethnicity,
            self.person_type,
            self.employment,
            self.registered_here,
            self.notes.as_deref(),
        )
    }
}

/// The columns a person's own facts fill, in the order of `ValidPerson::values`.
pub(crate) const STORED: &[&str] = &[
    "name",
    "name_pinyin",
    "name_initials",
    "id_sealed",
    "id_blind",
    "id_tail",
    "doc_type",
    "doc_no",
    "sex",
    "birth_date",
    "phone",
    "phone_blind",
    "phone_tail",
    "ethnicity",
    "person_type",
    "registered_here",
    "employment",
    "notes",
];

impl ValidPerson {
    /// The values of `STORED`, with sex, birth date and the search keys derived here and
    /// nowhere else.
    pub(crate) fn values(&self) -> StoreResult<Vec<crate::db::Value>> {
        let s = sealed::sealer()?;
        let (id, id_blind, id_tail) = sealed::person_key_values(
            &s,
            Field::IdNumber,
            self.id_number.as_ref().map(IdNumber::as_str),
        )?;
        let (phone, phone_blind, phone_tail) =
            sealed::person_key_values(&s, Field::Phone, self.phone.as_ref().map(Phone::as_str))?;
        Ok(params![
            self.name.as_str(),
            self.keys.full.as_str(),
            self.keys.initials.as_str(),
            id,
            id_blind,
            id_tail,
            self.document.as_ref().map(|d| d.0),
            self.document.as_ref().map(|d| d.1.clone()),
            self.sex.label(),
            self.birth_date,
            phone,
            phone_blind,
            phone_tail,
            self.ethnicity,
            self.person_type,
            self.registered_here,
            self.employment,
            self.notes.clone()
        ]
        .to_vec())
    }
}

impl PersonInput {
    pub fn validate(&self) -> StoreResult<ValidPerson> {
        let name =
            normalize_name(&self.name).map_err(|e| StoreError::invalid("姓名", e.to_string()))?;
        let id_number = blank(&self.id_number)
            .map(IdNumber::parse)
            .transpose()
            .map_err(|e| StoreError::invalid("公民身份号码", e.to_string()))?;
        let phone = blank(&self.phone)
            .map(Phone::parse)
            .transpose()
            .map_err(|e| StoreError::invalid("联系电话", e.to_string()))?;
        let ethnicity = pick(
            "民族",
            ETHNICITIES,
            blank(&self.ethnicity).unwrap_or("汉族"),
        )
        .map_err(|m| StoreError::invalid("民族", m))?;
        let person_type = pick(
            "人员类型",
            PERSON_TYPES,
            blank(&self.person_type).unwrap_or("户籍"),
        )
        .map_err(|m| StoreError::invalid("人员类型", m))?;
        let employment = blank(&self.employment)
            .map(|e| pick("就业状况", EMPLOYMENT, e))
            .transpose()
            .map_err(|m| StoreError::invalid("就业状况", m))?;
        let notes = blank(&self.notes).map(str::to_string);
        if notes.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            return Err(StoreError::invalid("备注", "超过 2000 字，请精简"));
        }
        let document = self.document()?;
        let (sex, birth_date) = self.sex_and_birth(id_number.as_ref())?;
        match (&id_number, &document, person_type) {
            (None, _, "户籍" | "流动") => {
                return Err(StoreError::invalid(
                    "公民身份号码",
                    "户籍和流动人口请填写公民身份号码；境外人员请改选人员类型“境外”并填写证件",
                ));
            }
            (None, None, "境外") => {
                return Err(StoreError::invalid(
                    "证件号码",
                    "境外人员请填写证件类型和证件号码（如护照）",
                ));
            }
            _ => {}
        }
        Ok(ValidPerson {
            keys: NameKeys::of(&name),
            name,
            id_number,
            document,
            sex,
            birth_date,
            phone,
            ethnicity,
            person_type,
            registered_here: self.registered_here.unwrap_or(person_type == "户籍"),
            employment,
            notes,
        })
    }
}

impl PersonInput {
    fn document(&self) -> StoreResult<Option<(&'static str, String)>> {
        match (blank(&self.doc_type), blank(&self.doc_no)) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(StoreError::invalid(
                "证件号码",
                "填了证件类型，请同时填写证件号码",
            )),
            (None, Some(_)) => Err(StoreError::invalid(
                "证件类型",
                "填了证件号码，请同时选择证件类型",
            )),
            (Some(t), Some(n)) => {
                let t = pick("证件类型", DOC_TYPES, t)
                    .map_err(|m| StoreError::invalid("证件类型", m))?;
                let n = normalize_doc_no(n).map_err(|m| StoreError::invalid("证件号码", m))?;
                Ok(Some((t, n)))
            }
        }
    }

    /// Derived from the ID number when there is one (a typed value must agree); typed otherwise.
    fn sex_and_birth(&self, id: Option<&IdNumber>) -> StoreResult<(Sex, NaiveDate)> {
        let typed_sex = blank(&self.sex)
            .map(Sex::parse)
            .transpose()
            .map_err(|e| StoreError::invalid("性别", e.to_string()))?;
        match id {
            Some(id) => {
                if typed_sex.is_some_and(|s| s != id.sex()) {
                    return Err(StoreError::invalid(
                        "性别",
                        format!(
                            "与公民身份号码不符（号码显示为{}）：性别由号码得出，无需填写",
                            id.sex().label()
                        ),
                    ));
                }
                if self.birth_date.is_some_and(|d| d != id.birth_date()) {
                    return Err(StoreError::invalid(
                        "出生日期",
                        format!(
                            "与公民身份号码不符（号码显示为 {}）：出生日期由号码得出，无需填写",
                            id.birth_date()
                        ),
                    ));
                }
                Ok((id.sex(), id.birth_date()))
            }
            None => {
                let sex = typed_sex
                    .ok_or_else(|| StoreError::invalid("性别", "没有公民身份号码时请选择性别"))?;
                let birth = self.birth_date.ok_or_else(|| {
                    StoreError::invalid("出生日期", "没有公民身份号码时请填写出生日期")
                })?;
                if birth > today() {
                    return Err(StoreError::invalid(
                        "出生日期",
                        format!("{birth} 在今天之后，请核对"),
                    ));
                }
                Ok((sex, birth))
            }
        }
    }
}

/// Where a new person lives, and in which household.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Residence {
    pub room_id: i64,
    /// An existing household in that room; none starts a new household.
    #[serde(default)]
    pub household_id: Option<i64>,
    #[serde(default)]
    pub relation: Option<String>,
    #[serde(default)]
    pub moved_in_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub community_id: i64,
    pub name: PersonName,
    pub id_number: Option<IdNo>,
    pub doc_type: Option<String>,
    pub doc_no: Option<IdNo>,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub phone: Option<PhoneNo>,
    pub ethnicity: String,
    pub person_type: String,
    pub registered_here: bool,
    pub employment: Option<String>,
    pub notes: Option<String>,
    pub living: bool,
    pub version: i64,
}

const PERSON_COLS: &str = "id, community_id, name, id_sealed, sex, birth_date, phone, ethnicity, \
     person_type, registered_here, employment, notes, living, version, area_path, doc_type, doc_no";

fn person_from_row(r: &Row, actor: &Actor) -> StoreResult<(Person, String)> {
    let s = sealed::sealer()?;
    Ok((
        Person {
            id: r.get(0)?,
            community_id: r.get(1)?,
            name: PersonName::for_viewer(r.get(2)?, actor),
            id_number: IdNo::opt(s.open_opt(Field::IdNumber, r.get(3)?)?),
            sex: r.get(4)?,
            birth_date: r.get(5)?,
            phone: PhoneNo::opt(s.open_opt(Field::Phone, r.get(6)?)?),
            ethnicity: r.get(7)?,
            person_type: r.get(8)?,
            registered_here: r.get(9)?,
            employment: r.get(10)?,
            notes: r.get(11)?,
            living: r.get(12)?,
            version: r.get(13)?,
            doc_type: r.get(15)?,
            doc_no: IdNo::opt(r.get(16)?),
        },
        r.get(14)?,
    ))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurrentHome {
    pub room_id: i64,
    pub household_id: i64,
    pub relation: String,
    pub moved_in_on: NaiveDate,
    pub address: String,
}

/// The same person registered twice is refused. Inside the caller's scope the answer points
/// at the record that exists; outside it, it says only that the number is registered elsewhere
/// and whom to ask: no name, no link, no id (one more number tried must not open a stranger's
/// name).
fn refuse_duplicate(
    conn: &mut Conn,
    actor: &Actor,
    p: &ValidPerson,
    except: Option<i64>,
) -> StoreResult<()> {
    let except = except.unwrap_or(-1);
    let mut found = None;
    if let Some(id) = &p.id_number
        && let Some(r) = conn.query_opt(
            "SELECT id, name, area_path FROM persons WHERE id_blind = ? AND id <> ?",
            params![
                sealed::sealer()?.blind(Field::IdNumber, id.as_str())?,
                except
            ],
        )?
    {
        found = Some((r, "公民身份号码".to_string(), mask_id(id.as_str())));
    }
    if found.is_none()
        && let Some((t, n)) = &p.document
        && let Some(r) = conn.query_opt(
            "SELECT id, name, area_path FROM persons WHERE doc_type = ? AND doc_no = ? AND id <> ?",
            params![*t, n.as_str(), except],
        )?
    {
        found = Some((r, format!("{t}号码"), mask_id(n)));
    }
    let Some((r, what, masked)) = found else {
        return Ok(());
    };
    let path: String = r.get(2)?;
    if !actor.sees_people_at(&path) {
        return Err(StoreError::Conflict(format!(
            "该{what}（{masked}）已在其他社区登记，请联系街道或该社区核实，不要重复录入"
        )));
    }
    Err(StoreError::DuplicatePerson {
        existing: r.get(0)?,
        name: r.get(1)?,
        what,
        masked,
    })
}

fn room_in_scope(conn: &mut Conn, actor: &Actor, room_id: i64) -> StoreResult<Node> {
    let room = tree::get(conn, actor, room_id)?;
    if room.kind != NodeKind::Room {
        return Err(StoreError::invalid(
            "住址",
            format!("“{}”不是房屋（户），请选到具体房号", room.name),
        ));
    }
    if room.retired_on.is_some() {
        return Err(StoreError::invalid(
            "住址",
            format!("房屋“{}”已撤销", room.name),
        ));
    }
    Ok(room)
}

/// Opens a residence: picks or creates the household and records the move-in.
fn open_residence(
    conn: &mut Conn,
    person_id: i64,
    room: &Node,
    res: &Residence,
) -> StoreResult<()> {
    let community_id = room.community_id.unwrap_or_default();
    let relation = pick(
        "与户主关系",
        RELATIONS,
        res.relation.as_deref().unwrap_or("户主"),
    )
    .map_err(|m| StoreError::invalid("与户主关系", m))?;
    let on = res.moved_in_on.unwrap_or_else(today);
    if on > today() {
        return Err(StoreError::invalid(
            "迁入日期",
            format!("{on} 在今天之后，请核对"),
        ));
    }
    // A spouse or child moving in without a household chosen joins the room's only household.
    let chosen = match (res.household_id, relation) {
        (Some(h), _) => Some(h),
        (None, "户主") => None,
        (None, _) => {
            let open: Vec<i64> = conn
                .query(
                    "SELECT DISTINCT household_id FROM residences WHERE room_id = ? AND moved_out_on IS NULL",
                    params![room.id],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect::<Result<_, _>>()?;
            match open.as_slice() {
                [] => None,
                [only] => Some(*only),
                _ => {
                    return Err(StoreError::invalid(
                        "所在户",
                        format!("“{}”住着 {} 户，请选择加入哪一户", room.name, open.len()),
                    ));
                }
            }
        }
    };
    let household_id = match chosen {
        Some(h) => {
            let hrow = conn
                .query_opt("SELECT room_id FROM households WHERE id = ? AND dissolved_on IS NULL", params![h])?
                .ok_or_else(|| StoreError::NotFound(format!("户 {h}")))?;
            if hrow.get::<i64>(0)? != room.id {
                return Err(StoreError::invalid("户", "所选的户不在这个房屋里"));
            }
            if relation == "户主" {
                let heads = conn.scalar(
                    "SELECT count(*) FROM residences WHERE household_id = ? AND moved_out_on IS NULL AND relation = '户主'",
                    params![h],
                )?;
                if heads > 0 {
                    return Err(StoreError::invalid("与户主关系", "这一户已有户主；请选择其他关系，或新建一户"));
                }
            }
            h
        }
        None => conn.insert(
            "INSERT INTO households (community_id, room_id, created_on) VALUES (?, ?, ?) RETURNING id",
            params![community_id, room.id, on],
        )?,
    };
    conn.execute(
        "INSERT INTO residences (community_id, person_id, household_id, room_id, relation, moved_in_on)
         VALUES (?, ?, ?, ?, ?, ?)",
        params![community_id, person_id, household_id, room.id, relation, on],
    )?;
    conn.execute(
        "UPDATE persons SET area_path = ?, community_id = ?, living = 1 WHERE id = ?",
        params![room.path.as_str(), community_id, person_id],
    )?;
    Ok(())
}

pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    input: &PersonInput,
    res: &Residence,
) -> StoreResult<i64> {
    actor.require(actor.role.writes_people(), "登记人员")?;
    let p = input.validate()?;
    conn.transaction(|c| {
        let room = room_in_scope(c, actor, res.room_id)?;
        refuse_duplicate(c, actor, &p, None)?;
        let ts = now();
        let id = c
            .insert(
                &format!(
                "INSERT INTO persons (community_id, area_path, living, {}, created_at, updated_at)
                 VALUES (?, ?, 1, {}, ?, ?) RETURNING id",
                STORED.join(", "),
                vec!["?"; STORED.len()].join(", ")
            ),
                &[
                    params![room.community_id.unwrap_or_default(), room.path.as_str()],
                    &p.values()?,
                    params![ts.as_str(), ts.as_str()],
                ]
                .concat(),
            )
            .map_err(dup_or)?;
        open_residence(c, id, &room, res)?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("person.create", format!("person:{id}"))
                .with(serde_json::json!({ "变更后": p.masked(), "住址": room.id })),
        )?;
        Ok(id)
    })
}

fn dup_or(e: crate::db::DbError) -> StoreError {
    if e.is_unique_violation() {
        StoreError::Conflict("此人的证件号码刚被他人登记，请搜索该号码打开已有档案".into())
    } else {
        e.into()
    }
}

/// A person in the actor's scope: someone living there now, or someone who moved out of one
/// of its communities (the community still answers for their history).
pub fn get(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<Person> {
    actor.require(actor.reads_people(), "查看人员信息")?;
    let row = conn
        .query_opt(
            &format!("SELECT {PERSON_COLS} FROM persons WHERE id = ?"),
            params![id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("人员 {id}")))?;
    let (person, area_path) = person_from_row(&row, actor)?;
    if !actor.sees_people_at(&area_path) {
        return Err(StoreError::Forbidden("该人员不在您的管辖范围内".into()));
    }
    Ok(person)
}

pub fn current_home(conn: &mut Conn, person_id: i64) -> StoreResult<Option<CurrentHome>> {
    let Some(r) = conn.query_opt(
        "SELECT room_id, household_id, relation, moved_in_on FROM residences
         WHERE person_id = ? AND moved_out_on IS NULL",
        params![person_id],
    )?
    else {
        return Ok(None);
    };
    let room = tree::load(conn, r.get(0)?)?;
    Ok(Some(CurrentHome {
        room_id: room.id,
        household_id: r.get(1)?,
        relation: r.get(2)?,
        moved_in_on: r.get(3)?,
        address: tree::address_of(conn, &room)?,
    }))
}

pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    input: &PersonInput,
    version: Option<i64>,
) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "修改人员信息")?;
    conn.transaction(|c| {
        let old = get(c, actor, id)?;
        let p = keep_masked(input, &old).validate()?;
        if let Some(v) = version
            && v != old.version
        {
            return Err(StoreError::Conflict(format!(
                "“{}”的信息已被他人修改，请刷新页面后再改",
                old.name
            )));
        }
        refuse_duplicate(c, actor, &p, Some(id))?;
        let counted_before = counted(c, id)?;
        c.execute(
            &format!(
                "UPDATE persons SET {}, updated_at = ?, version = version + 1 WHERE id = ?",
                STORED
                    .iter()
                    .map(|c| format!("{c} = ?"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            &[&p.values()?[..], params![now(), id]].concat(),
        )
        .map_err(dup_or)?;
        keep_counted_history(c, id, counted_before)?;
        // Only what changed, before and after, masked.
        let (before, after) = (old.masked(), p.masked());
        let changed: Vec<&str> = before
            .keys()
            .filter(|k| before.get(*k) != after.get(*k))
            .copied()
            .collect();
        let pick = |m: &BTreeMap<&str, String>| -> BTreeMap<String, String> {
            changed
                .iter()
                .map(|k| (k.to_string(), m.get(k).cloned().unwrap_or_default()))
                .collect()
        };
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("person.update", format!("person:{id}"))
                .with(serde_json::json!({ "变更前": pick(&before), "变更后": pick(&after) })),
        )?;
        Ok(())
    })
}

/// What the figures count a person by, as stored: (community, 人员类型, 人户一致, 就业状况).
type Counted = (i64, String, i64, Option<String>);

fn counted(c: &mut Conn, id: i64) -> StoreResult<Counted> {
    let r = c
        .query_opt(
            "SELECT community_id, person_type, registered_here, employment FROM persons WHERE id = ?",
            params![id],
        )?
        .ok_or_else(|| StoreError::NotFound("没有这个人".into()))?;
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

/// When what the figures count a person by changed, keeps what it was until today
/// (`person_facts`), so a past day's figures stay as they were. A second change the same day
/// keeps nothing more: before today, it was what the first change found.
fn keep_counted_history(c: &mut Conn, id: i64, before: Counted) -> StoreResult<()> {
    let after = counted(c, id)?;
    if (&before.1, before.2, &before.3) == (&after.1, after.2, &after.3) {
        return Ok(());
    }
    let today = crate::clock::today();
    let from: Option<String> = c
        .query_opt(
            "SELECT max(valid_to) FROM person_facts WHERE person_id = ?",
            params![id],
        )?
        .map(|r| r.get(0))
        .transpose()?
        .flatten();
    let from = from.unwrap_or_else(|| "0001-01-01".to_string());
    if from.as_str() >= today.to_string().as_str() {
        return Ok(());
    }
    c.execute(
        "INSERT INTO person_facts (community_id, person_id, person_type, registered_here, employment, \
         valid_from, valid_to, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            before.0,
            id,
            before.1.as_str(),
            before.2,
            before.3,
            from.as_str(),
            today,
            now()
        ],
    )?;
    Ok(())
}

/// Records a move out of the current home. The person stays in the registry (their history is
/// evidence) under their community, no longer counted as living there.
pub fn move_out(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    on: NaiveDate,
    reason: &str,
) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "办理迁出")?;
    conn.transaction(|c| {
        get(c, actor, id)?;
        close_residence(c, id, on, reason)?;
        let community: i64 = c.scalar("SELECT community_id FROM persons WHERE id = ?", params![id])?;
        let path = tree::load(c, community)?.path;
        c.execute(
            "UPDATE persons SET area_path = ?, living = 0, updated_at = ?, version = version + 1 WHERE id = ?",
            params![path, now(), id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("person.move_out", format!("person:{id}"))
                .with(serde_json::json!({ "迁出日期": on, "原因": reason })),
        )?;
        Ok(())
    })
}

fn close_residence(
    conn: &mut Conn,
    person_id: i64,
    on: NaiveDate,
    reason: &str,
) -> StoreResult<()> {
    let home = conn
        .query_opt(
            "SELECT id, moved_in_on FROM residences WHERE person_id = ? AND moved_out_on IS NULL",
            params![person_id],
        )?
        .ok_or_else(|| StoreError::Conflict("此人目前没有在住记录，无需迁出".into()))?;
    let since: NaiveDate = home.get(1)?;
    if on < since {
        return Err(StoreError::invalid(
            "迁出日期",
            format!("{on} 早于迁入日期 {since}，请核对"),
        ));
    }
    if on > today() {
        return Err(StoreError::invalid(
            "迁出日期",
            format!("{on} 在今天之后，请核对"),
        ));
    }
    let reason = reason.trim();
    check_reason_len(reason)?;
    conn.execute(
        "UPDATE residences SET moved_out_on = ?, out_reason = ? WHERE id = ?",
        params![
            on,
            (!reason.is_empty()).then_some(reason),
            home.get::<i64>(0)?
        ],
    )?;
    Ok(())
}

fn check_reason_len(reason: &str) -> StoreResult<()> {
    if reason.chars().count() > 200 {
        return Err(StoreError::invalid("原因", "超过 200 字，请精简"));
    }
    Ok(())
}

/// Moves a person to another home in the actor's scope: the old residence closes and a new one
/// opens on the same date.
pub fn relocate(conn: &mut Conn, actor: &Actor, id: i64, res: &Residence) -> StoreResult<()> {
    actor.require(actor.role.writes_people(), "办理迁移")?;
    conn.transaction(|c| {
        get(c, actor, id)?;
        let room = room_in_scope(c, actor, res.room_id)?;
        let on = res.moved_in_on.unwrap_or_else(today);
        if c.scalar(
            "SELECT count(*) FROM residences WHERE person_id = ? AND moved_out_on IS NULL",
            params![id],
        )? > 0
        {
            let reason = format!("迁往{}", tree::address_of(c, &room)?);
            close_residence(c, id, on, &reason)?;
        }
        open_residence(c, id, &room, res)?;
        c.execute(
            "UPDATE persons SET updated_at = ?, version = version + 1 WHERE id = ?",
            params![now(), id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("person.relocate", format!("person:{id}"))
                .with(serde_json::json!({ "迁入日期": on, "新住址": room.id })),
        )?;
        Ok(())
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Resident {
    pub person_id: i64,
    pub name: PersonName,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub relation: String,
    pub household_id: i64,
    pub moved_in_on: NaiveDate,
}

/// Everyone living in a room now, grouped by household (head first).
pub fn residents_of_room(
    conn: &mut Conn,
    actor: &Actor,
    room_id: i64,
) -> StoreResult<Vec<Resident>> {
    actor.require(actor.reads_people(), "查看人员信息")?;
    let room = tree::get(conn, actor, room_id)?;
    if !actor.sees_people_at(&room.path) {
        return Err(StoreError::Forbidden("您无权查看这里的人员信息".into()));
    }
    let rows = conn.query(
        "SELECT p.id, p.name, p.sex, p.birth_date, r.relation, r.household_id, r.moved_in_on
         FROM residences r JOIN persons p ON p.id = r.person_id
         WHERE r.room_id = ? AND r.moved_out_on IS NULL
         ORDER BY r.household_id, CASE WHEN r.relation = '户主' THEN 0 ELSE 1 END, p.birth_date",
        params![room.id],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Resident {
                person_id: r.get(0)?,
                name: PersonName::for_viewer(r.get(1)?, actor),
                sex: r.get(2)?,
                birth_date: r.get(3)?,
                relation: r.get(4)?,
                household_id: r.get(5)?,
                moved_in_on: r.get(6)?,
            })
        })
        .collect()
}

/// Members of a household living in it now.
pub fn household_members(
    conn: &mut Conn,
    actor: &Actor,
    household_id: i64,
) -> StoreResult<(i64, Vec<Resident>)> {
    let room_id: i64 = conn
        .query_opt(
            "SELECT room_id FROM households WHERE id = ?",
            params![household_id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("户 {household_id}")))?
        .get(0)?;
    let members = residents_of_room(conn, actor, room_id)?
        .into_iter()
        .filter(|r| r.household_id == household_id)
        .collect();
    Ok((room_id, members))
}

/// The person's full ID number, phone and name, for someone who passed the second factor and
/// states why. The reveal is audited with its reason; the proof returned is the only way to
/// read the full values out of the `Person`.
pub fn reveal(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> StoreResult<(Person, Revealed)> {
    let reason = reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 200 {
        return Err(StoreError::invalid(
            "查看原因",
            "请写明为什么需要查看完整信息（2–200 字），例如“办理低保年审，核对身份证号”",
        ));
    }
    crate::access::second_factor::require(actor)?;
    let p = get(conn, actor, id)?;
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("reveal", format!("person:{id}"))
            .with(serde_json::json!({ "原因": reason, "字段": ["公民身份号码", "证件号码", "联系电话", "姓名"] })),
    )?;
    Ok((p, Revealed::new()))
}

/// The reason a call is audited under.
pub const CALL_REASON: &str = "电话联系";

/// The person's full phone number, to dial it: for those who work with the person (the
/// community's staff, who may also edit the record), without the second factor — calling a
/// resident is daily work on a shared phone, and the number reaches only the dialler, not the
/// page. Audited as a reveal of the phone alone, with the reason 电话联系.
pub fn call(conn: &mut Conn, actor: &Actor, id: i64) -> StoreResult<(PhoneNo, Revealed)> {
    actor.require(actor.role.writes_people(), "拨打居民电话")?;
    let p = get(conn, actor, id)?;
    let phone = p
        .phone
        .ok_or_else(|| StoreError::invalid("联系电话", "此人没有登记联系电话，请先在档案中补充"))?;
    audit::record_alone(
        conn,
        By::Actor(actor),
        Event::ok("reveal", format!("person:{id}"))
            .with(serde_json::json!({ "原因": CALL_REASON, "字段": ["联系电话"] })),
    )?;
    Ok((phone, Revealed::new()))
}

/// Forms and API clients show masked numbers (`110105********002X`); sending one back
/// unchanged means "keep what is stored", not "store the asterisks".
fn keep_masked(input: &PersonInput, current: &Person) -> PersonInput {
    use shequ_domain::access::mask::{mask_id, mask_phone};
    let keep = |typed: &Option<String>, stored: Option<&str>, mask: fn(&str) -> String| match (
        typed, stored,
    ) {
        (Some(t), Some(s)) if t.contains('*') && t.trim() == mask(s) => Some(s.to_string()),
        _ => typed.clone(),
    };
    let mut out = input.clone();
    out.id_number = keep(
        &input.id_number,
        current.id_number.as_ref().map(IdNo::expose),
        mask_id,
    );
    out.doc_no = keep(
        &input.doc_no,
        current.doc_no.as_ref().map(IdNo::expose),
        mask_id,
    );
    out.phone = keep(
        &input.phone,
        current.phone.as_ref().map(PhoneNo::expose),
        mask_phone,
    );
    out
}
