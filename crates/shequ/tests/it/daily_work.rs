//! Daily work on a 375 px phone, in a real headless Chromium against the real server (both
//! databases): the start page per role with its tiles (each figure counted by the list it
//! opens, each tile big enough for a thumb), the due-visit list in groups and building order,
//! entering things once (the 六清 carried over, no default category, dispatch from the
//! community's own list, only the steps the user may take now) and the evaluation recorded
//! with who gave it and how.

use crate::support;

use std::time::Duration;

use serde_json::{Value, json};
use support::phone::{WAIT, fits, login};
use support::webdriver::Browser;
use support::{Api, Server, Web, csrf_of, days_ago, grid_of_wangge, sql_int};

/// Every link and button in the page's content is at least 44×44 CSS px as rendered.
fn big_targets(b: &Browser, page: &str) {
    let small = b
        .execute(
            "return [...document.querySelectorAll('main a, main button')]
                .filter(e => e.offsetParent !== null)
                .map(e => [e.textContent.trim().slice(0, 20), e.getBoundingClientRect()])
                .filter(([_, r]) => r.width < 44 || r.height < 44)
                .map(([t, r]) => t + ' ' + Math.round(r.width) + '×' + Math.round(r.height));",
            vec![],
        )
        .unwrap();
    assert_eq!(small, json!([]), "tap targets under 44 px on {page}");
}

/// Picks the option showing `label` in the select, as a finger would.
fn choose(br: &Browser, select: &str, label: &str) {
    let value = br
        .execute(
            "const o = [...document.querySelectorAll(arguments[0] + ' option')].find(o => o.text.trim() === arguments[1]); return o ? o.value : null;",
            vec![json!(select), json!(label)],
        )
        .unwrap();
    let value = value
        .as_str()
        .unwrap_or_else(|| panic!("no option {label:?} in {select}"));
    br.find(&format!("{select} option[value='{value}']"))
        .unwrap()
        .click()
        .unwrap();
}

fn count_in(br: &Browser, css: &str) -> i64 {
    br.find(css)
        .unwrap()
        .text()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn community_of(srv: &Server, node: i64) -> i64 {
    sql_int(
        &srv.db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {node}"),
    )
}

/// People of the grid with no special group, each of another household, with the number of
/// their building: (person, building number).
fn plain_people(srv: &Server, grid: i64) -> Vec<(i64, i64)> {
    let (ok, out) = srv.db.sql(&format!(
        "SELECT p.id || '|' || b.name || '|' || r.household_id FROM persons p
         JOIN residences r ON r.person_id = p.id AND r.moved_out_on IS NULL
         JOIN org_nodes g ON g.id = {grid}
         JOIN org_nodes b ON b.kind = 'building' AND p.area_path > b.path AND p.area_path < b.path || 'z'
         WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z'
           AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.person_id = p.id)
           AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.household_id = r.household_id)
         ORDER BY p.id"
    ));
    assert!(ok, "{out}");
    let mut seen = Vec::new();
    let mut out_people = Vec::new();
    for l in out.lines() {
        let mut parts = l.trim().split('|');
        let (p, b, h) = (
            parts.next().unwrap().parse::<i64>().unwrap(),
            parts
                .next()
                .unwrap()
                .trim_end_matches('幢')
                .parse::<i64>()
                .unwrap(),
            parts.next().unwrap().to_string(),
        );
        if !seen.contains(&h) {
            seen.push(h);
            out_people.push((p, b));
        }
    }
    out_people
}

fn tag_alone(api: &Api, person: i64, started: &str) {
    let (s, v) = api.post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "elderly_alone", "started_on": started, "values": {"category": "独居"}}),
    );
    assert_eq!(s, 201, "{v}");
}

fn visit_on(api: &Api, person: i64, on: &str) {
    let (s, v) = api.post(
        "/api/v1/visits",
        json!({"person_id": person, "kind": "入户", "visited_on": on}),
    );
    assert_eq!(s, 201, "{v}");
}

