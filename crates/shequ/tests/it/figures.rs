//! The indicator catalogue over HTTP: a small grid built here, whose figures are counted by
//! hand below, on both databases; the period and place rules at their edges (a move-out on the
//! period's last day, a move-in after it, a tag started after it); bad periods, codes and nodes.

use crate::support;

use serde_json::{Value, json};
use support::registry::{add_node as node, created, resident};
use support::{Api, Server};

fn household_of(api: &Api, person: i64) -> i64 {
    let (s, v) = api.get(&format!("/api/v1/persons/{person}"));
    assert_eq!(s, 200, "{v}");
    v["home"]["household_id"].as_i64().unwrap()
}

/// Value of each indicator (a rate's percent) by code.
fn values(v: &Value) -> std::collections::BTreeMap<String, Value> {
    v["figures"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

fn count(figures: &std::collections::BTreeMap<String, Value>, code: &str) -> i64 {
    figures[code]["amount"]["value"]
        .as_i64()
        .unwrap_or_else(|| panic!("{code}: {}", figures[code]))
}

#[test]
fn a_grid_built_here_has_the_registry_figures_counted_by_hand() {
    let srv = Server::start(300);
    let head = srv.api("shuji");
    let (_, me) = head.get("/api/v1/me");
    let community = me["scope"][0].as_i64().unwrap();
    let grid = node(&head, community, "grid", "统计网格");
    let building = node(&head, grid, "building", "统计楼");
    let unit = node(&head, building, "unit", "1单元");
    let r1 = node(&head, unit, "room", "101");
    let r2 = node(&head, unit, "room", "102");

    // 张一 (male, 75 at the end of 2025), since 2020, a disability from May 2024.
    let zhang = resident(
        &head,
        ("张一", "1950-03-01", 11),
        r1,
        "2020-01-01",
        None,
        json!({"employment": "离退休"}),
    );
    let home = household_of(&head, zhang);
    // 王三 (female, 15), in 张一's household since 2019, registered elsewhere (人户分离).
    resident(
        &head,
        ("王三", "2010-01-10", 12),
        r1,
        "2019-05-05",
        Some((home, "女")),
        json!({"registered_here": false}),
    );
    // 李二 (male, 35), floating, employed, moved in on 1 March 2025; 党员 only from 2026.
    let li = resident(
        &head,
        ("李二", "1990-06-15", 13),
        r2,
        "2025-03-01",
        None,
        json!({"person_type": "流动", "employment": "在业"}),
    );
    // 赵四 (female, 45), registered unemployed, moved out on 2025's last day.
    let zhao = resident(
        &head,
        ("赵四", "1980-02-02", 14),
        r2,
        "2021-01-01",
        None,
        json!({"employment": "登记失业"}),
    );
    let (s, v) = head.post(
        &format!("/api/v1/persons/{zhao}/move-out"),
        json!({"on": "2025-12-31", "reason": "迁往外省"}),
    );
    assert_eq!(s, 204, "{v}");
    // 钱五 (male, 85): moved in after 2025.
    resident(
        &head,
        ("钱五", "1940-01-01", 15),
        r2,
        "2026-01-10",
        None,
        json!({}),
    );
    for (person, body) in [
        (
            zhang,
            json!({"kind": "disability", "started_on": "2024-05-01", "values": {"category": "肢体", "grade": "2"}}),
        ),
        (
            zhang,
            json!({"kind": "dibao", "started_on": "2025-06-01", "values": {"category": "A类", "household_size": "3", "amount": "680"}}),
        ),
        (
            li,
            json!({"kind": "party_member", "started_on": "2026-02-01", "values": {"category": "预备党员"}}),
        ),
        // 张一 is in two groups: his person tags repeat him, so the scan counts people distinctly.
        (
            zhang,
            json!({"kind": "veteran", "started_on": "2020-01-01", "values": {"category": "退役士兵"}}),
        ),
    ] {
        created(&head, &format!("/api/v1/persons/{person}/tags"), body);
    }

    let figures = |period: &str| {
        let (s, v) = head.get(&format!("/api/v1/nodes/{grid}/figures?period={period}"));
        assert_eq!(s, 200, "{period}: {v}");
        v
    };
    let year = figures("2025");
    assert_eq!(year["label"], "2025年");
    assert_eq!(year["as_of"], "2025-12-31");
    assert_eq!(year["previous_period"], "2024");
    let f = values(&year);
    for (code, expected) in [
        // 张一, 王三, 李二: 赵四 left on the last day, 钱五 came after.
        ("people.total", 3),
        // 张一's (with 王三) and 李二's.
        ("households.total", 2),
        ("people.huji", 2),
        ("people.floating", 1),
        ("people.registered_here", 1),
        ("people.registered_elsewhere", 1),
        ("people.male", 2),
        ("people.female", 1),
        ("people.under_18", 1),
        ("people.aged_60", 1),
        ("people.aged_65", 1),
        ("people.aged_80", 0),
        ("labour.working_age", 1),
        ("labour.employed", 1),
        ("labour.unemployed", 0),
        ("disability.persons", 1),
        ("veteran.persons", 1),
        ("dibao.households", 1),
        ("dibao.households_a", 1),
        ("dibao.households_b", 0),
        // The household's two members.
        ("dibao.persons", 2),
        ("dibao.persons_a", 2),
        ("dibao.persons_c", 0),
        // The allowance covers three (one of them lives elsewhere): 保障人数 is the tag's own.
        ("dibao.covered", 3),
        ("dibao.covered_a", 3),
        ("dibao.covered_b", 0),
        ("party_member.persons", 0),
    ] {
        assert_eq!(count(&f, code), expected, "2025 {code}");
    }
    // 2024, as the year before: 张一, 王三 and 赵四; no 低保 yet.
    let before = values(&figures("2024"));
    assert_eq!(count(&before, "people.total"), 3);
    assert_eq!(count(&before, "labour.unemployed"), 1);
    assert_eq!(count(&before, "dibao.households"), 0);
    assert_eq!(count(&before, "dibao.covered"), 0);
    assert_eq!(f["people.total"]["previous"]["previous"]["value"], 3);
    assert_eq!(f["people.total"]["previous"]["difference"], 0.0);
    assert_eq!(f["dibao.households"]["year_ago"]["difference"], 1.0);
    assert!(
        f["dibao.households"]["year_ago"]["percent"].is_null(),
        "no percent change from zero"
    );
    // The first quarter ends with 李二 arrived and 赵四 still there: four people.
    let q1 = values(&figures("2025Q1"));
    assert_eq!(count(&q1, "people.total"), 4);
    assert_eq!(count(&q1, "households.total"), 3);
    // 2026 so far: 钱五 arrived, 李二 joined the party.
    let now = values(&figures("2026"));
    assert_eq!(count(&now, "people.aged_80"), 1);
    assert_eq!(count(&now, "party_member.persons"), 1);
    // Asking for a few codes gives just those, in that order.
    let (s, v) = head.get(&format!(
        "/api/v1/nodes/{grid}/figures?period=2025H2&codes=people.floating,people.total"
    ));
    assert_eq!(s, 200, "{v}");
    let codes: Vec<&str> = v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["people.floating", "people.total"]);
    assert_eq!(v["previous_period"], "2025H1");
    // The breakdowns: by class and grade, by household class; the node page's 统计 reads them.
    let parts = |code: &str, period: &str| {
        let (s, v) = head.get(&format!(
            "/api/v1/nodes/{grid}/breakdowns/{code}?period={period}"
        ));
        assert_eq!(s, 200, "{code}: {v}");
        v["parts"].clone()
    };
    assert_eq!(
        parts("disability.by_grade", "2025"),
        json!([{"group": ["肢体", "2"], "value": 1}])
    );
    assert_eq!(
        parts("household_tags.by_class", "2025"),
        json!([{"group": ["dibao", "A类"], "value": 1}])
    );
    assert_eq!(parts("household_tags.by_class", "2024"), json!([]));
    assert_eq!(
        parts("people.by_type", "2025"),
        json!([{"group": ["户籍"], "value": 2}, {"group": ["流动"], "value": 1}])
    );
    let (s, v) = head.get(&format!("/api/v1/nodes/{grid}/stats?as_of=2025-12-31"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["people"].as_i64(),
            v["households"].as_i64(),
            v["floating"].as_i64()
        ),
        (Some(3), Some(2), Some(1)),
        "{v}"
    );
    let tags: Vec<(&str, Option<&str>, i64)> = v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap(),
                t["category"].as_str(),
                t["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tags,
        [
            ("dibao", Some("A类"), 1),
            ("disability", Some("肢体"), 1),
            ("veteran", Some("退役士兵"), 1)
        ]
    );
    let (s, v) = head.get(&format!("/api/v1/nodes/{grid}/breakdowns/nonesuch"));
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("分组统计")),
        "{v}"
    );

    // 李二 settles here (户籍) and goes freelance, entered today: 2025 keeps him as he was then
    // (floating, employed), in its figures, its breakdown and its records; this year counts
    // him as he is now. A second change the same day adds no history of its own.
    let before_change = values(&figures("2025"));
    let put = |body: Value| {
        let (s, v) = head.get(&format!("/api/v1/persons/{li}"));
        assert_eq!(s, 200, "{v}");
        let mut person =
            json!({"name": v["person"]["name"], "id_number": v["person"]["id_number"]});
        for (k, x) in body.as_object().unwrap() {
            person[k] = x.clone();
        }
        let (s, v) = head.send(
            "PUT",
            &format!("/api/v1/persons/{li}"),
            json!({"person": person, "version": v["person"]["version"]}),
        );
        assert_eq!(s, 200, "{v}");
    };
    put(json!({"person_type": "户籍", "employment": "在业"}));
    put(json!({"person_type": "户籍", "employment": "灵活就业"}));
    let after_change = values(&figures("2025"));
    for code in [
        "people.huji",
        "people.floating",
        "people.registered_here",
        "labour.employed",
        "labour.flexible",
    ] {
        assert_eq!(
            count(&after_change, code),
            count(&before_change, code),
            "2025 {code} after a change made today"
        );
    }
    assert_eq!(
        (
            count(&after_change, "people.floating"),
            count(&after_change, "labour.employed")
        ),
        (1, 1)
    );
    assert_eq!(
        parts("people.by_type", "2025"),
        json!([{"group": ["户籍"], "value": 2}, {"group": ["流动"], "value": 1}])
    );
    let (s, v) = head.get(&format!(
        "/api/v1/nodes/{grid}/figures/people.floating/records?period=2025"
    ));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["records"][0]["id"], json!(li), "{v}");
    assert_eq!(v["total"], 1, "{v}");
    let now = values(&figures("2026"));
    assert_eq!(
        (
            count(&now, "people.floating"),
            count(&now, "labour.flexible"),
            count(&now, "labour.employed")
        ),
        (0, 1, 0)
    );
    assert_eq!(
        srv.db
            .sql(&format!(
                "SELECT person_type, employment, valid_from FROM person_facts WHERE person_id = {li}"
            ))
            .1
            .trim(),
        "流动|在业|0001-01-01"
    );

    // Homes: 101 lived in by its owner, 102 let out with its 治安责任书 signed in April 2025.
    // 2024 counts 102 as rented (recorded before any change: as it is) but not yet signed;
    // 102 taken back by its owner today stays rented in 2025 and is 自住 now.
    let home = |room: i64, body: Value| {
        let (s, v) = head.send("PUT", &format!("/api/v1/rooms/{room}/housing"), body);
        assert!(s < 300, "{s} {v}");
    };
    home(r1, json!({"usage": "自住"}));
    home(
        r2,
        json!({"usage": "出租", "landlord_name": "周房东", "agreement_signed_on": "2025-04-01"}),
    );
    let homes = |period: &str| {
        let f = values(&figures(period));
        (
            count(&f, "homes.rented"),
            count(&f, "homes.rented_agreement"),
            count(&f, "homes.owner_occupied"),
        )
    };
    assert_eq!(homes("2024"), (1, 0, 1));
    assert_eq!(homes("2025"), (1, 1, 1));
    home(r2, json!({"usage": "自住"}));
    assert_eq!(homes("2025"), (1, 1, 1), "2025 as it was");
    assert_eq!(homes("2026"), (0, 0, 2), "now");
}

