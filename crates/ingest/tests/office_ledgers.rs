//! Ledgers kept by other offices: the column titles and value spellings collected from public
//! templates (tests/fixtures/office_ledgers.txt, each group with its source) are read as the
//! registry's fields, and a ledger written with them imports without refusals.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use shequ_domain::IdNumber;
use shequ_ingest::persons::parse_table;
use shequ_ingest::{Candidate, Cell, Field, Row, RowOutcome, Table, find_header, recognise};

const FIXTURE: &str = include_str!("fixtures/office_ledgers.txt");

/// (title, expected field) for every title line.
fn titles() -> Vec<(&'static str, Option<Field>)> {
    FIXTURE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('@') && !l.trim().is_empty())
        .map(|l| {
            let (title, key) = l.split_once('\t').expect("title<TAB>field");
            let field = (key != "-").then(|| Field::parse(key).expect(key));
            (title, field)
        })
        .collect()
}

struct ValueCase {
    field: Field,
    typed: &'static str,
    expected: &'static str,
    male: Option<bool>,
}

fn values() -> Vec<ValueCase> {
    FIXTURE
        .lines()
        .filter_map(|l| l.strip_prefix("@value\t"))
        .map(|l| {
            let parts: Vec<&str> = l.split('\t').collect();
            ValueCase {
                field: Field::parse(parts[0]).expect(parts[0]),
                typed: parts[1],
                expected: parts[2],
                male: parts.get(3).map(|s| *s == "男"),
            }
        })
        .collect()
}

/// A checksum-valid, fictional ID number (region 110105) of the given sex.
fn id(n: u16, male: bool) -> String {
    let birth = NaiveDate::from_ymd_opt(1985, 3, 2).unwrap();
    let seq = n * 2 + u16::from(male);
    IdNumber::generate("110105", birth, seq % 1000)
        .unwrap()
        .as_str()
        .to_string()
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// What Excel gives for a typed value: digits are numbers (a serial date, a sex code).
fn typed(s: &str) -> Cell {
    if !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit()) {
        Cell::Number(s.parse().unwrap())
    } else {
        text(s)
    }
}

fn one_row(titles: &[&str], cells: Vec<Cell>) -> Vec<RowOutcome> {
    let t = Table {
        sheet: "花名册".into(),
        rows: vec![
            Row {
                number: 1,
                cells: titles.iter().map(|t| text(t)).collect(),
            },
            Row { number: 2, cells },
        ],
        merges: vec![],
    };
    let h = find_header(&t).expect("header");
    parse_table(&t, &h, &h.mapping())
}

fn person(outcome: &RowOutcome) -> &Candidate {
    match outcome {
        RowOutcome::Person(c) => c,
        other => panic!("not imported: {other:?}"),
    }
}

