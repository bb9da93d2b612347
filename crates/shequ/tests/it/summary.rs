//! 工作总结: the summary of a node for a period in its community's wording, downloaded from
//! the page and written by `shequ report --format docx`, opens in LibreOffice with the
//! period's figures in its sentences (counted by hand from the field work of `ledgers.rs`),
//! its charts and page numbers; sections with nothing recorded are left out; the wording is
//! edited by the community head and a wrong placeholder is refused by its line. Both databases.

use crate::support;

use serde_json::json;
use support::{Server, Web, libreoffice_convert, sql_int, zip_part};

use crate::ledgers::{field_work, this_period};

/// The text of a PDF, without its spaces and line breaks.
fn pdf_text(pdf: &[u8], dir: &std::path::Path) -> String {
    let file = dir.join("s.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "")
}

#[test]
fn the_work_summary_writes_the_periods_figures_and_opens_in_libreoffice() {
    let srv = Server::start(40);
    let head = srv.api("shuji");
    let (_, grid) = field_work(&head);
    let p = this_period();
    let web = Web::login(&srv.base, "shuji");
    let (s, ct, cd, bytes) = web.download(&format!("/nodes/{grid}/summary/download?period={p}"));
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(cd.contains("filename*=UTF-8''"), "{cd}");
    let dir = std::env::temp_dir().join(format!("shequ-summary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("summary.docx");
    std::fs::write(&file, &bytes).unwrap();

    // Word's own parts: a chart with its figures, page numbers in the footers, the official look.
    let chart = zip_part(&file, "word/charts/chart1.xml");
    // The visits month by month (no 事件 here, so no chart of their kinds).
    assert!(
        chart.contains("走访逐月变化") && chart.contains("<c:lineChart>"),
        "{chart}"
    );
    let footer = zip_part(&file, "word/footer1.xml");
    assert!(footer.contains(" PAGE "), "{footer}");
    let styles = zip_part(&file, "word/styles.xml");
    assert!(
        styles.contains("仿宋_GB2312") && styles.contains("黑体"),
        "{styles}"
    );

    let text = pdf_text(&libreoffice_convert(&file, "pdf"), &dir);
    for want in [
        "台账网格",
        "工作总结",
        // Three visits in the period: two to 钱老兵 (one at home), one at home to 吴小青.
        "累计走访3次，其中入户走访2次，走访群众2人",
        "开展各类巡查1次",
        "开展矛盾纠纷排查1次",
        "发现矛盾纠纷1件",
        "受理调解1件，调解成功1件，调成率100%",
        "主要指标",
        "存在的不足",
        "下一步打算",
        "—1—",
    ] {
        assert!(text.contains(want), "{want} not in the PDF: {text}");
    }
    // Nothing of 低保 or 空巢老人 was recorded here: that section is left out, not written as 0.
    assert!(!text.contains("民生保障和重点人群服务"), "{text}");
    assert!(!text.contains("低保"), "{text}");

    // The command line writes the same document.
    let out = dir.join("cli.docx");
    let (ok, _, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--node",
        &grid.to_string(),
        "--period",
        &p,
        "--format",
        "docx",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let cli = pdf_text(&libreoffice_convert(&out, "pdf"), &dir);
    assert!(cli.contains("累计走访3次，其中入户走访2次"), "{cli}");
    let (ok, _, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--period",
        &p,
        "--format",
        "docx",
    ]);
    assert!(!ok && err.contains("--out"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);

    // The page previews the same text.
    let (s, html, _) = web.get(&format!("/nodes/{grid}/summary?period={p}"));
    assert_eq!(s, 200);
    assert!(html.contains("累计走访3次，其中入户走访2次"), "{html}");
}

#[test]
fn the_community_head_rewords_the_summary_and_a_wrong_placeholder_is_refused() {
    let srv = Server::start(30);
    let head = srv.api("shuji");
    let (community, grid) = field_work(&head);
    let url = format!("/api/v1/nodes/{grid}/summary-wording");
    let (s, v) = head.get(&url);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["default"], true);
    assert_eq!(v["community_id"], community);

    // A code that is no figure: refused by its line, nothing stored.
    let bad = "标题：{单位}{期间}工作小结\n# 走访\n- 走访{visits.totl}";
    let (s, v) = head.send("PUT", &url, json!({ "body": bad }));
    assert_eq!(s, 422, "{v}");
    let m = v["error"]["message"].as_str().unwrap();
    assert!(m.contains("第 3 行") && m.contains("visits.totl"), "{m}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM summary_wordings"), 0);

    // A grid worker may not change it.
    let (s, _) = srv
        .api("wangge")
        .send("PUT", &url, json!({ "body": "标题：x" }));
    assert_eq!(s, 403);

    let good = "标题：{单位}{期间}工作小结\n开头：本期工作如下。\n# 走访群众\n- 走访{visits.total}，走访群众{visits.people}。\n- 巡查{patrols.total}。\n## 下一步打算";
    let (s, v) = head.send("PUT", &url, json!({ "body": good }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["default"], false);
    assert_eq!(v["updated_by"], "社区 王书记");
    let p = this_period();
    let (ok, md, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--node",
        &grid.to_string(),
        "--period",
        &p,
        "--format",
        "md",
    ]);
    assert!(ok, "{err}");
    assert!(md.contains("工作小结"), "{md}");
    assert!(md.contains("一是走访3次，走访群众2人。"), "{md}");
    assert!(md.contains("二是巡查1次。"), "{md}");
    assert!(
        md.contains("下一步打算") && !md.contains("存在的不足"),
        "{md}"
    );
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM audit_log WHERE action = 'summary_wording.save'"
        ),
        1
    );
}

