//! Masking by default, revealing with a reason and the second factor (TOTP), replayed codes
//! refused, and what street staff see of people they were granted.

use crate::support;

use serde_json::{Value, json};
use shequ_domain::access::totp::{self, TotpSecret};
use support::{Api, Server, Web, csrf_of, run, sql_int};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Binds an authenticator for the API's user (with the binding code the security
/// administrator issues); returns the secret. Uses the current step.
fn enroll(srv: &Server, api: &Api, username: &str) -> TotpSecret {
    let code = support::binding_code(&srv.db.url, username);
    let (s, v) = api.post("/api/v1/me/totp", json!({"binding_code": code}));
    assert_eq!(s, 200, "{v}");
    let secret = TotpSecret::from_base32(v["secret"].as_str().unwrap()).unwrap();
    assert!(
        v["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let (s, v) = api.post(
        "/api/v1/session/totp",
        json!({"code": totp::code_at(&secret, now())}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["second_factor_passed"], true);
    secret
}

/// A person living in the grid worker's grid.
fn a_person(srv: &Server) -> i64 {
    sql_int(
        &srv.db,
        "SELECT p.id FROM persons p JOIN user_scopes s ON 1 = 1 JOIN users u ON u.id = s.user_id AND u.username = 'wangge'
         JOIN org_nodes g ON g.id = s.node_id
         WHERE p.living = 1 AND p.id_blind IS NOT NULL AND p.phone_blind IS NOT NULL AND p.area_path > g.path AND p.area_path < g.path || 'z'
         ORDER BY p.id LIMIT 1",
    )
}

#[test]
fn numbers_are_masked_until_revealed_with_a_reason_and_a_second_factor() {
    let srv = Server::start(300);
    let pid = a_person(&srv);
    let api = srv.api("shuji");
    let (s, p) = api.get(&format!("/api/v1/persons/{pid}"));
    assert_eq!(s, 200);
    let masked_id = p["person"]["id_number"].as_str().unwrap().to_string();
    let masked_phone = p["person"]["phone"].as_str().unwrap().to_string();
    assert_eq!(masked_id.len(), 18);
    assert_eq!(&masked_id[6..14], "********", "{masked_id}");
    assert_eq!(&masked_phone[3..7], "****", "{masked_phone}");

    // No second factor yet: a step-up challenge, not the data.
    let (s, v) = api.post(
        &format!("/api/v1/persons/{pid}/reveal"),
        json!({"reason": "入户走访，核对身份"}),
    );
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["error"]["code"], "second_factor_required");

    let secret = enroll(&srv, &api, "shuji");
    // A reason is required.
    let (s, v) = api.post(
        &format!("/api/v1/persons/{pid}/reveal"),
        json!({"reason": " "}),
    );
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["field"], "查看原因");
    let (s, full) = api.post(
        &format!("/api/v1/persons/{pid}/reveal"),
        json!({"reason": "办理低保年审，核对身份证号"}),
    );
    assert_eq!(s, 200, "{full}");
    let id = full["id_number"].as_str().unwrap();
    assert!(!id.contains('*') && id.ends_with(&masked_id[14..]) && id.starts_with(&masked_id[..6]));
    let phone = full["phone"].as_str().unwrap();
    assert!(phone.ends_with(&masked_phone[7..]) && !phone.contains('*'));
    // Audited, with the reason, by whom.
    let (ok, rows) = srv.db.sql(&format!(
        "SELECT username || '|' || detail FROM audit_log WHERE action = 'reveal' AND target = 'person:{pid}'"
    ));
    assert!(ok, "{rows}");
    assert!(
        rows.contains("shuji|") && rows.contains("办理低保年审"),
        "{rows}"
    );
    assert!(
        !rows.contains(id),
        "the audit row holds no full number: {rows}"
    );

    // The same code is refused in another session (replay), the next one is accepted.
    let other = srv.api("shuji");
    let (s, v) = other.post(
        "/api/v1/session/totp",
        json!({"code": totp::code_at(&secret, now())}),
    );
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("已使用过"),
        "{v}"
    );
    let (s, v) = other.post("/api/v1/session/totp", json!({"code": "12345"}));
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("6 位"),
        "{v}"
    );
    let (s, v) = other.post(
        "/api/v1/session/totp",
        json!({"code": totp::code_at(&secret, now() + totp::STEP_SECONDS)}),
    );
    assert_eq!(s, 200, "{v}");

    // Sending the masked values back unchanged keeps the stored numbers.
    let mut person: Value = p["person"].clone();
    let version = person["version"].clone();
    let input = json!({
        "name": person["name"], "id_number": masked_id, "phone": masked_phone,
        "ethnicity": person["ethnicity"], "person_type": person["person_type"],
        "notes": "改了备注",
    });
    let (s, v) = api.send(
        "PUT",
        &format!("/api/v1/persons/{pid}"),
        json!({"person": input, "version": version}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["id_number"], masked_id.as_str());
    let (s, again) = other.post(
        &format!("/api/v1/persons/{pid}/reveal"),
        json!({"reason": "更正登记错误"}),
    );
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["id_number"], id);
    assert_eq!(again["phone"], phone);
    person["notes"] = again["notes"].clone();
    assert_eq!(person["notes"], "改了备注");

    // The security administrator resets a lost authenticator: sessions end.
    let (ok, out, err) = run(&[
        "user",
        "reset-totp",
        "--db",
        &srv.db.url,
        "--username",
        "shuji",
    ]);
    assert!(ok, "{out}{err}");
    assert_eq!(api.get("/api/v1/me").0, 401);
}

