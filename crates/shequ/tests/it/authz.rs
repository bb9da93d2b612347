//! The authorisation test, generated from the router: `shequ routes` prints every registered
//! route with its rule, and each route is called by every role, for a record inside and a record
//! outside the caller's area. A route whose `{id}` names a kind of record this test has no
//! fixture for fails the test, so a new route can't slip through unchecked.

use crate::support;

use std::collections::BTreeMap;

use serde_json::json;
use support::{
    Api, Server, Web, add_user, another_district, csrf_of, fill_route, first_resident,
    grid_of_wangge, routes, run, sql_int,
};

/// Which role is which login, and what each may do (kept in step with `Role` by hand on
/// purpose: the test must not ask the product what the product allows).
struct Login {
    username: &'static str,
    role: &'static str,
}

const LOGINS: &[Login] = &[
    Login {
        username: "wangge",
        role: "grid_worker",
    },
    Login {
        username: "zhuangan",
        role: "line_worker",
    },
    Login {
        username: "shuji",
        role: "community_head",
    },
    Login {
        username: "jiedao",
        role: "street_staff",
    },
    Login {
        username: "quxian",
        role: "district_admin",
    },
    Login {
        username: "admin",
        role: "admin",
    },
    Login {
        username: "anquan",
        role: "security_admin",
    },
    Login {
        username: "shenji",
        role: "auditor",
    },
];

/// May `role` do what `need` names, in principle (before the area is looked at)? `granted`:
/// the street user was granted personal data of the community under test.
fn may(role: &str, need: &str) -> bool {
    let community = ["grid_worker", "line_worker", "community_head"].contains(&role);
    match need {
        "public" | "logged_in" => true,
        "view_area" => !["security_admin", "auditor"].contains(&role),
        // The street user holds a grant; the district admin does not.
        "read_people" => community || role == "street_staff",
        "write_people" | "export_people" => community,
        "add_places" => ["grid_worker", "community_head", "admin"].contains(&role),
        "manage_tree" => ["community_head", "admin"].contains(&role),
        "manage_users" => role == "security_admin",
        // The district's settings are its administrator's; a community head adds its own.
        "district_settings" => role == "district_admin",
        "settings" => ["district_admin", "community_head"].contains(&role),
        // A community's own wording of its work summary: its head's.
        "community_settings" => role == "community_head",
        // A summary's wording: the community head's, or the street's (district's) own.
        "word_summary" => ["community_head", "street_staff", "district_admin"].contains(&role),
        "read_audit" => role == "auditor",
        // 一表通: the street and the district send forms, the community answers them.
        "publish_forms" => ["street_staff", "district_admin"].contains(&role),
        "fill_forms" => ["community_head", "line_worker"].contains(&role),
        "work_tickets" => community || role == "street_staff",
        "manage_tickets" => ["community_head", "street_staff"].contains(&role),
        // The fixture's file is a ticket's photo: those who work tickets.
        "attached_record" => community || role == "street_staff",
        other => panic!("the test has no expectation for need {other:?}: add it"),
    }
}

#[derive(Default)]
struct Records {
    inside: BTreeMap<&'static str, i64>,
    outside: BTreeMap<&'static str, i64>,
}

