//! The records' forms on a 375 px phone, filled as a person would in a real headless Chromium:
//! a ledger uploaded, its columns remapped, committed, abandoned and cancelled; a photo added to
//! a ticket; the figures of a past day; the audit log filtered; a special group's ledger
//! exported behind the second factor. Each submission is checked in the stored records (SQL on
//! the test's own database, or the JSON API). `forms_covered.rs` keeps every form covered.

use crate::support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::phone::{
    WAIT, choose, login, open, open_details_of, submit, submit_within, type_date,
};
use support::webdriver::Browser;
use support::{Server, grid_of_wangge, roster_xlsx, sql_int};

/// Reading and checking a ledger of thousands of rows on a busy machine takes a while.
const SLOW: Duration = Duration::from_secs(180);

/// The number an element of the page shows.
fn shown_number(br: &Browser, css: &str) -> i64 {
    let text = br.find(css).unwrap().text().unwrap();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{css} shows {text:?}, not a number"))
}

/// The upload's id, from the report page's address (`/imports/{id}`).
fn upload_id(br: &Browser) -> String {
    let url = br.current_url().unwrap();
    let i = url
        .find("/imports/")
        .unwrap_or_else(|| panic!("not a report page: {url}"));
    url[i + "/imports/".len()..]
        .split(['?', '#', '/'])
        .next()
        .unwrap()
        .to_string()
}

fn sample_ledger() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ingest/tests/fixtures/sample_ledger.xlsx")
        .canonicalize()
        .unwrap()
}

/// Chooses `file` in the import form and sends it; the report page comes back.
fn upload(br: &Browser, srv: &Server, grid: i64, file: &Path, wait: Duration) {
    open(
        br,
        srv,
        &format!("/nodes/{grid}/import"),
        "form#import-form",
    );
    let f = br.form("import-form").unwrap();
    choose(br, &f, "select[name=kind]", "实有人口（花名册）");
    f.find("input[type=file][name=file]")
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .unwrap();
    submit_within(br, &f, wait);
    if let Err(e) = br.wait_for("#import-counts", WAIT) {
        panic!("{e}\n{}", br.page_source().unwrap_or_default());
    }
}

#[test]
fn a_ledger_is_uploaded_remapped_and_committed_on_a_phone() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let br = login(&srv, "wangge");
    let persons_before = sql_int(&srv.db, "SELECT COUNT(*) FROM persons");

    upload(&br, &srv, grid, &sample_ledger(), SLOW);
    let uid = upload_id(&br);
    let new = shown_number(&br, "#count-new");
    assert!(new > 0, "the sample ledger has new people");
    assert_eq!(
        sql_int(&srv.db, "SELECT COUNT(*) FROM persons"),
        persons_before,
        "checking writes nothing"
    );

    // 列的对应关系: the phone column is set to 不导入; the file is checked again, the column is
    // listed as not imported, and the choice is remembered for the community.
    open_details_of(&br, "import-mapping");
    let f = br.form("import-mapping").unwrap();
    let column = br
        .execute(
            "const s = Array.from(document.querySelectorAll('form#import-mapping select'))\
               .find(s => s.value === 'phone');\
             return s ? [s.name, s.closest('tr').children[1].innerText.trim()] : null;",
            vec![],
        )
        .unwrap();
    let select = column[0]
        .as_str()
        .expect("a column of the sample is read as the phone")
        .to_string();
    let title = column[1].as_str().unwrap().to_string();
    choose(&br, &f, &format!("select[name={select}]"), "不导入");
    let mappings_before = sql_int(&srv.db, "SELECT COUNT(*) FROM import_mappings");
    submit_within(&br, &f, SLOW);
    if let Err(e) = br.wait_for("#import-counts", WAIT) {
        panic!("{e}\n{}", br.page_source().unwrap_or_default());
    }
    assert_eq!(upload_id(&br), uid);
    br.wait_until_text_contains("#unrecognised-columns", &title, WAIT)
        .unwrap();
    assert_eq!(shown_number(&br, "#count-new"), new);
    assert_eq!(
        sql_int(&srv.db, "SELECT COUNT(*) FROM import_mappings"),
        mappings_before + 1,
        "the corrected mapping is remembered"
    );
    let (_, remembered) = srv.db.sql("SELECT mapping FROM import_mappings");
    assert!(
        remembered.contains("\"name\"") && !remembered.contains("\"phone\""),
        "{remembered}"
    );
    let last_person = sql_int(&srv.db, "SELECT MAX(id) FROM persons");

    // 确认导入.
    br.wait_for("form#commit-form", WAIT).unwrap();
    let f = br.form("commit-form").unwrap();
    submit(&br, &f);
    if let Err(e) = br.wait_for("#import-done", SLOW) {
        panic!("{e}\n{}", br.page_source().unwrap_or_default());
    }
    assert_eq!(
        sql_int(&srv.db, "SELECT COUNT(*) FROM persons"),
        persons_before + new
    );
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM imports WHERE idempotency_key = 'web:{uid}' AND grid_id = {grid} \
                 AND file_name = 'sample_ledger.xlsx' AND kind = 'persons' \
                 AND user_id = (SELECT id FROM users WHERE username = 'wangge')"
            )
        ),
        1
    );
    let (_, counts) = srv.db.sql(&format!(
        "SELECT counts FROM imports WHERE idempotency_key = 'web:{uid}'"
    ));
    let counts: Value = serde_json::from_str(counts.trim()).unwrap();
    assert_eq!(counts["new"], json!(new), "{counts}");
    // The phone column was not imported: nobody new has a phone.
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT COUNT(*) FROM persons WHERE id > {last_person} AND phone IS NULL")
        ),
        new
    );
}

