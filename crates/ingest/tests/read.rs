//! Reading untrusted uploads: real-looking ledgers come back cell for cell; everything
//! hostile or broken comes back as a refusal with the right code, and nothing panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::NaiveDate;
use shequ_ingest::table::column_name;
use shequ_ingest::{Cell, Limits, Merge, ReadError, Table, read};
use support::*;
use zip::CompressionMethod;

fn t(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn n(v: f64) -> Cell {
    Cell::Number(v)
}

fn date(y: i32, m: u32, d: u32) -> Cell {
    Cell::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn merge(first_row: u32, first_col: u32, last_row: u32, last_col: u32) -> Merge {
    Merge {
        first_row,
        first_col,
        last_row,
        last_col,
    }
}

fn ok(bytes: &[u8], name: &str) -> Vec<Table> {
    match read(bytes, name, &Limits::default()) {
        Ok(tables) => tables,
        Err(e) => panic!("{name}: expected tables, got {} ({e})", e.code()),
    }
}

fn refused(bytes: &[u8], name: &str, limits: &Limits) -> ReadError {
    match read(bytes, name, limits) {
        Ok(tables) => panic!("{name}: expected a refusal, got {} tables", tables.len()),
        Err(e) => e,
    }
}

fn rows_of(table: &Table) -> Vec<(u32, Vec<Cell>)> {
    table
        .rows
        .iter()
        .map(|r| (r.number, r.cells.clone()))
        .collect()
}

fn sorted(mut merges: Vec<Merge>) -> Vec<Merge> {
    merges.sort_by_key(|m| (m.first_row, m.first_col, m.last_row, m.last_col));
    merges
}

// ------------------------------------------------------------------ real-looking files

fn realistic_ledger() -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

    let mut book = Workbook::new();
    let plain = Format::new();
    let iso = Format::new().set_num_format("yyyy-mm-dd");
    let chinese = Format::new().set_num_format("yyyy年m月d日");
    let ws = book.add_worksheet();
    ws.set_name("花名册").unwrap();
    ws.merge_range(0, 0, 0, 7, "幸福社区居民花名册", &plain)
        .unwrap();
    ws.merge_range(
        1,
        0,
        1,
        7,
        "填报单位：幸福社区居委会　　填报日期：2024年3月1日",
        &plain,
    )
    .unwrap();
    ws.merge_range(2, 0, 3, 0, "编号", &plain).unwrap();
    ws.merge_range(2, 1, 2, 3, "基本信息", &plain).unwrap();
    ws.merge_range(2, 4, 2, 5, "证件与联系", &plain).unwrap();
    ws.merge_range(2, 6, 2, 7, "登记信息", &plain).unwrap();
    for (col, name) in [
        "姓名",
        "性别",
        "出生日期",
        "身份证号码",
        "手机号码",
        "登记日期",
        "备注",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string(3, col as u16 + 1, name).unwrap();
    }
    // Row 5: ID as text with spaces, a real date, a date written as text.
    ws.write_number(4, 0, 1).unwrap();
    ws.write_string(4, 1, "张三").unwrap();
    ws.write_string(4, 2, "男").unwrap();
    ws.write_datetime_with_format(4, 3, ExcelDateTime::from_ymd(1971, 8, 9).unwrap(), &iso)
        .unwrap();
    ws.write_string(4, 4, "320106 19710809 7913").unwrap();
    ws.write_string(4, 5, "13812345678").unwrap();
    ws.write_string(4, 6, "2021年9月26日").unwrap();
    ws.write_boolean(4, 7, true).unwrap();
    // Row 6: a bare serial, an ID that went through a float, a date in a Chinese format.
    ws.write_number(5, 0, 2).unwrap();
    ws.write_string(5, 1, "李四").unwrap();
    ws.write_string(5, 2, "女").unwrap();
    ws.write_number(5, 3, 41103).unwrap();
    ws.write_number(5, 4, 3.201061971080979e17).unwrap();
    ws.write_number(5, 5, 13912345678.0).unwrap();
    ws.write_datetime_with_format(
        5,
        6,
        ExcelDateTime::from_ymd(2021, 9, 26).unwrap(),
        &chinese,
    )
    .unwrap();
    ws.write_string(5, 7, "外地户籍").unwrap();
    // Row 7 blank; row 8 with full-width digits and a formula's cached value.
    ws.write_number(7, 0, 3).unwrap();
    ws.write_string(7, 1, "王五").unwrap();
    ws.write_string(7, 2, "男").unwrap();
    ws.write_string(7, 3, "１９８０年１月２日").unwrap();
    ws.write_string(7, 4, "３２０１０６１９８００１０２００１Ｘ")
        .unwrap();
    ws.write_formula(7, 6, Formula::new("=D6+1").set_result("41104"))
        .unwrap();
    // Row 9 only formatted, so still blank.
    ws.write_blank(8, 3, &iso).unwrap();
    ws.merge_range(9, 0, 9, 1, "合计", &plain).unwrap();
    ws.write_formula(9, 2, Formula::new("=COUNTA(B5:B8)").set_result("3"))
        .unwrap();
    ws.write_string(9, 3, "3人").unwrap();

    let notes = book.add_worksheet();
    notes.set_name("填表说明").unwrap();
    notes.write_string(0, 0, "填表说明").unwrap();
    notes
        .write_string(1, 0, "1. 身份证号码请填写18位。")
        .unwrap();
    notes
        .write_string(3, 0, "2. 日期可写成 2021年9月26日。")
        .unwrap();

    let hidden = book.add_worksheet();
    hidden.set_name("隐藏").unwrap();
    hidden.write_string(0, 0, "内部备注").unwrap();
    hidden.set_hidden(true);

    book.save_to_buffer().unwrap()
}

#[test]
fn realistic_ledger_comes_back_cell_for_cell() {
    let bytes = realistic_ledger();
    let tables = ok(&bytes, "幸福社区花名册.xlsx");
    let names: Vec<&str> = tables.iter().map(|t| t.sheet.as_str()).collect();
    assert_eq!(names, ["花名册", "填表说明", "隐藏"]);

    let ledger = &tables[0];
    let e = Cell::Empty;
    assert_eq!(
        rows_of(ledger),
        vec![
            (1, vec![t("幸福社区居民花名册")]),
            (
                2,
                vec![t("填报单位：幸福社区居委会　　填报日期：2024年3月1日")]
            ),
            (
                3,
                vec![
                    t("编号"),
                    t("基本信息"),
                    e.clone(),
                    e.clone(),
                    t("证件与联系"),
                    e.clone(),
                    t("登记信息"),
                ]
            ),
            (
                4,
                vec![
                    e.clone(),
                    t("姓名"),
                    t("性别"),
                    t("出生日期"),
                    t("身份证号码"),
                    t("手机号码"),
                    t("登记日期"),
                    t("备注"),
                ]
            ),
            (
                5,
                vec![
                    n(1.0),
                    t("张三"),
                    t("男"),
                    date(1971, 8, 9),
                    t("320106 19710809 7913"),
                    t("13812345678"),
                    t("2021年9月26日"),
                    Cell::Bool(true),
                ]
            ),
            (
                6,
                vec![
                    n(2.0),
                    t("李四"),
                    t("女"),
                    n(41103.0),
                    n(3.201061971080979e17),
                    n(13912345678.0),
                    date(2021, 9, 26),
                    t("外地户籍"),
                ]
            ),
            (
                8,
                vec![
                    n(3.0),
                    t("王五"),
                    t("男"),
                    t("１９８０年１月２日"),
                    t("３２０１０６１９８００１０２００１Ｘ"),
                    e.clone(),
                    n(41104.0),
                ]
            ),
            (10, vec![t("合计"), e.clone(), n(3.0), t("3人")]),
        ]
    );
    assert_eq!(
        sorted(ledger.merges.clone()),
        vec![
            merge(0, 0, 0, 7),
            merge(1, 0, 1, 7),
            merge(2, 0, 3, 0),
            merge(2, 1, 2, 3),
            merge(2, 4, 2, 5),
            merge(2, 6, 2, 7),
            merge(9, 0, 9, 1),
        ]
    );
    assert_eq!(
        rows_of(&tables[1]),
        vec![
            (1, vec![t("填表说明")]),
            (2, vec![t("1. 身份证号码请填写18位。")]),
            (4, vec![t("2. 日期可写成 2021年9月26日。")]),
        ]
    );
    assert!(tables[1].merges.is_empty());
    assert_eq!(rows_of(&tables[2]), vec![(1, vec![t("内部备注")])]);

    // Offices rename files; the content decides.
    assert_eq!(ok(&bytes, "花名册.xls"), tables);
    assert_eq!(ok(&bytes, "花名册"), tables);
}

#[test]
fn hand_written_xlsx_cell_types() {
    let parts = small_xlsx_parts();
    let bytes = zip_parts(&parts, CompressionMethod::Deflated);
    let tables = ok(&bytes, "名单.xlsx");
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].sheet, "名单");
    assert_eq!(
        rows_of(&tables[0]),
        vec![
            (1, vec![t("姓名"), t("备注")]),
            (
                3,
                vec![
                    t(" 张三 "),
                    n(41103.0),
                    Cell::Bool(true),
                    Cell::Error("#REF!".into()),
                    n(41104.0),
                    t("行内"),
                ]
            ),
        ]
    );
    assert_eq!(tables[0].merges, vec![merge(0, 0, 0, 1)]);
    // Stored instead of deflated reads the same.
    let stored = zip_parts(&parts, CompressionMethod::Stored);
    assert_eq!(ok(&stored, "名单.xlsx"), tables);
}

