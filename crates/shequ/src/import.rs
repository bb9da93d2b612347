//! `shequ import`: the same reading, checking and all-or-nothing commit as the upload page,
//! for a file on disk. Prints a readable summary, or with `--json` the counts and every refused
//! or warned row, for scripts.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, anyhow, bail};
use shequ_ledgers::importing::{self, Report};
use shequ_store::imports::{self, FileInfo, Kind as _, Progress};
use shequ_store::{Actor, Pool};

/// What the command was asked to do.
pub struct Request<'a> {
    pub file: &'a Path,
    /// "persons", "units", "rentals", "visits", or a special group's code ("dibao", "disability" …).
    pub kind: &'a str,
    /// A grid for persons; any community or grid for a special group.
    pub node: &'a str,
    pub as_user: &'a str,
    pub dry_run: bool,
    pub json: bool,
    pub accept_updates: bool,
    /// `--map "原列名=住址"`: columns of a persons ledger mapped by hand, as on the page.
    pub map: &'a [String],
}

/// A file read and compared with the registry, ready to commit.
enum Checked {
    Persons(imports::Plan),
    Other(Box<dyn shequ_ledgers::checked::Checked>),
}

pub fn run(pool: &Pool, req: &Request) -> anyhow::Result<()> {
    let file = req.file;
    let bytes = std::fs::read(file).with_context(|| format!("无法读取文件 {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut conn = pool.get().map_err(|e| anyhow!("{e}"))?;
    let actor = Actor::load_by_username(&mut conn, req.as_user).map_err(|e| anyhow!("{e}"))?;
    let node_id = imports::node_by_path(&mut conn, req.node).map_err(|e| anyhow!("{e}"))?;
    let community = shequ_store::registry::tree::get(&mut conn, &actor, node_id)
        .map_err(|e| anyhow!("{e}"))?
        .community_id
        .unwrap_or_default();
    let unreadable = |e: String| anyhow!("{}：{e}", file.display());
    if !req.map.is_empty() && req.kind != "persons" {
        bail!("--map 只用于实有人口台账（--kind persons）：其他台账按列名识别");
    }
    let overrides = req
        .map
        .iter()
        .map(|m| importing::parse_map(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("{e}"))?;
    let (checked, mut report, sha256, refused_on_reading) = if req.kind == "persons" {
        // A mapping corrected on the upload page for files with this header applies here too.
        let reading = importing::read_persons_mapped(
            &bytes,
            &name,
            &importing::remembered(pool, community),
            &overrides,
        )
        .map_err(unreadable)?;
        let rows = reading.rows.clone();
        let plan = imports::plan(&mut conn, &actor, node_id, rows).map_err(|e| anyhow!("{e}"))?;
        let report = importing::report(&reading, &plan, plan.counts());
        let refused = importing::rows_refused(&reading.rejected);
        (Checked::Persons(plan), report, reading.sha256, refused)
    } else {
        let other =
            shequ_ledgers::checked::check(&mut conn, &actor, node_id, req.kind, (&bytes, &name))
                .map_err(unreadable)?;
        let report = other.report();
        let refused = other.refused_on_reading();
        (
            Checked::Other(other),
            report.clone(),
            report.sha256,
            refused,
        )
    };
    if !req.dry_run {
        let json = req.json;
        let shown = |done: usize, total: usize| {
            if !json && total > 0 {
                eprint!("\r写入 {done}/{total} 行");
                let _ = std::io::stderr().flush();
            }
        };
        // Ctrl-C cancels: the commit stops at its next check and rolls back, so nothing of
        // the file is written; the process ends with the usual message instead of dying mid-way.
        let cancel: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        cancel_on_ctrl_c(cancel, json);
        // Each run is its own upload: running the same file again is compared afresh (and
        // finds nothing new); only a retried commit of one upload is a no-op.
        let key = format!(
            "cli:{}",
            shequ_store::access::users::random_token(16).map_err(|e| anyhow!("{e}"))?
        );
        let info = FileInfo {
            file_name: name.clone(),
            sha256,
            idempotency_key: key,
        };
        let progress = Progress {
            on_row: &shown,
            cancel,
        };
        let accept = |_| req.accept_updates;
        let outcome = match &checked {
            Checked::Persons(plan) => {
                imports::commit(&mut conn, &actor, plan, &accept, &info, &progress)
            }
            Checked::Other(other) => other.commit(&mut conn, &actor, &accept, &info, &progress),
        }
        .map_err(|e| {
            if cancel.load(std::sync::atomic::Ordering::Relaxed) {
                anyhow!("\n导入已取消，没有写入任何数据")
            } else {
                anyhow!("\n导入失败，没有写入任何数据：{e}")
            }
        })?;
        if !json {
            eprintln!();
        }
        if outcome.already_committed {
            eprintln!("这次上传此前已经导入过，没有重复写入。");
        }
        report.counts = outcome.counts;
        report.counts.rejected += refused_on_reading;
    }
    if req.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "dry_run": req.dry_run,
                "report": report,
            }))?
        );
    } else {
        print_summary(&report, req.dry_run);
    }
    if report.data_rows == 0 {
        bail!("文件里没有找到数据行");
    }
    Ok(())
}

