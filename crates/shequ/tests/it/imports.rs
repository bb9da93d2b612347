//! Importing a community's own ledger: the shared sample (title rows, a two-row header, blank
//! rows, a 合计 row, a 填表说明 sheet, ID numbers stored as Excel numbers …) through the command
//! line and through the upload page. Dry run first, all-or-nothing commit, a re-import changes
//! nothing, the refused rows come back as a file that re-imports to the same refusals, and a
//! program renamed .xlsx is refused.

use crate::support;

use serde_json::Value;
use support::{
    Server, Web, commit_import, csrf_of, grid_of_wangge, libreoffice_convert, roster_xlsx, run,
    sql_int, xlsx_of,
};

fn sample() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures/sample_ledger.xlsx"
    );
    std::fs::read(path).unwrap_or_else(|e| panic!("the sample ledger at {path}: {e}"))
}

fn expected() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures/sample_ledger.expected.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn import(srv: &Server, file: &std::path::Path, grid: i64, extra: &[&str]) -> Value {
    let grid = grid.to_string();
    let mut args = vec![
        "import",
        "--db",
        &srv.db.url,
        file.to_str().unwrap(),
        "--grid",
        &grid,
        "--as",
        "shuji",
        "--json",
    ];
    args.extend_from_slice(extra);
    let (ok, out, err) = run(&args);
    assert!(ok, "{out}\n{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn the_sample_ledger_imports_as_expected_and_a_second_import_changes_nothing() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let dir = std::env::temp_dir().join(format!("shequ-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("阳光社区花名册.xlsx");
    std::fs::write(&file, sample()).unwrap();
    let want = expected();
    let before = sql_int(&srv.db, "SELECT count(*) FROM persons");

    // Dry run: counts and reasons, nothing written.
    let dry = import(&srv, &file, grid, &["--dry-run"]);
    let r = &dry["report"];
    assert_eq!(r["data_rows"], want["data_rows"]);
    assert_eq!(r["counts"]["new"], want["accepted"]);
    assert_eq!(r["counts"]["rejected"], want["rejected"]);
    let mut codes: Vec<String> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    let mut want_codes: Vec<String> = want["rejected_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    want_codes.sort();
    assert_eq!(codes, want_codes);
    assert!(
        r["warnings"].as_array().unwrap().len()
            >= want["warnings_at_least"].as_u64().unwrap() as usize
    );
    for x in r["rejected"].as_array().unwrap() {
        assert!(
            x["sheet"] == "花名册" && x["row"].as_u64().unwrap() > 4,
            "{x}"
        );
        assert!(!x["reason"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        sql_int(&srv.db, "SELECT count(*) FROM persons"),
        before,
        "a dry run writes nothing"
    );

    // Commit: the 42 people, in rooms created under the grid; audited with the file's hash.
    let done = import(&srv, &file, grid, &[]);
    assert_eq!(done["report"]["counts"]["new"], 42);
    assert_eq!(
        sql_int(&srv.db, "SELECT count(*) FROM persons"),
        before + 42
    );
    let hash = done["report"]["sha256"].as_str().unwrap().to_string();
    let (ok, audit) = srv
        .db
        .sql("SELECT username || '|' || detail FROM audit_log WHERE action = 'import'");
    assert!(ok);
    assert!(
        audit.contains("shuji|") && audit.contains(&hash) && audit.contains("\"新增\":42"),
        "{audit}"
    );
    let rooms = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM org_nodes r JOIN org_nodes g ON g.id = {grid} WHERE r.kind = 'room' AND r.path > g.path AND r.path < g.path || 'z' AND r.name = '501'"
        ),
    );
    assert!(rooms >= 1);

    // Again: everything matches by ID number, nothing changes.
    let again = import(&srv, &file, grid, &[]);
    assert_eq!(again["report"]["counts"]["new"], 0);
    assert_eq!(again["report"]["counts"]["unchanged"], 42);
    assert_eq!(
        sql_int(&srv.db, "SELECT count(*) FROM persons"),
        before + 42
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_upload_page_checks_commits_and_hands_back_the_refused_rows() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let web = Web::login(&srv.base, "shuji");
    let (s, page, _) = web.get(&format!("/nodes/{grid}/import"));
    assert_eq!(s, 200);
    let csrf = csrf_of(&page);

    // A program renamed .xlsx is refused with a clear message.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend(std::iter::repeat_n(0u8, 2000));
    let (s, refused, _) = web.upload(&format!("/nodes/{grid}/import"), &csrf, "花名册.xlsx", &exe);
    assert_eq!(s, 200);
    assert!(refused.contains("Windows 程序"), "{refused}");

    let (s, _, location) = web.upload(
        &format!("/nodes/{grid}/import"),
        &csrf,
        "花名册.xlsx",
        &sample(),
    );
    assert_eq!(s, 303);
    let report_url = location.unwrap();
    let (s, report, _) = web.get(&report_url);
    assert_eq!(s, 200);
    assert!(report.contains("id=\"count-new\">42<"), "{report}");
    assert!(report.contains("id=\"count-rejected\">8<"));
    let before = sql_int(&srv.db, "SELECT count(*) FROM persons");

    // The refused rows, as a file with the original columns and a reason column.
    let (s, _, _, bytes) = web.download(&format!("{report_url}/rejected.xlsx"));
    assert_eq!(s, 200);
    let dir = std::env::temp_dir().join(format!("shequ-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("rejected.xlsx");
    std::fs::write(&bad, &bytes).unwrap();
    let csv = String::from_utf8(libreoffice_convert(&bad, "csv")).unwrap();
    assert!(csv.contains("原因") && csv.contains("校验位"), "{csv}");
    // …which, uploaded as it is, is refused again for the same reasons — but for the row that
    // only repeated another row's ID number, which on its own is a person like any other.
    let (s, page, location) = web.upload(
        &format!("/nodes/{grid}/import"),
        &csrf,
        "rejected.xlsx",
        &bytes,
    );
    assert_eq!(s, 303, "{}", &page[page.find("<main>").unwrap_or(0)..]);
    let (_, again, _) = web.get(&location.unwrap());
    assert!(again.contains("id=\"count-new\">1<"), "{again}");
    assert!(again.contains("id=\"count-rejected\">7<"), "{again}");
    assert_eq!(
        again.matches("末尾几位已丢失").count(),
        2,
        "still precision lost: {again}"
    );

    // Commit, and wait for the background writer.
    let (_, report, _) = web.get(&report_url);
    let done = commit_import(&web, &report_url, &report);
    assert_eq!(
        sql_int(&srv.db, "SELECT count(*) FROM persons"),
        before + 42
    );
    // A second commit of the same upload (double click, back button) writes nothing more.
    let (s, _, _) = web.post_form(
        &format!("{report_url}/commit"),
        &[("csrf", &csrf_of(&done))],
    );
    assert_eq!(s, 303);
    assert_eq!(
        sql_int(&srv.db, "SELECT count(*) FROM persons"),
        before + 42
    );
    // Someone else can't see this upload.
    let other = Web::login(&srv.base, "zhuangan");
    assert_eq!(other.get(&report_url).0, 404);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_residents_ledger_exported_re_imports_to_no_changes() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let web = Web::login(&srv.base, "wangge");
    // Exporting full values needs the second factor.
    support::pass_second_factor(&web);
    let (s, _, _, bytes) = web.download(&format!("/nodes/{grid}/export/residents.xlsx"));
    assert_eq!(s, 200);
    let dir = std::env::temp_dir().join(format!("shequ-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("实有人口台账.xlsx");
    std::fs::write(&file, &bytes).unwrap();
    let living = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM persons p JOIN org_nodes g ON g.id = {grid} WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z'"
        ),
    );
    let dry = import(&srv, &file, grid, &["--dry-run"]);
    let c = &dry["report"]["counts"];
    assert_eq!(dry["report"]["data_rows"], living, "{dry}");
    assert_eq!(c["unchanged"], living, "{dry}");
    assert_eq!(c["new"], 0, "{dry}");
    assert_eq!(c["updated"], 0, "{dry}");
    assert_eq!(c["rejected"], 0, "{dry}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A ledger of 20 000 people into a street of 200: on SQLite the persons and residences
/// indexes are dropped for the load and built again (see `imports::rebuild_indexes`); on
/// PostgreSQL rows go into the live indexes. Either way every index is back, lookups by ID
/// number and by phone find the imported people, and a second import changes nothing.
#[test]
fn a_large_first_ledger_loads_with_every_index_back() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let indexes_sql = if srv.db.sqlite_file().is_none() {
        "SELECT count(*) FROM pg_indexes WHERE tablename IN ('persons', 'residences')"
    } else {
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('persons', 'residences')"
    };
    let indexes = sql_int(&srv.db, indexes_sql);
    let n = 20_000usize;
    let (dir, file, ids) = large_ledger("large", n);
    let before = sql_int(&srv.db, "SELECT count(*) FROM persons");

    let done = import(&srv, &file, grid, &[]);
    assert_eq!(
        done["report"]["counts"]["new"], n,
        "{}",
        done["report"]["counts"]
    );
    assert_eq!(
        sql_int(&srv.db, "SELECT count(*) FROM persons"),
        before + n as i64
    );
    assert_eq!(
        sql_int(&srv.db, indexes_sql),
        indexes,
        "indexes after the load"
    );

    let api = srv.api("shuji");
    for i in [0, 7_777, n - 1] {
        let phone = format!("136{i:08}");
        for q in [ids[i].as_str(), &ids[i][12..], phone.as_str()] {
            let (s, v) = api.get(&format!("/api/v1/persons?q={q}"));
            assert_eq!(s, 200, "{v}");
            assert!(
                v.as_array().unwrap().iter().any(|h| h["name"]
                    .as_str()
                    .is_some_and(|name| name.starts_with(SURNAMES[i % SURNAMES.len()]))),
                "{q}: {v}"
            );
        }
    }

    let again = import(&srv, &file, grid, &[]);
    assert_eq!(again["report"]["counts"]["new"], 0);
    assert_eq!(again["report"]["counts"]["unchanged"], n);
    let _ = std::fs::remove_dir_all(&dir);
}

const SURNAMES: [&str; 10] = ["赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈"];

/// A generated ledger of `n` fictional people (name, ID number, phone, address), written to a
/// temp dir; returns the dir, the file and the ID numbers in row order.
fn large_ledger(tag: &str, n: usize) -> (std::path::PathBuf, std::path::PathBuf, Vec<String>) {
    use shequ_office::xlsx::Cell;
    let given = [
        "建国", "秀英", "志强", "桂兰", "海燕", "文华", "小明", "丽娟",
    ];
    let ids: Vec<String> = (0..n)
        .map(|i| {
            let birth = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
                + chrono::Days::new((i / 500) as u64);
            shequ_domain::IdNumber::generate("320106", birth, (i % 500) as u16 + 1)
                .unwrap()
                .as_str()
                .to_string()
        })
        .collect();
    let rows = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            vec![
                Cell::from(format!(
                    "{}{}",
                    SURNAMES[i % SURNAMES.len()],
                    given[(i / 10) % given.len()]
                )),
                Cell::from(id.as_str()),
                Cell::from(format!("136{i:08}")),
                Cell::from(format!(
                    "{}-{}-{}",
                    1 + i / 2000,
                    1 + (i / 500) % 4,
                    101 + (i / 4) % 125
                )),
            ]
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("shequ-import-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("大表.xlsx");
    std::fs::write(&file, roster_xlsx("大表导入测试（虚构人员）", rows)).unwrap();
    (dir, file, ids)
}

/// Ctrl-C during `shequ import` rolls the whole file back and says so.
#[test]
fn ctrl_c_during_a_command_line_import_writes_nothing() {
    use std::io::{BufRead, BufReader, Read};
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv).to_string();
    let (dir, file, _) = large_ledger("cancel", 20_000);
    let before = sql_int(&srv.db, "SELECT count(*) FROM persons");
    let mut child = support::shequ()
        .args([
            "import",
            "--db",
            &srv.db.url,
            file.to_str().unwrap(),
            "--grid",
            &grid,
            "--as",
            "shuji",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    // The progress counter appears once the commit has begun ("写入 0/20000 行").
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("写入") {
        let n = err.read_until(b'\r', &mut seen).unwrap();
        assert!(
            n > 0,
            "the import ended before writing: {}",
            String::from_utf8_lossy(&seen)
        );
    }
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "{rest}");
    assert!(rest.contains("导入已取消，没有写入任何数据"), "{rest}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM persons"), before);
    assert_eq!(
        sql_int(&srv.db, "SELECT count(*) FROM imports"),
        0,
        "no import was recorded"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes one sheet of text cells under a header row (and a title row above it, as offices do).
fn write_list(
    dir: &std::path::Path,
    name: &str,
    header: &[&str],
    rows: &[Vec<&str>],
) -> std::path::PathBuf {
    use shequ_office::xlsx::{Cell, Column, Sheet};
    let sheet = Sheet {
        name: "名单".into(),
        title: format!("{name}（虚构人员）"),
        note: None,
        columns: header.iter().map(|h| Column::new(*h, 14.0)).collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(|v| Cell::from(*v)).collect())
            .collect(),
    };
    let file = dir.join(format!("{name}.xlsx"));
    std::fs::write(&file, xlsx_of(name, sheet)).unwrap();
    file
}

/// Every special group's list, as the community exports it, re-imports to no changes (per-
/// person and per-household groups, sealed details, grades, dates). A list of new members
/// adds them; a changed value is an update applied only when accepted; someone not
/// registered, or a class that doesn't exist, is refused with the reason.
#[test]
fn special_group_lists_round_trip_and_add_new_members() {
    let srv = Server::start(3000);
    let grid = grid_of_wangge(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let dir = std::env::temp_dir().join(format!("shequ-import-tags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let web = Web::login(&srv.base, "shuji");
    support::pass_second_factor(&web);
    let tags_before = sql_int(&srv.db, "SELECT count(*) FROM tags");
    let mut round_tripped = Vec::new();
    for kind in shequ_domain::registry::tags::TAG_KINDS {
        let (s, _, _, bytes) = web.download(&format!(
            "/nodes/{community}/export/group.xlsx?kind={}",
            kind.code
        ));
        assert_eq!(s, 200, "{}", kind.code);
        let listed = sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM tags WHERE kind = '{}' AND ended_on IS NULL AND community_id = {community}",
                kind.code
            ),
        );
        if listed == 0 {
            continue;
        }
        let file = dir.join(format!("{}.xlsx", kind.code));
        std::fs::write(&file, &bytes).unwrap();
        let again = import(&srv, &file, community, &["--kind", kind.code]);
        let c = &again["report"]["counts"];
        assert_eq!(
            (
                c["new"].as_i64(),
                c["updated"].as_i64(),
                c["rejected"].as_i64()
            ),
            (Some(0), Some(0), Some(0)),
            "{}: {}",
            kind.code,
            again["report"]
        );
        assert_eq!(c["unchanged"].as_i64(), Some(listed), "{}", kind.code);
        round_tripped.push(kind.code);
    }
    // The demo community has members of most groups, including the sealed (correction) and
    // per-household (dibao) ones.
    assert!(round_tripped.len() >= 8, "{round_tripped:?}");
    assert!(
        round_tripped.contains(&"dibao") && round_tripped.contains(&"correction"),
        "{round_tripped:?}"
    );
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM tags"), tags_before);

    // New members: registered first (a persons ledger), then listed.
    let id_a = shequ_domain::IdNumber::generate(
        "320106",
        chrono::NaiveDate::from_ymd_opt(1968, 5, 4).unwrap(),
        31,
    )
    .unwrap()
    .as_str()
    .to_string();
    let nobody = shequ_domain::IdNumber::generate(
        "320106",
        chrono::NaiveDate::from_ymd_opt(1970, 1, 9).unwrap(),
        77,
    )
    .unwrap()
    .as_str()
    .to_string();
    let other = shequ_domain::IdNumber::generate(
        "320106",
        chrono::NaiveDate::from_ymd_opt(1971, 2, 3).unwrap(),
        55,
    )
    .unwrap()
    .as_str()
    .to_string();
    let people = write_list(
        &dir,
        "花名册",
        &["姓名", "公民身份号码", "住址"],
        &[vec!["郑名单", &id_a, "88-1-101"]],
    );
    assert_eq!(
        import(&srv, &people, grid, &[])["report"]["counts"]["new"],
        1
    );
    let header = [
        "姓名",
        "公民身份号码",
        "残疾类别",
        "残疾等级",
        "残疾证号",
        "开始日期",
    ];
    let list = write_list(
        &dir,
        "残疾人名单",
        &header,
        &[
            vec!["郑名单", &id_a, "肢体", "二级", "CJZ-88", "2024年3月1日"],
            vec!["查无此人", &nobody, "视力", "1", "", ""],
            vec!["另一人", &other, "肢残", "2", "", ""],
        ],
    );
    let audits_before = sql_int(
        &srv.db,
        "SELECT count(*) FROM audit_log WHERE action = 'import' AND detail LIKE '%残疾%'",
    );
    let dry = import(
        &srv,
        &list,
        community,
        &["--kind", "disability", "--dry-run"],
    );
    let r = &dry["report"];
    assert_eq!(r["counts"]["new"], 1, "{r}");
    assert_eq!(r["counts"]["rejected"], 2, "{r}");
    let reasons: Vec<String> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"].as_str().unwrap().to_string())
        .collect();
    assert!(
        reasons.iter().any(|m| m.contains("尚未登记")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|m| m.contains("肢残")), "{reasons:?}");
    let done = import(&srv, &list, community, &["--kind", "disability"]);
    assert_eq!(done["report"]["counts"]["new"], 1);
    let person = sql_int(&srv.db, "SELECT id FROM persons WHERE name = '郑名单'");
    let tag = |col: &str| {
        srv.db
            .sql(&format!(
                "SELECT {col} FROM tags WHERE person_id = {person} AND kind = 'disability'"
            ))
            .1
            .trim()
            .to_string()
    };
    assert_eq!(
        (tag("category"), tag("grade"), tag("started_on")),
        ("肢体".into(), "2".into(), "2024-03-01".into())
    );

    // A changed grade is shown, kept until accepted, then applied.
    let changed = write_list(
        &dir,
        "残疾人名单-改",
        &header,
        &[vec!["郑名单", &id_a, "肢体", "3", "CJZ-88", "2024-03-01"]],
    );
    let skipped = import(&srv, &changed, community, &["--kind", "disability"]);
    assert_eq!(
        skipped["report"]["counts"]["skipped"], 1,
        "{}",
        skipped["report"]
    );
    assert_eq!(tag("grade"), "2");
    let accepted = import(
        &srv,
        &changed,
        community,
        &["--kind", "disability", "--accept-updates"],
    );
    assert_eq!(accepted["report"]["counts"]["updated"], 1);
    assert_eq!(tag("grade"), "3");
    // Each commit (not the dry run) is one audit row.
    let audits = sql_int(
        &srv.db,
        "SELECT count(*) FROM audit_log WHERE action = 'import' AND detail LIKE '%残疾%'",
    );
    assert_eq!(audits, audits_before + 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A special-group list uploaded on a grid's import page: checked, committed in the background,
/// and the refused rows handed back, like a persons ledger.
#[test]
fn a_special_group_list_uploads_on_the_web() {
    let srv = Server::start(200);
    let grid = grid_of_wangge(&srv);
    let dir = std::env::temp_dir().join(format!("shequ-upload-tags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let id = shequ_domain::IdNumber::generate(
        "320106",
        chrono::NaiveDate::from_ymd_opt(1959, 7, 1).unwrap(),
        12,
    )
    .unwrap()
    .as_str()
    .to_string();
    let people = write_list(
        &dir,
        "花名册",
        &["姓名", "公民身份号码", "住址"],
        &[vec!["钱网页", &id, "77-2-301"]],
    );
    assert_eq!(
        import(&srv, &people, grid, &[])["report"]["counts"]["new"],
        1
    );
    let list = write_list(
        &dir,
        "退役军人名单",
        &["姓名", "公民身份号码", "类别", "光荣之家挂牌日期"],
        &[
            vec!["钱网页", &id, "退役士兵", "2023/8/1"],
            vec!["钱网页", "320106195907010128", "退役士兵", ""],
        ],
    );
    let web = Web::login(&srv.base, "shuji");
    let (s, page, _) = web.get(&format!("/nodes/{grid}/import"));
    assert_eq!(s, 200);
    assert!(page.contains("value=\"veteran\""), "{page}");
    let csrf = csrf_of(&page);
    let (s, page, location) = web.upload_with(
        &format!("/nodes/{grid}/import"),
        &[("csrf", &csrf), ("kind", "veteran")],
        "退役军人名单.xlsx",
        &std::fs::read(&list).unwrap(),
    );
    assert_eq!(s, 303, "{page}");
    let report_url = location.unwrap();
    let (_, report, _) = web.get(&report_url);
    assert!(report.contains("id=\"count-new\">1<"), "{report}");
    assert!(report.contains("id=\"count-rejected\">1<"), "{report}");
    assert!(report.contains("校验"), "the bad ID's reason: {report}");
    let (s, _, _, bytes) = web.download(&format!("{report_url}/rejected.xlsx"));
    assert_eq!(s, 200);
    let bad = dir.join("rejected.xlsx");
    std::fs::write(&bad, &bytes).unwrap();
    let csv = String::from_utf8(libreoffice_convert(&bad, "csv")).unwrap();
    assert!(
        csv.contains("原因") && csv.contains("320106195907010128"),
        "{csv}"
    );

    commit_import(&web, &report_url, &report);
    let person = sql_int(&srv.db, "SELECT id FROM persons WHERE name = '钱网页'");
    let (ok, out) = srv.db.sql(&format!(
        "SELECT category || '|' || details FROM tags WHERE person_id = {person} AND kind = 'veteran'"
    ));
    assert!(ok, "{out}");
    assert!(
        out.contains("退役士兵") && out.contains("2023-08-01"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The 辖区单位台账 a community exports re-imports to no changes; an office's own units list
/// (its own column titles) adds new units, refuses what's wrong with the reason, offers
/// changes as updates, and the web page takes the same file and hands back the refused rows.
#[test]
fn units_ledgers_round_trip_and_import_from_the_cli_and_the_web() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let community = sql_int(
        &srv.db,
        &format!("SELECT community_id FROM org_nodes WHERE id = {grid}"),
    );
    let dir = std::env::temp_dir().join(format!("shequ-import-units-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let web = Web::login(&srv.base, "shuji");
    support::pass_second_factor(&web);
    let open = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM units WHERE community_id = {community} AND closed_on IS NULL"
        ),
    );
    assert!(open > 0, "the demo community has units");
    let (s, _, _, bytes) = web.download(&format!("/nodes/{community}/export/units.xlsx"));
    assert_eq!(s, 200);
    let exported = dir.join("辖区单位台账.xlsx");
    std::fs::write(&exported, &bytes).unwrap();
    let csv = String::from_utf8(libreoffice_convert(&exported, "csv")).unwrap();
    assert!(
        csv.contains("统一社会信用代码") && csv.contains("负责人电话"),
        "{csv}"
    );
    let again = import(&srv, &exported, grid, &["--kind", "units"]);
    let c = &again["report"]["counts"];
    assert_eq!(c["unchanged"].as_i64(), Some(open), "{}", again["report"]);
    assert_eq!(
        (
            c["new"].as_i64(),
            c["updated"].as_i64(),
            c["rejected"].as_i64()
        ),
        (Some(0), Some(0), Some(0))
    );

    // An office's own list, in its own words.
    let code = shequ_domain::CreditCode::generate("91320106MA1X2Y3N4")
        .unwrap()
        .as_str()
        .to_string();
    let header = [
        "名称",
        "类型",
        "信用代码",
        "联系人",
        "联系电话",
        "从业人员",
        "备注",
    ];
    let list = write_list(
        &dir,
        "辖区单位",
        &header,
        &[
            vec![
                "凤凰便民超市",
                "商铺",
                &code,
                "孙店长",
                "13812345678",
                "6",
                "",
            ],
            vec![
                "阿芳理发",
                "个体工商户",
                "",
                "王阿芳",
                "",
                "2",
                "无营业执照号",
            ],
            vec!["号码不对的店", "商铺", "", "", "1381234", "", ""],
            vec!["人数不对的店", "商铺", "", "", "", "很多", ""],
        ],
    );
    let done = import(&srv, &list, grid, &["--kind", "units"]);
    let r = &done["report"];
    assert_eq!(r["counts"]["new"], 2, "{r}");
    assert_eq!(r["counts"]["rejected"], 2, "{r}");
    let text = r["rejected"].to_string();
    assert!(
        text.contains("负责人电话") && text.contains("很多"),
        "{text}"
    );
    let phone = srv
        .db
        .sql("SELECT contact_phone FROM units WHERE name = '凤凰便民超市'")
        .1;
    assert!(!phone.contains("13812345678"), "sealed at rest: {phone}");

    // The same list again: nothing new; a changed head count is offered, applied on accept.
    let changed = write_list(
        &dir,
        "辖区单位-改",
        &header,
        &[vec![
            "凤凰便民超市",
            "商铺",
            &code,
            "孙店长",
            "13812345678",
            "8",
            "",
        ]],
    );
    let shown = import(&srv, &changed, grid, &["--kind", "units"]);
    assert_eq!(
        shown["report"]["counts"]["skipped"], 1,
        "{}",
        shown["report"]
    );
    let employees = || {
        sql_int(
            &srv.db,
            "SELECT employees FROM units WHERE name = '凤凰便民超市'",
        )
    };
    assert_eq!(employees(), 6);
    import(
        &srv,
        &changed,
        grid,
        &["--kind", "units", "--accept-updates"],
    );
    assert_eq!(employees(), 8);

    // On the web: the same file, checked; the refused rows come back with their titles.
    let (_, page, _) = web.get(&format!("/nodes/{grid}/import"));
    assert!(page.contains("value=\"units\""));
    let (s, page, location) = web.upload_with(
        &format!("/nodes/{grid}/import"),
        &[("csrf", &csrf_of(&page)), ("kind", "units")],
        "辖区单位.xlsx",
        &std::fs::read(&list).unwrap(),
    );
    assert_eq!(s, 303, "{page}");
    let report_url = location.unwrap();
    let (_, report, _) = web.get(&report_url);
    assert!(report.contains("id=\"count-unchanged\">1<"), "{report}");
    assert!(report.contains("id=\"count-rejected\">2<"), "{report}");
    let (s, _, _, bytes) = web.download(&format!("{report_url}/rejected.xlsx"));
    assert_eq!(s, 200);
    let bad = dir.join("rejected.xlsx");
    std::fs::write(&bad, &bytes).unwrap();
    let csv = String::from_utf8(libreoffice_convert(&bad, "csv")).unwrap();
    assert!(
        csv.contains("从业人员") && csv.contains("人数不对的店") && csv.contains("原因"),
        "{csv}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The 出租房屋台账 a grid exports re-imports to no changes; a landlord list marks homes as
/// rented with their landlord, refuses an address the grid doesn't have and a rented home
/// without a landlord, and offers a changed phone as an update.
#[test]
fn rented_homes_round_trip_and_import() {
    let srv = Server::start(300);
    let grid = grid_of_wangge(&srv);
    let grid_path = srv
        .db
        .sql(&format!("SELECT path FROM org_nodes WHERE id = {grid}"))
        .1
        .trim()
        .to_string();
    let dir = std::env::temp_dir().join(format!("shequ-import-rentals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let web = Web::login(&srv.base, "shuji");
    support::pass_second_factor(&web);
    let rented = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM housing h JOIN org_nodes n ON n.id = h.room_id WHERE h.usage = '出租' AND n.path LIKE '{grid_path}%'"
        ),
    );
    assert!(rented > 0, "the demo grid has rented homes");
    let (s, _, _, bytes) = web.download(&format!("/nodes/{grid}/export/rentals.xlsx"));
    assert_eq!(s, 200);
    let exported = dir.join("出租房屋台账.xlsx");
    std::fs::write(&exported, &bytes).unwrap();
    let csv = String::from_utf8(libreoffice_convert(&exported, "csv")).unwrap();
    assert!(csv.contains("房东姓名") && csv.contains("承租人"), "{csv}");
    let again = import(&srv, &exported, grid, &["--kind", "rentals"]);
    let c = &again["report"]["counts"];
    assert_eq!(c["unchanged"].as_i64(), Some(rented), "{}", again["report"]);
    assert_eq!(
        (
            c["new"].as_i64(),
            c["updated"].as_i64(),
            c["rejected"].as_i64()
        ),
        (Some(0), Some(0), Some(0))
    );

    // A home of the grid that isn't rented yet, by its address.
    let (ok, out) = srv.db.sql(&format!(
        "SELECT r.id || '|' || CASE WHEN u.kind = 'building' THEN u.name || r.name ELSE b.name || u.name || r.name END
         FROM org_nodes r JOIN org_nodes u ON u.id = r.parent_id JOIN org_nodes b ON b.id = u.parent_id
         WHERE r.kind = 'room' AND r.path LIKE '{grid_path}%' AND r.id NOT IN (SELECT room_id FROM housing)
         ORDER BY r.id LIMIT 1"
    ));
    assert!(ok, "{out}");
    let (room, address) = out.trim().split_once('|').unwrap();
    let list = write_list(
        &dir,
        "出租房登记",
        &["房屋地址", "出租人", "房东联系电话", "治安责任书", "承租人"],
        &[
            vec![
                address,
                "周房东",
                "13711112222",
                "2025年6月1日",
                "（见实有人口）",
            ],
            vec!["99幢9单元909", "吴房东", "", "", ""],
            vec![
                address,
                "周房东",
                "13711112222",
                "2025-06-01",
                "第二位承租人",
            ],
        ],
    );
    let done = import(&srv, &list, grid, &["--kind", "rentals"]);
    let r = &done["report"];
    assert_eq!(r["counts"]["new"], 1, "{r}");
    assert_eq!(r["counts"]["rejected"], 1, "{r}");
    assert!(r["rejected"].to_string().contains("还没有登记"), "{r}");
    let (ok, h) = srv.db.sql(&format!(
        "SELECT usage || '|' || landlord_name || '|' || agreement_signed_on || '|' || landlord_phone FROM housing WHERE room_id = {room}"
    ));
    assert!(ok, "{h}");
    assert!(h.starts_with("出租|周房东|2025-06-01|"), "{h}");
    assert!(
        !h.contains("13711112222"),
        "the landlord's phone is sealed: {h}"
    );

    // A changed phone: offered, applied on accept; a rented home without a landlord refused.
    let changed = write_list(
        &dir,
        "出租房登记-改",
        &["房屋地址", "出租人", "房东联系电话"],
        &[
            vec![address, "周房东", "13799998888"],
            vec![address, "", ""],
        ],
    );
    let shown = import(&srv, &changed, grid, &["--kind", "rentals", "--dry-run"]);
    assert_eq!(
        shown["report"]["counts"]["updated"], 1,
        "{}",
        shown["report"]
    );
    let accepted = import(
        &srv,
        &changed,
        grid,
        &["--kind", "rentals", "--accept-updates"],
    );
    assert_eq!(accepted["report"]["counts"]["updated"], 1);
    let (s, page, _) = web.get(&format!("/nodes/{room}"));
    assert_eq!(s, 200);
    assert!(page.contains("周房东"), "{page}");
    let no_landlord = write_list(
        &dir,
        "无房东",
        &["房屋地址", "出租人", "备注"],
        &[vec![address, "", "房东未知"]],
    );
    let refused = import(
        &srv,
        &no_landlord,
        grid,
        &["--kind", "rentals", "--dry-run"],
    );
    assert!(
        refused["report"]["rejected"]
            .to_string()
            .contains("房东姓名"),
        "{}",
        refused["report"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A year's visits kept in an office's own 走访台账 (its own column titles, dates typed as
/// text, the way written as offices write it) come in through the same dry run and
/// all-or-nothing commit: each visit is matched to a registered resident (by ID number, or by
/// a unique name), keeps its day (补录) and its 走访人, and what can't be a visit is refused with
/// the reason — a day to come, a person not registered, a way that isn't one, the same visit
/// twice, a day in a locked period. A second import changes nothing, and the catalogue's own
/// 走访记录台账 re-imports to no changes.
#[test]
fn a_years_visits_come_in_from_an_old_ledger() {
    use serde_json::json;
    let srv = Server::start(40);
    let grid = grid_of_wangge(&srv);
    let (_, room) = support::first_resident(&srv, grid);
    let head = srv.api("shuji");
    let id_of = |seq: u16| {
        shequ_domain::IdNumber::generate(
            "320106",
            chrono::NaiveDate::from_ymd_opt(1968, 3, 9).unwrap(),
            seq,
        )
        .unwrap()
        .as_str()
        .to_string()
    };
    let (a, b) = (id_of(11), id_of(13));
    for (name, id) in [("欧阳晓梅", &a), ("司马国强", &b)] {
        let (s, v) = head.post(
            "/api/v1/persons",
            json!({"person": {"name": name, "id_number": id},
                   "residence": {"room_id": room, "relation": "其他"}}),
        );
        assert_eq!(s, 201, "{v}");
    }
    let dir = std::env::temp_dir().join(format!("shequ-import-visits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tomorrow = (shequ_domain::clock::today() + chrono::Duration::days(1)).to_string();
    let (d200, d150, d30) = (
        support::days_ago(200),
        support::days_ago(150),
        support::days_ago(30),
    );
    let header = [
        "日期",
        "走访对象",
        "身份证号",
        "走访形式",
        "走访内容",
        "走访人员",
    ];
    let book = write_list(
        &dir,
        "走访台账",
        &header,
        &[
            vec![&d200, "欧阳晓梅", "", "入户走访", "了解家庭近况", "王网格"],
            vec![&d150, "司马国强", &b, "电话回访", "询问就业意向", "王网格"],
            vec![&d150, "司马国强", &b, "电话", "同一次又抄了一遍", "王网格"],
            vec![&tomorrow, "欧阳晓梅", "", "入户", "", "王网格"],
            vec![&d30, "查无此人", "", "入户", "", "王网格"],
            vec![&d30, "欧阳晓梅", "", "飞鸽传书", "", "王网格"],
            vec!["2026年13月1日", "欧阳晓梅", "", "入户", "", "王网格"],
        ],
    );
    let visits = || sql_int(&srv.db, "SELECT count(*) FROM visits");
    let before = visits();
    let dry = import(&srv, &book, grid, &["--kind", "visits", "--dry-run"]);
    let r = &dry["report"];
    assert_eq!(
        (
            r["counts"]["new"].as_i64(),
            r["counts"]["rejected"].as_i64()
        ),
        (Some(2), Some(5)),
        "{r}"
    );
    assert_eq!(visits(), before, "a dry run writes nothing");
    let text = r["rejected"].to_string();
    for want in [
        "不能晚于今天",
        "查无此人",
        "飞鸽传书",
        "同一次走访",
        "2026年13月1日",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }

    let done = import(&srv, &book, grid, &["--kind", "visits"]);
    assert_eq!(done["report"]["counts"]["new"], 2, "{}", done["report"]);
    assert_eq!(visits(), before + 2);
    let (ok, rows) = srv.db.sql(
        "SELECT v.visited_on, v.kind, v.worker_name, v.backdated FROM visits v \
         JOIN persons p ON p.id = v.person_id WHERE p.name = '司马国强'",
    );
    assert!(ok, "{rows}");
    assert_eq!(rows.trim(), format!("{d150}|电话|王网格|1"));
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM imports WHERE kind = 'visits'"
        ),
        1
    );

    // The same book again: nothing new (the row copied twice is the visit recorded).
    let again = import(&srv, &book, grid, &["--kind", "visits"]);
    let c = &again["report"]["counts"];
    assert_eq!(
        (c["new"].as_i64(), c["unchanged"].as_i64()),
        (Some(0), Some(3)),
        "{c}"
    );

    // A locked period refuses what falls in it, by the row.
    let (s, v) = head.send(
        "PUT",
        &format!("/api/v1/nodes/{grid}/period-lock"),
        json!({"through_on": support::days_ago(60), "reason": "上半年工作总结已上报"}),
    );
    assert!(s < 300, "{v}");
    let late = write_list(
        &dir,
        "补录走访",
        &header,
        &[vec![
            &support::days_ago(90),
            "司马国强",
            &b,
            "入户",
            "补一次",
            "王网格",
        ]],
    );
    let refused = import(&srv, &late, grid, &["--kind", "visits"]);
    assert_eq!(refused["report"]["counts"]["new"], 0);
    assert!(
        refused["report"]["rejected"].to_string().contains("锁定"),
        "{}",
        refused["report"]
    );
    assert_eq!(visits(), before + 2);

    // The upload page takes the same book: checked, then committed in the background.
    let web = Web::login(&srv.base, "shuji");
    let (_, page, _) = web.get(&format!("/nodes/{grid}/import"));
    assert!(page.contains("value=\"visits\""), "{page}");
    let fresh = write_list(
        &dir,
        "九月走访",
        &header,
        &[vec![&d30, "欧阳晓梅", &a, "微信", "视频问候", "李专干"]],
    );
    let (s, page, location) = web.upload_with(
        &format!("/nodes/{grid}/import"),
        &[("csrf", &csrf_of(&page)), ("kind", "visits")],
        "九月走访.xlsx",
        &std::fs::read(&fresh).unwrap(),
    );
    assert_eq!(s, 303, "{page}");
    let report_url = location.unwrap();
    let (_, report, _) = web.get(&report_url);
    assert!(report.contains("id=\"count-new\">1<"), "{report}");
    commit_import(&web, &report_url, &report);
    assert_eq!(visits(), before + 3);
    let (ok, worker) = srv.db.sql(&format!(
        "SELECT worker_name FROM visits WHERE kind = '微信' AND visited_on = '{d30}'"
    ));
    assert!(ok && worker.trim() == "李专干", "{worker}");

    // The catalogue's 走访记录台账 of the grid reads back as what is already recorded.
    support::pass_second_factor(&web);
    reads_back_unchanged(&srv, &web, grid, &dir, ("visits", "visits", "visits"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A year's patrols kept in an office's own 巡查台账 come in the same way: the type as the
/// office wrote it (消防安全巡查 is a 消防巡查), the units it went into by name, the problems it
/// counted and who went; a type that isn't one, a unit not registered, a count that isn't one,
/// the same patrol twice are refused by the row. Again changes nothing, and the catalogue's
/// own 巡查记录台账 re-imports to no changes.
#[test]
fn a_years_patrols_come_in_from_an_old_ledger() {
    use serde_json::json;
    let srv = Server::start(40);
    let grid = grid_of_wangge(&srv);
    let head = srv.api("shuji");
    let (s, v) = head.post(
        "/api/v1/units",
        json!({"node_id": grid, "name": "凤鸣便利店", "kind": "商铺"}),
    );
    assert_eq!(s, 201, "{v}");
    let dir = std::env::temp_dir().join(format!("shequ-import-patrols-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (d100, d90, d80) = (
        support::days_ago(100),
        support::days_ago(90),
        support::days_ago(80),
    );
    let header = [
        "检查日期",
        "巡查类别",
        "巡查区域",
        "检查场所",
        "隐患数",
        "整改情况",
        "检查人员",
    ];
    let book = write_list(
        &dir,
        "巡查台账",
        &header,
        &[
            vec![
                &d100,
                "消防安全巡查",
                "11幢楼道",
                "凤鸣便利店",
                "2",
                "楼道堆物已清理",
                "王网格",
            ],
            vec![&d90, "治安巡逻", "小区东门", "", "0", "正常", "王网格"],
            vec![&d90, "治安巡逻", "小区东门", "", "0", "抄重了", "王网格"],
            vec![&d80, "飞行检查", "", "", "", "", "王网格"],
            vec![&d80, "安全巡查", "", "不存在的商店", "", "", "王网格"],
            vec![&d80, "安全巡查", "", "", "很多", "", "王网格"],
        ],
    );
    let patrols = || sql_int(&srv.db, "SELECT count(*) FROM patrols");
    let before = patrols();
    let done = import(&srv, &book, grid, &["--kind", "patrols"]);
    let r = &done["report"];
    assert_eq!(
        (
            r["counts"]["new"].as_i64(),
            r["counts"]["rejected"].as_i64()
        ),
        (Some(2), Some(4)),
        "{r}"
    );
    let text = r["rejected"].to_string();
    for want in ["同一次巡查", "飞行检查", "不存在的商店", "很多"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert_eq!(patrols(), before + 2);
    let (ok, row) = srv.db.sql(
        "SELECT p.type_code, p.problems, p.worker_name, p.backdated, count(u.unit_id) \
         FROM patrols p LEFT JOIN patrol_units u ON u.patrol_id = p.id \
         WHERE p.route = '11幢楼道' GROUP BY p.id, p.type_code, p.problems, p.worker_name, p.backdated",
    );
    assert!(ok, "{row}");
    assert_eq!(row.trim(), "fire|2|王网格|1|1");
    // Counted by the catalogue: the problems found are the patrols' problems.
    let (s, v) = head.get(&format!(
        "/api/v1/nodes/{grid}/figures?period={d100}..{d100}&codes=patrols.problems"
    ));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["figures"][0]["amount"]["value"], 2, "{v}");

    let again = import(&srv, &book, grid, &["--kind", "patrols"]);
    let c = &again["report"]["counts"];
    assert_eq!(
        (c["new"].as_i64(), c["unchanged"].as_i64()),
        (Some(0), Some(3)),
        "{c}"
    );

    let web = Web::login(&srv.base, "shuji");
    reads_back_unchanged(&srv, &web, grid, &dir, ("patrols", "patrols", "patrols"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A year's mediation cases kept in an office's own 调解台账 come in as cases opened and, where
/// the book says so, closed on their days: each row is tried as the page would open and close
/// it, so it is refused for the page's reasons (a labour case without its employer, a
/// settlement without its terms, a day to come, a type that isn't one, the same case twice).
/// Again changes nothing, and the catalogue's own 矛盾纠纷调解台账 re-imports to no changes.
#[test]
fn a_years_mediation_cases_come_in_from_an_old_ledger() {
    let srv = Server::start(40);
    let grid = grid_of_wangge(&srv);
    let dir = std::env::temp_dir().join(format!("shequ-import-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = support::days_ago;
    let (d120, d110, d100, d95, d60, d50, d40, d30, d20) = (
        d(120),
        d(110),
        d(100),
        d(95),
        d(60),
        d(50),
        d(40),
        d(30),
        d(20),
    );
    let tomorrow = (shequ_domain::clock::today() + chrono::Duration::days(1)).to_string();
    let header = [
        "收案日期",
        "纠纷类别",
        "申请方",
        "被申请方",
        "案由",
        "调解人",
        "调解情况",
        "办结日期",
        "调解协议",
        "备注",
    ];
    let book = write_list(
        &dir,
        "调解登记簿",
        &header,
        &[
            vec![
                &d120,
                "邻里纠纷",
                "张某",
                "李某",
                "楼上漏水损坏楼下吊顶",
                "赵调解",
                "调解成功",
                &d110,
                "李某赔偿维修费800元",
                "",
            ],
            vec![
                &d100,
                "物业",
                "业主王某",
                "某物业公司",
                "停车费争议",
                "赵调解",
                "调解不成功",
                &d95,
                "",
                "引导其向法院起诉",
            ],
            vec![&d60, "劳资纠纷", "刘某", "", "拖欠工资", "", "", "", "", ""],
            vec![
                &d50,
                "婚姻家庭",
                "陈某",
                "周某",
                "离婚财产分割",
                "赵调解",
                "调解成功",
                &d40,
                "",
                "",
            ],
            vec![
                &d30,
                "邻里",
                "吴某",
                "郑某",
                "噪音扰民",
                "赵调解",
                "调解中",
                "",
                "",
                "",
            ],
            vec![
                &d30,
                "邻里",
                "吴某",
                "郑某",
                "噪音扰民",
                "赵调解",
                "",
                "",
                "",
                "",
            ],
            vec![
                &tomorrow,
                "邻里",
                "吴某",
                "郑某",
                "还没发生",
                "",
                "",
                "",
                "",
                "",
            ],
            vec![&d20, "宠物纠纷", "孙某", "钱某", "狗叫", "", "", "", "", ""],
        ],
    );
    let cases = || sql_int(&srv.db, "SELECT count(*) FROM mediation_cases");
    let before = cases();
    let done = import(&srv, &book, grid, &["--kind", "mediation"]);
    let r = &done["report"];
    assert_eq!(
        (
            r["counts"]["new"].as_i64(),
            r["counts"]["rejected"].as_i64()
        ),
        (Some(3), Some(5)),
        "{r}"
    );
    let text = r["rejected"].to_string();
    for want in [
        "用人单位",
        "协议内容",
        "同一件纠纷",
        "不能晚于今天",
        "宠物纠纷",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert_eq!(cases(), before + 3);
    let (ok, rows) = srv.db.sql(
        "SELECT type_code, received_on, coalesce(outcome, '-'), coalesce(closed_on, '-'), mediator, backdated \
         FROM mediation_cases WHERE summary IN ('楼上漏水损坏楼下吊顶', '停车费争议', '噪音扰民') \
         ORDER BY received_on",
    );
    assert!(ok, "{rows}");
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(
        lines,
        [
            format!("neighbour|{d120}|success|{d110}|赵调解|1"),
            format!("property|{d100}|failed|{d95}|赵调解|1"),
            format!("neighbour|{d30}|-|-|赵调解|1"),
        ]
    );

    let again = import(&srv, &book, grid, &["--kind", "mediation"]);
    let c = &again["report"]["counts"];
    assert_eq!(
        (c["new"].as_i64(), c["unchanged"].as_i64()),
        (Some(0), Some(4)),
        "{c}"
    );

    let web = Web::login(&srv.base, "shuji");
    support::pass_second_factor(&web);
    reads_back_unchanged(
        &srv,
        &web,
        grid,
        &dir,
        ("mediation", "mediation_cases", "mediation"),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The catalogue's own ledger of a grid for the last year (`ledger`, listing the records of
/// `table`), imported again as `kind`: nothing new, nothing refused, every record unchanged.
fn reads_back_unchanged(
    srv: &Server,
    web: &Web,
    grid: i64,
    dir: &std::path::Path,
    (ledger, table, kind): (&str, &str, &str),
) {
    let period = format!("{}..{}", support::days_ago(365), support::days_ago(0));
    let (s, _, _, bytes) = web.download(&format!("/nodes/{grid}/ledgers/{ledger}?period={period}"));
    assert_eq!(s, 200);
    let own = dir.join(format!("{ledger}台账.xlsx"));
    std::fs::write(&own, &bytes).unwrap();
    let in_grid = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM {table} r JOIN org_nodes g ON g.id = {grid} \
             WHERE r.area_path >= g.path AND r.area_path < g.path || 'z'"
        ),
    );
    let back = import(srv, &own, grid, &["--kind", kind]);
    let c = &back["report"]["counts"];
    assert_eq!(
        (
            c["new"].as_i64(),
            c["unchanged"].as_i64(),
            c["rejected"].as_i64()
        ),
        (Some(0), Some(in_grid), Some(0)),
        "{}",
        back["report"]
    );
}

/// A year's 事件 come in from an office's own 事件台账, each step on its own day: accepted,
/// sent to a 派遣对象, answered, closed and rated at the ledger's times (a hazard without the
/// photos a worker on the spot would take), marked 补录, with the time limit running from the
/// ledger's dispatch. A 大类 for a 小类, a closed report without its day or its handler, a
/// handler not on the community's list, a step before the report, a report in the future, a
/// grid that isn't there and the same report twice are refused with their field. Again: nothing
/// new; the catalogue's own 事件台账 reads back unchanged.
#[test]
fn a_years_tickets_come_in_from_an_old_ledger() {
    let srv = Server::start(40);
    let grid = grid_of_wangge(&srv);
    let dir = std::env::temp_dir().join(format!("shequ-import-tickets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = support::days_ago;
    let at = |n: i64, time: &str| format!("{} {time}", d(n));
    let (d120, d119, d100, d98, d60, d50, d40, d31, d30, d29, d20, d10) = (
        at(120, "09:12"),
        d(119),
        d(100),
        at(98, "16:00"),
        d(60),
        d(50),
        d(40),
        d(31),
        at(30, "10:00"),
        d(29),
        d(20),
        d(10),
    );
    let accepted = at(120, "09:40");
    let tomorrow = (shequ_domain::clock::today() + chrono::Duration::days(1)).to_string();
    let header = [
        "登记时间",
        "事件类型",
        "事件名称",
        "问题描述",
        "事发地点",
        "反映渠道",
        "反映人",
        "所属网格",
        "承办单位",
        "受理时间",
        "办结日期",
        "处理结果",
        "满意度",
        "办理状态",
    ];
    #[rustfmt::skip]
    let rows: Vec<Vec<&str>> = vec![
        vec![&d120, "暴露垃圾", "3幢楼下垃圾堆放", "", "3幢东侧", "居民来电", "张某", "", "小区物业服务中心", &accepted, &d119, "已清运", "满意", "已办结"],
        vec![&d100, "设施设备/路灯损坏", "", "5幢路灯不亮", "", "网格员巡查", "", "", "社区网格员", "", &d98, "更换灯泡", "", ""],
        vec![&d60, "消防通道堵塞", "楼道堆放杂物", "", "7幢2单元", "巡查发现", "", "", "街道综治中心", "", "", "", "", "处置中"],
        vec![&d50, "设施设备", "井盖松动", "", "", "", "", "", "", "", "", "", "", ""],
        vec![&d40, "暴露垃圾", "西门垃圾", "", "", "", "", "", "小区物业服务中心", "", "", "", "", "已办结"],
        vec![&d30, "暴露垃圾", "北门垃圾", "", "", "", "", "", "王师傅", "", &d29, "", "", ""],
        vec![&d30, "道路不洁", "南门落叶", "", "", "", "", "", "小区物业服务中心", "", &d31, "", "", ""],
        vec![&tomorrow, "暴露垃圾", "还没发生", "", "", "", "", "", "", "", "", "", "", ""],
        vec![&d20, "邻里纠纷", "楼上噪音", "", "", "居民来访", "", "", "", "", "", "属民间纠纷，已转人民调解", "", "不予受理"],
        vec![&d100, "路灯损坏", "", "5幢路灯不亮", "", "", "", "", "社区网格员", "", &d98, "", "", ""],
        vec![&d10, "暴露垃圾", "东门垃圾", "", "", "", "", "第99网格", "", "", "", "", "", ""],
    ];
    let book = write_list(&dir, "事件登记簿", &header, &rows);
    let tickets = || sql_int(&srv.db, "SELECT count(*) FROM tickets");
    let before = tickets();
    let done = import(&srv, &book, grid, &["--kind", "tickets"]);
    let r = &done["report"];
    assert_eq!(
        (
            r["counts"]["new"].as_i64(),
            r["counts"]["rejected"].as_i64()
        ),
        (Some(4), Some(7)),
        "{r}"
    );
    let text = r["rejected"].to_string();
    for want in [
        "是大类",
        "要写明办结时间",
        "不在本社区的派遣对象中",
        "早于",
        "在今天之后",
        "同一件事件",
        "第99网格",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert_eq!(tickets(), before + 4);

    // Stored instants are UTC; the deployment's day is Beijing's (+08:00).
    let utc = |local: &str| {
        let t = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap()
            - chrono::Duration::hours(8);
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    };
    let (ok, rows) = srv.db.sql(
        "SELECT title, category_code, source, state, reported_at, coalesce(accepted_at, '-'), \
         coalesce(closed_at, '-'), coalesce(rating, '-'), coalesce(rating_channel, '-'), \
         coalesce(assignee_name, '-'), escalated, backdated, \
         CASE WHEN due_at > dispatched_at THEN 'due' ELSE coalesce(due_at, '-') END, \
         CASE WHEN closed_at IS NOT NULL AND closed_at <= due_at THEN 'on time' ELSE '-' END \
         FROM tickets WHERE backdated = 1 ORDER BY reported_at",
    );
    assert!(ok, "{rows}");
    let lines: Vec<&str> = rows.lines().collect();
    assert_eq!(
        lines,
        [
            format!(
                "3幢楼下垃圾堆放|0102|resident|rated|{}|{}|{}|满意|unrecorded|小区物业服务中心|0|1|due|-",
                utc(&d120),
                utc(&accepted),
                utc(&format!("{d119} 09:00"))
            ),
            format!(
                "5幢路灯不亮|0302|worker|closed|{}|{}|{}|-|-|社区网格员|0|1|due|on time",
                utc(&format!("{d100} 09:00")),
                utc(&format!("{d100} 09:00")),
                utc(&d98)
            ),
            format!(
                "楼道堆放杂物|0201|patrol|handling|{}|{}|-|-|-|街道综治中心|1|1|due|-",
                utc(&format!("{d60} 09:00")),
                utc(&format!("{d60} 09:00"))
            ),
            format!(
                "楼上噪音|0601|resident|refused|{}|-|-|-|-|-|0|1|-|-",
                utc(&format!("{d20} 09:00"))
            ),
        ]
    );
    let _ = (d50, d40, d10);
    // Each step is a row of the ticket's history, at the ledger's time, in order.
    let (ok, steps) = srv.db.sql(
        "SELECT e.action, e.at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE t.title = '3幢楼下垃圾堆放' ORDER BY e.id",
    );
    assert!(ok, "{steps}");
    let closed = utc(&format!("{d119} 09:00"));
    let want: Vec<String> = [
        ("report", utc(&d120)),
        ("accept", utc(&accepted)),
        ("dispatch", utc(&accepted)),
        ("feedback", closed.clone()),
        ("verify_pass", closed.clone()),
        ("close", closed.clone()),
        ("rate", closed.clone()),
    ]
    .iter()
    .map(|(a, t)| format!("{a}|{t}"))
    .collect();
    assert_eq!(steps.lines().collect::<Vec<_>>(), want);
    // The refusal's reason is the ticket's history too.
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
             WHERE t.title = '楼上噪音' AND e.action = 'refuse' AND e.note = '属民间纠纷，已转人民调解'"
        ),
        1
    );

    // Again: the four are recorded (and the row that repeated one of them is that one too).
    let again = import(&srv, &book, grid, &["--kind", "tickets"]);
    let c = &again["report"]["counts"];
    assert_eq!(
        (c["new"].as_i64(), c["unchanged"].as_i64()),
        (Some(0), Some(5)),
        "{c}"
    );
    assert_eq!(tickets(), before + 4);

    // The upload page takes a book too: checked, then committed.
    let web = Web::login(&srv.base, "shuji");
    let (_, page, _) = web.get(&format!("/nodes/{grid}/import"));
    assert!(page.contains("value=\"tickets\""), "{page}");
    let d15 = at(15, "15:30");
    let fresh = write_list(
        &dir,
        "十一月事件",
        &header,
        &[vec![
            &d15,
            "0104",
            "广场落叶",
            "",
            "",
            "",
            "",
            "",
            "小区物业服务中心",
            "",
            "",
            "",
            "",
            "处置中",
        ]],
    );
    let (s, page, location) = web.upload_with(
        &format!("/nodes/{grid}/import"),
        &[("csrf", &csrf_of(&page)), ("kind", "tickets")],
        "十一月事件.xlsx",
        &std::fs::read(&fresh).unwrap(),
    );
    assert_eq!(s, 303, "{page}");
    let report_url = location.unwrap();
    let (_, report, _) = web.get(&report_url);
    assert!(report.contains("id=\"count-new\">1<"), "{report}");
    commit_import(&web, &report_url, &report);
    assert_eq!(tickets(), before + 5);
    let (ok, state) = srv
        .db
        .sql("SELECT state, assignee_name FROM tickets WHERE title = '广场落叶'");
    assert!(ok && state.trim() == "handling|小区物业服务中心", "{state}");
    // Its page says it was brought in (补录), with the ledger's time of report.
    let id = sql_int(&srv.db, "SELECT id FROM tickets WHERE title = '广场落叶'");
    let (s, page, _) = web.get(&format!("/tickets/{id}"));
    assert_eq!(s, 200);
    assert!(page.contains("id=\"ticket-backdated\""), "{page}");
    assert!(page.contains(&d15), "{d15}: {page}");

    // A period the community head locked refuses the reports that fall in it, by the row.
    let (s, v) = srv.api("shuji").send(
        "PUT",
        &format!("/api/v1/nodes/{grid}/period-lock"),
        serde_json::json!({"through_on": d(90), "reason": "前三季度工作已上报"}),
    );
    assert!(s < 300, "{v}");
    let late = write_list(
        &dir,
        "补录事件",
        &header,
        &[vec![
            &at(95, "08:00"),
            "暴露垃圾",
            "补一件",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]],
    );
    let refused = import(&srv, &late, grid, &["--kind", "tickets"]);
    assert_eq!(refused["report"]["counts"]["new"], 0);
    assert!(
        refused["report"]["rejected"].to_string().contains("锁定"),
        "{}",
        refused["report"]
    );
    assert_eq!(tickets(), before + 5);

    support::pass_second_factor(&web);
    reads_back_unchanged(&srv, &web, grid, &dir, ("tickets", "tickets", "tickets"));
    let _ = std::fs::remove_dir_all(&dir);
}
