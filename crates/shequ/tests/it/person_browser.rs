//! The person page on a 375 px phone, in a real headless Chromium: the grid worker opens a
//! resident, sees their visits, tickets and mediation cases, taps 记录走访 and records a visit
//! that then shows on the page, and taps 拨打电话 to get a `tel:` link with the full number —
//! which leaves an audit row — while the page itself shows the number masked.

use crate::support;

use serde_json::json;
use support::phone::{WAIT, fits, login};
use support::{Server, grid_of_wangge, sql_int};

#[test]
fn the_worker_sees_a_persons_work_records_a_visit_and_calls_them() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let person = sql_int(
        &srv.db,
        &format!(
            "SELECT p.id FROM persons p JOIN org_nodes g ON g.id = {grid}
             WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z'
             ORDER BY p.id LIMIT 1"
        ),
    );
    // The resident's phone, a visit that raised a ticket, and a dispute they are a party to.
    let head = srv.api("shuji");
    let (s, v) = head.get(&format!("/api/v1/persons/{person}"));
    assert_eq!(s, 200, "{v}");
    let phone = "13822223333";
    let (s, v) = head.send(
        "PUT",
        &format!("/api/v1/persons/{person}"),
        json!({"person": {"name": v["person"]["name"], "id_number": v["person"]["id_number"],
                          "doc_type": v["person"]["doc_type"], "doc_no": v["person"]["doc_no"],
                          "phone": phone}, "version": v["person"]["version"]}),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = head.post(
        "/api/v1/visits",
        json!({"person_id": person, "kind": "电话", "findings": "说楼道灯坏了",
               "problems": [{"category_code": "0102", "title": "三楼楼道灯不亮"}]}),
    );
    assert!(s == 200 || s == 201, "{v}");
    let (s, v) = head.post(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "邻里", "summary": "楼上漏水到楼下",
               "parties": [{"side": "applicant", "person_id": person},
                           {"side": "respondent", "name": "楼上住户"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let case_no = {
        let (_, c) = head.get(&format!(
            "/api/v1/mediation-cases/{}",
            v["id"].as_i64().unwrap()
        ));
        c["case_no"].as_str().unwrap().to_string()
    };

    let worker = login(&srv, "wangge");
    worker
        .goto(&format!("{}/people/{person}", srv.base))
        .unwrap();
    worker.wait_for("#visits", WAIT).unwrap();
    fits(&worker, "the person page");
    let page = worker.page_source().unwrap();
    assert!(!page.contains(phone), "the page shows the phone masked");
    assert!(
        worker
            .find("#phone")
            .unwrap()
            .text()
            .unwrap()
            .contains("138****3333"),
        "{page}"
    );
    let visits = worker.find("#visits").unwrap().text().unwrap();
    assert!(visits.contains("说楼道灯坏了"), "{visits}");
    let tickets = worker.find("#tickets").unwrap().text().unwrap();
    assert!(tickets.contains("三楼楼道灯不亮"), "{tickets}");
    let cases = worker.find("#cases").unwrap().text().unwrap();
    assert!(cases.contains(&case_no), "{cases}");

    // 记录走访: the visit form for this person; saved, it is back on the person's page.
    worker.find("#record-visit").unwrap().click().unwrap();
    worker.wait_for("#visit-form", WAIT).unwrap();
    fits(&worker, "the visit form");
    worker
        .find("textarea[name=findings]")
        .unwrap()
        .send_keys("本人在家，精神很好")
        .unwrap();
    worker.find("#save-visit").unwrap().click().unwrap();
    worker
        .wait_until_text_contains("#visits", "本人在家，精神很好", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", worker.page_source().unwrap_or_default()));
    assert!(
        worker
            .current_url()
            .unwrap()
            .ends_with(&format!("/people/{person}"))
    );
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM visits v JOIN users u ON u.id = v.user_id
                 WHERE v.person_id = {person} AND v.findings = '本人在家，精神很好' AND u.username = 'wangge'"
            ),
        ),
        1
    );

    // 拨打电话: a tel: link with the full number, and an audit row saying why.
    let audited = |who: &str| {
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM audit_log WHERE action = 'reveal' AND target = 'person:{person}'
                 AND username = '{who}' AND detail LIKE '%电话联系%'"
            ),
        )
    };
    assert_eq!(audited("wangge"), 0);
    worker
        .form("call")
        .unwrap()
        .find("button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    let dial = worker.wait_for("#dial", WAIT).unwrap();
    assert_eq!(
        dial.attr("href").unwrap().as_deref(),
        Some(format!("tel:{phone}").as_str())
    );
    fits(&worker, "the call page");
    assert_eq!(audited("wangge"), 1);
}