fn report(api: &Api, node: i64, title: &str) -> i64 {
    let (s, v) = api.post(
        "/api/v1/tickets",
        json!({"node_id": node, "category_code": "0102", "title": title}),
    );
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

fn step(api: &Api, id: i64, action: &str, extra: Value) -> (u16, Value) {
    let (_, t) = api.get(&format!("/api/v1/tickets/{id}"));
    let mut body = json!({"action": action, "version": t["ticket"]["version"]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    api.post(&format!("/api/v1/tickets/{id}/steps"), body)
}

fn ok_step(api: &Api, id: i64, action: &str, extra: Value) {
    let (s, v) = step(api, id, action, extra);
    assert_eq!(s, 200, "{action}: {v}");
}

fn tile(br: &Browser, id: &str) -> i64 {
    count_in(br, &format!("#{id} .tile-count"))
}

/// Item 6: the start page is each role's day, in tiles of at least 44 px whose figures are
/// the lists they open.
#[test]
fn the_start_page_shows_each_roles_work_in_big_tiles_counted_by_their_lists() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let community = community_of(&srv, grid);
    let worker = srv.api("wangge");
    let head = srv.api("shuji");
    let people = plain_people(&srv, grid);
    // Two never visited (overdue), one due today.
    for p in &people[..3] {
        tag_alone(&worker, p.0, &days_ago(60));
    }
    visit_on(&worker, people[2].0, &days_ago(30));
    let (s, v) = head.post(
        "/api/v1/patrol-schedules",
        json!({"node_id": grid, "type_code": "fire", "every_days": 30, "target": "3 幢地下车库"}),
    );
    assert_eq!(s, 201, "{v}");
    // Three reports: one waiting to be accepted, one to be dispatched, one sent to the worker.
    let t: Vec<i64> = (1..=3)
        .map(|i| report(&worker, grid, &format!("垃圾满溢 {i}")))
        .collect();
    for id in &t[1..] {
        ok_step(&head, *id, "accept", json!({}));
    }
    ok_step(
        &head,
        t[2],
        "dispatch",
        json!({"assignee_name": "小区物业服务中心"}),
    );

    // What the lists say.
    let (_, due) = worker.get(&format!("/api/v1/nodes/{grid}/due-visits?days=30"));
    let in_group = |g: &str| {
        due.as_array()
            .unwrap()
            .iter()
            .filter(|d| d["group"] == g)
            .count() as i64
    };
    let (_, patrols) = worker.get(&format!("/api/v1/nodes/{grid}/due-patrols"));
    let (_, waiting) = worker.get(&format!("/api/v1/nodes/{grid}/tickets?waiting=true"));
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    assert!(
        in_group("overdue") >= 2 && in_group("this_week") >= 1,
        "{due}"
    );

    let br = login(&srv, "wangge");
    br.wait_for("#tile-visits-overdue", WAIT).unwrap();
    assert!(br.current_url().unwrap().ends_with('/'), "the start page");
    assert_eq!(tile(&br, "tile-visits-overdue"), in_group("overdue"));
    assert_eq!(tile(&br, "tile-visits-week"), in_group("this_week"));
    assert_eq!(
        tile(&br, "tile-patrols"),
        patrols.as_array().unwrap().len() as i64
    );
    assert_eq!(tile(&br, "tile-patrols"), 1);
    assert_eq!(tile(&br, "tile-tickets-waiting"), 1);
    // The drafts still on the phone: a place for the count, with a label.
    let outbox = br.find("[data-outbox-count]").unwrap();
    assert!(outbox.is_displayed().unwrap());
    assert!(
        br.find("#tile-outbox")
            .unwrap()
            .text()
            .unwrap()
            .contains("待发送"),
        "the outbox tile is labelled"
    );
    fits(&br, "the worker's start page");
    big_targets(&br, "the worker's start page");
    // A tile opens its list, showing as many as it said.
    br.find("#tile-visits-overdue").unwrap().click().unwrap();
    br.wait_for("#due-overdue", WAIT).unwrap();
    assert_eq!(
        br.find_all("#due-overdue li").unwrap().len() as i64,
        in_group("overdue")
    );
    br.goto(&format!("{}/", srv.base)).unwrap();
    br.wait_for("#tile-tickets-waiting", WAIT)
        .unwrap()
        .click()
        .unwrap();
    br.wait_for("#tickets", WAIT).unwrap();
    let listed = br.find("#tickets").unwrap().text().unwrap();
    assert!(
        listed.contains("垃圾满溢 3") && !listed.contains("垃圾满溢 1"),
        "{listed}"
    );

    // The head: what to accept and dispatch, and what is overdue in each grid.
    let br = login(&srv, "shuji");
    br.wait_for("#tile-to-accept", WAIT).unwrap();
    assert_eq!(tile(&br, "tile-to-accept"), 1);
    assert_eq!(tile(&br, "tile-to-dispatch"), 1);
    let (_, grids) = head.get(&format!("/api/v1/nodes/{community}/overdue-visits"));
    let rows = br.find_all("#overdue-per-grid tbody tr").unwrap();
    assert_eq!(rows.len(), grids.as_array().unwrap().len());
    let mine = grids
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["grid_id"] == grid)
        .unwrap();
    let row_text = br
        .find(&format!(
            "#overdue-per-grid a[href='/nodes/{grid}/visits?group=overdue']"
        ))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(row_text, mine["overdue"].to_string());
    fits(&br, "the head's start page");
    big_targets(&br, "the head's start page");
    br.find("#tile-to-accept").unwrap().click().unwrap();
    br.wait_for("#tickets", WAIT).unwrap();
    assert_eq!(br.find_all("#tickets li").unwrap().len(), 1);

    // The street: its communities side by side.
    let br = login(&srv, "jiedao");
    br.wait_for("#community-figures", WAIT).unwrap();
    let communities = sql_int(
        &srv.db,
        "SELECT count(*) FROM org_nodes c JOIN org_nodes s ON s.id = c.parent_id
         JOIN user_scopes u ON u.node_id = s.id JOIN users x ON x.id = u.user_id AND x.username = 'jiedao'
         WHERE c.kind = 'community'",
    );
    assert!(communities >= 1);
    assert_eq!(
        br.find_all("#community-figures tbody tr").unwrap().len() as i64,
        communities
    );
    let reported = br
        .find(&format!(
            "#community-figures a[href='/nodes/{community}/tickets?tab=reported']"
        ))
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(reported, "1");
    fits(&br, "the street's start page");
    big_targets(&br, "the street's start page");
}

/// Item 8: 超期 / 本周 / 以后 with counts, filtered by group and building, in building order;
/// someone never visited says so instead of a count of days.
#[test]
fn the_due_list_is_grouped_filtered_and_in_building_order() {
    let srv = Server::start(1500);
    let grid = grid_of_wangge(&srv);
    let worker = srv.api("wangge");
    let people = plain_people(&srv, grid);
    // Never visited, in two buildings (the later building first, to see the order).
    let mut buildings: Vec<i64> = people.iter().map(|p| p.1).collect();
    buildings.dedup();
    assert!(buildings.len() >= 2, "the grid has two buildings");
    let in_b = |b: i64| people.iter().find(|p| p.1 == b).unwrap().0;
    let (late_b, early_b) = (buildings[buildings.len() - 1], buildings[0]);
    let (never_late, never_early) = (in_b(late_b), in_b(early_b));
    let others: Vec<i64> = people
        .iter()
        .map(|p| p.0)
        .filter(|p| *p != never_late && *p != never_early)
        .take(2)
        .collect();
    let (today_due, later_due) = (others[0], others[1]);
    tag_alone(&worker, never_late, &days_ago(3000));
    tag_alone(&worker, never_early, &days_ago(45));
    for p in [today_due, later_due] {
        tag_alone(&worker, p, &days_ago(300));
    }
    visit_on(&worker, today_due, &days_ago(30));
    visit_on(&worker, later_due, &days_ago(10));

    let br = login(&srv, "wangge");
    br.goto(&format!("{}/nodes/{grid}/visits", srv.base))
        .unwrap();
    br.wait_for("#due-overdue", WAIT).unwrap();
    fits(&br, "the due list");
    let li = |person: i64| {
        br.find(&format!("a[data-person='{person}']"))
            .unwrap()
            .text()
            .unwrap()
    };
    let section_of = |person: i64| {
        br.execute(
            "return document.querySelector(`a[data-person='${arguments[0]}']`).closest('section').id;",
            vec![json!(person)],
        )
        .unwrap()
    };
    let never = li(never_late);
    assert!(never.contains("从未走访"), "{never}");
    assert!(!never.contains("超期"), "not a count of days: {never}");
    assert_eq!(section_of(never_late), "due-overdue");
    assert_eq!(section_of(never_early), "due-overdue");
    assert_eq!(section_of(today_due), "due-this_week");
    assert_eq!(section_of(later_due), "due-later");
    assert!(li(later_due).contains("到期"));
    // Each heading counts its group.
    for g in ["overdue", "this_week", "later"] {
        let shown = br.find_all(&format!("#due-{g} li")).unwrap().len() as i64;
        let heading = br
            .find(&format!("#due-{g} h2 .count"))
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(heading, format!("{shown} 人"), "{g}");
        assert_eq!(tile(&br, &format!("group-{g}")), shown, "{g}");
    }
    // Building by building: the earlier building's people come first in each group.
    let order = br
        .execute(
            "return [...document.querySelectorAll('#due-overdue li .muted')].map(e => parseInt(e.textContent));",
            vec![],
        )
        .unwrap();
    let numbers: Vec<i64> = order
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_i64().unwrap())
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] <= w[1]),
        "building order: {numbers:?}"
    );

    // Filtered to one building with the form, as a finger would.
    choose(&br, "#due-filter select[name=building]", &{
        let text = br
            .execute(
                "return [...document.querySelectorAll('#due-filter option')].map(o => o.text).find(t => t.startsWith(arguments[0]));",
                vec![json!(format!("{late_b}幢"))],
            )
            .unwrap();
        text.as_str().unwrap().to_string()
    });
    br.form("due-filter")
        .unwrap()
        .find("button")
        .unwrap()
        .click()
        .unwrap();
    br.wait_until_gone(&format!("a[data-person='{never_early}']"), WAIT)
        .unwrap();
    assert!(br.current_url().unwrap().contains("building="));
    let shown = br
        .execute(
            "return [...document.querySelectorAll('main li .muted')].map(e => e.textContent);",
            vec![],
        )
        .unwrap();
    for addr in shown.as_array().unwrap() {
        assert!(
            addr.as_str().unwrap().starts_with(&format!("{late_b}幢")),
            "{shown}"
        );
    }
    assert!(br.find(&format!("a[data-person='{never_late}']")).is_ok());

    // One group only.
    br.goto(&format!("{}/nodes/{grid}/visits", srv.base))
        .unwrap();
    br.wait_for("#group-later", WAIT).unwrap().click().unwrap();
    br.wait_until_gone("#due-overdue", WAIT).unwrap();
    assert_eq!(section_of(later_due), "due-later");
    assert!(br.find("#due-this_week").is_err());
    big_targets(&br, "the due list's groups");
}