/// A ledger of `n` made-up people, one sheet, for a commit long enough to be cancelled.
fn large_ledger(n: usize) -> (PathBuf, PathBuf) {
    use shequ_office::xlsx::Cell;
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    let given = ["建国", "秀英", "志强", "桂兰", "海燕", "文华"];
    let rows = (0..n)
        .map(|i| {
            let birth = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap()
                + chrono::Days::new((i / 500) as u64);
            let id = shequ_domain::IdNumber::generate("320106", birth, (i % 500) as u16 + 1)
                .unwrap()
                .as_str()
                .to_string();
            vec![
                Cell::from(format!(
                    "{}{}",
                    surnames[i % surnames.len()],
                    given[(i / 8) % given.len()]
                )),
                Cell::from(id.as_str()),
                Cell::from(format!("137{i:08}")),
                Cell::from(format!(
                    "{}-{}-{}",
                    1 + i / 2000,
                    1 + (i / 500) % 4,
                    101 + (i / 4) % 125
                )),
            ]
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("shequ-forms-cancel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("大表.xlsx");
    std::fs::write(&file, roster_xlsx("取消导入测试（虚构人员）", rows)).unwrap();
    (dir, file)
}

#[test]
fn an_upload_is_abandoned_and_a_commit_is_cancelled_on_a_phone_writing_nothing() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let br = login(&srv, "wangge");
    let persons = sql_int(&srv.db, "SELECT COUNT(*) FROM persons");

    // 放弃这个文件: back to the grid, the upload gone, nothing written.
    upload(&br, &srv, grid, &sample_ledger(), SLOW);
    let uid = upload_id(&br);
    let f = br.form("import-abandon").unwrap();
    submit(&br, &f);
    let url = br.current_url().unwrap();
    assert!(url.ends_with(&format!("/nodes/{grid}")), "{url}");
    let status = br
        .execute(
            "const x = new XMLHttpRequest(); x.open('GET', '/imports/' + arguments[0], false); x.send(); return x.status;",
            vec![Value::from(uid.clone())],
        )
        .unwrap();
    assert_eq!(status, json!(404), "the abandoned upload is gone");
    assert_eq!(sql_int(&srv.db, "SELECT COUNT(*) FROM persons"), persons);
    assert_eq!(sql_int(&srv.db, "SELECT COUNT(*) FROM imports"), 0);

    // 取消 while it is being written: rolled back as a whole.
    let (dir, file) = large_ledger(20_000);
    upload(&br, &srv, grid, &file, SLOW);
    let uid = upload_id(&br);
    assert_eq!(shown_number(&br, "#count-new"), 20_000);
    let f = br.form("commit-form").unwrap();
    submit(&br, &f);
    // The page reloads itself every second while writing; a tap may meet a page that is
    // being replaced, and is tried again, as a person would.
    let started = Instant::now();
    loop {
        let tapped = br.form("import-cancel").and_then(|f| {
            br.execute("window.__beforeSubmit = true;", vec![])?;
            f.find("button[type=submit]")?.click()
        });
        if tapped.is_ok() {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "no cancel button while writing: {tapped:?}\n{}",
            br.page_source().unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    if let Err(e) = br.wait_for("#import-failed", SLOW) {
        panic!("{e}\n{}", br.page_source().unwrap_or_default());
    }
    br.wait_until_text_contains("main", "没有写入任何数据", WAIT)
        .unwrap();
    assert_eq!(sql_int(&srv.db, "SELECT COUNT(*) FROM persons"), persons);
    assert_eq!(sql_int(&srv.db, "SELECT COUNT(*) FROM imports"), 0);
    // The cancelled upload can't be committed again.
    br.goto(&format!("{}/imports/{uid}", srv.base)).unwrap();
    br.wait_for("h1", WAIT).unwrap();
    assert!(br.find_all("form#commit-form").unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_photo_is_added_to_a_ticket_on_a_phone() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let room = sql_int(
        &srv.db,
        &format!(
            "SELECT MIN(n.id) FROM org_nodes n WHERE n.kind = 'room' \
             AND n.path LIKE (SELECT path FROM org_nodes WHERE id = {grid}) || '%'"
        ),
    );
    let (s, v) = srv.api("wangge").post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0102", "title": "楼道堆物",
               "description": "居民反映楼道堆放杂物", "source": "resident",
               "reporter_name": "陈阿姨", "reporter_phone": "13912344321"}),
    );
    assert_eq!(s, 201, "{v}");
    let ticket = v["id"].as_i64().unwrap();
    let photo = std::env::temp_dir().join(format!("shequ-forms-photo-{}.png", std::process::id()));
    std::fs::write(&photo, support::png(32, 24, [200, 40, 40])).unwrap();

    let br = login(&srv, "wangge");
    open(&br, &srv, &format!("/tickets/{ticket}"), "form#add-photos");
    open_details_of(&br, "add-photos");
    let f = br.form("add-photos").unwrap();
    let role = br
        .execute(
            "return Array.from(document.querySelectorAll('form#add-photos select[name=role] option'))\
               .map(o => [o.value, o.text.trim()]).find(o => o[0] === 'wide');",
            vec![],
        )
        .unwrap();
    let role_label = role[1]
        .as_str()
        .expect("远景 is one of the photos' uses")
        .to_string();
    choose(&br, &f, "select[name=role]", &role_label);
    f.find("input[type=file][name=photos]")
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .unwrap();
    submit(&br, &f);
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM attachments WHERE owner_kind = 'ticket' AND owner_id = {ticket} \
                 AND role = 'wide' AND media_type = 'image/png' AND size = {} \
                 AND user_id = (SELECT id FROM users WHERE username = 'wangge')",
                std::fs::metadata(&photo).unwrap().len()
            )
        ),
        1
    );
    let _ = std::fs::remove_file(&photo);
}