#[test]
fn every_route_every_role_inside_and_outside_the_area() {
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
    let (ok, out, err) = run(&[
        "user",
        "grant",
        "--db",
        &db.url,
        "--username",
        "jiedao",
        "--area",
        &community.to_string(),
        "--reason",
        "街道低保复核抽查",
    ]);
    assert!(ok, "{out}{err}");

    let records = fixtures(&srv, grid);
    let table = routes();
    assert!(table.len() >= 50, "only {} routes: {table:?}", table.len());

    let denied_before = sql_int(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
    let mut refusals = 0;
    let mut calls = 0;
    let mut csrf_checks = 0;
    let mut failures = Vec::new();
    for login in LOGINS {
        let mut api = srv.api(login.username);
        let mut web = Web::login(&srv.base, login.username);
        for r in &table {
            let method = r["method"].as_str().unwrap();
            let path = r["path"].as_str().unwrap();
            let need = r["need"].as_str().unwrap();
            let target = r["target"].as_str().unwrap();
            let allowed = may(login.role, need);
            let cases: Vec<(&str, Option<i64>)> = if target == "none" {
                vec![("-", None)]
            } else {
                let inside = records.inside.get(target).copied().unwrap_or_else(|| {
                    panic!(
                        "route {method} {path} names a {target:?}: the test has no fixture for it"
                    )
                });
                vec![("内", Some(inside)), ("外", Some(records.outside[target]))]
            };
            for (where_, id) in cases {
                let url = fill_route(path, id);
                let expect_refusal = need != "public" && (!allowed || where_ == "外");
                // Every form but the login form carries the CSRF token: without it, nothing
                // happens, for a caller who would otherwise be let through.
                // Open311 clients authenticate by api_key, not by a session: no CSRF token.
                if !url.starts_with("/api/")
                    && !url.starts_with("/open311/")
                    && method == "POST"
                    && path != "/login"
                    && !expect_refusal
                {
                    let (status, body, _) = if path.ends_with("/import") {
                        // The upload form is multipart: send one without the token.
                        web.upload(&url, "", "花名册.xlsx", b"PK")
                    } else {
                        web.post_form(&url, &[("on", "不是日期")])
                    };
                    csrf_checks += 1;
                    if status != 422 || !body.contains("安全校验") {
                        failures.push(format!(
                            "{} POST {url} without a CSRF token → {status}, expected 422",
                            login.username
                        ));
                    }
                }
                let status = call(&srv, &api, &web, method, &url);
                let ok = if expect_refusal {
                    status == 403
                } else if need == "public" {
                    // A login with no password is answered 401, as any failed login.
                    status != 403 && status < 500
                } else {
                    status != 403 && status != 401 && status < 500
                };
                calls += 1;
                if expect_refusal && status == 403 {
                    refusals += 1;
                }
                if !ok {
                    failures.push(format!(
                        "{} ({}) {method} {url} [{need}, {where_}] → {status}, expected {}",
                        login.username,
                        login.role,
                        if expect_refusal {
                            "403"
                        } else {
                            "not 401/403/5xx"
                        }
                    ));
                }
                // Logging out ends the session: log in again for the routes that follow.
                if method != "GET" && (path == "/logout" || path == "/api/v1/session") {
                    api = srv.api(login.username);
                    web = Web::login(&srv.base, login.username);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every refusal left an audit row.
    let denied_after = sql_int(db, "SELECT count(*) FROM audit_log WHERE action = 'denied'");
    assert_eq!(
        denied_after - denied_before,
        refusals,
        "one audit row per refusal"
    );
    assert!(
        refusals > 300,
        "only {refusals} refusals: the matrix is too thin"
    );
    assert!(csrf_checks > 50, "only {csrf_checks} CSRF checks");
    println!(
        "{} routes × {} roles: {calls} calls, {refusals} refused as expected, {csrf_checks} forms refused without a CSRF token",
        table.len(),
        LOGINS.len()
    );
}

/// Calls a route the way its users do: the API with a bearer token and a JSON body that no
/// handler accepts (so an allowed call changes nothing), pages with the session cookie and, for
/// forms, the page's CSRF token and dates no handler accepts.
fn call(srv: &Server, api: &Api, web: &Web, method: &str, url: &str) -> u16 {
    if url.starts_with("/api/") {
        let (status, v) = if method == "GET" {
            api.get(url)
        } else {
            api.send(method, url, json!({"__probe": true}))
        };
        // Let through by role and area, then asked for the second factor (full ID numbers):
        // a step-up challenge, not a refusal. Told apart from "not logged in" as 428.
        if status == 401 && v["error"]["code"] == "second_factor_required" {
            return 428;
        }
        return status;
    }
    if method == "GET" {
        return web.get(url).0;
    }
    // Every logged-in user can open their account page, which carries the token.
    let (_, account, _) = web.get("/account");
    let csrf = csrf_of(&account);
    let _ = srv;
    web.post_form(
        url,
        &[
            ("csrf", &csrf),
            ("on", "不是日期"),
            ("moved_in_on", "不是日期"),
            ("started_on", "不是日期"),
            ("agreement_signed_on", "不是日期"),
        ],
    )
    .0
}

/// A record of every kind inside the grid worker's grid (so inside every role's area), and one
/// of every kind in a second district that no test user's area reaches.
fn fixtures(srv: &Server, grid: i64) -> Records {
    let mut rec = Records::default();
    let (person, room) = first_resident(srv, grid);
    let shuji = srv.api("shuji");
    let (s, v) = shuji.post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "disability", "values": {"category": "肢体", "grade": "2"}}),
    );
    assert_eq!(s, 201, "{v}");
    let tag = v["id"].as_i64().unwrap();
    let (s, v) = shuji.post(
        &format!("/api/v1/nodes/{grid}/groups"),
        json!({"name": "授权测试联户", "leader_person_id": person}),
    );
    assert_eq!(s, 201, "{v}");
    let group = v["id"].as_i64().unwrap();
    let (s, v) = shuji.post(
        "/api/v1/units",
        json!({"node_id": grid, "name": "授权测试商铺", "kind": "商铺"}),
    );
    assert_eq!(s, 201, "{v}");
    let unit = v["id"].as_i64().unwrap();
    let (s, v) = shuji.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0102", "title": "授权测试：楼下垃圾",
               "photos": support::hazard_photos()}),
    );
    assert_eq!(s, 201, "{v}");
    let ticket = v["id"].as_i64().unwrap();
    let attachment = first_attachment(&shuji, ticket);
    let case = mediation_case(&shuji, grid, person);
    rec.inside = BTreeMap::from([
        ("node", room),
        ("person", person),
        ("tag", tag),
        ("group", group),
        ("unit", unit),
        ("ticket", ticket),
        ("attachment", attachment),
        ("mediation_case", case),
        ("upload", upload_sample(srv, "shuji", grid)),
    ]);

    // The second district, with its own administrator and community head.
    let ids = another_district(srv);
    let head = srv.api("waiqu");
    let id_number = "110105198001010032";
    let (s, v) = head.post(
        "/api/v1/persons",
        json!({"person": {"name": "区外人", "id_number": id_number}, "residence": {"room_id": ids["room"], "relation": "户主"}}),
    );
    assert_eq!(s, 201, "{v}");
    let out_person = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        &format!("/api/v1/persons/{out_person}/tags"),
        json!({"kind": "disability", "values": {"category": "肢体", "grade": "2"}}),
    );
    assert_eq!(s, 201, "{v}");
    let out_tag = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        &format!("/api/v1/nodes/{}/groups", ids["grid"]),
        json!({"name": "外区联户", "leader_person_id": out_person}),
    );
    assert_eq!(s, 201, "{v}");
    let out_group = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        "/api/v1/units",
        json!({"node_id": ids["grid"], "name": "外区商铺", "kind": "商铺"}),
    );
    assert_eq!(s, 201, "{v}");
    let out_unit = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        "/api/v1/tickets",
        json!({"node_id": ids["room"], "category_code": "0102", "title": "外区垃圾",
               "photos": support::hazard_photos()}),
    );
    assert_eq!(s, 201, "{v}");
    let out_ticket = v["id"].as_i64().unwrap();
    rec.outside = BTreeMap::from([
        ("node", ids["room"]),
        ("person", out_person),
        ("tag", out_tag),
        ("group", out_group),
        ("unit", out_unit),
        ("ticket", out_ticket),
        ("attachment", first_attachment(&head, out_ticket)),
        (
            "mediation_case",
            mediation_case(&head, ids["grid"], out_person),
        ),
        ("upload", upload_sample(srv, "waiqu", ids["grid"])),
    ]);
    rec
}