/// Item 10: the 六清 start from the last visit's answers; the worker changes what changed.
#[test]
fn the_six_clear_answers_start_from_the_last_visit() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let worker = srv.api("wangge");
    let person = plain_people(&srv, grid)[0].0;
    let (s, v) = worker.post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "unemployed", "started_on": days_ago(200), "values": {}}),
    );
    assert_eq!(s, 201, "{v}");
    let answers = [
        ("家庭情况", "与母亲同住"),
        ("就业意愿", "想找物业保洁"),
        ("技能特长", "会开车"),
        ("就业要求", "离家近"),
        ("培训要求", "想学家政"),
        ("创业意愿", "暂无"),
    ];
    let form = format!("{}/persons/{person}/visits/new?back={grid}", srv.base);
    let br = login(&srv, "wangge");
    br.goto(&form).unwrap();
    br.wait_for("#six-clear", WAIT).unwrap();
    for (k, v) in answers {
        br.find(&format!("input[name='clear_{k}']"))
            .unwrap()
            .send_keys(v)
            .unwrap();
    }
    br.find("#save-visit").unwrap().click().unwrap();
    br.wait_until_text_contains("h1", "走访", WAIT).unwrap();
    br.wait_until_gone("#visit-form", WAIT).unwrap();

    // Half a year later: the form starts from those answers.
    br.goto(&form).unwrap();
    br.wait_for("#six-clear-from", WAIT).unwrap();
    for (k, v) in answers {
        assert_eq!(
            br.find(&format!("input[name='clear_{k}']"))
                .unwrap()
                .value()
                .unwrap(),
            v,
            "{k}"
        );
    }
    let wish = br.find("input[name='clear_就业意愿']").unwrap();
    wish.clear().unwrap();
    wish.send_keys("已在超市上班").unwrap();
    // A problem seen on the way: its category is chosen by name, none is preset.
    br.execute(
        "document.querySelectorAll('#visit-form details').forEach(d => d.open = true);",
        vec![],
    )
    .unwrap();
    let category = "#visit-form select[name=problem_category]";
    assert_eq!(br.find(category).unwrap().value().unwrap(), "");
    choose(&br, category, "分类投放不规范");
    br.find("input[name=problem_title]")
        .unwrap()
        .send_keys("楼道垃圾未分类投放")
        .unwrap();
    br.find("#save-visit").unwrap().click().unwrap();
    br.wait_until_text_contains("#ticket-state", "已上报", WAIT)
        .unwrap();
    let (ok, code) = srv.db.sql(&format!(
        "SELECT t.category_code FROM tickets t JOIN visits v ON v.id = t.visit_id WHERE v.person_id = {person}"
    ));
    assert!(ok && code.trim() == "0801", "{code}");
    let (_, past) = worker.get(&format!("/api/v1/persons/{person}/visits"));
    assert_eq!(past.as_array().unwrap().len(), 2, "{past}");
    let latest = &past[0]["items"];
    for (k, v) in answers {
        let expected = if k == "就业意愿" {
            "已在超市上班"
        } else {
            v
        };
        assert_eq!(latest[k], expected, "{k}: {past}");
    }
}

