//! A resident ledger kept by another office: its own column titles (from the public templates
//! collected in crates/ingest/tests/fixtures/office_ledgers.txt), a 户编号 column, a 出生年月
//! column that contradicts the ID numbers, dates and vocabularies in the office's spellings.
//! It imports through the upload page and through `shequ import --map`, households grouped
//! by their number, not by room; derived columns only warn; a row refused for two reasons
//! counts once; the dry run lists the columns it did not recognise.

use crate::support;

use chrono::NaiveDate;
use serde_json::Value;
use shequ_office::xlsx::{Cell, Column, Sheet};
use support::{Server, Web, commit_import, csrf_of, grid_of_wangge, run, sql_int, xlsx_of};

/// A fictional, checksum-valid ID number; odd sequence numbers are men.
fn id(birth: (i32, u32, u32), seq: u16) -> String {
    let birth = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap();
    shequ_domain::IdNumber::generate("320106", birth, seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// The ledger, with `address_title` over the address column. `tag` keeps two ledgers'
/// people and household numbers apart. Rows, in order:
/// household …01 (户主, 妻 without an address of her own, 长子), household …02 in the same
/// room (户主, 配偶), household …03 (户主 户在人不在), and a row with neither a name nor a
/// valid ID number (refused for two reasons).
fn ledger(tag: u16, address_title: &str) -> Vec<u8> {
    let titles = [
        "序号",
        "户编号",
        "姓名",
        "性别",
        "出生年月",
        "公民身份证号码",
        "与户主关系",
        "文化程度",
        "政治面貌",
        "人户状态",
        address_title,
        "户籍地址",
        "联系电话",
        "居住登记日期",
    ];
    let hh = |n: u16| format!("3201060010{tag:02}{n:02}");
    let s = tag * 20;
    let row = |cells: Vec<Cell>| cells;
    // A valid number with its check character changed.
    let valid = id((1980, 1, 1), s + 9);
    let last = if valid.ends_with('1') { '2' } else { '1' };
    let bad_check = format!("{}{last}", &valid[..17]);
    let rows = vec![
        row(vec![
            Cell::Int(1),
            Cell::from(hh(1)),
            Cell::from(format!("东{tag}建国")),
            Cell::from("男"),
            // The ID says 1980-05: this office typed 1979.05.
            Cell::from("1979.05"),
            Cell::from(id((1980, 5, 12), s + 1)),
            Cell::from("户主"),
            Cell::from("大专"),
            Cell::from("党员"),
            Cell::from("人在户在"),
            Cell::from("7栋2单元301室"),
            Cell::from("江苏省南京市鼓楼区中山路1号"),
            Cell::from("13912345678"),
            Cell::from("2019.06.01"),
        ]),
        row(vec![
            Cell::Int(2),
            Cell::from(hh(1)),
            Cell::from(format!("东{tag}秀英")),
            Cell::from("女"),
            Cell::from("1982.11"),
            Cell::from(id((1982, 11, 3), s + 2)),
            Cell::from("妻"),
            Cell::from("高中"),
            Cell::from("群众"),
            Cell::from("人在户在"),
            Cell::Empty,
            Cell::from("江苏省南京市鼓楼区中山路1号"),
            Cell::Empty,
            Cell::from("2019年6月1日"),
        ]),
        row(vec![
            Cell::Int(3),
            Cell::from(hh(1)),
            Cell::from(format!("东{tag}小明")),
            Cell::from("男"),
            Cell::from("2008.02"),
            Cell::from(id((2008, 2, 20), s + 3)),
            Cell::from("长子"),
            Cell::from("初中"),
            Cell::from("共青团员"),
            Cell::from("人在户在"),
            Cell::from("7栋2单元301室"),
            Cell::Empty,
            Cell::Empty,
            // An Excel serial: 2019-06-01.
            Cell::Int(43617),
        ]),
        row(vec![
            Cell::Int(4),
            Cell::from(hh(2)),
            Cell::from(format!("东{tag}志强")),
            Cell::from("男"),
            Cell::from("1990.01"),
            Cell::from(id((1990, 1, 8), s + 5)),
            Cell::from("户主"),
            Cell::from("本科"),
            Cell::from("群众"),
            Cell::from("人在户不在"),
            Cell::from("7栋2单元301室"),
            Cell::from("安徽省合肥市蜀山区"),
            Cell::from("13800000000"),
            Cell::from("20210315"),
        ]),
        row(vec![
            Cell::Int(5),
            Cell::from(hh(2)),
            Cell::from(format!("东{tag}丽娟")),
            Cell::from("女"),
            Cell::from("1991.04"),
            Cell::from(id((1991, 4, 16), s + 6)),
            Cell::from("配偶"),
            Cell::from("本科"),
            Cell::from("群众"),
            Cell::from("流入"),
            Cell::from("7栋2单元301室"),
            Cell::from("安徽省合肥市蜀山区"),
            Cell::Empty,
            Cell::from("2021-03-15"),
        ]),
        row(vec![
            Cell::Int(6),
            Cell::from(hh(3)),
            Cell::from(format!("东{tag}桂兰")),
            Cell::from("女"),
            Cell::from("1950.07"),
            Cell::from(id((1950, 7, 1), s + 8)),
            Cell::from("户主"),
            Cell::from("小学"),
            Cell::from("群众"),
            Cell::from("户在人不在"),
            Cell::from("8栋1单元101室"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
        ]),
        row(vec![
            Cell::Int(7),
            Cell::from(hh(4)),
            Cell::Empty,
            Cell::from("男"),
            Cell::Empty,
            Cell::from(bad_check),
            Cell::from("户主"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::from("8栋1单元102室"),
        ]),
    ];
    let sheet = Sheet {
        name: "实有人口".into(),
        title: "东风社区实有人口登记表（虚构人员）".into(),
        note: Some("填报单位：东风社区居委会".into()),
        columns: titles.iter().map(|h| Column::new(*h, 12.0)).collect(),
        rows,
    };
    xlsx_of("t", sheet)
}

/// One more member of household …01, in a later file.
fn addition(tag: u16) -> Vec<u8> {
    let sheet = Sheet {
        name: "新增".into(),
        title: String::new(),
        note: None,
        columns: ["户编号", "姓名", "公民身份证号码", "与户主关系", "居所门牌"]
            .iter()
            .map(|h| Column::new(*h, 12.0))
            .collect(),
        rows: vec![vec![
            Cell::from(format!("3201060010{tag:02}01")),
            Cell::from(format!("东{tag}小红")),
            Cell::from(id((2012, 9, 9), tag * 20 + 10)),
            Cell::from("长女"),
            Cell::from("7栋2单元301室"),
        ]],
    };
    xlsx_of("t", sheet)
}

/// The people the ledger brings, and the households they were put in.
fn check_households(srv: &Server, tag: u16) {
    let hh = |n: u16| format!("3201060010{tag:02}{n:02}");
    let members = |n: u16| {
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM residences r JOIN households h ON h.id = r.household_id WHERE h.household_no = '{}' AND r.moved_out_on IS NULL",
                hh(n)
            ),
        )
    };
    // Household 01 keeps its wife (her address came from her household) and its son, though
    // household 02's head was written into the same room: grouped by number, not by room.
    assert_eq!(members(1), 3, "household {}", hh(1));
    assert_eq!(members(2), 2, "household {}", hh(2));
    assert_eq!(members(3), 1, "household {}", hh(3));
    let rooms = sql_int(
        &srv.db,
        &format!(
            "SELECT count(DISTINCT room_id) FROM households WHERE household_no IN ('{}', '{}')",
            hh(1),
            hh(2)
        ),
    );
    assert_eq!(rooms, 1, "both households live in 7幢2单元301");
    let spouses = sql_int(
        &srv.db,
        &format!(
            "SELECT count(*) FROM residences r JOIN households h ON h.id = r.household_id WHERE h.household_no IN ('{}', '{}') AND r.relation = '配偶'",
            hh(1),
            hh(2)
        ),
    );
    assert_eq!(spouses, 2, "妻 and 配偶 are both 配偶");
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn another_offices_ledger_imports_through_the_upload_page() {
    let srv = Server::start(20);
    let grid = grid_of_wangge(&srv);
    let web = Web::login(&srv.base, "shuji");
    let (s, page, _) = web.get(&format!("/nodes/{grid}/import"));
    assert_eq!(s, 200);
    let csrf = csrf_of(&page);
    let before = sql_int(&srv.db, "SELECT count(*) FROM persons");

    let (s, page, location) = web.upload(
        &format!("/nodes/{grid}/import"),
        &csrf,
        "东风社区实有人口登记表.xlsx",
        &ledger(1, "实际居住地址"),
    );
    assert_eq!(s, 303, "{page}");
    let report_url = location.unwrap();
    let (_, report, _) = web.get(&report_url);
    // Six people; the seventh row is refused for two reasons and counted once.
    assert!(report.contains("id=\"count-new\">6<"), "{report}");
    assert!(report.contains("id=\"count-rejected\">1<"), "{report}");
    assert!(
        report.contains("没有填写姓名") && report.contains("校验位"),
        "{report}"
    );
    // The ID number wins over the typed 出生年月, with a warning, not a refusal.
    assert!(
        report.contains("与公民身份号码中的出生日期1980-05-12不符"),
        "{report}"
    );
    assert!(
        report.contains("户在人不在") && report.contains("办理迁出"),
        "{report}"
    );
    // The dry run names what it did not read.
    let unknown = report
        .split("id=\"unrecognised-columns\">")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap_or_else(|| panic!("no unrecognised columns: {report}"));
    assert!(unknown.contains("户籍地址"), "{unknown}");
    assert!(
        !unknown.contains("实际居住地址") && !unknown.contains("户编号"),
        "{unknown}"
    );

    commit_import(&web, &report_url, &report);
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM persons"), before + 6);
    check_households(&srv, 1);
    // 文化程度 and 政治面貌 are kept, in the standards' words.
    let (ok, notes) = srv
        .db
        .sql("SELECT notes FROM persons WHERE notes LIKE '%政治面貌%'");
    assert!(ok);
    assert!(
        notes.contains("文化程度：大学专科；政治面貌：中共党员"),
        "{notes}"
    );
    // Registration dates in three spellings are one date.
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM residences r JOIN households h ON h.id = r.household_id WHERE h.household_no = '32010600100101' AND r.moved_in_on = '2019-06-01'"
        ),
        3
    );
}

fn import(
    srv: &Server,
    file: &std::path::Path,
    grid: i64,
    extra: &[&str],
) -> (bool, String, String) {
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
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn another_offices_ledger_imports_from_the_command_line_with_map() {
    let srv = Server::start(20);
    let grid = grid_of_wangge(&srv);
    let dir = std::env::temp_dir().join(format!("shequ-office-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("东风社区实有人口登记表.xlsx");
    // An address title no template we know uses.
    std::fs::write(&file, ledger(2, "居所门牌")).unwrap();
    let before = sql_int(&srv.db, "SELECT count(*) FROM persons");

    // Without a mapping every row lacks an address, and the dry run says which columns it
    // did not read: the address column among them.
    let (ok, out, err) = import(&srv, &file, grid, &["--dry-run"]);
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("未识别、不导入的列") && out.contains("“居所门牌”"),
        "{out}"
    );
    assert!(
        out.contains("列“户编号”→户号") && out.contains("列“出生年月”→出生日期"),
        "{out}"
    );
    assert!(out.contains("缺少住址"), "{out}");

    // --map names the column, as the page's mapping does.
    let (ok, out, err) = import(
        &srv,
        &file,
        grid,
        &[
            "--dry-run",
            "--json",
            "--map",
            "居所门牌=住址",
            "--map",
            "户籍地址=不导入",
        ],
    );
    assert!(ok, "{out}\n{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let r = &r["report"];
    assert_eq!(r["counts"]["new"], 6, "{r}");
    assert_eq!(r["counts"]["rejected"], 1, "one row, two reasons: {r}");
    assert_eq!(r["rejected"].as_array().unwrap().len(), 2, "{r}");
    let column = |title: &str| {
        r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["title"] == title)
            .unwrap_or_else(|| panic!("{title}: {r}"))["field"]
            .clone()
    };
    assert_eq!(column("居所门牌"), "住址");
    assert_eq!(column("户籍地址"), Value::Null);
    assert_eq!(column("户编号"), "户号");
    let warned = codes(&r["warnings"]);
    assert!(warned.iter().any(|c| c == "contradicts_id"), "{warned:?}");
    assert!(warned.iter().any(|c| c == "lives_elsewhere"), "{warned:?}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM persons"), before);

    // A title that names no column is an error, not a silent no-op.
    let (ok, _, err) = import(&srv, &file, grid, &["--dry-run", "--map", "门牌号码=住址"]);
    assert!(!ok);
    assert!(err.contains("“门牌号码”在表头中找不到"), "{err}");
    let (ok, _, err) = import(&srv, &file, grid, &["--dry-run", "--map", "居所门牌=楼层"]);
    assert!(!ok);
    assert!(err.contains("不认识字段“楼层”"), "{err}");

    let (ok, out, err) = import(&srv, &file, grid, &["--json", "--map", "居所门牌=住址"]);
    assert!(ok, "{out}\n{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["report"]["counts"]["new"], 6, "{r}");
    assert_eq!(r["report"]["counts"]["rejected"], 1, "{r}");
    assert_eq!(sql_int(&srv.db, "SELECT count(*) FROM persons"), before + 6);
    check_households(&srv, 2);

    // A later file with one more member of household …01 adds her to that household, in
    // the room that was already there, not to the room's other household.
    let more = dir.join("新增人员.xlsx");
    std::fs::write(&more, addition(2)).unwrap();
    let (ok, out, err) = import(&srv, &more, grid, &["--json", "--map", "居所门牌=住址"]);
    assert!(ok, "{out}\n{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["report"]["counts"]["new"], 1, "{r}");
    let in_household = |no: &str| {
        sql_int(
            &srv.db,
            &format!(
                "SELECT count(*) FROM residences r JOIN households h ON h.id = r.household_id WHERE h.household_no = '{no}'"
            ),
        )
    };
    assert_eq!(in_household("32010600100201"), 4);
    assert_eq!(in_household("32010600100202"), 2);
    assert_eq!(
        sql_int(
            &srv.db,
            "SELECT count(*) FROM households WHERE household_no = '32010600100201'"
        ),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}