#[test]
fn a_community_head_rewords_the_summary_on_a_phone() {
    use support::phone::{WAIT, choose, fits, login, open, submit};
    let srv = Server::start(20);
    let head = srv.api("shuji");
    let (community, _) = field_work(&head);
    let br = login(&srv, "shuji");
    open(
        &br,
        &srv,
        &format!("/nodes/{community}/summary/wording"),
        "form#wording-form",
    );
    fits(&br, "总结模板");
    // A placeholder mistyped: the error names the line, the text stays as typed.
    let f = br.form("wording-form").unwrap();
    let area = f.find("textarea[name=body]").unwrap();
    area.clear().unwrap();
    area.send_keys("标题：{单位}{期间}工作总结\n# 走访\n- 走访{visits.tota}")
        .unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("#wording-error", "第 3 行", WAIT)
        .unwrap();
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM summary_wordings"), 0);
    // Corrected: saved, and the summary page reads in the new words.
    let f = br.form("wording-form").unwrap();
    let area = f.find("textarea[name=body]").unwrap();
    area.clear().unwrap();
    area.send_keys("标题：{单位}{期间}走访工作小结\n# 走访\n- 走访{visits.total}")
        .unwrap();
    submit(&br, &f);
    br.wait_until_text_contains("#summary-title", "走访工作小结", WAIT)
        .unwrap();
    let (ok, stored) = srv.db.sql(&format!(
        "SELECT body FROM summary_wordings WHERE community_id = {community}"
    ));
    assert!(ok, "{stored}");
    assert!(
        stored.contains("走访工作小结") && stored.contains("{visits.total}"),
        "{stored}"
    );
    // Another period, picked on the summary page.
    use chrono::Datelike;
    let last_year = format!("{}年", shequ_domain::clock::today().year() - 1);
    let f = br.form("summary-period").unwrap();
    choose(&br, &f, "select[name=period]", &last_year);
    submit(&br, &f);
    br.wait_until_text_contains("#summary-title", &last_year, WAIT)
        .unwrap();
    assert!(br.current_url().unwrap().contains("period="));
}

