use super::*;
use crate::table::Merge;

const WOMAN_1990: &str = "32010619900106396X";
const MAN_1957: &str = "320106195703196515";

fn t(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

fn row(number: u32, cells: Vec<Cell>) -> Row {
    Row { number, cells }
}

fn texts(number: u32, cells: &[&str]) -> Row {
    row(number, cells.iter().map(|s| t(s)).collect())
}

/// A header in row 1 with these titles, and its recognised mapping.
fn header(titles: &[&str]) -> (Header, Mapping) {
    let table = Table {
        sheet: "花名册".into(),
        rows: vec![texts(1, titles)],
        merges: vec![],
    };
    let h = find_header(&table).expect("header");
    let m = h.mapping();
    (h, m)
}

const BASIC: &[&str] = &[
    "编号",
    "姓名",
    "性别",
    "民族",
    "身份证号码",
    "手机号码",
    "门牌号",
    "户主关系",
    "户籍类别",
    "登记日期",
    "备注",
];

fn basic_row(number: u32, id: Cell, sex: &str, phone: &str, addr: &str, moved: Cell) -> Row {
    row(
        number,
        vec![
            Cell::Number(1.0),
            t("石桂梅"),
            t(sex),
            t("汉"),
            id,
            t(phone),
            t(addr),
            t("子女"),
            t("寄住"),
            moved,
            t(""),
        ],
    )
}

fn parse(r: &Row) -> RowOutcome {
    let (h, m) = header(BASIC);
    parse_row("花名册", r, &h, &m)
}

fn person(o: RowOutcome) -> Candidate {
    match o {
        RowOutcome::Person(c) => c,
        other => panic!("expected a person, got {other:?}"),
    }
}

fn rejected_codes(o: &RowOutcome) -> Vec<&'static str> {
    match o {
        RowOutcome::Rejected(p) => p.iter().map(|p| p.code).collect(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn a_good_row_becomes_a_candidate() {
    let r = basic_row(
        5,
        t(" ３２０１０６１９９００１０６３９６ｘ "),
        "女",
        "169 2440 2685",
        "13幢2单元501",
        Cell::Number(44465.0),
    );
    let c = person(parse(&r));
    assert_eq!(c.sheet, "花名册");
    assert_eq!(c.row, 5);
    assert_eq!(c.name, "石桂梅");
    assert_eq!(c.id_number.as_deref(), Some(WOMAN_1990));
    assert_eq!(c.sex.as_deref(), Some("女"));
    assert_eq!(c.birth_date, Some(d(1990, 1, 6)));
    assert_eq!(c.phone.as_deref(), Some("16924402685"));
    assert_eq!(c.ethnicity.as_deref(), Some("汉族"));
    // 子女 of a woman (by the ID number) is 女 in the registry's vocabulary.
    assert_eq!(c.relation.as_deref(), Some("女"));
    assert_eq!(c.person_type.as_deref(), Some("流动"));
    assert_eq!(
        c.address,
        Some(Address {
            building: "13".into(),
            unit: Some("2".into()),
            room: "501".into()
        })
    );
    assert_eq!(c.moved_in_on, Some(d(2021, 9, 26)));
    assert_eq!(c.notes, None);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn ids_typed_as_numbers_are_never_trusted() {
    for cell in [
        Cell::Number(3.201061971080979e17),
        Cell::Number(320_106_197_108_097_900.0),
        Cell::Number(320_106_199_001_063_968.0),
        Cell::Number(1e15),
        Cell::Number(-3.2e17),
        t("3.201061971080979e+17"),
        t("3.20106E+17"),
        t("320106197108097000"),
    ] {
        let o = parse(&basic_row(7, cell.clone(), "男", "", "13-2-501", t("")));
        assert_eq!(rejected_codes(&o), ["precision_lost"], "{cell:?}");
        let RowOutcome::Rejected(p) = o else {
            unreachable!()
        };
        assert_eq!(p[0].column, "E");
        assert_eq!(p[0].title, "身份证号码");
        assert_eq!(p[0].row, 7);
        assert!(p[0].message.contains("身份证号码"), "{}", p[0].message);
        assert!(
            p[0].message
                .contains(&IdNumberError::PrecisionLost.to_string()),
            "{}",
            p[0].message
        );
        assert!(p[0].message.contains(&p[0].value));
    }
    let shown = match parse(&basic_row(
        7,
        Cell::Number(3.201061971080979e17),
        "男",
        "",
        "13-2-501",
        t(""),
    )) {
        RowOutcome::Rejected(p) => p[0].value.clone(),
        _ => unreachable!(),
    };
    assert_eq!(shown, "320106197108097900");
}

#[test]
fn a_fifteen_digit_number_is_an_old_style_id() {
    let o = parse(&basic_row(
        5,
        Cell::Number(110_105_491_231_002.0),
        "女",
        "",
        "13-2-501",
        t(""),
    ));
    assert_eq!(person(o).id_number.as_deref(), Some("11010519491231002X"));
}

#[test]
fn id_errors_carry_the_domain_codes() {
    for (id, code) in [
        ("320106196005178830", "checksum"),
        ("320106199902301232", "impossible_date"),
        ("3201061960051788", "length"),
        ("32010619600517883A", "character"),
        ("990106196005178830", "province"),
    ] {
        let o = parse(&basic_row(5, t(id), "男", "", "13-2-501", t("")));
        assert_eq!(rejected_codes(&o), [code], "{id}");
    }
    for cell in [
        Cell::Bool(true),
        Cell::Date(d(2021, 1, 1)),
        Cell::Number(f64::NAN),
    ] {
        let o = parse(&basic_row(5, cell, "男", "", "13-2-501", t("")));
        assert!(matches!(o, RowOutcome::Rejected(_)));
    }
}

#[test]
fn missing_name_and_missing_id_are_rejections() {
    let mut r = basic_row(9, t(MAN_1957), "男", "", "13-2-501", t(""));
    r.cells[1] = t(" \u{3000}");
    let o = parse(&r);
    assert_eq!(rejected_codes(&o), ["missing_name"]);
    let RowOutcome::Rejected(p) = o else {
        unreachable!()
    };
    assert_eq!((p[0].column.as_str(), p[0].title.as_str()), ("B", "姓名"));
    assert!(p[0].message.contains("姓名"));

    let o = parse(&basic_row(9, t(""), "男", "", "13-2-501", t("")));
    assert_eq!(rejected_codes(&o), ["missing_id"]);
    let RowOutcome::Rejected(p) = o else {
        unreachable!()
    };
    assert!(p[0].message.contains("石桂梅"));
    assert!(p[0].message.contains("户籍") && p[0].message.contains("流动"));

    // Every reason at once, so the office fixes the row in one pass.
    let mut r = basic_row(9, t("320106196005178830"), "男", "", "幸福小区", t("不详"));
    r.cells[1] = Cell::Empty;
    let mut codes = rejected_codes(&parse(&r));
    codes.sort_unstable();
    assert_eq!(
        codes,
        ["bad_address", "bad_date", "checksum", "missing_name"]
    );
}

#[test]
fn a_name_too_long_is_rejected() {
    let mut r = basic_row(9, t(MAN_1957), "男", "", "13-2-501", t(""));
    r.cells[1] = t(&"张".repeat(41));
    assert_eq!(rejected_codes(&parse(&r)), ["name_too_long"]);
}

#[test]
fn the_id_number_wins_over_typed_sex_and_birth_date() {
    let (h, m) = header(&["姓名", "性别", "出生日期", "身份证号"]);
    let r = row(3, vec![t("邓勇明"), t("F"), t("1990.1.6"), t(MAN_1957)]);
    let c = person(parse_row("s", &r, &h, &m));
    assert_eq!(c.sex.as_deref(), Some("男"));
    assert_eq!(c.birth_date, Some(d(1957, 3, 19)));
    let codes: Vec<(&str, &str)> = c
        .warnings
        .iter()
        .map(|w| (w.code, w.column.as_str()))
        .collect();
    assert_eq!(codes, [("contradicts_id", "B"), ("contradicts_id", "C")]);
    assert!(c.warnings[0].message.contains("F") && c.warnings[0].message.contains("男"));
    assert!(c.warnings[1].message.contains("1957-03-19"));

    // Agreeing values, in any spelling, say nothing.
    let r = row(
        3,
        vec![t("邓勇明"), t("male"), t("1957年3月19日"), t(MAN_1957)],
    );
    assert!(person(parse_row("s", &r, &h, &m)).warnings.is_empty());
    // An unreadable typed birth date does not matter when the ID number gives it.
    let r = row(3, vec![t("邓勇明"), t("男"), t("不详"), t(MAN_1957)]);
    assert_eq!(
        person(parse_row("s", &r, &h, &m)).birth_date,
        Some(d(1957, 3, 19))
    );
}

#[test]
fn people_with_other_documents() {
    let (h, m) = header(&[
        "姓名",
        "性别",
        "出生日期",
        "证件类型",
        "证件号码",
        "与户主关系",
        "人员类型",
    ]);
    let r = texts(
        4,
        &[
            "John Smith",
            "M",
            "1980/5/4",
            "护照",
            " e１２３ 456 ",
            "子女",
            "境外",
        ],
    );
    let c = person(parse_row("s", &r, &h, &m));
    assert_eq!(c.id_number, None);
    assert_eq!(c.doc_type.as_deref(), Some("护照"));
    assert_eq!(c.doc_no.as_deref(), Some("E123456"));
    assert_eq!(c.sex.as_deref(), Some("男"));
    assert_eq!(c.birth_date, Some(d(1980, 5, 4)));
    assert_eq!(c.relation.as_deref(), Some("子"));
    assert_eq!(c.person_type.as_deref(), Some("境外"));

    // Without an ID number the typed birth date is all there is: a bad one rejects.
    let r = texts(
        4,
        &["John Smith", "M", "1980-02-30", "护照", "E123456", "", ""],
    );
    assert_eq!(rejected_codes(&parse_row("s", &r, &h, &m)), ["bad_date"]);
    // A document number that is not one.
    let r = texts(4, &["John Smith", "", "", "护照", "E1", "", ""]);
    assert_eq!(rejected_codes(&parse_row("s", &r, &h, &m)), ["bad_doc_no"]);
    // 居民身份证 in the type column: the number is checked as an ID number.
    let r = texts(
        4,
        &["张三", "", "", "居民身份证", "320106196005178830", "", ""],
    );
    assert_eq!(rejected_codes(&parse_row("s", &r, &h, &m)), ["checksum"]);
    // Neutral relation words need a sex; without one they are left for the user.
    let r = texts(4, &["John Smith", "", "", "护照", "E123456", "子女", ""]);
    let c = person(parse_row("s", &r, &h, &m));
    assert_eq!(c.relation, None);
    assert_eq!(c.warnings[0].code, "relation_needs_sex");
}

#[test]
fn a_bad_phone_is_a_warning_not_a_rejection() {
    let r = basic_row(5, t(WOMAN_1990), "女", "1936338750", "13-2-501", t(""));
    let c = person(parse(&r));
    assert_eq!(c.phone, None);
    assert_eq!(c.warnings.len(), 1);
    let w = &c.warnings[0];
    assert_eq!(
        (w.code, w.column.as_str(), w.value.as_str()),
        ("bad_phone", "F", "1936338750")
    );
    assert!(w.message.contains("手机号码") && w.message.contains("1936338750"));

    let r = basic_row(
        5,
        t(WOMAN_1990),
        "女",
        "170-9378-6579／0871-65123456",
        "13-2-501",
        t(""),
    );
    let c = person(parse(&r));
    assert_eq!(c.phone.as_deref(), Some("17093786579"));
    assert_eq!(c.warnings[0].code, "extra_phone");
    assert!(c.warnings[0].message.contains("0871-65123456"));

    let mut r = basic_row(5, t(WOMAN_1990), "女", "", "13-2-501", t(""));
    r.cells[5] = Cell::Number(13_912_345_678.0);
    assert_eq!(person(parse(&r)).phone.as_deref(), Some("13912345678"));
}

#[test]
fn vocabularies_warn_and_leave_blank() {
    let mut r = basic_row(5, t(WOMAN_1990), "女", "", "13-2-501", t(""));
    r.cells[3] = t("火星族");
    r.cells[7] = t("邻居");
    r.cells[8] = t("农业");
    let c = person(parse(&r));
    assert_eq!((c.ethnicity, c.relation, c.person_type), (None, None, None));
    let codes: Vec<&str> = c.warnings.iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            "unknown_ethnicity",
            "unknown_relation",
            "unknown_person_type"
        ]
    );
    assert!(c.warnings[2].message.contains("户籍类别") && c.warnings[2].message.contains("农业"));

    for (typed, want) in [
        ("寄住", "流动"),
        ("外来", "流动"),
        ("暂住", "流动"),
        ("户籍", "户籍"),
    ] {
        let mut r = basic_row(5, t(WOMAN_1990), "女", "", "13-2-501", t(""));
        r.cells[8] = t(typed);
        let c = person(parse(&r));
        assert_eq!(c.person_type.as_deref(), Some(want));
        assert!(c.warnings.is_empty());
    }
}

#[test]
fn other_columns() {
    let (h, m) = header(&["姓名", "身份证号", "人户分离", "就业状况", "备注", "说明"]);
    let r = texts(2, &["张三", MAN_1957, "是", "退休", "低保户", "党员"]);
    let c = person(parse_row("s", &r, &h, &m));
    assert_eq!(c.registered_here, Some(false));
    assert_eq!(c.employment.as_deref(), Some("离退休"));
    assert_eq!(c.notes.as_deref(), Some("低保户；党员"));
    let r = texts(2, &["张三", MAN_1957, "人户一致", "教师", "", ""]);
    let c = person(parse_row("s", &r, &h, &m));
    assert_eq!(c.registered_here, Some(true));
    assert_eq!(c.employment, None);
    assert_eq!(c.warnings[0].code, "unknown_employment");
    let (h, m) = header(&["姓名", "身份证号", "人户一致"]);
    let r = texts(2, &["张三", MAN_1957, "是"]);
    assert_eq!(
        person(parse_row("s", &r, &h, &m)).registered_here,
        Some(true)
    );
    let r = texts(2, &["张三", MAN_1957, "也许"]);
    assert_eq!(
        person(parse_row("s", &r, &h, &m)).warnings[0].code,
        "bad_registered_here"
    );
}

#[test]
fn addresses_from_one_column_or_three() {
    let o = parse(&basic_row(5, t(WOMAN_1990), "女", "", "幸福小区", t("")));
    assert_eq!(rejected_codes(&o), ["bad_address"]);
    let RowOutcome::Rejected(p) = o else {
        unreachable!()
    };
    assert!(p[0].message.contains("门牌号") && p[0].message.contains("幸福小区"));

    let (h, m) = header(&["姓名", "身份证号", "楼栋", "单元", "房号", "住址"]);
    let r = row(
        2,
        vec![
            t("张三"),
            t(MAN_1957),
            Cell::Number(13.0),
            t("2单元"),
            t("501室"),
            t("幸福小区"),
        ],
    );
    let c = person(parse_row("s", &r, &h, &m));
    assert_eq!(c.address, Address::parse("13-2-501"));
    assert!(c.warnings.is_empty());
    // Separate columns left empty: the address column is used; unreadable, it only warns.
    let r = texts(2, &["张三", MAN_1957, "", "", "", "13幢501"]);
    assert_eq!(
        person(parse_row("s", &r, &h, &m)).address,
        Address::parse("13-501")
    );
    let r = texts(2, &["张三", MAN_1957, "", "", "", "幸福小区"]);
    let c = person(parse_row("s", &r, &h, &m));
    assert_eq!(c.address, None);
    assert_eq!(c.warnings[0].code, "bad_address");
    let r = texts(2, &["张三", MAN_1957, "", "", "", ""]);
    assert_eq!(
        person(parse_row("s", &r, &h, &m)).warnings[0].code,
        "missing_address"
    );
}

#[test]
fn moved_in_dates() {
    for (cell, want) in [
        (t("2021年9月26日"), d(2021, 9, 26)),
        (t("2021.9.26"), d(2021, 9, 26)),
        (t("2021/9/26"), d(2021, 9, 26)),
        (t("2021-09-26"), d(2021, 9, 26)),
        (t("20210926"), d(2021, 9, 26)),
        (Cell::Number(41103.0), d(2012, 7, 13)),
        (Cell::Date(d(2015, 3, 1)), d(2015, 3, 1)),
    ] {
        let c = person(parse(&basic_row(
            5,
            t(WOMAN_1990),
            "女",
            "",
            "13-2-501",
            cell,
        )));
        assert_eq!(c.moved_in_on, Some(want));
    }
    let o = parse(&basic_row(
        5,
        t(WOMAN_1990),
        "女",
        "",
        "13-2-501",
        t("2021.2.30"),
    ));
    assert_eq!(rejected_codes(&o), ["bad_date"]);
    let RowOutcome::Rejected(p) = o else {
        unreachable!()
    };
    assert!(p[0].message.contains("登记日期") && p[0].message.contains("2021.2.30"));
}

#[test]
fn rows_that_are_not_data() {
    let (h, m) = header(BASIC);
    for (cells, reason) in [
        (vec!["合计", "50人"], "合计行"),
        (
            vec!["合　计", "", "", "", "", "", "", "", "", "", "50人"],
            "合计行",
        ),
        (vec!["小计：12户"], "合计行"),
        (vec!["总计"], "合计行"),
        (vec!["共计30人"], "合计行"),
        (vec!["", "填表说明：身份证号码请以文本格式填写"], "说明行"),
        (vec!["注：带*为必填项"], "说明行"),
        (vec!["说明：人员类别填户籍或流动"], "说明行"),
        (vec!["制表人：张三", "", "", "", "审核人：李四"], "签名行"),
        (vec!["51"], "无可导入内容的行"),
        (vec![], "空行"),
        (vec!["", " ", "\u{3000}"], "空行"),
        (BASIC.to_vec(), "重复的表头"),
        (vec!["编号", "名字"], "重复的表头"),
        (vec!["", "姓名", "性别"], "重复的表头"),
    ] {
        let r = texts(9, &cells);
        assert_eq!(
            parse_row("s", &r, &h, &m),
            RowOutcome::Skip(reason),
            "{cells:?}"
        );
    }
}

#[test]
fn a_repeated_two_row_header_is_skipped() {
    let table = sample_like_table();
    let h = find_header(&table).unwrap();
    let m = h.mapping();
    let group = texts(
        30,
        &[
            "基本信息",
            "",
            "",
            "",
            "",
            "",
            "居住信息",
            "",
            "",
            "",
            "备注",
        ],
    );
    assert_eq!(
        parse_row("s", &group, &h, &m),
        RowOutcome::Skip("重复的表头")
    );
}

#[test]
fn duplicates_in_the_file_name_the_first_row() {
    let (h, _) = header(BASIC);
    let mut rows = vec![texts(1, BASIC)];
    rows.push(basic_row(2, t(MAN_1957), "男", "", "13-2-501", t("")));
    rows.push(basic_row(3, t(WOMAN_1990), "女", "", "13-2-501", t("")));
    rows.push(basic_row(
        4,
        t(" 320106195703196515 "),
        "男",
        "",
        "13-2-502",
        t(""),
    ));
    // Rejected for another reason, still a duplicate.
    rows.push(basic_row(5, t(MAN_1957), "男", "", "13-2-502", t("不详")));
    let table = Table {
        sheet: "花名册".into(),
        rows,
        merges: vec![],
    };
    let out = parse_table(&table, &h, &h.mapping());
    assert_eq!(out.len(), 4);
    assert!(matches!(out[0], RowOutcome::Person(_)));
    assert!(matches!(out[1], RowOutcome::Person(_)));
    assert_eq!(rejected_codes(&out[2]), ["duplicate_in_file"]);
    assert_eq!(rejected_codes(&out[3]), ["bad_date", "duplicate_in_file"]);
    let RowOutcome::Rejected(p) = &out[2] else {
        unreachable!()
    };
    assert_eq!((p[0].row, p[0].column.as_str()), (4, "E"));
    assert!(p[0].message.contains("第2行"), "{}", p[0].message);
}

#[test]
fn cells_merged_down_count_for_every_row() {
    let (h, _) = header(&["姓名", "身份证号", "住址"]);
    let table = Table {
        sheet: "s".into(),
        rows: vec![
            texts(1, &["姓名", "身份证号", "住址"]),
            texts(2, &["张三", MAN_1957, "13幢2单元501"]),
            texts(3, &["李四", WOMAN_1990]),
            texts(4, &["王五", "11010519491231002X", ""]),
            texts(5, &["赵六", "440524188001010014", "13幢2单元502"]),
        ],
        merges: vec![
            Merge {
                first_row: 1,
                first_col: 2,
                last_row: 3,
                last_col: 2,
            },
            // A merge reaching up into the header fills nothing.
            Merge {
                first_row: 0,
                first_col: 0,
                last_row: 4,
                last_col: 0,
            },
        ],
    };
    let out = parse_table(&table, &h, &h.mapping());
    let rooms: Vec<Option<String>> = out
        .into_iter()
        .map(|o| person(o).address.map(|a| a.room))
        .collect();
    assert_eq!(
        rooms,
        [Some("501"), Some("501"), Some("501"), Some("502")].map(|r| r.map(String::from))
    );
}

#[test]
fn mapping_checks() {
    assert!(check_mapping(&vec![(0, Field::Name), (1, Field::IdNumber)]).is_empty());
    let problems = check_mapping(&vec![(0, Field::Phone), (0, Field::Notes)]);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("姓名"));
    assert!(problems[2].contains("A列"));
}

/// The layout of the real sample, with a few data rows and its 合计 row.
fn sample_like_table() -> Table {
    let merge = |first_row, first_col, last_row, last_col| Merge {
        first_row,
        first_col,
        last_row,
        last_col,
    };
    Table {
        sheet: "花名册".into(),
        rows: vec![
            texts(1, &["阳光社区第3网格居民花名册"]),
            texts(
                2,
                &["填报单位：凤熙社区居委会\u{3000}\u{3000}\u{3000}\u{3000}填报人：网格员"],
            ),
            texts(
                3,
                &[
                    "基本信息",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "居住信息",
                    "",
                    "",
                    "",
                    "备注",
                ],
            ),
            texts(4, BASIC),
            basic_row(
                5,
                t(WOMAN_1990),
                "女",
                "19363387500",
                "13幢2单元501",
                Cell::Date(d(2012, 7, 14)),
            ),
            basic_row(
                6,
                t(MAN_1957),
                "男",
                "197-1276-8426",
                "11幢2单元402",
                t("2014年4月17日"),
            ),
            basic_row(
                8,
                Cell::Number(3.201061971080979e17),
                "男",
                "",
                "13幢2单元302",
                t("2015年3月1日"),
            ),
            basic_row(9, t(MAN_1957), "男", "", "13幢1单元601", t("2015年3月1日")),
            texts(10, &["合计", "50人"]),
        ],
        merges: vec![
            merge(0, 0, 0, 10),
            merge(1, 0, 1, 10),
            merge(2, 0, 2, 5),
            merge(2, 6, 2, 9),
        ],
    }
}

#[test]
fn a_table_laid_out_like_the_sample() {
    let table = sample_like_table();
    assert!(is_data_sheet(&table));
    let h = find_header(&table).unwrap();
    assert_eq!(table.rows[h.row_index].number, 4);
    use Field::*;
    let fields: Vec<Field> = h.columns.iter().filter_map(|c| c.field).collect();
    assert_eq!(
        fields,
        [
            Seq, Name, Sex, Ethnicity, IdNumber, Phone, Address, Relation, PersonType, MovedInOn,
            Notes
        ]
    );
    let out = parse_table(&table, &h, &h.mapping());
    assert_eq!(out.len(), 5);
    assert!(matches!(out[0], RowOutcome::Person(_)));
    assert!(matches!(out[1], RowOutcome::Person(_)));
    assert_eq!(rejected_codes(&out[2]), ["precision_lost"]);
    assert_eq!(rejected_codes(&out[3]), ["duplicate_in_file"]);
    assert_eq!(out[4], RowOutcome::Skip("合计行"));
    let RowOutcome::Rejected(p) = &out[2] else {
        unreachable!()
    };
    assert_eq!(p[0].title, "基本信息/身份证号码");
}

/// xorshift64*: a fixed seed keeps failures reproducible without a test dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FRAGMENTS: &[&str] = &[
    "",
    "1",
    "13",
    "501",
    "X",
    "x",
    "ｘ",
    "Ｘ",
    "０",
    "９",
    "幢",
    "栋",
    "号楼",
    "#",
    "楼",
    "层",
    "单元",
    "室",
    "号",
    "-",
    "－",
    "—",
    "/",
    "、",
    ".",
    "年",
    "月",
    "日",
    "e+",
    "E+17",
    "十",
    "二",
    "两",
    "合计",
    "小计",
    "注：",
    "说明:",
    "填表说明",
    "制表人",
    "姓名",
    "身份证号码",
    "基本信息",
    "(",
    ")",
    "（",
    "）",
    "*",
    "\u{3000}",
    "\u{FEFF}",
    "\u{200B}",
    "\n",
    " ",
    "汉",
    "族",
    "子女",
    "父母",
    "寄住",
    "男",
    "女",
    "M",
    "f",
    "是",
    "否",
    "√",
    "+86",
    "0086",
    "139",
    "0871",
    "19900106",
    "320106",
    WOMAN_1990,
    MAN_1957,
    "110105491231002",
    "2021",
    "9",
    "26",
    "2021.9.26",
    "44465",
    "00:00:00",
    "T",
    "·",
    "👨‍👩‍👧",
    "\u{10FFFF}",
    "\u{D7FF}",
    "ﷺ",
    "٣",
    "𝟙",
];

