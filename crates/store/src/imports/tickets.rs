//! Importing a 事件台账 kept before `shequ`: each row a report made at a time, of a category,
//! and as far as the book says it went: accepted (or not taken up), sent to whom, answered,
//! closed, and the resident's evaluation, each step at its own time. A row becomes the steps
//! the page would take, at the ledger's times: tried in a transaction that is rolled back, so a
//! row is refused for the very reason the page would refuse it (a 小类 the community doesn't
//! have, a 派遣对象 not on its list, a phone number that isn't one …), and written the same way
//! at the commit. The time limit runs from the ledger's dispatch time by the calendar, and is
//! fixed there, as for a report dispatched on the page. A step before the one it follows, a
//! time in the future, or a report or a step on a day of a locked period
//! (`periods::entering`) is refused with the field. Already
//! recorded (the same title reported at the same minute in the community): left as it is; the
//! catalogue's own 事件台账 re-imports to no changes. Every ticket brought in is 补录.

use chrono::{NaiveDateTime, NaiveTime, Timelike};
use shequ_domain::DayTime;
use shequ_domain::registry::org::NodeKind;
use shequ_domain::tickets::{self as flow, Action, State};

use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::imports::{Judged, Kind, Names, Past, Written, as_the_page_would, at_row};
use crate::params;
use crate::registry::tree::{self, Node};
use crate::tickets::{self, StepInput, TicketInput, When};

/// One row of a 事件台账, read.
#[derive(Debug, Clone, Default)]
pub struct TicketRow {
    pub sheet: String,
    pub row: u32,
    pub reported: Option<DayTime>,
    /// 小类 name or code as written ("暴露垃圾", "环境卫生/暴露垃圾", "0102").
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub location: Option<String>,
    pub source: Option<String>,
    pub reporter: Option<String>,
    pub reporter_phone: Option<String>,
    /// The grid as written ("第8网格", "8").
    pub grid: Option<String>,
    /// 处置人/单位: one of the community's 派遣对象.
    pub handler: Option<String>,
    /// How it stands, as the book says (已办结, 处置中, 不予受理 …).
    pub state: Option<String>,
    pub accepted: Option<DayTime>,
    pub dispatched: Option<DayTime>,
    pub answered: Option<DayTime>,
    pub closed: Option<DayTime>,
    /// 处置情况 / 处置结果: the feedback's note, or why it was not taken up.
    pub result: Option<String>,
    pub rating: Option<String>,
    pub rated_on: Option<DayTime>,
}

/// One step of a past report, at its time.
#[derive(Debug, Clone)]
pub struct PastStep {
    pub at: NaiveDateTime,
    pub input: StepInput,
}

/// A past report: where and what, when, and its steps in order.
#[derive(Debug, Clone)]
pub struct Replay {
    pub input: TicketInput,
    pub reported: NaiveDateTime,
    pub steps: Vec<PastStep>,
}

pub type TicketVerdict = Past<Box<Replay>>;

#[derive(Debug, Clone)]
pub struct TicketPlan {
    pub node_id: i64,
    pub rows: Vec<(TicketRow, TicketVerdict)>,
}

