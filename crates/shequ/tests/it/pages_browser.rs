//! Pages in a real headless Chromium: binding the authenticator on the phone that runs it (an
//! `otpauth://` link holding what the QR code holds, read back from the screen by a QR
//! decoder), and a desktop at 1280 px using its width (columns side by side, wide tables)
//! while the same pages at 375 px still never scroll sideways.

use crate::support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::phone::{WAIT, fits};
use support::webdriver::Browser;
use support::{PASSWORD, Server, binding_code, grid_of_wangge, sql_int};

fn login_at(srv: &Server, user: &str, width: u32, height: u32) -> Browser {
    let br = Browser::start_with_size(width, height).unwrap();
    br.goto(&format!("{}/login", srv.base)).unwrap();
    br.wait_for("input[name=username]", WAIT)
        .unwrap()
        .send_keys(user)
        .unwrap();
    br.find("input[name=password]")
        .unwrap()
        .send_keys(PASSWORD)
        .unwrap();
    br.find("form button[type=submit].primary")
        .unwrap()
        .click()
        .unwrap();
    br.wait_until_gone("input[name=password]", WAIT).unwrap();
    br.wait_for("h1", WAIT).unwrap();
    br
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// (label, query parameters) of an `otpauth://totp/…` address.
fn otpauth(uri: &str) -> (String, BTreeMap<String, String>) {
    let rest = uri
        .strip_prefix("otpauth://totp/")
        .unwrap_or_else(|| panic!("not an otpauth TOTP address: {uri}"));
    let (label, query) = rest.split_once('?').unwrap();
    let params = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    (percent_decode(label), params)
}

#[test]
fn the_authenticator_link_beside_the_qr_code_carries_the_same_secret_and_issuer() {
    let srv = Server::start(20);
    let br = login_at(&srv, "wangge", 375, 812);
    br.goto(&format!("{}/account", srv.base)).unwrap();
    // The first binding needs the one-time code the security administrator hands over.
    let code = binding_code(&srv.db.url, "wangge");
    br.wait_for("form#totp-begin input[name=binding_code]", WAIT)
        .unwrap()
        .send_keys(&code)
        .unwrap();
    br.find("form#totp-begin button").unwrap().click().unwrap();
    let link = br
        .wait_for("#totp-link", WAIT)
        .unwrap_or_else(|e| panic!("no otpauth link: {e}\n{}", br.page_source().unwrap()));
    assert!(link.is_displayed().unwrap(), "the link is on the page");
    let href = link.attr("href").unwrap().unwrap();
    let rect = br
        .execute(
            "const r = document.getElementById('totp-link').getBoundingClientRect(); return [r.width, r.height];",
            vec![],
        )
        .unwrap();
    assert!(
        rect[1].as_f64().unwrap() >= 44.0,
        "a thumb can tap it: {rect}"
    );
    let secret_shown = br.find("#totp-secret").unwrap().text().unwrap();

    // What the phone's camera would read: the QR code as drawn on the screen.
    let qr = br.find(".qr svg").unwrap();
    br.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![qr.as_arg()],
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("shequ-otpauth-{}", std::process::id()));
    let shot = dir.join("account.png");
    br.screenshot_png(&shot).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&shot)
        .output()
        .expect("zbarimg (zbar-tools) is installed by scripts/test");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "no QR code read from the screen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scanned = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let (link_label, link_params) = otpauth(&href);
    let (qr_label, qr_params) = otpauth(&scanned);
    assert_eq!(link_label, qr_label, "{href} vs {scanned}");
    for key in ["secret", "issuer"] {
        assert!(link_params.contains_key(key), "{href}");
        assert_eq!(
            link_params.get(key),
            qr_params.get(key),
            "{key}: {href} vs {scanned}"
        );
    }
    assert_eq!(
        link_params["secret"],
        secret_shown.replace(' ', ""),
        "the key typed by hand is the same"
    );
}

fn rect(br: &Browser, css: &str) -> [f64; 4] {
    let v: Value = br
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return null; const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height];",
            vec![Value::from(css)],
        )
        .unwrap();
    let a = v
        .as_array()
        .unwrap_or_else(|| panic!("{css} is not on the page: {}", br.page_source().unwrap()));
    [0, 1, 2, 3].map(|i| a[i].as_f64().unwrap())
}

fn side_by_side(br: &Browser, page: &str, left: &str, right: &str) {
    let (a, b) = (rect(br, left), rect(br, right));
    assert!(
        (a[1] - b[1]).abs() < 2.0 && b[0] >= a[0] + a[2] - 1.0,
        "{page}: {left} {a:?} and {right} {b:?} are not side by side"
    );
}

#[test]
fn a_desktop_uses_its_width_and_a_phone_still_never_scrolls_sideways() {
    let srv = Server::start(100);
    let grid = grid_of_wangge(&srv);
    // The place in the head's community with the most places under it: a list to lay out.
    let busiest = sql_int(
        &srv.db,
        &format!(
            "SELECT parent_id FROM org_nodes WHERE community_id = (SELECT community_id FROM org_nodes WHERE id = {grid}) AND parent_id IS NOT NULL GROUP BY parent_id ORDER BY count(*) DESC, parent_id LIMIT 1"
        ),
    );
    let pages: Vec<(&str, String, &str)> = vec![
        ("quji", "/settings/tickets".into(), "#categories"),
        ("shuji", format!("/nodes/{grid}/stats"), "#stats-groups"),
        ("shuji", format!("/nodes/{busiest}"), "#children"),
        ("shenji", "/audit".into(), "#audit-rows"),
    ];
    for (user, path, ready) in &pages {
        let desk = login_at(&srv, user, 1280, 900);
        desk.goto(&format!("{}{path}", srv.base)).unwrap();
        desk.wait_for(ready, WAIT)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        match *ready {
            "#categories" => side_by_side(
                &desk,
                path,
                ".columns > section:nth-child(1)",
                ".columns > section:nth-child(2)",
            ),
            "#stats-groups" => side_by_side(&desk, path, "#stats-people", "#stats-groups"),
            "#children" => side_by_side(
                &desk,
                path,
                "#children > li:nth-child(1)",
                "#children > li:nth-child(2)",
            ),
            _ => {
                let table = rect(&desk, ready);
                assert!(table[2] > 900.0, "{path}: the table is {}px wide", table[2]);
            }
        }
        let main = rect(&desk, "main");
        assert!(main[2] > 1100.0, "{path}: main is {}px wide", main[2]);
        drop(desk);

        let phone = login_at(&srv, user, 375, 812);
        phone.goto(&format!("{}{path}", srv.base)).unwrap();
        phone.wait_for(ready, WAIT).unwrap();
        fits(&phone, path);
    }
}