#[test]
fn bad_periods_codes_and_nodes_are_refused_naming_what_is_wrong() {
    let srv = Server::start(300);
    let head = srv.api("shuji");
    let (_, me) = head.get("/api/v1/me");
    let community = me["scope"][0].as_i64().unwrap();
    for (query, says) in [
        ("period=2024Q5", "季度"),
        ("period=2024-03-31..2024-01-01", "早于"),
        ("period=%E6%98%8E%E5%B9%B4", "无法识别"),
        ("codes=people.nobody", "people.nobody"),
    ] {
        let (s, v) = head.get(&format!("/api/v1/nodes/{community}/figures?{query}"));
        assert_eq!(s, 422, "{query}: {v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{query}: {message}");
    }
    let (s, _) = head.get("/api/v1/nodes/999999/figures?period=2025");
    assert_eq!(s, 404);
    // A grid worker sees the figures of their grid, not of the community above it.
    let worker = srv.api("wangge");
    let grid = support::grid_of_wangge(&srv);
    assert_eq!(worker.get(&format!("/api/v1/nodes/{grid}/figures")).0, 200);
    assert_eq!(
        worker.get(&format!("/api/v1/nodes/{community}/figures")).0,
        403
    );
    // The catalogue lists every indicator with its unit and line.
    let (s, v) = head.get("/api/v1/indicators");
    assert_eq!(s, 200);
    let total = v
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "people.total")
        .cloned()
        .unwrap();
    assert_eq!(total["unit"], "persons");
    assert_eq!(total["line"], "registry");
}