/// A day without its time of day is taken from the start of the working day (or from the step
/// before, if that was later the same day): a ledger that writes only days then keeps its order.
const DAY_STARTS: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// How far the book says a report went, from its 状态 column as offices write it.
pub fn state_of(written: &str) -> Result<Option<State>, String> {
    let w = squeeze(written);
    if w.is_empty() {
        return Ok(None);
    }
    if let Some(s) = State::ALL
        .into_iter()
        .find(|s| s.label() == w || s.as_str() == w)
    {
        return Ok(Some(s));
    }
    // 待X: waiting for step X, so standing at the step before it.
    if let Some(next) = w.strip_prefix('待').or_else(|| w.strip_prefix("等待")) {
        let before = [
            ("受理", State::Reported),
            ("派", State::Accepted),
            ("处置", State::Dispatched),
            ("办理", State::Dispatched),
            ("核", State::Answered),
            ("结案", State::Verified),
            ("办结", State::Verified),
            ("评价", State::Closed),
            ("回访", State::Closed),
        ];
        if let Some((_, s)) = before.iter().find(|(k, _)| next.starts_with(k)) {
            return Ok(Some(*s));
        }
    }
    let s = if w.contains("不予") || w.contains("不受理") || w.contains("驳回") {
        State::Refused
    } else if w.contains("评价") {
        State::Rated
    } else if w.contains("办结")
        || w.contains("结案")
        || w.contains("已解决")
        || w.contains("完成")
        || w == "是"
        || w == "已结"
    {
        State::Closed
    } else if w.contains("核查") || w.contains("核实") {
        State::Verified
    } else if w.contains("反馈") {
        State::Answered
    } else if w.contains("处置") || w.contains("处理中") || w.contains("办理中") || w.contains("派")
    {
        State::Handling
    } else if w.contains("受理") || w.contains("立案") {
        State::Accepted
    } else if w.contains("上报") || w.contains("待") || w == "否" || w == "未结" {
        State::Reported
    } else {
        return Err(format!(
            "“{written}”不是事件状态：请写待受理、已受理、处置中、已反馈、已结案、已评价或不予受理"
        ));
    };
    Ok(Some(s))
}

/// Where a report came from, as offices write it; None when not written (a worker's report).
fn source_of(written: &str) -> Result<&'static str, String> {
    let w = squeeze(written);
    if let Some((code, _)) = flow::SOURCES.iter().find(|(c, l)| *c == w || *l == w) {
        return Ok(code);
    }
    Ok(
        if w.is_empty() || w.contains("网格") || w.contains("工作人员") || w.contains("自查")
        {
            "worker"
        } else if w.contains("走访") || w.contains("入户") {
            "visit"
        } else if w.contains("巡查") || w.contains("巡逻") {
            "patrol"
        } else if w.contains("网上") || w.contains("线上") || w.contains("Open311") {
            "open311"
        } else if w.contains("居民")
            || w.contains("群众")
            || w.contains("来电")
            || w.contains("来访")
            || w.contains("热线")
            || w.contains("12345")
            || w.contains("信访")
        {
            "resident"
        } else {
            return Err(format!(
                "“{written}”不是事件来源：请写网格员上报、居民反映、走访发现、巡查发现或网上报事"
            ));
        },
    )
}

fn urgency_of(written: &str) -> Result<&'static str, String> {
    let w = squeeze(written);
    if w.is_empty() || w.contains("一般") || w.contains("普通") || w == "否" {
        Ok("normal")
    } else if w.contains("急") || w == "是" {
        Ok("urgent")
    } else {
        Err(format!("“{written}”不是紧急程度：请写一般或紧急"))
    }
}

/// The 小类 a ledger's 类别 names, among those the community may file under.
fn category_of(cats: &[tickets::Category], written: &str) -> Result<String, String> {
    let w = squeeze(written);
    // "环境卫生/暴露垃圾", "环境卫生 › 暴露垃圾", "环境卫生-暴露垃圾": the last part is the 小类.
    let last = w
        .rsplit(['/', '／', '›', '>', '-', '－', '—', '·'])
        .next()
        .unwrap_or(&w);
    let sub = |c: &&tickets::Category| c.parent_code.is_some();
    if let Some(c) = cats
        .iter()
        .filter(sub)
        .find(|c| c.code == w || c.name == w || c.name == last)
    {
        return Ok(c.code.clone());
    }
    if let Some(top) = cats
        .iter()
        .find(|c| c.parent_code.is_none() && (c.name == w || c.code == w))
    {
        let examples: Vec<&str> = cats
            .iter()
            .filter(|c| c.parent_code.as_deref() == Some(top.code.as_str()))
            .take(4)
            .map(|c| c.name.as_str())
            .collect();
        return Err(format!(
            "“{written}”是大类，请写明小类（如 {}）",
            examples.join("、")
        ));
    }
    Err(format!(
        "“{written}”不是本社区可用的事件小类：请写小类名称（如 暴露垃圾、路灯损坏）或编号（如 0102）"
    ))
}

