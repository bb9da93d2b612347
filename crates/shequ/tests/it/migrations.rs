//! Migrations as a deployment meets them: the table read from the folder, a checksum kept per
//! applied migration, an edited or unknown migration refused before anything starts, and
//! servers starting at once migrating one after the other (SQLite or PostgreSQL, per
//! SHEQU_TEST_BACKEND).

use crate::support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::{TestDb, run, shequ};

/// (version, name, checksum) of every migration in the folder, computed as documented in
/// `migrate.rs`: SHA-256 of a `sha256sum`-style list of the migration's files.
fn expected() -> Vec<(i64, String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations");
    let mut groups: BTreeMap<i64, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if file.starts_with('.') {
            continue;
        }
        let version: i64 = file[..4].parse().unwrap();
        groups
            .entry(version)
            .or_default()
            .push((file, std::fs::read(&path).unwrap()));
    }
    groups
        .into_iter()
        .map(|(version, mut files)| {
            files.sort();
            let common = files
                .iter()
                .map(|(f, _)| f)
                .find(|f| f.matches('.').count() == 1)
                .unwrap();
            let name = common[5..common.len() - 4].to_string();
            let list: String = files
                .iter()
                .map(|(f, bytes)| format!("{:x}  {f}\n", Sha256::digest(bytes)))
                .collect();
            (version, name, format!("{:x}", Sha256::digest(list)))
        })
        .collect()
}

/// What `schema_migrations` holds, as (version, name, checksum or "NULL").
fn recorded(db: &TestDb) -> Vec<(i64, String, String)> {
    let (ok, out) = db.sql(
        "SELECT version, name, coalesce(checksum, 'NULL') FROM schema_migrations ORDER BY version",
    );
    assert!(ok, "{out}");
    out.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('|').collect();
            assert_eq!(cols.len(), 3, "{l}");
            (cols[0].parse().unwrap(), cols[1].into(), cols[2].into())
        })
        .collect()
}

fn migrate(db: &TestDb) -> (bool, String) {
    let (ok, out, err) = run(&["migrate", "--db", &db.url]);
    (ok, format!("{out}{err}"))
}

/// `shequ serve` on this database: it must exit by itself (refusing), within a minute.
fn serve_refused(db: &TestDb) -> String {
    let mut child = shequ()
        .args(["serve", "--db", &db.url, "--listen", "127.0.0.1:0"])
        .env("SHEQU_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("serve started on a database it should have refused");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "serve exited with success");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_fresh_database_records_a_checksum_for_every_migration_file() {
    let db = TestDb::new();
    let (ok, out) = migrate(&db);
    assert!(ok, "{out}");
    let want = expected();
    assert!(
        want.len() >= 20,
        "the folder holds the migrations: {want:?}"
    );
    assert!(
        want.iter().all(|(v, _, _)| *v != 19),
        "0019 is a gap in the numbering, and stays one"
    );
    assert_eq!(recorded(&db), want);
    // A second run finds everything applied and unchanged.
    let (ok, out) = migrate(&db);
    assert!(ok, "{out}");
    assert_eq!(recorded(&db), want);
}

#[test]
fn a_database_from_before_checksums_gets_them_on_first_start() {
    let db = TestDb::new();
    assert!(migrate(&db).0);
    // The table as every database had it before checksums were kept.
    let (ok, out) = db.sql("ALTER TABLE schema_migrations DROP COLUMN checksum");
    assert!(ok, "{out}");
    let (ok, out) = migrate(&db);
    assert!(ok, "{out}");
    assert_eq!(recorded(&db), expected());
}

#[test]
fn an_edited_migration_is_refused_and_nothing_changes() {
    let db = TestDb::new();
    assert!(migrate(&db).0);
    // 0005's files as they would hash after an edit; 0003 as applied before checksums were
    // kept (it would be filled in); 0021 as if still to apply (it would be applied).
    let edited = format!("{:x}", Sha256::digest(b"-- edited after release"));
    let (ok, out) = db.sql(&format!(
        "UPDATE schema_migrations SET checksum = '{edited}' WHERE version = 5;
         UPDATE schema_migrations SET checksum = NULL WHERE version = 3;
         DELETE FROM schema_migrations WHERE version = 21;"
    ));
    assert!(ok, "{out}");
    let before = recorded(&db);
    assert_eq!(before.len(), expected().len() - 1);

    let (ok, out) = migrate(&db);
    assert!(!ok, "migrate accepted an edited migration: {out}");
    for words in [
        "0005_sealed.sql",
        "校验和不同",
        "恢复为发布时的内容",
        "新编号的迁移文件",
    ] {
        assert!(out.contains(words), "{words} missing from: {out}");
    }
    assert_eq!(recorded(&db), before, "a refused run changes nothing");

    let out = serve_refused(&db);
    assert!(
        out.contains("0005_sealed.sql") && out.contains("新编号的迁移文件"),
        "{out}"
    );
    assert_eq!(recorded(&db), before, "a refused start changes nothing");
}

#[test]
fn a_database_migrated_by_a_newer_binary_is_refused() {
    let db = TestDb::new();
    assert!(migrate(&db).0);
    let (ok, out) = db.sql(
        "INSERT INTO schema_migrations (version, name, applied_at, checksum)
         VALUES (9999, 'from_the_future', '2031-01-01T00:00:00+00:00', 'abc')",
    );
    assert!(ok, "{out}");
    let before = recorded(&db);

    let (ok, out) = migrate(&db);
    assert!(!ok, "migrate accepted an unknown migration: {out}");
    assert!(
        out.contains("9999_from_the_future") && out.contains("更新版本"),
        "{out}"
    );
    let out = serve_refused(&db);
    assert!(out.contains("9999_from_the_future"), "{out}");
    assert_eq!(recorded(&db), before);
}

#[test]
fn servers_starting_at_once_apply_each_migration_once() {
    let db = TestDb::new();
    let children: Vec<_> = (0..4)
        .map(|_| {
            shequ()
                .args(["migrate", "--db", &db.url])
                .env("SHEQU_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent migrate failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(recorded(&db), expected());
}

#[test]
fn of_runs_started_at_once_one_applies_everything_and_the_others_nothing() {
    let db = TestDb::new();
    let url = shequ_store::DbUrl::parse(&db.url).unwrap();
    let runners = 6;
    let barrier = Arc::new(Barrier::new(runners));
    let threads: Vec<_> = (0..runners)
        .map(|_| {
            let (url, barrier) = (url.clone(), barrier.clone());
            std::thread::spawn(move || {
                // Every runner reaches the barrier, opened or not: a failed open must fail the
                // test, not leave the others waiting for it for ever.
                let conn = shequ_store::Conn::open(&url);
                barrier.wait();
                let mut conn = conn.unwrap();
                shequ_store::db::migrate::run(&mut conn).unwrap()
            })
        })
        .collect();
    let mut runs: Vec<Vec<i64>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    runs.sort_by_key(Vec::len);
    let all: Vec<i64> = expected().into_iter().map(|(v, _, _)| v).collect();
    assert_eq!(runs.pop().unwrap(), all);
    assert!(runs.iter().all(Vec::is_empty), "applied twice: {runs:?}");
    assert_eq!(recorded(&db), expected());
}
