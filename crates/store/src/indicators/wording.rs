//! The wording of the work summary (工作总结): a text a community head may edit, with the
//! figures as named placeholders. Read line by line:
//!
//! ```text
//! 标题：{单位}{期间}工作总结
//! 开头：{期间}，{单位}……现将主要工作总结如下。
//! # 事件处置                      a section (numbered 一、二、… as printed)
//! - 发现上报事件{tickets.reported}，问题解决率{tickets.resolution_rate}。   an item (一是、二是…)
//! 表：people.total, tickets.reported     the table of key figures, with the year before
//! 图：tickets.category.*                 a column chart of the indicators under a prefix
//! 图：visits.total|按月                  a line chart of one indicator month by month
//! ## 存在的不足                          a place for the author's own words
//! ```
//!
//! A placeholder is `{code}` (the figure with its unit), `{code|同比}` (its change on the year
//! before), `{prefix.*|前三}` (the three largest under a prefix, "市容环境35件、…"), `{单位}`,
//! `{期间}` or, in a worker's own summary, `{姓名}`. Every code is checked against the catalogue when the text is read: a wrong one is
//! an error naming the line, never a blank in the document.

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::indicators::catalogue;
use crate::params;
use crate::registry::tree::{self, Node};

/// The wording every community starts with.
pub const DEFAULT: &str = "标题：{单位}{期间}工作总结
开头：{期间}，{单位}在街道党工委、办事处的领导下，坚持以人民为中心，扎实做好人口服务管理、民生保障、平安建设和为民服务各项工作。现将主要工作总结如下。
# 人口服务管理
- 辖区实有人口{people.total}、{households.total}，其中户籍人口{people.huji}、流动人口{people.floating}，60岁及以上老年人{people.aged_60}。
- 流动人口登记{people.floating_registered}，登记率{people.floating_registration_rate}。
- 劳动年龄人口{labour.working_age}，其中在业{labour.employed}、灵活就业{labour.flexible}、登记失业{labour.unemployed}。
# 民生保障和重点人群服务
- 在册低保户{dibao.households}、低保人数{dibao.persons}，特困人员{tekun.persons}，残疾人{disability.persons}，退役军人及优抚对象{veteran.persons}。
- 关爱空巢/独居老人{elderly_alone.persons}、留守儿童{left_behind_child.persons}。
# 走访联系群众
- 累计走访{visits.total}，其中入户走访{visits.kind.home}，走访群众{visits.people}、{visits.households}。
- 低保家庭走访覆盖率{visits.rule.dibao.coverage}，空巢/独居老人走访覆盖率{visits.rule.elderly_alone.coverage}。
# 平安建设和安全巡查
- 开展各类巡查{patrols.total}，检查辖区单位{patrols.units_checked}，发现问题{patrols.problems}。
- 出租房屋{homes.rented}，签订治安责任书{homes.rented_agreement}，签订率{homes.rented_agreement_rate}。
- 辖区单位{units.total}，安全生产责任书签订率{units.safety_agreement_rate}。
# 事件处置
- 发现上报事件{tickets.reported}，办结{tickets.closed}，问题解决率{tickets.resolution_rate}，群众满意率{tickets.satisfaction_rate}。
- 反映较多的是{tickets.category.*|前三}。
- 按时响应率{tickets.response_rate}，按期办结率{tickets.on_time_rate}，平均办理时长{tickets.handling_hours}。
# 矛盾纠纷排查调解
- 开展矛盾纠纷排查{disputes.rounds}，排查率{disputes.screening_rate}，发现矛盾纠纷{disputes.found}。
- 受理调解{cases.received}，调解成功{cases.settled}，调成率{cases.success_rate}。
表：people.total, households.total, people.floating, visits.total, patrols.total, tickets.reported, tickets.resolution_rate, tickets.satisfaction_rate, cases.received, cases.success_rate
图：tickets.category.*
图：visits.total|按月
## 工作体会
## 存在的不足
## 下一步打算
";

/// The wording of a worker's own summary (个人工作总结): their records, their area's registry.
pub const PERSONAL_DEFAULT: &str = "标题：{姓名}{期间}个人工作总结
开头：{期间}，我在{单位}工作，负责走访联系群众、安全巡查、发现上报事件和矛盾纠纷排查。现将个人工作总结如下。
# 分管网格基本情况
- 我分管的{单位}有实有人口{people.total}、{households.total}，其中60岁及以上老年人{people.aged_60}、流动人口{people.floating}。
- 在册低保户{dibao.households}、残疾人{disability.persons}、空巢/独居老人{elderly_alone.persons}。
# 走访联系群众
- 我累计走访{visits.total}，其中入户走访{visits.kind.home}，走访群众{visits.people}、{visits.households}。
# 安全巡查
- 我开展各类巡查{patrols.total}，检查辖区单位{patrols.units_checked}，发现问题{patrols.problems}。
# 发现上报事件
- 我发现上报事件{tickets.reported}，已办结{tickets.closed}，问题解决率{tickets.resolution_rate}，群众满意率{tickets.satisfaction_rate}。
- 反映较多的是{tickets.category.*|前三}。
# 矛盾纠纷排查
- 我开展矛盾纠纷排查{disputes.rounds}，发现矛盾纠纷{disputes.found}。
图：visits.total|按月
## 工作体会
## 存在的不足
## 下一步打算
";