/// The grid a row names, in the community imported into.
fn grid_of(conn: &mut Conn, node: &Node, written: &str) -> StoreResult<Result<i64, String>> {
    let w = squeeze(written);
    let bare = w.trim_start_matches('第').trim_end_matches("网格");
    let community = node.community_id.unwrap_or(node.id);
    let grids = conn.query(
        "SELECT id, name FROM org_nodes WHERE community_id = ? AND kind = ? AND retired_on IS NULL \
         ORDER BY sort_order, name",
        params![community, NodeKind::Grid.as_str()],
    )?;
    let mut names = Vec::new();
    for g in grids {
        let (id, name): (i64, String) = (g.get(0)?, g.get(1)?);
        let its = squeeze(&name);
        if its == w || its.trim_start_matches('第').trim_end_matches("网格") == bare {
            return Ok(Ok(id));
        }
        names.push(name);
    }
    Ok(Err(format!(
        "本社区没有“{written}”：应为 {} 之一",
        names.join("、")
    )))
}

/// Files the report and takes its steps, each at its time, as the page would.
fn replay(c: &mut Conn, actor: &Actor, r: &Replay) -> StoreResult<i64> {
    let id = tickets::create_when(c, actor, &r.input, When::Past(r.reported))?;
    let mut version = 1;
    for step in &r.steps {
        let input = StepInput {
            version,
            ..step.input.clone()
        };
        version = tickets::step_when(c, actor, id, &input, When::Past(step.at))?.version;
    }
    Ok(id)
}

/// Compares every row with the community's reports and tries each new one. Writes nothing.
pub fn plan_tickets(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    rows: Vec<TicketRow>,
) -> StoreResult<TicketPlan> {
    actor.require(
        flow::manages_tickets(actor.role),
        "导入事件台账（受理、派遣、结案由社区书记/主任或街道工作人员办理）",
    )?;
    let node = tree::get(conn, actor, node_id)?;
    let Some(community) = node.community_id else {
        return Err(StoreError::invalid(
            "导入位置",
            format!(
                "请在社区或网格页面导入事件台账（“{}”是{}）",
                node.name,
                node.kind.label()
            ),
        ));
    };
    let cats = tickets::categories(conn, &[community])?;
    let mut seen: Vec<(NaiveDateTime, String, u32)> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let verdict = judge(conn, actor, (&node, community, &cats), &row, &mut seen)?;
        out.push((row, verdict));
    }
    Ok(TicketPlan {
        node_id: node.id,
        rows: out,
    })
}

/// The steps from 上报 to where the book says the report stands, each at its time.
struct Timeline {
    now: NaiveDateTime,
    last: NaiveDateTime,
    last_field: &'static str,
    steps: Vec<PastStep>,
}

impl Timeline {
    /// The time of a step: the ledger's, or (a day alone) the later of the working day's start
    /// and the step before; refused if before the step before or in the future.
    fn at(
        &mut self,
        field: &'static str,
        written: Option<DayTime>,
    ) -> Result<NaiveDateTime, (String, String)> {
        let at = match written {
            None => self.last,
            Some(DayTime { day, time: None }) if day == self.last.date() => self.last,
            Some(w) => w.or_time(DAY_STARTS),
        };
        if at < self.last {
            return Err((
                field.to_string(),
                format!(
                    "{field}（{}）早于{}（{}）：请核对",
                    at.format("%Y-%m-%d %H:%M"),
                    self.last_field,
                    self.last.format("%Y-%m-%d %H:%M")
                ),
            ));
        }
        if at > self.now {
            return Err((
                field.to_string(),
                format!(
                    "{field}（{}）在今天之后：补录只能记已经发生的事",
                    at.format("%Y-%m-%d %H:%M")
                ),
            ));
        }
        self.last = at;
        if written.is_some() {
            self.last_field = field;
        }
        Ok(at)
    }

    fn push(&mut self, at: NaiveDateTime, action: Action, input: StepInput) {
        self.steps.push(PastStep {
            at,
            input: StepInput {
                action: action.as_str().to_string(),
                ..input
            },
        });
    }
}

