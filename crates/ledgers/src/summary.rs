//! 工作总结: a node's figures of a period written out in the wording a community keeps
//! (`shequ_store::indicators::wording`), as a .docx in the official look (sections 一、二、,
//! items 一是、二是, the figures inline, a table of key figures against the year before,
//! charts, and marked places for the author's own words) or as a Markdown preview. A sentence
//! whose subject was not recorded in the period is left out, and a section left empty with it:
//! nothing is padded and no figure is ever blank.

use std::fmt::Write as _;

use shequ_domain::figures::{Amount, Change, Period, Unit};
use shequ_office::docx::{self, Block, Chart, ChartKind, Look};
use shequ_store::indicators::catalogue::{self, Compared, Figures};
use shequ_store::indicators::wording::{ChartSpec, Line, Piece, Slot, Wording};
use shequ_store::{Actor, Conn, StoreError, StoreResult};

/// The figures a wording needs: those it names for the period, each against the same period
/// a year before (a summary compares with the year before, not with the period before), and,
/// for each monthly chart, its indicator month by month.
pub struct Gathered {
    pub figures: Figures,
    /// The worker a personal summary is of.
    pub worker: Option<String>,
    /// (indicator code, [(month label, value)]) for each monthly chart.
    pub monthly: Vec<(&'static str, Vec<(String, f64)>)>,
    /// The lines of the records the community head marked as notable (工作亮点), in the order
    /// they happened; none in a personal summary.
    pub highlights: Vec<String>,
}

/// Reads what `wording` needs for `node_id` over `period`, within `actor`'s scope.
pub fn gather(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    period: &Period,
    wording: &Wording,
) -> StoreResult<Gathered> {
    gather_of(conn, actor, node_id, period, wording, None)
}

/// What a worker's own summary needs: their records (visits, patrols, 事件 they reported,
/// rounds of 排查) and the registry of their area (the first node of their scope).
pub fn gather_personal(
    conn: &mut Conn,
    actor: &Actor,
    period: &Period,
    wording: &Wording,
) -> StoreResult<Gathered> {
    let node = actor.nodes.first().map(|n| n.id).ok_or_else(|| {
        StoreError::Forbidden("您的账号没有分管区域，无法生成个人工作总结".into())
    })?;
    // Display names carry the role in the demo ("网格员 张敏"): the name is the last word.
    let name = actor
        .display_name
        .split_whitespace()
        .last()
        .unwrap_or(&actor.display_name)
        .to_string();
    gather_of(
        conn,
        actor,
        node,
        period,
        wording,
        Some((actor.user_id, name)),
    )
}

fn gather_of(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    period: &Period,
    wording: &Wording,
    worker: Option<(i64, String)>,
) -> StoreResult<Gathered> {
    let codes = wording.codes();
    let by = worker.as_ref().map(|w| w.0);
    let figures = catalogue::against_year_ago(conn, actor, node_id, period, &codes, by)?;
    let node = shequ_store::registry::tree::get(conn, actor, node_id)?;
    let mut monthly = Vec::new();
    for spec in &wording.charts {
        if let ChartSpec::Monthly(code) = spec {
            let mut points = Vec::new();
            for m in period.finished_months(shequ_store::today()) {
                let f = catalogue::compute_of(conn, actor, &node, &m, &[code], by)?;
                let value = f
                    .iter()
                    .find(|x| x.code == *code)
                    .and_then(|x| x.amount.shown())
                    .unwrap_or(0.0);
                use chrono::Datelike;
                points.push((format!("{}月", m.first().month()), value));
            }
            monthly.push((*code, points));
        }
    }
    let highlights = if worker.is_none() {
        shequ_store::highlights::in_period(conn, &node, period)?
    } else {
        Vec::new()
    };
    Ok(Gathered {
        figures,
        worker: worker.map(|w| w.1),
        monthly,
        highlights,
    })
}

/// A summary written out, ready for either format.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub title: String,
    pub opening: Vec<String>,
    /// (heading without its number, items without their 一是).
    pub sections: Vec<(String, Vec<String>)>,
    /// [指标, 本期, 上年同期, 同比].
    pub table: Vec<[String; 4]>,
    pub charts: Vec<Chart>,
    pub author: Vec<String>,
    /// Where and when, for the signature lines.
    pub place: String,
    pub period_label: String,
}