#[test]
fn the_figures_of_a_chosen_day_are_shown_on_a_phone() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let room = sql_int(
        &srv.db,
        &format!(
            "SELECT MIN(n.id) FROM org_nodes n WHERE n.kind = 'room' \
             AND n.path LIKE (SELECT path FROM org_nodes WHERE id = {grid}) || '%'"
        ),
    );
    let api = srv.api("wangge");
    // Someone moves in today, so yesterday's figures differ from today's.
    let id = shequ_domain::IdNumber::generate(
        "110105",
        chrono::NaiveDate::from_ymd_opt(1985, 7, 9).unwrap(),
        31,
    )
    .unwrap()
    .as_str()
    .to_string();
    let (s, v) = api.post(
        "/api/v1/persons",
        json!({"person": {"name": "统计甲", "id_number": id, "phone": "13912345678"},
               "residence": {"room_id": room}}),
    );
    assert_eq!(s, 201, "{v}");
    let today = shequ_domain::clock::today();
    let day = today.pred_opt().unwrap();
    let (s, then) = api.get(&format!("/api/v1/nodes/{grid}/stats?as_of={day}"));
    assert_eq!(s, 200, "{then}");
    let (s, now) = api.get(&format!("/api/v1/nodes/{grid}/stats"));
    assert_eq!(s, 200, "{now}");
    assert_ne!(then["people"], now["people"], "a day that tells them apart");

    let br = login(&srv, "wangge");
    open(
        &br,
        &srv,
        &format!("/nodes/{grid}/stats"),
        "form#stats-date",
    );
    let f = br.form("stats-date").unwrap();
    let date = f.find("input[name=as_of]").unwrap();
    // The date is typed as a phone's date field takes it: year, month, day.
    type_date(&date, day);
    submit(&br, &f);
    let url = br.current_url().unwrap();
    assert!(url.contains(&format!("as_of={day}")), "{url}");
    let figures: Vec<(String, String)> = br
        .execute(
            "return Array.from(document.querySelectorAll('#stats-people tr'))\
               .map(r => [r.querySelector('th').innerText.trim(), r.querySelector('td').innerText.trim()]);",
            vec![],
        )
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (label, key) in [
        ("实有人口", "people"),
        ("户数", "households"),
        ("流动人口", "floating"),
        ("60 岁及以上", "aged_60"),
        ("65 岁及以上", "aged_65"),
        ("80 岁及以上", "aged_80"),
        ("出租房屋", "rented_homes"),
        ("辖区单位", "units"),
    ] {
        let shown = figures
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no {label} on the page: {figures:?}"));
        assert_eq!(shown.1, then[key].to_string(), "{label} on {day}");
    }
}