/// How far a row went: the 状态 written, or else what its columns show.
fn reached(row: &TicketRow) -> Result<State, String> {
    if let Some(s) = state_of(row.state.as_deref().unwrap_or(""))? {
        return Ok(s);
    }
    Ok(if row.rating.is_some() {
        State::Rated
    } else if row.closed.is_some() {
        State::Closed
    } else if row.answered.is_some() {
        State::Answered
    } else if row.handler.is_some() || row.dispatched.is_some() {
        State::Dispatched
    } else if row.accepted.is_some() {
        State::Accepted
    } else {
        State::Reported
    })
}

/// The steps of a row, in order, each at its time.
fn steps(
    row: &TicketRow,
    reported: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Vec<PastStep>, (String, String)> {
    let refuse = |f: &str, m: String| (f.to_string(), m);
    let to = reached(row).map_err(|m| refuse("状态", m))?;
    let mut t = Timeline {
        now,
        last: reported,
        last_field: "上报时间",
        steps: Vec::new(),
    };
    if to == State::Reported {
        return Ok(t.steps);
    }
    let note = row.result.clone();
    if to == State::Refused {
        if note.is_none() {
            return Err(refuse(
                "处置情况",
                "不予受理的事件请在“处置情况”中写明理由".to_string(),
            ));
        }
        let at = t.at("受理时间", row.accepted)?;
        t.push(
            at,
            Action::Refuse,
            StepInput {
                note,
                ..StepInput::default()
            },
        );
        return Ok(t.steps);
    }
    let at = t.at("受理时间", row.accepted)?;
    t.push(at, Action::Accept, StepInput::default());
    if to == State::Accepted {
        return Ok(t.steps);
    }
    let Some(handler) = row.handler.clone() else {
        return Err(refuse(
            "处置单位",
            format!(
                "“{}”的事件要写明派给了谁（处置人/单位，应为本社区的派遣对象之一）",
                to.label()
            ),
        ));
    };
    let at = t.at("派遣时间", row.dispatched)?;
    t.push(
        at,
        Action::Dispatch,
        StepInput {
            assignee_name: Some(handler),
            ..StepInput::default()
        },
    );
    if matches!(to, State::Dispatched) {
        return Ok(t.steps);
    }
    if to == State::Handling {
        t.push(at, Action::Start, StepInput::default());
        return Ok(t.steps);
    }
    let closes = matches!(to, State::Closed | State::Rated);
    if closes && row.closed.is_none() {
        return Err(refuse(
            "办结时间",
            format!("“{}”的事件要写明办结时间", to.label()),
        ));
    }
    // A book that keeps only the day it was finished answered and closed on that day.
    let at = t.at("反馈时间", row.answered.or(row.closed))?;
    t.push(
        at,
        Action::Feedback,
        StepInput {
            note: Some(note.unwrap_or_else(|| "已处置（原台账未记处置情况）".to_string())),
            ..StepInput::default()
        },
    );
    if to == State::Answered {
        return Ok(t.steps);
    }
    let at = t.at("办结时间", row.closed)?;
    t.push(at, Action::VerifyPass, StepInput::default());
    if to == State::Verified {
        return Ok(t.steps);
    }
    t.push(at, Action::Close, StepInput::default());
    if to == State::Closed && row.rating.is_none() {
        return Ok(t.steps);
    }
    let Some(rating) = row.rating.as_deref().map(squeeze) else {
        return Err(refuse(
            "群众评价",
            "“已评价”的事件请写明群众评价（满意、基本满意或不满意）".to_string(),
        ));
    };
    let rating = if rating.contains("不满意") {
        "不满意"
    } else if rating.contains("基本") {
        "基本满意"
    } else if rating.contains("满意") {
        "满意"
    } else {
        return Err(refuse(
            "群众评价",
            format!("“{rating}”不是评价：请写满意、基本满意或不满意"),
        ));
    };
    let at = t.at("回访日期", row.rated_on)?;
    t.push(
        at,
        Action::Rate,
        StepInput {
            rating: Some(rating.to_string()),
            callback_on: Some(at.date()),
            ..StepInput::default()
        },
    );
    Ok(t.steps)
}

fn judge(
    conn: &mut Conn,
    actor: &Actor,
    (node, community, cats): (&Node, i64, &[tickets::Category]),
    row: &TicketRow,
    seen: &mut Vec<(NaiveDateTime, String, u32)>,
) -> StoreResult<TicketVerdict> {
    let Some(reported) = row.reported else {
        return Ok(TicketVerdict::refuse(
            "上报时间",
            "缺少上报时间：每件事件都要写明哪天上报",
        ));
    };
    let title = match (row.title.as_deref(), row.description.as_deref()) {
        (Some(t), _) if !t.trim().is_empty() => t.trim().to_string(),
        // Many books keep only a description: its first words are the title.
        (_, Some(d)) if !d.trim().is_empty() => d.trim().chars().take(30).collect(),
        _ => {
            return Ok(TicketVerdict::refuse(
                "事项",
                "缺少事项：请用一句话写明是什么问题",
            ));
        }
    };
    let now = shequ_domain::clock::now_local().naive_local();
    let mut at = reported.or_time(DAY_STARTS);
    if reported.time.is_none() && reported.day == now.date() {
        // Today, before the working day starts: it was reported by now.
        at = at.min(now);
    }
    if at > now {
        return Ok(TicketVerdict::refuse(
            "上报时间",
            format!(
                "{}在今天之后：补录只能记已经发生的事",
                at.format("%Y-%m-%d %H:%M")
            ),
        ));
    }
    // Ledgers print the minute: a report at that minute with that title is the same one.
    let (from, to) = match reported.time {
        Some(_) => {
            let minute = at.with_second(0).unwrap_or(at);
            (minute, minute + chrono::Duration::minutes(1))
        }
        None => (
            reported.day.and_time(NaiveTime::MIN),
            reported.day.and_time(NaiveTime::MIN) + chrono::Duration::days(1),
        ),
    };
    let recorded = conn.scalar(
        "SELECT count(*) FROM tickets WHERE community_id = ? AND reported_at >= ? \
         AND reported_at < ? AND title = ?",
        params![
            community,
            crate::clock::local_to_utc_text(from),
            crate::clock::local_to_utc_text(to),
            title.as_str()
        ],
    )?;
    if recorded > 0 {
        return Ok(Past::Unchanged);
    }
    if let Some((.., first)) = seen.iter().find(|(a, t, _)| *a == at && *t == title) {
        return Ok(TicketVerdict::refuse(
            "上报时间",
            format!("与第{first}行是同一件事件（同一时间、同样的事项）"),
        ));
    }
    seen.push((at, title.clone(), row.row));
    let category = match category_of(cats, row.category.as_deref().unwrap_or("")) {
        Ok(c) => c,
        Err(m) => return Ok(TicketVerdict::refuse("类别", m)),
    };
    let source = match source_of(row.source.as_deref().unwrap_or("")) {
        Ok(s) => s,
        Err(m) => return Ok(TicketVerdict::refuse("来源", m)),
    };
    let urgency = match urgency_of(row.urgency.as_deref().unwrap_or("")) {
        Ok(u) => u,
        Err(m) => return Ok(TicketVerdict::refuse("紧急程度", m)),
    };
    let place = match row.grid.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        None => node.id,
        Some(g) => match grid_of(conn, node, g)? {
            Ok(id) => id,
            Err(m) => return Ok(TicketVerdict::refuse("网格", m)),
        },
    };
    let steps = match steps(row, at, now) {
        Ok(s) => s,
        Err((field, message)) => return Ok(Past::Rejected { field, message }),
    };
    let replayed = Replay {
        input: TicketInput {
            node_id: place,
            category_code: category,
            urgency: Some(urgency.to_string()),
            title,
            description: row.description.clone(),
            location: row.location.clone(),
            source: Some(source.to_string()),
            reporter_name: row.reporter.clone(),
            reporter_phone: row.reporter_phone.clone(),
            ..TicketInput::default()
        },
        reported: at,
        steps,
    };
    let replayed = Box::new(replayed);
    Ok(
        match as_the_page_would(conn, replayed.clone(), |c| {
            replay(c, actor, &replayed).map(|_| ())
        })? {
            // The page calls it 派给; the book, 处置单位.
            Past::Rejected { field, message } if field == "派给" => Past::Rejected {
                field: "处置单位".to_string(),
                message,
            },
            verdict => verdict,
        },
    )
}

