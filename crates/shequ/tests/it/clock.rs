//! The one clock (`shequ_domain::clock`): the server started with `--pretend-now` lives at the
//! chosen time, so a lockout ends and a dispatched ticket turns red when that time comes; a
//! day's work falls on Beijing time's day whatever the machine's zone (`--time-zone` changes
//! it); and no module but the clock reads the current time itself.

use crate::support;

use std::path::Path;

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use support::{Api, PASSWORD, Server, sql_int};

fn login(base: &str, user: &str, password: &str) -> (u16, Value) {
    Api::anonymous(base).post(
        "/api/v1/session",
        json!({"username": user, "password": password}),
    )
}

fn ok_step(api: &Api, id: i64, action: &str, extra: Value) {
    let (s, v) = api.get(&format!("/api/v1/tickets/{id}"));
    assert_eq!(s, 200, "{v}");
    let mut body = json!({"action": action, "version": v["ticket"]["version"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = api.post(&format!("/api/v1/tickets/{id}/steps"), body);
    assert_eq!(s, 200, "{action}: {v}");
}

/// The overdue list of a grid as (id, supervision colour).
fn overdue(api: &Api, grid: i64) -> Vec<(i64, String)> {
    let (s, v) = api.get(&format!("/api/v1/nodes/{grid}/tickets?overdue=true"));
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().unwrap(),
                t["supervision"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn later(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[test]
fn at_a_pretended_later_now_a_lockout_ends_and_a_ticket_turns_red() {
    let srv = Server::start(300);
    let grid = sql_int(
        &srv.db,
        "SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'wangge'",
    );
    let room = sql_int(
        &srv.db,
        &format!(
            "SELECT r.id FROM org_nodes r JOIN org_nodes g ON g.id = {grid} WHERE r.kind = 'room' AND r.path > g.path AND r.path < g.path || 'z' ORDER BY r.id LIMIT 1"
        ),
    );
    let worker = srv.api("wangge");
    let head = srv.api("shuji");
    let (s, v) = worker.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0201", "title": "消防通道被占",
               "description": "居民反映", "source": "resident",
               "reporter_name": "陈阿姨", "reporter_phone": "13912344321"}),
    );
    assert_eq!(s, 201, "{v}");
    let ticket = v["id"].as_i64().unwrap();
    ok_step(&head, ticket, "accept", json!({}));
    ok_step(
        &head,
        ticket,
        "dispatch",
        json!({"assignee_name": "社区网格员"}),
    );
    assert!(
        !overdue(&head, grid).iter().any(|(id, _)| *id == ticket),
        "just dispatched, not overdue"
    );

    // Five wrong passwords lock the login for 15 minutes (the default policy).
    for _ in 0..5 {
        assert_eq!(login(&srv.base, "wangge", "Wrong-pass-1").0, 403);
    }
    assert_eq!(login(&srv.base, "wangge", PASSWORD).0, 403, "locked");
    let db = srv.stop();

    // Ten minutes on: still locked.
    let srv = Server::serve_with(db, &["--pretend-now", &later(Duration::minutes(10))]);
    assert_eq!(
        login(&srv.base, "wangge", PASSWORD).0,
        403,
        "still locked ten minutes on"
    );
    let db = srv.stop();

    // Four months on: the lock has run out and the ticket's time limit is long past.
    let srv = Server::serve_with(db, &["--pretend-now", &later(Duration::days(120))]);
    assert_eq!(
        login(&srv.base, "wangge", PASSWORD).0,
        200,
        "the lock ends by itself"
    );
    let head = srv.api("shuji");
    assert!(
        overdue(&head, grid).contains(&(ticket, "red".to_string())),
        "four months after dispatch the ticket is red: {:?}",
        overdue(&head, grid)
    );
}

/// A visit entered at 01:30 Beijing time is that day's visit, though the machine (UTC here)
/// still says the day before; a deployment told `--time-zone UTC` counts it on the UTC day. A
/// zone that isn't one is refused at start-up in Chinese.
#[test]
fn a_days_work_falls_on_beijings_day_whatever_the_machines_zone() {
    let srv = Server::start(20);
    let grid = support::grid_of_wangge(&srv);
    let (person, _) = support::first_resident(&srv, grid);
    let db = srv.stop();
    // Yesterday 17:30 UTC is today 01:30 in Beijing.
    let utc_day = Utc::now().date_naive() - Duration::days(1);
    let at = format!("{utc_day}T17:30:00Z");
    let beijing_day = utc_day + Duration::days(1);
    let visit_day = |srv: &Server| {
        let (s, v) = srv.api("wangge").post(
            "/api/v1/visits",
            json!({"person_id": person, "kind": "电话"}),
        );
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (ok, out) = srv
            .db
            .sql(&format!("SELECT visited_on FROM visits WHERE id = {id}"));
        assert!(ok, "{out}");
        out.trim().to_string()
    };
    let srv = Server::serve_with(db, &["--pretend-now", &at]);
    assert_eq!(visit_day(&srv), beijing_day.to_string(), "Beijing's day");
    let db = srv.stop();
    let srv = Server::serve_with(db, &["--pretend-now", &at, "--time-zone", "UTC"]);
    assert_eq!(
        visit_day(&srv),
        utc_day.to_string(),
        "the UTC day when told so"
    );
    let db = srv.stop();

    let (ok, _, err) = support::run(&["migrate", "--db", &db.url, "--time-zone", "Europe/Berlin"]);
    assert!(!ok);
    assert!(
        err.contains("--time-zone") && err.contains("Asia/Shanghai"),
        "{err}"
    );
}

#[test]
fn a_pretended_now_that_is_not_rfc_3339_is_refused_in_chinese() {
    let db = support::TestDb::new();
    let (ok, out, err) = support::run(&["migrate", "--db", &db.url, "--pretend-now", "明天"]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("--pretend-now") && err.contains("RFC 3339"),
        "{err}"
    );
}

/// Reading the time anywhere but `shequ_domain::clock` would make that place untestable at a
/// chosen now; `Instant` (measuring how long something took) is fine.
#[test]
fn only_the_clock_module_reads_the_current_time() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let clock = crates.join("domain/src/clock.rs");
    let mut offenders = Vec::new();
    let mut stack: Vec<_> = std::fs::read_dir(crates)
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    assert!(stack.len() >= 6, "every crate's src is scanned: {stack:?}");
    let mut scanned = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path != clock {
                scanned += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    if [
                        "Utc::now",
                        "Local::now",
                        // Local days are the deployment's (`clock::zone`), not the server's.
                        "chrono::Local",
                        "&Local",
                        "SystemTime::now",
                        "UNIX_EPOCH.elapsed",
                    ]
                    .iter()
                    .any(|p| line.contains(p))
                    {
                        offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(scanned > 50, "only {scanned} files scanned");
    assert!(
        offenders.is_empty(),
        "read the time through shequ_domain::clock:\n{}",
        offenders.join("\n")
    );
}
