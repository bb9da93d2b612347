//! Records take the day they really happened: one entered later is marked 补录 and audited, none
//! is dated in the future, and a period the community head has locked refuses back-dated
//! records of every kind with a message naming the lock, until the lock is released. Over
//! HTTP on the real server, on both databases, with the clock at a chosen day.

use crate::support;

use serde_json::{Value, json};
use support::registry::{add_node, resident};
use support::{Server, grid_of_wangge, sql_int};

/// The server's clock reads 15 July 2025, 10:00 in Beijing.
const NOW: &str = "2025-07-15T10:00:00+08:00";

fn refused(s: u16, v: &Value, field: &str, says: &[&str]) {
    assert_eq!((s, v["error"]["field"].as_str()), (422, Some(field)), "{v}");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    for w in says {
        assert!(message.contains(w), "{field}: “{message}” lacks {w}");
    }
}

#[test]
fn a_locked_period_refuses_back_dated_records_of_every_kind_until_released() {
    let srv = Server::start_with(100, &["--pretend-now", NOW]);
    let head = srv.api("shuji");
    let grid = grid_of_wangge(&srv);
    let (_, me) = head.get("/api/v1/me");
    let community = me["scope"][0].as_i64().unwrap();
    let building = add_node(&head, grid, "building", "补录楼");
    let room = add_node(&head, building, "room", "101");
    let person = resident(
        &head,
        ("郑补", "1970-03-03", 51),
        room,
        "2020-01-01",
        None,
        json!({}),
    );
    let visit = |on: &str| {
        head.post(
            "/api/v1/visits",
            json!({"person_id": person, "kind": "入户", "visited_on": on}),
        )
    };

    // Nothing locked: a visit of last week is 补录, today's is not; tomorrow's is refused.
    let (s, v) = visit("2025-07-08");
    assert_eq!(s, 201, "{v}");
    let late = v["id"].as_i64().unwrap();
    let (s, v) = visit("2025-07-15");
    assert_eq!(s, 201, "{v}");
    let today = v["id"].as_i64().unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT backdated FROM visits WHERE id = {late}")
        ),
        1
    );
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT backdated FROM visits WHERE id = {today}")
        ),
        0
    );
    let (s, v) = visit("2025-07-16");
    refused(s, &v, "走访日期", &["不能晚于今天"]);
    let (ok, audit) = srv.db.sql(&format!(
        "SELECT detail FROM audit_log WHERE action = 'visit.record' AND detail LIKE '%\"走访\":{late}%'"
    ));
    assert!(ok && audit.contains("\"补录\":true"), "{audit}");

    // The head locks the first half-year. Nobody else may.
    let lock = json!({"through_on": "2025-06-30", "reason": "2025年上半年工作总结已上报"});
    let worker = srv.api("wangge");
    assert_eq!(
        worker
            .send(
                "PUT",
                &format!("/api/v1/nodes/{grid}/period-lock"),
                lock.clone()
            )
            .0,
        403
    );
    let (s, v) = head.send(
        "PUT",
        &format!("/api/v1/nodes/{grid}/period-lock"),
        json!({"through_on": "2025-07-15", "reason": "今天"}),
    );
    refused(s, &v, "锁定至", &["已经过去"]);
    let (s, v) = head.send(
        "PUT",
        &format!("/api/v1/nodes/{grid}/period-lock"),
        json!({"through_on": "2025-06-30", "reason": " "}),
    );
    refused(s, &v, "锁定原因", &["请写明"]);
    let (s, v) = head.send("PUT", &format!("/api/v1/nodes/{grid}/period-lock"), lock);
    assert_eq!(s, 200, "{v}");
    let (s, v) = worker.get(&format!("/api/v1/nodes/{grid}/period-lock"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["community_id"].as_i64(), v["lock"]["through_on"].as_str()),
        (Some(community), Some("2025-06-30")),
        "{v}"
    );

    // Every kind of dated record is refused inside the lock, named by its own day.
    let says = ["2025-06-30", "已锁定", "2025年上半年工作总结已上报"];
    let (s, v) = visit("2025-06-30");
    refused(s, &v, "走访日期", &says);
    let (s, v) = head.post(
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": "fire", "patrolled_on": "2025-06-01",
               "results": {"消防通道畅通": "正常"}}),
    );
    refused(s, &v, "巡查日期", &says);
    let (s, v) = head.post(
        &format!("/api/v1/nodes/{grid}/screenings"),
        json!({"screened_on": "2025-05-05", "disputes": []}),
    );
    refused(s, &v, "排查日期", &says);
    let case = |received: &str| {
        head.post(
            "/api/v1/mediation-cases",
            json!({"node_id": grid, "type_code": "邻里纠纷", "source": "来访",
                   "received_on": received, "summary": "楼上漏水。",
                   "parties": [{"side": "申请人", "name": "甲某"}, {"side": "被申请人", "name": "乙某"}]}),
        )
    };
    let (s, v) = case("2025-06-20");
    refused(s, &v, "受理日期", &says);
    // A case received after the lock can't be closed back inside it.
    let (s, v) = case("2025-07-01");
    assert_eq!(s, 201, "{v}");
    let case_id = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        &format!("/api/v1/mediation-cases/{case_id}/close"),
        json!({"outcome": "撤回", "closed_on": "2025-06-30", "version": 1, "note": "撤回"}),
    );
    assert_eq!(s, 422, "{v}");
    // Nothing of the refused was stored; a day after the lock is still open.
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT count(*) FROM visits WHERE person_id = {person}")
        ),
        2
    );
    let (s, v) = visit("2025-07-01");
    assert_eq!(s, 201, "{v}");

    // Released, with a reason: the back-dated visit goes in, marked.
    let release = format!("/api/v1/nodes/{grid}/period-lock/release");
    let (s, v) = head.post(&release, json!({"reason": ""}));
    refused(s, &v, "解除原因", &["请写明"]);
    let (s, v) = head.post(&release, json!({"reason": "补录上级反馈的漏报走访"}));
    assert_eq!(s, 204, "{v}");
    let (s, v) = head.post(&release, json!({"reason": "再解除一次"}));
    assert_eq!(s, 409, "{v}");
    let (s, v) = visit("2025-06-30");
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT backdated FROM visits WHERE id = {id}")
        ),
        1
    );
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM audit_log WHERE action IN ('period.lock', 'period.release')"
        ),
        2
    );

    // The lists say which records are 补录: the person's visits, the 排查 register, a case.
    let (s, v) = head.get(&format!("/api/v1/persons/{person}/visits"));
    assert_eq!(s, 200, "{v}");
    let marks: Vec<(String, bool)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["visited_on"].as_str().unwrap().to_string(),
                p["backdated"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        marks,
        [
            ("2025-07-15".to_string(), false),
            ("2025-07-08".to_string(), true),
            ("2025-07-01".to_string(), true),
            ("2025-06-30".to_string(), true)
        ]
    );
    for on in ["2025-07-15", "2025-07-10"] {
        let (s, v) = head.post(
            &format!("/api/v1/nodes/{grid}/screenings"),
            json!({"screened_on": on, "disputes": []}),
        );
        assert!(s == 200 || s == 201, "{v}");
    }
    let (s, v) = head.get(&format!(
        "/api/v1/nodes/{grid}/screenings?from=2025-07-10&to=2025-07-15"
    ));
    assert_eq!(s, 200, "{v}");
    let rounds: Vec<(&str, bool)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["screened_on"].as_str().unwrap(),
                r["backdated"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(rounds, [("2025-07-15", false), ("2025-07-10", true)]);
    let (s, v) = head.get(&format!("/api/v1/mediation-cases/{case_id}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["backdated"], true, "received 1 July, entered on the 15th");
}
