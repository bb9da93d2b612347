//! The 调解 lists are whole and scoped in SQL: a street officer granted one grid, and that grid's
//! worker, see every case and register entry of the grid — more than the page size the store once
//! cut at — and none of the grid next door; the head sees both grids whole, on both databases. The bulk of a busy year is copied in SQL (as direct
//! database access would), from records first made over HTTP; the lists are read over HTTP.

use crate::support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use support::{Server, grid_of_wangge, run, sql_int};

/// More than the 500 cases and 1000 register rows the lists used to stop at.
const CASES_PER_GRID: i64 = 520;
const SCREENINGS_PER_GRID: i64 = 1010;

fn ids(v: &Value) -> BTreeSet<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x["id"].as_i64().unwrap())
        .collect()
}

fn ids_in(srv: &Server, table: &str, grid: i64) -> BTreeSet<i64> {
    let (ok, out) = srv.db.sql(&format!(
        "SELECT t.id FROM {table} t JOIN org_nodes g ON g.id = {grid}
         WHERE t.area_path >= g.path AND t.area_path < g.path || '~' ORDER BY t.id"
    ));
    assert!(ok, "{out}");
    out.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Copies case `seed` until its grid holds `CASES_PER_GRID` cases (numbered apart).
fn copy_case(srv: &Server, seed: i64) {
    let (ok, out) = srv.db.sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})
         INSERT INTO mediation_cases (community_id, node_id, area_path, case_no, year, seq, type_code, source,
             referred_by, employer, company_union, summary, mediator, received_on, due_on, screening_id, outcome,
             closed_on, agreement, performance, close_note, user_id, created_at, version)
         SELECT community_id, node_id, area_path, case_no || '-' || n.i, year, seq * 100000 + n.i, type_code, source,
             referred_by, employer, company_union, summary, mediator, received_on, due_on, screening_id, outcome,
             closed_on, agreement, performance, close_note, user_id, created_at, version
         FROM mediation_cases, n WHERE id = {seed}",
        CASES_PER_GRID - 1
    ));
    assert!(ok, "{out}");
}

/// Copies register entry `seed` until its grid holds `SCREENINGS_PER_GRID` entries.
fn copy_screening(srv: &Server, seed: i64) {
    let (ok, out) = srv.db.sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {})
         INSERT INTO screenings (community_id, node_id, area_path, screened_on, source, visit_id, patrol_id,
             type_code, summary, case_id, user_id, worker_name, created_at)
         SELECT community_id, node_id, area_path, screened_on, source, visit_id, patrol_id,
             type_code, summary, case_id, user_id, worker_name, created_at
         FROM screenings, n WHERE id = {seed}",
        SCREENINGS_PER_GRID - 1
    ));
    assert!(ok, "{out}");
}

#[test]
fn mediation_lists_hold_every_case_in_scope_and_none_outside() {
    let srv = Server::start(100);
    let head = srv.api("shuji");
    let community = sql_int(
        &srv.db,
        "SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'shuji'",
    );
    let granted = grid_of_wangge(&srv);
    let (s, v) = head.post(
        "/api/v1/nodes",
        json!({"parent_id": community, "kind": "grid", "name": "第九网格"}),
    );
    assert_eq!(s, 201, "{v}");
    let other = v["id"].as_i64().unwrap();

    for grid in [granted, other] {
        let (s, v) = head.post(
            "/api/v1/mediation-cases",
            json!({"node_id": grid, "type_code": "neighbour",
                   "summary": "楼上装修噪音扰民，双方多次争吵。",
                   "parties": [{"side": "applicant", "name": "钱某某"},
                               {"side": "respondent", "name": "孙某某"}]}),
        );
        assert_eq!(s, 201, "{v}");
        copy_case(&srv, v["id"].as_i64().unwrap());
        let (s, v) = head.post(
            &format!("/api/v1/nodes/{grid}/screenings"),
            json!({"disputes": [{"type_code": "邻里纠纷", "summary": "楼道堆物引发口角"}]}),
        );
        assert_eq!(s, 201, "{v}");
        let seed = sql_int(&srv.db, "SELECT max(id) FROM screenings");
        copy_screening(&srv, seed);
    }
    let cases_in = ids_in(&srv, "mediation_cases", granted);
    let cases_out = ids_in(&srv, "mediation_cases", other);
    let screenings_in = ids_in(&srv, "screenings", granted);
    let screenings_out = ids_in(&srv, "screenings", other);
    for (set, least) in [
        (&cases_in, CASES_PER_GRID),
        (&cases_out, CASES_PER_GRID),
        (&screenings_in, SCREENINGS_PER_GRID),
        (&screenings_out, SCREENINGS_PER_GRID),
    ] {
        assert!(set.len() as i64 >= least, "{} < {least}", set.len());
    }

    // The street officer may open people's records of one grid only.
    let (ok, out, err) = run(&[
        "user",
        "grant",
        "--db",
        &srv.db.url,
        "--username",
        "jiedao",
        "--area",
        &granted.to_string(),
        "--reason",
        "街道矛盾纠纷化解督导",
    ]);
    assert!(ok, "{out}{err}");
    let street = srv.api("jiedao");
    for open in ["true", "false"] {
        let (s, v) = street.get(&format!(
            "/api/v1/nodes/{granted}/mediation-cases?open={open}"
        ));
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            ids(&v),
            cases_in,
            "open={open}: every case of the granted grid, none of the other"
        );
    }
    let (s, v) = street.get(&format!("/api/v1/nodes/{granted}/screenings"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), screenings_in);
    // Above the grant the answer is a refusal, not a list quietly missing the other grid.
    for list in ["mediation-cases", "screenings"] {
        let (s, v) = street.get(&format!("/api/v1/nodes/{community}/{list}"));
        assert_eq!(s, 403, "{list}: {v}");
    }

    // The head sees both grids whole; the grid worker their own grid whole.
    let (_, v) = head.get(&format!("/api/v1/nodes/{community}/mediation-cases"));
    assert_eq!(
        ids(&v),
        cases_in.union(&cases_out).copied().collect::<BTreeSet<_>>()
    );
    let (_, v) = head.get(&format!("/api/v1/nodes/{community}/screenings"));
    assert_eq!(ids(&v).len(), screenings_in.len() + screenings_out.len());
    let worker = srv.api("wangge");
    let (_, v) = worker.get(&format!("/api/v1/nodes/{granted}/mediation-cases"));
    assert_eq!(ids(&v), cases_in);
    let (_, v) = worker.get(&format!("/api/v1/nodes/{granted}/screenings"));
    assert_eq!(ids(&v), screenings_in);
}