/// A neighbour dispute between a resident and an outsider, settled: every case route has
/// something to show (the agreement too).
fn mediation_case(api: &Api, grid: i64, person: i64) -> i64 {
    let (s, v) = api.post(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "邻里", "summary": "楼上漏水",
               "parties": [{"side": "applicant", "person_id": person},
                           {"side": "respondent", "name": "外来租户"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = api.post(
        &format!("/api/v1/mediation-cases/{id}/close"),
        json!({"outcome": "success", "agreement": "被申请人修好防水层", "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    id
}

fn first_attachment(api: &Api, ticket: i64) -> i64 {
    let (s, v) = api.get(&format!("/api/v1/tickets/{ticket}"));
    assert_eq!(s, 200, "{v}");
    v["ticket"]["attachments"][0]["id"].as_i64().unwrap()
}

/// An import waiting to be committed, uploaded by `user` to `grid`; its number.
fn upload_sample(srv: &Server, user: &str, grid: i64) -> i64 {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures/sample_ledger.xlsx"
    );
    let bytes = std::fs::read(path).unwrap();
    let web = Web::login(&srv.base, user);
    let (_, page, _) = web.get(&format!("/nodes/{grid}/import"));
    let (s, _, location) = web.upload(
        &format!("/nodes/{grid}/import"),
        &csrf_of(&page),
        "花名册.xlsx",
        &bytes,
    );
    assert_eq!(s, 303, "upload as {user}");
    location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}
