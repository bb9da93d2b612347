//! The field forms as a worker uses them on a 375 px phone, in a real headless Chromium with
//! `field.js` and the service worker running: a mediation case opened from its page, a patrol
//! checklist answered row by row, a refused hazard report corrected without losing its photo,
//! and a round of visits done in a stairwell with no signal at all (the server stopped, so no
//! request can reach it), then logging out, after which nothing is left on the phone.

use crate::support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use support::phone::login;
use support::webdriver::Browser;
use support::{Server, grid_of_wangge, sql_int};

const WAIT: Duration = Duration::from_secs(20);

fn page(br: &Browser) -> String {
    br.page_source().unwrap_or_default()
}

/// Waits until `script` returns true (polled every 200 ms).
fn wait_true(br: &Browser, script: &str, what: &str) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if br.execute(script, vec![]).ok() == Some(Value::Bool(true)) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            page(br)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Issue 11, item 1: 登记 on the mediation page used to end on a blank page reading "Form
/// requests must have `Content-Type: application/x-www-form-urlencoded`" — the draft script
/// sent the form as multipart. Opened from the page, the case is stored with its parties.
#[test]
fn a_mediation_case_is_opened_from_its_page_on_a_phone() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let head = login(&srv, "shuji");
    head.goto(&format!("{}/nodes/{grid}/mediation/new", srv.base))
        .unwrap();
    head.wait_for("#case-form", WAIT).unwrap();
    head.form("case-form").unwrap();
    for (name, value) in [
        ("a_name", "刘某某"),
        ("a_phone", "13800001234"),
        ("a_address", "3幢1单元502"),
        ("b_name", "陈某某"),
        ("b_address", "3幢1单元602"),
    ] {
        head.find(&format!("input[name={name}]"))
            .unwrap()
            .send_keys(value)
            .unwrap();
    }
    head.find("textarea[name=summary]")
        .unwrap()
        .send_keys("602卫生间漏水渗到502，双方对维修费用分担有争议")
        .unwrap();
    head.find("#open-case").unwrap().click().unwrap();
    head.wait_for("#case-state", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&head)));
    let text = head.find("main").unwrap().text().unwrap();
    assert!(!text.contains("Content-Type"), "{text}");
    let url = head.current_url().unwrap();
    let case: i64 = url
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a case page: {url}"));
    let (s, v) = srv
        .api("shuji")
        .get(&format!("/api/v1/mediation-cases/{case}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["summary"], "602卫生间漏水渗到502，双方对维修费用分担有争议",
        "{v}"
    );
    let parties: Vec<(String, String)> = v["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["side"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        parties,
        vec![
            ("applicant".to_string(), "刘某某".to_string()),
            ("respondent".to_string(), "陈某某".to_string())
        ],
        "{v}"
    );
    assert_eq!(v["parties"][0]["address"], "3幢1单元502", "{v}");
}

