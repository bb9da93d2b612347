//! The catalogue's event figures (visits, patrols, 排查 and cases, tickets) over HTTP on a grid
//! built here, with the server's clock at a chosen day so periods are fixed; every expected
//! value is counted by hand below, on both databases. Also: a past period's 响应率 stays as it
//! was when the holiday calendar is edited afterwards.

use crate::support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::registry::{self, add_node as node, created};
use support::{Api, Server, sql_int};

/// A resident since 2020 in `room`.
fn resident(api: &Api, name: &str, born: &str, seq: u16, room: i64) -> i64 {
    registry::resident(api, (name, born, seq), room, "2020-01-01", None, json!({}))
}

/// The figures of `node` for `period`, by code.
fn figures(api: &Api, node: i64, period: &str) -> BTreeMap<String, Value> {
    let (s, v) = api.get(&format!("/api/v1/nodes/{node}/figures?period={period}"));
    assert_eq!(s, 200, "{period}: {v}");
    v["figures"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["amount"].clone()))
        .collect()
}

fn check(f: &BTreeMap<String, Value>, period: &str, expected: &[(&str, Value)]) {
    for (code, want) in expected {
        let got = f
            .get(*code)
            .unwrap_or_else(|| panic!("{period}: no {code}"));
        let got = match got["kind"].as_str() {
            Some("count") => got["value"].clone(),
            Some("rate") => json!([got["numerator"], got["denominator"]]),
            Some("mean") => json!([got["value"], got["count"]]),
            _ => panic!("{period} {code}: {got}"),
        };
        assert_eq!(&got, want, "{period} {code}");
    }
}

/// The server's clock reads 15 July 2025, 10:00 in Beijing (a Tuesday).
const NOW: &str = "2025-07-15T10:00:00+08:00";

