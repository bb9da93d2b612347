//! The import benchmark of `scripts/bench` (issue 4): a generated 100,000-row × 30-column
//! .xlsx of fictional people, timed three ways, each in its own process so peak memory is
//! measured per way:
//!
//!   import_bench make FILE ROWS        write the file
//!   import_bench limit FILE DB_FILE    calamine read + one prepared INSERT per row, one
//!                                      transaction (the limit: nothing faster is possible)
//!   import_bench limit-pg FILE PG_URL  the same limit on PostgreSQL
//!   import_bench shequ FILE DB_URL     the product's own path: read, check, plan, commit
//!
//! Prints one line "seconds=…" for the timed part.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

/// The allocator the `shequ` binary uses, so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::NaiveDate;
use shequ_domain::registry::id_number::IdNumber;
use shequ_office::xlsx::{self, Cell, Column, FileMeta, Sheet};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "丽", "伟", "芳", "强", "敏", "静", "磊", "洋", "艳", "勇",
];
const RELATIONS: &[&str] = &["户主", "配偶", "子", "女"];

fn make(file: &str, rows: usize) {
    let mut headers: Vec<&str> = vec![
        "序号",
        "姓名",
        "性别",
        "民族",
        "身份证号码",
        "手机号码",
        "门牌号",
        "与户主关系",
        "人员类别",
        "登记日期",
        "备注",
    ];
    let extra: Vec<String> = (headers.len()..30)
        .map(|i| format!("附加信息{i}"))
        .collect();
    headers.extend(extra.iter().map(String::as_str));
    let mut data = Vec::with_capacity(rows);
    for i in 0..rows {
        let household = i / 3;
        let relation = if i % 3 == 0 {
            "户主"
        } else {
            RELATIONS[1 + (i * 7) % 3]
        };
        let birth = NaiveDate::from_ymd_opt(
            1940 + (i % 60) as i32,
            1 + (i % 12) as u32,
            1 + (i % 28) as u32,
        )
        .unwrap();
        let id = IdNumber::generate("110105", birth, (i % 999) as u16 + 1)
            .map(|x| x.as_str().to_string())
            .unwrap_or_default();
        let mut row = vec![
            Cell::Int(i as i64 + 1),
            Cell::from(format!(
                "{}{}",
                SURNAMES[i % SURNAMES.len()],
                GIVEN[(i / 12) % GIVEN.len()]
            )),
            Cell::from(""),
            Cell::from("汉族"),
            Cell::from(id),
            Cell::from(format!("139{:08}", i)),
            Cell::from(format!(
                "{}幢{}单元{}",
                1 + household / 400,
                1 + (household / 100) % 4,
                101 + household % 100
            )),
            Cell::from(relation),
            Cell::from("户籍"),
            Cell::Date(NaiveDate::from_ymd_opt(2015, 3, 1).unwrap()),
            Cell::from(""),
        ];
        while row.len() < 30 {
            row.push(Cell::from(format!("备用{}", i % 97)));
        }
        data.push(row);
    }
    // Two people born the same day get distinct sequence numbers only within 999: keep the
    // file's ID numbers unique by construction of (birth day, seq) above.
    let sheet = Sheet {
        name: "花名册".into(),
        title: "基准测试花名册（虚构人员）".into(),
        note: None,
        columns: headers.iter().map(|h| Column::new(*h, 12.0)).collect(),
        rows: data,
    };
    let meta = FileMeta {
        title: "bench".into(),
        author: "bench".into(),
        created: shequ_domain::clock::now_local().fixed_offset(),
        company: "shequ".into(),
        comment: String::new(),
    };
    std::fs::write(file, xlsx::write(&[sheet], &meta).unwrap()).unwrap();
}

