//! Exports and the auditor's pages: a ledger of personal data needs the permission and the
//! second factor, is audited with its row count, carries who and when in its properties,
//! writes formula-like text as text, and opens in LibreOffice (converted to CSV and PDF). The
//! auditor filters the log and exports it; the system administrator can't read it.

use crate::support;

use serde_json::json;
use support::{
    Api, Server, Web, first_resident, grid_of_wangge, libreoffice_convert, pass_second_factor,
    sql_int, zip_part,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn save(bytes: &[u8], name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shequ-export-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.xlsx"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn the_residents_ledger_needs_the_second_factor_and_opens_in_libreoffice() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let living = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM persons p JOIN org_nodes g ON g.id = {grid} WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z'"
        ),
    );
    assert!(living > 10, "{living}");
    let web = Web::login(&srv.base, "wangge");
    let url = format!("/nodes/{grid}/export/residents.xlsx");
    // Without the second factor: sent to bind/verify it, and back.
    let (s, _, location) = web.get(&url);
    assert_eq!(s, 303);
    assert!(location.unwrap().starts_with("/account?next="));
    pass_second_factor(&web);
    let (s, ct, cd, bytes) = web.download(&url);
    assert_eq!(s, 200);
    assert_eq!(ct, XLSX);
    assert!(
        cd.contains("attachment") && cd.contains("filename*=UTF-8''"),
        "{cd}"
    );
    let file = save(&bytes, "residents");

    // Who and when, in the file's properties.
    let core = zip_part(&file, "docProps/core.xml");
    assert!(core.contains("网格员 张敏"), "{core}");
    assert!(core.contains("<dcterms:created"), "{core}");
    // Long numbers stay text, never 1.10105E+17.
    let csv = String::from_utf8(libreoffice_convert(&file, "csv")).unwrap();
    let data_rows = csv
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(data_rows as i64, living, "one row per resident:\n{csv}");
    assert!(!csv.contains("E+17"), "{csv}");
    let ids = csv
        .matches(|c: char| c == 'X' || c.is_ascii_digit())
        .count();
    assert!(ids > 0);
    assert!(
        csv.lines().any(|l| l
            .split(',')
            .any(|cell| cell.trim_matches('"').len() == 18 && !cell.contains('*'))),
        "full ID numbers in the ledger:\n{csv}"
    );
    let pdf = libreoffice_convert(&file, "pdf");
    assert!(pdf.starts_with(b"%PDF"), "LibreOffice made a PDF");

    // Audited, with the row count.
    let (ok, rows) = srv.db.sql(&format!(
        "SELECT username || '|' || detail FROM audit_log WHERE action = 'export' AND target = 'node:{grid}'"
    ));
    assert!(ok, "{rows}");
    assert!(
        rows.contains("wangge|") && rows.contains(&format!("\"行数\":{living}")),
        "{rows}"
    );
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn the_auditor_filters_and_exports_the_log_with_formulas_neutralised() {
    let srv = Server::start(200);
    // Somebody types formulas into the login form: they end up in the log as user names.
    let anon = Api::anonymous(&srv.base);
    for name in [
        "=HYPERLINK(\"http://evil.example\",\"点我\")",
        "@SUM(1+1)",
        "+1+2",
        "-3+4",
    ] {
        let (s, _) = anon.post(
            "/api/v1/session",
            json!({"username": name, "password": "Wrong-pass-1"}),
        );
        assert_eq!(s, 403);
    }
    let _ = srv.api("shuji");

    // The system administrator can't read the log.
    let admin = Web::login(&srv.base, "admin");
    assert_eq!(admin.get("/audit").0, 403);
    assert_eq!(admin.download("/audit/export.xlsx").0, 403);

    let auditor = Web::login(&srv.base, "shenji");
    let (s, page, _) = auditor.get("/audit?action=login&user=shuji");
    assert_eq!(s, 200);
    let body = &page[page.find("<tbody>").unwrap()..page.find("</tbody>").unwrap()];
    assert!(body.contains("shuji"), "{body}");
    assert!(!body.contains("admin"), "filtered by user: {body}");
    assert!(!body.contains("user.create"), "filtered by action: {body}");
    // A bad date is named, not a server error.
    let (s, page, _) = auditor.get("/audit?from=2026-13-40");
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("起始日期"));

    let (s, ct, _, bytes) = auditor.download("/audit/export.xlsx?action=login");
    assert_eq!(s, 200);
    assert_eq!(ct, XLSX);
    let file = save(&bytes, "audit");
    let sheet = zip_part(&file, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "no formula cells at all");
    let csv = String::from_utf8(libreoffice_convert(&file, "csv")).unwrap();
    // Shown as the text that was typed, not evaluated (a formula would show 点我, 2, 3, 1).
    for typed in ["=HYPERLINK(", "@SUM(1+1)", "+1+2", "-3+4"] {
        assert!(csv.contains(typed), "{typed} kept as text:\n{csv}");
    }
    assert!(libreoffice_convert(&file, "pdf").starts_with(b"%PDF"));
    let core = zip_part(&file, "docProps/core.xml");
    assert!(core.contains("审计员 周平（审计员）"), "{core}");
    let exports = sql_int(
        &srv.db,
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND target = 'audit_log' AND username = 'shenji'",
    );
    assert_eq!(exports, 1);
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}

#[test]
fn a_special_group_ledger_lists_the_group_with_its_own_fields() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let in_grid = |extra: &str| {
        format!(
            "SELECT count(*) FROM tags t JOIN persons p ON p.id = t.person_id JOIN org_nodes g ON g.id = {grid}
             WHERE t.kind = 'disability' AND t.ended_on IS NULL AND p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z' {extra}"
        )
    };
    // One more, with a known certificate number, so the list is never empty.
    let (person, _) = first_resident(&srv, grid);
    let (s, v) = srv.api("wangge").post(
        &format!("/api/v1/persons/{person}/tags"),
        json!({"kind": "disability", "values": {"category": "肢体", "grade": "3", "certificate_no": "CJZ-2026-0042"}}),
    );
    assert_eq!(s, 201, "{v}");
    let expected = sql_int(&srv.db, &in_grid(""));
    let web = Web::login(&srv.base, "wangge");
    pass_second_factor(&web);
    let (s, ct, _, bytes) =
        web.download(&format!("/nodes/{grid}/export/group.xlsx?kind=disability"));
    assert_eq!(s, 200);
    assert_eq!(ct, XLSX);
    let file = save(&bytes, "disability");
    let csv = String::from_utf8(libreoffice_convert(&file, "csv")).unwrap();
    for header in [
        "残疾类别",
        "残疾等级",
        "残疾证号",
        "开始日期",
        "公民身份号码",
    ] {
        assert!(csv.contains(header), "{header}:\n{csv}");
    }
    assert!(csv.contains("CJZ-2026-0042"), "{csv}");
    let rows = csv
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(rows as i64, expected, "{csv}");
    assert!(libreoffice_convert(&file, "pdf").starts_with(b"%PDF"));
    // An unknown group is named, not a server error.
    let (s, page, _) = web.get(&format!("/nodes/{grid}/export/group.xlsx?kind=nosuch"));
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("nosuch"));
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
