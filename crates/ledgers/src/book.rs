//! Catalogue ledgers (`shequ_store::ledger::catalogue`) as .xlsx workbooks: the store hands
//! the rows over one at a time and they go straight into a streamed workbook, written to an
//! unnamed temporary file, so a 100,000-row ledger takes no more memory than a short one.

use std::io::{Read, Seek, SeekFrom};

use shequ_domain::figures::Period;
use shequ_office::xlsx::{self, Column, Streamed};
use shequ_store::ledger::stream::{self, Cell, Exported, Head, Sink};
use shequ_store::{Actor, Conn, StoreError, StoreResult};

use crate::export::{Book, meta_saying};

struct XlsxSink {
    book: Streamed,
}

impl Sink for XlsxSink {
    fn sheet(&mut self, head: Head<'_>) -> Result<(), String> {
        let columns = head
            .columns
            .iter()
            .map(|c| Column::new(c.header, c.width))
            .collect();
        self.book
            .sheet(head.name, &head.title, Some(head.note), columns)
            .map_err(|e| e.to_string())
    }

    fn group(&mut self, text: &str) -> Result<(), String> {
        self.book.group(text).map_err(|e| e.to_string())
    }

    fn row(&mut self, cells: Vec<Cell>) -> Result<(), String> {
        let cells: Vec<xlsx::Cell> = cells
            .into_iter()
            .map(|c| match c {
                Cell::Empty => xlsx::Cell::Empty,
                Cell::Text(t) => xlsx::Cell::Text(t),
                Cell::Int(i) => xlsx::Cell::Int(i),
                Cell::Date(d) => xlsx::Cell::Date(d),
            })
            .collect();
        self.book.row(&cells).map_err(|e| e.to_string())
    }
}

fn output(e: impl std::fmt::Display) -> StoreError {
    StoreError::Output(format!("生成 Excel 文件失败：{e}"))
}

/// Ledger `code` of node `node_id` over `period`, as a workbook to download
/// ("凤熙社区走访记录台账-2024年.xlsx"), with what went into it.
pub fn ledger(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    period: &Period,
    code: &str,
) -> StoreResult<(Book, Exported)> {
    let mut file = tempfile::tempfile().map_err(output)?;
    let exported = write(conn, actor, (node_id, period, code), &mut file)?;
    file.seek(SeekFrom::Start(0)).map_err(output)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(output)?;
    let file_name = format!(
        "{}{}-{}.xlsx",
        exported.place,
        exported.ledger.name,
        exported.period.label()
    );
    Ok((Book { bytes, file_name }, exported))
}

/// Writes the ledger's workbook to `out` (the benchmark writes to a file it can measure).
pub fn write<W: std::io::Write + Seek + Send>(
    conn: &mut Conn,
    actor: &Actor,
    (node_id, period, code): (i64, &Period, &str),
    out: W,
) -> StoreResult<Exported> {
    let title = shequ_store::ledger::catalogue::find(code)
        .map(|l| l.name)
        .unwrap_or_default();
    let mut sink = XlsxSink {
        book: Streamed::new(&meta_saying(actor, &title, "")).map_err(output)?,
    };
    let exported = stream::export(conn, actor, node_id, period, code, &mut sink)?;
    sink.book.finish(out).map_err(output)?;
    Ok(exported)
}
