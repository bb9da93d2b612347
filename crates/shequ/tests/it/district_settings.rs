//! The 事件 categories, time limits, holiday calendar and patrol checklists are the district's:
//! its administrator changes them for everyone, a community head can't (403 over HTTP and on
//! the page); a community adds its own 小类, time limit and checklist items, which hold in that
//! community and nowhere else.

use crate::support;

use serde_json::{Value, json};
use support::{Api, Server, Web, add_user, csrf_of, grid_of_wangge, sql_int};

fn room_under(srv: &Server, node: i64) -> i64 {
    sql_int(
        &srv.db,
        &format!(
            "SELECT r.id FROM org_nodes r JOIN org_nodes g ON g.id = {node} WHERE r.kind = 'room' AND r.path > g.path AND r.path < g.path || 'z' ORDER BY r.id LIMIT 1"
        ),
    )
}

fn codes(api: &Api) -> Vec<String> {
    let (s, v) = api.get("/api/v1/ticket-categories");
    assert_eq!(s, 200, "{v}");
    v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect()
}

fn checklist(api: &Api, code: &str) -> Vec<String> {
    let (s, v) = api.get("/api/v1/patrol-types");
    assert_eq!(s, 200, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == code)
        .unwrap()["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect()
}

fn report(api: &Api, room: i64, category: &str) -> (u16, Value) {
    api.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": category, "title": "电梯停在两层之间",
               "description": "居民反映", "source": "resident",
               "reporter_name": "陈阿姨", "reporter_phone": "13912344321"}),
    )
}