/// What a placeholder stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Slot {
    /// The node's name.
    Place,
    /// The worker's name, in a personal summary.
    Worker,
    /// The period's name (2024年).
    Period,
    /// An indicator's value with its unit.
    Value(&'static str),
    /// An indicator's change on the same period a year before.
    YearOnYear(&'static str),
    /// The three largest counts among the indicators under a prefix.
    TopThree(String),
}

/// A line of text: literal pieces and placeholders, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Slot(Slot),
}

pub type Line = Vec<Piece>;

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub items: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChartSpec {
    /// The indicators under a prefix, one column each.
    Prefix(String),
    /// One indicator month by month.
    Monthly(&'static str),
}

/// A wording read and checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Wording {
    pub title: Line,
    pub opening: Vec<Line>,
    pub sections: Vec<Section>,
    pub table: Vec<&'static str>,
    pub charts: Vec<ChartSpec>,
    /// Headings of the author's own parts (体会, 存在的不足, 下一步打算).
    pub author: Vec<String>,
}

fn err(line: usize, message: String) -> StoreError {
    StoreError::invalid("总结模板", format!("第 {line} 行：{message}"))
}

fn indicator(line: usize, code: &str) -> StoreResult<&'static str> {
    catalogue::find(code.trim()).map(|i| i.code).ok_or_else(|| {
        err(
            line,
            format!(
                "没有编号为“{}”的指标，请对照指标目录（/api/v1/indicators）改正",
                code.trim()
            ),
        )
    })
}

fn prefix(line: usize, p: &str) -> StoreResult<String> {
    let p = p.trim().trim_end_matches('*').to_string();
    if p.is_empty() || !catalogue::all().any(|(_, i)| i.code.starts_with(&p)) {
        return Err(err(line, format!("没有以“{p}”开头的指标")));
    }
    Ok(p)
}

/// A text with `{…}` placeholders.
fn pieces(line: usize, text: &str) -> StoreResult<Line> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '｛']) {
        if open > 0 {
            out.push(Piece::Text(rest[..open].to_string()));
        }
        let after = &rest[open..];
        let after = &after[after.chars().next().map_or(1, char::len_utf8)..];
        let close = after
            .find(['}', '｝'])
            .ok_or_else(|| err(line, "有“{”没有配对的“}”".into()))?;
        let inner = after[..close].trim();
        let (name, modifier) = match inner.split_once(['|', '｜']) {
            Some((n, m)) => (n.trim(), Some(m.trim())),
            None => (inner, None),
        };
        let slot = match (name, modifier) {
            ("单位", None) => Slot::Place,
            ("姓名", None) => Slot::Worker,
            ("期间", None) => Slot::Period,
            (n, Some("前三")) => Slot::TopThree(prefix(line, n)?),
            (n, Some("同比")) => Slot::YearOnYear(indicator(line, n)?),
            (n, None) => Slot::Value(indicator(line, n)?),
            (_, Some(m)) => {
                return Err(err(line, format!("不认识“|{m}”：只能写“|同比”或“|前三”")));
            }
        };
        out.push(Piece::Slot(slot));
        rest = &after[close + after[close..].chars().next().map_or(1, char::len_utf8)..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.to_string()));
    }
    Ok(out)
}

/// `key：value` (full-width or ASCII colon).
fn keyed<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(key)?;
    rest.strip_prefix('：').or_else(|| rest.strip_prefix(':'))
}