fn random_text(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(8) {
        if rng.below(4) == 0 {
            let c = char::from_u32((rng.next() % 0x11_0000) as u32).unwrap_or('?');
            s.push(c);
        } else {
            let fragment: &&str = rng.pick(FRAGMENTS);
            s.push_str(fragment);
        }
    }
    s
}

fn random_cell(rng: &mut Rng) -> Cell {
    const NUMBERS: &[f64] = &[
        0.0,
        -0.0,
        1.0,
        -1.0,
        60.0,
        44465.0,
        44465.999,
        2_958_465.0,
        2_958_466.0,
        1e14,
        110_105_491_231_002.0,
        999_999_999_999_999.0,
        1e15,
        3.201061971080979e17,
        1e308,
        -1e308,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        20_210_926.0,
        13_912_345_678.0,
        0.5,
        1e-300,
    ];
    match rng.below(7) {
        0 => Cell::Empty,
        1 | 2 => Cell::Text(random_text(rng)),
        3 => Cell::Number(*rng.pick(NUMBERS)),
        4 => Cell::Number(f64::from_bits(rng.next())),
        5 => {
            let days = (rng.next() % 7_000_000) as i64 - 3_500_000;
            let date = NaiveDate::from_num_days_from_ce_opt(days as i32).unwrap_or(NaiveDate::MIN);
            Cell::Date(*rng.pick(&[date, NaiveDate::MIN, NaiveDate::MAX]))
        }
        _ => {
            if rng.below(2) == 0 {
                Cell::Bool(rng.below(2) == 0)
            } else {
                Cell::Error(random_text(rng))
            }
        }
    }
}

