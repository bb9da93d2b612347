//! Open311 GeoReport v2 against the spec's own examples (open311.github.io, GeoReport v2):
//! discovery, services, a service definition, POST requests with an API key (the spec's example
//! request, with one of our service codes), GET by id, by token and filtered with `page` and
//! `page_size`, `.json` and `.xml`, and the errors the spec names (400, 403, 404).

use crate::support;

use serde_json::{Value, json};
use support::{Server, run, sql_int};

fn community_of_wangge(srv: &Server) -> i64 {
    sql_int(
        &srv.db,
        "SELECT n.community_id FROM user_scopes s JOIN users u ON u.id = s.user_id JOIN org_nodes n ON n.id = s.node_id WHERE u.username = 'wangge'",
    )
}

fn get(srv: &Server, path: &str) -> (u16, String, String) {
    match ureq::get(&format!("{}{path}", srv.base)).call() {
        Ok(mut r) => {
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            (
                r.status().as_u16(),
                ct,
                r.body_mut().read_to_string().unwrap(),
            )
        }
        Err(ureq::Error::StatusCode(code)) => (code, String::new(), String::new()),
        Err(e) => panic!("{path}: {e}"),
    }
}

/// GET without turning error statuses into errors, to read the error body.
fn get_raw(srv: &Server, path: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(&format!("{}{path}", srv.base)).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn post(srv: &Server, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{}{path}", srv.base))
        .send_form(form.iter().copied())
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The spec's example POST, with one of this deployment's service codes.
fn spec_example<'a>(key: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("service_code", code),
        ("lat", "37.76524078"),
        ("long", "-122.4212043"),
        ("address_string", "1234 5th street"),
        ("email", "smit222@sfgov.edu"),
        ("device_id", "tt222111"),
        ("account_id", "123456"),
        ("first_name", "john"),
        ("last_name", "smith"),
        ("phone", "111111111"),
        (
            "description",
            "A large sinkhole is forming in the middle of the road",
        ),
        ("media_url", "http://www.example.com/image.jpg"),
    ]
}

