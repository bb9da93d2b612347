//! What a user reads on the pages: every page of the route table that the demo data reaches,
//! opened as every role, shows no internal code (the serialized names of the enums and
//! vocabularies: `urgent`, `working_days`, `dispatched`, `grid_worker` …) where a Chinese name
//! belongs, and every empty list says 暂无 rather than showing nothing. A page added later is
//! checked without being named here: the pages come from `shequ routes`.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use support::{Server, Web, csrf_of, first_resident, grid_of_wangge, routes, sql_int};

const LOGINS: &[&str] = &[
    "wangge", "zhuangan", "shuji", "jiedao", "quji", "admin", "anquan", "shenji",
];

/// Codes that are identifiers by nature: units of time limits and roles (their values are in
/// the schema's CHECK constraints and in `Role`); the rest are read from the records below.
const KNOWN_CODES: &[&str] = &[
    "hours",
    "working_hours",
    "working_days",
    "days",
    "grid_worker",
    "line_worker",
    "community_head",
    "street_staff",
    "district_admin",
    "security_admin",
    "auditor",
    "normal",
    "urgent",
];

/// Removes an element with its content (`<script>…</script>`), case-sensitively as our
/// templates write them.
fn drop_elements(html: &str, tag: &str) -> String {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        out.push_str(&rest[..i]);
        match rest[i..].find(&close) {
            Some(j) => rest = &rest[i + j + close.len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text a reader sees: no scripts, styles or drawings, no tags or attributes.
fn visible_text(html: &str) -> String {
    let mut html = html.to_string();
    for tag in ["script", "style", "svg", "head"] {
        html = drop_elements(&html, tag);
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn ascii_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .map(str::to_string)
        .collect()
}

/// Lists (`<ul>`, `<ol>`, a table or its body) with nothing in them and no 暂无 in them or
/// right after them, named by their first tag.
fn empty_lists(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (open, close, item) in [
        ("<ul", "</ul>", "<li"),
        ("<ol", "</ol>", "<li"),
        ("<tbody", "</tbody>", "<tr"),
        ("<table", "</table>", "<td"),
    ] {
        let mut rest = html;
        while let Some(i) = rest.find(open) {
            let after = &rest[i..];
            let Some(j) = after.find(close) else { break };
            let inner = &after[..j];
            let next: String = after[j + close.len()..].chars().take(120).collect();
            if !inner.contains(item) && !inner.contains("暂无") && !next.contains("暂无") {
                let tag_end = after.find('>').unwrap_or(0);
                found.push(after[..=tag_end].to_string());
            }
            rest = &after[j..];
        }
    }
    found
}

fn codes(srv: &Server) -> BTreeSet<String> {
    let mut codes: BTreeSet<String> = KNOWN_CODES.iter().map(|c| c.to_string()).collect();
    for query in [
        "SELECT code FROM ticket_time_limits",
        "SELECT code FROM patrol_types",
        "SELECT DISTINCT kind FROM org_nodes",
        "SELECT DISTINCT state FROM tickets",
        "SELECT DISTINCT source FROM tickets",
        "SELECT DISTINCT action FROM ticket_events",
        "SELECT DISTINCT assignee_kind FROM tickets WHERE assignee_kind IS NOT NULL",
        "SELECT DISTINCT kind FROM tags",
        "SELECT DISTINCT side FROM mediation_parties",
        "SELECT DISTINCT type_code FROM mediation_cases",
        "SELECT DISTINCT outcome FROM mediation_cases WHERE outcome IS NOT NULL",
        "SELECT DISTINCT source FROM mediation_cases",
    ] {
        let (ok, out) = srv.db.sql(query);
        assert!(ok, "{query}: {out}");
        codes.extend(
            out.lines()
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty() && l.is_ascii() && l.chars().any(|c| c.is_ascii_alphabetic())
                })
                .filter(|l| {
                    !l.contains(' ')
                        && !l.contains('|')
                        && !l.starts_with('-')
                        && !l.starts_with('(')
                })
                .map(str::to_string),
        );
    }
    // A user name is typed by people and shown as it is (the audit log names `admin`).
    for u in LOGINS {
        codes.remove(*u);
    }
    codes
}

#[test]
fn no_page_shows_an_internal_code_or_an_empty_list_without_saying_so() {
    let srv = Server::start(200);
    let db = &srv.db;
    let grid = grid_of_wangge(&srv);
    let community = sql_int(
        db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let (person, room) = first_resident(&srv, grid);
    // Records of every kind a page names, made as their users make them.
    let head = srv.api("shuji");
    let made = |path: &str, body: Value| -> i64 {
        let (s, v) = head.post(path, body);
        assert_eq!(s, 201, "{path}: {v}");
        v["id"].as_i64().unwrap()
    };
    let tag = made(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "disability", "values": {"category": "肢体", "grade": "2"}}),
    );
    let group = made(
        &format!("/api/v1/nodes/{grid}/groups"),
        json!({"name": "页面测试联户", "leader_person_id": person}),
    );
    let unit = made(
        "/api/v1/units",
        json!({"node_id": grid, "name": "页面测试商铺", "kind": "商铺"}),
    );
    let ticket = made(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0102", "title": "楼下垃圾",
               "photos": support::hazard_photos()}),
    );
    let (s, v) = head.post(
        &format!("/api/v1/tickets/{ticket}/steps"),
        json!({"action": "accept", "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    let case = made(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "邻里", "summary": "楼上漏水",
               "parties": [{"side": "applicant", "person_id": person},
                           {"side": "respondent", "name": "外来租户"}]}),
    );
    let web = Web::login(&srv.base, "shuji");
    let (_, page, _) = web.get(&format!("/nodes/{community}/report-links"));
    let (s, _, _) = web.post_form(
        &format!("/nodes/{community}/report-links"),
        &[("csrf", &csrf_of(&page)), ("name", "1幢大堂")],
    );
    assert_eq!(s, 303);
    let (ok, slug) = db.sql("SELECT slug FROM report_links");
    assert!(ok, "{slug}");
    let slug = slug.trim().to_string();
    let targets: BTreeMap<&str, Vec<i64>> = BTreeMap::from([
        ("node", vec![community, grid, room]),
        ("person", vec![person]),
        ("tag", vec![tag]),
        ("group", vec![group]),
        ("unit", vec![unit]),
        ("ticket", vec![ticket]),
        ("mediation_case", vec![case]),
    ]);
    let codes = codes(&srv);
    assert!(
        [
            "urgent",
            "general",
            "long",
            "working_days",
            "community",
            "safety"
        ]
        .iter()
        .all(|c| codes.contains(*c)),
        "{codes:?}"
    );

    let table = routes();
    let mut pages: Vec<String> = Vec::new();
    let mut unreached = Vec::new();
    for r in &table {
        let (method, path) = (r["method"].as_str().unwrap(), r["path"].as_str().unwrap());
        if method != "GET"
            || path.starts_with("/api/")
            || path.starts_with("/open311/")
            || path.starts_with("/static/")
            || [".xlsx", ".docx", ".json", ".xml", ".svg", ".png"]
                .iter()
                .any(|e| path.ends_with(e))
        {
            continue;
        }
        let path = path.replace("{slug}", &slug);
        match r["target"].as_str().unwrap() {
            "none" if !path.contains('{') => pages.push(path),
            t => match targets.get(t) {
                Some(ids) => {
                    pages.extend(ids.iter().map(|id| path.replace("{id}", &id.to_string())))
                }
                None => unreached.push(path),
            },
        }
    }
    assert!(pages.len() >= 30, "only {} pages: {pages:?}", pages.len());

    let mut failures = Vec::new();
    let mut seen = 0;
    let anonymous = Web::new(&srv.base);
    let clients: Vec<(&str, Web)> = std::iter::once(("（未登录）", anonymous))
        .chain(LOGINS.iter().map(|u| (*u, Web::login(&srv.base, u))))
        .collect();
    for (who, web) in &clients {
        let searches = web.get("/search?q=%E5%BC%A0").0 == 200;
        for page in &pages {
            if page == "/logout" {
                continue;
            }
            let (s, body, _) = web.get(page);
            if s != 200
                || !body
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("<!doctype html")
            {
                continue;
            }
            seen += 1;
            let text = visible_text(&body);
            let leaked: Vec<String> = ascii_words(&text).intersection(&codes).cloned().collect();
            if !leaked.is_empty() {
                failures.push(format!("{who} {page}: shows the codes {leaked:?}"));
            }
            for list in empty_lists(&body) {
                failures.push(format!("{who} {page}: an empty list without 暂无: {list}"));
            }
            // Where a role may not search, the page offers no search box.
            if !searches && body.contains("action=\"/search\"") {
                failures.push(format!("{who} {page}: a search box it may not use"));
            }
        }
    }
    assert!(seen >= 100, "only {seen} pages opened");
    println!(
        "{seen} pages opened by {} users; not reached: {unreached:?}",
        clients.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