#[test]
fn arbitrary_cells_never_panic() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    // Every field in a column of its own, then some twice, in one header.
    let mut titles: Vec<&str> = Field::ALL.iter().map(|f| f.label()).collect();
    titles.extend(["手机", "备注", "地址", "姓名"]);
    let table = Table {
        sheet: "s".into(),
        rows: vec![texts(1, &titles)],
        merges: vec![],
    };
    let h = find_header(&table).unwrap();
    let mut mapping: Mapping = Field::ALL
        .iter()
        .enumerate()
        .map(|(i, f)| (i, *f))
        .collect();
    mapping.extend([
        (20, Field::Phone),
        (21, Field::Notes),
        (22, Field::Address),
        (23, Field::Name),
    ]);
    // Columns past the row's end and past the header's.
    mapping.push((40, Field::IdNumber));
    let mut outcomes = [0usize; 3];
    for i in 0..20_000u32 {
        let width = rng.below(26);
        let cells = (0..width).map(|_| random_cell(&mut rng)).collect();
        let r = row(rng.next() as u32, cells);
        match parse_row("s", &r, &h, &mapping) {
            RowOutcome::Person(c) => {
                outcomes[0] += 1;
                assert!(!c.name.is_empty());
                assert!(c.id_number.is_some() || c.doc_no.is_some(), "{i}: {c:?}");
            }
            RowOutcome::Rejected(p) => {
                outcomes[1] += 1;
                assert!(!p.is_empty());
                assert!(p.iter().all(|p| !p.message.is_empty()));
            }
            RowOutcome::Skip(_) => outcomes[2] += 1,
        }
    }
    assert!(outcomes.iter().all(|n| *n > 0), "{outcomes:?}");

    // Whole tables, with random merges, random headers and hostile row numbers; the header
    // also names some special groups' own columns.
    let mut titles = titles.clone();
    titles.extend([
        "低保类别",
        "保障人数",
        "残疾等级",
        "开始日期",
        "释放/入矫日期",
    ]);
    for _ in 0..300 {
        let mut rows = Vec::new();
        for _ in 0..rng.below(30) {
            let width = rng.below(26);
            let cells = (0..width).map(|_| random_cell(&mut rng)).collect();
            let number = if rng.below(10) == 0 {
                rng.next() as u32
            } else {
                rows.len() as u32 + 1
            };
            rows.push(row(number, cells));
        }
        if rng.below(2) == 0 && !rows.is_empty() {
            let at = rng.below(rows.len());
            rows[at] = texts(rows[at].number, &titles);
        }
        let merges = (0..rng.below(10))
            .map(|_| {
                let mut v = || {
                    if rng.below(5) == 0 {
                        rng.next() as u32
                    } else {
                        (rng.next() % 30) as u32
                    }
                };
                Merge {
                    first_row: v(),
                    first_col: v(),
                    last_row: v(),
                    last_col: v(),
                }
            })
            .collect();
        let table = Table {
            sheet: "s".into(),
            rows,
            merges,
        };
        if let Some(h) = find_header(&table) {
            let _ = parse_table(&table, &h, &h.mapping());
            let _ = parse_table(&table, &h, &mapping);
            let _ = crate::header::signature(&h);
            // The same rows as every special group's list.
            for kind in shequ_domain::registry::tags::TAG_KINDS {
                let cols = crate::tags::tag_columns(&h, kind);
                let out = crate::tags::parse_tag_table(&table, &h, kind, &cols);
                assert!(out.len() <= table.rows.len());
            }
        }
        // …and as a ledger of other records, found by titles.
        const VOCAB: &crate::labelled::Vocabulary = &[
            ("name", &["姓名", "单位名称"]),
            ("phone", &["手机", "联系电话"]),
            ("notes", &["备注"]),
        ];
        if let Some(h) = crate::labelled::find_labelled(&table, VOCAB, "name") {
            for r in crate::labelled::labelled_rows(&table, &h) {
                let _ = (r.text("name"), r.text("phone"), r.get("notes"));
            }
        }
        let wrong = Header {
            row_index: usize::MAX,
            rows_used: 2,
            columns: vec![],
        };
        assert!(parse_table(&table, &wrong, &mapping).is_empty());
    }
}

