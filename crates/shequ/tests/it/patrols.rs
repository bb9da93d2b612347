//! 巡查 over HTTP: the seeded types and their checklists (editable by the community head), a
//! weekly river schedule due from the day it was made, a patrol answering the checklist whose
//! problems become 事件 and which takes the schedule off the due list, and bad input refused.

use crate::support;

use serde_json::json;
use support::{Server, grid_of_wangge, sql_int};

#[test]
fn schedules_patrols_and_their_problems() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let worker = srv.api("wangge");
    let head = srv.api("shuji");

    let (s, types) = worker.get("/api/v1/patrol-types");
    assert_eq!(s, 200);
    let names: Vec<&str> = types
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for wanted in [
        "安全巡查",
        "消防巡查",
        "河道巡查（河长制）",
        "食品安全检查",
        "垃圾分类巡查",
        "病媒防制巡查",
        "出租房治安查验",
        "森林防火巡查",
    ] {
        assert!(names.contains(&wanted), "{wanted}: {names:?}");
    }
    // The checklist is the district's, changed by its administrator, not by a community.
    let items = json!({"code": "river", "items": ["水面漂浮物", "岸坡垃圾", "排污口异常", "护栏及警示牌", "违规垂钓"]});
    assert_eq!(
        worker
            .post("/api/v1/patrol-types/checklist", items.clone())
            .0,
        403
    );
    assert_eq!(
        head.post("/api/v1/patrol-types/checklist", items.clone()).0,
        403
    );
    let (s, river) = srv
        .api("quji")
        .post("/api/v1/patrol-types/checklist", items);
    assert_eq!(s, 200, "{river}");
    assert_eq!(river["checklist"].as_array().unwrap().len(), 5);

    // A weekly river patrol, due from today.
    let (s, v) = head.post(
        "/api/v1/patrol-schedules",
        json!({"node_id": grid, "type_code": "river", "every_days": 7, "target": "凤凰河北岸 1 号桥至 3 号闸"}),
    );
    assert_eq!(s, 201, "{v}");
    let schedule = v["id"].as_i64().unwrap();
    let (s, due) = worker.get(&format!("/api/v1/nodes/{grid}/due-patrols"));
    assert_eq!(s, 200, "{due}");
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .any(|d| d["schedule_id"] == schedule && d["type_name"] == "河道巡查（河长制）")
    );

    // Bad patrols: an item not on the checklist, an answer that isn't one.
    for (results, field) in [
        (json!({"游泳": "正常"}), "检查项目"),
        (json!({"岸坡垃圾": "还行"}), "岸坡垃圾"),
    ] {
        let (s, v) = worker.post(
            "/api/v1/patrols",
            json!({"schedule_id": schedule, "results": results}),
        );
        assert_eq!((s, v["error"]["field"].as_str()), (422, Some(field)), "{v}");
    }
    // The patrol: two problems found, each a 事件 from the patrol.
    let (s, v) = worker.post(
        "/api/v1/patrols",
        json!({"schedule_id": schedule, "route": "1 号桥—3 号闸",
               "results": {"水面漂浮物": "问题", "岸坡垃圾": "问题", "排污口异常": "正常", "护栏及警示牌": "正常", "违规垂钓": "未查"},
               "problems": [
                   {"category_code": "0401", "title": "2 号桥下漂浮物聚集"},
                   {"category_code": "0403", "title": "北岸步道旁垃圾"}
               ]}),
    );
    assert_eq!(s, 201, "{v}");
    let tickets = v["ticket_ids"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    for t in tickets {
        let (_, t) = worker.get(&format!("/api/v1/tickets/{}", t.as_i64().unwrap()));
        assert_eq!(t["ticket"]["source"], "patrol");
        assert_eq!(t["ticket"]["location"], "1 号桥—3 号闸");
    }
    let (_, due) = worker.get(&format!("/api/v1/nodes/{grid}/due-patrols?days=0"));
    assert!(
        !due.as_array()
            .unwrap()
            .iter()
            .any(|d| d["schedule_id"] == schedule),
        "patrolled today, next due in a week: {due}"
    );
    let (_, due) = worker.get(&format!("/api/v1/nodes/{grid}/due-patrols?days=7"));
    let next = due
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["schedule_id"] == schedule)
        .expect("due again within 7 days");
    assert_eq!(next["overdue_days"], 0);
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT problems FROM patrols ORDER BY id DESC LIMIT 1"
        ),
        2
    );

    // A patrol without a schedule needs its type and place.
    let (s, v) = worker.post("/api/v1/patrols", json!({"node_id": grid}));
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("巡查类型")),
        "{v}"
    );
    let (s, v) = worker.post(
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": "fire", "results": {"消防通道畅通": "正常"}}),
    );
    assert_eq!(s, 201, "{v}");
}