#[test]
fn date_styles_in_both_date_systems_and_chart_sheets() {
    let styles = r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#;
    let workbook = |pr: &str| {
        format!(
            r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{pr}<sheets><sheet name="数据" sheetId="1" r:id="rId1"/><sheet name="图表" sheetId="2" r:id="rId3"/></sheets></workbook>"#
        )
    };
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet" Target="chartsheets/sheet1.xml"/></Relationships>"#;
    let chart = r#"<chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"/></sheetViews></chartsheet>"#;
    for (pr, serial) in [("", 44465), (r#"<workbookPr date1904="1"/>"#, 44465 - 1462)] {
        let sheet = sheet_xml(
            None,
            &format!(
                r#"<row r="1"><c r="A1" s="1"><v>{serial}</v></c><c r="B1"><v>{serial}</v></c></row>"#
            ),
            "",
        );
        let mut parts = xlsx_parts("数据", &sheet, None);
        for (name, data) in &mut parts {
            match name.as_str() {
                "xl/workbook.xml" => *data = workbook(pr).into_bytes(),
                "xl/_rels/workbook.xml.rels" => *data = rels.as_bytes().to_vec(),
                _ => {}
            }
        }
        parts.push(("xl/styles.xml".into(), styles.as_bytes().to_vec()));
        parts.push((
            "xl/chartsheets/sheet1.xml".into(),
            chart.as_bytes().to_vec(),
        ));
        let tables = ok(&zip_parts(&parts, CompressionMethod::Deflated), "a.xlsx");
        assert_eq!(tables.len(), 2, "{pr}");
        assert_eq!(
            rows_of(&tables[0]),
            vec![(1, vec![date(2021, 9, 26), n(f64::from(serial))])],
            "{pr}"
        );
        assert_eq!(tables[1].sheet, "图表");
        assert!(tables[1].rows.is_empty() && tables[1].merges.is_empty());
    }
}

#[test]
fn the_sample_ledger_kept_in_the_repository() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sample_ledger.xlsx"
    );
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("the sample ledger at {path}: {e}"));
    let tables = ok(&bytes, "sample_ledger.xlsx");
    assert_eq!(tables.len(), 2);
    let ledger = &tables[0];
    assert_eq!(ledger.sheet, "花名册");
    assert_eq!(tables[1].sheet, "填表说明");
    assert_eq!(ledger.merges.len(), 4);
    assert!(
        ledger.merges.contains(&merge(0, 0, 0, 10)),
        "{:?}",
        ledger.merges
    );

    let row = |number: u32| ledger.rows.iter().find(|r| r.number == number);
    let header: Vec<String> = row(4).unwrap().cells.iter().map(Cell::display).collect();
    assert_eq!(
        header,
        [
            "编号",
            "名字",
            "性别",
            "民族",
            "身份证号码",
            "手机号码",
            "门牌号",
            "户主关系",
            "户籍类别",
            "登记日期",
            "备注"
        ]
    );
    let data: Vec<u32> = ledger
        .rows
        .iter()
        .map(|r| r.number)
        .filter(|n| (5..=56).contains(n))
        .collect();
    let expected: Vec<u32> = (5..=56).filter(|n| *n != 16 && *n != 36).collect();
    assert_eq!(data, expected);
    assert_eq!(data.len(), 50);
    assert!(row(16).is_none() && row(36).is_none());
    assert_eq!(row(57).unwrap().cells.first(), Some(&t("合计")));
    match row(39).unwrap().cells.get(4) {
        Some(Cell::Number(v)) => assert!((v - 3.2e17).abs() < 1e16, "E39 = {v}"),
        other => panic!("E39 should be a number, got {other:?}"),
    }
    assert_eq!(ledger.rows.last().map(|r| r.number), Some(57));
}