/// The street's figure is the sum of its communities' (registry counts are additive).
#[test]
fn a_street_counts_what_its_communities_count() {
    let srv = Server::start(300);
    let street_user = srv.api("jiedao");
    let (_, me) = street_user.get("/api/v1/me");
    let street = me["scope"][0].as_i64().unwrap();
    let people = |node: i64| {
        let (s, v) = street_user.get(&format!(
            "/api/v1/nodes/{node}/figures?codes=people.total,households.total"
        ));
        assert_eq!(s, 200, "{v}");
        (
            v["figures"][0]["amount"]["value"].as_i64().unwrap(),
            v["figures"][1]["amount"]["value"].as_i64().unwrap(),
        )
    };
    let (_, children) = street_user.get(&format!("/api/v1/nodes/{street}/children"));
    let mut sum = (0, 0);
    for c in children.as_array().unwrap() {
        let (p, h) = people(c["node"]["id"].as_i64().unwrap());
        sum = (sum.0 + p, sum.1 + h);
    }
    let whole = people(street);
    assert!(whole.0 > 0);
    assert_eq!(whole, sum);
    // And the same as the people living there now, counted with SQL apart.
    assert_eq!(
        whole.0,
        support::sql_int(&srv.db, "SELECT count(*) FROM persons WHERE living = 1")
    );
}
