//! The field work on two 375 px phones, in a real headless Chromium: the grid worker opens
//! "走访", records a visit to a person who is due and raises the problem found; the community
//! head accepts and dispatches it; the worker handles it and checks it on site; the head closes
//! it and records the resident's evaluation. Every page fits the phone.

use crate::support;

use std::time::Duration;

use serde_json::json;
use support::phone::{WAIT, fits, login};
use support::webdriver::Browser;
use support::{Server, first_resident, grid_of_wangge, sql_int};

/// Presses the button of the step form `action` on the ticket page and waits for the state.
fn take(br: &Browser, action: &str, state: &str) {
    br.form(&format!("step-{action}"))
        .unwrap()
        .find("button")
        .unwrap()
        .click()
        .unwrap();
    br.wait_until_text_contains("#ticket-state", state, WAIT)
        .unwrap_or_else(|e| {
            panic!(
                "{action} → {state}: {e}\n{}",
                br.page_source().unwrap_or_default()
            )
        });
    fits(br, &format!("the ticket after {action}"));
}

#[test]
fn a_visit_raises_a_problem_that_is_dispatched_handled_checked_closed_and_rated() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    // Someone living alone in the grid, in the group since last month: due for a visit.
    let person = sql_int(
        &srv.db,
        &format!(
            "SELECT p.id FROM persons p JOIN org_nodes g ON g.id = {grid}
             WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z'
               AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.person_id = p.id) ORDER BY p.id LIMIT 1"
        ),
    );
    let started = (shequ_domain::clock::today() - chrono::Duration::days(40)).to_string();
    let (s, v) = srv.api("wangge").post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "elderly_alone", "started_on": started, "values": {"category": "独居"}}),
    );
    assert_eq!(s, 201, "{v}");

    // The worker: 走访 → the person → the problem → 保存.
    let worker = login(&srv, "wangge");
    worker
        .goto(&format!("{}/nodes/{grid}/visits", srv.base))
        .unwrap();
    worker.wait_until_text_contains("h1", "走访", WAIT).unwrap();
    fits(&worker, "my visits");
    worker
        .find(&format!("a[href^='/persons/{person}/visits/new']"))
        .unwrap()
        .click()
        .unwrap();
    worker.wait_for("#visit-form", WAIT).unwrap();
    fits(&worker, "the visit form");
    worker.form("visit-form").unwrap();
    worker
        .find("#visit-form details summary")
        .unwrap()
        .click()
        .unwrap();
    worker
        .execute(
            "document.querySelector(\"select[name=problem_category]\").value = '0206';",
            vec![],
        )
        .unwrap();
    worker
        .find("input[name=problem_title]")
        .unwrap()
        .send_keys("厨房电线老化，插座发烫")
        .unwrap();
    // A hazard without its photos: the page says which are missing and keeps what was typed.
    worker.find("#save-visit").unwrap().click().unwrap();
    worker
        .wait_until_text_contains("#visit-error", "还缺近景、远景", WAIT)
        .unwrap();
    assert_eq!(
        worker
            .find("input[name=problem_title]")
            .unwrap()
            .value()
            .unwrap(),
        "厨房电线老化，插座发烫"
    );
    // A hazard: one close-up and one wide shot, chosen as the phone's camera would hand them.
    let dir = std::env::temp_dir().join(format!("shequ-photos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (field, w) in [("problem_photo_close", 40), ("problem_photo_wide", 80)] {
        let path = dir.join(format!("{field}.png"));
        std::fs::write(&path, support::png(w, 30, [180, 60, 30])).unwrap();
        worker
            .find(&format!("input[name={field}]"))
            .unwrap()
            .send_keys(path.to_str().unwrap())
            .unwrap();
    }
    worker.find("#save-visit").unwrap().click().unwrap();
    worker
        .wait_until_text_contains("#ticket-state", "已上报", WAIT)
        .unwrap();
    fits(&worker, "the raised ticket");
    let widths = worker
        .execute(
            "return Promise.all([...document.querySelectorAll('#photos img')].map(i => i.decode().then(() => i.naturalWidth)));",
            vec![],
        )
        .unwrap();
    assert_eq!(widths, json!([40, 80]), "both photos shown on the ticket");
    let ticket_url = worker.current_url().unwrap();
    assert!(ticket_url.contains("/tickets/"), "{ticket_url}");

    // The head: 受理, 派遣 to the property company.
    let head = login(&srv, "shuji");
    head.goto(&ticket_url).unwrap();
    head.wait_for("#step-accept", WAIT).unwrap();
    take(&head, "accept", "已受理");
    // The community's own list: picked, not typed.
    let target = head
        .execute(
            "return [...document.querySelectorAll('#step-dispatch select[name=target_id] option')].find(o => o.text === '小区物业服务中心').value;",
            vec![],
        )
        .unwrap();
    head.find(&format!(
        "#step-dispatch select[name=target_id] option[value='{}']",
        target.as_str().unwrap()
    ))
    .unwrap()
    .click()
    .unwrap();
    take(&head, "dispatch", "已派遣");

    // The worker: handles it, reports back, checks it on site.
    worker.goto(&ticket_url).unwrap();
    worker.wait_for("#step-start", WAIT).unwrap();
    take(&worker, "start", "处置中");
    worker
        .find("#step-feedback textarea[name=note]")
        .unwrap()
        .send_keys("物业已更换电线和插座")
        .unwrap();
    take(&worker, "feedback", "已反馈待核查");
    take(&worker, "verify_pass", "核查通过待结案");

    // The head closes it and records what the resident said on the phone callback.
    head.goto(&ticket_url).unwrap();
    head.wait_for("#step-close", WAIT).unwrap();
    take(&head, "close", "已结案");
    head.find("#step-rate input[value='满意']")
        .unwrap()
        .click()
        .unwrap();
    take(&head, "rate", "已评价");
    head.wait_until_text_contains("#ticket-rating", "电话回访", WAIT)
        .unwrap();
    let timeline = head.find("#timeline").unwrap().text().unwrap();
    for step in [
        "上报",
        "受理",
        "派遣",
        "开始处置",
        "处置反馈",
        "核查通过",
        "结案",
        "评价",
    ] {
        assert!(
            timeline.contains(step),
            "{step} missing from the timeline: {timeline}"
        );
    }
    let _ = head.screenshot_png(std::env::temp_dir().join("shequ-ticket-375.png"));

    // The visit counted: the person is no longer overdue nor due this week (at most listed
    // for later, a month from now).
    worker
        .goto(&format!("{}/nodes/{grid}/visits", srv.base))
        .unwrap();
    worker.wait_until_text_contains("h1", "走访", WAIT).unwrap();
    let section = worker
        .execute(
            "const a = document.querySelector(`a[data-person='${arguments[0]}']`); return a ? a.closest('section').id : null;",
            vec![json!(person)],
        )
        .unwrap();
    assert!(
        section.is_null() || section == "due-later",
        "the visited person is still due: {section}"
    );
}

