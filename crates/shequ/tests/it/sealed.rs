//! Encryption at rest: after loading demo data and registering people through the API, no ID
//! number or phone is readable in the SQLite file, its WAL, a backup, a PostgreSQL dump or the
//! server's log; searches by the whole number and by its last 4–6 characters still work; the
//! key can be rotated; a missing or foreign key file is refused, never silently regenerated.

use crate::support;

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use serde_json::{Value, json};
use shequ_domain::registry::id_number::IdNumber;
use support::{Api, Backend, Server, TestDb, backend, grid_of_wangge, run, sql_int};

fn id_for(seq: u16) -> String {
    IdNumber::generate("110105", NaiveDate::from_ymd_opt(1961, 3, 14).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// Registers three people with known numbers in an occupied room of the grid worker's grid,
/// plus a landlord phone, a unit contact phone and a 社区矫正 tag; returns (ids, phones).
fn register_known(srv: &Server) -> (Vec<String>, Vec<String>, i64) {
    let api = srv.api("shuji");
    let grid = grid_of_wangge(srv);
    let room = sql_int(
        &srv.db,
        &format!(
            "SELECT n.id FROM org_nodes n JOIN org_nodes g ON g.id = {grid} WHERE n.kind = 'room' AND n.path > g.path AND n.path < g.path || 'z' ORDER BY n.id LIMIT 1"
        ),
    );
    let ids: Vec<String> = (0..3).map(|i| id_for(700 + i)).collect();
    let phones = vec![
        "13912340071".to_string(),
        "15800450072".to_string(),
        "18667890073".to_string(),
    ];
    let mut first = 0;
    for (i, (id, phone)) in ids.iter().zip(&phones).enumerate() {
        let (s, v) = api.post(
            "/api/v1/persons",
            json!({"person": {"name": format!("密文测试{i}"), "id_number": id, "phone": phone},
                   "residence": {"room_id": room}}),
        );
        assert_eq!(s, 201, "{v}");
        if i == 0 {
            first = v["id"].as_i64().unwrap();
        }
    }
    let (s, v) = api.send(
        "PUT",
        &format!("/api/v1/rooms/{room}/housing"),
        json!({"usage": "出租", "landlord_name": "房东甲", "landlord_phone": "13700990074"}),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = api.post(
        "/api/v1/units",
        json!({"node_id": grid, "name": "密文测试商铺", "kind": "商铺", "contact_phone": "13600880075"}),
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post(
        &format!("/api/v1/persons/{first}/tags"),
        json!({"kind": "correction", "values": {"category": "社区矫正", "released_on": "2025-05-06", "situation": "本地务工"}}),
    );
    assert_eq!(s, 201, "{v}");
    let mut all_phones = phones;
    all_phones.push("13700990074".into());
    all_phones.push("13600880075".into());
    (ids, all_phones, first)
}

/// Every run of 18 characters [0-9X] standing alone (not inside a longer word) that is a valid
/// ID number.
fn id_numbers_in(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let is_word = |b: u8| b.is_ascii_alphanumeric();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !is_word(bytes[i - 1])) {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'X') {
                j += 1;
            }
            if j - i == 18 && (j == bytes.len() || !is_word(bytes[j])) {
                let s = String::from_utf8_lossy(&bytes[i..j]).to_string();
                if IdNumber::parse(&s).is_ok() {
                    found.push(s);
                }
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

fn assert_no_plaintext(what: &str, bytes: &[u8], ids: &[String], phones: &[String]) {
    assert!(!bytes.is_empty(), "{what} is empty");
    let text = String::from_utf8_lossy(bytes);
    for v in ids.iter().chain(phones) {
        assert!(
            !text.contains(v.as_str()),
            "{what} contains {v} in plaintext"
        );
    }
    let loose = id_numbers_in(bytes);
    assert!(loose.is_empty(), "{what} contains ID numbers: {loose:?}");
}

#[test]
fn no_plaintext_id_or_phone_in_the_database_its_backups_or_the_logs() {
    let db = TestDb::new();
    let (ok, out, err) = run(&[
        "demo",
        "--db",
        &db.url,
        "--people",
        "400",
        "--password",
        support::PASSWORD,
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        err.contains("密钥文件") && err.contains("备份"),
        "first start warns about the key: {err}"
    );
    assert!(db.key_file().exists());
    let log = std::env::temp_dir().join(format!("shequ-sealed-{}.log", std::process::id()));
    let srv = Server::serve_logging(db, Some(&log));
    let (ids, phones, person) = register_known(&srv);

    // The numbers still work: exact search, last 4–6 characters, phone and its tail.
    let api = srv.api("shuji");
    for q in [
        ids[1].clone(),
        ids[1][12..].to_string(),
        ids[1][13..].to_string(),
        ids[1][14..].to_string(),
        phones[1].clone(),
        phones[1][7..].to_string(),
    ] {
        let (s, hits) = api.get(&format!("/api/v1/persons?q={q}"));
        assert_eq!(s, 200, "{hits}");
        let names: Vec<&str> = hits
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|h| h["name"].as_str())
            .collect();
        assert!(names.contains(&"密文测试1"), "search {q}: {hits}");
    }
    // The tag's own fields come back whole.
    let (s, p) = api.get(&format!("/api/v1/persons/{person}"));
    assert_eq!(s, 200, "{p}");
    let tags = p["tags"].as_array().unwrap();
    assert!(
        tags.iter().any(|t| t["details"]["situation"] == "本地务工"),
        "{p}"
    );
    // …and sit sealed in the table.
    let (ok, details) = srv
        .db
        .sql("SELECT details FROM tags WHERE kind = 'correction'");
    assert!(ok);
    assert!(
        !details.contains("本地务工") && details.contains("v1."),
        "{details}"
    );

    match backend() {
        Backend::Sqlite => {
            let file = srv.db.sqlite_file().unwrap();
            let main = std::fs::read(&file).unwrap();
            assert_no_plaintext("the SQLite file", &main, &ids, &phones);
            let wal = Path::new(&format!("{}-wal", file.display())).to_path_buf();
            let wal = std::fs::read(wal).unwrap_or_default();
            if !wal.is_empty() {
                assert_no_plaintext("the WAL", &wal, &ids, &phones);
            }
            let backup = file.with_file_name("backup.db");
            let (ok, out, err) = run(&[
                "backup",
                "--db",
                &srv.db.url,
                "--to",
                backup.to_str().unwrap(),
            ]);
            assert!(ok, "{out}{err}");
            assert_no_plaintext(
                "the backup",
                &std::fs::read(&backup).unwrap(),
                &ids,
                &phones,
            );
            // A backup is never written over.
            let (ok, _, err) = run(&[
                "backup",
                "--db",
                &srv.db.url,
                "--to",
                backup.to_str().unwrap(),
            ]);
            assert!(!ok && err.contains("已存在"), "{err}");
        }
        Backend::Postgres => {
            let dump = Command::new("pg_dump").arg(&srv.db.url).output().unwrap();
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            assert_no_plaintext("the PostgreSQL dump", &dump.stdout, &ids, &phones);
            assert!(String::from_utf8_lossy(&dump.stdout).contains("密文测试1"));
        }
    }
    drop(api);
    let base = srv.base.clone();
    drop(srv);
    let logged = std::fs::read(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    // The log is not empty at the trace level, so this checks something.
    assert!(logged.len() > 100, "log of {base}: {} bytes", logged.len());
    assert_no_plaintext("the server log", &logged, &ids, &phones);
}

fn token_of(db: &TestDb, person: i64) -> String {
    let (ok, out) = db.sql(&format!(
        "SELECT id_sealed FROM persons WHERE id = {person}"
    ));
    assert!(ok, "{out}");
    out.trim().to_string()
}

#[test]
fn rotating_the_key_re_seals_everything_and_search_keeps_working() {
    let srv = Server::start(300);
    let (ids, _, person) = register_known(&srv);
    let before = token_of(&srv.db, person);
    assert!(before.starts_with("v1."), "{before}");
    let key_file = srv.db.key_file();
    let url = srv.db.url.clone();
    // The server keeps running on the old key in memory; rotate with it stopped, as an
    // operator would.
    let db = srv.stop();
    for (provider, version) in [("aes-256-gcm", "v2."), ("sm4-gcm", "v3.")] {
        let (ok, out, err) = run(&["rotate-key", "--db", &url, "--provider", provider]);
        assert!(ok, "{out}{err}");
        assert!(out.contains("重新加密"), "{out}");
        let after = token_of(&db, person);
        assert!(after.starts_with(version), "{after}");
        let keys = std::fs::read_to_string(&key_file).unwrap();
        let key_lines: Vec<&str> = keys.lines().filter(|l| l.starts_with("key ")).collect();
        assert_eq!(
            key_lines.len(),
            1,
            "only the new key is kept: {key_lines:?}"
        );
        assert!(key_lines[0].contains(provider), "{key_lines:?}");
    }
    let srv = Server::serve(db);
    let api: Api = srv.api("shuji");
    let (s, hits) = api.get(&format!("/api/v1/persons?q={}", &ids[2][13..]));
    assert_eq!(s, 200);
    assert!(
        hits.as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "密文测试2"),
        "{hits}"
    );
    let (s, hits) = api.get(&format!("/api/v1/persons?q={}", ids[0]));
    assert_eq!(s, 200);
    let found: Vec<Value> = hits.as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{hits}");
    assert_eq!(found[0]["person_id"], person);
}

#[test]
fn a_missing_or_foreign_key_file_is_refused_not_regenerated() {
    let srv = Server::start(200);
    let key_file = srv.db.key_file();
    let url = srv.db.url.clone();
    let db = srv.stop();
    let aside = key_file.with_extension("aside");
    std::fs::rename(&key_file, &aside).unwrap();
    let (ok, _, err) = run(&["migrate", "--db", &url]);
    assert!(!ok);
    assert!(
        err.contains("找不到密钥文件") && err.contains("备份"),
        "{err}"
    );
    assert!(!key_file.exists(), "no new key was made");

    // Another database's key does not open this one.
    let other = TestDb::new();
    let (ok, out, err) = run(&["migrate", "--db", &other.url]);
    assert!(ok, "{out}{err}");
    let (ok, _, err) = run(&[
        "migrate",
        "--db",
        &url,
        "--key-file",
        other.key_file().to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("不匹配"), "{err}");

    std::fs::rename(&aside, &key_file).unwrap();
    let (ok, out, err) = run(&["migrate", "--db", &url]);
    assert!(ok, "{out}{err}");
    drop(db);
}
