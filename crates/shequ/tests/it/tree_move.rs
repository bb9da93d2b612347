//! Moving a building to another grid carries every record placed in it: the old grid's worker
//! loses access to each and the new grid's worker gains it, over HTTP, on both databases. Two
//! guards read the schema itself: every column holding a path is one a move rewrites
//! (`tree::AREA_PATH_TABLES`), and every one compares in byte order (PostgreSQL `COLLATE "C"`),
//! which the prefix range scans of the scope checks need.

use crate::support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shequ_store::registry::tree::AREA_PATH_TABLES;
use support::{Backend, Server, TestDb, add_user, backend, grid_of_wangge, hazard_photos, sql_int};

/// Every column named `path` or `*_path` in the database: (table, column).
fn path_columns(db: &TestDb) -> Vec<(String, String)> {
    let query = match backend() {
        Backend::Sqlite => {
            "SELECT m.name || '|' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND (p.name = 'path' OR substr(p.name, -5) = '_path') ORDER BY 1"
        }
        Backend::Postgres => {
            "SELECT table_name || '|' || column_name FROM information_schema.columns
             WHERE table_schema = current_schema() AND (column_name = 'path' OR right(column_name, 5) = '_path')
             ORDER BY 1"
        }
    };
    let (ok, out) = db.sql(query);
    assert!(ok, "{out}");
    out.lines()
        .filter_map(|l| l.trim().split_once('|'))
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect()
}

#[test]
fn every_path_column_in_the_schema_is_rewritten_by_a_move() {
    let db = TestDb::new();
    let (ok, out, err) = support::run(&["migrate", "--db", &db.url]);
    assert!(ok, "{out}{err}");
    let columns = path_columns(&db);
    assert!(
        columns.iter().any(|(t, c)| t == "org_nodes" && c == "path"),
        "the listing finds the tree's own paths: {columns:?}"
    );
    let mut area_tables = BTreeSet::new();
    for (table, column) in &columns {
        match (table.as_str(), column.as_str()) {
            ("org_nodes", "path") => {}
            (t, "area_path") => {
                assert!(
                    AREA_PATH_TABLES.contains(&t),
                    "{t}.area_path is not in tree::AREA_PATH_TABLES: moving a node would leave its rows in the old place"
                );
                area_tables.insert(t.to_string());
            }
            (t, c) => panic!(
                "{t}.{c} holds a path the tree move does not know about: name it area_path and list {t} in tree::AREA_PATH_TABLES"
            ),
        }
    }
    let listed: BTreeSet<String> = AREA_PATH_TABLES.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        area_tables, listed,
        "tree::AREA_PATH_TABLES names a table without area_path"
    );
}