/// ux.md: what a worker typed must not be lost when the signal drops. The draft survives
/// leaving the form, and a visit saved with no network waits on the phone (photo included)
/// and is sent by itself when the network returns.
#[test]
fn a_half_filled_visit_survives_a_dropped_connection_and_is_sent_when_it_returns() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let (person, _) = first_resident(&srv, grid);
    let visits_of = |findings: &str| {
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM visits WHERE person_id = {person} AND findings = '{findings}' AND kind = '电话'"
            ),
        )
    };
    let form = format!("{}/persons/{person}/visits/new?back={grid}", srv.base);
    let worker = login(&srv, "wangge");
    worker.goto(&form).unwrap();
    worker.wait_for("#visit-form", WAIT).unwrap();
    worker
        .find("textarea[name=findings]")
        .unwrap()
        .send_keys("老人说最近血压偏高")
        .unwrap();
    // Called away: the form is left and opened again later. What was typed is still there.
    worker
        .goto(&format!("{}/nodes/{grid}/visits", srv.base))
        .unwrap();
    worker.wait_until_text_contains("h1", "走访", WAIT).unwrap();
    worker.goto(&form).unwrap();
    worker
        .wait_until_text_contains("#outbox-status", "已恢复", WAIT)
        .unwrap();
    assert_eq!(
        worker
            .find("textarea[name=findings]")
            .unwrap()
            .value()
            .unwrap(),
        "老人说最近血压偏高"
    );

    // The stairwell: no network. The rest is typed, a photo added, and 保存 pressed.
    worker.set_offline(true).unwrap();
    worker
        .find("textarea[name=findings]")
        .unwrap()
        .send_keys("，已提醒按时服药")
        .unwrap();
    worker
        .find("input[name=kind][value='电话']")
        .unwrap()
        .click()
        .unwrap();
    let photo = std::env::temp_dir().join(format!("shequ-offline-{}.png", std::process::id()));
    std::fs::write(&photo, support::png(24, 24, [10, 200, 10])).unwrap();
    worker
        .execute(
            "document.querySelectorAll('#visit-form details').forEach(d => d.open = true);",
            vec![],
        )
        .unwrap();
    worker
        .find("input[name=photos]")
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .unwrap();
    worker.find("#save-visit").unwrap().click().unwrap();
    worker
        .wait_until_text_contains("#outbox-status", "联网后自动提交", WAIT)
        .unwrap();
    let full = "老人说最近血压偏高，已提醒按时服药";
    assert_eq!(
        visits_of(full),
        0,
        "nothing reached the server while offline"
    );

    // The network returns: the visit goes by itself, with its photo, exactly once.
    worker.set_offline(false).unwrap();
    worker
        .wait_until_text_contains("#outbox-status", "已自动提交", Duration::from_secs(30))
        .unwrap();
    assert_eq!(visits_of(full), 1);
    let photos = sql_int(
        &srv.db,
        &format!(
            "SELECT COUNT(*) FROM attachments a JOIN visits v ON v.id = a.owner_id AND a.owner_kind = 'visit'
             WHERE v.person_id = {person} AND a.media_type = 'image/png'"
        ),
    );
    assert_eq!(photos, 1);
    // The draft is gone once sent: the form opens empty.
    worker.goto(&form).unwrap();
    worker.wait_for("#visit-form", WAIT).unwrap();
    assert_eq!(
        worker
            .find("textarea[name=findings]")
            .unwrap()
            .value()
            .unwrap(),
        ""
    );
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(visits_of(full), 1, "sent once, not again by a later retry");
}

