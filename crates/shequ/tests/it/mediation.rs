//! 矛盾纠纷调解 over HTTP on both databases: a dispute found on a visit enters the 排查
//! register, a case is opened from it, mediated, settled and its 人民调解协议书 opened by
//! LibreOffice; 排查率 and 调成率 follow the records; labour disputes follow the three-level
//! flow of seed 002 (assigned by the legal-aid centre, the company union assisting, 20 days,
//! back to arbitration when unsettled); bad input and stale or impossible steps are refused.

use crate::support;

use chrono::Datelike;
use serde_json::{Value, json};
use support::{
    Server, Web, csrf_of, days_ago, first_resident, grid_of_wangge, libreoffice_convert, sql_int,
};

const OUTSIDER_ID: &str = "110105198001010032";

fn a_resident(srv: &Server, grid: i64) -> i64 {
    first_resident(srv, grid).0
}

fn rates(api: &support::Api, node: i64) -> Value {
    let (s, v) = api.get(&format!("/api/v1/nodes/{node}/mediation-rates"));
    assert_eq!(s, 200, "{v}");
    v
}

#[test]
fn a_dispute_found_on_a_visit_is_screened_mediated_settled_and_its_agreement_opens() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let person = a_resident(&srv, grid);
    let worker = srv.api("wangge");
    let head = srv.api("shuji");
    let months_so_far = i64::from(shequ_domain::clock::today().month());

    // Nothing screened yet: 0 of this year's grid-months, no case closed.
    let before = rates(&head, grid);
    assert_eq!(before["screening_rate"]["numerator"], 0);
    assert_eq!(before["screening_rate"]["denominator"], months_so_far);
    assert_eq!(before["success_rate"]["denominator"], 0);
    assert!(before["success_rate"]["percent"].is_null());

    // Found on a visit: it enters the register.
    let (s, v) = worker.post(
        "/api/v1/visits",
        json!({"person_id": person, "kind": "入户",
               "disputes": [{"type_code": "邻里纠纷", "summary": "502与602因卫生间漏水起争执"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let (s, register) = worker.get(&format!("/api/v1/nodes/{grid}/screenings"));
    assert_eq!(s, 200, "{register}");
    let entry = &register[0];
    assert_eq!(
        (entry["source"].as_str(), entry["type_label"].as_str()),
        (Some("visit"), Some("邻里纠纷"))
    );
    let screening = entry["id"].as_i64().unwrap();
    let after = rates(&head, grid);
    assert_eq!(after["screening_rate"]["numerator"], 1);
    assert_eq!(after["disputes_found"], 1);

    // Bad cases are refused with the field named, and nothing is written.
    let cases_before = sql_int(&srv.db, "SELECT COUNT(*) FROM mediation_cases");
    for (body, field) in [
        (
            json!({"node_id": grid, "type_code": "邻里", "summary": "漏水",
                   "parties": [{"side": "applicant", "person_id": person},
                               {"side": "respondent", "name": "赵某", "id_number": "110105198001010033"}]}),
            "当事人2身份证号",
        ),
        (
            json!({"node_id": grid, "type_code": "邻里", "summary": "漏水",
                   "parties": [{"side": "applicant", "person_id": person}]}),
            "当事人",
        ),
        (
            json!({"node_id": grid, "type_code": "吵架", "summary": "漏水", "parties": []}),
            "纠纷类型",
        ),
        (
            json!({"node_id": grid, "type_code": "labour", "summary": "欠薪",
                   "parties": [{"side": "applicant", "name": "甲"}, {"side": "respondent", "name": "乙"}]}),
            "用人单位",
        ),
    ] {
        let (s, v) = worker.post("/api/v1/mediation-cases", body);
        assert_eq!((s, v["error"]["field"].as_str()), (422, Some(field)), "{v}");
    }
    assert_eq!(
        sql_int(&srv.db, "SELECT COUNT(*) FROM mediation_cases"),
        cases_before
    );

    // Opened from the register entry: numbered, 30 days allowed.
    let case_body = json!({"node_id": grid, "type_code": "neighbour", "screening_id": screening,
        "summary": "602卫生间防水层破损，渗水至502顶棚，双方就维修和赔偿起争执。",
        "parties": [{"side": "applicant", "person_id": person},
                    {"side": "respondent", "name": "赵某某", "id_number": OUTSIDER_ID,
                     "phone": "13900001111", "address": "凤凰街道某小区6幢602"}]});
    let (s, v) = worker.post("/api/v1/mediation-cases", case_body.clone());
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (s, v) = worker.post("/api/v1/mediation-cases", case_body);
    assert_eq!(s, 422, "one register entry, one case: {v}");
    let (s, case) = worker.get(&format!("/api/v1/mediation-cases/{id}"));
    assert_eq!(s, 200, "{case}");
    let year = shequ_domain::clock::today().year();
    assert!(
        case["case_no"]
            .as_str()
            .unwrap()
            .ends_with(&format!("调〔{year}〕1号")),
        "{case}"
    );
    let received =
        chrono::NaiveDate::parse_from_str(case["received_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    assert_eq!(
        case["due_on"].as_str().unwrap(),
        (received + chrono::Duration::days(30)).to_string()
    );
    assert_eq!(case["source"], "screening");
    assert_eq!(case["parties"][1]["id_number"], "110105********0032");
    assert_eq!(case["parties"][1]["phone"], "139****1111");
    assert_eq!(case["parties"][1]["sex"], "男");

    // A session; a stale one refused.
    let (s, v) = worker.post(
        &format!("/api/v1/mediation-cases/{id}/sessions"),
        json!({"notes": "双方到场，602同意维修，赔偿金额有分歧", "place": "社区调解室", "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["sessions"].as_array().unwrap().len(), 1);
    let (s, v) = worker.post(
        &format!("/api/v1/mediation-cases/{id}/sessions"),
        json!({"notes": "又一次", "version": 1}),
    );
    assert_eq!(s, 409, "{v}");

    // Settled: the agreement is required, then the case is closed once.
    let (s, v) = worker.post(
        &format!("/api/v1/mediation-cases/{id}/close"),
        json!({"outcome": "调解成功", "version": 2}),
    );
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (422, Some("协议内容")),
        "{v}"
    );
    let (s, v) = worker.post(
        &format!("/api/v1/mediation-cases/{id}/close"),
        json!({"outcome": "调解成功", "version": 2,
               "agreement": "一、赵某某于十日内修复602卫生间防水层；\n二、赵某某一次性补偿502顶棚修复费用人民币贰仟元整。",
               "performance": "2026年12月5日前修复完毕，补偿款当场支付。"}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["outcome_label"], "调解成功");
    let (s, v) = worker.post(
        &format!("/api/v1/mediation-cases/{id}/close"),
        json!({"outcome": "failed", "note": "再结一次", "version": 3}),
    );
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("illegal_step")),
        "{v}"
    );
    assert!(
        v["error"]["message"].as_str().unwrap().contains("已结案"),
        "{v}"
    );
    let after = rates(&head, grid);
    assert_eq!(
        (
            after["success_rate"]["numerator"].as_i64(),
            after["success_rate"]["denominator"].as_i64(),
            after["success_rate"]["percent"].as_f64()
        ),
        (Some(1), Some(1), Some(100.0))
    );

    // The 人民调解协议书: full details of the parties, so the second factor first (as for a
    // ledger export); then opened and printed by LibreOffice.
    let (s, v) = worker.get(&format!("/api/v1/mediation-cases/{id}/agreement.docx"));
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (401, Some("second_factor_required")),
        "{v}"
    );
    support::pass_second_factor_api(&srv, &worker, "wangge");
    let (s, ct, bytes) = worker.get_bytes(&format!("/api/v1/mediation-cases/{id}/agreement.docx"));
    assert_eq!(s, 200);
    assert_eq!(
        ct,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let dir = std::env::temp_dir().join(format!("shequ-agreement-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("agreement.docx");
    std::fs::write(&file, &bytes).unwrap();
    let pdf = libreoffice_convert(&file, "pdf");
    assert!(pdf.starts_with(b"%PDF"), "LibreOffice made a PDF");
    // Each party's values sit under their own headers on the printed page, and no header
    // wraps (the phone once printed under 住址, the address under 联系电话, 性别 on two lines).
    let words = support::pdf_layout::pdf_words(&pdf);
    let columns = support::pdf_layout::Columns::find(
        &words,
        &[
            "当事人",
            "姓名（名称）",
            "性别",
            "身份证号码",
            "住址",
            "联系电话",
        ],
    );
    for (value, header) in [
        ("被申请人", "当事人"),
        ("赵某某", "姓名（名称）"),
        ("男", "性别"),
        (OUTSIDER_ID, "身份证号码"),
        ("13900001111", "联系电话"),
        ("凤凰街道某小区6幢602", "住址"),
    ] {
        columns.assert_under(&words, value, header);
    }
    let text = String::from_utf8(libreoffice_convert(&file, "txt")).unwrap();
    for want in [
        "人民调解协议书",
        &format!("调〔{year}〕1号"),
        "赵某某",
        OUTSIDER_ID,
        "修复602卫生间防水层",
        "贰仟元整",
        "人民调解委员会（印）",
        "双方当事人自愿达成如下协议",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    assert_eq!(
        sql_int(
            &srv.db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'mediation.agreement' AND target = 'mediation:{id}'"
            )
        ),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);

    // The page: the register shows the entry as opened, and a round that found nothing is one tap.
    let web = Web::login(&srv.base, "wangge");
    let (s, page, _) = web.get(&format!("/nodes/{grid}/mediation"));
    assert_eq!(s, 200);
    assert!(page.contains("已立案") && page.contains("排查率"), "{page}");
    let (s, _, to) = web.post_form(
        &format!("/nodes/{grid}/screenings"),
        &[("csrf", &csrf_of(&page))],
    );
    assert_eq!(s, 303);
    let (_, page, _) = web.get(&to.unwrap());
    assert!(
        page.contains("未发现纠纷") && page.contains("排查已登记"),
        "{page}"
    );
    let (s, page, _) = web.get(&format!("/mediation-cases/{id}"));
    assert_eq!(s, 200);
    assert!(
        page.contains("已结案：调解成功") && page.contains("agreement.docx"),
        "{page}"
    );
}

#[test]
fn labour_disputes_follow_the_three_level_flow_within_twenty_days() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let head = srv.api("shuji");
    let labour = |received: &str| {
        let (s, v) = head.post(
            "/api/v1/mediation-cases",
            json!({"node_id": grid, "type_code": "劳资纠纷", "source": "转办",
                   "referred_by": "区总工会职工法律援助中心", "employer": "某某科技有限公司",
                   "received_on": received,
                   "summary": "职工李某某主张公司拖欠两个月工资共计一万二千元。",
                   "parties": [{"side": "申请人", "name": "李某某", "phone": "13800002222"},
                               {"side": "被申请人", "name": "某某科技有限公司"}]}),
        );
        assert_eq!(s, 201, "{v}");
        v["id"].as_i64().unwrap()
    };
    let id = labour(&days_ago(2));
    let (_, case) = head.get(&format!("/api/v1/mediation-cases/{id}"));
    assert_eq!(case["due_on"], days_ago(2 - 20).as_str());
    let steps: Vec<(&str, Option<&str>)> = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["counterpart"].as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("receive", None),
            ("assign", Some("区总工会职工法律援助中心"))
        ]
    );
    assert_eq!(case["hand_offs"], json!(["assign", "assist", "return"]));

    // The company's union joins.
    let (s, v) = head.post(
        &format!("/api/v1/mediation-cases/{id}/hand-offs"),
        json!({"action": "assist", "counterpart": "某某科技有限公司工会", "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["company_union"], "某某科技有限公司工会");

    // Unsettled: back to the legal-aid centre and from there to arbitration, recorded.
    let (s, v) = head.post(
        &format!("/api/v1/mediation-cases/{id}/close"),
        json!({"outcome": "调解不成", "note": "公司不同意支付", "version": 2}),
    );
    assert_eq!(s, 200, "{v}");
    let last: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(last, ["receive", "assign", "assist", "return", "close"]);
    assert_eq!(v["events"][3]["counterpart"], "区总工会职工法律援助中心");

    // Past its 20 days: overdue on the list and in the figures; returned by hand-off.
    let late = labour(&days_ago(25));
    let (_, open) = head.get(&format!("/api/v1/nodes/{grid}/mediation-cases"));
    let listed = open
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == late)
        .unwrap();
    assert_eq!(listed["overdue"], true);
    assert_eq!(rates(&head, grid)["cases_overdue"], 1);
    let (s, v) = head.post(
        &format!("/api/v1/mediation-cases/{late}/hand-offs"),
        json!({"action": "return", "counterpart": "区总工会职工法律援助中心", "note": "超过20天未调成", "version": 1}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["outcome"], "arbitration");
    assert_eq!(rates(&head, grid)["cases_overdue"], 0);

    // The labour flow's steps are for labour cases only, and a closed case takes none.
    let (s, v) = head.post(
        "/api/v1/mediation-cases",
        json!({"node_id": grid, "type_code": "family", "summary": "赡养费",
               "parties": [{"side": "applicant", "name": "王某"}, {"side": "respondent", "name": "王某某"}]}),
    );
    assert_eq!(s, 201, "{v}");
    let family = v["id"].as_i64().unwrap();
    let (s, v) = head.post(
        &format!("/api/v1/mediation-cases/{family}/hand-offs"),
        json!({"action": "assist", "counterpart": "某公司工会", "version": 1}),
    );
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("illegal_step")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("只用于劳资纠纷"),
        "{v}"
    );
    let (s, _) = head.post(
        &format!("/api/v1/mediation-cases/{late}/hand-offs"),
        json!({"action": "assist", "counterpart": "某公司工会", "version": 2}),
    );
    assert_eq!(s, 409);
    // 调成率 counts the two labour cases closed without agreement.
    let r = rates(&head, grid);
    assert_eq!(
        (
            r["success_rate"]["numerator"].as_i64(),
            r["success_rate"]["denominator"].as_i64()
        ),
        (Some(0), Some(2))
    );
}