/// A sheet big enough to be parsed on several threads gives the same outcomes, in the same
/// order, with duplicates found across the parts, and merged cells filled in every part.
#[test]
fn large_sheets_parse_in_parallel_in_order() {
    let (h, _) = header(&["姓名", "身份证号", "住址"]);
    let n = 9000u32;
    let id = |i: u32| {
        let birth = d(1950, 1, 1) + chrono::Days::new(u64::from(i));
        shequ_domain::IdNumber::generate("320106", birth, 100)
            .unwrap()
            .as_str()
            .to_string()
    };
    let mut rows = vec![texts(1, &["姓名", "身份证号", "住址"])];
    for i in 0..n {
        // The last row repeats the first person; row 6000 has no name.
        let who = if i == n - 1 { id(0) } else { id(i) };
        let name = if i == 5998 { "" } else { "石桂梅" };
        rows.push(texts(i + 2, &[name, &who, "13-2-501"]));
    }
    // An address merged down over rows 8000–8001 (0-based 7999–8000).
    rows[7999].cells[2] = t("9-1-101");
    rows[8000].cells.truncate(2);
    let table = Table {
        sheet: "花名册".into(),
        rows,
        merges: vec![Merge {
            first_row: 7999,
            first_col: 2,
            last_row: 8000,
            last_col: 2,
        }],
    };
    let out = parse_table(&table, &h, &h.mapping());
    assert_eq!(out.len(), n as usize);
    let numbers: Vec<u32> = out
        .iter()
        .map(|o| match o {
            RowOutcome::Person(c) => c.row,
            RowOutcome::Rejected(p) => p[0].row,
            RowOutcome::Skip(r) => panic!("skipped: {r}"),
        })
        .collect();
    assert!(
        numbers.windows(2).all(|w| w[0] + 1 == w[1]),
        "rows out of order"
    );
    assert_eq!(rejected_codes(&out[5998]), ["missing_name"]);
    assert_eq!(rejected_codes(&out[n as usize - 1]), ["duplicate_in_file"]);
    for i in [7998, 7999] {
        let a = person(out[i].clone()).address.expect("address");
        assert_eq!(
            (a.building.as_str(), a.room.as_str()),
            ("9", "101"),
            "row {i}"
        );
    }
    let rejected = out
        .iter()
        .filter(|o| matches!(o, RowOutcome::Rejected(_)))
        .count();
    assert_eq!(rejected, 2);
}