/// Item 10: no category is chosen for the worker, and the picker shows names.
#[test]
fn the_ticket_form_has_no_default_category_and_shows_names() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let br = login(&srv, "wangge");
    br.goto(&format!("{}/nodes/{grid}/tickets/new", srv.base))
        .unwrap();
    br.wait_for("#ticket-form", WAIT).unwrap();
    fits(&br, "the ticket form");
    let select = "#ticket-form select[name=category_code]";
    assert_eq!(br.find(select).unwrap().value().unwrap(), "");
    let labels = br
        .execute(
            "return [...document.querySelectorAll(arguments[0] + ' option, ' + arguments[0] + ' optgroup')].map(o => o.label || o.text);",
            vec![json!(select)],
        )
        .unwrap();
    for l in labels.as_array().unwrap() {
        let l = l.as_str().unwrap();
        assert!(
            !l.chars().any(|c| c.is_ascii_digit()),
            "a code on the picker: {l}"
        );
    }
    br.find("input[name=title]")
        .unwrap()
        .send_keys("3幢电梯困人")
        .unwrap();
    // Sent without a category: not sent (the browser asks), nothing stored.
    br.find("#ticket-form button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(br.find("#ticket-form").is_ok());
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM tickets"), 0);
    choose(&br, select, "路灯损坏");
    br.find("#ticket-form button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    br.wait_until_text_contains("#ticket-state", "已上报", WAIT)
        .unwrap();
    let (ok, code) = srv
        .db
        .sql("SELECT category_code FROM tickets WHERE title = '3幢电梯困人'");
    assert!(ok && code.trim() == "0302", "{code}");
    // Over HTTP, a form without a category is refused, naming it, and nothing is written.
    let web = Web::login(&srv.base, "wangge");
    let (_, page, _) = web.get(&format!("/nodes/{grid}/tickets/new"));
    let (s, body, _) = web.post_form(
        &format!("/nodes/{grid}/tickets/new"),
        &[
            ("csrf", &csrf_of(&page)),
            ("category_code", ""),
            ("title", "没有类别"),
        ],
    );
    assert_eq!(s, 422);
    assert!(body.contains("请选择事件类别"), "{body}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM tickets"), 1);
}