impl Kind for TicketPlan {
    type Row = TicketRow;
    type Verdict = TicketVerdict;

    fn names(&self) -> Names {
        Names::of("tickets", "事件台账", "导入事件台账")
    }

    fn rows(&self) -> &[(TicketRow, TicketVerdict)] {
        &self.rows
    }

    fn judged(v: &TicketVerdict) -> Judged {
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
            Past::New(r) => {
                replay(c, actor, r).map_err(at_row(&row.sheet, row.row))?;
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
    fn states_sources_and_urgency_are_read_as_offices_write_them() {
        assert_eq!(state_of("已办结"), Ok(Some(State::Closed)));
        assert_eq!(state_of("结案"), Ok(Some(State::Closed)));
        assert_eq!(state_of("已评价"), Ok(Some(State::Rated)));
        assert_eq!(state_of("处置中"), Ok(Some(State::Handling)));
        assert_eq!(state_of("不予受理"), Ok(Some(State::Refused)));
        assert_eq!(state_of("待受理"), Ok(Some(State::Reported)));
        assert_eq!(state_of("待派遣"), Ok(Some(State::Accepted)));
        assert_eq!(state_of("待评价"), Ok(Some(State::Closed)));
        assert_eq!(state_of("已受理"), Ok(Some(State::Accepted)));
        assert_eq!(state_of(""), Ok(None));
        assert!(state_of("看情况").is_err());
        assert_eq!(source_of(""), Ok("worker"));
        assert_eq!(source_of("12345热线"), Ok("resident"));
        assert_eq!(source_of("巡查发现"), Ok("patrol"));
        assert_eq!(source_of("居民反映"), Ok("resident"));
        assert!(source_of("天上掉的").is_err());
        assert_eq!(urgency_of("紧急"), Ok("urgent"));
        assert_eq!(urgency_of(""), Ok("normal"));
        assert!(urgency_of("很慢").is_err());
    }

    fn dt(s: &str) -> Option<DayTime> {
        shequ_domain::parse_day_time(s).ok()
    }

    #[test]
    fn a_closed_row_becomes_every_step_at_its_time_and_refuses_time_going_backwards() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        let reported = dt("2024-03-05 10:20").unwrap().or_time(DAY_STARTS);
        let row = TicketRow {
            handler: Some("小区物业服务中心".into()),
            closed: dt("2024-03-07"),
            rating: Some("满意".into()),
            ..TicketRow::default()
        };
        let s = steps(&row, reported, now).unwrap();
        let actions: Vec<&str> = s.iter().map(|s| s.input.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "accept",
                "dispatch",
                "feedback",
                "verify_pass",
                "close",
                "rate"
            ]
        );
        // Accepted and dispatched when reported; closed on the 7th at the day's start.
        assert_eq!(s[1].at, reported);
        assert_eq!(s[4].at.to_string(), "2024-03-07 09:00:00");
        assert_eq!(
            s[5].input.callback_on.map(|d| d.to_string()).as_deref(),
            Some("2024-03-07")
        );
        // Same day, no time: not before the report.
        let same_day = TicketRow {
            handler: Some("x".into()),
            closed: dt("2024-03-05"),
            ..TicketRow::default()
        };
        let s = steps(&same_day, reported, now).unwrap();
        assert!(s.iter().all(|s| s.at == reported));
        let backwards = TicketRow {
            handler: Some("x".into()),
            closed: dt("2024-03-01 09:00"),
            ..TicketRow::default()
        };
        let (field, message) = steps(&backwards, reported, now).unwrap_err();
        assert_eq!(field, "反馈时间");
        assert!(message.contains("早于上报时间"), "{message}");
        let future = TicketRow {
            accepted: dt("2027-01-01"),
            ..TicketRow::default()
        };
        assert_eq!(steps(&future, reported, now).unwrap_err().0, "受理时间");
        let no_handler = TicketRow {
            closed: dt("2024-03-07"),
            state: Some("已办结".into()),
            ..TicketRow::default()
        };
        assert_eq!(steps(&no_handler, reported, now).unwrap_err().0, "处置单位");
        let refused = TicketRow {
            state: Some("不予受理".into()),
            ..TicketRow::default()
        };
        assert_eq!(steps(&refused, reported, now).unwrap_err().0, "处置情况");
    }
}
