//! Logging in: lockout after repeated wrong passwords, one answer for every failure, password
//! rules, and disabling a user ending their sessions at once.

use crate::support;

use std::io::Write;
use std::process::Stdio;

use serde_json::json;
use support::{Api, PASSWORD, Server, shequ};

fn login(base: &str, user: &str, password: &str) -> (u16, serde_json::Value) {
    Api::anonymous(base).post(
        "/api/v1/session",
        json!({"username": user, "password": password}),
    )
}

#[test]
fn five_wrong_passwords_lock_the_account_with_the_same_answer() {
    let srv = Server::start(300);
    let (_, unknown) = login(&srv.base, "nobody", "Wrong-pass-1");
    for _ in 0..5 {
        let (s, v) = login(&srv.base, "wangge", "Wrong-pass-1");
        assert_eq!(s, 403);
        assert_eq!(v["error"]["message"], unknown["error"]["message"]);
    }
    // Locked: even the right password is refused, with the same words.
    let (s, v) = login(&srv.base, "wangge", PASSWORD);
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["message"], unknown["error"]["message"]);
    // Others are not affected.
    assert_eq!(login(&srv.base, "shuji", PASSWORD).0, 200);
    let (ok, rows) = srv.db.sql("SELECT action || '|' || COALESCE(username, '') FROM audit_log WHERE action IN ('login', 'lockout') AND outcome = '失败' ORDER BY seq");
    assert!(ok, "{rows}");
    assert_eq!(
        rows.lines().filter(|l| *l == "lockout|wangge").count(),
        1,
        "{rows}"
    );
    assert_eq!(
        rows.lines().filter(|l| *l == "login|wangge").count(),
        5,
        "four wrong, one while locked: {rows}"
    );
    assert!(rows.lines().any(|l| l == "login|nobody"));
    // An administrator lifts the lock by enabling the user again.
    let (ok, out, err) = support::run(&[
        "user",
        "enable",
        "--db",
        &srv.db.url,
        "--username",
        "wangge",
    ]);
    assert!(ok, "{out}{err}");
    assert_eq!(login(&srv.base, "wangge", PASSWORD).0, 200);
}

#[test]
fn disabling_a_user_ends_their_sessions_at_once() {
    let srv = Server::start(300);
    let api = srv.api("wangge");
    assert_eq!(api.get("/api/v1/me").0, 200);
    let (ok, out, err) = support::run(&[
        "user",
        "disable",
        "--db",
        &srv.db.url,
        "--username",
        "wangge",
    ]);
    assert!(ok, "{out}{err}");
    assert_eq!(
        api.get("/api/v1/me").0,
        401,
        "the old session no longer works"
    );
    assert_eq!(login(&srv.base, "wangge", PASSWORD).0, 403);
}

#[test]
fn weak_passwords_are_refused_naming_the_rule() {
    let srv = Server::start(300);
    for (password, ok) in [
        ("short1A!", false),
        ("alllowercase", false),
        ("lowercase123", false),
        ("Lower-case-ok", true),
    ] {
        let mut child = shequ()
            .args([
                "user",
                "add",
                "--db",
                &srv.db.url,
                "--username",
                &format!("u{}", password.len()),
                "--name",
                "测试",
                "--role",
                "grid_worker",
                "--area",
                "1",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), ok, "{password}: {err}");
        if !ok {
            assert!(err.contains("密码") && err.contains("三类"), "{err}");
        }
    }
}

/// A session's last-seen time moves on at most once a minute (a page view isn't a write), and a
/// session idle past the limit ends. The server answers most requests from reads alone, on the
/// thread that received them, and hands the touch and the ending to a database worker: each
/// of the three cases is checked over HTTP against the stored row.
#[test]
fn a_session_is_touched_at_most_once_a_minute_and_ends_when_idle() {
    let srv = Server::start(300);
    let api = srv.api("wangge");
    assert_eq!(api.get("/api/v1/me").0, 200);
    let mine = "user_id = (SELECT id FROM users WHERE username = 'wangge')";
    let seen = |ago: chrono::Duration| {
        let at = (chrono::Utc::now() - ago).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (ok, out) = srv.db.sql(&format!(
            "UPDATE sessions SET last_seen_at = '{at}' WHERE {mine}"
        ));
        assert!(ok, "{out}");
        at
    };
    let rows_seen_at = |at: &str| {
        support::sql_int(
            &srv.db,
            &format!("SELECT count(*) FROM sessions WHERE {mine} AND last_seen_at = '{at}'"),
        )
    };
    let sessions = support::sql_int(
        &srv.db,
        &format!("SELECT count(*) FROM sessions WHERE {mine}"),
    );
    assert!(sessions >= 1);

    let recent = seen(chrono::Duration::seconds(10));
    assert_eq!(api.get("/api/v1/me").0, 200);
    assert_eq!(
        rows_seen_at(&recent),
        sessions,
        "seen 10 s ago: not written"
    );

    let earlier = seen(chrono::Duration::minutes(2));
    assert_eq!(api.get("/api/v1/me").0, 200);
    assert_eq!(
        rows_seen_at(&earlier),
        sessions - 1,
        "seen 2 minutes ago: this session's last-seen time moved on"
    );

    seen(chrono::Duration::minutes(31));
    assert_eq!(api.get("/api/v1/me").0, 401, "idle past 30 minutes");
    assert_eq!(
        support::sql_int(
            &srv.db,
            &format!("SELECT count(*) FROM sessions WHERE {mine}")
        ),
        sessions - 1,
        "the idle session's row is gone"
    );
}