#[test]
fn street_staff_see_granted_people_with_masked_names_and_nothing_else() {
    let srv = Server::start(300);
    let pid = a_person(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT community_id FROM persons WHERE id = {pid}"),
    );
    let jiedao = srv.api("jiedao");
    let (s, v) = jiedao.get(&format!("/api/v1/persons/{pid}"));
    assert_eq!(s, 403, "no grant yet: {v}");
    let (ok, out, err) = run(&[
        "user",
        "grant",
        "--db",
        &srv.db.url,
        "--username",
        "jiedao",
        "--area",
        &community.to_string(),
        "--reason",
        "街道低保复核",
    ]);
    assert!(ok, "{out}{err}");
    let jiedao = srv.api("jiedao");
    let (s, v) = jiedao.get(&format!("/api/v1/persons/{pid}"));
    assert_eq!(s, 200, "{v}");
    let name = v["person"]["name"].as_str().unwrap();
    assert!(name.contains('*'), "street staff see masked names: {name}");
    // Read only: a grant is not a licence to change the registry.
    let (s, _) = jiedao.send(
        "PUT",
        &format!("/api/v1/persons/{pid}"),
        json!({"person": {"name": "改名"}}),
    );
    assert_eq!(s, 403);
    // Granting to a community role is refused, and so is a node outside the user's area.
    let (ok, _, err) = run(&[
        "user",
        "grant",
        "--db",
        &srv.db.url,
        "--username",
        "shuji",
        "--area",
        &community.to_string(),
        "--reason",
        "无需授权",
    ]);
    assert!(!ok && err.contains("社区角色"), "{err}");
    let (ok, out, err) = run(&[
        "user",
        "revoke",
        "--db",
        &srv.db.url,
        "--username",
        "jiedao",
        "--area",
        &community.to_string(),
    ]);
    assert!(ok, "{out}{err}");
    let jiedao = srv.api("jiedao");
    assert_eq!(jiedao.get(&format!("/api/v1/persons/{pid}")).0, 403);
}

#[test]
fn the_profile_page_masks_and_reveals_with_a_code() {
    let srv = Server::start(300);
    let pid = a_person(&srv);
    let web = Web::login(&srv.base, "shuji");
    let (s, html, _) = web.get(&format!("/people/{pid}"));
    assert_eq!(s, 200);
    assert!(html.contains("********"), "masked on the page");
    // Bind through the account page: the QR code and the secret are shown once.
    let (_, account, _) = web.get("/account");
    assert!(account.contains("未绑定"), "{account}");
    let code = support::binding_code(&srv.db.url, "shuji");
    let (s, bound, _) = web.post_form(
        "/account/totp/begin",
        &[
            ("csrf", &csrf_of(&account)),
            ("next", "/account"),
            ("binding_code", &code),
        ],
    );
    assert_eq!(s, 200);
    assert!(bound.contains("<svg"), "QR code shown");
    let i = bound.find("id=\"totp-secret\">").unwrap() + 17;
    let secret = TotpSecret::from_base32(bound[i..].split('<').next().unwrap()).unwrap();
    let (s, _, location) = web.post_form(
        "/account/totp/verify",
        &[
            ("csrf", &csrf_of(&bound)),
            ("next", &format!("/people/{pid}")),
            ("code", &totp::code_at(&secret, now())),
        ],
    );
    assert_eq!(s, 303);
    assert_eq!(location.as_deref(), Some(format!("/people/{pid}").as_str()));
    let (_, html, _) = web.get(&format!("/people/{pid}"));
    let (s, shown, _) = web.post_form(
        &format!("/people/{pid}/reveal"),
        &[("csrf", &csrf_of(&html)), ("reason", "入户走访，核对身份")],
    );
    assert_eq!(s, 200);
    assert!(shown.contains("id=\"revealed\""), "{shown}");
    assert!(!shown[shown.find("<dl").unwrap()..shown.find("</dl>").unwrap()].contains("********"));
    // An open redirect is not possible through `next`.
    let (_, account, _) = web.get("/account");
    let (s, _, location) = web.post_form(
        "/account/totp/verify",
        &[
            ("csrf", &csrf_of(&account)),
            ("next", "//evil.example/"),
            ("code", "000000"),
        ],
    );
    assert_ne!(location.as_deref(), Some("//evil.example/"), "status {s}");
}