/// Item 10: the community keeps its dispatch list on a page; dispatch picks from it; after
/// dispatch each user is offered only their own steps, one primary.
#[test]
fn dispatch_picks_from_the_communitys_list_and_the_page_offers_only_my_steps() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let community = community_of(&srv, grid);
    let head = login(&srv, "shuji");
    head.goto(&format!("{}/nodes/{community}/dispatch-targets", srv.base))
        .unwrap();
    head.wait_for("#add-target", WAIT).unwrap();
    fits(&head, "the dispatch targets page");
    big_targets(&head, "the dispatch targets page");
    let listed = head.find("#targets").unwrap().text().unwrap();
    assert!(
        listed.contains("城管执法中队") && listed.contains("市场监管所"),
        "seeded with defaults: {listed}"
    );
    choose(&head, "#add-target select[name=kind]", "物业公司");
    head.find("#add-target input[name=name]")
        .unwrap()
        .send_keys("绿城物业凤凰项目部")
        .unwrap();
    head.form("add-target")
        .unwrap()
        .find("button")
        .unwrap()
        .click()
        .unwrap();
    head.wait_until_text_contains("#targets", "绿城物业凤凰项目部", WAIT)
        .unwrap();
    let added = sql_int(
        &srv.db,
        &format!(
            "SELECT id FROM dispatch_targets WHERE community_id = {community} AND name = '绿城物业凤凰项目部' AND kind = 'property' AND active = 1"
        ),
    );
    head.find("button[aria-label='停用 市场监管所']")
        .unwrap()
        .click()
        .unwrap();
    head.wait_until_gone("button[aria-label='停用 市场监管所']", WAIT)
        .unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM dispatch_targets WHERE community_id = {community} AND name = '市场监管所' AND active = 0"
            )
        ),
        1
    );

    let worker_api = srv.api("wangge");
    let head_api = srv.api("shuji");
    let id = report(&worker_api, grid, "路边垃圾堆放");
    ok_step(&head_api, id, "accept", json!({}));
    // Free text, or a target this community retired: refused, naming the field.
    for name in ["张三", "市场监管所"] {
        let (s, v) = step(&head_api, id, "dispatch", json!({"assignee_name": name}));
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (422, Some("派给")),
            "{v}"
        );
    }
    head.goto(&format!("{}/tickets/{id}", srv.base)).unwrap();
    head.wait_for("#step-dispatch", WAIT).unwrap();
    assert!(
        head.find("#step-dispatch input[name=assignee_name]")
            .is_err()
    );
    let options = head
        .find("#step-dispatch select[name=target_id]")
        .unwrap()
        .text()
        .unwrap();
    assert!(
        options.contains("绿城物业凤凰项目部") && !options.contains("市场监管所"),
        "{options}"
    );
    choose(
        &head,
        "#step-dispatch select[name=target_id]",
        "绿城物业凤凰项目部",
    );
    head.find("#step-dispatch button").unwrap().click().unwrap();
    head.wait_until_text_contains("#ticket-state", "已派遣", WAIT)
        .unwrap();
    let (ok, stored) = srv.db.sql(&format!(
        "SELECT assignee_name || '|' || assignee_kind || '|' || dispatch_target_id FROM tickets WHERE id = {id}"
    ));
    assert!(ok);
    assert_eq!(
        stored.trim(),
        format!("绿城物业凤凰项目部|property|{added}")
    );

    let steps_of = |br: &Browser| -> (Vec<String>, Vec<String>) {
        let v = br
            .execute(
                "return [[...document.querySelectorAll('form.step')].map(f => f.id),
                         [...document.querySelectorAll('form.step button.primary')].map(b => b.closest('form').id)];",
                vec![],
            )
            .unwrap();
        let list = |i: usize| {
            v[i].as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        };
        (list(0), list(1))
    };
    // The head now only re-dispatches or supervises: nothing is theirs to push on.
    let (steps, primary) = steps_of(&head);
    assert_eq!(steps, ["step-dispatch", "step-supervise"]);
    assert!(primary.is_empty(), "{primary:?}");
    assert!(
        head.find("#step-dispatch button")
            .unwrap()
            .text()
            .unwrap()
            .contains("改派")
    );
    // The worker handles it: starting is the one primary step, first.
    let worker = login(&srv, "wangge");
    worker.goto(&format!("{}/tickets/{id}", srv.base)).unwrap();
    worker.wait_for("#step-start", WAIT).unwrap();
    let (steps, primary) = steps_of(&worker);
    assert_eq!(
        steps,
        ["step-start", "step-feedback", "step-request_extension"]
    );
    assert_eq!(primary, ["step-start"]);
    fits(&worker, "the dispatched ticket");
    big_targets(&worker, "the dispatched ticket");
}