#[test]
fn a_grid_worker_reads_their_own_summary_on_a_phone() {
    use support::phone::{WAIT, choose, fits, login, open, submit};
    let srv = Server::start(30);
    let grid = support::grid_of_wangge(&srv);
    let wangge = srv.api("wangge");
    let head = srv.api("shuji");
    // Two visits by the grid worker and one by the community head, in the worker's grid.
    let (person, _) = support::first_resident(&srv, grid);
    for (api, on) in [(&wangge, 0), (&wangge, 10), (&head, 0)] {
        let (s, v) = api.post(
            "/api/v1/visits",
            json!({"person_id": person, "kind": "入户", "visited_on": support::days_ago(on)}),
        );
        assert_eq!(s, 201, "{v}");
    }
    let br = login(&srv, "wangge");
    open(&br, &srv, "/", "a#my-summary");
    br.find("a#my-summary").unwrap().click().unwrap();
    br.wait_for("form#my-summary-period", WAIT).unwrap();
    fits(&br, "我的工作总结");
    // This year, picked by its label (today's visit is in it whatever the date).
    let label = {
        use chrono::Datelike;
        format!("{}年", shequ_domain::clock::today().year())
    };
    let f = br.form("my-summary-period").unwrap();
    choose(&br, &f, "select[name=period]", &label);
    submit(&br, &f);
    br.wait_until_text_contains("#my-summary-title", "张敏", WAIT)
        .unwrap();
    let text = br.find("#my-summary-preview").unwrap().text().unwrap();
    assert!(text.contains("个人工作总结"), "{text}");
    // Only the worker's own visits count (the demo's and those above); the head's are not theirs.
    let visits_in_year = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM visits v JOIN users u ON u.id = v.user_id \
             WHERE u.username = 'wangge' AND v.visited_on >= '{}-01-01'",
            label.trim_end_matches('年')
        ),
    );
    assert!(visits_in_year >= 1, "{visits_in_year}");
    assert!(
        text.contains(&format!("我累计走访{visits_in_year}次")),
        "{visits_in_year}: {text}"
    );
    // The Word document of the same.
    let web = Web::login(&srv.base, "wangge");
    let (s, ct, _, bytes) = web.download(&format!(
        "/me/summary/download?period={}",
        label.trim_end_matches('年')
    ));
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(ct.contains("wordprocessingml"), "{ct}");
    // And from the command line, as the worker's Markdown.
    let (ok, md, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--worker",
        "wangge",
        "--period",
        label.trim_end_matches('年'),
        "--format",
        "md",
    ]);
    assert!(ok, "{err}");
    assert!(
        md.contains(&format!("我累计走访{visits_in_year}次")),
        "{md}"
    );
    let (ok, _, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--worker",
        "nobody",
        "--period",
        "2025",
        "--format",
        "md",
    ]);
    assert!(!ok && err.contains("--worker"), "{err}");
}

