//! 台账 from the catalogue: every ledger of a node for a period downloads as .xlsx, lists
//! exactly the records its figure counts (compared with the figures API for every sheet that
//! has one), holds the rows of a grid built here as counted by hand, opens in LibreOffice, and
//! refuses what it should with a Chinese message; a street's ledger is grouped by community.
//! On both databases.

use crate::support;

use calamine::{Data, Reader, Xlsx};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Cursor;
use support::registry::{self, add_node as node, created};
use support::{Api, Server, Web, days_ago, libreoffice_convert, pass_second_factor, sql_int};

/// Each sheet's data rows (those whose first cell is a 序号), as text cells, by sheet name.
fn sheets(bytes: &[u8]) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an .xlsx");
    let names = book.sheet_names().to_vec();
    let mut out = BTreeMap::new();
    for name in names {
        let range = book.worksheet_range(&name).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .filter(|r| matches!(r.first(), Some(Data::Float(_) | Data::Int(_))))
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::DateTime(d) => shequ_domain::dates::from_excel_serial(d.as_f64())
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        Data::Float(f) => format!("{f}"),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        out.insert(name, rows);
    }
    out
}

/// Every cell of every row of a sheet, whatever its first cell: headings included.
fn all_text(bytes: &[u8], sheet: &str) -> Vec<String> {
    let mut book = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

fn count_of(api: &Api, node: i64, period: &str, code: &str) -> i64 {
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

fn download(web: &Web, node: i64, code: &str, period: &str) -> Vec<u8> {
    let (s, ct, cd, bytes) = web.download(&format!("/nodes/{node}/ledgers/{code}?period={period}"));
    assert_eq!(s, 200, "{code}: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(cd.contains("filename*=UTF-8''"), "{cd}");
    bytes
}

/// The period the field work below falls in (320 to 100 days ago), and the one before it.
pub(crate) fn this_period() -> String {
    format!("{}..{}", days_ago(320), days_ago(100))
}

fn period_before() -> String {
    format!("{}..{}", days_ago(360), days_ago(321))
}

/// A grid of its own with two residents (a disabled veteran, and a young woman), visits in the
/// period and one before it, two patrols, a round of 排查 with a dispute, and a settled case,
/// all within the last year (older ones are refused as 补录); returns (community, grid).
pub(crate) fn field_work(head: &Api) -> (i64, i64) {
    let (_, me) = head.get("/api/v1/me");
    let community = me["scope"][0].as_i64().unwrap();
    let grid = node(head, community, "grid", "台账网格");
    let building = node(head, grid, "building", "台账楼");
    let unit = node(head, building, "unit", "1单元");
    let room = node(head, unit, "room", "101");
    let old = registry::resident(
        head,
        ("钱老兵", "1950-03-03", 41),
        room,
        "2020-01-01",
        None,
        json!({}),
    );
    let young = registry::resident(
        head,
        ("吴小青", "1998-08-08", 42),
        room,
        "2020-01-01",
        None,
        json!({}),
    );
    created(
        head,
        &format!("/api/v1/persons/{old}/tags"),
        json!({"kind": "veteran", "started_on": "2021-01-01", "values": {"category": "退役士兵"}}),
    );
    created(
        head,
        &format!("/api/v1/persons/{old}/tags"),
        json!({"kind": "disability", "started_on": "2021-01-01",
               "values": {"category": "肢体", "grade": "3"}}),
    );
    for (person, kind, on, findings) in [
        (old, "入户", days_ago(300), "送去慰问品，身体尚好"),
        (old, "电话", days_ago(200), "询问近况"),
        (young, "入户", days_ago(310), "了解就业意向"),
        (young, "微信", days_ago(330), "发送招聘信息"),
    ] {
        created(
            head,
            "/api/v1/visits",
            json!({"person_id": person, "kind": kind, "visited_on": on, "findings": findings}),
        );
    }
    let shops: Vec<i64> = ["台账超市", "台账餐馆"]
        .iter()
        .map(|name| {
            created(
                head,
                "/api/v1/units",
                json!({"node_id": grid, "name": name, "kind": "商铺"}),
            )
        })
        .collect();
    created(
        head,
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": "fire", "patrolled_on": days_ago(240),
               "route": "台账楼楼道", "results": {"消防通道畅通": "正常"}, "unit_ids": shops}),
    );
    created(
        head,
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": "fire", "patrolled_on": days_ago(340),
               "results": {"消防通道畅通": "正常"}}),
    );
    let (s, v) = head.post(
        &format!("/api/v1/nodes/{grid}/screenings"),
        json!({"screened_on": days_ago(260),
               "disputes": [{"type_code": "邻里纠纷", "summary": "楼上漏水"}]}),
    );
    assert!(s == 201 || s == 200, "{v}");
    let case = created(
        head,
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "邻里纠纷", "source": "来访",
               "received_on": days_ago(280), "summary": "楼上漏水浸湿天花板。",
               "parties": [{"side": "申请人", "name": "吴小青"}, {"side": "被申请人", "name": "钱老兵"}]}),
    );
    let (s, v) = head.post(
        &format!("/api/v1/mediation-cases/{case}/close"),
        json!({"outcome": "调解成功", "closed_on": days_ago(270), "version": 1,
               "agreement": "钱老兵负责修复。", "performance": "当场履行。"}),
    );
    assert_eq!(s, 200, "{v}");
    (community, grid)
}