fn step(api: &Api, id: i64, action: &str, extra: Value) -> Value {
    let (s, t) = api.get(&format!("/api/v1/tickets/{id}"));
    assert_eq!(s, 200, "{t}");
    let mut body = json!({"action": action, "version": t["ticket"]["version"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = api.post(&format!("/api/v1/tickets/{id}/steps"), body);
    assert_eq!(s, 200, "{action}: {v}");
    v
}

/// Reports under `category` in `room`, accepts and dispatches it; returns the due time.
fn dispatched_due(worker: &Api, head: &Api, room: i64, category: &str) -> String {
    let (s, v) = report(worker, room, category);
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    step(head, id, "accept", json!({}));
    let t = step(
        head,
        id,
        "dispatch",
        json!({"assignee_kind": "property", "assignee_name": "小区物业服务中心"}),
    );
    t["due_at"].as_str().unwrap().to_string()
}

#[test]
fn the_district_keeps_the_settings_and_a_community_adds_its_own_for_itself_only() {
    let srv = Server::start(50);
    let db = &srv.db;
    // Two communities, each with its head and a grid worker.
    let grid = grid_of_wangge(&srv);
    let ours = sql_int(
        db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let other = sql_int(
        db,
        &format!(
            "SELECT id FROM org_nodes WHERE kind = 'community' AND id <> {ours} ORDER BY id LIMIT 1"
        ),
    );
    let other_grid = sql_int(
        db,
        &format!(
            "SELECT id FROM org_nodes WHERE kind = 'grid' AND community_id = {other} ORDER BY id LIMIT 1"
        ),
    );
    add_user(&db.url, "shuji2", "community_head", &[other]);
    add_user(&db.url, "wangge2", "grid_worker", &[other_grid]);
    let (head, worker) = (srv.api("shuji"), srv.api("wangge"));
    let (head2, worker2) = (srv.api("shuji2"), srv.api("wangge2"));
    let district = srv.api("quji");

    // A community head can't retire a district category, over the API …
    let retire = json!({"code": "0101", "name": "私搭乱建", "active": false});
    let (s, v) = head.post("/api/v1/ticket-categories", retire.clone());
    assert_eq!(s, 403, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("全区") && message.contains("区级管理员"),
        "{v}"
    );
    assert!(codes(&worker2).contains(&"0101".to_string()));
    // … nor on the page, which offers it no 停用 button either.
    let web = Web::login(&srv.base, "shuji");
    let (s, page, _) = web.get("/settings/tickets");
    assert_eq!(s, 200, "{page}");
    let row = &page[page.find("id=\"category-0101\"").unwrap()..];
    let row = &row[..row.find("</li>").unwrap()];
    assert!(
        !row.contains("<form"),
        "a head is offered to change 0101: {row}"
    );
    let (s, body, _) = web.post_form(
        "/settings/tickets",
        &[
            ("csrf", &csrf_of(&page)),
            ("form", "category"),
            ("code", "0101"),
            ("name", "私搭乱建"),
            ("active", "0"),
        ],
    );
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("只有区级管理员能修改或停用"), "{body}");
    assert!(codes(&worker2).contains(&"0101".to_string()));
    // Nor the calendar or the district's checklist.
    let day = json!({"day": "2027-10-08", "workday": false, "name": "测试假日"});
    assert_eq!(head.post("/api/v1/calendar-days", day.clone()).0, 403);
    let items = json!({"code": "safety", "items": ["楼道堆物"]});
    assert_eq!(head.post("/api/v1/patrol-types/checklist", items).0, 403);
    // The district administrator can: retired for everyone, then back.
    let (s, v) = district.post("/api/v1/ticket-categories", retire);
    assert_eq!(s, 200, "{v}");
    assert!(!codes(&worker).contains(&"0101".to_string()));
    assert!(!codes(&worker2).contains(&"0101".to_string()));
    let (s, v) = district.post(
        "/api/v1/ticket-categories",
        json!({"code": "0101", "name": "私搭乱建", "limit_normal": "long", "active": true}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(district.post("/api/v1/calendar-days", day).0, 204);

    // Our community's own 小类: ours to file under, unseen and refused in the other one.
    let (s, v) = head.post(
        "/api/v1/ticket-categories",
        json!({"code": "0390", "name": "电梯故障", "limit_normal": "general"}),
    );
    assert_eq!(s, 200, "{v}");
    assert!(codes(&worker).contains(&"0390".to_string()));
    assert!(!codes(&worker2).contains(&"0390".to_string()));
    let (s, v) = report(&worker2, room_under(&srv, other_grid), "0390");
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("事件类别")),
        "{v}"
    );
    let (s, page, _) = Web::login(&srv.base, "shuji2").get("/settings/tickets");
    assert_eq!(s, 200);
    assert!(!page.contains("电梯故障"), "the other community sees ours");
    // A community can't add a 大类, nor take a code another community uses.
    let (s, v) = head.post(
        "/api/v1/ticket-categories",
        json!({"code": "15", "name": "本社区大类"}),
    );
    assert_eq!(s, 403, "{v}");
    let (s, v) = head2.post(
        "/api/v1/ticket-categories",
        json!({"code": "0390", "name": "电梯困人"}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("类别代码")),
        "{v}"
    );

    // Our own time limit: 一般 is 1 working day here and stays 7 in the other community.
    let (s, v) = head.post(
        "/api/v1/ticket-time-limits",
        json!({"code": "general", "amount": 1, "unit": "working_days"}),
    );
    assert_eq!(s, 200, "{v}");
    let general = v["time_limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "general")
        .unwrap()
        .clone();
    assert_eq!(
        general["amount"], 7,
        "the district's limit is untouched: {v}"
    );
    let ours_due = dispatched_due(&worker, &head, room_under(&srv, grid), "0390");
    let theirs_due = dispatched_due(&worker2, &head2, room_under(&srv, other_grid), "0105");
    let hours = |a: &str, b: &str| {
        let a = chrono::DateTime::parse_from_rfc3339(a).unwrap();
        let b = chrono::DateTime::parse_from_rfc3339(b).unwrap();
        (b - a).num_hours()
    };
    // Seven working days are at least nine calendar days; one is at most four (a weekend
    // and a holiday in between).
    assert!(
        hours(&ours_due, &theirs_due) >= 24 * 4,
        "ours {ours_due}, theirs {theirs_due}"
    );

    // Our own checklist item: asked and accepted here, not there.
    let (s, v) = head.post(
        "/api/v1/patrol-types/community-items",
        json!({"code": "safety", "items": ["电梯困人应急演练"]}),
    );
    assert_eq!(s, 200, "{v}");
    let ours_list = checklist(&worker, "safety");
    assert!(
        ours_list.contains(&"楼道堆物".to_string())
            && ours_list.last().map(String::as_str) == Some("电梯困人应急演练"),
        "{ours_list:?}"
    );
    assert!(!checklist(&worker2, "safety").contains(&"电梯困人应急演练".to_string()));
    let patrol = |api: &Api, node: i64| {
        api.post(
            "/api/v1/patrols",
            json!({"node_id": node, "type_code": "safety",
                   "results": {"楼道堆物": "正常", "电梯困人应急演练": "正常"}}),
        )
    };
    let (s, v) = patrol(&worker, grid);
    assert_eq!(s, 201, "{v}");
    let (s, v) = patrol(&worker2, other_grid);
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("检查项目")),
        "{v}"
    );
    // The patrol form of our grid asks it; the other community's doesn't.
    let (_, form, _) =
        Web::login(&srv.base, "wangge").get(&format!("/nodes/{grid}/patrols/new?type=safety"));
    assert!(form.contains("电梯困人应急演练"), "{form}");
    let (_, form, _) = Web::login(&srv.base, "wangge2")
        .get(&format!("/nodes/{other_grid}/patrols/new?type=safety"));
    assert!(!form.contains("电梯困人应急演练"), "{form}");
}