/// 工作亮点: on a phone, the community head marks a 事件 and a settled dispute as notable from
/// their pages, in their own words; the summary lists them under 工作亮点 (and leaves the
/// section out when nothing is marked); a grid worker sees the line but not the form; clearing
/// the line takes the mark away.
#[test]
fn the_head_marks_highlights_on_a_phone_and_the_summary_lists_them() {
    use support::phone::{WAIT, login, open, open_details_of, submit};
    let srv = Server::start(20);
    let head = srv.api("shuji");
    let grid = support::grid_of_wangge(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let (person, room) = support::first_resident(&srv, grid);
    let (s, v) = head.post(
        "/api/v1/tickets",
        json!({"node_id": room, "category_code": "0102", "title": "楼道堆物",
               "photos": support::hazard_photos()}),
    );
    assert_eq!(s, 201, "{v}");
    let ticket = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "邻里", "summary": "楼上漏水",
               "parties": [{"side": "applicant", "person_id": person},
                           {"side": "respondent", "name": "外来租户"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let case = v["id"].as_i64().unwrap();
    let web = Web::login(&srv.base, "shuji");
    let (_, page, _) = web.get(&format!("/nodes/{community}/summary"));
    assert!(!page.contains("工作亮点"), "nothing marked, no section");

    let br = login(&srv, "shuji");
    let lines = [
        (
            format!("/tickets/{ticket}"),
            "highlight-ticket",
            "组织志愿者半天清空3个单元楼道堆物",
        ),
        (
            format!("/mediation-cases/{case}"),
            "highlight-case",
            "上门调解楼上漏水纠纷，双方握手言和",
        ),
    ];
    for (path, form, line) in &lines {
        open(&br, &srv, path, &format!("form#{form}"));
        open_details_of(&br, form);
        let f = br.form(form).unwrap();
        f.find("input[name=highlight]")
            .unwrap()
            .send_keys(line)
            .unwrap();
        submit(&br, &f);
        br.wait_for(&format!("form#{form}"), WAIT).unwrap();
    }
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM highlights"), 2);
    let (_, page, _) = web.get(&format!("/nodes/{community}/summary"));
    assert!(page.contains("工作亮点"), "{page}");
    for (_, _, line) in &lines {
        assert!(page.contains(line), "{line}: {page}");
    }
    // The grid worker reads the line, without the form.
    let (_, page, _) = Web::login(&srv.base, "wangge").get(&format!("/tickets/{ticket}"));
    assert!(
        page.contains(lines[0].2) && !page.contains("highlight-ticket"),
        "{page}"
    );

    // Cleared: the mark is gone, from the summary too.
    open(&br, &srv, &lines[0].0, "form#highlight-ticket");
    let f = br.form("highlight-ticket").unwrap();
    f.find("input[name=highlight]").unwrap().clear().unwrap();
    submit(&br, &f);
    br.wait_for("form#highlight-ticket", WAIT).unwrap();
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM highlights"), 1);
    let (_, page, _) = web.get(&format!("/nodes/{community}/summary"));
    assert!(!page.contains(lines[0].2) && page.contains(lines[1].2));
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM audit_log WHERE action IN ('highlight.mark', 'highlight.unmark')"
        ),
        3
    );
}

/// A street words its own summary: its staff keep the street's wording (the street's summary is
/// written in it), a community head can't change it, and the street's staff can't change a
/// community's; each is told where their own is.
#[test]
fn a_street_words_its_own_summary() {
    let srv = Server::start(20);
    let grid = support::grid_of_wangge(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let street = sql_int(
        &srv.db,
        &format!("SELECT parent_id FROM org_nodes WHERE id = {community}"),
    );
    use chrono::Datelike;
    let year = shequ_domain::clock::today().year().to_string();
    let jiedao = srv.api("jiedao");
    let url = format!("/api/v1/nodes/{street}/summary-wording");
    let (s, v) = jiedao.get(&url);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["default"].as_bool(), v["community_id"].as_i64()),
        (Some(true), Some(street))
    );
    let body = "标题：{单位}{期间}街道工作总结\n# 平安建设\n- 辖区实有人口{people.total}人。";
    let (s, v) = srv.api("shuji").send("PUT", &url, json!({ "body": body }));
    assert_eq!(s, 403, "a community head has no street: {v}");
    let (s, v) = jiedao.send("PUT", &url, json!({ "body": body }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["default"], false);
    let (s, v) = jiedao.send(
        "PUT",
        &format!("/api/v1/nodes/{community}/summary-wording"),
        json!({ "body": body }),
    );
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("书记"),
        "{v}"
    );
    let (ok, md, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--node",
        &street.to_string(),
        "--period",
        &year,
        "--format",
        "md",
    ]);
    assert!(ok, "{err}");
    assert!(
        md.contains("街道工作总结") && md.contains("平安建设"),
        "{md}"
    );
    // The community's summary still reads in the default wording.
    let (ok, md, err) = support::run(&[
        "report",
        "--db",
        &srv.db.url,
        "--node",
        &community.to_string(),
        "--period",
        &year,
        "--format",
        "md",
    ]);
    assert!(ok, "{err}");
    assert!(!md.contains("街道工作总结"), "{md}");
}