#[test]
fn visits_patrols_disputes_and_tickets_are_counted_as_by_hand() {
    let srv = Server::start_with(100, &["--pretend-now", NOW]);
    let head = srv.api("shuji");
    let (_, me) = head.get("/api/v1/me");
    let community = me["scope"][0].as_i64().unwrap();
    let grid = node(&head, community, "grid", "统计事件网格");
    let building = node(&head, grid, "building", "事件楼");
    let unit = node(&head, building, "unit", "1单元");
    let room = node(&head, unit, "room", "101");
    let old = resident(&head, "孙老", "1940-05-05", 31, room);
    let young = resident(&head, "周青", "1995-05-05", 32, room);
    created(
        &head,
        &format!("/api/v1/persons/{old}/tags"),
        json!({"kind": "elderly_alone", "started_on": "2025-01-01", "values": {"category": "独居"}}),
    );

    // Visits: three in 2025 (two to 孙老), one at the end of 2024.
    for (person, kind, on) in [
        (old, "入户", "2025-03-03"),
        (old, "电话", "2025-07-01"),
        (young, "入户", "2025-02-10"),
        (young, "微信", "2024-12-30"),
    ] {
        created(
            &head,
            "/api/v1/visits",
            json!({"person_id": person, "kind": kind, "visited_on": on}),
        );
    }
    // Patrols: a safety patrol finding two problems (filed as two 事件 today), a fire patrol
    // finding none.
    created(
        &head,
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": "safety", "patrolled_on": "2025-05-05",
               "results": {"楼道堆物": "问题"},
               "problems": [
                   {"category_code": "0302", "title": "路灯不亮"},
                   {"category_code": "0304", "title": "健身器材松动"}]}),
    );
    created(
        &head,
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": "fire", "patrolled_on": "2025-06-06",
               "results": {"消防通道畅通": "正常"}}),
    );
    // 排查: a round that found nothing in March, a dispute found in May (two grid-months).
    for body in [
        json!({"screened_on": "2025-03-10", "disputes": []}),
        json!({"screened_on": "2025-05-12",
               "disputes": [{"type_code": "邻里纠纷", "summary": "楼上漏水"}]}),
    ] {
        let (s, v) = head.post(&format!("/api/v1/nodes/{grid}/screenings"), body);
        assert!(s == 201 || s == 200, "{v}");
    }
    // Cases: settled in April, withdrawn in June, one still open.
    let case = |type_code: &str, received: &str| {
        created(
            &head,
            "/api/v1/mediation-cases",
            json!({"node_id": grid, "type_code": type_code, "source": "来访",
                   "received_on": received, "summary": "双方因琐事发生争执。",
                   "parties": [{"side": "申请人", "name": "甲某"}, {"side": "被申请人", "name": "乙某"}]}),
        )
    };
    let settled = case("邻里纠纷", "2025-04-01");
    let withdrawn = case("婚姻家庭纠纷", "2025-06-01");
    case("邻里纠纷", "2025-07-01");
    for (id, body) in [
        (
            settled,
            json!({"outcome": "调解成功", "closed_on": "2025-04-20", "version": 1,
                   "agreement": "甲某负责修复。", "performance": "当场履行。"}),
        ),
        (
            withdrawn,
            json!({"outcome": "撤回", "closed_on": "2025-06-20", "version": 1, "note": "申请人撤回"}),
        ),
    ] {
        let (s, v) = head.post(&format!("/api/v1/mediation-cases/{id}/close"), body);
        assert_eq!(s, 200, "{v}");
    }
    // Tickets: the two from the patrol (today) and one a resident reports now; the head takes
    // up the first two at once.
    let (s, v) = head.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0602", "title": "夜间噪声",
               "source": "resident", "reporter_name": "陈阿姨"}),
    );
    assert_eq!(s, 201, "{v}");
    let ids: Vec<i64> = {
        let (ok, out) = srv.db.sql(&format!(
            "SELECT id FROM tickets WHERE node_id IN ({grid}, {room}) ORDER BY id"
        ));
        assert!(ok, "{out}");
        out.lines().map(|l| l.trim().parse().unwrap()).collect()
    };
    assert_eq!(ids.len(), 3, "{ids:?}");
    let (a, b, c) = (ids[0], ids[1], ids[2]);
    for id in [a, b] {
        let (_, t) = head.get(&format!("/api/v1/tickets/{id}"));
        let version = t["ticket"]["version"].as_i64().unwrap();
        let (s, v) = head.post(
            &format!("/api/v1/tickets/{id}/steps"),
            json!({"action": "accept", "version": version}),
        );
        assert_eq!(s, 200, "{v}");
    }
    // Taken up as the product recorded it: within its deadline.
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM tickets WHERE id IN ({a}, {b}) AND responded_at IS NOT NULL AND respond_by IS NOT NULL AND responded_at <= respond_by"
            )
        ),
        2
    );
    // Their histories, written as offices bring in last quarter's work: A closed five hours
    // after it came in, within its limit; B came in late on 30 June (Q2), was taken up only
    // after its deadline and closed ten hours later on 1 July (Q3), past its limit.
    let (ok, out) = srv.db.sql(&format!(
        "UPDATE tickets SET reported_at = '2025-07-15T02:00:00Z', closed_at = '2025-07-15T07:00:00Z',
            due_at = '2025-07-16T02:00:00Z' WHERE id = {a};
         UPDATE tickets SET reported_at = '2025-06-30T15:00:00Z', respond_by = '2025-07-01T00:00:00Z',
            accepted_at = '2025-07-01T00:30:00Z', responded_at = '2025-07-01T00:30:00Z',
            closed_at = '2025-07-01T01:00:00Z', due_at = '2025-07-01T00:00:00Z' WHERE id = {b};
         UPDATE tickets SET reported_at = '2025-07-15T02:00:00Z' WHERE id = {c};"
    ));
    assert!(ok, "{out}");

    let year = figures(&head, grid, "2025");
    check(
        &year,
        "2025",
        &[
            ("visits.total", json!(3)),
            ("visits.kind.home", json!(2)),
            ("visits.kind.phone", json!(1)),
            ("visits.kind.wechat", json!(0)),
            ("visits.people", json!(2)),
            ("visits.rule.elderly_alone.due", json!(1)),
            ("visits.rule.elderly_alone.visited", json!(1)),
            ("visits.rule.elderly_alone.coverage", json!([1, 1])),
            ("visits.rule.dibao.coverage", json!([0, 0])),
            ("patrols.total", json!(2)),
            ("patrols.type.safety", json!(1)),
            ("patrols.type.fire", json!(1)),
            ("patrols.with_problems", json!(1)),
            ("patrols.problems", json!(2)),
            ("disputes.rounds", json!(2)),
            ("disputes.found", json!(1)),
            ("disputes.found.neighbour", json!(1)),
            // One grid, January to July (the year so far): screened in March and May.
            ("grids.standing", json!(1)),
            ("disputes.screening_rate", json!([2, 7])),
            ("cases.received", json!(3)),
            ("cases.received.neighbour", json!(2)),
            ("cases.received.family", json!(1)),
            ("cases.closed", json!(1)),
            ("cases.success_rate", json!([1, 1])),
            ("cases.open", json!(1)),
            ("cases.overdue", json!(0)),
            ("tickets.reported", json!(3)),
            ("tickets.source.patrol", json!(2)),
            ("tickets.source.resident", json!(1)),
            ("tickets.category.03", json!(2)),
            ("tickets.category.06", json!(1)),
            // A within its deadline; B after; C not yet.
            ("tickets.response_rate", json!([1, 3])),
            ("tickets.resolution_rate", json!([2, 2])),
            ("tickets.on_time_rate", json!([1, 2])),
            // (5 + 10) / 2 hours.
            ("tickets.handling_hours", json!([7.5, 2])),
        ],
    );
    check(
        &figures(&head, grid, "2024"),
        "2024",
        &[
            ("visits.total", json!(1)),
            ("visits.kind.wechat", json!(1)),
            ("visits.rule.elderly_alone.due", json!(0)),
            ("tickets.reported", json!(0)),
        ],
    );
    // The quarters: B counts as reported in Q2 and as closed in Q3; at the end of Q2 it was
    // neither taken up nor closed.
    check(
        &figures(&head, grid, "2025Q2"),
        "2025Q2",
        &[
            ("tickets.reported", json!(1)),
            ("tickets.accepted", json!(0)),
            ("tickets.resolution_rate", json!([0, 0])),
            ("tickets.closed", json!(0)),
            ("patrols.total", json!(2)),
            ("disputes.screening_rate", json!([1, 3])),
            ("cases.success_rate", json!([1, 1])),
            // The June case was withdrawn; the July one not yet received.
            ("cases.open", json!(0)),
        ],
    );
    check(
        &figures(&head, grid, "2025Q3"),
        "2025Q3",
        &[
            ("tickets.reported", json!(2)),
            ("tickets.response_rate", json!([1, 2])),
            ("tickets.closed", json!(2)),
            ("tickets.on_time_rate", json!([1, 2])),
            ("tickets.handling_hours", json!([7.5, 2])),
            ("patrols.total", json!(0)),
            ("disputes.screening_rate", json!([0, 1])),
        ],
    );
    // `shequ report` gives the same figures, for scripts and as the summary's preview.
    let grid_id = grid.to_string();
    let report = |period: &str, format: &str| {
        support::run(&[
            "report",
            "--db",
            &srv.db.url,
            "--node",
            &grid_id,
            "--period",
            period,
            "--format",
            format,
            "--pretend-now",
            NOW,
        ])
    };
    let (ok, out, err) = report("2025", "json");
    assert!(ok, "{err}");
    let printed: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let (_, served) = head.get(&format!("/api/v1/nodes/{grid}/figures?period=2025"));
    assert_eq!(printed["nodes"][0], served);
    let (ok, md, err) = report("2025", "md");
    assert!(ok, "{err}");
    // The work summary's preview, in the default wording: the figures inline.
    for line in [
        "# 统计事件网格2025年工作总结",
        "累计走访3次，其中入户走访2次",
        "排查率28.6%",
        "平均办理时长7.5小时",
        "受理调解3件，调解成功1件，调成率100%。",
        "| 走访 | 3次 | 1次 | +200% |",
    ] {
        assert!(md.contains(line), "{line} not in:\n{md}");
    }
    // Nothing was tagged 低保 here: the sentence says nothing of it rather than 0.
    assert!(!md.contains("低保"), "{md}");
    let (ok, _, err) = report("2025Q5", "json");
    assert!(
        !ok && err.contains("--period") && err.contains("季度"),
        "{err}"
    );
    let (ok, _, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--node",
        "示范区/没有这个街道",
        "--period",
        "2025",
    ]);
    assert!(
        !ok && err.contains("--node") && err.contains("没有这个街道"),
        "{err}"
    );

    // The drill-down lists exactly the records behind a figure, each with its page.
    let records = |api: &Api, code: &str| {
        let (s, v) = api.get(&format!(
            "/api/v1/nodes/{grid}/figures/{code}/records?period=2025"
        ));
        (s, v)
    };
    for (code, shows, ids, link) in [
        (
            "tickets.closed_on_time",
            "ticket",
            vec![a],
            Some(format!("/tickets/{a}")),
        ),
        (
            "tickets.closed",
            "ticket",
            vec![a, b],
            Some(format!("/tickets/{a}")),
        ),
        (
            "cases.settled",
            "case",
            vec![settled],
            Some(format!("/mediation-cases/{settled}")),
        ),
        (
            "visits.rule.elderly_alone.visited",
            "person",
            vec![old],
            Some(format!("/people/{old}")),
        ),
        (
            "grids.standing",
            "node",
            vec![grid],
            Some(format!("/nodes/{grid}")),
        ),
        (
            "tickets.handling_hours",
            "ticket",
            vec![a, b],
            Some(format!("/tickets/{a}")),
        ),
    ] {
        let (s, v) = records(&head, code);
        assert_eq!(s, 200, "{code}: {v}");
        let got: Vec<i64> = v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            (v["shows"].as_str(), got, v["total"].as_u64()),
            (Some(shows), ids.clone(), Some(ids.len() as u64)),
            "{code}: {v}"
        );
        assert_eq!(v["records"][0]["link"].as_str(), link.as_deref(), "{code}");
    }
    // As many visits as counted (two 入户 in 2025), with no page of their own.
    let (s, v) = records(&head, "visits.kind.home");
    assert_eq!((s, v["total"].as_u64()), (200, Some(2)), "{v}");
    assert!(v["records"][0]["link"].is_null(), "{v}");
    // A rate has no records of its own; an unknown code is named.
    let (s, v) = records(&head, "tickets.on_time_rate");
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("指标")),
        "{v}"
    );
    let (s, v) = records(&head, "tickets.nonesuch");
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("指标")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tickets.nonesuch"),
        "{v}"
    );
    // A street officer with no grant here sees the figures of the street's grids but not the
    // people and records behind them.
    let street = srv.api("jiedao");
    let (s, v) = street.get(&format!(
        "/api/v1/nodes/{grid}/figures?period=2025&codes=tickets.closed"
    ));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["figures"][0]["amount"]["value"], 2, "{v}");
    let (s, v) = records(&street, "tickets.closed");
    assert_eq!(s, 403, "{v}");
    let (s, v) = records(&street, "grids.standing");
    assert_eq!((s, v["total"].as_u64()), (200, Some(1)), "{v}");
    // The pages' own figures are the catalogue's: the ticket rates and mediation rates of the
    // year so far.
    let (s, r) = head.get(&format!("/api/v1/nodes/{grid}/ticket-rates"));
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["from"].as_str(),
            r["reported"].as_i64(),
            &r["on_time"]["numerator"],
            &r["on_time"]["denominator"]
        ),
        (Some("2025-01-01"), Some(3), &json!(1), &json!(2)),
        "{r}"
    );
    let (s, m) = head.get(&format!("/api/v1/nodes/{grid}/mediation-rates"));
    assert_eq!(s, 200, "{m}");
    assert_eq!(
        (
            &m["screening_rate"]["numerator"],
            &m["screening_rate"]["denominator"],
            &m["cases_received"]
        ),
        (&json!(2), &json!(7), &json!(3)),
        "{m}"
    );
}

