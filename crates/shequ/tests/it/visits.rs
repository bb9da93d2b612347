//! 走访 over HTTP: people of the special groups are due by their group's rule (never visited:
//! from the day they joined), overdue first; a visit takes them off the list and raises the
//! problem it found as a 事件; a household's group counts a visit to any member; a community
//! sets its own frequency; the head sees overdue counts per grid and worker; the phone pages
//! record a routine visit in two taps.

use crate::support;

use serde_json::{Value, json};
use support::{Server, Web, csrf_of, days_ago, grid_of_wangge, sql_int};

/// People living in the grid with no special group yet, with their household.
fn plain_people(srv: &Server, grid: i64, n: usize) -> Vec<(i64, i64)> {
    let (ok, out) = srv.db.sql(&format!(
        "SELECT p.id || '|' || r.household_id FROM persons p JOIN residences r ON r.person_id = p.id AND r.moved_out_on IS NULL
         JOIN org_nodes g ON g.id = {grid}
         WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z'
           AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.person_id = p.id)
           AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.household_id = r.household_id)
         ORDER BY p.id"
    ));
    assert!(ok, "{out}");
    out.lines()
        .map(|l| {
            let (a, b) = l.trim().split_once('|').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .take(n)
        .collect()
}

fn due(api: &support::Api, node: i64) -> Vec<Value> {
    let (s, v) = api.get(&format!("/api/v1/nodes/{node}/due-visits"));
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

#[test]
fn due_lists_visits_rules_and_the_heads_view() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let worker = srv.api("wangge");
    let head = srv.api("shuji");
    let people = plain_people(&srv, grid, 60);
    // Three people of three different households; the third household goes on 低保, and a
    // visit to another of its members must count for it.
    let mut households = Vec::new();
    let mut picked = Vec::new();
    for (p, h) in &people {
        if !households.contains(h) {
            households.push(*h);
            picked.push((*p, *h));
        }
    }
    let (alone, released) = (picked[0].0, picked[1].0);
    let (dibao_member, dibao_household) = picked[2];
    let other = people
        .iter()
        .find(|(p, h)| *h == dibao_household && *p != dibao_member);
    let (s, v) = worker.post(
        &format!("/api/v1/persons/{alone}/tags"),
        json!({"kind": "elderly_alone", "started_on": days_ago(60), "values": {"category": "独居"}}),
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = worker.post(
        &format!("/api/v1/persons/{released}/tags"),
        json!({"kind": "correction", "started_on": days_ago(3),
               "values": {"category": "刑满释放", "released_on": days_ago(3), "situation": "本地务工"}}),
    );
    assert_eq!(s, 201, "{v}");
    let (s, v) = worker.post(
        &format!("/api/v1/persons/{dibao_member}/tags"),
        json!({"kind": "dibao", "started_on": days_ago(400),
               "values": {"category": "A类", "household_size": "2", "amount": "650"}}),
    );
    assert_eq!(s, 201, "{v}");

    let list = due(&worker, grid);
    let ids: Vec<i64> = list
        .iter()
        .map(|d| d["person_id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&alone) && ids.contains(&released), "{list:?}");
    let entry = list.iter().find(|d| d["person_id"] == alone).unwrap();
    assert_eq!(
        entry["overdue_days"], 60,
        "never visited: due since joining the group"
    );
    assert!(entry["reasons"][0].as_str().unwrap().contains("每月走访"));
    assert!(entry["last_visited_on"].is_null());
    assert!(!entry["address"].as_str().unwrap().is_empty());
    // Overdue first.
    let first_upcoming = list
        .iter()
        .position(|d| d["overdue_days"] == 0)
        .unwrap_or(list.len());
    assert!(
        list[..first_upcoming]
            .iter()
            .all(|d| d["overdue_days"].as_i64().unwrap() > 0)
    );
    assert!(
        list[first_upcoming..]
            .iter()
            .all(|d| d["overdue_days"] == 0)
    );

    // A visit with a problem: off the list, and a 事件 raised from it. A hazard needs a
    // close-up and a wide shot; without them nothing is written.
    let visit = |photos: Value| {
        worker.post(
            "/api/v1/visits",
            json!({"person_id": alone, "kind": "入户", "findings": "身体尚可，独自居住",
                   "problems": [{"category_code": "0206", "title": "厨房电线老化", "photos": photos}]}),
        )
    };
    let visits_before = sql_int(&srv.db, "SELECT COUNT(*) FROM visits");
    let only_close = json!([support::hazard_photos()[0].clone()]);
    let (s, v) = visit(only_close);
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["field"], "发现的问题：照片");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("还缺远景"),
        "{v}"
    );
    let exe = json!([{"name": "setup.exe", "role": "close", "content_base64": support::base64(b"MZ\x90\x00\x03")}]);
    let (s, v) = visit(exe);
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("“setup.exe”不是照片"),
        "{v}"
    );
    let huge = support::png(1, 1, [0, 0, 0])
        .into_iter()
        .chain(std::iter::repeat_n(0u8, 10 * 1024 * 1024))
        .collect::<Vec<u8>>();
    let (s, v) = visit(
        json!([{"name": "大图.png", "role": "wide", "content_base64": support::base64(&huge)}]),
    );
    assert_eq!(s, 413, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("超过 10 MB"),
        "{v}"
    );
    assert_eq!(
        sql_int(&srv.db, "SELECT COUNT(*) FROM visits"),
        visits_before,
        "nothing half-written"
    );
    let (s, v) = visit(support::hazard_photos());
    assert_eq!(s, 201, "{v}");
    let ticket = v["ticket_ids"][0].as_i64().unwrap();
    let (_, t) = worker.get(&format!("/api/v1/tickets/{ticket}"));
    assert_eq!(t["ticket"]["source"], "visit");
    assert_eq!(t["ticket"]["category_code"], "0206");
    let photos = t["ticket"]["attachments"].as_array().unwrap().clone();
    assert_eq!(
        photos
            .iter()
            .map(|p| p["role_label"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["近景", "远景"]
    );
    // Served as what its content is, to those who see the ticket.
    let id = photos[0]["id"].as_i64().unwrap();
    let (s, ct, bytes) = worker.get_bytes(&format!("/api/v1/attachments/{id}"));
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    assert_eq!(bytes, support::png(8, 6, [200, 40, 40]));
    // The same photos sent again (a retry) are stored once.
    let blobs = sql_int(&srv.db, "SELECT COUNT(*) FROM file_blobs");
    let (s, v) = worker.post(
        &format!("/api/v1/tickets/{ticket}/attachments"),
        json!({"files": support::hazard_photos()}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(sql_int(&srv.db, "SELECT COUNT(*) FROM file_blobs"), blobs);
    assert!(!due(&worker, grid).iter().any(|d| d["person_id"] == alone));
    let (_, past) = worker.get(&format!("/api/v1/persons/{alone}/visits"));
    assert_eq!(past[0]["findings"], "身体尚可，独自居住");

    // 低保 is the household's: listed under its head, cleared by visiting any member.
    let dibao_due = due(&worker, grid)
        .into_iter()
        .any(|d| d["reasons"].to_string().contains("低保"));
    assert!(dibao_due, "the 低保 household is due (joined 400 days ago)");
    let visit_member = other.map_or(dibao_member, |(p, _)| *p);
    let (s, v) = worker.post(
        "/api/v1/visits",
        json!({"person_id": visit_member, "kind": "电话"}),
    );
    assert_eq!(s, 201, "{v}");
    assert!(
        !due(&worker, grid)
            .iter()
            .any(|d| d["reasons"].to_string().contains("低保")),
        "a visit to a member counts for the household"
    );

    // Bad visits are refused with the field named.
    let tomorrow = (shequ_domain::clock::today() + chrono::Duration::days(1)).to_string();
    for (body, field) in [
        (
            json!({"person_id": released, "visited_on": tomorrow}),
            "走访日期",
        ),
        (json!({"person_id": released, "kind": "上门"}), "走访方式"),
        (
            json!({"person_id": released, "problems": [{"category_code": "0206", "title": ""}]}),
            "发现的问题：标题",
        ),
    ] {
        let (s, v) = worker.post("/api/v1/visits", body);
        assert_eq!((s, v["error"]["field"].as_str()), (422, Some(field)), "{v}");
    }
    assert!(
        due(&worker, grid)
            .iter()
            .any(|d| d["person_id"] == released),
        "nothing half-written"
    );

    // The community sets its own frequency; the worker may not.
    let (s, _) = worker.post(
        &format!("/api/v1/nodes/{community}/visit-rules"),
        json!({"tag_kind": "correction", "every_days": 7}),
    );
    assert_eq!(s, 403);
    let (s, rules) = head.post(
        &format!("/api/v1/nodes/{community}/visit-rules"),
        json!({"tag_kind": "刑释解教/社区矫正", "every_days": 7}),
    );
    assert_eq!(s, 200, "{rules}");
    let correction: Vec<&Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tag_kind"] == "correction" && r["risk"].is_null())
        .collect();
    assert_eq!(
        correction.len(),
        1,
        "the community's rule replaces the default: {rules}"
    );
    assert_eq!(correction[0]["every_days"], 7);
    assert_eq!(correction[0]["community_id"], community);

    // The head's view: overdue per grid with its workers.
    let (s, grids) = head.get(&format!("/api/v1/nodes/{community}/overdue-visits"));
    assert_eq!(s, 200, "{grids}");
    let mine = grids
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grid_id"] == grid)
        .unwrap();
    assert!(mine["overdue"].as_i64().unwrap() >= 1, "{mine}");
    assert!(!mine["workers"].as_array().unwrap().is_empty(), "{mine}");
}

/// A high-risk person is visited weekly: the risk rule takes the place of the group's monthly
/// rule for them, and only for them.
#[test]
fn high_risk_people_are_due_weekly() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let worker = srv.api("wangge");
    let people = plain_people(&srv, grid, 2);
    let (high, plain) = (people[0].0, people[1].0);
    for (person, risk) in [(high, Some("高风险")), (plain, None)] {
        let mut values =
            json!({"category": "社区矫正", "released_on": days_ago(60), "situation": "本地务工"});
        if let Some(r) = risk {
            values["risk"] = json!(r);
        }
        let (s, v) = worker.post(
            &format!("/api/v1/persons/{person}/tags"),
            json!({"kind": "correction", "started_on": days_ago(60), "values": values}),
        );
        assert_eq!(s, 201, "{v}");
        let (s, v) = worker.post(
            "/api/v1/visits",
            json!({"person_id": person, "kind": "入户", "visited_on": days_ago(8)}),
        );
        assert_eq!(s, 201, "{v}");
    }
    let list = due(&worker, grid);
    let high_due = list.iter().find(|d| d["person_id"] == high).unwrap();
    assert_eq!(
        high_due["reasons"],
        json!(["高风险刑释解教/社区矫正人员每周走访一次"])
    );
    assert_eq!(high_due["overdue_days"], 1);
    assert!(
        !list.iter().any(|d| d["person_id"] == plain),
        "visited 8 days ago, monthly: not due this week"
    );
    // A risk level the group doesn't assess is refused.
    let (s, v) = worker.post(
        &format!("/api/v1/persons/{plain}/tags"),
        json!({"kind": "elderly_alone", "values": {"category": "独居", "risk": "高风险"}}),
    );
    assert_eq!(s, 422, "{v}");
    let (s, v) = srv.api("shuji").post(
        &format!(
            "/api/v1/nodes/{}/visit-rules",
            sql_int(
                &srv.db,
                &format!("SELECT community_id FROM org_nodes WHERE id = {grid}")
            )
        ),
        json!({"tag_kind": "elderly_alone", "risk": "高风险", "every_days": 3}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("风险等级")),
        "{v}"
    );
}

/// From the due list on a phone: tap the person, tap 保存; they are then no longer due.
#[test]
fn a_routine_visit_from_the_due_list_is_two_taps() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let person = plain_people(&srv, grid, 1)[0].0;
    let worker = srv.api("wangge");
    let (s, v) = worker.post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "elderly_alone", "started_on": days_ago(31), "values": {"category": "空巢"}}),
    );
    assert_eq!(s, 201, "{v}");
    let web = Web::login(&srv.base, "wangge");
    let (s, list, _) = web.get(&format!("/nodes/{grid}/visits"));
    assert_eq!(s, 200);
    let link = format!("/persons/{person}/visits/new?back={grid}");
    assert!(list.contains(&link) && list.contains("超期"), "{list}");
    let (s, form, _) = web.get(&link);
    assert_eq!(s, 200);
    assert!(
        form.contains("value=\"入户\" checked"),
        "入户 is preselected: {form}"
    );
    let (s, _, location) = web.post_form(
        &link,
        &[
            ("csrf", &csrf_of(&form)),
            ("back", &grid.to_string()),
            ("kind", "入户"),
        ],
    );
    assert_eq!(s, 303);
    let next = location.unwrap();
    assert_eq!(next, format!("/nodes/{grid}/visits?saved=1"));
    let (_, list, _) = web.get(&next);
    assert!(list.contains("走访已记录"), "{list}");
    // No longer due: neither overdue nor this week (next month's round lists them for later).
    for group in ["overdue", "this_week"] {
        let (_, list, _) = web.get(&format!("/nodes/{grid}/visits?group={group}"));
        assert!(!list.contains(&link), "{group}: {list}");
    }
}

