//! The guard on masking, generated from the router: `shequ routes` lists every route, and each
//! is called by every role on demo data (plus records that carry every kind of personal value:
//! landlords, unit contacts, mediation parties, reporters). No response may hold a full,
//! checksum-valid ID number or an unmasked mobile number, and none to street or district staff
//! a resident's full name — outside the audited reveal and call routes, whose purpose that is.
//! Writes that answer with the record (relocate, edits) are called with valid bodies too.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use shequ_domain::registry::id_number::IdNumber;
use support::{
    Api, Server, Web, add_user, csrf_of, fill_route, grid_of_wangge, routes, run, sql_int,
};

const LOGINS: &[(&str, bool)] = &[
    // (user, sees names masked)
    ("wangge", false),
    ("zhuangan", false),
    ("shuji", false),
    ("jiedao", true),
    ("quxian", true),
    ("admin", true),
    ("anquan", true),
    ("shenji", true),
];

/// Routes whose answer is the full value on purpose, each audited.
const REVEALING: &[&str] = &[
    "/people/{id}/reveal",
    "/api/v1/persons/{id}/reveal",
    "/people/{id}/call",
];

/// Every 18-character run that is a valid 公民身份号码, and every 11-digit mobile number, not
/// part of a longer run of letters or digits.
fn leaks(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = body.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && word(chars[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && word(chars[j]) {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        if run.len() == 18 && IdNumber::parse(&run).is_ok() {
            found.push(format!("ID number {run}"));
        }
        if run.len() == 11
            && run.starts_with('1')
            && run.chars().all(|c| c.is_ascii_digit())
            && matches!(run.as_bytes()[1], b'3'..=b'9')
        {
            found.push(format!("mobile {run}"));
        }
        i = j.max(i + 1);
    }
    found
}

/// A resident's name in full: three characters or more anywhere, two only as a whole value.
fn names_in(body: &str, names: &BTreeSet<String>) -> Vec<String> {
    names
        .iter()
        .filter(|n| {
            if n.chars().count() >= 3 {
                body.contains(n.as_str())
            } else {
                [format!("\"{n}\""), format!(">{n}<"), format!("> {n} <")]
                    .iter()
                    .any(|w| body.contains(w.as_str()))
            }
        })
        .map(|n| format!("name {n}"))
        .collect()
}

#[test]
fn no_route_answers_a_full_id_number_phone_or_street_visible_name() {
    let srv = Server::start(300);
    let db = &srv.db;
    let district = sql_int(
        db,
        "SELECT id FROM org_nodes WHERE kind = 'district' ORDER BY id LIMIT 1",
    );
    add_user(&db.url, "quxian", "district_admin", &[district]);
    let grid = grid_of_wangge(&srv);
    let community = sql_int(
        db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    for user in ["jiedao", "quxian"] {
        let (ok, out, err) = run(&[
            "user",
            "grant",
            "--db",
            &db.url,
            "--username",
            user,
            "--area",
            &community.to_string(),
            "--reason",
            "街道低保复核抽查",
        ]);
        assert!(ok, "{out}{err}");
    }
    let targets = fixtures(&srv, grid, community);
    let names = resident_names(&srv, community);
    assert!(names.len() > 100, "only {} names", names.len());

    let table = routes();
    let mut failures = Vec::new();
    let mut calls = 0;
    // The name check can fail: community staff do see these names.
    let mut names_shown_to_staff = 0;
    for &(login, street) in LOGINS {
        let mut api = srv.api(login);
        let mut web = Web::login(&srv.base, login);
        for r in &table {
            let method = r["method"].as_str().unwrap();
            let path = r["path"].as_str().unwrap();
            let target = r["target"].as_str().unwrap();
            if REVEALING.contains(&path) {
                continue;
            }
            let ids: Vec<Option<i64>> = if target == "none" {
                vec![None]
            } else {
                targets
                    .get(target)
                    .unwrap_or_else(|| {
                        panic!("route {method} {path} names a {target:?}: add a fixture")
                    })
                    .iter()
                    .map(|i| Some(*i))
                    .collect()
            };
            for id in ids {
                let url = fill_route(path, id);
                let body = call(&api, &web, method, &url);
                calls += 1;
                let mut found = leaks(&body);
                if street {
                    found.extend(names_in(&body, &names));
                } else {
                    names_shown_to_staff += names_in(&body, &names).len();
                }
                if !found.is_empty() {
                    failures.push(format!("{login} {method} {url}: {}", found.join(", ")));
                }
                if method != "GET" && (path == "/logout" || path == "/api/v1/session") {
                    api = srv.api(login);
                    web = Web::login(&srv.base, login);
                }
            }
        }
        // Searches by a name, a phone's tail and an address, as users type them.
        let surname: String = names.iter().next().unwrap().chars().take(1).collect();
        for url in [
            format!("/api/v1/persons?q={surname}"),
            format!("/search?q={surname}"),
            "/api/v1/persons?q=1234".to_string(),
            "/search?q=1234".to_string(),
        ] {
            let body = call(&api, &web, "GET", &url);
            let mut found = leaks(&body);
            if street {
                found.extend(names_in(&body, &names));
            }
            if !found.is_empty() {
                failures.push(format!("{login} GET {url}: {}", found.join(", ")));
            }
        }
    }

    // Writes that answer with the record, called as their users call them.
    let person = targets["person"][0];
    let shuji = srv.api("shuji");
    let other_room = sql_int(
        db,
        &format!(
            "SELECT n.id FROM org_nodes n JOIN org_nodes g ON g.id = {grid}
             WHERE n.kind = 'room' AND n.path > g.path AND n.path < g.path || 'z'
               AND n.id <> {} ORDER BY n.id DESC LIMIT 1",
            targets["room"][0]
        ),
    );
    let (s, v) = shuji.get(&format!("/api/v1/persons/{person}"));
    assert_eq!(s, 200, "{v}");
    let writes = [
        (
            "POST",
            format!("/api/v1/persons/{person}/relocate"),
            json!({"room_id": other_room, "relation": "户主"}),
        ),
        (
            "PUT",
            format!("/api/v1/persons/{person}"),
            json!({"person": {"name": v["person"]["name"], "id_number": v["person"]["id_number"],
                              "phone": v["person"]["phone"]}, "version": v["person"]["version"].as_i64().unwrap() + 1}),
        ),
        (
            "PUT",
            format!("/api/v1/rooms/{}/housing", targets["room"][0]),
            json!({"usage": "出租", "landlord_name": "房东欧阳守正", "landlord_phone": "139****5678"}),
        ),
        (
            "PUT",
            format!("/api/v1/units/{}", targets["unit"][0]),
            json!({"unit": {"node_id": grid, "name": "守正便利店", "kind": "商铺",
                            "contact_name": "负责人司马守业", "contact_phone": "137****8765"}}),
        ),
    ];
    for (method, url, body) in writes {
        let (s, v) = shuji.send(method, &url, body);
        calls += 1;
        if s >= 300 {
            failures.push(format!("shuji {method} {url} refused: {s} {v}"));
            continue;
        }
        let found = leaks(&v.to_string());
        if !found.is_empty() {
            failures.push(format!("shuji {method} {url}: {}", found.join(", ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} responses with personal values in full:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(calls > 500, "only {calls} calls");
    // A masked phone sent back unchanged kept what was stored.
    let (ok, out) = db.sql(&format!(
        "SELECT count(*) FROM housing WHERE room_id = {} AND landlord_phone LIKE 'v%'",
        targets["room"][0]
    ));
    assert!(ok && out.trim() == "1", "{out}");
    let (s, v) = shuji.get(&format!("/api/v1/rooms/{}/housing", targets["room"][0]));
    assert_eq!(
        (s, v["landlord_phone"].as_str()),
        (200, Some("139****5678"))
    );

    assert!(
        names_shown_to_staff > 100,
        "only {names_shown_to_staff} names shown to staff"
    );
    println!(
        "{} routes × {} roles: {calls} responses checked",
        table.len(),
        LOGINS.len()
    );
}

/// The body of a call made the way the route's users make it: GETs as they are; the API's
/// writes with a body no handler accepts; forms with the CSRF token and values no handler
/// accepts (so nothing changes, and any error page is checked too).
fn call(api: &Api, web: &Web, method: &str, url: &str) -> String {
    if url.starts_with("/api/") || url.starts_with("/open311/") {
        if method == "GET" {
            return api.get(url).1.to_string();
        }
        return api
            .send(method, url, json!({"__probe": true}))
            .1
            .to_string();
    }
    if method == "GET" {
        return web.get(url).1;
    }
    let (_, account, _) = web.get("/account");
    web.post_form(
        url,
        &[
            ("csrf", &csrf_of(&account)),
            ("on", "不是日期"),
            ("moved_in_on", "不是日期"),
            ("started_on", "不是日期"),
            ("agreement_signed_on", "不是日期"),
        ],
    )
    .1
}

/// Names of residents, landlords, unit contacts and parties in the community.
fn resident_names(srv: &Server, community: i64) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for q in [
        format!("SELECT name FROM persons WHERE community_id = {community}"),
        format!(
            "SELECT landlord_name FROM housing WHERE community_id = {community} AND landlord_name IS NOT NULL"
        ),
        format!(
            "SELECT contact_name FROM units WHERE community_id = {community} AND contact_name IS NOT NULL"
        ),
        "SELECT name FROM mediation_parties".to_string(),
    ] {
        let (ok, out) = srv.db.sql(&q);
        assert!(ok, "{q}: {out}");
        names.extend(
            out.lines()
                .map(str::trim)
                .filter(|l| l.chars().count() >= 2)
                .map(str::to_string),
        );
    }
    names
}

/// Records of every kind the routes name, inside the grid worker's grid, each carrying the
/// personal values it can carry; the node target is tried at room, grid and community level.
fn fixtures(srv: &Server, grid: i64, community: i64) -> BTreeMap<&'static str, Vec<i64>> {
    let db = &srv.db;
    let person = sql_int(
        db,
        &format!(
            "SELECT p.id FROM persons p JOIN org_nodes g ON g.id = {grid} WHERE p.living = 1 AND p.id_blind IS NOT NULL AND p.phone_blind IS NOT NULL AND p.area_path >= g.path AND p.area_path < g.path || 'z' ORDER BY p.id LIMIT 1"
        ),
    );
    let room = sql_int(
        db,
        &format!(
            "SELECT r.room_id FROM residences r WHERE r.person_id = {person} AND r.moved_out_on IS NULL"
        ),
    );
    let shuji = srv.api("shuji");
    let created = |what: &str, (s, v): (u16, Value)| -> i64 {
        assert!(s == 201 || s == 200, "{what}: {s} {v}");
        v["id"].as_i64().unwrap_or_else(|| panic!("{what}: {v}"))
    };
    let tag = created(
        "tag",
        shuji.post(
            &format!("/api/v1/persons/{person}/tags"),
            json!({"kind": "disability", "values": {"category": "肢体", "grade": "2"}}),
        ),
    );
    let group = created(
        "group",
        shuji.post(
            &format!("/api/v1/nodes/{grid}/groups"),
            json!({"name": "遮蔽测试联户", "leader_person_id": person}),
        ),
    );
    let unit = created(
        "unit",
        shuji.post(
            "/api/v1/units",
            json!({"node_id": grid, "name": "守正便利店", "kind": "商铺",
                   "contact_name": "负责人司马守业", "contact_phone": "13712348765"}),
        ),
    );
    let (s, v) = shuji.send(
        "PUT",
        &format!("/api/v1/rooms/{room}/housing"),
        json!({"usage": "出租", "landlord_name": "房东欧阳守正", "landlord_phone": "13912345678"}),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = shuji.post(
        "/api/v1/visits",
        json!({"person_id": person, "findings": "在家，身体尚可",
               "problems": [{"category_code": "0102", "title": "楼道堆物", "photos": support::hazard_photos()}]}),
    );
    assert!(s == 201 || s == 200, "{v}");
    let ticket = created(
        "ticket",
        shuji.post(
            "/api/v1/tickets",
            json!({"node_id": room, "category_code": "0102", "title": "遮蔽测试：楼下垃圾",
                   "source": "resident", "reporter_name": "报告人端木守信", "reporter_phone": "13612345678",
                   "photos": support::hazard_photos()}),
        ),
    );
    let (s, v) = shuji.get(&format!("/api/v1/tickets/{ticket}"));
    assert_eq!(s, 200, "{v}");
    let attachment = v["ticket"]["attachments"][0]["id"].as_i64().unwrap();
    let case = created(
        "case",
        shuji.post(
            "/api/v1/mediation-cases",
            json!({"node_id": grid, "type_code": "邻里", "summary": "楼上漏水",
                   "parties": [{"side": "applicant", "person_id": person},
                               {"side": "respondent", "name": "租户诸葛守义", "id_number": "11010519491231002X",
                                "phone": "13512345678", "address": "外省某地"}]}),
        ),
    );
    BTreeMap::from([
        ("node", vec![room, grid, community]),
        ("room", vec![room]),
        ("person", vec![person]),
        ("tag", vec![tag]),
        ("group", vec![group]),
        ("unit", vec![unit]),
        ("ticket", vec![ticket]),
        ("attachment", vec![attachment]),
        ("mediation_case", vec![case]),
        ("upload", vec![upload_sample(srv, grid)]),
    ])
}

/// An import waiting to be committed: its preview shows the ledger's rows.
fn upload_sample(srv: &Server, grid: i64) -> i64 {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures/sample_ledger.xlsx"
    );
    let bytes = std::fs::read(path).unwrap();
    let web = Web::login(&srv.base, "shuji");
    let (_, page, _) = web.get(&format!("/nodes/{grid}/import"));
    let (s, _, location) = web.upload(
        &format!("/nodes/{grid}/import"),
        &csrf_of(&page),
        "花名册.xlsx",
        &bytes,
    );
    assert_eq!(s, 303);
    location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}
