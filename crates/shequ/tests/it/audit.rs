//! The audit log: every change, login and refusal leaves a row; personal values inside are
//! masked; rows can't be changed through SQL; and `shequ audit verify` finds the first row
//! that an intruder with the database's own tools altered or deleted.

use crate::support;

use chrono::NaiveDate;
use serde_json::json;
use shequ_domain::registry::id_number::IdNumber;
use support::{Api, Backend, Server, backend, run};

fn verify(url: &str) -> (bool, String) {
    let (ok, out, err) = run(&["audit", "verify", "--db", url]);
    (ok, format!("{out}{err}"))
}

/// Makes the log append-only no more, as an intruder with full database rights could.
fn drop_guard(srv: &Server) {
    drop_guard_of(&srv.db);
}

fn drop_guard_of(db: &support::TestDb) {
    let sql = match backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;",
    };
    let (ok, out) = db.sql(sql);
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

/// One audit row as stored: its hashed fields, then prev_hash and hash.
struct Stored {
    seq: i64,
    fields: Vec<Option<String>>,
}

/// Every row from `from` on, read with the backend's own driver (as an intruder would).
fn read_rows(db: &support::TestDb, from: i64) -> Vec<Stored> {
    const SQL: &str = "SELECT seq, at, CAST(user_id AS TEXT), username, role, area, CAST(community_id AS TEXT), action, target, outcome, detail FROM audit_log WHERE seq >= $1 ORDER BY seq";
    match backend() {
        Backend::Sqlite => {
            let c = rusqlite::Connection::open(db.sqlite_file().unwrap()).unwrap();
            let mut st = c.prepare(&SQL.replace("$1", "?1")).unwrap();
            st.query_map([from], |r| {
                Ok(Stored {
                    seq: r.get(0)?,
                    fields: (1..11)
                        .map(|i| r.get::<_, Option<String>>(i))
                        .collect::<Result<_, _>>()?,
                })
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        }
        Backend::Postgres => {
            let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
            c.query(SQL, &[&from])
                .unwrap()
                .iter()
                .map(|r| Stored {
                    seq: r.get(0),
                    fields: (1..11).map(|i| r.get::<_, Option<String>>(i)).collect(),
                })
                .collect()
        }
    }
}

/// Plain SM3 over the previous hash and the row's fields, as the chain was computed before it
/// was keyed (the format is public: the source is).
fn sm3_of(prev: &str, row: &Stored) -> String {
    use sm3::Digest;
    let mut parts = vec![prev.to_string(), row.seq.to_string()];
    parts.extend(
        row.fields
            .iter()
            .map(|f| f.clone().unwrap_or_else(|| "\u{0}".into())),
    );
    sm3::Sm3::digest(parts.join("\u{1f}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Re-hashes the chain from `from` on with plain SM3 and rewinds the head to match, as someone
/// with the database's tools and the source code (but not the key file) can.
fn rehash_from(db: &support::TestDb, from: i64) {
    let (_, prev) = db.sql(&format!(
        "SELECT COALESCE((SELECT hash FROM audit_log WHERE seq = {}), '{}')",
        from - 1,
        "0".repeat(64)
    ));
    let mut prev = prev.trim().to_string();
    let mut sql = String::new();
    let rows = read_rows(db, from);
    for r in &rows {
        let hash = sm3_of(&prev, r);
        sql.push_str(&format!(
            "UPDATE audit_log SET prev_hash = {}, hash = {} WHERE seq = {};\n",
            quoted(&prev),
            quoted(&hash),
            r.seq
        ));
        prev = hash;
    }
    let last = rows.last().map_or(from - 1, |r| r.seq);
    sql.push_str(&format!(
        "UPDATE audit_head SET seq = {last}, hash = {} WHERE id = 1;",
        quoted(&prev)
    ));
    let (ok, out) = db.sql(&sql);
    assert!(ok, "{out}");
}

#[test]
fn rehashing_the_chain_after_an_edit_is_found_without_the_key() {
    let srv = Server::start(100);
    let api = srv.api("shuji");
    for _ in 0..3 {
        let _ = api.get("/api/v1/nodes/1");
    }
    let (ok, _) = verify(&srv.db.url);
    assert!(ok);
    // Row 3 rewritten and every hash from it on recomputed, head included: a plain SM3 chain
    // would verify now. The keyed one does not.
    drop_guard(&srv);
    let (ok, out) = srv
        .db
        .sql("UPDATE audit_log SET target = 'GET /api/v1/me' WHERE seq = 3");
    assert!(ok, "{out}");
    rehash_from(&srv.db, 3);
    let (ok, out) = verify(&srv.db.url);
    assert!(!ok, "a re-hashed chain must not verify: {out}");
    assert!(out.contains("第 3 条") && out.contains("修改"), "{out}");
    // Nor does pretending the chain was never keyed.
    let (ok, out) = srv.db.sql("DELETE FROM audit_keying");
    assert!(ok, "{out}");
    rehash_from(&srv.db, 1);
    let (ok, out) = verify(&srv.db.url);
    assert!(!ok, "{out}");
    assert!(out.contains("锚点"), "{out}");
}

#[test]
fn cutting_the_tail_and_rewinding_the_head_is_found_by_the_anchor() {
    let srv = Server::start(100);
    let api = srv.api("shuji");
    for _ in 0..4 {
        let _ = api.get("/api/v1/nodes/1");
    }
    let last = support::sql_int(&srv.db, "SELECT max(seq) FROM audit_log");
    let anchor = srv.db.key_file().with_extension("anchor");
    let text = std::fs::read_to_string(&anchor).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with(&format!("{last} "))),
        "the anchor holds the chain's end {last}: {text}"
    );
    // The last two rows deleted and the head set back to the row before them: the chain in the
    // database is whole again.
    drop_guard(&srv);
    let keep = last - 2;
    let (ok, out) = srv.db.sql(&format!(
        "DELETE FROM audit_log WHERE seq > {keep}; UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_log WHERE seq = {keep}) WHERE id = 1;"
    ));
    assert!(ok, "{out}");
    let (ok, out) = verify(&srv.db.url);
    assert!(!ok, "a cut tail must be found: {out}");
    assert!(
        out.contains(&format!("第 {} 条", keep + 1)) && out.contains("截去"),
        "{out}"
    );
}

#[test]
fn an_older_plain_chain_still_verifies_and_is_keyed_from_then_on() {
    let srv = Server::start(100);
    let api = srv.api("shuji");
    let _ = api.get("/api/v1/nodes/1");
    let db = srv.stop();
    // A database from before the key: its chain is plain SM3, nothing says it is keyed, and
    // there is no anchor yet.
    drop_guard_of(&db);
    let (ok, out) = db.sql("DELETE FROM audit_keying");
    assert!(ok, "{out}");
    rehash_from(&db, 1);
    let _ = std::fs::remove_file(db.key_file().with_extension("anchor"));
    let (ok, out) = verify(&db.url);
    assert!(ok, "{out}");
    let plain = {
        let (_, n) = db.sql("SELECT max(seq) FROM audit_log");
        n.trim().parse::<i64>().unwrap()
    };
    // The next start keys the chain from the next row on; the old rows still verify.
    let srv = Server::serve(db);
    let api = srv.api("shuji");
    let _ = api.get("/api/v1/nodes/1");
    let keyed_from = support::sql_int(&srv.db, "SELECT keyed_from FROM audit_keying");
    assert!(keyed_from > plain, "{keyed_from} > {plain}");
    let (ok, out) = verify(&srv.db.url);
    assert!(ok, "{out}");
}