#[test]
fn every_ledger_lists_what_its_figure_counts_and_opens_in_libreoffice() {
    let srv = Server::start(120);
    let head = srv.api("shuji");
    let (community, grid) = field_work(&head);
    let web = Web::login(&srv.base, "shuji");
    pass_second_factor(&web);
    let (p, before) = (this_period(), period_before());

    let (s, list) = head.get("/api/v1/ledgers");
    assert_eq!(s, 200, "{list}");
    let list = list.as_array().unwrap().clone();
    for required in [
        "residents",
        "floating",
        "rentals",
        "units",
        "visits",
        "patrols",
        "tickets",
        "mediation",
        "veterans",
        "group.dibao",
        "group.disability",
        "group.veteran",
    ] {
        assert!(
            list.iter().any(|l| l["code"] == required),
            "no ledger {required}"
        );
    }

    // At the community, every sheet with a figure lists as many rows as the figure counts.
    let mut compared = 0;
    for l in &list {
        let code = l["code"].as_str().unwrap();
        let bytes = download(&web, community, code, &p);
        let got = sheets(&bytes);
        let specs = l["sheets"].as_array().unwrap();
        assert_eq!(got.len(), specs.len(), "{code}: {:?}", got.keys());
        for spec in specs {
            let rows = &got[spec["name"].as_str().unwrap()];
            for (i, r) in rows.iter().enumerate() {
                assert_eq!(r[0], format!("{}", i + 1), "{code}: 序号 runs 1, 2, 3 …");
            }
            if let Some(figure) = spec["figure"].as_str() {
                assert_eq!(
                    rows.len() as i64,
                    count_of(&head, community, &p, figure),
                    "{code}/{figure}"
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 20, "only {compared} sheets had a figure");

    // The grid built above, counted by hand.
    let visits = sheets(&download(&web, grid, "visits", &p));
    let visits = &visits["走访记录"];
    assert_eq!(visits.len(), 3, "{visits:?}");
    // In the order they happened, each with its place, person, way and findings.
    assert_eq!(visits[0][3], days_ago(310));
    assert_eq!(visits[0][4], "吴小青");
    assert_eq!(visits[0][2], "台账网格");
    assert_eq!(visits[0][5], "台账楼1单元101");
    assert_eq!(visits[1][4], "钱老兵");
    assert_eq!(visits[1][6], "退役军人、残疾");
    assert_eq!(visits[1][8], "送去慰问品，身体尚好");
    assert_eq!(visits[2][7], "电话");
    let visits_before = sheets(&download(&web, grid, "visits", &before));
    assert_eq!(visits_before["走访记录"].len(), 1);
    assert_eq!(visits_before["走访记录"][0][8], "发送招聘信息");

    let patrols = sheets(&download(&web, grid, "patrols", &p));
    assert_eq!(patrols["巡查记录"].len(), 1);
    assert_eq!(patrols["巡查记录"][0][4], "消防巡查");
    assert_eq!(patrols["巡查记录"][0][5], "台账楼楼道");
    // The units it went into, named; and counted as the figure counts them.
    let checked = &patrols["巡查记录"][0][6];
    assert!(
        checked.contains("台账超市") && checked.contains("台账餐馆"),
        "{checked}"
    );
    assert_eq!(count_of(&head, grid, &p, "patrols.units_checked"), 2);

    let mediation = sheets(&download(&web, grid, "mediation", &p));
    let cases = &mediation["调解台账"];
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(&cases[0][6..8], ["吴小青", "钱老兵"]);
    assert_eq!(cases[0][10], "调解成功");
    assert_eq!(cases[0][11], days_ago(270));
    let rounds = &mediation["排查登记"];
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0][5], "邻里纠纷");
    assert_eq!(rounds[0][6], "楼上漏水");

    let veterans = sheets(&download(&web, grid, "veterans", &p));
    assert_eq!(veterans["退役军人名册"].len(), 1);
    assert_eq!(veterans["退役军人名册"][0][4], "钱老兵");
    assert_eq!(veterans["退役军人名册"][0][10], "退役士兵");
    // Only the visits to the veteran.
    assert_eq!(veterans["走访慰问记录"].len(), 2);
    // Disabled as well: in difficulty, visited twice in the period, last about the phone call.
    let help = &veterans["困难帮扶"];
    assert_eq!(help.len(), 1);
    assert_eq!(help[0][11], "退役军人、残疾");
    assert_eq!(help[0][12], "2");
    assert_eq!(help[0][13], "询问近况");

    let disabled = sheets(&download(&web, grid, "group.disability", &p));
    let disabled = &disabled["残疾"];
    assert_eq!(disabled.len(), 1);
    assert!(disabled[0].contains(&"肢体".to_string()), "{disabled:?}");
    assert!(disabled[0].contains(&"3".to_string()), "{disabled:?}");
    // The ID number in full, as text, never 1.1E+17.
    let id = &disabled[0][8];
    assert_eq!(id.len(), 18, "{id}");

    let residents = sheets(&download(&web, grid, "residents", &p));
    assert_eq!(residents["实有人口"].len(), 2);
    // 2019: they had not moved in yet.
    let residents_2019 = sheets(&download(&web, grid, "residents", "2019"));
    assert_eq!(residents_2019["实有人口"].len(), 0);

    // The export is audited with the ledger, the place, the period and the rows.
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM audit_log WHERE action = 'export' \
             AND detail LIKE '%走访记录台账%'"
        ),
        3,
        "the community's and the grid's 走访记录台账 of the period, and the grid's one before"
    );

    // LibreOffice opens it; the PDF holds the title and the rows.
    let bytes = download(&web, grid, "visits", &p);
    let dir = std::env::temp_dir().join(format!("shequ-ledgers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("visits.xlsx");
    std::fs::write(&file, &bytes).unwrap();
    let pdf = dir.join("visits.pdf");
    std::fs::write(&pdf, libreoffice_convert(&file, "pdf")).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    let text = String::from_utf8_lossy(&text.stdout).replace(char::is_whitespace, "");
    for want in [
        "台账网格走访记录台账",
        "共3次",
        "钱老兵",
        "送去慰问品",
        "第1页",
    ] {
        assert!(text.contains(want), "{want} not in the PDF: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_streets_ledger_is_grouped_by_community_and_personal_ones_need_the_grant() {
    let srv = Server::start(60);
    let head = srv.api("shuji");
    let (community, grid) = field_work(&head);
    let p = this_period();
    let street: i64 = sql_int(
        &srv.db,
        &format!("SELECT parent_id FROM org_nodes WHERE id = {community}"),
    );
    // A patrol names only units of its own community that exist.
    let (s, v) = head.post(
        "/api/v1/patrols",
        json!({"node_id": grid, "type_code": "fire", "results": {"消防通道畅通": "正常"},
               "unit_ids": [99_999_999]}),
    );
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["field"], "检查单位");
    // The street officer, without a grant to people's data, takes the patrols.
    let jiedao = Web::login(&srv.base, "jiedao");
    let bytes = download(&jiedao, street, "patrols", &p);
    let lines = all_text(&bytes, "巡查记录");
    let name: String = {
        let (_, v) = head.get(&format!("/api/v1/nodes/{community}"));
        v["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_string()
    };
    assert!(
        lines.iter().any(|l| l.trim_matches('|') == name),
        "a heading row names the community: {lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("台账楼楼道")), "{lines:?}");
    let rows = sheets(&bytes)["巡查记录"].len() as i64;
    assert_eq!(
        rows,
        count_of(&srv.api("jiedao"), street, &p, "patrols.total")
    );

    // Residents' data: refused with the reason, and nothing is audited as exported.
    let before = sql_int(
        &srv.db,
        "SELECT count(*) FROM audit_log WHERE action = 'export'",
    );
    let (s, html, _) = jiedao.get(&format!("/nodes/{street}/ledgers/visits?period={p}"));
    assert_eq!(s, 403, "{html}");
    assert!(html.contains("走访记录台账"), "{html}");
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM audit_log WHERE action = 'export'"
        ),
        before
    );
    // The page lists it without a link.
    let (s, html, _) = jiedao.get(&format!("/nodes/{street}/ledgers"));
    assert_eq!(s, 200);
    assert!(html.contains("download-patrols") && !html.contains("download-visits"));

    // A grid worker is sent to pass the second factor first, then brought back.
    let wangge = Web::login(&srv.base, "wangge");
    let grid = support::grid_of_wangge(&srv);
    let (s, _, location) = wangge.get(&format!("/nodes/{grid}/ledgers/visits?period={p}"));
    assert_eq!(s, 303);
    assert!(
        location
            .as_deref()
            .unwrap_or("")
            .starts_with("/account?next="),
        "{location:?}"
    );
    // Outside one's area: refused.
    let (s, _, _) = wangge.get(&format!("/nodes/{street}/ledgers/patrols?period={p}"));
    assert_eq!(s, 403);

    // Bad input names what was wrong.
    for (url, want) in [
        (
            format!("/nodes/{community}/ledgers/patrols?period=2024Q5"),
            "期间",
        ),
        (
            format!("/nodes/{community}/ledgers/patrols?period=2024-05-01..2024-04-01"),
            "期间",
        ),
        (
            format!("/nodes/{community}/ledgers/nothing?period=2024"),
            "没有编号为“nothing”的台账",
        ),
        (
            format!("/nodes/{community}/ledgers/patrols?from=2024-01-01"),
            "结束日期",
        ),
        (
            "/nodes/99999999/ledgers/patrols?period=2024".to_string(),
            "不存在",
        ),
    ] {
        let (s, html, _) = jiedao.get(&url);
        assert!(s == 422 || s == 404, "{url}: {s}");
        assert!(html.contains(want), "{url}: {want} not in {html}");
    }
    let (s, html, _) = jiedao.get(&format!("/nodes/{community}/ledgers?period=2024Q5"));
    assert_eq!(s, 422);
    assert!(html.contains("id=\"ledger-error\""), "{html}");
}

#[test]
fn a_street_officer_picks_a_period_and_downloads_a_ledger_on_a_phone() {
    use support::phone::{WAIT, fits, login, open, open_details_of, submit, type_date};
    let srv = Server::start(40);
    let head = srv.api("shuji");
    let (community, _grid) = field_work(&head);
    let street: i64 = sql_int(
        &srv.db,
        &format!("SELECT parent_id FROM org_nodes WHERE id = {community}"),
    );
    let br = login(&srv, "jiedao");
    open(
        &br,
        &srv,
        &format!("/nodes/{street}/ledgers"),
        "form#ledger-period",
    );
    fits(&br, "台账");
    // Without a grant to people's data: those ledgers are listed, not offered.
    let visits = br.find("#ledger-visits").unwrap().text().unwrap();
    assert!(visits.contains("无权导出"), "{visits}");

    // The custom range the field work falls in.
    let (from, to) = (
        chrono::NaiveDate::parse_from_str(&days_ago(320), "%Y-%m-%d").unwrap(),
        chrono::NaiveDate::parse_from_str(&days_ago(100), "%Y-%m-%d").unwrap(),
    );
    open_details_of(&br, "ledger-period");
    let f = br.form("ledger-period").unwrap();
    type_date(&f.find("input[name=from]").unwrap(), from);
    type_date(&f.find("input[name=to]").unwrap(), to);
    submit(&br, &f);
    let label = shequ_domain::figures::Period::range(from, to)
        .unwrap()
        .label();
    br.wait_until_text_contains("#ledger-period-label", &label, WAIT)
        .unwrap();
    let link = br.find("#download-patrols").unwrap();
    let href = link.property("href").unwrap().unwrap();
    assert!(href.contains(&format!("period={from}..{to}")), "{href}");

    // The download, as the phone fetches it with its session.
    let got = br
        .execute(
            "return fetch(arguments[0]).then(r => r.arrayBuffer().then(b => \
             [r.status, r.headers.get('content-type'), Array.from(new Uint8Array(b))]));",
            vec![serde_json::Value::from(href)],
        )
        .unwrap();
    assert_eq!(got[0], 200, "{got}");
    let bytes: Vec<u8> = got[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    let rows = sheets(&bytes)["巡查记录"].clone();
    assert!(
        rows.iter().any(|r| r.contains(&"台账楼楼道".to_string())),
        "{rows:?}"
    );
    // And the export is on record: who, which ledger, which period, how many rows.
    let (ok, detail) = srv.db.sql(
        "SELECT username, detail FROM audit_log WHERE action = 'export' ORDER BY seq DESC LIMIT 1",
    );
    assert!(ok, "{detail}");
    assert!(detail.contains("jiedao"), "{detail}");
    assert!(detail.contains("巡查记录台账"), "{detail}");
    assert!(detail.contains(&label), "{detail}");
    assert!(
        detail.contains(&format!("\"行数\":{}", rows.len())),
        "{detail}"
    );
}

#[test]
fn a_community_head_reads_the_dashboard_and_taps_a_figure_on_a_phone() {
    use support::phone::{WAIT, choose, fits, login, open, submit};
    let srv = Server::start(40);
    let head = srv.api("shuji");
    let (community, grid) = field_work(&head);
    for title in ["楼道灯不亮", "垃圾满溢", "井盖松动"] {
        let (s, v) = head.post(
            "/api/v1/tickets",
            json!({"node_id": grid, "category_code": "0302", "title": title, "source": "worker"}),
        );
        assert_eq!(s, 201, "{v}");
    }
    let br = login(&srv, "shuji");
    open(
        &br,
        &srv,
        &format!("/nodes/{community}/dashboard"),
        "form#dashboard-period",
    );
    // This year, picked as a person would.
    use chrono::Datelike;
    let this_year = format!("{}年", shequ_domain::clock::today().year());
    let f = br.form("dashboard-period").unwrap();
    choose(&br, &f, "select[name=period]", &this_year);
    submit(&br, &f);
    br.wait_until_text_contains("#dashboard-period-label", &this_year, WAIT)
        .unwrap();
    fits(&br, "数据驾驶舱");
    // The charts are drawn by the library the product serves itself.
    br.wait_for("#chart-months[data-drawn]", WAIT).unwrap();
    br.wait_for("#chart-kinds[data-drawn]", WAIT).unwrap();
    let width = br
        .execute(
            "return document.getElementById('chart-kinds').getBoundingClientRect().width;",
            vec![],
        )
        .unwrap();
    assert!(width.as_f64().unwrap() > 200.0, "{width}");
    if let Ok(path) = std::env::var("SHEQU_SCREENSHOT") {
        br.execute(
            "window.scrollTo(0, document.getElementById('section-chart-months').offsetTop - 10);",
            vec![],
        )
        .unwrap();
        br.screenshot_png(&path).unwrap();
    }

    // The figure of 事件 found this year, and the records behind it: the same number.
    let card = br.find("#card-tickets-reported").unwrap();
    let text = card.text().unwrap();
    let shown: usize = text
        .lines()
        .find_map(|l| l.trim().strip_suffix('件').and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(shown >= 3, "{text}");
    card.click().unwrap();
    br.wait_for("#records-list", WAIT).unwrap();
    fits(&br, "事件明细");
    let items = br.find_all("#records-list li").unwrap().len();
    assert_eq!(items, shown);
    let list = br.find("#records-list").unwrap().text().unwrap();
    assert!(list.contains("楼道灯不亮"), "{list}");
    let total = br.find("#records-total").unwrap().text().unwrap();
    assert!(total.contains(&format!("共 {shown} 条")), "{total}");
}