/// The mediation, settings and 随手拍 pages fit a 375 px phone too.
#[test]
fn the_mediation_settings_and_public_report_pages_fit_a_phone() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let (s, v) = srv.api("shuji").post(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "劳资", "source": "转办", "referred_by": "区总工会职工法律援助中心",
               "employer": "某某餐饮管理有限公司", "summary": "厨师王某某主张拖欠加班费",
               "parties": [{"side": "applicant", "name": "王某某", "id_number": "110105198001010032", "phone": "13800001234"},
                           {"side": "respondent", "name": "某某餐饮管理有限公司"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let case = v["id"].as_i64().unwrap();
    let web = support::Web::login(&srv.base, "shuji");
    let (_, page, _) = web.get(&format!("/nodes/{community}/report-links"));
    let (s, _, _) = web.post_form(
        &format!("/nodes/{community}/report-links"),
        &[("csrf", &support::csrf_of(&page)), ("name", "1幢大堂")],
    );
    assert_eq!(s, 303);
    let (ok, slug) = srv.db.sql("SELECT slug FROM report_links");
    assert!(ok, "{slug}");
    let head = login(&srv, "shuji");
    for (path, wait) in [
        (format!("/nodes/{grid}/mediation"), "#mediation-rates"),
        (format!("/nodes/{grid}/mediation/new"), "#case-form"),
        (format!("/mediation-cases/{case}"), "#case-events"),
        (format!("/nodes/{community}/report-links"), "#links"),
        ("/settings/tickets".to_string(), "#categories"),
        (format!("/r/{}", slug.trim()), "#public-report"),
    ] {
        head.goto(&format!("{}{path}", srv.base)).unwrap();
        head.wait_for(wait, WAIT)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        fits(&head, &path);
    }
}