#[test]
fn csv_in_utf8_with_bom_and_in_gbk_read_the_same() {
    let text = "幸福社区花名册,,\r\n姓名,身份证号码,登记日期\r\n张三,320106197108097913,2021年9月26日\r\n,,\r\n李四,\"320106 19710809 7913\",\"2021-09-26\"\r\n\r\n王五,\"带,逗号\",\r\n";
    let mut utf8 = b"\xEF\xBB\xBF".to_vec();
    utf8.extend(text.as_bytes());
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let from_utf8 = ok(&utf8, "花名册.csv");
    let from_gbk = ok(&gbk, "花名册.csv");
    assert_eq!(from_utf8, from_gbk);
    assert_eq!(from_utf8.len(), 1);
    assert_eq!(from_utf8[0].sheet, "花名册");
    assert!(from_utf8[0].merges.is_empty());
    assert_eq!(
        rows_of(&from_utf8[0]),
        vec![
            (1, vec![t("幸福社区花名册")]),
            (2, vec![t("姓名"), t("身份证号码"), t("登记日期")]),
            (
                3,
                vec![t("张三"), t("320106197108097913"), t("2021年9月26日")]
            ),
            (
                5,
                vec![t("李四"), t("320106 19710809 7913"), t("2021-09-26")]
            ),
            (7, vec![t("王五"), t("带,逗号")]),
        ]
    );
    // Plain UTF-8 without a BOM, under a name that says nothing.
    assert_eq!(ok(text.as_bytes(), "花名册.csv"), from_utf8);
    let tabbed = ok("姓名\t性别\n张三\t男\n".as_bytes(), "导出.xls");
    assert_eq!(
        rows_of(&tabbed[0]),
        vec![
            (1, vec![t("姓名"), t("性别")]),
            (2, vec![t("张三"), t("男")])
        ]
    );
}

