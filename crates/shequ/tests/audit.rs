//! The audit log: every change, login and refusal leaves a row; personal values inside are
//! masked; rows can't be changed through SQL; and `shequ audit verify` finds the first row
//! that an intruder with the database's own tools altered or deleted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::NaiveDate;
use serde_json::json;
use shequ_domain::id_number::IdNumber;
use support::{Api, Backend, Server, backend, run};

fn verify(url: &str) -> (bool, String) {
    let (ok, out, err) = run(&["audit", "verify", "--db", url]);
    (ok, format!("{out}{err}"))
}

/// Makes the log append-only no more, as an intruder with full database rights could.
fn drop_guard(srv: &Server) {
    let sql = match backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;",
    };
    let (ok, out) = srv.db.sql(sql);
    assert!(ok, "{out}");
}

#[test]
fn changes_logins_and_refusals_are_audited_masked_and_chained() {
    let srv = Server::start(300);
    let anon = Api::anonymous(&srv.base);
    let (s, _) = anon.post(
        "/api/v1/session",
        json!({"username": "wangge", "password": "not-the-password"}),
    );
    assert_eq!(s, 403);
    let api = srv.api("wangge");
    let (_, me) = api.get("/api/v1/me");
    let grid = me["scope"][0].as_i64().unwrap();
    let (_, buildings) = api.get(&format!("/api/v1/nodes/{grid}/children"));
    let b = buildings[0]["node"]["id"].as_i64().unwrap();
    let (_, units) = api.get(&format!("/api/v1/nodes/{b}/children"));
    let u = units[0]["node"]["id"].as_i64().unwrap();
    let (s, v) = api.post(
        "/api/v1/nodes",
        json!({"parent_id": u, "kind": "room", "name": "9901"}),
    );
    assert_eq!(s, 201, "{v}");
    let room = v["id"].as_i64().unwrap();
    let id =
        IdNumber::generate("110105", NaiveDate::from_ymd_opt(1966, 6, 6).unwrap(), 77).unwrap();
    let body = json!({"person": {"name": "审计甲", "id_number": id.as_str(), "phone": "13912340000"}, "residence": {"room_id": room}});
    let (s, v) = api.post("/api/v1/persons", body);
    assert_eq!(s, 201, "{v}");
    let pid = v["id"].as_i64().unwrap();
    let (_, p) = api.get(&format!("/api/v1/persons/{pid}"));
    let input = json!({"name": "审计甲", "id_number": id.as_str(), "phone": "13912349999"});
    let (s, _) = api.send(
        "PUT",
        &format!("/api/v1/persons/{pid}"),
        json!({"person": input, "version": p["person"]["version"]}),
    );
    assert_eq!(s, 200);
    // A refused request: the district node is outside a grid worker's area.
    let (s, _) = api.get("/api/v1/nodes/1");
    assert_eq!(s, 403);

    let (ok, rows) = srv.db.sql("SELECT action || '|' || outcome || '|' || COALESCE(username, '') || '|' || COALESCE(target, '') || '|' || COALESCE(detail, '') FROM audit_log ORDER BY seq");
    assert!(ok, "{rows}");
    for expected in [
        "login|失败|wangge",
        "login|成功|wangge",
        "node.created|成功|wangge|node:",
        "person.create|成功|wangge|person:",
        "person.update|成功|wangge|person:",
        "denied|拒绝|wangge|GET /api/v1/nodes/1",
        "demo.generate|成功|system",
        "user.create|成功|system",
    ] {
        assert!(
            rows.lines().any(|l| l.starts_with(expected)),
            "no audit row starting {expected:?} in:\n{rows}"
        );
    }
    // Personal values appear only masked.
    assert!(
        !rows.contains(id.as_str()),
        "a full ID number in the audit log"
    );
    assert!(
        !rows.contains("13912349999") && !rows.contains("13912340000"),
        "a full phone number in the audit log"
    );
    assert!(
        rows.contains("110105********") && rows.contains("139****9999"),
        "{rows}"
    );
    assert!(rows.contains("审*甲"), "names are masked too: {rows}");

    let (ok, out) = verify(&srv.db.url);
    assert!(ok, "{out}");
    assert!(out.contains("审计日志完整"), "{out}");
}

#[test]
fn the_log_refuses_edits_and_verify_finds_tampering() {
    let srv = Server::start(300);
    let api = srv.api("shuji");
    for _ in 0..3 {
        let _ = api.get("/api/v1/nodes/1"); // refused, audited
    }
    // Through SQL the log is append-only.
    let (ok, out) = srv
        .db
        .sql("UPDATE audit_log SET outcome = '成功' WHERE seq = 2");
    assert!(!ok, "an UPDATE of the audit log must fail: {out}");
    assert!(out.contains("只能追加"), "{out}");
    let (ok, _) = verify(&srv.db.url);
    assert!(ok);

    // An intruder drops the guard and rewrites row 3: verify names row 3.
    drop_guard(&srv);
    let (ok, out) = srv
        .db
        .sql("UPDATE audit_log SET target = 'GET /api/v1/me' WHERE seq = 3");
    assert!(ok, "{out}");
    let (ok, out) = verify(&srv.db.url);
    assert!(!ok, "tampering must be detected");
    assert!(out.contains("第 3 条") && out.contains("修改"), "{out}");
}

#[test]
fn verify_finds_a_deleted_row_and_a_cut_tail() {
    let srv = Server::start(300);
    let api = srv.api("shuji");
    for _ in 0..3 {
        let _ = api.get("/api/v1/nodes/1");
    }
    let (_, count) = srv.db.sql("SELECT count(*) FROM audit_log");
    let last: i64 = count.trim().parse().unwrap();
    drop_guard(&srv);
    let (ok, out) = srv
        .db
        .sql(&format!("DELETE FROM audit_log WHERE seq = {last}"));
    assert!(ok, "{out}");
    let (ok, out) = verify(&srv.db.url);
    assert!(!ok);
    assert!(
        out.contains(&format!("第 {last} 条")) && out.contains("缺失"),
        "{out}"
    );
    let (ok, out) = srv.db.sql("DELETE FROM audit_log WHERE seq = 2");
    assert!(ok, "{out}");
    let (ok, out) = verify(&srv.db.url);
    assert!(!ok);
    assert!(out.contains("第 2 条") && out.contains("缺失"), "{out}");
}