/// Reads and checks a wording; the error names the line and what to change.
pub fn parse(text: &str) -> StoreResult<Wording> {
    let mut w = Wording::default();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if let Some(t) = keyed(line, "标题") {
            w.title = pieces(n, t.trim())?;
        } else if let Some(t) = keyed(line, "开头") {
            w.opening.push(pieces(n, t.trim())?);
        } else if let Some(t) = keyed(line, "表") {
            for code in t.split([',', '，', '、']).filter(|c| !c.trim().is_empty()) {
                w.table.push(indicator(n, code)?);
            }
        } else if let Some(t) = keyed(line, "图") {
            let t = t.trim();
            w.charts.push(match t.split_once(['|', '｜']) {
                Some((code, "按月")) => ChartSpec::Monthly(indicator(n, code)?),
                Some((_, m)) => return Err(err(n, format!("图只能写“|按月”，不认识“|{m}”"))),
                None if t.ends_with('*') => ChartSpec::Prefix(prefix(n, t)?),
                None => {
                    return Err(err(
                        n,
                        "图写成“图：指标前缀.*”（各项对比）或“图：指标编号|按月”（逐月变化）"
                            .into(),
                    ));
                }
            });
        } else if let Some(t) = line.strip_prefix("##") {
            let t = t.trim();
            if t.is_empty() {
                return Err(err(n, "“##”后面要写这一部分的标题，如“存在的不足”".into()));
            }
            w.author.push(t.to_string());
        } else if let Some(t) = line.strip_prefix('#') {
            let t = t.trim();
            if t.is_empty() {
                return Err(err(n, "“#”后面要写这一部分的标题，如“事件处置”".into()));
            }
            w.sections.push(Section {
                heading: t.to_string(),
                items: Vec::new(),
            });
        } else if let Some(t) = line.strip_prefix(['-', '－', '—']) {
            let item = pieces(n, t.trim())?;
            match w.sections.last_mut() {
                Some(s) => s.items.push(item),
                None => {
                    return Err(err(
                        n,
                        "这一条前面还没有“# 标题”，不知道属于哪一部分".into(),
                    ));
                }
            }
        } else {
            return Err(err(
                n,
                format!(
                    "看不懂“{}”：每行以“标题：”“开头：”“# ”“- ”“表：”“图：”或“## ”开始",
                    line.chars().take(20).collect::<String>()
                ),
            ));
        }
    }
    if w.title.is_empty() {
        return Err(StoreError::invalid(
            "总结模板",
            "缺少“标题：”一行，例如“标题：{单位}{期间}工作总结”",
        ));
    }
    Ok(w)
}

impl Wording {
    /// Every indicator the wording shows (a prefix brings all under it), for computing only
    /// those.
    pub fn codes(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        let add_prefix = |p: &str, out: &mut Vec<&'static str>| {
            out.extend(
                catalogue::all()
                    .map(|(_, i)| i.code)
                    .filter(|c| c.starts_with(p)),
            );
        };
        let lines = std::iter::once(&self.title)
            .chain(&self.opening)
            .chain(self.sections.iter().flat_map(|s| &s.items));
        for line in lines {
            for piece in line {
                match piece {
                    Piece::Slot(Slot::Value(c) | Slot::YearOnYear(c)) => out.push(c),
                    Piece::Slot(Slot::TopThree(p)) => add_prefix(p, &mut out),
                    _ => {}
                }
            }
        }
        out.extend(&self.table);
        for c in &self.charts {
            match c {
                ChartSpec::Prefix(p) => add_prefix(p, &mut out),
                ChartSpec::Monthly(code) => out.push(code),
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| seen.insert(*c));
        out
    }
}

/// Longer than this is not a wording anyone edits on a page.
const MAX_CHARS: usize = 20_000;

/// A wording as kept: its owner's own text, or the default.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Whose wording it is: the community a node is in, or a street (or district) itself.
    pub community: Node,
    pub body: String,
    /// Who last changed it and when; None while it is the default.
    pub changed: Option<(String, String)>,
}

/// Whose wording a node's summary is written in: its community's, or, above the communities,
/// the node's own (a street words its summary itself).
fn owner_of(conn: &mut Conn, node: Node) -> StoreResult<Node> {
    match node.community_id {
        Some(id) if id != node.id => tree::load(conn, id),
        _ => Ok(node),
    }
}

/// May `actor` change the wording `owner` keeps: a community's its head, a street's or a
/// district's the staff who send forms there (街道、区的业务人员).
pub fn may_edit(actor: &Actor, owner: &Node) -> bool {
    if owner.community_id.is_some() {
        actor.role.manages_community_settings()
    } else {
        actor.role.publishes_forms()
    }
}

/// The wording the summary of `node_id` is written in: its community's, or a street's own.
pub fn kept(conn: &mut Conn, actor: &Actor, node_id: i64) -> StoreResult<Kept> {
    let node = tree::get(conn, actor, node_id)?;
    let owner = owner_of(conn, node)?;
    // The table's key is the owner node: a community, or a street or district above them.
    let row = conn.query_opt(
        "SELECT body, updated_by, updated_at FROM summary_wordings WHERE community_id = ?",
        params![owner.id],
    )?;
    Ok(match row {
        Some(r) => Kept {
            community: owner,
            body: r.get(0)?,
            changed: Some((r.get(1)?, r.get(2)?)),
        },
        None => Kept {
            community: owner,
            body: DEFAULT.to_string(),
            changed: None,
        },
    })
}

