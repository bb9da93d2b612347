//! 事件 over HTTP on the real server: a grid worker reports, the community head accepts and
//! dispatches (the time limit runs in working time), the worker handles, a failed field check
//! sends it back, the check passes, the head closes and the evaluation is recorded; every step
//! is on the timeline. Illegal steps are a 409 naming the possible ones; of two people acting at
//! once one wins; overdue tickets are listed yellow or red; extensions, refusals, reopening,
//! the calendar and the period's rates with their numerators and denominators.

use crate::support;

use chrono::Datelike;
use serde_json::{Value, json};
use support::{Api, Server, Web, csrf_of, grid_of_wangge, sql_int};

fn a_room(srv: &Server, grid: i64) -> i64 {
    sql_int(
        &srv.db,
        &format!(
            "SELECT r.id FROM org_nodes r JOIN org_nodes g ON g.id = {grid} WHERE r.kind = 'room' AND r.path > g.path AND r.path < g.path || 'z' ORDER BY r.id LIMIT 1"
        ),
    )
}

fn step(api: &Api, id: i64, body: Value) -> (u16, Value) {
    api.post(&format!("/api/v1/tickets/{id}/steps"), body)
}

fn version(api: &Api, id: i64) -> i64 {
    let (s, v) = api.get(&format!("/api/v1/tickets/{id}"));
    assert_eq!(s, 200, "{v}");
    v["ticket"]["version"].as_i64().unwrap()
}

/// Takes a step that must succeed; returns the ticket.
fn ok_step(api: &Api, id: i64, action: &str, extra: Value) -> Value {
    let mut body = json!({"action": action, "version": version(api, id)});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (s, v) = step(api, id, body);
    assert_eq!(s, 200, "{action}: {v}");
    v
}

fn report(api: &Api, room: i64, category: &str, title: &str) -> i64 {
    let (s, v) = api.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": category, "title": title,
               "description": "居民反映", "source": "resident",
               "reporter_name": "陈阿姨", "reporter_phone": "13912344321"}),
    );
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