const NUMERALS: [&str; 20] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四",
    "十五", "十六", "十七", "十八", "十九", "二十",
];

fn numeral(i: usize) -> &'static str {
    NUMERALS.get(i).copied().unwrap_or("二十")
}

/// A figure's number as the text prints it: whole, or to one decimal.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// A figure as a sentence shows it ("213件", "90%", "3.5小时"); None when there is nothing to
/// show (a rate or an average over nothing).
fn shown(a: &Amount, unit: Unit) -> Option<String> {
    match *a {
        Amount::Count { value } => Some(format!("{value}{}", unit.label())),
        Amount::Rate { percent, .. } => percent.map(|p| format!("{}%", number(p))),
        Amount::Mean { value, .. } => value.map(|v| format!("{}{}", number(v), unit.label())),
    }
}

/// Whether a figure has anything behind it.
fn recorded(a: &Amount) -> bool {
    match *a {
        Amount::Count { value } => value != 0,
        Amount::Rate { denominator, .. } => denominator != 0,
        Amount::Mean { count, .. } => count != 0,
    }
}

/// "比上年同期增长12.5%", "比上年同期提高3个百分点", "与上年同期持平".
fn year_on_year(c: &Compared) -> Option<String> {
    let Change {
        previous,
        difference,
        percent,
    } = c.year_ago;
    if !recorded(&previous) {
        return None;
    }
    let d = difference?;
    if d == 0.0 {
        return Some("与上年同期持平".into());
    }
    let up = d > 0.0;
    Some(match previous {
        Amount::Rate { .. } => format!(
            "比上年同期{}{}个百分点",
            if up { "提高" } else { "下降" },
            number(d.abs())
        ),
        _ => match percent {
            Some(p) => format!(
                "比上年同期{}{}%",
                if up { "增长" } else { "下降" },
                number(p.abs())
            ),
            None => format!(
                "比上年同期{}{}{}",
                if up { "增加" } else { "减少" },
                number(d.abs()),
                c.unit.label()
            ),
        },
    })
}

fn find<'a>(f: &'a Figures, code: &str) -> Option<&'a Compared> {
    f.figures.iter().find(|c| c.code == code)
}

/// The counts under a prefix, largest first, those above zero.
fn under<'a>(f: &'a Figures, prefix: &str) -> Vec<(&'a Compared, i64)> {
    let mut out: Vec<(&Compared, i64)> = f
        .figures
        .iter()
        .filter(|c| c.code.starts_with(prefix))
        .filter_map(|c| match c.amount {
            Amount::Count { value } if value > 0 => Some((c, value)),
            _ => None,
        })
        .collect();
    out.sort_by_key(|x| std::cmp::Reverse(x.1));
    out
}

/// A line with its placeholders filled; None when its subject (the first figure) was not
/// recorded or a rate, average or change in it has nothing to show.
fn fill(line: &Line, g: &Gathered, subject_needed: bool) -> Option<String> {
    let f = &g.figures;
    let mut out = String::new();
    let mut first = true;
    for p in line {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot(Slot::Place) => out.push_str(&f.node_name),
            Piece::Slot(Slot::Period) => out.push_str(&f.label),
            Piece::Slot(Slot::Worker) => out.push_str(g.worker.as_deref().unwrap_or("")),
            Piece::Slot(Slot::Value(code)) => {
                let c = find(f, code)?;
                if first && subject_needed && !recorded(&c.amount) {
                    return None;
                }
                first = false;
                out.push_str(&shown(&c.amount, c.unit)?);
            }
            Piece::Slot(Slot::YearOnYear(code)) => {
                first = false;
                out.push_str(&year_on_year(find(f, code)?)?);
            }
            Piece::Slot(Slot::TopThree(prefix)) => {
                first = false;
                let top = under(f, prefix);
                if top.is_empty() {
                    return None;
                }
                let parts: Vec<String> = top
                    .iter()
                    .take(3)
                    .map(|(c, v)| format!("{}{v}{}", c.name, c.unit.label()))
                    .collect();
                out.push_str(&parts.join("、"));
            }
        }
    }
    Some(out)
}