#[test]
fn at_least_forty_real_titles_are_collected_and_read_as_their_fields() {
    let all = titles();
    let distinct: std::collections::HashSet<&str> = all.iter().map(|(t, _)| *t).collect();
    assert!(distinct.len() >= 40, "only {} titles", distinct.len());
    let wrong: Vec<String> = all
        .iter()
        .filter(|(t, f)| recognise(t) != *f)
        .map(|(t, f)| format!("{t}: expected {f:?}, read {:?}", recognise(t)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Every kind the issue names has real titles behind it.
    for f in [
        Field::Address,
        Field::HouseholdNo,
        Field::Relation,
        Field::RegisteredHere,
        Field::BirthDate,
        Field::MovedInOn,
        Field::Education,
        Field::Political,
    ] {
        assert!(all.iter().any(|(_, g)| *g == Some(f)), "no title for {f:?}");
    }
}

#[test]
fn value_spellings_offices_use_are_read() {
    let cases = values();
    assert!(cases.len() >= 40, "only {} spellings", cases.len());
    for (i, case) in cases.iter().enumerate() {
        let male = case.male.unwrap_or(i % 2 == 0);
        let outcomes = one_row(
            &["姓名", "公民身份号码", case.field.label()],
            vec![text("测试人"), text(&id(i as u16, male)), typed(case.typed)],
        );
        let c = person(&outcomes[0]);
        let got = match case.field {
            Field::Relation => c.relation.clone(),
            Field::RegisteredHere => c
                .registered_here
                .map(|b| if b { "是" } else { "否" }.to_string()),
            Field::MovedInOn => c.moved_in_on.map(|d| d.to_string()),
            Field::Education => c.education.clone(),
            Field::Political => c.political.clone(),
            Field::PersonType => c.person_type.clone(),
            Field::Sex => {
                let flagged: Vec<&str> = c
                    .warnings
                    .iter()
                    .filter(|w| w.code == "contradicts_id" || w.code == "bad_sex")
                    .map(|w| w.message.as_str())
                    .collect();
                assert!(flagged.is_empty(), "{}: {flagged:?}", case.typed);
                c.sex.clone()
            }
            other => panic!("no check for {other:?}"),
        };
        assert_eq!(
            got.as_deref(),
            Some(case.expected),
            "{:?} “{}”",
            case.field,
            case.typed
        );
    }
}

#[test]
fn derived_columns_that_contradict_or_cannot_be_read_are_warnings_and_the_id_wins() {
    let titles = ["姓名", "公民身份号码", "出生年月", "性别", "年龄"];
    let number = id(7, true);
    for (birth, sex, age, codes) in [
        // Contradicting the ID number on every derived column.
        (
            text("1990.07.01"),
            text("女"),
            Cell::Number(12.0),
            &["contradicts_id", "contradicts_id", "contradicts_id"][..],
        ),
        // Unreadable.
        (
            text("八五年三月"),
            text("未知"),
            text("四十左右"),
            &["bad_sex", "bad_date", "bad_age"][..],
        ),
        // A month only, the one in the ID number: nothing to say.
        (text("1985.03"), text("男"), Cell::Empty, &[][..]),
        (text("1985年3月"), text("1"), Cell::Empty, &[][..]),
        // A month only, another one.
        (
            text("1986.03"),
            Cell::Empty,
            Cell::Empty,
            &["contradicts_id"][..],
        ),
    ] {
        let shown = format!("{birth:?}/{sex:?}/{age:?}");
        let outcomes = one_row(
            &titles,
            vec![text("测试人"), text(&number), birth, sex, age],
        );
        let c = person(&outcomes[0]);
        assert_eq!(c.birth_date, NaiveDate::from_ymd_opt(1985, 3, 2), "{shown}");
        assert_eq!(c.sex.as_deref(), Some("男"), "{shown}");
        let got: Vec<&str> = c.warnings.iter().map(|w| w.code).collect();
        assert_eq!(got, codes, "{shown}: {:#?}", c.warnings);
    }
}

#[test]
fn household_members_without_an_address_live_where_their_household_does() {
    let t = Table {
        sheet: "户籍人口".into(),
        rows: vec![
            Row {
                number: 1,
                cells: ["户编号", "姓名", "公民身份号码", "与户主关系", "现居住地址"]
                    .iter()
                    .map(|s| text(s))
                    .collect(),
            },
            Row {
                number: 2,
                cells: vec![
                    Cell::Number(1.0),
                    text("甲"),
                    text(&id(1, true)),
                    text("户主"),
                    text("3幢1单元202室"),
                ],
            },
            Row {
                number: 3,
                cells: vec![
                    Cell::Number(1.0),
                    text("乙"),
                    text(&id(2, false)),
                    text("妻"),
                    Cell::Empty,
                ],
            },
            Row {
                number: 4,
                cells: vec![
                    Cell::Number(2.0),
                    text("丙"),
                    text(&id(3, false)),
                    text("户主"),
                    Cell::Empty,
                ],
            },
        ],
        merges: vec![],
    };
    let h = find_header(&t).unwrap();
    let out = parse_table(&t, &h, &h.mapping());
    let wife = person(&out[1]);
    assert_eq!(wife.household_no.as_deref(), Some("1"));
    assert_eq!(
        wife.address.as_ref().map(ToString::to_string).as_deref(),
        Some("3幢1单元202")
    );
    assert!(wife.warnings.is_empty(), "{:?}", wife.warnings);
    // Household 2 has no address anywhere: still a warning, and no one else's address.
    let other = person(&out[2]);
    assert_eq!(other.address, None);
    assert!(other.warnings.iter().any(|w| w.code == "missing_address"));
}
