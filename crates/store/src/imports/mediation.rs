//! Importing a 调解台账 kept before `shequ`: each row a case received on a day, of a type, with
//! its parties by name, what it was about and who mediated, and — when it was closed — how and
//! on what day. Each row is tried exactly as a case is opened and closed on the page, inside a
//! transaction that is rolled back, so the plan refuses a row for the very reason the page
//! would (a labour case without its employer, a settlement without its terms, a day in a
//! locked period …). Already recorded (the same day, type and summary in the community): left
//! as it is. Committed all-or-nothing with one audit row; the catalogue's own 矛盾纠纷调解台账
//! re-imports to no changes.

use chrono::NaiveDate;
use shequ_domain::mediation as rules;

use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::imports::{Judged, Kind, Names, Past, Written, as_the_page_would, at_row};
use crate::mediation::{self, CaseInput, CloseInput, PartyInput};
use crate::params;
use crate::registry::tree::{self, Node};

/// One row of a mediation ledger, read.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub sheet: String,
    pub row: u32,
    pub received_on: Option<NaiveDate>,
    pub kind: Option<String>,
    pub source: Option<String>,
    /// Names as written; several separated by 、 or commas.
    pub applicants: Option<String>,
    pub respondents: Option<String>,
    pub employer: Option<String>,
    pub summary: Option<String>,
    pub mediator: Option<String>,
    pub outcome: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub agreement: Option<String>,
    pub note: Option<String>,
}

/// New: the case as opened, and its closing if the book says it was closed.
pub type CaseVerdict = Past<Box<(CaseInput, Option<CloseInput>)>>;

#[derive(Debug, Clone)]
pub struct CasePlan {
    pub node_id: i64,
    pub rows: Vec<(CaseRow, CaseVerdict)>,
}

/// How a case ended, as offices write it; None while it is open (调解中, 未结, nothing).
fn outcome_of(written: &str) -> Result<Option<&'static str>, String> {
    let w: String = written.chars().filter(|c| !c.is_whitespace()).collect();
    if w.is_empty() || ["调解中", "未结", "在调", "正在调解", "办理中"].contains(&w.as_str())
    {
        return Ok(None);
    }
    if let Some(code) = rules::code_of(rules::OUTCOMES, &w) {
        return Ok(Some(code));
    }
    let code = if w.contains("不成") || w.contains("未成") || w.contains("失败") {
        "failed"
    } else if w.contains("成功") || w.contains("达成") || w == "调成" {
        "success"
    } else if w.contains("仲裁") {
        "arbitration"
    } else if w.contains("诉讼") || w.contains("起诉") || w.contains("法院") {
        "litigation"
    } else if w.contains("撤") {
        "withdrawn"
    } else {
        return Err(format!(
            "“{written}”不是调解结果：请写调解成功、调解不成、转仲裁、转诉讼、撤回之一，未结的留空"
        ));
    };
    Ok(Some(code))
}