/// The chart of a spec, or None when it would show nothing.
fn chart(spec: &ChartSpec, g: &Gathered) -> Option<Chart> {
    match spec {
        ChartSpec::Prefix(prefix) => {
            let items = under(&g.figures, prefix);
            if items.is_empty() {
                return None;
            }
            let line = catalogue::LINES
                .iter()
                .find(|l| {
                    l.indicators
                        .iter()
                        .any(|i| i.code.starts_with(prefix.as_str()))
                })
                .map_or("", |l| l.name);
            let unit = items[0].0.unit.label();
            Some(Chart {
                title: format!("{}{line}分类统计", g.figures.label),
                kind: ChartKind::Column,
                categories: items.iter().map(|(c, _)| c.name.to_string()).collect(),
                series: vec![(
                    format!("数量（{unit}）"),
                    items.iter().map(|(_, v)| *v as f64).collect(),
                )],
            })
        }
        ChartSpec::Monthly(code) => {
            let points = &g.monthly.iter().find(|(c, _)| c == code)?.1;
            if points.iter().all(|(_, v)| *v == 0.0) {
                return None;
            }
            let c = find(&g.figures, code)?;
            Some(Chart {
                title: format!("{}{}逐月变化", g.figures.label, c.name),
                kind: ChartKind::Line,
                categories: points.iter().map(|(m, _)| m.clone()).collect(),
                series: vec![(
                    format!("{}（{}）", c.name, c.unit.label()),
                    points.iter().map(|(_, v)| *v).collect(),
                )],
            })
        }
    }
}

/// The summary of `g` in `wording`.
pub fn compose(wording: &Wording, g: &Gathered) -> Summary {
    let f = &g.figures;
    let title = fill(&wording.title, g, false)
        .unwrap_or_else(|| format!("{}{}工作总结", f.node_name, f.label));
    let opening = wording
        .opening
        .iter()
        .filter_map(|l| fill(l, g, false))
        .collect();
    let mut sections: Vec<(String, Vec<String>)> = wording
        .sections
        .iter()
        .filter_map(|s| {
            let items: Vec<String> = s.items.iter().filter_map(|l| fill(l, g, true)).collect();
            (!items.is_empty()).then(|| (s.heading.clone(), items))
        })
        .collect();
    // The records the head marked as notable, in their own words; left out when none was.
    if !g.highlights.is_empty() {
        sections.push(("工作亮点".to_string(), g.highlights.clone()));
    }
    let table = wording
        .table
        .iter()
        .filter_map(|code| find(f, code))
        // A figure with nothing behind it this period is left out, as its sentence is.
        .filter(|c| recorded(&c.amount))
        .map(|c| {
            let dash = || "—".to_string();
            let change = match (
                c.year_ago.previous,
                c.year_ago.difference,
                c.year_ago.percent,
            ) {
                (Amount::Rate { .. }, Some(d), _) if recorded(&c.year_ago.previous) => {
                    format!("{:+}个百分点", (d * 10.0).round() / 10.0)
                }
                (_, _, Some(p)) => format!("{:+}%", (p * 10.0).round() / 10.0),
                _ => dash(),
            };
            [
                c.name.to_string(),
                shown(&c.amount, c.unit).unwrap_or_else(dash),
                if recorded(&c.year_ago.previous) {
                    shown(&c.year_ago.previous, c.unit).unwrap_or_else(dash)
                } else {
                    dash()
                },
                change,
            ]
        })
        .collect();
    let charts = wording.charts.iter().filter_map(|s| chart(s, g)).collect();
    Summary {
        title,
        opening,
        sections,
        table,
        charts,
        author: wording.author.clone(),
        place: f.node_name.clone(),
        period_label: f.label.clone(),
    }
}

/// An item as printed: "一是……" when its section has several.
fn item(i: usize, of: usize, text: &str) -> String {
    if of > 1 {
        format!("{}是{text}", numeral(i))
    } else {
        text.to_string()
    }
}

/// The numbered sections as printed: (whether a heading, its text), "一、…" and "一是…".
pub fn outline(s: &Summary) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for (n, (h, items)) in s.sections.iter().enumerate() {
        out.push((true, format!("{}、{h}", numeral(n))));
        for (i, t) in items.iter().enumerate() {
            out.push((false, item(i, items.len(), t)));
        }
    }
    out
}

