use super::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

const DANGEROUS: [&str; 6] = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=x", "\r=2"];
const ID_NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13812345678";

fn meta() -> FileMeta {
    FileMeta {
        title: "凤凰社区居民台账".to_owned(),
        author: "王五（网格员）".to_owned(),
        created: DateTime::parse_from_rfc3339("2026-11-22T09:30:00+08:00").unwrap(),
        company: "凤凰社区居民委员会".to_owned(),
        comment: "导出：王五 2026-11-22 09:30:00 +08:00，共 7 行，含个人信息，请妥善保管"
            .to_owned(),
    }
}

fn birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
}

fn ledger() -> Sheet {
    let mut sheet = Sheet::new(
        "居民",
        "凤凰社区居民台账",
        vec![
            Column::new("姓名", 12.0),
            Column::new("公民身份号码", 22.0),
            Column::new("联系电话", 16.0),
        ],
    );
    sheet.note = Some("截至 2026年11月22日 · 凤凰社区".to_owned());
    sheet.rows = vec![
        vec!["张三".into(), ID_NUMBER.into(), PHONE.into()],
        vec![
            DANGEROUS[0].into(),
            DANGEROUS[1].into(),
            DANGEROUS[2].into(),
        ],
        vec![
            DANGEROUS[3].into(),
            DANGEROUS[4].into(),
            DANGEROUS[5].into(),
        ],
        vec!["李四".into(), birth_date().into(), Cell::Int(42)],
        vec![Cell::Empty, "普通文字".into(), Cell::Number(3.5)],
        // Shorter than the header: the rest must still get bordered cells.
        vec!["王五".into()],
    ];
    sheet
}