#[test]
fn geo_report_v2_as_the_spec_describes_it() {
    let srv = Server::start(200);
    let community = community_of_wangge(&srv);
    let (ok, key, err) = run(&[
        "open311-key",
        "--db",
        &srv.db.url,
        "--name",
        "市民服务小程序",
        "--node",
        &community.to_string(),
        "--as",
        "shuji",
    ]);
    assert!(ok, "{err}");
    let key = key.trim().to_string();
    assert_eq!(key.len(), 48, "{key}");
    let (ok, _, err) = run(&[
        "open311-key",
        "--db",
        &srv.db.url,
        "--name",
        "网格员",
        "--node",
        &community.to_string(),
        "--as",
        "wangge",
    ]);
    assert!(
        !ok && err.contains("无权"),
        "a grid worker doesn't open the interface: {err}"
    );

    // Discovery.
    let (s, ct, body) = get(&srv, "/open311/v2/discovery.json");
    assert_eq!(s, 200);
    assert!(ct.starts_with("application/json"), "{ct}");
    let d = json_of(&body);
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(
        d["endpoints"][0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/open311/v2/")
    );
    assert_eq!(
        d["endpoints"][0]["formats"],
        json!(["application/json", "text/xml"])
    );
    let (s, ct, body) = get(&srv, "/open311/v2/discovery.xml");
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/xml"), "{ct}");
    assert!(
        body.starts_with("<?xml")
            && body.contains("<discovery>")
            && body.contains("<format>text/xml</format>")
    );

    // Services: every 小类, with its 大类 as the group.
    let (_, _, body) = get(&srv, "/open311/v2/services.json");
    let services = json_of(&body);
    let litter = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "0102")
        .unwrap();
    assert_eq!(litter["service_name"], "暴露垃圾");
    assert_eq!(litter["group"], "市容环境");
    assert_eq!(litter["metadata"], false);
    assert_eq!(litter["type"], "realtime");
    assert!(
        services
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["service_code"].as_str().unwrap().len() == 4)
    );
    let (_, _, xml) = get(&srv, "/open311/v2/services.xml");
    assert!(
        xml.contains("<services><service><service_code>0101</service_code>"),
        "{xml}"
    );
    let (s, _, body) = get(&srv, "/open311/v2/services/0102.json");
    assert_eq!(s, 200);
    assert_eq!(
        json_of(&body),
        json!({"service_code": "0102", "attributes": []})
    );
    let (s, body) = get_raw(&srv, "/open311/v2/services/9999.json");
    assert_eq!(s, 404);
    assert_eq!(json_of(&body)[0]["code"], 404);
    let (s, body) = get_raw(&srv, "/open311/v2/services/0102.xml");
    assert_eq!(s, 200);
    assert!(body.contains(
        "<service_definition><service_code>0102</service_code><attributes></attributes>"
    ));

    // POST: without a key 400, with a wrong one 403, with the key the spec's example is filed.
    let example = spec_example(&key, "0303");
    let no_key: Vec<_> = example
        .iter()
        .filter(|(k, _)| *k != "api_key")
        .copied()
        .collect();
    let (s, body) = post(&srv, "/open311/v2/requests.json", &no_key);
    assert_eq!(s, 400, "{body}");
    assert_eq!(json_of(&body)[0]["code"], 400);
    let wrong = spec_example("not-a-key", "0303");
    let (s, body) = post(&srv, "/open311/v2/requests.xml", &wrong);
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("<errors><error><code>403</code>"), "{body}");
    let (s, body) = post(&srv, "/open311/v2/requests.json", &example);
    assert_eq!(s, 200, "{body}");
    let receipt = json_of(&body);
    let id = receipt[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = receipt[0]["token"].as_str().unwrap().to_string();
    assert!(
        receipt[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("道路破损")
    );
    assert!(receipt[0]["account_id"].is_null());

    // By id and by token; no contact details leave.
    let (s, _, body) = get(&srv, &format!("/open311/v2/requests/{id}.json"));
    assert_eq!(s, 200);
    let r = &json_of(&body)[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "0303");
    assert_eq!(r["address"], "1234 5th street");
    assert_eq!(r["lat"], 37.76524078);
    assert_eq!(r["long"], -122.4212043);
    assert!(r["description"].as_str().unwrap().contains("sinkhole"));
    let requested = r["requested_datetime"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(requested).is_ok() && !requested.ends_with('Z'),
        "ISO 8601 with a zone offset: {requested}"
    );
    for private in ["smith", "111111111"] {
        assert!(!body.contains(private), "{private} in {body}");
    }
    let (_, _, body) = get(&srv, &format!("/open311/v2/tokens/{token}.json"));
    assert_eq!(json_of(&body)[0]["service_request_id"], id.as_str());
    let (s, body) = get_raw(&srv, "/open311/v2/requests/999999.json");
    assert_eq!((s, json_of(&body)[0]["code"].as_i64()), (404, Some(404)));
    let (_, _, xml) = get(&srv, &format!("/open311/v2/requests/{id}.xml"));
    assert!(xml.contains(&format!("<service_requests><request><service_request_id>{id}</service_request_id><status>open</status>")), "{xml}");
    // Characters XML 1.0 forbids (a pasted control character, U+FFFF) are dropped from the
    // .xml answer, which stays well-formed; tab, CR and LF stay.
    let forbidden = match support::backend() {
        support::Backend::Sqlite => "char(1) || char(31) || char(65534) || char(65535)",
        support::Backend::Postgres => "chr(1) || chr(31) || chr(65534) || chr(65535)",
    };
    let (ok, out) = srv.db.sql(&format!(
        "UPDATE tickets SET description = '坑洼' || {forbidden} || '路面' WHERE id = {id}"
    ));
    assert!(ok, "{out}");
    let (_, _, xml) = get(&srv, &format!("/open311/v2/requests/{id}.xml"));
    assert!(xml.contains("<description>坑洼路面</description>"), "{xml}");
    assert!(
        !xml.chars()
            .any(|c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
                || c == '\u{FFFE}'
                || c == '\u{FFFF}'),
        "{xml:?}"
    );
    let (_, _, body) = get(&srv, &format!("/open311/v2/requests/{id}.json"));
    assert_eq!(
        json_of(&body)[0]["description"],
        "坑洼\u{1}\u{1f}\u{fffe}\u{ffff}路面",
        "JSON carries them escaped"
    );

    // It is a ticket of the key's community like any other.
    let head = srv.api("shuji");
    let (_, list) = head.get(&format!("/api/v1/nodes/{community}/tickets"));
    let ticket = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"].as_i64().unwrap().to_string() == id)
        .unwrap()
        .clone();
    assert_eq!(ticket["source"], "open311");
    let (s, v) = head.post(
        &format!("/api/v1/tickets/{id}/steps"),
        json!({"action": "refuse", "version": ticket["version"], "note": "属市政道路，已转市政部门"}),
    );
    assert_eq!(s, 200, "{v}");
    let (_, _, body) = get(&srv, &format!("/open311/v2/requests/{id}.json"));
    let r = &json_of(&body)[0];
    assert_eq!(r["status"], "closed");
    assert_eq!(r["status_notes"], "属市政道路，已转市政部门");

    // Filters and pages.
    for code in ["0102", "0102", "0602"] {
        let (s, body) = post(&srv, "/open311/v2/requests.json", &spec_example(&key, code));
        assert_eq!(s, 200, "{body}");
    }
    let ids = |path: &str| -> Vec<String> {
        let (s, _, body) = get(&srv, path);
        assert_eq!(s, 200, "{path}: {body}");
        json_of(&body)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("/open311/v2/requests.json").len(), 4);
    assert_eq!(ids("/open311/v2/requests.json?service_code=0102").len(), 2);
    assert_eq!(
        ids("/open311/v2/requests.json?service_code=0102,0602&status=open").len(),
        3
    );
    assert_eq!(
        ids("/open311/v2/requests.json?status=closed"),
        vec![id.clone()]
    );
    assert_eq!(
        ids(&format!(
            "/open311/v2/requests.json?service_request_id={id}"
        )),
        vec![id.clone()]
    );
    let first = ids("/open311/v2/requests.json?page_size=3&page=1");
    let second = ids("/open311/v2/requests.json?page_size=3&page=2");
    assert_eq!((first.len(), second.len()), (3, 1));
    assert!(!first.contains(&second[0]));
    for bad in [
        "/open311/v2/requests.json?page_size=0",
        "/open311/v2/requests.json?page=0",
        "/open311/v2/requests.json?status=pending",
        "/open311/v2/requests.json?start_date=yesterday",
        "/open311/v2/requests.json?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-06-01T00:00:00%2B08:00",
    ] {
        let (s, body) = get_raw(&srv, bad);
        assert_eq!(s, 400, "{bad}: {body}");
        assert!(
            json_of(&body)[0]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }

    // Bad requests are refused with the reason.
    let mut nowhere = spec_example(&key, "0102");
    nowhere.retain(|(k, _)| !["lat", "long", "address_string"].contains(k));
    let (s, body) = post(&srv, "/open311/v2/requests.json", &nowhere);
    assert_eq!(s, 400, "{body}");
    let long = "很".repeat(4001);
    let mut too_long = spec_example(&key, "0102");
    too_long.retain(|(k, _)| *k != "description");
    too_long.push(("description", &long));
    assert_eq!(post(&srv, "/open311/v2/requests.json", &too_long).0, 400);
    let (s, body) = post(&srv, "/open311/v2/requests.json", &spec_example(&key, "01"));
    assert_eq!(s, 404, "a 大类 is not a service: {body}");
}
