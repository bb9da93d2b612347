//! `shequ report`: a node's figures of a period from the indicator catalogue, as JSON for
//! scripts (every indicator with its value, the period before and the year before), or as the
//! work summary (工作总结) in the community's wording: a .docx to edit and print, or a Markdown
//! preview of the same text.

use anyhow::{Context, anyhow, bail};
use shequ_domain::figures::Period;
use shequ_ledgers::summary;
use shequ_store::indicators::catalogue;
use shequ_store::indicators::wording;
use shequ_store::{Actor, Conn};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// 每个指标的数值、上期和上年同期，供脚本使用
    Json,
    /// 工作总结的文字预览（Markdown）
    Md,
    /// 工作总结（Word 文档，需用 --out 指定文件）
    Docx,
}

/// The report of `node` (a name path or id; every root of the tree when None) for `period`.
pub fn run(
    conn: &mut Conn,
    node: Option<&str>,
    period: &str,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
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
    if format == Format::Json {
        let mut all = Vec::with_capacity(nodes.len());
        for id in nodes {
            all.push(
                catalogue::figures(conn, &actor, id, &period, &[])
                    .map_err(|e| anyhow!("{e}"))
                    .with_context(|| format!("统计节点 {id}"))?,
            );
        }
        let text = serde_json::to_string_pretty(&serde_json::json!({ "nodes": all }))? + "\n";
        return Ok(text.into_bytes());
    }
    let mut written = Vec::with_capacity(nodes.len());
    for id in nodes {
        let w = wording::of_node(conn, &actor, id).map_err(|e| anyhow!("{e}"))?;
        let g = summary::gather(conn, &actor, id, &period, &w)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("统计节点 {id}"))?;
        written.push(summary::compose(&w, &g));
    }
    Ok(match format {
        Format::Md => written
            .iter()
            .map(summary::markdown)
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes(),
        _ => {
            let Some(first) = written.first() else {
                bail!("没有可写的内容");
            };
            // Several roots: one document, one summary after another.
            let mut s = first.clone();
            for more in &written[1..] {
                s.sections.extend(
                    more.sections
                        .iter()
                        .map(|(h, items)| (format!("{}：{h}", more.place), items.clone())),
                );
            }
            summary::docx(&s, &actor).map_err(|e| anyhow!("{e}"))?
        }
    })
}

/// A worker's own summary (`--worker`): their records, their area's registry.
pub fn personal(
    conn: &mut Conn,
    username: &str,
    period: &str,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    let period = Period::parse(period).map_err(|e| anyhow!("--period：{e}"))?;
    let actor = Actor::load_by_username(conn, username).map_err(|e| anyhow!("--worker：{e}"))?;
    let w = wording::parse(wording::PERSONAL_DEFAULT).map_err(|e| anyhow!("{e}"))?;
    let g = summary::gather_personal(conn, &actor, &period, &w).map_err(|e| anyhow!("{e}"))?;
    let s = summary::compose(&w, &g);
    Ok(match format {
        Format::Json => bail!("--worker 只能生成 md 或 docx 格式的个人工作总结"),
        Format::Md => summary::markdown(&s).into_bytes(),
        Format::Docx => summary::docx(&s, &actor).map_err(|e| anyhow!("{e}"))?,
    })
}