fn parties(side: &str, names: Option<&str>) -> Vec<PartyInput> {
    names
        .unwrap_or("")
        .split(['、', ',', '，', ';', '；', '\n'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|name| PartyInput {
            side: side.to_string(),
            name: Some(name.to_string()),
            ..PartyInput::default()
        })
        .collect()
}

/// Opens (and closes) the case as the page would.
fn write_case(
    c: &mut Conn,
    actor: &Actor,
    (open, close): (&CaseInput, Option<&CloseInput>),
) -> StoreResult<i64> {
    let id = mediation::open(c, actor, open)?;
    if let Some(close) = close {
        mediation::close(c, actor, id, close)?;
    }
    Ok(id)
}

/// Compares every row with the cases of the node's community and tries each new one. Writes
/// nothing.
pub fn plan_cases(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    rows: Vec<CaseRow>,
) -> StoreResult<CasePlan> {
    actor.require(actor.role.writes_people(), "导入调解台账")?;
    let node = tree::get(conn, actor, node_id)?;
    let Some(community) = node.community_id else {
        return Err(StoreError::invalid(
            "导入位置",
            format!(
                "请在社区或网格页面导入调解台账（“{}”是{}）",
                node.name,
                node.kind.label()
            ),
        ));
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut seen: Vec<(NaiveDate, &'static str, String, u32)> = Vec::new();
    for row in rows {
        let verdict = judge(conn, actor, &node, community, &row, &mut seen)?;
        out.push((row, verdict));
    }
    Ok(CasePlan {
        node_id: node.id,
        rows: out,
    })
}

fn judge(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    community: i64,
    row: &CaseRow,
    seen: &mut Vec<(NaiveDate, &'static str, String, u32)>,
) -> StoreResult<CaseVerdict> {
    let Some(on) = row.received_on else {
        return Ok(CaseVerdict::refuse("受理日期", "缺少受理日期"));
    };
    let written = row.kind.as_deref().unwrap_or("").trim();
    let Some((type_code, _, _)) = rules::type_of(written).or_else(|| {
        rules::TYPES
            .iter()
            .copied()
            .find(|(_, l, _)| !written.is_empty() && written.contains(l.trim_end_matches("纠纷")))
    }) else {
        let names: Vec<&str> = rules::TYPES.iter().map(|t| t.1).collect();
        return Ok(CaseVerdict::refuse(
            "纠纷类型",
            format!("“{written}”不是纠纷类型：请写 {} 之一", names.join("、")),
        ));
    };
    let summary = row.summary.as_deref().unwrap_or("").trim().to_string();
    let recorded = conn.scalar(
        "SELECT count(*) FROM mediation_cases WHERE community_id = ? AND received_on = ? \
         AND type_code = ? AND summary = ?",
        params![community, on, type_code, summary.as_str()],
    )?;
    if recorded > 0 {
        return Ok(Past::Unchanged);
    }
    if let Some((.., first)) = seen
        .iter()
        .find(|(d, t, s, _)| *d == on && *t == type_code && *s == summary)
    {
        return Ok(CaseVerdict::refuse(
            "受理日期",
            format!("与第{first}行是同一件纠纷（同一天、同一类型、同样的情况）"),
        ));
    }
    seen.push((on, type_code, summary.clone(), row.row));
    let outcome = match outcome_of(row.outcome.as_deref().unwrap_or("")) {
        Ok(o) => o,
        Err(m) => return Ok(CaseVerdict::refuse("调解结果", m)),
    };
    let source = match row
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) if s.contains("排查") => Some("screening".to_string()),
        Some(s) if s.contains("来访") || s.contains("来电") || s.contains("申请") => {
            Some("walk_in".to_string())
        }
        Some(s) => Some(s.to_string()),
    };
    let open = CaseInput {
        node_id: node.id,
        type_code: type_code.to_string(),
        source,
        employer: row.employer.clone(),
        summary,
        mediator: row.mediator.clone(),
        received_on: Some(on),
        parties: parties("applicant", row.applicants.as_deref())
            .into_iter()
            .chain(parties("respondent", row.respondents.as_deref()))
            .collect(),
        ..CaseInput::default()
    };
    let close = match outcome {
        None => None,
        Some(o) => {
            let Some(closed_on) = row.closed_on else {
                return Ok(CaseVerdict::refuse(
                    "结案日期",
                    "已有调解结果的案件请写明结案日期",
                ));
            };
            Some(CloseInput {
                outcome: o.to_string(),
                closed_on: Some(closed_on),
                agreement: row.agreement.clone(),
                performance: None,
                note: row.note.clone(),
                version: 1,
            })
        }
    };
    as_the_page_would(conn, Box::new((open.clone(), close.clone())), |c| {
        write_case(c, actor, (&open, close.as_ref())).map(|_| ())
    })
}

impl Kind for CasePlan {
    type Row = CaseRow;
    type Verdict = CaseVerdict;

    fn names(&self) -> Names {
        Names::of("mediation", "调解台账", "导入调解台账")
    }

    fn rows(&self) -> &[(CaseRow, CaseVerdict)] {
        &self.rows
    }

    fn judged(v: &CaseVerdict) -> Judged {
        v.judged()
    }

    fn node(&self, c: &mut Conn, actor: &Actor) -> StoreResult<Node> {
        tree::get(c, actor, self.node_id)
    }

    fn write(
        &self,
        c: &mut Conn,
        actor: &Actor,
        _node: &Node,
        i: usize,
        _accept: &dyn Fn(usize) -> bool,
    ) -> StoreResult<Written> {
        let (row, verdict) = &self.rows[i];
        Ok(match verdict {
            Past::New(case) => {
                let (open, close) = case.as_ref();
                write_case(c, actor, (open, close.as_ref()))
                    .map_err(at_row(&row.sheet, row.row))?;
                Written::New
            }
            Past::Unchanged => Written::Unchanged,
            Past::Rejected { .. } => Written::Rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_read_as_offices_write_them() {
        assert_eq!(outcome_of("调解成功"), Ok(Some("success")));
        assert_eq!(outcome_of("成功"), Ok(Some("success")));
        assert_eq!(outcome_of("达成协议"), Ok(Some("success")));
        assert_eq!(outcome_of("调解不成功"), Ok(Some("failed")));
        assert_eq!(outcome_of("引导申请仲裁"), Ok(Some("arbitration")));
        assert_eq!(outcome_of("已撤回"), Ok(Some("withdrawn")));
        assert_eq!(outcome_of(""), Ok(None));
        assert_eq!(outcome_of("调解中"), Ok(None));
        assert!(outcome_of("看情况").is_err());
    }
}