#[test]
fn every_path_column_compares_in_byte_order() {
    let db = TestDb::new();
    let (ok, out, err) = support::run(&["migrate", "--db", &db.url]);
    assert!(ok, "{out}{err}");
    let columns = path_columns(&db);
    assert!(columns.len() > AREA_PATH_TABLES.len(), "{columns:?}");
    let mut wrong = Vec::new();
    for (table, column) in &columns {
        match backend() {
            Backend::Postgres => {
                let (ok, out) = db.sql(&format!(
                    "SELECT coalesce(collation_name, '(the database default)') FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = '{column}'"
                ));
                assert!(ok, "{out}");
                if out.trim() != "C" {
                    wrong.push(format!("{table}.{column} collates as {}", out.trim()));
                }
            }
            Backend::Sqlite => {
                // SQLite compares text bytewise (BINARY) unless a column declares otherwise.
                let (ok, out) = db.sql(&format!(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
                ));
                assert!(ok, "{out}");
                let declared = out
                    .split([',', '\n'])
                    .find(|d| d.split_whitespace().next() == Some(column.as_str()))
                    .unwrap_or_else(|| panic!("{table}.{column} not declared in {out}"));
                if declared.to_uppercase().contains("COLLATE") {
                    wrong.push(format!("{table}.{column}: {declared}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "path columns must compare in byte order for the prefix range scans of every scope check:\n{}",
        wrong.join("\n")
    );
}

fn node(api: &support::Api, id: i64) -> Value {
    let (s, v) = api.get(&format!("/api/v1/nodes/{id}"));
    assert_eq!(s, 200, "{v}");
    v
}

fn ids_of(v: &Value, key: &str) -> BTreeSet<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x[key].as_i64().unwrap())
        .collect()
}

/// Rows of each area table under `path`, by table.
fn rows_under(srv: &Server, path: &str) -> Vec<(String, i64)> {
    AREA_PATH_TABLES
        .iter()
        .map(|t| {
            (
                t.to_string(),
                sql_int(
                    &srv.db,
                    &format!(
                        "SELECT count(*) FROM {t} WHERE area_path >= '{path}' AND area_path < '{path}~'"
                    ),
                ),
            )
        })
        .collect()
}

#[test]
fn a_building_moved_to_another_grid_takes_all_its_records_along() {
    let srv = Server::start(150);
    let head = srv.api("shuji");
    let old_worker = srv.api("wangge");
    let community = sql_int(
        &srv.db,
        "SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'shuji'",
    );
    let old_grid = grid_of_wangge(&srv);
    let (s, v) = head.post(
        "/api/v1/nodes",
        json!({"parent_id": community, "kind": "grid", "name": "第八网格"}),
    );
    assert_eq!(s, 201, "{v}");
    let new_grid = v["id"].as_i64().unwrap();
    add_user(&srv.db.url, "wangge8", "grid_worker", &[new_grid]);
    let new_worker = srv.api("wangge8");

    // A building of the old grid with someone living in it.
    let person = sql_int(
        &srv.db,
        &format!(
            "SELECT p.id FROM persons p JOIN org_nodes g ON g.id = {old_grid}
             WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || '~' ORDER BY p.id LIMIT 1"
        ),
    );
    let building = sql_int(
        &srv.db,
        &format!(
            "SELECT b.id FROM org_nodes b JOIN persons p ON p.id = {person}
             WHERE b.kind = 'building' AND p.area_path > b.path AND p.area_path < b.path || '~'"
        ),
    );
    let old_path = node(&head, building)["path"].as_str().unwrap().to_string();

    // Everything that can be placed in a building, recorded there by the old grid's worker.
    let (s, v) = old_worker.post(
        "/api/v1/tickets",
        json!({"node_id": building, "category_code": "0102", "title": "楼道堆放杂物",
               "photos": hazard_photos()}),
    );
    assert_eq!(s, 201, "{v}");
    let ticket = v["id"].as_i64().unwrap();
    let (s, v) = old_worker.post(
        "/api/v1/visits",
        json!({"person_id": person, "kind": "入户", "photos": [hazard_photos()[0].clone()],
               "disputes": [{"type_code": "邻里纠纷", "summary": "楼上漏水，邻里争执"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let visit = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        "/api/v1/patrol-schedules",
        json!({"node_id": building, "type_code": "public_order", "every_days": 7, "target": "地下车库"}),
    );
    assert_eq!(s, 201, "{v}");
    let schedule = v["id"].as_i64().unwrap();
    let (s, v) = old_worker.post(
        "/api/v1/patrols",
        json!({"schedule_id": schedule, "results": {"出入口及停车场": "正常"},
               "photos": [hazard_photos()[1].clone()]}),
    );
    assert_eq!(s, 201, "{v}");
    let patrol = v["id"].as_i64().unwrap();
    let (s, v) = old_worker.post(
        &format!("/api/v1/nodes/{building}/screenings"),
        json!({"disputes": []}),
    );
    assert_eq!(s, 201, "{v}");
    let mut screenings: BTreeSet<i64> = v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect();
    screenings.insert(sql_int(
        &srv.db,
        &format!("SELECT id FROM screenings WHERE visit_id = {visit}"),
    ));
    let (s, v) = old_worker.post(
        "/api/v1/mediation-cases",
        json!({"node_id": building, "type_code": "neighbour", "summary": "楼上漏水，邻里争执。",
               "parties": [{"side": "applicant", "person_id": person},
                           {"side": "respondent", "name": "周某某"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let case = v["id"].as_i64().unwrap();
    let attachment = |kind: &str, id: i64| {
        sql_int(
            &srv.db,
            &format!(
                "SELECT min(id) FROM attachments WHERE owner_kind = '{kind}' AND owner_id = {id}"
            ),
        )
    };
    let photos = [
        attachment("ticket", ticket),
        attachment("visit", visit),
        attachment("patrol", patrol),
    ];
    let before = rows_under(&srv, &old_path);
    for (table, n) in &before {
        let placeable = !matches!(table.as_str(), "units" | "report_links");
        assert!(
            !placeable || *n > 0,
            "nothing in {table} under the building: the test made too little ({before:?})"
        );
    }

    // What each worker may open, and what their grid's lists show.
    let access = |api: &support::Api, grid: i64| -> (Vec<u16>, bool, usize, bool) {
        let mut codes = vec![
            api.get(&format!("/api/v1/tickets/{ticket}")).0,
            api.get(&format!("/api/v1/mediation-cases/{case}")).0,
        ];
        for p in photos {
            codes.push(api.get_bytes(&format!("/api/v1/attachments/{p}")).0);
        }
        let (s, due) = api.get(&format!("/api/v1/nodes/{grid}/due-patrols?days=366"));
        assert_eq!(s, 200, "{due}");
        let (s, register) = api.get(&format!("/api/v1/nodes/{grid}/screenings"));
        assert_eq!(s, 200, "{register}");
        let (s, cases) = api.get(&format!("/api/v1/nodes/{grid}/mediation-cases"));
        assert_eq!(s, 200, "{cases}");
        let listed = ids_of(&register, "id");
        let registered = screenings.iter().filter(|i| listed.contains(i)).count();
        (
            codes,
            ids_of(&due, "schedule_id").contains(&schedule),
            registered,
            ids_of(&cases, "id").contains(&case),
        )
    };
    let all = vec![200u16; 5];
    let none = vec![403u16; 5];
    assert_eq!(access(&old_worker, old_grid), (all.clone(), true, 2, true));
    assert_eq!(
        access(&new_worker, new_grid),
        (none.clone(), false, 0, false)
    );

    let (s, v) = head.post(
        &format!("/api/v1/nodes/{building}/move"),
        json!({"parent_id": new_grid}),
    );
    assert_eq!(s, 200, "{v}");
    let new_path = node(&head, building)["path"].as_str().unwrap().to_string();
    assert_ne!(new_path, old_path);

    assert_eq!(access(&old_worker, old_grid), (none, false, 0, false));
    assert_eq!(access(&new_worker, new_grid), (all, true, 2, true));
    // Every row went along, none stayed behind (visits too, which no HTTP read is scoped by).
    let after: Vec<(String, i64)> = rows_under(&srv, &old_path);
    assert!(after.iter().all(|(_, n)| *n == 0), "left behind: {after:?}");
    assert_eq!(rows_under(&srv, &new_path), before);
}