/// Sets `cancel` when the user presses Ctrl-C (from a thread of its own: the import runs on
/// this one).
fn cancel_on_ctrl_c(cancel: &'static AtomicBool, quiet: bool) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
        else {
            return;
        };
        if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            if !quiet {
                eprint!("\n正在取消，已写入的部分将全部撤回…");
            }
        }
    });
}

fn print_summary(r: &Report, dry_run: bool) {
    let c = &r.counts;
    println!(
        "{}：{}（SHA-256 {}…）",
        if dry_run {
            "核对结果（未写入）"
        } else {
            "导入完成"
        },
        r.file_name,
        &r.sha256[..12.min(r.sha256.len())]
    );
    println!(
        "  数据行 {}：新增 {}，更新 {}，未变 {}，拒绝 {}{}，提示 {}",
        r.data_rows,
        c.new,
        c.updated,
        c.unchanged,
        c.rejected,
        if c.skipped > 0 {
            format!("，未采纳的更新 {}", c.skipped)
        } else {
            String::new()
        },
        r.warnings.len()
    );
    if !r.columns.is_empty() {
        println!("列的对应（不对时用 --map \"原列名=字段\" 指定）：");
        let mapped: Vec<String> = r
            .columns
            .iter()
            .filter_map(|c| Some(format!("{}列“{}”→{}", c.column, c.title, c.field?)))
            .collect();
        println!("  {}", mapped.join("；"));
        let unknown: Vec<String> = r
            .unrecognised()
            .map(|c| format!("{}列“{}”", c.column, c.title))
            .collect();
        if !unknown.is_empty() {
            println!("  未识别、不导入的列：{}", unknown.join("、"));
        }
    }
    if !r.rejected.is_empty() {
        println!("被拒绝的行：");
        for x in &r.rejected {
            println!(
                "  {} 第 {} 行 {}列（{}）“{}”：{}",
                x.sheet, x.row, x.column, x.title, x.value, x.reason
            );
        }
    }
    if !r.warnings.is_empty() {
        println!("提示：");
        for x in &r.warnings {
            println!(
                "  {} 第 {} 行 {}列（{}）“{}”：{}",
                x.sheet, x.row, x.column, x.title, x.value, x.reason
            );
        }
    }
    if !r.updates.is_empty() {
        println!(
            "与系统记录不同（{}）：",
            if dry_run { "核对" } else { "见上方计数" }
        );
        for u in &r.updates {
            let changes: Vec<String> = u
                .changes
                .iter()
                .map(|c| format!("{} {} → {}", c.field, c.before, c.after))
                .collect();
            println!(
                "  {} 第 {} 行 {}：{}",
                u.sheet,
                u.row,
                u.name,
                changes.join("；")
            );
        }
        if dry_run {
            println!("  （正式导入时加 --accept-updates 采纳这些改动，否则保持系统记录不变）");
        }
    }
}
