//! Importing a special-group list (低保台账, 残疾人名册 …): every row names a person already in
//! the registry and the group's values for them. Like a persons import: compared first (new,
//! unchanged, an update to accept, refused), then committed all-or-nothing with one audit row.
//! The group's own export (`ledger::group_list`) re-imports to no changes.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use shequ_domain::access::mask::mask_id;
use shequ_domain::registry::tags::{TagContent, TagKind, Target, tag_kind};

use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::clock::{now, today};
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::imports::{Change, Judged, Kind, Names, Written, at_row};
use crate::params;
use crate::registry::people;
use crate::registry::tags;
use crate::registry::tree;
use crate::registry::tree::Node;

/// One row of a group list, read and mapped.
#[derive(Debug, Clone)]
pub struct TagRow {
    pub sheet: String,
    pub row: u32,
    pub name: String,
    pub id_number: Option<String>,
    /// (document type, number) for people without an ID number.
    pub document: Option<(String, String)>,
    /// "category", "grade" and the kind's field keys, as read.
    pub values: BTreeMap<String, String>,
    pub started_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub enum TagVerdict {
    New {
        person_id: i64,
        community_id: i64,
        target: (Option<i64>, Option<i64>),
        content: TagContent,
    },
    Unchanged,
    Update {
        tag_id: i64,
        version: i64,
        content: TagContent,
        changes: Vec<Change>,
    },
    Rejected {
        field: String,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct TagPlan {
    pub node_id: i64,
    pub kind: &'static TagKind,
    pub rows: Vec<(TagRow, TagVerdict)>,
}

pub fn kind(code: &str) -> StoreResult<&'static TagKind> {
    tag_kind(code).ok_or_else(|| {
        StoreError::invalid(
            "导入类别",
            format!(
                "没有“{code}”这一类重点人群；可导入：{}",
                shequ_domain::registry::tags::TAG_KINDS
                    .iter()
                    .map(|k| format!("{}（{}）", k.code, k.label))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        )
    })
}

fn refuse(field: &str, message: impl Into<String>) -> TagVerdict {
    TagVerdict::Rejected {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Compares every row with the registry under `node_id`. Writes nothing.
pub fn plan_tags(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    kind: &'static TagKind,
    rows: Vec<TagRow>,
) -> StoreResult<TagPlan> {
    actor.require(actor.role.writes_people(), "导入重点人群")?;
    let node = tree::get(conn, actor, node_id)?;
    if node.community_id.is_none() {
        return Err(StoreError::invalid(
            "导入位置",
            format!(
                "请选择一个社区或网格（“{}”是{}）",
                node.name,
                node.kind.label()
            ),
        ));
    }
    if !actor.sees_people_at(&node.path) {
        return Err(StoreError::Forbidden(format!(
            "您无权向“{}”导入重点人群",
            node.name
        )));
    }
    let s = sealer()?;
    // Who each (person or household) target was first given to in this file.
    let mut first_row: HashMap<(Option<i64>, Option<i64>), u32> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let verdict = match kind.validate(&row.values) {
            Err(m) => refuse(kind.label, m),
            Ok(content) => {
                let found = match (&row.id_number, &row.document) {
                    (Some(id), _) => conn.query_opt(
                        "SELECT id, area_path, community_id, name FROM persons WHERE id_blind = ?",
                        params![s.blind(Field::IdNumber, id)?],
                    )?,
                    (None, Some((t, n))) => conn.query_opt(
                        "SELECT id, area_path, community_id, name FROM persons WHERE doc_type = ? AND doc_no = ?",
                        params![t.as_str(), n.as_str()],
                    )?,
                    (None, None) => None,
                };
                match found {
                    None => refuse(
                        "公民身份号码",
                        format!(
                            "{} {} 尚未登记：请先导入或录入实有人口，再导入{}名单",
                            row.name,
                            row.id_number.as_deref().map(mask_id).unwrap_or_default(),
                            kind.label
                        ),
                    ),
                    Some(r) => {
                        let (person_id, path, community_id, name): (i64, String, i64, String) =
                            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                        compare(
                            conn,
                            kind,
                            &row,
                            content,
                            Found {
                                person_id,
                                community_id,
                                in_scope: path.starts_with(&node.path)
                                    && actor.sees_people_at(&path),
                                name,
                            },
                            &mut first_row,
                        )?
                    }
                }
            }
        };
        out.push((row, verdict));
    }
    Ok(TagPlan {
        node_id,
        kind,
        rows: out,
    })
}

struct Found {
    person_id: i64,
    community_id: i64,
    in_scope: bool,
    name: String,
}

fn compare(
    conn: &mut Conn,
    kind: &'static TagKind,
    row: &TagRow,
    content: TagContent,
    found: Found,
    first_row: &mut HashMap<(Option<i64>, Option<i64>), u32>,
) -> StoreResult<TagVerdict> {
    if !found.in_scope {
        return Ok(refuse(
            "公民身份号码",
            "此人不在所选范围内登记：请在其所在社区或网格导入",
        ));
    }
    if found.name != row.name {
        return Ok(refuse(
            "姓名",
            format!(
                "姓名“{}”与系统中此身份证号码登记的“{}”不一致：请核对是哪一边写错了",
                row.name, found.name
            ),
        ));
    }
    let target = match kind.target {
        Target::Person => (Some(found.person_id), None),
        Target::Household => match people::current_home(conn, found.person_id)? {
            Some(home) => (None, Some(home.household_id)),
            None => {
                return Ok(refuse(
                    kind.label,
                    format!("{}按户登记，此人目前没有在住的户", kind.label),
                ));
            }
        },
    };
    if let Some(first) = first_row.get(&target) {
        let whom = if kind.target == Target::Household {
            "同一户"
        } else {
            "同一人"
        };
        return Ok(refuse(
            kind.label,
            format!(
                "{whom}已在第{first}行登记{}：每户（人）只登记一次",
                kind.label
            ),
        ));
    }
    first_row.insert(target, row.row);
    let open = conn.query_opt(
        "SELECT id, category, grade, details, started_on, version FROM tags
         WHERE kind = ? AND ended_on IS NULL
         AND person_id IS NOT DISTINCT FROM ? AND household_id IS NOT DISTINCT FROM ?",
        params![kind.code, target.0, target.1],
    )?;
    let Some(open) = open else {
        if row.started_on.is_some_and(|d| d > today()) {
            return Ok(refuse("开始日期", "开始日期在今天之后，请核对"));
        }
        return Ok(TagVerdict::New {
            person_id: found.person_id,
            community_id: found.community_id,
            target,
            content,
        });
    };
    let category: Option<String> = open.get(1)?;
    let grade: Option<i64> = open.get(2)?;
    let details: String = open.get(3)?;
    let details = crate::access::sealed::load_details(kind.code, category.as_deref(), &details)?;
    let details: BTreeMap<String, String> = serde_json::from_str(&details).unwrap_or_default();
    let started_on: NaiveDate = open.get(4)?;
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
    if let Some((label, _)) = kind.category {
        diff(label, category, content.category.clone());
    }
    if let Some((label, _, _)) = kind.grade {
        diff(
            label,
            grade.map(|g| g.to_string()),
            content.grade.map(|g| g.to_string()),
        );
    }
    for f in kind.fields {
        // A column the file doesn't have leaves the value as it is.
        if row.values.contains_key(f.key) {
            diff(
                f.label,
                details.get(f.key).cloned(),
                content.details.get(f.key).cloned(),
            );
        }
    }
    if let Some(d) = row.started_on {
        diff(
            "开始日期",
            Some(started_on.to_string()),
            Some(d.to_string()),
        );
    }
    if changes.is_empty() {
        return Ok(TagVerdict::Unchanged);
    }
    // The stored values the file leaves out are kept.
    let mut merged = content;
    for (k, v) in details {
        merged.details.entry(k).or_insert(v);
    }
    Ok(TagVerdict::Update {
        tag_id: open.get(0)?,
        version: open.get(5)?,
        content: merged,
        changes,
    })
}

impl Kind for TagPlan {
    type Row = TagRow;
    type Verdict = TagVerdict;

    fn names(&self) -> Names {
        Names::of(self.kind.code, self.kind.label, "导入重点人群")
    }

    fn rows(&self) -> &[(TagRow, TagVerdict)] {
        &self.rows
    }

    fn judged(v: &TagVerdict) -> Judged {
        match v {
            TagVerdict::New { .. } => Judged::New,
            TagVerdict::Unchanged => Judged::Unchanged,
            TagVerdict::Update { .. } => Judged::Update,
            TagVerdict::Rejected { .. } => Judged::Rejected,
        }
    }

    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node> {
        tree::get(c, actor, self.node_id)
    }

    fn write(
        &self,
        c: &mut Conn,
        _: &Actor,
        _: &Node,
        i: usize,
        accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written> {
        let (row, verdict) = &self.rows[i];
        let kind = self.kind;
        let at = at_row(&row.sheet, row.row);
        Ok(match verdict {
            TagVerdict::New {
                community_id,
                target,
                content,
                ..
            } => {
                let started_on = row.started_on.unwrap_or_else(today);
                tags::insert(c, *community_id, *target, kind, content, started_on).map_err(at)?;
                Written::New
            }
            TagVerdict::Update {
                tag_id,
                version,
                content,
                ..
            } => {
                if !accept(i) {
                    return Ok(Written::Skipped);
                }
                let details = tags::details_text(kind, content)?;
                let n = c.execute(
                    "UPDATE tags SET category = ?, grade = ?, details = ?, risk = ?, covered = ?,
                     started_on = COALESCE(?, started_on), updated_at = ?, version = version + 1
                     WHERE id = ? AND version = ?",
                    params![
                        content.category.clone(),
                        content.grade,
                        details,
                        content.risk(),
                        content.covered(),
                        row.started_on,
                        now(),
                        *tag_id,
                        *version
                    ],
                )?;
                if n == 0 {
                    return Err(at(StoreError::Conflict(
                        "这条记录在核对后被他人修改过，请重新上传核对".into(),
                    )));
                }
                Written::Updated
            }
            TagVerdict::Unchanged => Written::Unchanged,
            TagVerdict::Rejected { .. } => Written::Rejected,
        })
    }
}