fn unzip(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        out.insert(file.name().unwrap().into_owned(), text);
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("_x000D_", "\r")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

fn shared_strings(xml: &str) -> Vec<String> {
    xml.split("<si>")
        .skip(1)
        .map(|si| {
            let si = &si[..si.find("</si>").unwrap()];
            let t = &si[si.find("<t").unwrap()..];
            unescape(&t[t.find('>').unwrap() + 1..t.find("</t>").unwrap()])
        })
        .collect()
}

#[derive(Debug)]
struct XmlCell {
    r: String,
    s: Option<usize>,
    t: Option<String>,
    v: Option<String>,
    body: String,
}

fn cells(sheet: &str) -> Vec<XmlCell> {
    let mut out = Vec::new();
    let mut rest = sheet;
    while let Some(pos) = rest.find("<c ") {
        rest = &rest[pos..];
        let tag_end = rest.find('>').unwrap() + 1;
        let tag = &rest[..tag_end];
        let (body, advance) = if tag.ends_with("/>") {
            ("", tag_end)
        } else {
            let close = rest.find("</c>").unwrap();
            (&rest[tag_end..close], close + 4)
        };
        out.push(XmlCell {
            r: attr(tag, "r").unwrap(),
            s: attr(tag, "s").map(|s| s.parse().unwrap()),
            t: attr(tag, "t"),
            v: between(body, "<v>", "</v>").map(str::to_owned),
            body: body.to_owned(),
        });
        rest = &rest[advance..];
    }
    out
}

/// The attributes of each `<xf>` of `<cellXfs>`, by style index.
fn cell_xfs(styles: &str) -> Vec<String> {
    let xfs = between(styles, "<cellXfs", "</cellXfs>").unwrap();
    xfs.split("<xf ")
        .skip(1)
        .map(|xf| format!(" {}", &xf[..xf.find('>').unwrap()]))
        .collect()
}

fn format_code(styles: &str, xf: &str) -> Option<String> {
    let id = attr(xf, "numFmtId")?;
    let key = format!("<numFmt numFmtId=\"{id}\"");
    let start = styles.find(&key)?;
    let tag = &styles[start..start + styles[start..].find("/>")?];
    attr(tag, "formatCode")
}

struct Book {
    files: BTreeMap<String, String>,
    strings: Vec<String>,
    xfs: Vec<String>,
}

impl Book {
    fn open(bytes: &[u8]) -> Self {
        let files = unzip(bytes);
        let strings = files
            .get("xl/sharedStrings.xml")
            .map(|x| shared_strings(x))
            .unwrap_or_default();
        let xfs = cell_xfs(&files["xl/styles.xml"]);
        Book {
            files,
            strings,
            xfs,
        }
    }

    fn file(&self, name: &str) -> &str {
        &self.files[name]
    }

    fn cells(&self, sheet: usize) -> Vec<XmlCell> {
        cells(self.file(&format!("xl/worksheets/sheet{sheet}.xml")))
    }

    fn text_of(&self, cell: &XmlCell) -> Option<String> {
        match cell.t.as_deref() {
            Some("s") => Some(self.strings[cell.v.as_ref()?.parse::<usize>().ok()?].clone()),
            Some("inlineStr") => Some(unescape(
                between(&cell.body, "<t", "</t>")?.split_once('>')?.1,
            )),
            Some("str") => panic!("formula string result in {}", cell.r),
            _ => None,
        }
    }

    /// The one string cell holding exactly this text.
    fn string_cell(&self, sheet: usize, text: &str) -> XmlCell {
        let mut found: Vec<_> = self
            .cells(sheet)
            .into_iter()
            .filter(|c| self.text_of(c).as_deref() == Some(text))
            .collect();
        assert_eq!(found.len(), 1, "string cell {text:?}: {found:?}");
        found.remove(0)
    }

    fn cell(&self, sheet: usize, r: &str) -> XmlCell {
        self.cells(sheet)
            .into_iter()
            .find(|c| c.r == r)
            .unwrap_or_else(|| panic!("no cell {r}"))
    }

    fn xf(&self, cell: &XmlCell) -> &str {
        &self.xfs[cell.s.unwrap_or(0)]
    }

    fn quoted(&self, cell: &XmlCell) -> bool {
        self.xf(cell).contains("quotePrefix=\"1\"")
    }
}

#[test]
fn ledger_is_safe_and_well_formed() {
    let bytes = write(&[ledger()], &meta()).unwrap();
    println!(
        "ledger test file: {} bytes ({:.1} KB)",
        bytes.len(),
        bytes.len() as f64 / 1024.0
    );
    let book = Book::open(&bytes);
    let sheet = book.file("xl/worksheets/sheet1.xml");

    // No formula at all, not even one made from data.
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "), "{sheet}");
    assert!(!sheet.contains("t=\"str\""));

    let quoted: BTreeSet<usize> = (0..book.xfs.len())
        .filter(|&i| book.xfs[i].contains("quotePrefix=\"1\""))
        .collect();
    assert!(!quoted.is_empty(), "styles.xml has no quotePrefix=\"1\"");
    assert!(book.file("xl/styles.xml").contains("quotePrefix=\"1\""));

    for text in DANGEROUS {
        let cell = book.string_cell(1, text);
        assert!(!cell.body.contains("<f"));
        let style = cell.s.unwrap();
        assert!(
            quoted.contains(&style),
            "{text:?} in {} uses style {style}",
            cell.r
        );
    }

    // Identity and phone numbers stay text, and plain text is not quoted.
    for text in [ID_NUMBER, PHONE, "张三", "普通文字"] {
        let cell = book.string_cell(1, text);
        assert!(!book.quoted(&cell), "{text:?} should not be quote-prefixed");
        assert_eq!(
            attr(book.xf(&cell), "numFmtId").as_deref(),
            Some("49"),
            "{text:?} not formatted as text"
        );
    }
    let number_values: Vec<String> = book
        .cells(1)
        .into_iter()
        .filter(|c| c.t.is_none())
        .filter_map(|c| c.v)
        .collect();
    assert!(
        !number_values
            .iter()
            .any(|v| v.contains("13812345678") || v.contains("110105")),
        "{number_values:?}"
    );

    // Layout: title row 1, note row 2, header row 3, data from row 4.
    assert_eq!(
        book.text_of(&book.cell(1, "A1")).as_deref(),
        Some("凤凰社区居民台账")
    );
    assert_eq!(
        book.text_of(&book.cell(1, "A2")).as_deref(),
        Some("截至 2026年11月22日 · 凤凰社区")
    );
    assert_eq!(
        book.text_of(&book.cell(1, "B3")).as_deref(),
        Some("公民身份号码")
    );
    assert!(sheet.contains("<mergeCell ref=\"A1:C1\"/>"), "{sheet}");
    assert!(sheet.contains("<mergeCell ref=\"A2:C2\"/>"));
    let title_xf = book.xf(&book.cell(1, "A1"));
    assert!(title_xf.contains("applyAlignment=\"1\""));
    let header_xf = book.xf(&book.cell(1, "A3"));
    assert!(
        header_xf.contains("fillId=\"2\"") && header_xf.contains("borderId=\"1\""),
        "{header_xf}"
    );
    let styles = book.file("xl/styles.xml");
    assert!(styles.contains("<sz val=\"16\"/>"));
    assert!(styles.contains("FFD9D9D9"));
    assert!(styles.contains("wrapText=\"1\""));
    assert_eq!(book.text_of(&book.cell(1, "A4")).as_deref(), Some("张三"));

    // Date: a real date serial with the yyyy-mm-dd format.
    let date = book.cell(1, "B7");
    assert_eq!(date.t, None);
    let serial = (birth_date() - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
    assert_eq!(date.v.as_deref(), Some(serial.to_string().as_str()));
    assert_eq!(
        format_code(styles, book.xf(&date)).as_deref(),
        Some("yyyy-mm-dd")
    );

    // Int: a number.
    let int = book.cell(1, "C7");
    assert_eq!((int.t.as_deref(), int.v.as_deref()), (None, Some("42")));
    let float = book.cell(1, "C8");
    assert_eq!(float.v.as_deref(), Some("3.5"));

    // Empty and missing cells: blank but bordered.
    for r in ["A8", "B9", "C9"] {
        let blank = book.cell(1, r);
        assert_eq!(blank.v, None, "{r}");
        assert!(
            !book.xf(&blank).contains("borderId=\"0\""),
            "{r} has no border"
        );
    }

    // Freeze below the header, repeat it when printing, A4 landscape 1 page wide.
    assert!(sheet.contains("topLeftCell=\"A4\"") && sheet.contains("state=\"frozen\""));
    assert!(sheet.contains("ySplit=\"3\""));
    assert!(sheet.contains("paperSize=\"9\""));
    assert!(sheet.contains("orientation=\"landscape\""));
    // fitToWidth is left out because 1 is its default.
    assert!(sheet.contains("fitToHeight=\"0\"") && !sheet.contains("fitToWidth"));
    assert!(sheet.contains("<pageSetUpPr fitToPage=\"1\"/>"));
    assert!(
        sheet.contains("<oddFooter>&amp;C第 &amp;P 页 共 &amp;N 页</oddFooter>"),
        "{sheet}"
    );
    let workbook_xml = book.file("xl/workbook.xml");
    assert!(workbook_xml.contains("_xlnm.Print_Titles"));
    assert!(workbook_xml.contains("$3:$3"), "{workbook_xml}");
    assert!(workbook_xml.contains("name=\"居民\""));

    // Who exported it and when.
    let core = book.file("docProps/core.xml");
    assert!(
        core.contains("<dc:creator>王五（网格员）</dc:creator>"),
        "{core}"
    );
    assert!(core.contains("<cp:lastModifiedBy>王五（网格员）</cp:lastModifiedBy>"));
    assert!(core.contains("<dc:title>凤凰社区居民台账</dc:title>"));
    assert!(core.contains("<dc:description>导出：王五 2026-11-22 09:30:00 +08:00，共 7 行，含个人信息，请妥善保管</dc:description>"));
    assert!(core.contains(
        "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-11-22T01:30:00Z</dcterms:created>"
    ));
    assert!(core.contains(
        "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">2026-11-22T01:30:00Z</dcterms:modified>"
    ));
    let app = book.file("docProps/app.xml");
    assert!(
        app.contains("<Company>凤凰社区居民委员会</Company>"),
        "{app}"
    );
}

#[test]
fn same_input_gives_same_bytes() {
    // The creation time comes from the caller, so nothing varies between runs.
    let a = write(&[ledger()], &meta()).unwrap();
    let b = write(&[ledger()], &meta()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn several_sheets_with_clashing_names_and_no_title() {
    let mut plain = Sheet::new("居民", "", vec![Column::new("备注", 30.0)]);
    plain.rows = vec![
        vec!["=HYPERLINK(\"http://x\")".into()],
        vec![Cell::from(None::<String>)],
    ];
    let mut bad_name = ledger();
    bad_name.name = "2026/11:名单?".to_owned();
    let bytes = write(&[ledger(), plain, bad_name], &meta()).unwrap();
    let book = Book::open(&bytes);

    let workbook_xml = book.file("xl/workbook.xml");
    assert!(workbook_xml.contains("name=\"居民\""));
    assert!(workbook_xml.contains("name=\"居民 (2)\""), "{workbook_xml}");
    assert!(
        workbook_xml.contains("name=\"2026_11_名单_\""),
        "{workbook_xml}"
    );

    // One column, no title, no note: header in row 1, nothing merged.
    let sheet = book.file("xl/worksheets/sheet2.xml");
    assert!(!sheet.contains("mergeCell"));
    assert!(!sheet.contains("<f>") && !sheet.contains("<f "));
    assert_eq!(book.text_of(&book.cell(2, "A1")).as_deref(), Some("备注"));
    assert!(sheet.contains("topLeftCell=\"A2\""));
    assert!(workbook_xml.contains("$1:$1"));
    let link = book.string_cell(2, "=HYPERLINK(\"http://x\")");
    assert_eq!(link.r, "A2");
    assert!(book.quoted(&link));
    assert_eq!(book.cell(2, "A3").v, None);
}

#[test]
fn formula_like_title_header_and_note_are_quoted_too() {
    let mut sheet = Sheet::new(
        "x",
        "=标题",
        vec![Column::new("-表头", 10.0), Column::new("b", 10.0)],
    );
    sheet.note = Some("+说明".to_owned());
    let book = Book::open(&write(&[sheet], &meta()).unwrap());
    for text in ["=标题", "+说明", "-表头"] {
        let cell = book.string_cell(1, text);
        assert!(book.quoted(&cell), "{text}");
    }
}

#[test]
fn huge_ints_and_old_dates_stay_exact_as_text() {
    let mut sheet = Sheet::new(
        "x",
        "t",
        vec![Column::new("a", 10.0), Column::new("b", 10.0)],
    );
    sheet.rows = vec![
        vec![
            Cell::Int(123_456_789_012_345_678),
            Cell::Date(NaiveDate::from_ymd_opt(1890, 1, 2).unwrap()),
        ],
        vec![
            Cell::Int(-123_456_789_012_345_678),
            Cell::Int(999_999_999_999_999),
        ],
    ];
    let book = Book::open(&write(&[sheet], &meta()).unwrap());
    book.string_cell(1, "123456789012345678");
    book.string_cell(1, "1890-01-02");
    assert!(book.quoted(&book.string_cell(1, "-123456789012345678")));
    assert_eq!(book.cell(1, "B4").v.as_deref(), Some("999999999999999"));
}

#[test]
fn bad_input_is_refused_in_chinese() {
    assert!(matches!(write(&[], &meta()), Err(OfficeError::NoSheets)));

    let no_columns = Sheet::new("空表", "t", vec![]);
    let err = write(&[no_columns], &meta()).unwrap_err();
    assert!(matches!(err, OfficeError::NoColumns { .. }));
    assert_eq!(err.to_string(), "工作表「空表」没有任何列");

    let mut wide = ledger();
    wide.rows.push(vec![Cell::Empty; 4]);
    let err = write(&[wide], &meta()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "工作表「居民」第 7 条记录有 4 个单元格，但表头只有 3 列"
    );

    let mut nan = ledger();
    nan.rows[1][2] = Cell::Number(f64::NAN);
    let err = write(&[nan], &meta()).unwrap_err();
    assert!(
        err.to_string()
            .contains("第 2 条记录「联系电话」一栏的数值无效"),
        "{err}"
    );

    let mut long = ledger();
    long.rows[0][0] = Cell::Text("长".repeat(MAX_TEXT_LEN + 1));
    let err = write(&[long], &meta()).unwrap_err();
    assert!(
        matches!(
            err,
            OfficeError::TextTooLong {
                row: 1,
                len: 32_768,
                ..
            }
        ),
        "{err}"
    );

    let mut old = meta();
    old.created = DateTime::parse_from_rfc3339("1800-01-01T00:00:00+08:00").unwrap();
    let err = write(&[ledger()], &old).unwrap_err();
    assert!(matches!(err, OfficeError::CreatedOutOfRange(_)), "{err}");
    assert!(err.to_string().starts_with("导出时间"));
}

#[test]
fn created_is_converted_to_utc_across_midnight() {
    let mut m = meta();
    m.created = DateTime::parse_from_rfc3339("2026-01-01T07:05:09+08:00").unwrap();
    let book = Book::open(&write(&[ledger()], &m).unwrap());
    assert!(
        book.file("docProps/core.xml")
            .contains(">2025-12-31T23:05:09Z</dcterms:created>")
    );
}

#[test]
fn formula_truth_table() {
    for yes in [
        "=1+1", "=", "+SUM(A1)", "+", "-2", "-", "@cmd", "@", "\t=x", "\t", "\r=2", "\r", "＝1+1",
        "＋1", "－1", "＠a",
    ] {
        assert!(
            looks_like_formula(yes),
            "{yes:?} should look like a formula"
        );
    }
    for no in [
        "",
        "张三",
        "1+1",
        "a=b",
        " =1",
        "'=1",
        "\n=1",
        "11010519491231002X",
        "13812345678",
        "2026-11-22",
        "（=1）",
        "abc@example.com",
    ] {
        assert!(
            !looks_like_formula(no),
            "{no:?} should not look like a formula"
        );
    }
}

#[test]
fn sheet_names_are_sanitised() {
    assert_eq!(
        sanitize_sheet_name("居民[2026]:名单*?/\\"),
        "居民_2026__名单____"
    );
    assert_eq!(sanitize_sheet_name("a\nb\tc"), "a_b_c");
    assert_eq!(sanitize_sheet_name("'引号'"), "_引号_");
    assert_eq!(sanitize_sheet_name(""), "Sheet1");
    assert_eq!(sanitize_sheet_name("   "), "Sheet1");
    assert_eq!(sanitize_sheet_name("History"), "History_");
    assert_eq!(sanitize_sheet_name("普通名称"), "普通名称");

    let long = "凤".repeat(40);
    assert_eq!(sanitize_sheet_name(&long), "凤".repeat(31));
    // Cut by characters as Excel counts them (UTF-16), never inside one.
    let emoji = format!("{}😀", "a".repeat(30));
    assert_eq!(sanitize_sheet_name(&emoji), "a".repeat(30));
    // Cutting must not leave an apostrophe at the end.
    let quote_at_cut = format!("{}'bbb", "a".repeat(30));
    assert_eq!(
        sanitize_sheet_name(&quote_at_cut),
        format!("{}_", "a".repeat(30))
    );
}

#[test]
fn sheet_names_are_made_unique() {
    let names = unique_sheet_names(&[
        "居民", "居民", "居民", "", " ", "ABC", "abc", "a/b", "a\\b", "Sheet4",
    ]);
    assert_eq!(
        names,
        [
            "居民",
            "居民 (2)",
            "居民 (3)",
            "Sheet4",
            "Sheet5",
            "ABC",
            "abc (2)",
            "a_b",
            "a_b (2)",
            "Sheet4 (2)"
        ]
    );

    let long = "长".repeat(40);
    let names = unique_sheet_names(&[long.as_str(), long.as_str(), long.as_str()]);
    assert_eq!(names[0], "长".repeat(31));
    assert_eq!(names[1], format!("{} (2)", "长".repeat(27)));
    assert_eq!(names[2], format!("{} (3)", "长".repeat(27)));
    for name in &names {
        assert!(name.chars().count() <= 31);
    }
    let distinct: BTreeSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(distinct.len(), names.len());
}

#[test]
fn conversions_into_cells() {
    assert_eq!(Cell::from("a"), Cell::Text("a".to_owned()));
    assert_eq!(Cell::from("a".to_owned()), Cell::Text("a".to_owned()));
    assert_eq!(Cell::from(5), Cell::Int(5));
    assert_eq!(Cell::from(5i64), Cell::Int(5));
    assert_eq!(Cell::from(2.5), Cell::Number(2.5));
    assert_eq!(Cell::from(Some("x".to_owned())), Cell::Text("x".to_owned()));
    assert_eq!(Cell::from(None::<String>), Cell::Empty);
    assert_eq!(Cell::from(Some(birth_date())), Cell::Date(birth_date()));
    // A phone number given as text is never turned into a number.
    assert_eq!(Cell::from(PHONE), Cell::Text(PHONE.to_owned()));
}

#[test]
fn header_height_follows_wrapping() {
    assert_eq!(estimated_lines("姓名", 12.0), 1);
    assert_eq!(estimated_lines("公民身份号码及其他很长的说明", 10.0), 4);
    assert_eq!(estimated_lines("联系\n电话", 20.0), 2);
    assert_eq!(column_width(f64::NAN), DEFAULT_COLUMN_WIDTH);
    assert_eq!(column_width(-3.0), DEFAULT_COLUMN_WIDTH);
    assert_eq!(column_width(1000.0), MAX_COLUMN_WIDTH);
}

#[test]
fn a_streamed_workbook_keeps_the_layout_and_the_safety_rules() {
    let mut book = super::Streamed::new(&meta()).unwrap();
    let columns = vec![Column::new("序号", 6.0), Column::new("情况", 20.0)];
    book.sheet(
        "走访/记录",
        "凤凰社区走访记录台账",
        Some("2024年 · 共 2 次".into()),
        columns.clone(),
    )
    .unwrap();
    book.group("凤凰社区").unwrap();
    book.row(&[Cell::Int(1), Cell::from("=HYPERLINK(\"x\")")])
        .unwrap();
    book.row(&[Cell::Int(2)]).unwrap();
    // Wider than the header: refused, naming the sheet and the row.
    let wide = book
        .row(&[Cell::Int(3), Cell::Empty, Cell::Empty])
        .unwrap_err()
        .to_string();
    assert!(
        wide.contains("走访/记录") && wide.contains("第 3 条"),
        "{wide}"
    );
    let long = "长".repeat(40_000);
    assert!(book.row(&[Cell::Int(3), Cell::from(long)]).is_err());
    book.sheet("排查登记", "排查登记表", None, columns).unwrap();
    book.row(&[Cell::Int(1), Cell::from("楼上漏水")]).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    book.finish(&mut out).unwrap();

    let b = Book::open(out.get_ref());
    let workbook = b.file("xl/workbook.xml");
    assert!(workbook.contains("name=\"走访_记录\""), "{workbook}");
    assert!(workbook.contains("name=\"排查登记\""), "{workbook}");
    // Title, note, header, the group heading, then the rows; the formula stays quoted text.
    assert_eq!(
        b.text_of(&b.cell(1, "A1")).as_deref(),
        Some("凤凰社区走访记录台账")
    );
    assert_eq!(b.text_of(&b.cell(1, "A3")).as_deref(), Some("序号"));
    assert_eq!(b.text_of(&b.cell(1, "A4")).as_deref(), Some("凤凰社区"));
    let formula = b.cell(1, "B5");
    assert!(b.quoted(&formula), "{formula:?}");
    assert!(!formula.body.contains("<f>"), "{formula:?}");
    // The missing cell of the short row is a bordered blank.
    let blank = b.xf(&b.cell(1, "B6"));
    assert!(
        blank.contains("borderId") && !blank.contains("borderId=\"0\""),
        "{blank}"
    );
    let sheet1 = b.file("xl/worksheets/sheet1.xml");
    assert!(sheet1.contains("<mergeCell ref=\"A4:B4\"/>"), "{sheet1}");
    assert!(sheet1.contains("paperSize=\"9\""), "{sheet1}");
    assert_eq!(b.text_of(&b.cell(2, "B3")).as_deref(), Some("楼上漏水"));
}
