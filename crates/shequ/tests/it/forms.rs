//! 一表通: a street uploads the form it already uses (written here with another writer than
//! the product's: a merged title, a two-row header, an "—" cell, signatures below), binds its
//! cells on a phone, publishes it; a community head finds it filled from the community's
//! records, types what no record holds, is refused a bad number by its cell, submits and
//! corrects (two versions); the street's copy adds up and names who has not submitted, and
//! its .xlsx opens in LibreOffice with the figures. Both databases.

use crate::support;

use std::path::PathBuf;

use chrono::Datelike;
use rust_xlsxwriter::{Format, Workbook};
use support::phone::{WAIT, choose, fits, login, open, submit};
use support::{Api, Server, Web, libreoffice_convert, sql_int};

/// The street's own form: 社区基本情况统计表 as a street office lays it out.
fn street_form() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("统计表").unwrap();
    let f = Format::new().set_bold();
    ws.merge_range(0, 0, 0, 4, "社区基本情况统计表", &f)
        .unwrap();
    ws.write(1, 0, "填报单位（盖章）：").unwrap();
    ws.write(1, 3, "填报日期：").unwrap();
    ws.merge_range(2, 0, 3, 0, "序号", &f).unwrap();
    ws.merge_range(2, 1, 3, 1, "项  目", &f).unwrap();
    ws.merge_range(2, 2, 2, 3, "本期情况", &f).unwrap();
    ws.write(3, 2, "数量").unwrap();
    ws.write(3, 3, "补充数").unwrap();
    ws.merge_range(2, 4, 3, 4, "备注", &f).unwrap();
    for (i, label) in ["实有人口", "户数", "志愿者服务时长"].iter().enumerate() {
        let r = 4 + i as u32;
        ws.write(r, 0, (i + 1) as f64).unwrap();
        ws.write(r, 1, *label).unwrap();
    }
    ws.write(4, 3, "—").unwrap();
    ws.write(8, 0, "填表人：              审核人：").unwrap();
    wb.save_to_buffer().unwrap()
}