// ------------------------------------------------------------------ xls

fn ledger_xls() -> Vec<u8> {
    xls(&[
        (
            "花名册",
            vec![
                dimensions(0, 5, 0, 4),
                label(0, 0, "居民花名册"),
                label(1, 0, "姓名"),
                label(1, 1, "出生日期"),
                label(1, 2, "身份证号"),
                label(1, 3, "状态"),
                label(3, 0, "张三"),
                number(3, 1, 1, 44465.0),
                number(3, 2, 0, 3.201061971080979e17),
                error_cell(3, 3, 0x17),
                label(4, 0, "合计"),
                merges(&[(0, 0, 0, 3)]),
            ],
        ),
        ("说明", vec![label(0, 0, "填表说明")]),
    ])
}

#[test]
fn xls_reads_like_xlsx() {
    let bytes = ledger_xls();
    let tables = ok(&bytes, "花名册.xls");
    let names: Vec<&str> = tables.iter().map(|t| t.sheet.as_str()).collect();
    assert_eq!(names, ["花名册", "说明"]);
    assert_eq!(
        rows_of(&tables[0]),
        vec![
            (1, vec![t("居民花名册")]),
            (2, vec![t("姓名"), t("出生日期"), t("身份证号"), t("状态")]),
            (
                4,
                vec![
                    t("张三"),
                    date(2021, 9, 26),
                    n(3.201061971080979e17),
                    Cell::Error("#REF!".into())
                ]
            ),
            (5, vec![t("合计")]),
        ]
    );
    assert_eq!(tables[0].merges, vec![merge(0, 0, 0, 3)]);
    assert_eq!(rows_of(&tables[1]), vec![(1, vec![t("填表说明")])]);
    // Named .xlsx, read as what it is.
    assert_eq!(ok(&bytes, "花名册.xlsx"), tables);
}