#[test]
fn a_ticket_goes_from_report_to_evaluation_with_every_step_on_its_timeline() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let room = a_room(&srv, grid);
    let worker = srv.api("wangge");
    let head = srv.api("shuji");

    let (s, cat) = worker.get("/api/v1/ticket-categories");
    assert_eq!(s, 200);
    let litter = cat["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "0102")
        .unwrap();
    assert_eq!(litter["name"], "暴露垃圾");
    assert_eq!(litter["limit_normal"], "quick");
    assert!(
        cat["time_limits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["code"] == "general" && l["amount"] == 7 && l["unit"] == "working_days")
    );

    // Bad reports are refused with the field named.
    let (s, v) = worker.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "01", "title": "垃圾"}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("事件类别")),
        "{v}"
    );
    let (s, v) = worker.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0102", "title": " "}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("标题")),
        "{v}"
    );

    let id = report(&worker, room, "0102", "12幢北侧垃圾堆放");
    let (_, v) = worker.get(&format!("/api/v1/tickets/{id}"));
    assert_eq!(v["ticket"]["state"], "reported");
    assert_eq!(v["ticket"]["reporter_phone"], "139****4321");
    let (_, stored) = srv.db.sql(&format!(
        "SELECT reporter_phone FROM tickets WHERE id = {id}"
    ));
    assert!(!stored.contains("13912344321"), "sealed at rest: {stored}");

    // The grid worker doesn't accept; closing an unaccepted ticket names what is possible.
    let (s, v) = step(&worker, id, json!({"action": "accept", "version": 1}));
    assert_eq!(s, 403, "{v}");
    let (s, v) = step(&head, id, json!({"action": "close", "version": 1}));
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "illegal_step");
    assert_eq!(v["error"]["allowed"], json!(["accept", "refuse"]));
    assert!(v["error"]["message"].as_str().unwrap().contains("受理"));

    // Two people act on it at once: one wins, the other is told.
    let (a, b) = (srv.api("shuji"), srv.api("shuji"));
    let t1 = std::thread::spawn(move || step(&a, id, json!({"action": "accept", "version": 1})));
    let t2 = std::thread::spawn(move || {
        step(
            &b,
            id,
            json!({"action": "refuse", "version": 1, "note": "不属于社区职责"}),
        )
    });
    let mut results = [t1.join().unwrap(), t2.join().unwrap()];
    results.sort_by_key(|r| r.0);
    assert_eq!(results[0].0, 200, "{results:?}");
    assert_eq!(results[1].0, 409, "{results:?}");
    let winner = results[0].1["state"].as_str().unwrap().to_string();
    if winner == "refused" {
        ok_step(&head, id, "reopen", json!({"note": "复核后受理"}));
    }

    let t = ok_step(
        &head,
        id,
        "dispatch",
        json!({"assignee_name": "小区物业服务中心"}),
    );
    assert_eq!(t["state"], "dispatched");
    assert_eq!(t["assignee_name"], "小区物业服务中心");
    assert_eq!(t["assignee_kind"], "property");
    let due = t["due_at"].as_str().unwrap().to_string();
    assert!(due.as_str() > t["dispatched_at"].as_str().unwrap(), "{t}");
    assert_eq!(t["supervision"], "none");

    ok_step(&worker, id, "start", json!({}));
    let (s, v) = step(
        &worker,
        id,
        json!({"action": "feedback", "version": version(&worker, id)}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("说明")),
        "{v}"
    );
    ok_step(&worker, id, "feedback", json!({"note": "物业已清运"}));
    let (s, v) = step(
        &head,
        id,
        json!({"action": "close", "version": version(&head, id)}),
    );
    assert_eq!(s, 409, "closing an unverified ticket: {v}");
    assert!(
        v["error"]["allowed"]
            .as_array()
            .unwrap()
            .contains(&json!("verify_pass")),
        "{v}"
    );
    ok_step(
        &worker,
        id,
        "verify_fail",
        json!({"note": "现场仍有建筑垃圾"}),
    );
    ok_step(&worker, id, "feedback", json!({"note": "建筑垃圾已清运"}));
    ok_step(&worker, id, "verify_pass", json!({}));
    let t = ok_step(&head, id, "close", json!({}));
    assert_eq!(t["state"], "closed");
    let (s, v) = step(
        &worker,
        id,
        json!({"action": "rate", "version": version(&worker, id), "rating": "很好"}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("评价")),
        "{v}"
    );
    let t = ok_step(
        &worker,
        id,
        "rate",
        json!({"rating": "满意", "callback_on": shequ_domain::clock::today().to_string()}),
    );
    assert_eq!(
        (t["state"].as_str(), t["rating"].as_str()),
        (Some("rated"), Some("满意"))
    );

    let (_, v) = head.get(&format!("/api/v1/tickets/{id}"));
    let steps: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let mut expected = vec!["report"];
    if winner == "refused" {
        expected.extend(["refuse", "reopen"]);
    } else {
        expected.push("accept");
    }
    expected.extend([
        "dispatch",
        "start",
        "feedback",
        "verify_fail",
        "feedback",
        "verify_pass",
        "close",
        "rate",
    ]);
    assert_eq!(steps, expected, "{v}");
    let fail =
        &v["timeline"].as_array().unwrap()[steps.iter().position(|s| *s == "verify_fail").unwrap()];
    assert_eq!(fail["note"], "现场仍有建筑垃圾");
    assert_eq!(fail["from_state"], "answered");
    assert_eq!(fail["to_state"], "handling");
    assert!(fail["actor_name"].as_str().is_some_and(|n| !n.is_empty()));

    // Each step is audited.
    let audited = sql_int(
        &srv.db,
        &format!("SELECT count(*) FROM audit_log WHERE target = 'ticket:{id}'"),
    );
    assert_eq!(audited as usize, steps.len(), "one audit row per step");
}

