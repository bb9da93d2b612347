//! Registration in one place, checked against the database: every sealed field
//! (`sealed::Field::ALL`, the list re-sealing is derived from) names a table and columns the
//! migrated schema has, and after `rotate-key` no column of any table still holds a value sealed
//! with the old key, so a sealed column left out of the derived list fails here.

use crate::support;

use serde_json::json;
use shequ_store::access::sealed::{Column, Field, Rows};
use support::{Backend, Server, TestDb, backend, run, sql_int};

/// Every column of every table that can hold text, as `table.column`.
fn text_columns(db: &TestDb) -> Vec<(String, String)> {
    let query = match backend() {
        Backend::Sqlite => {
            "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND upper(p.type) NOT LIKE '%BLOB%'
             ORDER BY 1"
        }
        Backend::Postgres => {
            "SELECT table_name || '.' || column_name FROM information_schema.columns
             WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character')
             ORDER BY 1"
        }
    };
    let (ok, out) = db.sql(query);
    assert!(ok, "{out}");
    out.lines()
        .filter_map(|l| l.trim().split_once('.'))
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect()
}

/// How many values of each column are tokens of key `version` (`v<version>.<base64>`).
fn tokens_by_column(db: &TestDb, columns: &[(String, String)], version: u32) -> Vec<(String, i64)> {
    let query = columns
        .iter()
        .map(|(t, c)| {
            format!(
                "SELECT '{t}.{c}', COUNT(*) FROM {t} WHERE CAST({c} AS TEXT) LIKE 'v{version}.%'"
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let (ok, out) = db.sql(&query);
    assert!(ok, "{out}");
    out.lines()
        .filter_map(|l| l.trim().split_once('|'))
        .map(|(name, n)| (name.to_string(), n.trim().parse().unwrap()))
        .collect()
}

/// The blind indexes of the first persons with an ID number and a phone, one line each.
fn indexes(db: &TestDb) -> String {
    let (ok, out) = db.sql(
        "SELECT id || ' ' || id_blind || ' ' || id_tail || ' ' || phone_blind || ' ' || phone_tail FROM persons
         WHERE id_blind IS NOT NULL AND phone_blind IS NOT NULL ORDER BY id LIMIT 20",
    );
    assert!(ok, "{out}");
    out
}

fn count_of(counts: &[(String, i64)], column: &Column) -> i64 {
    let name = format!("{}.{}", column.table, column.column);
    counts.iter().find(|(n, _)| *n == name).map_or_else(
        || panic!("{name} is not a text column of the schema"),
        |(_, n)| *n,
    )
}

/// A value in every sealed column that demo data leaves empty: a housing record's landlord, a
/// unit's contact, a resident's report with a phone, a mediation case with the parties' numbers,
/// a 社区矫正 tag, and an authenticator being bound.
fn fill_every_sealed_column(srv: &Server) {
    let api = srv.api("shuji");
    let grid = sql_int(
        &srv.db,
        "SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'wangge'",
    );
    let room = sql_int(
        &srv.db,
        &format!(
            "SELECT n.id FROM org_nodes n JOIN org_nodes g ON g.id = {grid} WHERE n.kind = 'room' AND n.path > g.path AND n.path < g.path || 'z' ORDER BY n.id LIMIT 1"
        ),
    );
    let person = sql_int(
        &srv.db,
        &format!(
            "SELECT p.id FROM persons p JOIN org_nodes g ON g.id = {grid} WHERE p.id_sealed IS NOT NULL AND p.phone IS NOT NULL AND p.area_path > g.path AND p.area_path < g.path || 'z' ORDER BY p.id LIMIT 1"
        ),
    );
    let (s, v) = api.send(
        "PUT",
        &format!("/api/v1/rooms/{room}/housing"),
        json!({"usage": "出租", "landlord_name": "房东甲", "landlord_phone": "13700990074"}),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = api.post(
        "/api/v1/units",
        json!({"node_id": grid, "name": "登记测试商铺", "kind": "商铺", "contact_phone": "13600880075"}),
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0102", "title": "楼道堆物",
               "description": "居民反映楼道堆放杂物", "source": "resident",
               "reporter_name": "陈阿姨", "reporter_phone": "13912344321"}),
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "邻里", "summary": "楼上漏水",
               "parties": [{"side": "applicant", "person_id": person},
                           {"side": "respondent", "name": "外来租户", "phone": "13500660076"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = api.post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "correction", "values": {"category": "社区矫正", "released_on": "2025-05-06", "situation": "本地务工"}}),
    );
    assert_eq!(s, 201, "{v}");
    let code = support::binding_code(&srv.db.url, "wangge");
    let (s, v) = srv
        .api("wangge")
        .post("/api/v1/me/totp", json!({"binding_code": code}));
    assert_eq!(s, 200, "{v}");
}

#[test]
fn every_sealed_field_is_in_the_schema_and_rotate_key_re_seals_every_one() {
    let srv = Server::start(200);
    fill_every_sealed_column(&srv);
    let columns = text_columns(&srv.db);
    assert!(columns.len() > 50, "only {} columns read", columns.len());
    let has = |table: &str, column: &str| columns.iter().any(|(t, c)| t == table && c == column);
    for field in Field::ALL {
        let col = field.column();
        assert!(
            has(col.table, col.column),
            "{field:?}: no column {}.{}",
            col.table,
            col.column
        );
        if let Some((blind, tail)) = col.indexes {
            assert!(
                has(col.table, blind),
                "{field:?}: no index column {}.{blind}",
                col.table
            );
            assert!(
                has(col.table, tail),
                "{field:?}: no index column {}.{tail}",
                col.table
            );
        }
        // The key is an integer column, so it is not among the text columns: ask for it.
        let (ok, out) = srv
            .db
            .sql(&format!("SELECT COUNT({}) FROM {}", col.key, col.table));
        assert!(ok, "{field:?}: key {}.{}: {out}", col.table, col.key);
    }

    // Every sealed field holds something to re-seal, so the rotation below is tested on each.
    let before = tokens_by_column(&srv.db, &columns, 1);
    for field in Field::ALL {
        assert!(
            count_of(&before, &field.column()) > 0,
            "{field:?} holds no sealed value"
        );
    }
    let tags_plain = sql_int(
        &srv.db,
        "SELECT COUNT(*) FROM tags WHERE details NOT LIKE 'v1.%'",
    );
    assert!(tags_plain > 0, "no plain tag details to leave alone");
    let blind_before = indexes(&srv.db);
    assert!(blind_before.lines().count() > 10, "{blind_before}");

    let url = srv.db.url.clone();
    let db = srv.stop();
    let (ok, out, err) = run(&["rotate-key", "--db", &url]);
    assert!(ok, "{out}{err}");

    // No column anywhere keeps a value of the old key: a sealed column missing from the list
    // re-sealing is derived from would.
    let after_old = tokens_by_column(&db, &columns, 1);
    let left: Vec<&(String, i64)> = after_old.iter().filter(|(_, n)| *n > 0).collect();
    assert!(left.is_empty(), "still sealed with the old key: {left:?}");
    let after = tokens_by_column(&db, &columns, 2);
    for field in Field::ALL {
        let col = field.column();
        assert_eq!(
            count_of(&after, &col),
            count_of(&before, &col),
            "{field:?}: every value re-sealed with the new key"
        );
        if col.rows == Rows::SealedTagKinds {
            assert_eq!(
                sql_int(
                    &db,
                    "SELECT COUNT(*) FROM tags WHERE details NOT LIKE 'v2.%'"
                ),
                tags_plain,
                "the plain tag details are left as they were"
            );
        }
    }
    // The blind indexes were recomputed with the new key: no person keeps an old one.
    let blind_after = indexes(&db);
    assert_eq!(blind_after.lines().count(), blind_before.lines().count());
    for (old, new) in blind_before.lines().zip(blind_after.lines()) {
        let (old, new): (Vec<&str>, Vec<&str>) =
            (old.split(' ').collect(), new.split(' ').collect());
        assert_eq!(old[0], new[0], "the same person");
        for i in 1..5 {
            assert_ne!(old[i], new[i], "person {}: an index left as it was", old[0]);
        }
    }
    let srv = Server::serve(db);
    let (s, v) = srv.api("shuji").get("/api/v1/me");
    assert_eq!(s, 200, "{v}");
}
