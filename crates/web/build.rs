//! Front-end packages come from the npm registry, pinned by `assets/package-lock.json`, and are
//! built into the binary: `npm ci` runs here, into the build's own directory, whenever the
//! lockfile changes; the server then serves them itself (a deployment may have no network at
//! all). Only Chart.js, for the dashboard's charts.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the binary takes from the packages: (file under node_modules, name in OUT_DIR).
const FILES: &[(&str, &str)] = &[("chart.js/dist/chart.umd.min.js", "chart.umd.min.js")];

fn main() {
    println!("cargo:rerun-if-changed=assets/package.json");
    println!("cargo:rerun-if-changed=assets/package-lock.json");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let work = out.join("assets");
    if let Err(e) = install(&manifest.join("assets"), &work) {
        panic!(
            "前端依赖安装失败：{e}\n需要 Node.js 和 npm（Debian：apt-get install nodejs npm），并能访问 npm 仓库；\
             依赖版本由 crates/web/assets/package-lock.json 固定。"
        );
    }
    for (from, to) in FILES {
        let src = work.join("node_modules").join(from);
        if let Err(e) = std::fs::copy(&src, out.join(to)) {
            panic!(
                "{} 不存在（{e}）：package-lock.json 与 build.rs 的 FILES 不一致",
                src.display()
            );
        }
    }
}

/// `npm ci` into `work` from the lockfile in `assets`, unless done for this very lockfile.
fn install(assets: &Path, work: &Path) -> Result<(), String> {
    let lock = std::fs::read(assets.join("package-lock.json")).map_err(|e| e.to_string())?;
    let stamp = work.join("installed-lock.json");
    if std::fs::read(&stamp).is_ok_and(|done| done == lock)
        && FILES
            .iter()
            .all(|(f, _)| work.join("node_modules").join(f).exists())
    {
        return Ok(());
    }
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    for f in ["package.json", "package-lock.json"] {
        std::fs::copy(assets.join(f), work.join(f)).map_err(|e| format!("{f}: {e}"))?;
    }
    let status = Command::new("npm")
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ])
        .current_dir(work)
        .status()
        .map_err(|e| format!("无法运行 npm：{e}"))?;
    if !status.success() {
        return Err(format!("npm ci 失败（{status}）"));
    }
    std::fs::write(&stamp, lock).map_err(|e| e.to_string())
}