#[test]
fn xls_far_and_malformed_records_are_refused_before_calamine() {
    let limits = Limits::default();
    let far = xls(&[("花名册", vec![label(0, 0, "a"), label(0, 300, "b")])]);
    let e = refused(&far, "a.xls", &limits);
    assert_eq!(e.code(), "too_far");
    assert!(
        e.to_string().contains(&format!("{}1", column_name(300))),
        "{e}"
    );

    // Two values at opposite corners: a 16.7-million-cell grid in calamine.
    let corners = xls(&[
        ("一", vec![label(0, 0, "a"), label(65535, 255, "b")]),
        ("二", vec![label(0, 0, "a")]),
    ]);
    let e = refused(&corners, "a.xls", &limits);
    assert_eq!(e.code(), "too_far");
    assert!(e.to_string().contains("IV65536"), "{e}");

    // DIMENSIONS whose end is before its start: calamine's arithmetic would underflow and
    // reserve billions of cells.
    for dims in [dimensions(5, 1, 0, 4), dimensions(0, 3, 5, 5)] {
        let bytes = xls(&[("表", vec![dims, label(0, 0, "a")])]);
        assert_eq!(refused(&bytes, "a.xls", &limits).code(), "corrupt");
    }
    // DIMENSIONS claiming four billion rows.
    let bytes = xls(&[("表", vec![dimensions(0, u32::MAX, 0, 4), label(0, 0, "a")])]);
    assert_eq!(refused(&bytes, "a.xls", &limits).code(), "too_far");

    // A sheet offset past the end of the stream.
    let mut stream = biff(&[("表", vec![label(0, 0, "a")])], &[]);
    let at = stream.windows(2).position(|w| w == [0x85, 0x00]).unwrap();
    stream[at + 4..at + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let bytes = ole(&[("/Workbook", &stream)]);
    assert_eq!(refused(&bytes, "a.xls", &limits).code(), "corrupt");

    // Many sheets pointing at the same records: parsed over and over.
    let mut stream = biff(&[("一", vec![label(0, 0, "a")]), ("二", vec![])], &[]);
    let sheet_one = stream.windows(2).position(|w| w == [0x85, 0x00]).unwrap();
    let pos: [u8; 4] = stream[sheet_one + 4..sheet_one + 8].try_into().unwrap();
    let sheet_two = sheet_one
        + 1
        + stream[sheet_one + 1..]
            .windows(2)
            .position(|w| w == [0x85, 0x00])
            .unwrap();
    stream[sheet_two + 4..sheet_two + 8].copy_from_slice(&pos);
    let bytes = ole(&[("/Workbook", &stream)]);
    assert_eq!(refused(&bytes, "a.xls", &limits).code(), "corrupt");

    // More sheets than allowed.
    let few = Limits {
        max_sheets: 1,
        ..Limits::default()
    };
    assert_eq!(
        refused(&ledger_xls(), "a.xls", &few).code(),
        "too_many_sheets"
    );
}

#[test]
fn ole_files_that_are_not_xls() {
    let limits = Limits::default();
    let encrypted = ole(&[("/EncryptedPackage", b"secret".as_slice())]);
    assert_eq!(refused(&encrypted, "a.xlsx", &limits).code(), "encrypted");
    let protected = ole(&[(
        "/Workbook",
        &biff(&[("表", vec![])], &[record(0x002F, &[1, 0, 0, 0])]),
    )]);
    assert_eq!(refused(&protected, "a.xls", &limits).code(), "encrypted");
    let doc = ole(&[("/WordDocument", b"text".as_slice())]);
    let e = refused(&doc, "a.xls", &limits);
    assert_eq!(e.code(), "not_a_spreadsheet");
    assert!(e.to_string().contains("Word"), "{e}");
    let mut garbage = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    garbage.extend(Rng::new(7).bytes(4000));
    assert_eq!(refused(&garbage, "a.xls", &limits).code(), "corrupt");
}

// ------------------------------------------------------------------ refusals

#[test]
fn files_that_are_not_spreadsheets() {
    let limits = Limits::default();
    let e = refused(b"", "a.xlsx", &limits);
    assert_eq!(e.code(), "empty");
    assert!(e.to_string().contains("a.xlsx"));

    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend([0u8; 200]);
    let e = refused(&exe, "花名册.xlsx", &limits);
    assert_eq!(e.code(), "executable");
    assert!(
        e.to_string()
            .contains("这是一个 Windows 程序（.exe），不是表格文件"),
        "{e}"
    );

    let e = refused(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj", "a.xlsx", &limits);
    assert_eq!(e.code(), "not_a_spreadsheet");
    assert!(e.to_string().contains("PDF"), "{e}");

    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR";
    let e = refused(png, "a.csv", &limits);
    assert_eq!(e.code(), "not_a_spreadsheet");
    assert!(e.to_string().contains("图片"), "{e}");

    let docx = zip_of(
        &[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("word/document.xml", b"<w:document/>".as_slice()),
        ],
        CompressionMethod::Deflated,
    );
    let e = refused(&docx, "a.xlsx", &limits);
    assert_eq!(e.code(), "not_a_spreadsheet");
    assert!(e.to_string().contains("Word"), "{e}");

    let plain_zip = zip_of(
        &[("照片/1.jpg", b"\xFF\xD8\xFF".as_slice())],
        CompressionMethod::Stored,
    );
    let e = refused(&plain_zip, "a.xlsx", &limits);
    assert_eq!(e.code(), "not_a_spreadsheet");
    assert!(e.to_string().contains("压缩包，不是 Excel 表格"), "{e}");

    let html = "<html><body><table><tr><td>姓名</td></tr></table></body></html>";
    let e = refused(html.as_bytes(), "导出.xls", &limits);
    assert_eq!(e.code(), "not_a_spreadsheet");
    assert!(e.to_string().contains("HTML"), "{e}");

    let e = refused(b"\x00\x01\x02\x03\xFF\xFE\x00", "a.xlsx", &limits);
    assert_eq!(e.code(), "not_a_spreadsheet");

    let e = refused(b"\x81\x30\xFF\xFF,\xFF\n", "a.csv", &limits);
    assert_eq!(e.code(), "bad_encoding");

    let small = Limits {
        max_file_bytes: 100,
        ..Limits::default()
    };
    assert_eq!(refused(&[b'a'; 101], "a.csv", &small).code(), "too_large");
}

/// A 300 MB entry of zeros, compressed to about 300 KB, written in chunks.
fn zeros_bomb() -> Vec<u8> {
    use std::io::Write;
    let mut parts = xlsx_parts("表", &sheet_xml(None, "", ""), None);
    parts.retain(|(name, _)| name != "xl/worksheets/sheet1.xml");
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in &parts {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..300 {
        zip.write_all(&chunk).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Rewrites the uncompressed size the zip records for one entry, in its central directory
/// entry and its local header, as a forger would.
fn lie_about_size(zip: &mut [u8], entry: &str, size: u32) {
    let end = zip.len() - 22;
    assert_eq!(&zip[end..end + 4], b"PK\x05\x06");
    let count = u16::from_le_bytes([zip[end + 10], zip[end + 11]]) as usize;
    let mut at = u32::from_le_bytes(zip[end + 16..end + 20].try_into().unwrap()) as usize;
    for _ in 0..count {
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02");
        let name_len = u16::from_le_bytes([zip[at + 28], zip[at + 29]]) as usize;
        let extra_len = u16::from_le_bytes([zip[at + 30], zip[at + 31]]) as usize;
        let comment_len = u16::from_le_bytes([zip[at + 32], zip[at + 33]]) as usize;
        let name = &zip[at + 46..at + 46 + name_len];
        if name == entry.as_bytes() {
            let local = u32::from_le_bytes(zip[at + 42..at + 46].try_into().unwrap()) as usize;
            zip[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
            zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
        }
        at += 46 + name_len + extra_len + comment_len;
    }
}

#[test]
fn zip_bombs_are_refused() {
    let bomb = zeros_bomb();
    assert!(bomb.len() < 1_000_000, "bomb is {} bytes", bomb.len());
    let limits = Limits::default();
    let e = refused(&bomb, "bomb.xlsx", &limits);
    assert_eq!(e.code(), "zip_bomb");
    assert!(
        e.to_string()
            .contains("解压后异常巨大（疑似压缩炸弹），已拒绝"),
        "{e}"
    );

    // The same bomb claiming to be 1000 bytes: only inflating it shows the truth, and that
    // stops at the cap.
    let mut liar = bomb.clone();
    lie_about_size(&mut liar, "xl/worksheets/sheet1.xml", 1000);
    let lowered = Limits {
        max_uncompressed_bytes: 64 * 1024 * 1024,
        ..Limits::default()
    };
    let e = refused(&liar, "liar.xlsx", &lowered);
    assert_eq!(e.code(), "zip_bomb", "{e}");

    // Entries over the ratio without being large in total.
    let strict = Limits {
        max_ratio: 50,
        ..Limits::default()
    };
    let sparse = xlsx("表", &" ".repeat(3 << 20), None);
    assert_eq!(refused(&sparse, "a.xlsx", &strict).code(), "zip_bomb");
}

#[test]
fn too_many_entries() {
    let names: Vec<String> = (0..1001).map(|i| format!("xl/media/{i}.bin")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("xl/workbook.xml", b"<workbook/>".as_slice()),
    ];
    entries.extend(names.iter().map(|n| (n.as_str(), b"x".as_slice())));
    let bytes = zip_of(&entries, CompressionMethod::Stored);
    let e = refused(&bytes, "a.xlsx", &Limits::default());
    assert_eq!(e.code(), "too_many_entries");
    assert!(e.to_string().contains("1003"), "{e}");
}

#[test]
fn far_cells_and_claimed_dimensions() {
    let limits = Limits::default();
    let far = sheet_xml(
        None,
        r#"<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>"#,
        "",
    );
    let e = refused(&xlsx("花名册", &far, None), "a.xlsx", &limits);
    assert_eq!(e.code(), "too_far");
    assert!(
        e.to_string()
            .contains("工作表“花名册”的单元格 XFD1048576 超出可导入范围（最多 200000 行、256 列）"),
        "{e}"
    );

    // Only claimed: a dimension of the whole sheet with one real cell is one row.
    let claimed = sheet_xml(
        Some("A1:XFD1048576"),
        r#"<row r="1"><c r="A1"><v>7</v></c></row>"#,
        r#"<mergeCell ref="A1:XFD1"/>"#,
    );
    let tables = ok(&xlsx("表", &claimed, None), "a.xlsx");
    assert_eq!(rows_of(&tables[0]), vec![(1, vec![n(7.0)])]);
    // A title merged across the whole row is clipped to the importable width.
    assert_eq!(tables[0].merges, vec![merge(0, 0, 0, 255)]);

    // Formatted blanks far away are not data.
    let blanks = sheet_xml(
        None,
        r#"<row r="2"><c r="A2"><v>1</v></c><c r="XFD2" s="1"/></row><row r="900000"><c r="A900000" s="1"/></row>"#,
        "",
    );
    let tables = ok(&xlsx("表", &blanks, None), "a.xlsx");
    assert_eq!(rows_of(&tables[0]), vec![(2, vec![n(1.0)])]);

    // Row limit, lowered.
    let short = Limits {
        max_rows: 10,
        ..Limits::default()
    };
    let deep = sheet_xml(None, r#"<row r="500"><c r="B500"><v>1</v></c></row>"#, "");
    let e = refused(&xlsx("表", &deep, None), "a.xlsx", &short);
    assert_eq!(e.code(), "too_far");
    assert!(e.to_string().contains("B500"), "{e}");
}

#[test]
fn long_cells_and_many_sheets() {
    let long = "长".repeat(40_000);
    let shared = shared_strings(&[&long]);
    let sheet = sheet_xml(None, r#"<row r="3"><c r="C3" t="s"><v>0</v></c></row>"#, "");
    let e = refused(
        &xlsx("花名册", &sheet, Some(&shared)),
        "a.xlsx",
        &Limits::default(),
    );
    assert_eq!(e.code(), "cell_too_long");
    let text = e.to_string();
    assert!(
        text.contains("花名册") && text.contains("C3") && text.contains("40000"),
        "{e}"
    );

    let csv = format!("姓名,备注\n张三,{long}\n");
    let e = refused(csv.as_bytes(), "a.csv", &Limits::default());
    assert_eq!(e.code(), "cell_too_long");
    assert!(e.to_string().contains("B2"), "{e}");

    let two = Limits {
        max_sheets: 2,
        ..Limits::default()
    };
    assert_eq!(
        refused(&realistic_ledger(), "a.xlsx", &two).code(),
        "too_many_sheets"
    );
}

#[test]
fn shared_string_counts_that_lie_are_refused() {
    // calamine reserves room for uniqueCount strings up front: four billion would abort.
    for claim in [
        "4000000000",
        "18446744073709551615",
        "99999999999999999999999",
    ] {
        let shared = format!(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="{claim}"><si><t>a</t></si></sst>"#
        );
        let sheet = sheet_xml(None, r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, "");
        let e = refused(
            &xlsx("表", &sheet, Some(&shared)),
            "a.xlsx",
            &Limits::default(),
        );
        assert_eq!(e.code(), "corrupt", "{claim}: {e}");
    }
}

#[test]
fn broken_files_are_corrupt_not_panics() {
    let limits = Limits::default();
    let whole = realistic_ledger();
    let e = refused(&whole[..whole.len() / 2], "a.xlsx", &limits);
    assert_eq!(e.code(), "corrupt");
    assert!(
        e.to_string().contains("已损坏或不是有效的 Excel 文件"),
        "{e}"
    );

    // Deeply nested garbage in a sheet.
    let nested = format!(
        "<worksheet><sheetData>{}<c r=\"A1\"><v>1</v></c>",
        "<row><x>".repeat(100_000)
    );
    let result = read(&xlsx("表", &nested, None), "a.xlsx", &limits);
    assert!(result.is_err() || result.is_ok());

    // Not XML at all, and a sheet that is not there.
    let e = refused(&xlsx("表", "\u{0}\u{1}garbage<<<", None), "a.xlsx", &limits);
    assert_eq!(e.code(), "corrupt");
    let mut parts = small_xlsx_parts();
    parts.retain(|(name, _)| name != "xl/worksheets/sheet1.xml");
    let e = refused(
        &zip_parts(&parts, CompressionMethod::Deflated),
        "a.xlsx",
        &limits,
    );
    assert_eq!(e.code(), "corrupt");

    for seed in 1..=20u64 {
        let mut rng = Rng::new(seed);
        let len = 1 + rng.below(4096);
        let bytes = rng.bytes(len);
        let e = refused(&bytes, "random.xlsx", &limits);
        assert!(
            ["not_a_spreadsheet", "corrupt", "executable"].contains(&e.code()),
            "seed {seed}: {}",
            e.code()
        );
        let mut zipish = b"PK\x03\x04".to_vec();
        zipish.extend(&bytes);
        assert_eq!(
            refused(&zipish, "random.xlsx", &limits).code(),
            "corrupt",
            "seed {seed}"
        );
    }
}

// ------------------------------------------------------------------ no panics, ever

/// Calls `read` and turns an escaping panic into a test failure naming the case.
fn must_not_panic(bytes: &[u8], name: &str, case: &str) -> Result<Vec<Table>, ReadError> {
    let limits = Limits::default();
    match catch_unwind(AssertUnwindSafe(|| read(bytes, name, &limits))) {
        Ok(result) => result,
        Err(_) => panic!("read panicked on {case}"),
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let xlsx_parts = small_xlsx_parts();
    let deflated = zip_parts(&xlsx_parts, CompressionMethod::Deflated);
    let csv =
        "\u{FEFF}标题,,\n姓名,\"身份\n证\",日期\n张三,320106197108097913,2021-09-26\n".as_bytes();
    let xls_stream = biff(
        &[(
            "表",
            vec![
                dimensions(0, 3, 0, 3),
                label(0, 0, "姓名"),
                number(1, 1, 1, 44465.0),
                error_cell(2, 2, 0x07),
                merges(&[(0, 0, 0, 2)]),
            ],
        )],
        &[],
    );
    let xls_file = ole(&[("/Workbook", &xls_stream)]);

    let mut outcomes = [0usize; 2];
    let mut record = |result: Result<Vec<Table>, ReadError>| {
        outcomes[usize::from(result.is_err())] += 1;
    };
    // More rounds on demand, e.g. INGEST_FUZZ_ROUNDS=50000 with --release.
    let rounds = std::env::var("INGEST_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1000);
    for seed in 0..rounds {
        let mut rng = Rng::new(seed);
        // Whole files, bytes flipped anywhere.
        let case = format!("xlsx bytes, seed {seed}");
        record(must_not_panic(&rng.mutate(&deflated), "m.xlsx", &case));
        let case = format!("csv bytes, seed {seed}");
        record(must_not_panic(&rng.mutate(csv), "m.csv", &case));
        let case = format!("xls file, seed {seed}");
        record(must_not_panic(&rng.mutate(&xls_file), "m.xls", &case));
        // Mutations inside a valid container, so the parsers see them.
        let mut parts = xlsx_parts.clone();
        let which = rng.below(parts.len());
        parts[which].1 = rng.mutate(&parts[which].1);
        let case = format!("xlsx part {}, seed {seed}", parts[which].0);
        record(must_not_panic(
            &zip_parts(&parts, CompressionMethod::Deflated),
            "m.xlsx",
            &case,
        ));
        let case = format!("xls stream, seed {seed}");
        let stream = ole(&[("/Workbook", &rng.mutate(&xls_stream))]);
        record(must_not_panic(&stream, "m.xls", &case));
    }
    // The mutations must not all be rejected at the door, or this proves little.
    assert!(
        outcomes[0] > 300,
        "only {} of the mutated files were read",
        outcomes[0]
    );
    assert!(
        outcomes[1] > 300,
        "only {} of the mutated files were refused",
        outcomes[1]
    );
}