/// Issue 11, item 2: each checklist row is its own 正常/问题/未查 choice. Rows answered
/// differently are stored each with its own answer.
#[test]
fn each_patrol_checklist_row_keeps_its_own_answer() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let (s, types) = srv.api("wangge").get("/api/v1/patrol-types");
    assert_eq!(s, 200, "{types}");
    let safety = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "safety")
        .unwrap_or_else(|| panic!("no safety patrol type: {types}"));
    let items: Vec<String> = safety["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    assert!(items.len() >= 4, "{items:?}");
    // Every row a different answer from its neighbour, the last two alike.
    let answers = ["问题", "未查", "正常", "问题"];
    // A shop in the grid, which the patrol goes into.
    let (s, v) = srv.api("wangge").post(
        "/api/v1/units",
        json!({"node_id": grid, "name": "巡查便利店", "kind": "商铺"}),
    );
    assert_eq!(s, 201, "{v}");
    let shop = v["id"].as_i64().unwrap();
    let worker = login(&srv, "wangge");
    worker
        .goto(&format!(
            "{}/nodes/{grid}/patrols/new?type=safety",
            srv.base
        ))
        .unwrap();
    worker.wait_for("#patrol-form", WAIT).unwrap();
    worker.form("patrol-form").unwrap();
    for (row, answer) in answers.iter().enumerate() {
        worker
            .find(&format!(
                "#patrol-form > fieldset:nth-of-type({}) input[value='{answer}']",
                row + 1
            ))
            .unwrap()
            .click()
            .unwrap();
    }
    // What the phone shows before saving: each row still holds what was tapped.
    let shown = worker
        .execute(
            "return [...document.querySelectorAll('#patrol-form > fieldset')].map(f => { const c = f.querySelector('input:checked'); return c ? c.value : null; });",
            vec![],
        )
        .unwrap();
    let mut expected_shown: Vec<Value> = answers.iter().map(|a| json!(a)).collect();
    expected_shown.extend(std::iter::repeat_n(
        json!("正常"),
        items.len() - answers.len(),
    ));
    assert_eq!(shown, Value::Array(expected_shown), "{}", page(&worker));
    worker
        .find("input[name=route]")
        .unwrap()
        .send_keys("1幢至3幢楼道")
        .unwrap();
    worker
        .find("#patrol-units summary")
        .unwrap()
        .click()
        .unwrap();
    worker
        .find(&format!("input[name=unit_{shop}]"))
        .unwrap()
        .click()
        .unwrap();
    worker.find("#save-patrol").unwrap().click().unwrap();
    worker
        .wait_until_text_contains("h1", "巡查", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    wait_true(
        &worker,
        "return location.search.includes('saved=1');",
        "the due patrols page after saving",
    );
    let (ok, out) = srv
        .db
        .sql("SELECT results FROM patrols WHERE route = '1幢至3幢楼道'");
    assert!(ok, "{out}");
    let stored: BTreeMap<String, String> =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("stored results {out:?}: {e}"));
    let mut expected: BTreeMap<String, String> = items
        .iter()
        .map(|i| (i.clone(), "正常".to_string()))
        .collect();
    for (item, answer) in items.iter().zip(answers) {
        expected.insert(item.clone(), answer.to_string());
    }
    assert_eq!(stored, expected);
    // The shop ticked is recorded as checked by this patrol.
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM patrol_units pu JOIN patrols p ON p.id = pu.patrol_id \
                 WHERE p.route = '1幢至3幢楼道' AND pu.unit_id = {shop}"
            )
        ),
        1
    );
}

