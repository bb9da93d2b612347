//! Vocabularies the offices' own summaries use are offered and accepted: 公益性岗位 as a 就业状况
//! (the form offers it, the API stores it), and 治安巡逻 as a patrol type with its checklist,
//! recorded like any other patrol.

use crate::support;

use chrono::NaiveDate;
use serde_json::json;
use shequ_domain::registry::id_number::IdNumber;
use support::{Server, Web, grid_of_wangge, sql_int};

#[test]
fn a_public_welfare_job_is_an_employment_status() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let room = sql_int(
        &srv.db,
        &format!(
            "SELECT r.id FROM org_nodes r JOIN org_nodes g ON g.id = {grid}
             WHERE r.kind = 'room' AND r.path > g.path AND r.path < g.path || '~' ORDER BY r.id LIMIT 1"
        ),
    );
    let web = Web::login(&srv.base, "wangge");
    let (s, page, _) = web.get(&format!("/people/new?room={room}"));
    assert_eq!(s, 200, "{page}");
    assert!(
        page.contains("<option>公益性岗位</option>") || page.contains(">公益性岗位<"),
        "the person form offers 公益性岗位"
    );

    let api = srv.api("wangge");
    let born = NaiveDate::from_ymd_opt(1975, 3, 9).unwrap();
    let id = IdNumber::generate("110105", born, 417)
        .unwrap()
        .as_str()
        .to_string();
    let (s, v) = api.post(
        "/api/v1/persons",
        json!({"person": {"name": "杨公岗", "id_number": id, "employment": "公益性岗位"},
               "residence": {"room_id": room}}),
    );
    assert_eq!(s, 201, "{v}");
    let pid = v["id"].as_i64().unwrap();
    let (s, v) = api.get(&format!("/api/v1/persons/{pid}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["person"]["employment"], "公益性岗位", "{v}");
}

#[test]
fn a_public_order_patrol_has_its_checklist_and_is_recorded() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let worker = srv.api("wangge");
    let (s, types) = worker.get("/api/v1/patrol-types");
    assert_eq!(s, 200, "{types}");
    let patrol = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "治安巡逻")
        .unwrap_or_else(|| panic!("no 治安巡逻 among {types}"))
        .clone();
    let items: Vec<String> = patrol["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    assert!(items.len() >= 3, "{items:?}");

    let results: serde_json::Map<String, serde_json::Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.clone(), json!(if i == 0 { "问题" } else { "正常" })))
        .collect();
    let (s, v) = worker.post(
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": patrol["code"], "route": "东门—地下车库—北门",
               "results": results,
               "problems": [{"category_code": "0102", "title": "东门门禁损坏"}]}),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["ticket_ids"].as_array().unwrap().len(), 1, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM patrols WHERE id = {id} AND type_code = 'public_order' AND patrolled_on = '{}'",
                shequ_domain::clock::today()
            )
        ),
        1
    );
}