/// The sequence numbers of the rows of a page's audit table.
fn listed_seqs(br: &Browser) -> Vec<i64> {
    br.execute(
        "return Array.from(document.querySelectorAll('#audit-rows tbody tr'))\
           .map(r => Number(r.querySelector('td').innerText.trim()));",
        vec![],
    )
    .unwrap()
    .as_array()
    .unwrap()
    .iter()
    .map(|v| v.as_i64().unwrap())
    .collect()
}

#[test]
fn the_auditor_filters_the_audit_log_on_a_phone() {
    let srv = Server::start(50);
    // Something to find: wangge logs in twice, and someone else once.
    drop(login(&srv, "wangge"));
    drop(login(&srv, "shuji"));
    let _ = srv.api("wangge");
    let br = login(&srv, "shenji");
    open(&br, &srv, "/audit", "form#audit-filter");
    let f = br.form("audit-filter").unwrap();
    f.find("input[name=user]")
        .unwrap()
        .send_keys("wangge")
        .unwrap();
    choose(&br, &f, "select[name=action]", "登录");
    submit(&br, &f);
    let url = br.current_url().unwrap();
    assert!(
        url.contains("user=wangge") && url.contains("action=login"),
        "{url}"
    );
    let (ok, out) = srv.db.sql(
        "SELECT seq FROM audit_log WHERE username LIKE 'wangge%' AND action LIKE 'login%' ORDER BY seq DESC",
    );
    assert!(ok, "{out}");
    let stored: Vec<i64> = out
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert!(stored.len() >= 2, "{out}");
    assert_eq!(listed_seqs(&br), stored);

    // Narrowed to today's date range as well, typed into the date fields.
    let today = shequ_domain::clock::today();
    let f = br.form("audit-filter").unwrap();
    for name in ["from", "to"] {
        let d = f.find(&format!("input[name={name}]")).unwrap();
        type_date(&d, today);
    }
    let f = br.form("audit-filter").unwrap();
    submit(&br, &f);
    let (ok, out) = srv.db.sql(&format!(
        "SELECT seq FROM audit_log WHERE username LIKE 'wangge%' AND action LIKE 'login%' \
         AND at >= '{today}' AND at < '{}' ORDER BY seq DESC",
        today.succ_opt().unwrap()
    ));
    assert!(ok, "{out}");
    let stored: Vec<i64> = out
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(listed_seqs(&br), stored);
}