/// The phone pages: the due schedule listed, the form with the type's checklist, a patrol
/// saved with one item answered 问题 and its problem raised as a 事件.
#[test]
fn the_patrol_pages_list_and_record() {
    use support::{Web, csrf_of};
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let (s, v) = srv.api("shuji").post(
        "/api/v1/patrol-schedules",
        json!({"node_id": grid, "type_code": "fire", "every_days": 30, "target": "3 幢地下车库"}),
    );
    assert_eq!(s, 201, "{v}");
    let schedule = v["id"].as_i64().unwrap();
    let web = Web::login(&srv.base, "wangge");
    let (s, list, _) = web.get(&format!("/nodes/{grid}/patrols"));
    assert_eq!(s, 200);
    let link = format!("/nodes/{grid}/patrols/new?type=fire&amp;schedule={schedule}");
    assert!(
        list.contains(&link) && list.contains("3 幢地下车库"),
        "{list}"
    );
    let (s, form, _) = web.get(&link.replace("&amp;", "&"));
    assert_eq!(s, 200);
    assert!(
        form.contains("消防通道畅通") && form.contains("name=\"item_0\""),
        "{form}"
    );
    let csrf = csrf_of(&form);
    let url = format!("/nodes/{grid}/patrols/new");
    let schedule = schedule.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("type", "fire"),
        ("schedule", schedule.as_str()),
        ("item_0", "问题"),
        ("item_1", "正常"),
        ("route", "车库东侧通道"),
        ("problem_category", "0201"),
        ("problem_title", "电动车堵塞消防通道"),
    ];
    // A blocked fire lane is a hazard: the page asks for the wide shot still missing, and
    // nothing is written.
    let close = support::png(16, 12, [90, 90, 90]);
    let wide = support::png(32, 24, [20, 140, 60]);
    let patrols_before = sql_int(&srv.db, "SELECT COUNT(*) FROM patrols");
    let (s, page, _) = web.multipart(
        &url,
        &fields,
        &[
            ("problem_photo_close", "IMG_0001.png", &close),
            ("problem_photo_wide", "", &[]),
        ],
    );
    assert_eq!(s, 422);
    assert!(page.contains("还缺远景"), "{page}");
    assert_eq!(
        sql_int(&srv.db, "SELECT COUNT(*) FROM patrols"),
        patrols_before
    );
    let (s, _, location) = web.multipart(
        &url,
        &fields,
        &[
            ("problem_photo_close", "IMG_0001.png", &close),
            ("problem_photo_wide", "IMG_0002.png", &wide),
        ],
    );
    assert_eq!(s, 303);
    let ticket = location.unwrap();
    assert!(ticket.starts_with("/tickets/"), "{ticket}");
    let (_, page, _) = web.get(&ticket);
    assert!(
        page.contains("电动车堵塞消防通道") && page.contains("已上报"),
        "{page}"
    );
    // Both photos are on the ticket page, served to its viewer as PNG.
    let srcs: Vec<&str> = page
        .split("<img src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(srcs.len(), 2, "{page}");
    let (s, ct, _, bytes) = web.download(srcs[1]);
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    assert_eq!(bytes, wide);
    // A 处置后 photo added later, from the ticket page.
    let after = support::png(10, 10, [250, 250, 250]);
    let (s, _, back) = web.multipart(
        &format!("{ticket}/attachments"),
        &[("csrf", csrf.as_str()), ("role", "after")],
        &[("photos", "done.png", &after)],
    );
    assert_eq!(s, 303);
    let (_, page, _) = web.get(&back.unwrap());
    assert!(page.contains("处置后：done.png"), "{page}");
    let (s, _, back) = web.multipart(
        &format!("{ticket}/attachments"),
        &[("csrf", csrf.as_str()), ("role", "after")],
        &[("photos", "病毒.exe", b"MZ\x90\x00")],
    );
    assert_eq!(s, 303);
    let (_, page, _) = web.get(&back.unwrap());
    assert!(page.contains("“病毒.exe”不是照片"), "{page}");
    let (ok, results) = srv
        .db
        .sql("SELECT results FROM patrols ORDER BY id DESC LIMIT 1");
    assert!(
        ok && results.contains("问题") && results.contains("消防通道畅通"),
        "{results}"
    );
    // Without a problem: back to the list, told it was saved; an answer that isn't one refused.
    let (s, _, location) = web.post_form(
        &url,
        &[("csrf", &csrf), ("type", "fire"), ("item_2", "正常")],
    );
    assert_eq!(s, 303);
    let (_, list, _) = web.get(&location.unwrap());
    assert!(list.contains("巡查已记录"), "{list}");
    let (s, again, _) = web.post_form(
        &url,
        &[("csrf", &csrf), ("type", "fire"), ("item_0", "不知道")],
    );
    assert_eq!(s, 422);
    assert!(again.contains("id=\"patrol-error\""), "{again}");
}