#[test]
fn overdue_tickets_extensions_refusals_the_calendar_and_the_rates() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let room = a_room(&srv, grid);
    let worker = srv.api("wangge");
    let head = srv.api("shuji");

    // Two dispatched tickets; their time limits made to have run out, one a little, one long ago.
    let late = report(&worker, room, "0201", "消防通道被占");
    let very_late = report(&worker, room, "0602", "夜间噪声");
    for id in [late, very_late] {
        ok_step(&head, id, "accept", json!({}));
        ok_step(
            &head,
            id,
            "dispatch",
            json!({"assignee_name": "社区网格员"}),
        );
    }
    let minutes_ago = |m: i64| {
        (chrono::Utc::now() - chrono::Duration::minutes(m))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let (ok, out) = srv.db.sql(&format!(
        "UPDATE tickets SET due_at = '{}' WHERE id = {late}; UPDATE tickets SET due_at = '{}' WHERE id = {very_late}",
        minutes_ago(1),
        minutes_ago(60 * 24 * 90)
    ));
    assert!(ok, "{out}");
    let (s, v) = head.get(&format!("/api/v1/nodes/{grid}/tickets?overdue=true"));
    assert_eq!(s, 200, "{v}");
    let listed: Vec<(i64, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().unwrap(),
                t["supervision"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![(very_late, "red".into()), (late, "yellow".into())],
        "most overdue first"
    );
    let fresh = report(&worker, room, "0102", "新上报");
    let (_, open) = head.get(&format!("/api/v1/nodes/{grid}/tickets?state=open"));
    assert!(open.as_array().unwrap().iter().any(|t| t["id"] == fresh));
    let (s, v) = head.get(&format!("/api/v1/nodes/{grid}/tickets?state=nosuch"));
    assert_eq!(s, 422, "{v}");

    // An extension: asked once, decided by the head; the limit moves.
    ok_step(&head, late, "supervise", json!({"note": "黄牌督办"}));
    ok_step(
        &worker,
        late,
        "request_extension",
        json!({"note": "需协调消防部门", "extension_amount": 2}),
    );
    let (s, v) = step(
        &worker,
        late,
        json!({"action": "request_extension", "version": version(&worker, late),
               "note": "再申请", "extension_amount": 1}),
    );
    assert_eq!(s, 409, "{v}");
    assert!(!v["error"]["allowed"].as_array().unwrap().is_empty());
    let (s, _) = step(
        &worker,
        late,
        json!({"action": "approve_extension", "version": version(&worker, late)}),
    );
    assert_eq!(s, 403, "the worker doesn't approve their own extension");
    let before: String = srv
        .db
        .sql(&format!("SELECT due_at FROM tickets WHERE id = {late}"))
        .1
        .trim()
        .to_string();
    let t = ok_step(&head, late, "approve_extension", json!({}));
    assert!(t["due_at"].as_str().unwrap() > before.as_str(), "{t}");
    assert_eq!(t["extension_pending"], false);

    // A refusal needs its reason; a refused ticket can only be reopened.
    let (s, v) = step(
        &head,
        fresh,
        json!({"action": "refuse", "version": version(&head, fresh)}),
    );
    assert_eq!(s, 422, "{v}");
    ok_step(&head, fresh, "refuse", json!({"note": "重复上报"}));
    let (s, v) = step(
        &head,
        fresh,
        json!({"action": "accept", "version": version(&head, fresh)}),
    );
    assert_eq!((s, v["error"]["allowed"].clone()), (409, json!(["reopen"])));

    // The calendar and the district's limits are the district administrator's, not a
    // community's nor a worker's.
    let day = json!({"day": "2026-12-31", "workday": false, "name": "测试假日"});
    assert_eq!(worker.post("/api/v1/calendar-days", day.clone()).0, 403);
    assert_eq!(head.post("/api/v1/calendar-days", day.clone()).0, 403);
    let district = srv.api("quji");
    assert_eq!(district.post("/api/v1/calendar-days", day).0, 204);
    let (s, v) = district.post(
        "/api/v1/ticket-time-limits",
        json!({"code": "general", "amount": 5, "unit": "工作日"}),
    );
    assert_eq!(s, 200, "{v}");
    assert!(
        v["time_limits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["code"] == "general" && l["amount"] == 5)
    );

    // This month's figures, each with what it is made of.
    let (s, r) = head.get(&format!("/api/v1/nodes/{grid}/ticket-rates"));
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["reported"], 3, "{r}");
    // All three were accepted or refused at once: within a working day.
    assert_eq!(r["responded"]["numerator"], 3, "{r}");
    assert_eq!(r["responded"]["denominator"], 3, "{r}");
    assert_eq!(r["responded"]["percent"], 100.0, "{r}");
    assert_eq!(r["resolved"]["numerator"], 0, "{r}");
    assert_eq!(r["resolved"]["denominator"], 2, "{r}");
    assert!(
        r["satisfied"]["percent"].is_null(),
        "no evaluations yet: {r}"
    );
    let (s, _) = head.get(&format!(
        "/api/v1/nodes/{grid}/ticket-rates?from=2026-02-01&to=2026-01-01"
    ));
    assert_eq!(s, 422);
}

/// The pages: a worker reports on the phone form, the head accepts and dispatches from the
/// ticket's page, a step that is no longer possible is explained on the page, and the lists
/// show it.
#[test]
fn the_ticket_pages_report_and_take_steps() {
    use support::{Web, csrf_of};
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let room = a_room(&srv, grid);
    let worker = Web::login(&srv.base, "wangge");
    let (s, node_page, _) = worker.get(&format!("/nodes/{grid}"));
    assert_eq!(s, 200);
    assert!(
        node_page.contains(&format!("/nodes/{grid}/tickets")),
        "the node page links its tickets"
    );
    let (s, form, _) = worker.get(&format!("/nodes/{room}/tickets/new"));
    assert_eq!(s, 200);
    assert!(
        form.contains(">暴露垃圾<")
            && !form.contains("0102 暴露垃圾")
            && form.contains("name=\"urgency\""),
        "{form}"
    );
    let csrf = csrf_of(&form);
    // Without a title: the form comes back with the reason and what was typed.
    let (s, again, _) = worker.post_form(
        &format!("/nodes/{room}/tickets/new"),
        &[
            ("csrf", &csrf),
            ("category_code", "0102"),
            ("title", ""),
            ("location", "东门"),
        ],
    );
    assert_eq!(s, 422);
    assert!(again.contains("标题") && again.contains("东门"), "{again}");
    let (s, _, location) = worker.post_form(
        &format!("/nodes/{room}/tickets/new"),
        &[
            ("csrf", &csrf),
            ("node_id", &room.to_string()),
            ("category_code", "0102"),
            ("title", "东门垃圾桶满溢"),
            ("urgency", "normal"),
            ("source", "worker"),
        ],
    );
    assert_eq!(s, 303);
    let url = location.unwrap();
    let (_, page, _) = worker.get(&url);
    assert!(
        page.contains("东门垃圾桶满溢") && page.contains("已上报"),
        "{page}"
    );
    assert!(
        !page.contains("id=\"step-accept\""),
        "the worker doesn't accept"
    );

    let head = Web::login(&srv.base, "shuji");
    let (_, page, _) = head.get(&url);
    assert!(
        page.contains("id=\"step-accept\"") && page.contains("id=\"step-refuse\""),
        "{page}"
    );
    let version = |page: &str| {
        let mark = "name=\"version\" value=\"";
        let at = page.find(mark).unwrap() + mark.len();
        page[at..].split('"').next().unwrap().to_string()
    };
    let steps = format!("{url}/steps");
    let v1 = version(&page);
    let (s, _, _) = head.post_form(
        &steps,
        &[
            ("csrf", &csrf_of(&page)),
            ("version", &v1),
            ("action", "accept"),
        ],
    );
    assert_eq!(s, 303);
    // The same (now stale) form again: told on the page, nothing changed.
    let (s, told, _) = head.post_form(
        &steps,
        &[
            ("csrf", &csrf_of(&page)),
            ("version", &v1),
            ("action", "accept"),
        ],
    );
    assert_eq!(s, 409);
    assert!(
        told.contains("id=\"step-error\"") && told.contains("已受理"),
        "{told}"
    );
    let (_, page, _) = head.get(&url);
    let street = sql_int(
        &srv.db,
        "SELECT id FROM dispatch_targets WHERE name = '街道综治中心' AND community_id IS NULL",
    );
    assert!(page.contains(">街道综治中心<"), "the dispatch list: {page}");
    let (s, body, _) = head.post_form(
        &steps,
        &[
            ("csrf", &csrf_of(&page)),
            ("version", &version(&page)),
            ("action", "dispatch"),
            ("target_id", &street.to_string()),
        ],
    );
    assert_eq!(s, 303, "{body}");
    let (_, page, _) = head.get(&url);
    assert!(
        page.contains("已派遣") && page.contains("街道") && page.contains("处置期限"),
        "{page}"
    );
    assert!(page.contains("id=\"timeline\"") && page.contains("受理") && page.contains("派遣"));
    let (_, list, _) = worker.get(&format!("/nodes/{grid}/tickets"));
    assert!(list.contains("东门垃圾桶满溢"), "{list}");
    let (_, overdue, _) = worker.get(&format!("/nodes/{grid}/tickets?tab=overdue"));
    assert!(!overdue.contains("东门垃圾桶满溢"), "not overdue yet");
}

/// The benchmark's field work generator fills the first street with tickets and visits the
/// lists can read: overdue tickets most overdue first, visits counted for the due list.
#[test]
fn field_work_for_the_benchmark_loads_and_lists() {
    let srv = Server::start(300);
    let (ok, out, err) = support::run(&[
        "demo-field-work",
        "--db",
        &srv.db.url,
        "--tickets",
        "2000",
        "--visits",
        "500",
    ]);
    assert!(ok, "{out}{err}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM tickets"), 2000);
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM visits"), 500);
    let community = sql_int(
        &srv.db,
        &format!(
            "SELECT community_id FROM org_nodes WHERE id = {}",
            grid_of_wangge(&srv)
        ),
    );
    let head = srv.api("shuji");
    let (s, v) = head.get(&format!("/api/v1/nodes/{community}/tickets?overdue=true"));
    assert_eq!(s, 200, "{v}");
    let due: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["due_at"].as_str().unwrap())
        .collect();
    assert!(!due.is_empty(), "some generated tickets are overdue");
    assert!(due.windows(2).all(|w| w[0] <= w[1]), "most overdue first");
    // A new ticket keeps its own id after the bulk load.
    let room = a_room(&srv, grid_of_wangge(&srv));
    let id = report(&srv.api("wangge"), room, "0102", "批量之后的新事件");
    assert!(id > 2000, "{id}");
}