fn limit(file: &str, db: &str) {
    use calamine::{Reader, Xlsx, open_workbook};
    let started = Instant::now();
    let mut wb: Xlsx<_> = open_workbook(file).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let cols: Vec<String> = (0..30).map(|i| format!("c{i} TEXT")).collect();
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t ({})",
        cols.join(", ")
    ))
    .unwrap();
    let tx = conn.transaction().unwrap();
    {
        let marks = vec!["?"; 30].join(", ");
        let mut stmt = tx
            .prepare(&format!("INSERT INTO t VALUES ({marks})"))
            .unwrap();
        for row in range.rows().skip(2) {
            let values: Vec<String> = (0..30)
                .map(|i| row.get(i).map(|c| c.to_string()).unwrap_or_default())
                .collect();
            stmt.execute(rusqlite::params_from_iter(values.iter()))
                .unwrap();
        }
    }
    tx.commit().unwrap();
    println!("seconds={:.3}", started.elapsed().as_secs_f64());
}

fn limit_pg(file: &str, url: &str) {
    use calamine::{Reader, Xlsx, open_workbook};
    let started = Instant::now();
    let mut wb: Xlsx<_> = open_workbook(file).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let cols: Vec<String> = (0..30).map(|i| format!("c{i} TEXT")).collect();
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS bench_limit; CREATE TABLE bench_limit ({})",
            cols.join(", ")
        ))
        .unwrap();
    let mut tx = client.transaction().unwrap();
    let marks: Vec<String> = (1..=30).map(|i| format!("${i}")).collect();
    let stmt = tx
        .prepare(&format!(
            "INSERT INTO bench_limit VALUES ({})",
            marks.join(", ")
        ))
        .unwrap();
    for row in range.rows().skip(2) {
        let values: Vec<String> = (0..30)
            .map(|i| row.get(i).map(|c| c.to_string()).unwrap_or_default())
            .collect();
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        tx.execute(&stmt, &params).unwrap();
    }
    tx.commit().unwrap();
    println!("seconds={:.3}", started.elapsed().as_secs_f64());
}

fn shequ(file: &str, db: &str) {
    use shequ_store::imports::{self, FileInfo, Progress};
    let key = std::env::var_os("SHEQU_KEY_FILE").map(std::path::PathBuf::from);
    let pool = shequ_store::open_with_key(db, 2, key.as_deref()).unwrap().0;
    let mut conn = pool.get().unwrap();
    let actor = shequ_store::Actor::load_by_username(&mut conn, "shuji").unwrap();
    let grid = actor.people_nodes[0].id;
    let grid: i64 = conn
        .query_one("SELECT id FROM org_nodes WHERE kind = 'grid' AND path >= (SELECT path FROM org_nodes WHERE id = ?) ORDER BY id LIMIT 1", &[grid.into()])
        .unwrap()
        .get(0)
        .unwrap();
    let bytes = std::fs::read(file).unwrap();
    let started = Instant::now();
    let mut reading =
        shequ_ledgers::importing::read_persons(&bytes, "bench.xlsx", &|_| None).unwrap();
    let read_s = started.elapsed().as_secs_f64();
    let rows = std::mem::take(&mut reading.rows);
    let plan = imports::plan(&mut conn, &actor, grid, rows).unwrap();
    let plan_s = started.elapsed().as_secs_f64() - read_s;
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let outcome = imports::commit(
        &mut conn,
        &actor,
        &plan,
        &|_| false,
        &FileInfo {
            file_name: "bench.xlsx".into(),
            sha256: reading.sha256.clone(),
            idempotency_key: "bench".into(),
        },
        &Progress {
            on_row: &|_, _| {},
            cancel: &cancel,
        },
    )
    .unwrap();
    eprintln!(
        "rows={} new={} rejected={} read={read_s:.2}s plan={plan_s:.2}s commit={:.2}s",
        reading.data_rows,
        outcome.counts.new,
        reading.rejected.len() + outcome.counts.rejected,
        started.elapsed().as_secs_f64() - read_s - plan_s
    );
    println!("seconds={:.3}", started.elapsed().as_secs_f64());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("make") => make(&args[2], args[3].parse().unwrap()),
        Some("limit") => limit(&args[2], &args[3]),
        Some("limit-pg") => limit_pg(&args[2], &args[3]),
        Some("shequ") => shequ(&args[2], &args[3]),
        _ => {
            eprintln!("usage: import_bench make FILE ROWS | limit FILE DB_FILE | shequ FILE DB_URL")
        }
    }
}
