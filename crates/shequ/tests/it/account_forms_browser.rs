//! The second factor's forms on a 375 px phone, in a real headless Chromium, as the people
//! involved use them: the security administrator issues a one-time binding code with
//! `shequ user bind-code` and tells the grid worker; the worker types it on “我的账号”
//! (totp-begin), adds the secret shown for manual entry to an authenticator and types its
//! code (totp-verify). In a later session the worker opens a resident's full ID number on the
//! person page with a reason and the authenticator's next code (reveal-form). Every step is
//! checked in the stored records: the user's TOTP columns and the audit log.

use crate::support;

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::json;
use shequ_domain::access::totp::{self, TotpSecret};
use shequ_domain::registry::id_number::IdNumber;
use support::phone::{WAIT, login, open, submit};
use support::webdriver::Browser;
use support::{Server, binding_code, grid_of_wangge, occupied_room, sql_int, unix_now};

fn text_of(br: &Browser, selector: &str) -> String {
    br.find(selector)
        .unwrap_or_else(|e| panic!("{selector}: {e}\n{}", br.page_source().unwrap_or_default()))
        .text()
        .unwrap()
}

/// Audit rows of one action on one target (by whom, if given, with `detail` containing `like`).
fn audited(srv: &Server, action: &str, target: &str, who: Option<&str>, like: &str) -> i64 {
    let by = who.map_or(String::new(), |w| format!(" AND username = '{w}'"));
    sql_int(
        &srv.db,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND target = '{target}'{by}
             AND outcome = '成功' AND COALESCE(detail, '') LIKE '%{like}%'"
        ),
    )
}

#[test]
fn a_worker_binds_an_authenticator_with_the_security_admins_code_and_reveals_an_id_number() {
    let srv = Server::start(120);
    let uid = sql_int(&srv.db, "SELECT id FROM users WHERE username = 'wangge'");
    let me = format!("user:{uid}");
    let grid = grid_of_wangge(&srv);
    let room = occupied_room(&srv, grid);
    // A resident of the worker's grid whose full ID number the test knows.
    let id_number = IdNumber::generate("110105", NaiveDate::from_ymd_opt(1972, 8, 19).unwrap(), 31)
        .unwrap()
        .as_str()
        .to_string();
    let (s, v) = srv.api("shuji").post(
        "/api/v1/persons",
        json!({"person": {"name": "核验甲", "id_number": id_number, "phone": "13911112222"},
               "residence": {"room_id": room}}),
    );
    assert_eq!(s, 201, "{v}");
    let person = v["id"].as_i64().unwrap();

    let br = login(&srv, "wangge");
    open(&br, &srv, "/account", "form#totp-begin");
    assert_eq!(text_of(&br, "#totp-status"), "未绑定");
    assert!(
        br.find("form#totp-verify").is_err(),
        "nothing to verify yet"
    );

    // The security administrator issues the worker's binding code and tells it by phone.
    let issued = audited(&srv, "totp.bind_code", &me, None, "");
    let code = binding_code(&srv.db.url, "wangge");
    assert_eq!(audited(&srv, "totp.bind_code", &me, None, ""), issued + 1);

    // A mistyped binding code makes no secret and says what to do.
    let f = br.form("totp-begin").unwrap();
    f.find("input[name=binding_code]")
        .unwrap()
        .send_keys("1111-2222-3333")
        .unwrap();
    submit(&br, &f);
    let error = text_of(&br, "p.error");
    assert!(error.contains("绑定码不正确"), "{error}");
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT COUNT(*) FROM users WHERE id = {uid} AND totp_secret IS NULL")
        ),
        1
    );

    // 生成绑定二维码 with the right code: the secret is shown for manual entry.
    let f = br.form("totp-begin").unwrap();
    f.find("input[name=binding_code]")
        .unwrap()
        .send_keys(&code)
        .unwrap();
    submit(&br, &f);
    let shown = text_of(&br, "#totp-secret");
    let secret = TotpSecret::from_base32(shown.trim())
        .unwrap_or_else(|e| panic!("the secret on the page ({shown}): {e}"));
    assert_eq!(text_of(&br, "#totp-status"), "待确认");
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM users WHERE id = {uid} AND totp_secret IS NOT NULL
                 AND totp_confirmed_at IS NULL AND totp_bind_hash IS NOT NULL"
            )
        ),
        1,
        "a pending secret, the binding code not yet spent"
    );
    assert!(
        !br.page_source().unwrap().contains(&code),
        "the binding code is not echoed"
    );

    // 完成绑定: the authenticator's current code.
    let f = br.form("totp-verify").unwrap();
    f.find("input[name=code]")
        .unwrap()
        .send_keys(&totp::code_at(&secret, unix_now()))
        .unwrap();
    submit(&br, &f);
    br.wait_for("#totp-status", WAIT).unwrap();
    assert!(br.current_url().unwrap().ends_with("/account"));
    assert_eq!(text_of(&br, "#totp-status"), "已绑定");
    assert_eq!(text_of(&br, "#mfa-status"), "已通过动态验证码验证");
    assert!(br.find("form#totp-begin").is_err());
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM users WHERE id = {uid} AND totp_confirmed_at IS NOT NULL
                 AND totp_last_step IS NOT NULL AND totp_bind_hash IS NULL AND totp_failures = 0"
            )
        ),
        1,
        "bound, the binding code spent, the failure count reset"
    );
    assert_eq!(audited(&srv, "totp.enable", &me, Some("wangge"), ""), 1);
    let bound_step = sql_int(
        &srv.db,
        &format!("SELECT totp_last_step FROM users WHERE id = {uid}"),
    );
    drop(br);

    // Another day, a new session: the person page shows the ID number masked; 查看完整号码
    // takes a reason and the authenticator's code.
    let br = login(&srv, "wangge");
    open(&br, &srv, &format!("/people/{person}"), "details.reveal");
    assert!(!br.page_source().unwrap().contains(&id_number));
    br.find("details.reveal summary").unwrap().click().unwrap();
    let f = br.form("reveal-form").unwrap();
    let reason = "核对低保申请材料";
    f.find("input[name=reason]")
        .unwrap()
        .send_keys(reason)
        .unwrap();
    // A code is good once: the worker waits for the authenticator to show the next one.
    while totp::step_at(unix_now()) as i64 <= bound_step {
        std::thread::sleep(Duration::from_millis(500));
    }
    f.find("input[name=code]")
        .unwrap()
        .send_keys(&totp::code_at(&secret, unix_now()))
        .unwrap();
    let before = audited(&srv, "reveal", &format!("person:{person}"), None, "");
    submit(&br, &f);
    if let Err(e) = br.wait_for("#revealed", WAIT) {
        panic!("{e}\n{}", br.page_source().unwrap_or_default());
    }
    let facts = text_of(&br, "dl.facts");
    assert!(facts.contains(&id_number), "{facts}");
    assert_eq!(
        audited(&srv, "reveal", &format!("person:{person}"), None, ""),
        before + 1
    );
    assert_eq!(
        audited(
            &srv,
            "reveal",
            &format!("person:{person}"),
            Some("wangge"),
            reason
        ),
        1
    );
    assert_eq!(audited(&srv, "totp.verify", &me, Some("wangge"), ""), 1);
}