/// The headings after the sections: key figures (when there are any), then the author's
/// parts, numbered on from the sections.
fn closing_headings(s: &Summary) -> (Option<String>, Vec<(String, &String)>) {
    let mut n = s.sections.len();
    let figures = (!s.table.is_empty() || !s.charts.is_empty()).then(|| {
        n += 1;
        format!("{}、主要指标", numeral(n - 1))
    });
    let author = s
        .author
        .iter()
        .map(|a| {
            n += 1;
            (format!("{}、{a}", numeral(n - 1)), a)
        })
        .collect();
    (figures, author)
}

/// The document's blocks: title, opening, numbered sections, key figures and charts, the
/// author's parts, and the signature lines.
pub fn blocks(s: &Summary) -> Vec<Block> {
    let mut out = vec![Block::Title(s.title.clone())];
    out.extend(s.opening.iter().map(|t| Block::Text(t.clone())));
    for (heading, text) in outline(s) {
        out.push(if heading {
            Block::Heading(text)
        } else {
            Block::Text(text)
        });
    }
    let (figures, author) = closing_headings(s);
    if let Some(h) = figures {
        out.push(Block::Heading(h));
        if !s.table.is_empty() {
            out.push(Block::Caption(format!("表1 {}主要指标", s.period_label)));
            out.push(Block::Table(
                ["指标", "本期", "上年同期", "同比"]
                    .map(String::from)
                    .to_vec(),
                s.table.iter().map(|r| r.to_vec()).collect(),
            ));
        }
        for c in &s.charts {
            out.push(Block::Chart(c.clone()));
        }
    }
    for (h, a) in author {
        out.push(Block::Heading(h));
        out.push(Block::Placeholder(format!(
            "【请在此填写{a}。这一部分由撰写人根据实际情况撰写，系统不会自动生成。】"
        )));
    }
    out.push(Block::Gap);
    out.push(Block::Right(s.place.clone()));
    out.push(Block::Right(shequ_domain::dates::format_cn(
        shequ_store::today(),
    )));
    out
}

/// The .docx of a summary in the official look.
pub fn docx(s: &Summary, actor: &Actor) -> Result<Vec<u8>, StoreError> {
    let meta = crate::export::meta_saying(actor, &s.title, "");
    docx::write_with(&blocks(s), &meta, Look::Official)
        .map_err(|e| StoreError::Output(format!("生成 Word 文件失败：{e}")))
}

/// The Markdown preview of a summary.
pub fn markdown(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", s.title);
    for t in &s.opening {
        let _ = writeln!(out, "{t}\n");
    }
    for (heading, text) in outline(s) {
        let _ = writeln!(out, "{}{text}\n", if heading { "## " } else { "" });
    }
    let (figures, author) = closing_headings(s);
    if let Some(h) = figures {
        let _ = writeln!(out, "## {h}\n");
        if !s.table.is_empty() {
            out.push_str("| 指标 | 本期 | 上年同期 | 同比 |\n|---|---|---|---|\n");
            for r in &s.table {
                let _ = writeln!(out, "| {} | {} | {} | {} |", r[0], r[1], r[2], r[3]);
            }
            out.push('\n');
        }
        for c in &s.charts {
            let values: Vec<String> = c
                .categories
                .iter()
                .zip(c.series.first().map(|s| s.1.as_slice()).unwrap_or(&[]))
                .map(|(k, v)| format!("{k} {}", number(*v)))
                .collect();
            let _ = writeln!(out, "（图：{}：{}）\n", c.title, values.join("，"));
        }
    }
    for (h, _) in author {
        let _ = writeln!(out, "## {h}\n\n（由撰写人填写）\n");
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_written_as_a_report_writes_them() {
        let c = |now: Amount, then: Amount| Compared {
            code: "x",
            name: "走访",
            unit: Unit::Times,
            amount: now,
            previous: None,
            year_ago: Change::between(&now, then),
        };
        assert_eq!(
            year_on_year(&c(Amount::count(120), Amount::count(100))).as_deref(),
            Some("比上年同期增长20%")
        );
        assert_eq!(
            year_on_year(&c(Amount::rate(90, 100), Amount::rate(80, 100))).as_deref(),
            Some("比上年同期提高10个百分点")
        );
        assert_eq!(
            year_on_year(&c(Amount::count(5), Amount::count(5))).as_deref(),
            Some("与上年同期持平")
        );
        assert_eq!(year_on_year(&c(Amount::count(5), Amount::count(0))), None);
    }
}