/// Issue 11, item 3: a worker's 安全隐患 report with only the close-up is refused; the error
/// is in view (not at the top of a page scrolled down to 上报), and what was typed and the
/// photo already chosen are still there. The wide shot added, the report goes with both.
#[test]
fn a_refused_hazard_report_keeps_its_photo_and_shows_the_error_in_view() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let worker = login(&srv, "wangge");
    worker
        .goto(&format!("{}/nodes/{grid}/tickets/new", srv.base))
        .unwrap();
    worker.wait_for("#ticket-form", WAIT).unwrap();
    worker.form("ticket-form").unwrap();
    worker
        .execute(
            "document.querySelector('select[name=category_code]').value = '0206';",
            vec![],
        )
        .unwrap();
    worker
        .find("input[name=title]")
        .unwrap()
        .send_keys("5幢地下车库电线裸露")
        .unwrap();
    worker
        .find("textarea[name=description]")
        .unwrap()
        .send_keys("靠近B2出口，线头离地一米")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("shequ-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let close = dir.join("close.png");
    let wide = dir.join("wide.png");
    std::fs::write(&close, support::png(40, 30, [200, 20, 20])).unwrap();
    std::fs::write(&wide, support::png(90, 30, [20, 20, 200])).unwrap();
    worker
        .find("input[name=photo_close]")
        .unwrap()
        .send_keys(close.to_str().unwrap())
        .unwrap();
    // 上报 is at the bottom of the form: the page is scrolled there when it is pressed.
    let submit = worker.find("#ticket-form button[type=submit]").unwrap();
    worker
        .execute(
            "arguments[0].scrollIntoView({block: 'end'});",
            vec![submit.as_arg()],
        )
        .unwrap();
    submit.click().unwrap();
    let error = worker
        .wait_for("#ticket-error", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    assert!(
        error.text().unwrap().contains("远景"),
        "{}",
        error.text().unwrap()
    );
    wait_true(
        &worker,
        "const r = document.querySelector('#ticket-error').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;",
        "the error scrolled into view",
    );
    assert_eq!(
        worker.find("input[name=title]").unwrap().value().unwrap(),
        "5幢地下车库电线裸露"
    );
    assert_eq!(
        worker
            .find("textarea[name=description]")
            .unwrap()
            .value()
            .unwrap(),
        "靠近B2出口，线头离地一米"
    );
    let chosen = worker
        .execute(
            "const f = document.querySelector('input[name=photo_close]').files; return f.length === 1 ? f[0].name : null;",
            vec![],
        )
        .unwrap();
    assert_eq!(
        chosen,
        json!("close.png"),
        "the chosen close-up was dropped"
    );
    let marked = worker
        .execute(
            "return document.querySelector('input[name=photo_wide]').getAttribute('aria-invalid');",
            vec![],
        )
        .unwrap();
    assert_eq!(marked, json!("true"), "the missing wide shot is marked");

    worker
        .find("input[name=photo_wide]")
        .unwrap()
        .send_keys(wide.to_str().unwrap())
        .unwrap();
    worker
        .find("#ticket-form button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    worker
        .wait_until_text_contains("#ticket-state", "已上报", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    let url = worker.current_url().unwrap();
    let ticket: i64 = url
        .rsplit('/')
        .next()
        .and_then(|s| s.split('#').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a ticket page: {url}"));
    let (s, v) = srv.api("wangge").get(&format!("/api/v1/tickets/{ticket}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["title"], "5幢地下车库电线裸露", "{v}");
    let mut photos: Vec<(String, i64)> = v["ticket"]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["role"].as_str().unwrap().to_string(),
                a["size"].as_i64().unwrap(),
            )
        })
        .collect();
    photos.sort();
    assert_eq!(
        photos,
        vec![
            (
                "close".to_string(),
                std::fs::metadata(&close).unwrap().len() as i64
            ),
            (
                "wide".to_string(),
                std::fs::metadata(&wide).unwrap().len() as i64
            ),
        ],
        "{v}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two people due for a visit in the worker's grid, due because they joined a group that is
/// visited monthly, 40 days ago.
fn two_due_people(srv: &Server, grid: i64) -> (i64, i64) {
    let mut ids = Vec::new();
    let (ok, out) = srv.db.sql(&format!(
        "SELECT p.id FROM persons p JOIN org_nodes g ON g.id = {grid}
         WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z'
           AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.person_id = p.id) ORDER BY p.id LIMIT 2"
    ));
    assert!(ok, "{out}");
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        ids.push(line.trim().parse::<i64>().unwrap());
    }
    assert_eq!(ids.len(), 2, "{out}");
    let started = (shequ_domain::clock::today() - chrono::Duration::days(40)).to_string();
    for p in &ids {
        let (s, v) = srv.api("wangge").post(
            &format!("/api/v1/persons/{p}/tags"),
            json!({"kind": "elderly_alone", "started_on": started, "values": {"category": "独居"}}),
        );
        assert_eq!(s, 201, "{v}");
    }
    (ids[0], ids[1])
}

/// Fills the open visit form as a phone call and presses 保存 with no way to reach the
/// server: the visit waits on the phone.
fn visit_without_signal(br: &Browser, findings: &str) {
    br.wait_for("#visit-form", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(br)));
    br.find("textarea[name=findings]")
        .unwrap()
        .send_keys(findings)
        .unwrap();
    br.find("input[name=kind][value='电话']")
        .unwrap()
        .click()
        .unwrap();
    br.find("#save-visit").unwrap().click().unwrap();
    br.wait_until_text_contains("#outbox-status", "联网后自动提交", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(br)));
}

/// Issue 11, item 7: the due list opened at the building door; the signal lost in the stairwell
/// (the server stopped: nothing reaches it) before the second person is opened. Both visits
/// are filled and queued, the patrol and report forms open too, and everything is stored once
/// the network is back. Then logging out leaves nothing: cut off again, the list is gone.
#[test]
fn without_a_signal_the_due_list_and_its_forms_still_open_and_queue() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let (first, second) = two_due_people(&srv, grid);
    let base = srv.base.clone();
    let worker = login(&srv, "wangge");

    // Online at the building door: the due list, kept by the service worker with its forms.
    let list = format!("{base}/nodes/{grid}/visits");
    worker.goto(&list).unwrap();
    worker.wait_until_text_contains("h1", "走访", WAIT).unwrap();
    wait_true(
        &worker,
        "return Number(document.documentElement.getAttribute('data-offline-ready')) > 2;",
        "the due list and its forms kept for offline use",
    );
    let manifest = worker
        .execute(
            "return fetch('/manifest.webmanifest').then(r => r.json()).then(m => m.start_url + ' ' + m.display);",
            vec![],
        )
        .unwrap();
    assert_eq!(manifest, json!("/ standalone"));
    // The first person's form, opened online.
    worker
        .find(&format!("a[href^='/persons/{first}/visits/new']"))
        .unwrap()
        .click()
        .unwrap();
    worker.wait_for("#visit-form", WAIT).unwrap();

    // The stairwell: no signal at all.
    let db = srv.stop();
    visit_without_signal(&worker, "电话回访：第一位老人身体尚可");

    // Back to the list and on to the second person, neither of them reachable online.
    worker.goto(&list).unwrap();
    worker
        .wait_until_text_contains("#offline-note", "没有网络", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    worker
        .find(&format!("a[href^='/persons/{second}/visits/new']"))
        .unwrap()
        .click()
        .unwrap();
    worker
        .wait_until_text_contains("#offline-note", "没有网络", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    // How many wait on the phone, where a page asks for it: the queued visit and this draft.
    worker
        .execute(
            "const s = document.createElement('span'); s.id = 'waiting'; s.setAttribute('data-outbox-count', ''); document.querySelector('main').appendChild(s);",
            vec![],
        )
        .unwrap();
    visit_without_signal(&worker, "电话回访：第二位老人需要助餐");
    worker
        .wait_until_text_contains("#waiting", "2", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));

    // The report form and a patrol form open without a signal too.
    worker
        .goto(&format!("{base}/nodes/{grid}/tickets/new"))
        .unwrap();
    worker.wait_for("#ticket-form", WAIT).unwrap();
    worker
        .goto(&format!("{base}/nodes/{grid}/patrols"))
        .unwrap();
    worker.wait_for("#offline-note", WAIT).unwrap();
    let patrol_link = worker
        .find("a[href*='/patrols/new']")
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    patrol_link.click().unwrap();
    worker
        .wait_for("#patrol-form", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    // A page that was never kept says so, in Chinese.
    worker.goto(&format!("{base}/search?q=张")).unwrap();
    worker
        .wait_until_text_contains("h1", "没有网络", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));

    // Back on the list, the signal returns: both visits go by themselves.
    worker.goto(&list).unwrap();
    worker.wait_for("#offline-note", WAIT).unwrap();
    let srv = Server::serve_again(db, &base);
    worker
        .wait_until_text_contains("#outbox-status", "已自动提交", Duration::from_secs(40))
        .unwrap_or_else(|e| panic!("{e}\n{}", page(&worker)));
    let stored = |person: i64, findings: &str| {
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM visits WHERE person_id = {person} AND kind = '电话' AND findings = '{findings}'"
            ),
        )
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while stored(second, "电话回访：第二位老人需要助餐") == 0
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(stored(first, "电话回访：第一位老人身体尚可"), 1);
    assert_eq!(stored(second, "电话回访：第二位老人需要助餐"), 1);

    // Logging out clears the phone: a draft begun, then 退出; cut off again, the list is not
    // there, nor the draft.
    worker
        .goto(&format!("{base}/nodes/{grid}/tickets/new"))
        .unwrap();
    worker
        .wait_for("#ticket-form input[name=title]", WAIT)
        .unwrap()
        .send_keys("楼道灯不亮")
        .unwrap();
    let drafts =
        "return Object.keys(localStorage).filter(k => k.startsWith('shequ:draft:')).length;";
    assert_eq!(worker.execute(drafts, vec![]).unwrap(), json!(1));
    worker.goto(&list).unwrap();
    worker.wait_until_text_contains("h1", "走访", WAIT).unwrap();
    wait_true(
        &worker,
        "return Number(document.documentElement.getAttribute('data-offline-ready')) > 2;",
        "the list kept again",
    );
    worker
        .find(".who form button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    worker.wait_for("input[name=password]", WAIT).unwrap();
    let left = worker
        .execute(
            "return caches.keys().then(k => Promise.all(k.map(n => caches.open(n).then(c => c.keys())))).then(a => a.flat().filter(r => !r.url.includes('/static/') && !r.url.endsWith('.webmanifest')).map(r => r.url));",
            vec![],
        )
        .unwrap();
    assert_eq!(left, json!([]), "pages left on the phone after logout");
    assert_eq!(
        worker.execute(drafts, vec![]).unwrap(),
        json!(0),
        "drafts left on the phone after logout"
    );
    drop(srv);
    // Chromium reports a page it could not load as an error of the navigation; a page served
    // by a service worker would load.
    if let Err(e) = worker.goto(&list) {
        assert!(e.contains("ERR_"), "{e}");
    }
    std::thread::sleep(Duration::from_millis(500));
    let text = worker
        .execute(
            "return document.body ? document.body.innerText : '';",
            vec![],
        )
        .unwrap();
    let text = text.as_str().unwrap_or_default();
    assert!(
        !text.contains("走访") && !text.contains("老人"),
        "the due list is still on the phone after logout: {text}"
    );
}