#[test]
fn editing_the_calendar_leaves_a_past_response_rate_as_it_was() {
    // Friday 10 January 2025, 17:30 in Beijing: the deadline to answer is Monday's end of work.
    let srv = Server::start_with(100, &["--pretend-now", "2025-01-10T17:30:00+08:00"]);
    let head = srv.api("shuji");
    let district = srv.api("quji");
    let (_, me) = head.get("/api/v1/me");
    let community = me["scope"][0].as_i64().unwrap();
    let grid = node(&head, community, "grid", "日历网格");
    let report = || {
        created(
            &head,
            "/api/v1/tickets",
            json!({"node_id": grid, "category_code": "0602", "title": "夜间噪声",
                   "source": "resident", "reporter_name": "陈阿姨"}),
        )
    };
    let first = report();
    let (_, t) = head.get(&format!("/api/v1/tickets/{first}"));
    let version = t["ticket"]["version"].as_i64().unwrap();
    let (s, v) = head.post(
        &format!("/api/v1/tickets/{first}/steps"),
        json!({"action": "accept", "version": version}),
    );
    assert_eq!(s, 200, "{v}");
    // As recorded: taken up on Monday morning at 10:00 (02:00 UTC).
    let (ok, out) = srv.db.sql(&format!(
        "UPDATE tickets SET responded_at = '2025-01-13T02:00:00Z', accepted_at = '2025-01-13T02:00:00Z' WHERE id = {first}"
    ));
    assert!(ok, "{out}");
    let rate = || {
        let (s, r) = head.get(&format!(
            "/api/v1/nodes/{grid}/ticket-rates?from=2025-01-01&to=2025-01-31"
        ));
        assert_eq!(s, 200, "{r}");
        (
            r["responded"]["numerator"].as_i64(),
            r["responded"]["denominator"].as_i64(),
        )
    };
    assert_eq!(rate(), (Some(1), Some(1)));
    let deadline = |id: i64| {
        let (ok, out) = srv
            .db
            .sql(&format!("SELECT respond_by FROM tickets WHERE id = {id}"));
        assert!(ok, "{out}");
        out.trim().to_string()
    };
    let before = deadline(first);
    assert!(before.starts_with("2025-01-13"), "{before}");
    // The district makes Saturday 11 January a working day (调休): answered on Monday, the
    // report would now be late, but its deadline was fixed when it came in.
    let (s, v) = district.post(
        "/api/v1/calendar-days",
        json!({"day": "2025-01-11", "workday": true, "name": "调休上班"}),
    );
    assert_eq!(s, 204, "{v}");
    assert_eq!(rate(), (Some(1), Some(1)));
    assert_eq!(deadline(first), before);
    // A report that comes in now is held to the new calendar: Saturday.
    let second = report();
    let after = deadline(second);
    assert!(after.starts_with("2025-01-11"), "{after}");
    // Reports stored before deadlines were kept get theirs when the server next starts, by
    // the calendar of then; the others keep what they have.
    let (ok, out) = srv.db.sql(&format!(
        "UPDATE tickets SET respond_by = NULL WHERE id = {second}"
    ));
    assert!(ok, "{out}");
    let db = srv.stop();
    let srv = Server::serve_with(db, &["--pretend-now", "2025-01-10T17:40:00+08:00"]);
    let (ok, out) = srv.db.sql(&format!(
        "SELECT respond_by FROM tickets WHERE id IN ({first}, {second}) ORDER BY id"
    ));
    assert!(ok, "{out}");
    let stored: Vec<&str> = out.lines().map(str::trim).collect();
    assert_eq!(stored, vec![before.as_str(), after.as_str()], "{out}");
}

