//! Generates the store's migration table from the `migrations/` folder, so adding a migration
//! is adding its file: see `build/scan.rs` for the rules a file name must follow.

#[path = "build/scan.rs"]
mod scan;

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=build/scan.rs");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(e) = generate() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn generate() -> Result<(), String> {
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").map_err(|e| format!("CARGO_MANIFEST_DIR: {e}"))?;
    let out = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    let dir = PathBuf::from(manifest).join("migrations");
    let mut files = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name();
        let name = name.to_str().ok_or_else(|| {
            format!(
                "migrations/{}: not a UTF-8 file name",
                name.to_string_lossy()
            )
        })?;
        if !entry.path().is_file() && !name.starts_with('.') {
            return Err(format!(
                "migrations/{name}: not a file; the folder holds only migrations"
            ));
        }
        files.push(name.to_string());
    }
    let found = scan::scan(&files)?;
    let dir = dir
        .to_str()
        .ok_or_else(|| format!("{}: not a UTF-8 path", dir.display()))?;
    let table = scan::render(&found, dir);
    let target = PathBuf::from(out).join("migrations.rs");
    std::fs::write(&target, table).map_err(|e| format!("{}: {e}", target.display()))
}