fn figure(api: &Api, node: i64, period: &str, code: &str) -> i64 {
    let (s, v) = api.get(&format!(
        "/api/v1/nodes/{node}/figures?period={period}&codes={code}"
    ));
    assert_eq!(s, 200, "{v}");
    v["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .and_then(|f| f["amount"]["value"].as_i64())
        .unwrap_or_else(|| panic!("{code}: {v}"))
}

fn text_of(br: &support::webdriver::Browser, css: &str) -> String {
    br.find(css).unwrap().text().unwrap().trim().to_string()
}

fn layout_of(srv: &Server, form: i64) -> String {
    let (ok, out) = srv.db.sql(&format!(
        "SELECT layout FROM report_forms WHERE id = {form}"
    ));
    assert!(ok, "{out}");
    out
}

fn pdf_text(pdf: &[u8], dir: &std::path::Path) -> String {
    let file = dir.join("f.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "")
}

#[test]
fn a_street_sends_a_form_and_a_community_answers_it_on_a_phone() {
    let srv = Server::start(40);
    let community = sql_int(
        &srv.db,
        "SELECT community_id FROM org_nodes WHERE id IN \
         (SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'shuji')",
    );
    let street = sql_int(
        &srv.db,
        &format!("SELECT parent_id FROM org_nodes WHERE id = {community}"),
    );
    let communities = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM org_nodes WHERE kind = 'community' AND parent_id = {street} \
             AND retired_on IS NULL"
        ),
    );
    let year = shequ_domain::clock::today().year().to_string();
    let dir = std::env::temp_dir().join(format!("shequ-forms-{}", support::unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let file: PathBuf = dir.join("社区基本情况统计表.xlsx");
    std::fs::write(&file, street_form()).unwrap();

    // The street officer uploads the form: its rows and header are read, and the cells whose
    // row names an indicator are bound already.
    let br = login(&srv, "jiedao");
    open(
        &br,
        &srv,
        &format!("/nodes/{street}/forms"),
        "form#form-upload",
    );
    fits(&br, "一表通");
    let f = br.form("form-upload").unwrap();
    f.find("input[type=file][name=file]")
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .unwrap();
    submit(&br, &f);
    br.wait_for("form#form-bindings", WAIT)
        .unwrap_or_else(|e| panic!("{e}\n{}", br.page_source().unwrap_or_default()));
    let form = sql_int(&srv.db, "SELECT max(id) FROM report_forms");
    assert_eq!(text_of(&br, "#form-title"), "社区基本情况统计表");
    let value = |br: &support::webdriver::Browser, name: &str| {
        br.find(&format!("input[name={name}]"))
            .unwrap()
            .value()
            .unwrap()
    };
    assert_eq!(value(&br, "c_0_0"), "people.total");
    assert_eq!(value(&br, "c_1_0"), "households.total");
    assert_eq!(value(&br, "c_0_1"), "", "the — cell takes nothing");
    assert_eq!(
        value(&br, "c_2_0"),
        "#",
        "no indicator: the community types it"
    );
    assert_eq!(value(&br, "c_2_2"), "文字", "备注 is typed text");

    // A code that names nothing is refused by its cell, and nothing changes.
    let before = layout_of(&srv, form);
    let f = br.form("form-bindings").unwrap();
    let cell = f.find("input[name=c_1_1]").unwrap();
    cell.clear().unwrap();
    cell.send_keys("visits.totl").unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("#form-error", "第2行「户数」×「本期情况·补充数」", WAIT)
        .unwrap();
    assert!(text_of(&br, "#form-error").contains("visits.totl"));
    assert_eq!(layout_of(&srv, form), before);
    let f = br.form("form-bindings").unwrap();
    let cell = f.find("input[name=c_1_1]").unwrap();
    cell.clear().unwrap();
    cell.send_keys("visits.total").unwrap();
    submit(&br, &f);
    br.wait_for("form#form-publish", WAIT).unwrap();
    assert!(layout_of(&srv, form).contains("visits.total"));

    // A draft is the street's own: the community doesn't see it yet.
    let shuji = Web::login(&srv.base, "shuji");
    let (s, _, _) = shuji.get(&format!("/nodes/{community}/forms/{form}"));
    assert_eq!(s, 404);

    let f = br.form("form-publish").unwrap();
    choose(&br, &f, "select[name=period]", &format!("{year}年"));
    submit(&br, &f);
    br.wait_for("#form-standing", WAIT).unwrap();
    let (ok, out) = srv.db.sql(&format!(
        "SELECT period FROM report_forms WHERE id = {form} AND published_at IS NOT NULL"
    ));
    assert!(ok && out.trim() == year, "{out}");
    assert_eq!(
        br.find_all("#form-standing li").unwrap().len() as i64,
        communities
    );

    // The community head finds the copy filled from the community's records.
    let head = srv.api("shuji");
    let people = figure(&head, community, &year, "people.total");
    let households = figure(&head, community, &year, "households.total");
    let visits = figure(&head, community, &year, "visits.total");
    assert!(people > 0 && households > 0, "{people} {households}");
    let br = login(&srv, "shuji");
    open(
        &br,
        &srv,
        &format!("/nodes/{community}/forms"),
        &format!("#form-{form}"),
    );
    assert!(text_of(&br, &format!("#form-{form}")).contains("未报送"));
    open(
        &br,
        &srv,
        &format!("/nodes/{community}/forms/{form}"),
        "form#form-submit",
    );
    fits(&br, "一表通填报");
    assert_eq!(text_of(&br, "#cell-0-0"), people.to_string());
    assert_eq!(text_of(&br, "#cell-1-0"), households.to_string());
    assert_eq!(text_of(&br, "#cell-1-1"), visits.to_string());

    // A number that isn't one is refused by its cell; nothing is kept.
    let f = br.form("form-submit").unwrap();
    f.find("input[name=c_2_0]")
        .unwrap()
        .send_keys("十二")
        .unwrap();
    f.find("input[name=c_0_2]")
        .unwrap()
        .send_keys("含流动人口")
        .unwrap();
    submit(&br, &f);
    br.wait_until_text_contains(
        "#form-error",
        "第3行「志愿者服务时长」×「本期情况·数量」",
        WAIT,
    )
    .unwrap();
    assert!(text_of(&br, "#form-error").contains("十二"));
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM form_returns"), 0);

    // Typed as people type: full-width digits.
    let f = br.form("form-submit").unwrap();
    let cell = f.find("input[name=c_2_0]").unwrap();
    cell.clear().unwrap();
    cell.send_keys("１２.5").unwrap();
    submit(&br, &f);
    br.wait_for("#form-versions", WAIT).unwrap();
    let (ok, cells) = srv.db.sql(&format!(
        "SELECT cells FROM form_returns WHERE form_id = {form} AND community_id = {community} AND version = 1"
    ));
    assert!(ok, "{cells}");
    let cells: serde_json::Value = serde_json::from_str(cells.trim()).unwrap();
    assert_eq!(cells[2][0]["value"], 12.5);
    assert_eq!(cells[0][2]["text"], "含流动人口");
    assert_eq!(cells[0][0]["amount"]["value"], people);

    // A correction is a second version; the first stays.
    let f = br.form("form-submit").unwrap();
    let cell = f.find("input[name=c_2_0]").unwrap();
    assert_eq!(
        cell.value().unwrap(),
        "12.5",
        "the last submission is typed in"
    );
    cell.clear().unwrap();
    cell.send_keys("13").unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("#form-versions", "第2版", WAIT)
        .unwrap();
    assert_eq!(
        sql_int(
            &srv.db,
            &format!("SELECT count(*) FROM form_returns WHERE form_id = {form}")
        ),
        2
    );

    // The street's copy: the latest submission added up, and who has not submitted.
    let jiedao = Web::login(&srv.base, "jiedao");
    let (s, html, _) = jiedao.get(&format!("/nodes/{street}/forms/{form}"));
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("id=\"cell-2-0\" title=\"社区手填\">13<"),
        "{html}"
    );
    assert!(
        html.contains(&format!("id=\"cell-0-0\" title=\"实有人口\">{people}<")),
        "{html}"
    );
    assert!(html.contains("已报送第2版"), "{html}");
    assert_eq!(
        html.matches("未报送</strong>").count() as i64,
        communities - 1
    );

    // The same for scripts, as JSON.
    let (s, v) = srv
        .api("jiedao")
        .get(&format!("/api/v1/nodes/{street}/forms/{form}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kind"], "sum");
    assert_eq!(v["rows"][2]["cells"][0]["value"]["value"], 13.0, "{v}");
    assert_eq!(v["rows"][0]["cells"][0]["binding"], "people.total");
    assert_eq!(
        v["rows"][0]["cells"][0]["value"]["amount"]["value"], people,
        "{v}"
    );
    assert_eq!(
        v["communities"].as_array().unwrap().len() as i64,
        communities
    );
    let (s, v) = head.get(&format!("/api/v1/nodes/{community}/forms"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v[0]["standing"], "已报送第2版", "{v}");

    // The street's file: the form's layout, the sums, who has submitted; LibreOffice reads it.
    let (s, ct, _, bytes) = jiedao.download(&format!("/nodes/{street}/forms/{form}/download"));
    assert_eq!(s, 200);
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let xlsx = dir.join("street.xlsx");
    std::fs::write(&xlsx, &bytes).unwrap();
    let text = pdf_text(&libreoffice_convert(&xlsx, "pdf"), &dir);
    for want in [
        "社区基本情况统计表",
        "本期情况",
        "志愿者服务时长",
        "已报送",
        "未报送",
    ] {
        assert!(text.contains(want), "{want} not in the PDF: {text}");
    }
    // The cells as LibreOffice reads them, row by row (the first sheet).
    let csv = String::from_utf8(libreoffice_convert(&xlsx, "csv")).unwrap();
    let lines: Vec<String> = csv.lines().map(|l| l.replace('"', "")).collect();
    for want in [
        // Texts are not added up.
        format!("1,实有人口,{people},,"),
        format!("2,户数,{households},{visits},"),
        "3,志愿者服务时长,13,,".to_string(),
    ] {
        assert!(lines.contains(&want), "{want} not in {lines:?}");
    }

    // The community's own file: its latest version, its text included.
    let (s, _, _, bytes) = shuji.download(&format!("/nodes/{community}/forms/{form}/download"));
    assert_eq!(s, 200);
    let own = dir.join("community.xlsx");
    std::fs::write(&own, &bytes).unwrap();
    let csv = String::from_utf8(libreoffice_convert(&own, "csv")).unwrap();
    let lines: Vec<String> = csv.lines().map(|l| l.replace('"', "")).collect();
    assert!(lines.iter().any(|l| l.contains("第2版")), "{lines:?}");
    assert!(
        lines.contains(&format!("1,实有人口,{people},,含流动人口")),
        "{lines:?}"
    );

    // Every step is in the audit log.
    for (action, n) in [
        ("form.create", 1),
        ("form.bind", 1),
        ("form.publish", 1),
        ("form.submit", 2),
    ] {
        assert_eq!(
            sql_int(
                &srv.db,
                &format!("SELECT count(*) FROM audit_log WHERE action = '{action}'")
            ),
            n,
            "{action}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn what_is_not_a_form_and_who_may_not_send_one_are_refused_in_chinese() {
    let srv = Server::start(10);
    let community = sql_int(
        &srv.db,
        "SELECT community_id FROM org_nodes WHERE id IN \
         (SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'shuji')",
    );
    let street = sql_int(
        &srv.db,
        &format!("SELECT parent_id FROM org_nodes WHERE id = {community}"),
    );
    let jiedao = Web::login(&srv.base, "jiedao");
    let (_, page, _) = jiedao.get(&format!("/nodes/{street}/forms"));
    let csrf = support::csrf_of(&page);
    // A file with no header row in it.
    let mut wb = Workbook::new();
    wb.add_worksheet().write(0, 0, "只有一行字").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let (s, body, _) = jiedao.upload(
        &format!("/nodes/{street}/forms/import"),
        &csrf,
        "随便.xlsx",
        &bytes,
    );
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("随便.xlsx"), "{body}");
    // Not a spreadsheet at all.
    let (s, body, _) = jiedao.upload(
        &format!("/nodes/{street}/forms/import"),
        &csrf,
        "a.xlsx",
        b"%PDF-1.4 not a sheet",
    );
    assert_eq!(s, 422, "{body}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM report_forms"), 0);
    // A community sends no forms: the street does.
    let shuji = Web::login(&srv.base, "shuji");
    let (_, page, _) = shuji.get(&format!("/nodes/{community}/forms"));
    assert!(!page.contains("form-upload"), "no upload for a community");
    let csrf = support::csrf_of(&page);
    let (s, _, _) = shuji.upload(
        &format!("/nodes/{community}/forms/import"),
        &csrf,
        "a.xlsx",
        &street_form(),
    );
    assert_eq!(s, 403);
    // Uploaded at a community by the street officer: refused with where to do it.
    let (s, body, _) = jiedao.upload(
        &format!("/nodes/{community}/forms/import"),
        &support::csrf_of(&jiedao.get(&format!("/nodes/{community}/forms")).1),
        "a.xlsx",
        &street_form(),
    );
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("街道"), "{body}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM report_forms"), 0);
}