#[test]
fn a_building_moved_mid_year_keeps_each_visit_in_the_grid_of_its_day() {
    let srv = Server::start_with(100, &["--pretend-now", NOW]);
    let head = srv.api("shuji");
    let (_, me) = head.get("/api/v1/me");
    let community = me["scope"][0].as_i64().unwrap();
    let east = node(&head, community, "grid", "东网格");
    let west = node(&head, community, "grid", "西网格");
    let building = node(&head, east, "building", "搬迁楼");
    let unit = node(&head, building, "unit", "1单元");
    let room = node(&head, unit, "room", "101");
    let person = resident(&head, "吴迁", "1960-08-08", 41, room);
    let visit = |on: &str| {
        created(
            &head,
            "/api/v1/visits",
            json!({"person_id": person, "kind": "入户", "visited_on": on}),
        )
    };
    let march = visit("2025-03-03");
    let june = visit("2025-06-30");
    // Today, 15 July, the building passes to the west grid; a visit follows the same day.
    let (s, v) = head.post(
        &format!("/api/v1/nodes/{building}/move"),
        json!({"parent_id": west}),
    );
    assert_eq!(s, 200, "{v}");
    let july = visit("2025-07-15");
    let visits = |grid: i64, period: &str| {
        let f = figures(&head, grid, period);
        (
            f["visits.total"]["value"].as_i64().unwrap(),
            f["people.total"]["value"].as_i64().unwrap(),
        )
    };
    // (visits, people on the as-of day)
    assert_eq!(visits(east, "2025"), (2, 0));
    assert_eq!(visits(west, "2025"), (1, 1));
    assert_eq!(visits(east, "2025H1"), (2, 1));
    assert_eq!(visits(west, "2025H1"), (0, 0));
    let ids = |grid: i64| {
        let (s, v) = head.get(&format!(
            "/api/v1/nodes/{grid}/figures/visits.total/records?period=2025"
        ));
        assert_eq!(s, 200, "{v}");
        v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(east), vec![march, june]);
    assert_eq!(ids(west), vec![july]);
}
