//! `shequ report`: a node's figures of a period from the indicator catalogue, as JSON for
//! scripts (every indicator with its value, the period before and the year before) or as a
//! Markdown preview of the work summary (sections by line of work, sentences with the figures
//! inline, lines with nothing recorded left out).

use std::fmt::Write as _;

use anyhow::{Context, anyhow, bail};
use shequ_domain::figures::{Amount, Change, Period, Unit};
use shequ_store::indicators::catalogue::{self, Compared, Figures};
use shequ_store::{Actor, Conn};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// 每个指标的数值、上期和上年同期，供脚本使用
    Json,
    /// 工作总结的文字预览（Markdown）
    Md,
}

/// The report of `node` (a name path or id; every root of the tree when None) for `period`.
pub fn run(
    conn: &mut Conn,
    node: Option<&str>,
    period: &str,
    format: Format,
) -> anyhow::Result<String> {
    let period = Period::parse(period).map_err(|e| anyhow!("--period：{e}"))?;
    let actor = Actor::figures_reader(conn).map_err(|e| anyhow!("{e}"))?;
    let nodes: Vec<i64> = match node {
        Some(path) => vec![
            shequ_store::imports::node_by_path(conn, path).map_err(|e| anyhow!("--node：{e}"))?,
        ],
        None => actor.nodes.iter().map(|n| n.id).collect(),
    };
    if nodes.is_empty() {
        bail!("数据库里还没有组织架构，没有可统计的内容");
    }
    let mut all = Vec::with_capacity(nodes.len());
    for id in nodes {
        all.push(
            catalogue::figures(conn, &actor, id, &period, &[])
                .map_err(|e| anyhow!("{e}"))
                .with_context(|| format!("统计节点 {id}"))?,
        );
    }
    Ok(match format {
        Format::Json => serde_json::to_string_pretty(&serde_json::json!({ "nodes": all }))? + "\n",
        Format::Md => all.iter().map(markdown).collect::<Vec<_>>().join("\n"),
    })
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn markdown(f: &Figures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}{}工作总结（预览）\n", f.node_name, f.label);
    let _ = writeln!(
        out,
        "统计期间：{} 至 {}；人口、重点人群等为截至 {} 的数字。\n",
        f.first_day, f.last_day, f.as_of
    );
    let mut section = 0;
    for line in catalogue::LINES {
        let here: Vec<&Compared> = line
            .indicators
            .iter()
            .filter_map(|i| f.figures.iter().find(|c| c.code == i.code))
            .filter(|c| recorded(&c.amount))
            .collect();
        if here.is_empty() {
            continue;
        }
        let numeral = NUMERALS.get(section).copied().unwrap_or("十");
        section += 1;
        let _ = writeln!(out, "## {numeral}、{}\n", line.name);
        for c in here {
            let _ = writeln!(
                out,
                "- {}：{}{}",
                c.name,
                shown(&c.amount, c.unit),
                year_ago(c)
            );
        }
        out.push('\n');
    }
    if section == 0 {
        out.push_str("本期没有可统计的记录。\n");
    }
    out
}

/// Whether a figure has anything behind it (a section of zeros is left out, not padded).
fn recorded(a: &Amount) -> bool {
    match *a {
        Amount::Count { value } => value != 0,
        Amount::Rate { denominator, .. } => denominator != 0,
        Amount::Mean { count, .. } => count != 0,
    }
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn shown(a: &Amount, unit: Unit) -> String {
    match *a {
        Amount::Count { value } => format!("{value}{}", unit.label()),
        Amount::Rate {
            numerator,
            denominator,
            percent,
        } => match percent {
            Some(p) => format!("{}%（{numerator}/{denominator}）", number(p)),
            None => "—".into(),
        },
        Amount::Mean { count, value, .. } => match value {
            Some(v) => format!("{}{}（{count}件的平均）", number(v), unit.label()),
            None => "—".into(),
        },
    }
}

/// "；上年同期 80%，提高 5 个百分点" and the like.
fn year_ago(c: &Compared) -> String {
    let Change {
        previous,
        difference,
        percent,
    } = c.year_ago;
    if !recorded(&previous) {
        return String::new();
    }
    let then = shown(&previous, c.unit);
    match (previous, difference) {
        (Amount::Rate { .. }, Some(d)) if d != 0.0 => format!(
            "；上年同期{then}，{}{}个百分点",
            if d > 0.0 { "提高" } else { "下降" },
            number(d.abs())
        ),
        (_, Some(d)) if d != 0.0 => {
            let pct = percent.map_or(String::new(), |p| format!("（{}%）", number(p.abs())));
            format!(
                "；上年同期{then}，{}{}{}{pct}",
                if d > 0.0 { "增加" } else { "减少" },
                number(d.abs()),
                if matches!(previous, Amount::Rate { .. }) {
                    ""
                } else {
                    c.unit.label()
                }
            )
        }
        _ => "；与上年同期持平".to_string(),
    }
}