#[test]
fn a_special_group_ledger_is_exported_after_the_second_factor_on_a_phone() {
    let srv = Server::start(50);
    let grid = grid_of_wangge(&srv);
    let br = login(&srv, "wangge");
    let exports = |srv: &Server| {
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'export' AND target = 'node:{grid}' \
                 AND username = 'wangge' AND outcome = '成功'"
            ),
        )
    };
    open(&br, &srv, &format!("/nodes/{grid}"), "form#export-group");
    let f = br.form("export-group").unwrap();
    let label = br
        .execute(
            "return document.querySelector('form#export-group select[name=kind]').options[0].text.trim();",
            vec![],
        )
        .unwrap();
    let label = label.as_str().unwrap().to_string();
    choose(&br, &f, "select[name=kind]", &label);
    submit(&br, &f);

    // No second factor yet: the page asks for it (the binding code comes from the security
    // administrator, then the authenticator's code).
    let url = br.current_url().unwrap();
    assert!(url.contains("/account?next="), "{url}");
    assert_eq!(exports(&srv), 0);
    let begin = br.wait_for("form#totp-begin", WAIT).unwrap();
    br.execute(
        "arguments[0].scrollIntoView({block: 'start'});",
        vec![begin.as_arg()],
    )
    .unwrap();
    begin
        .find("input[name=binding_code]")
        .unwrap()
        .send_keys(&support::binding_code(&srv.db.url, "wangge"))
        .unwrap();
    submit(&br, &begin);
    let secret = br.wait_for("#totp-secret", WAIT).unwrap().text().unwrap();
    let secret = shequ_domain::access::totp::TotpSecret::from_base32(secret.trim()).unwrap();
    let verify = br.wait_for("form#totp-verify", WAIT).unwrap();
    verify
        .find("input[name=code]")
        .unwrap()
        .send_keys(&shequ_domain::access::totp::code_at(
            &secret,
            support::unix_now(),
        ))
        .unwrap();
    submit(&br, &verify);
    let url = br.current_url().unwrap();
    assert!(
        url.ends_with(&format!("/nodes/{grid}")),
        "back where it began: {url}"
    );

    // Again, with the second factor passed: the ledger is handed out, and the export audited.
    let f = br.form("export-group").unwrap();
    choose(&br, &f, "select[name=kind]", &label);
    f.find("button[type=submit]").unwrap().click().unwrap();
    let started = Instant::now();
    while exports(&srv) == 0 {
        assert!(started.elapsed() < WAIT, "the export was not audited");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(exports(&srv), 1);
    let (_, detail) = srv.db.sql(&format!(
        "SELECT detail FROM audit_log WHERE action = 'export' AND target = 'node:{grid}' AND username = 'wangge'"
    ));
    assert!(detail.contains(&format!("{label}台账")), "{detail}");
    // What the browser received is an Excel workbook (a zip), as the form's address gives it.
    let got = br
        .execute(
            "const f = document.querySelector('form#export-group');\
             const url = f.action + '?' + new URLSearchParams(new FormData(f)).toString();\
             const xhr = new XMLHttpRequest(); xhr.open('GET', url, false);\
             xhr.overrideMimeType('text/plain; charset=x-user-defined'); xhr.send();\
             return [xhr.status, xhr.getResponseHeader('content-type'),\
                     xhr.responseText.charCodeAt(0) & 0xff, xhr.responseText.charCodeAt(1) & 0xff];",
            vec![],
        )
        .unwrap();
    assert_eq!(got[0], json!(200), "{got}");
    assert_eq!(
        got[1],
        json!("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "{got}"
    );
    assert_eq!(
        (got[2].as_i64(), got[3].as_i64()),
        (Some(0x50), Some(0x4b)),
        "PK: {got}"
    );
}
