//! 居民随手拍 over HTTP on both databases: the community head makes a link (with its QR code);
//! a resident with no account reports a problem with a photo through it and follows its
//! progress by receipt; robots (the trap field, instant posts) and floods (the link's hourly
//! cap) are turned away; a revoked link takes nothing more.

use crate::support;

use std::time::Duration;

use support::{Server, Web, csrf_of, sql_int};

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let i = html.find(&marker).unwrap() + marker.len();
    html[i..].split('"').next().unwrap().to_string()
}

#[test]
fn a_resident_reports_through_the_posted_link_and_follows_it() {
    let srv = Server::start(100);
    let community = sql_int(
        &srv.db,
        "SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'shuji'",
    );
    let head = Web::login(&srv.base, "shuji");
    let (s, page, _) = head.get(&format!("/nodes/{community}/report-links"));
    assert_eq!(s, 200);
    let (s, _, _) = head.post_form(
        &format!("/nodes/{community}/report-links"),
        &[("csrf", &csrf_of(&page)), ("name", "3幢大堂公告栏")],
    );
    assert_eq!(s, 303);
    let (_, page, _) = head.get(&format!("/nodes/{community}/report-links"));
    assert!(
        page.contains("3幢大堂公告栏") && page.contains("<svg"),
        "{page}"
    );
    let link = page
        .split("/r/")
        .nth(1)
        .unwrap()
        .split(['<', '"', ' '])
        .next()
        .unwrap()
        .to_string();
    let url = format!("/r/{link}");

    // A resident, no account.
    let resident = Web::new(&srv.base);
    let (s, form, _) = resident.get(&url);
    assert_eq!(s, 200, "{form}");
    assert!(form.contains("居民随手拍") && form.contains("问题类别"));
    let (t, sig) = (hidden(&form, "t"), hidden(&form, "sig"));
    let photo = support::png(20, 20, [120, 90, 60]);
    let send = |fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]| {
        let mut all = vec![("t", t.as_str()), ("sig", sig.as_str())];
        all.extend_from_slice(fields);
        resident.multipart(&url, &all, files)
    };
    let report = [
        ("category_code", "0102"),
        ("description", "5幢北侧垃圾桶满溢，垃圾散落一地"),
        ("location", "5幢北侧"),
        ("phone", "13912345678"),
    ];
    // Sent the instant the form opened: a robot.
    let (s, body, _) = send(&report, &[]);
    assert_eq!(s, 422);
    assert!(body.contains("提交太快"), "{body}");
    std::thread::sleep(Duration::from_millis(3200));
    // The trap field filled in: a robot.
    let mut trapped = report.to_vec();
    trapped.push(("website", "http://spam.example"));
    let (s, _, _) = send(&trapped, &[]);
    assert_eq!(s, 422);
    // A forged stamp.
    let (s, body, _) = resident.multipart(
        &url,
        &[
            ("t", "1"),
            ("sig", "00"),
            ("description", "x"),
            ("category_code", "0102"),
        ],
        &[],
    );
    assert_eq!(s, 422);
    assert!(body.contains("安全校验"), "{body}");
    // Bad input is named and nothing is filed.
    let before = sql_int(&srv.db, "SELECT COUNT(*) FROM tickets");
    let mut bad_phone = report.to_vec();
    bad_phone[3] = ("phone", "12345");
    let (s, body, _) = send(&bad_phone, &[]);
    assert_eq!(s, 422);
    assert!(body.contains("联系电话"), "{body}");
    let (s, body, _) = send(&report, &[("photos", "x.exe", b"MZ\x90\x00")]);
    assert_eq!(s, 422);
    assert!(body.contains("不是照片"), "{body}");
    assert_eq!(sql_int(&srv.db, "SELECT COUNT(*) FROM tickets"), before);

    // The report, with its photo.
    let (s, _, to) = send(&report, &[("photos", "IMG_2001.png", &photo)]);
    assert_eq!(s, 303);
    let to = to.unwrap();
    assert!(to.starts_with("/r/status/"), "{to}");
    let (_, receipt, _) = resident.get(&to);
    assert!(
        receipt.contains("已收到") && receipt.contains("已上报"),
        "{receipt}"
    );
    let ticket = sql_int(
        &srv.db,
        "SELECT id FROM tickets WHERE source = 'resident' AND report_link_id IS NOT NULL",
    );
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM attachments WHERE owner_kind = 'ticket' AND owner_id = {ticket} AND user_id IS NULL"
            )
        ),
        1
    );
    // The community works it; the resident sees the state, and nobody's details.
    let api = srv.api("shuji");
    let (s, v) = api.get(&format!("/api/v1/tickets/{ticket}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ticket"]["reporter_phone"], "139****5678");
    let version = v["ticket"]["version"].as_i64().unwrap();
    let (s, v) = api.post(
        &format!("/api/v1/tickets/{ticket}/steps"),
        serde_json::json!({"action": "accept", "version": version}),
    );
    assert_eq!(s, 200, "{v}");
    let (_, receipt, _) = resident.get(&to);
    assert!(
        receipt.contains("已受理") && !receipt.contains("13912345678"),
        "{receipt}"
    );

    // The same form sent again (a replayed request): one form, one report.
    let (s, body, _) = send(&report, &[]);
    assert_eq!(s, 422, "a stamp is spent once");
    assert!(body.contains("已经提交过"), "{body}");
    assert_eq!(sql_int(&srv.db, "SELECT COUNT(*) FROM tickets"), before + 1);

    // A flood through one link (each post with a form of its own) stops at its hourly cap.
    let forms: Vec<(String, String)> = (0..42)
        .map(|_| {
            let (_, form, _) = resident.get(&url);
            (hidden(&form, "t"), hidden(&form, "sig"))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(3200));
    let send_with = |(t, sig): &(String, String), fields: &[(&str, &str)]| {
        let mut all = vec![("t", t.as_str()), ("sig", sig.as_str())];
        all.extend_from_slice(fields);
        resident.multipart(&url, &all, &[])
    };
    let mut accepted = 1;
    let mut refused = None;
    for stamp in &forms[..40] {
        let (s, body, _) = send_with(stamp, &report);
        if s == 303 {
            accepted += 1;
        } else {
            refused = Some((s, body));
            break;
        }
    }
    let (s, body) = refused.expect("the cap stopped the flood");
    assert_eq!((s, accepted), (409, 30));
    assert!(body.contains("上报太多"), "{body}");

    // Revoked: the link takes nothing more.
    let (_, page, _) = head.get(&format!("/nodes/{community}/report-links"));
    let link_id = hidden(&page, "link");
    let (s, _, _) = head.post_form(
        &format!("/nodes/{community}/report-links"),
        &[("csrf", &csrf_of(&page)), ("link", &link_id)],
    );
    assert_eq!(s, 303);
    let (s, _, _) = resident.get(&url);
    assert_eq!(s, 404);
    let (s, _, _) = send_with(&forms[41], &report);
    assert_eq!(s, 404);
}