/// Item 14: the resident rates a closed report through the receipt (recorded as theirs);
/// staff record only a 电话回访, under their own name and its day; the 满意率 by channel.
#[test]
fn the_resident_rates_through_the_receipt_and_staff_record_a_named_phone_callback() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    let community = community_of(&srv, grid);
    let web = Web::login(&srv.base, "shuji");
    // Posted in the worker's grid, so the worker handles what comes in through it.
    let (_, page, _) = web.get(&format!("/nodes/{grid}/report-links"));
    let (s, _, _) = web.post_form(
        &format!("/nodes/{grid}/report-links"),
        &[("csrf", &csrf_of(&page)), ("name", "1幢大堂")],
    );
    assert_eq!(s, 303);
    let (ok, slug) = srv.db.sql("SELECT slug FROM report_links");
    assert!(ok, "{slug}");
    // The resident scans the code: picks what it is by name (nothing preset), and sends it.
    let br = Browser::start().unwrap();
    br.goto(&format!("{}/r/{}", srv.base, slug.trim())).unwrap();
    br.wait_for("#public-report", WAIT).unwrap();
    let category = "#public-report select[name=category_code]";
    assert_eq!(br.find(category).unwrap().value().unwrap(), "");
    choose(&br, category, "暴露垃圾");
    br.find("#public-report textarea[name=description]")
        .unwrap()
        .send_keys("5幢北侧垃圾桶满溢")
        .unwrap();
    // A person takes a few seconds to read and type; the form refuses faster senders.
    std::thread::sleep(Duration::from_millis(3200));
    br.find("#public-report button[type=submit]")
        .unwrap()
        .click()
        .unwrap();
    br.wait_for("#receipt", WAIT).unwrap();
    let token = br.find("#receipt").unwrap().text().unwrap();
    let resident = Web::new(&srv.base);
    let from_resident = sql_int(
        &srv.db,
        &format!(
            "SELECT id FROM tickets WHERE open311_token = '{token}' AND category_code = '0102'"
        ),
    );
    let worker = srv.api("wangge");
    let head = srv.api("shuji");
    let from_worker = report(&worker, grid, "楼道堆物");
    for id in [from_resident, from_worker] {
        ok_step(&head, id, "accept", json!({}));
        ok_step(
            &head,
            id,
            "dispatch",
            json!({"assignee_name": "小区物业服务中心"}),
        );
        ok_step(&worker, id, "start", json!({}));
        ok_step(&worker, id, "feedback", json!({"note": "已清理"}));
        ok_step(&worker, id, "verify_pass", json!({}));
        ok_step(&head, id, "close", json!({}));
    }

    // The resident, on their receipt page.
    br.goto(&format!("{}/r/status/{token}", srv.base)).unwrap();
    br.wait_for("#rate-form", WAIT).unwrap();
    fits(&br, "the receipt");
    let field_value = |css: &str| br.find(css).unwrap().value().unwrap();
    let (rate_t, rate_sig) = (
        field_value("#rate-form input[name=t]"),
        field_value("#rate-form input[name=sig]"),
    );
    // Without the page's stamp (a forged form): nothing happens.
    let (s, body, _) = resident.post_form(&format!("/r/status/{token}"), &[("rating", "不满意")]);
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("安全校验"), "{body}");
    br.find("#rate-form input[value='基本满意']")
        .unwrap()
        .click()
        .unwrap();
    br.form("rate-form")
        .unwrap()
        .find("button")
        .unwrap()
        .click()
        .unwrap();
    br.wait_until_text_contains("#public-rating", "基本满意", WAIT)
        .unwrap();
    assert!(br.find("#rate-form").is_err(), "rated once");
    let (ok, stored) = srv.db.sql(&format!(
        "SELECT state || '|' || rating || '|' || rating_channel || '|' || coalesce(rated_by, '-') FROM tickets WHERE id = {from_resident}"
    ));
    assert!(ok);
    assert_eq!(stored.trim(), "rated|基本满意|resident|-");
    let (_, v) = head.get(&format!("/api/v1/tickets/{from_resident}"));
    let last = v["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["actor_name"].as_str()),
        (Some("rate"), Some("居民（凭回执）")),
        "{v}"
    );
    // Again, with the page's own stamp: refused, once rated.
    let (_, receipt_page, _) = resident.get(&format!("/r/status/{token}"));
    assert!(
        !receipt_page.contains("id=\"rate-form\""),
        "no rating form once rated"
    );
    let (s, body, _) = resident.post_form(
        &format!("/r/status/{token}"),
        &[("t", &rate_t), ("sig", &rate_sig), ("rating", "不满意")],
    );
    assert_eq!(s, 422, "a second rating is refused: {body}");
    assert!(body.contains("已经评价过"), "{body}");

    // Staff: no rating of their own; a 电话回访 needs its day, and can't claim the resident's
    // channel.
    let today = shequ_domain::clock::today();
    let (s, v) = step(&head, from_worker, "rate", json!({"rating": "满意"}));
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("电话回访日期")),
        "{v}"
    );
    let (s, v) = step(
        &head,
        from_worker,
        "rate",
        json!({"rating": "满意", "callback_on": (today + chrono::Duration::days(1)).to_string()}),
    );
    assert_eq!(s, 422, "{v}");
    let (s, v) = step(
        &head,
        from_worker,
        "rate",
        json!({"rating": "满意", "callback_on": today.to_string(), "rating_channel": "resident"}),
    );
    assert_eq!(s, 422, "{v}");
    // The head's phone callback, on the ticket page.
    let hb = login(&srv, "shuji");
    hb.goto(&format!("{}/tickets/{from_worker}", srv.base))
        .unwrap();
    hb.wait_for("#step-rate", WAIT).unwrap();
    assert_eq!(
        hb.find("#step-rate input[name=callback_on]")
            .unwrap()
            .value()
            .unwrap(),
        today.to_string()
    );
    hb.find("#step-rate input[value='不满意']")
        .unwrap()
        .click()
        .unwrap();
    hb.find("#step-rate button").unwrap().click().unwrap();
    hb.wait_until_text_contains("#ticket-rating", "电话回访", WAIT)
        .unwrap();
    let (ok, stored) = srv.db.sql(&format!(
        "SELECT t.rating || '|' || t.rating_channel || '|' || (t.rated_by = u.display_name) || '|' || t.rated_on
         FROM tickets t JOIN users u ON u.id = t.rated_by_user_id AND u.username = 'shuji' WHERE t.id = {from_worker}"
    ));
    assert!(ok, "{stored}");
    let stored = stored.trim().replace("|t|", "|1|").replace("|true|", "|1|");
    assert_eq!(stored, format!("不满意|phone|1|{today}"));

    // The 满意率 by channel: API and page.
    let (s, r) = head.get(&format!("/api/v1/nodes/{community}/ticket-rates"));
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (
            r["satisfied"]["numerator"].as_i64(),
            r["satisfied"]["denominator"].as_i64()
        ),
        (Some(1), Some(2)),
        "{r}"
    );
    let channel = |c: &str| {
        let e = r["satisfied_by_channel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["channel"] == c)
            .unwrap_or_else(|| panic!("{c}: {r}"));
        (
            e["rate"]["numerator"].as_i64().unwrap(),
            e["rate"]["denominator"].as_i64().unwrap(),
        )
    };
    assert_eq!(channel("resident"), (1, 1));
    assert_eq!(channel("phone"), (0, 1));
    hb.goto(&format!("{}/nodes/{community}/tickets", srv.base))
        .unwrap();
    hb.wait_for("#ticket-rates", WAIT).unwrap();
    assert!(
        hb.find("#satisfied-resident")
            .unwrap()
            .text()
            .unwrap()
            .starts_with("1/1")
    );
    assert!(
        hb.find("#satisfied-phone")
            .unwrap()
            .text()
            .unwrap()
            .starts_with("0/1")
    );
    fits(&hb, "the ticket list with its rates");
}