/// The wording the summary of `node_id` is written in, read and checked.
pub fn of_node(conn: &mut Conn, actor: &Actor, node_id: i64) -> StoreResult<Wording> {
    let k = kept(conn, actor, node_id)?;
    // A kept text was checked when saved; a catalogue change since then shows here, by line.
    parse(&k.body)
}

/// Saves the wording of the community (its head's) or the street (its staff's) `node_id` is
/// in, after reading it: a wrong placeholder or line is refused with its line number, and
/// nothing is saved. Audited.
pub fn save(conn: &mut Conn, actor: &Actor, node_id: i64, body: &str) -> StoreResult<Kept> {
    actor.require(
        actor.role.manages_community_settings() || actor.role.publishes_forms(),
        "修改工作总结模板",
    )?;
    let body = body.replace("\r\n", "\n");
    if body.chars().count() > MAX_CHARS {
        return Err(StoreError::invalid(
            "总结模板",
            format!("模板不能超过 {MAX_CHARS} 字"),
        ));
    }
    parse(&body)?;
    let node = tree::get(conn, actor, node_id)?;
    let owner = owner_of(conn, node)?;
    // The wrong place rather than a refusal: each may word their own summary, elsewhere.
    if !may_edit(actor, &owner) {
        return Err(StoreError::invalid(
            "总结模板",
            if owner.community_id.is_some() {
                format!(
                    "“{}”的工作总结模板由本社区书记/主任修改；街道的模板请在街道页面修改",
                    owner.name
                )
            } else {
                format!(
                    "“{}”的工作总结模板由{}的工作人员修改；社区的模板请在社区页面修改",
                    owner.name, owner.name
                )
            },
        ));
    }
    conn.transaction(|c| {
        c.execute(
            "DELETE FROM summary_wordings WHERE community_id = ?",
            params![owner.id],
        )?;
        c.execute(
            "INSERT INTO summary_wordings (community_id, body, updated_at, updated_by) VALUES (?, ?, ?, ?)",
            params![
                owner.id,
                body.as_str(),
                crate::clock::now(),
                actor.display_name.as_str()
            ],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("summary_wording.save", format!("node:{}", owner.id))
                .with(serde_json::json!({ "字数": body.chars().count() })),
        )?;
        Ok::<(), StoreError>(())
    })?;
    kept(conn, actor, owner.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_reads_and_names_real_figures() {
        let p = parse(PERSONAL_DEFAULT).unwrap();
        assert_eq!(p.title[0], Piece::Slot(Slot::Worker));
        let w = parse(DEFAULT).unwrap();
        assert!(w.sections.len() >= 6);
        assert_eq!(w.author, ["工作体会", "存在的不足", "下一步打算"]);
        assert_eq!(w.charts.len(), 2);
        assert!(w.table.contains(&"tickets.reported"));
    }

    #[test]
    fn placeholders_are_read_with_their_modifiers() {
        let l = pieces(
            1,
            "走访{visits.total}，{visits.total|同比}；{tickets.category.*|前三}。",
        )
        .unwrap();
        assert_eq!(
            l,
            vec![
                Piece::Text("走访".into()),
                Piece::Slot(Slot::Value("visits.total")),
                Piece::Text("，".into()),
                Piece::Slot(Slot::YearOnYear("visits.total")),
                Piece::Text("；".into()),
                Piece::Slot(Slot::TopThree("tickets.category.".into())),
                Piece::Text("。".into()),
            ]
        );
        // Full-width braces, as a Chinese input method types them.
        assert_eq!(
            pieces(1, "｛单位｝").unwrap(),
            vec![Piece::Slot(Slot::Place)]
        );
    }

    #[test]
    fn a_wrong_placeholder_names_its_line_and_code() {
        let e = parse("标题：{单位}\n# 事件\n- 发现{tickets.reportd}件")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("第 3 行") && e.contains("tickets.reportd"),
            "{e}"
        );
        let e = parse("标题：x\n- 无标题的一条").unwrap_err().to_string();
        assert!(e.contains("第 2 行"), "{e}");
        let e = parse("标题：{单位\n").unwrap_err().to_string();
        assert!(e.contains("没有配对"), "{e}");
        let e = parse("# 事件\n").unwrap_err().to_string();
        assert!(e.contains("标题"), "{e}");
        let e = parse("标题：x\n图：visits.total|按年")
            .unwrap_err()
            .to_string();
        assert!(e.contains("按年"), "{e}");
        let e = parse("标题：x\n随便写的一行").unwrap_err().to_string();
        assert!(e.contains("看不懂"), "{e}");
    }
}