/// The settings page: a new 大类 and 小类 with its time limits, retiring it, a limit changed and
/// a holiday entered by the district administrator; bad codes are refused with the field
/// named; a grid worker may not.
#[test]
fn the_settings_page_changes_categories_limits_and_the_calendar() {
    let srv = Server::start(50);
    let head = Web::login(&srv.base, "quji");
    let (s, page, _) = head.get("/settings/tickets");
    assert_eq!(s, 200, "{page}");
    assert!(
        page.contains("0102 暴露垃圾") && page.contains("须拍近景远景"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let post = |fields: &[(&str, &str)]| {
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        head.post_form("/settings/tickets", &all)
    };
    assert_eq!(
        post(&[
            ("form", "category"),
            ("code", "14"),
            ("name", "非机动车管理")
        ])
        .0,
        303
    );
    let (s, _, _) = post(&[
        ("form", "category"),
        ("code", "1401"),
        ("name", "共享单车乱停放"),
        ("limit_normal", "quick"),
        ("limit_urgent", "urgent"),
    ]);
    assert_eq!(s, 303);
    let api = srv.api("quji");
    let (_, cat) = api.get("/api/v1/ticket-categories");
    let new = cat["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "1401")
        .unwrap()
        .clone();
    assert_eq!(
        (new["parent_code"].as_str(), new["limit_normal"].as_str()),
        (Some("14"), Some("quick"))
    );
    // Under a 大类 that doesn't exist, or a code that isn't one: refused, named.
    let (s, body, _) = post(&[("form", "category"), ("code", "1501"), ("name", "x")]);
    assert_eq!(s, 422);
    assert!(body.contains("大类 15 还没有"), "{body}");
    let (s, v) = api.post(
        "/api/v1/ticket-categories",
        serde_json::json!({"code": "1", "name": "x"}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("类别代码")),
        "{v}"
    );
    // Retired: no new reports under it, still listed on the page.
    assert_eq!(
        post(&[
            ("form", "category"),
            ("code", "1401"),
            ("name", "共享单车乱停放"),
            ("active", "0")
        ])
        .0,
        303
    );
    let (_, cat) = api.get("/api/v1/ticket-categories");
    assert!(!cat["categories"].to_string().contains("\"1401\""));
    let (_, page, _) = head.get("/settings/tickets");
    assert!(
        page.contains("1401 共享单车乱停放</strong> <span class=\"badge\">已停用"),
        "{page}"
    );
    // A limit and a holiday.
    assert_eq!(
        post(&[
            ("form", "limit"),
            ("code", "general"),
            ("amount", "5"),
            ("unit", "working_days")
        ])
        .0,
        303
    );
    let next_year = shequ_domain::clock::today().year() + 1;
    let day = format!("{next_year}-01-01");
    assert_eq!(
        post(&[
            ("form", "day"),
            ("day", &day),
            ("workday", "0"),
            ("name", "元旦")
        ])
        .0,
        303
    );
    let (_, page, _) = head.get("/settings/tickets");
    assert!(page.contains(&format!("{day} 元旦 · 放假")), "{page}");
    let (_, cat) = api.get("/api/v1/ticket-categories");
    let general = cat["time_limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "general")
        .unwrap()
        .clone();
    assert_eq!(general["amount"], 5);
    // Not for a grid worker.
    let worker = Web::login(&srv.base, "wangge");
    let (s, _, _) = worker.get("/settings/tickets");
    assert_eq!(s, 403);
}