/// Visiting a registered unemployed person asks the 六清 (seed 002); the answers are kept on
/// the visit.
#[test]
fn a_visit_to_the_unemployed_records_the_six_clear() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let worker = srv.api("wangge");
    let person = plain_people(&srv, grid, 1)[0].0;
    let (s, v) = worker.post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "unemployed", "started_on": days_ago(200), "values": {}}),
    );
    assert_eq!(s, 201, "{v}");
    let web = Web::login(&srv.base, "wangge");
    let (s, form, _) = web.get(&format!("/persons/{person}/visits/new"));
    assert_eq!(s, 200);
    assert!(
        form.contains("六清") && form.contains("name=\"clear_就业意愿\""),
        "{form}"
    );
    let (s, _, _) = web.post_form(
        &format!("/persons/{person}/visits/new"),
        &[
            ("csrf", &csrf_of(&form)),
            ("kind", "入户"),
            ("clear_就业意愿", "有，想找物业保洁"),
            ("clear_培训要求", "想学家政"),
        ],
    );
    assert_eq!(s, 303);
    let (_, past) = worker.get(&format!("/api/v1/persons/{person}/visits"));
    assert_eq!(past[0]["items"]["就业意愿"], "有，想找物业保洁", "{past}");
    assert_eq!(past[0]["items"]["培训要求"], "想学家政", "{past}");
}
