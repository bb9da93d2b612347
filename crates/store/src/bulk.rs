//! Loading many rows at once (demo data, later imports): prepared INSERTs inside the caller's
//! transaction on SQLite, COPY on PostgreSQL. Callers supply ids themselves so related rows can
//! be written without reading ids back; `finish` moves PostgreSQL's identity sequences past them.

use std::io::Write;

use crate::db::{Conn, DbError, DbResult, Value};

/// The next free id of a table (ids are only ever handed out by one loader at a time).
pub fn next_id(conn: &mut Conn, table: &str) -> DbResult<i64> {
    conn.scalar(
        &format!("SELECT CAST(COALESCE(max(id), 0) + 1 AS BIGINT) FROM {table}"),
        &[],
    )
}

pub fn insert_rows(
    conn: &mut Conn,
    table: &str,
    cols: &[&str],
    rows: &[Vec<Value>],
) -> DbResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        Conn::Sqlite(_) => {
            let marks = vec!["?"; cols.len()].join(", ");
            let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", cols.join(", "));
            for r in rows {
                conn.execute(&sql, r)?;
            }
            Ok(())
        }
        Conn::Postgres(pg) => {
            let sql = format!("COPY {table} ({}) FROM STDIN", cols.join(", "));
            let mut buf = Vec::with_capacity(rows.len() * 64);
            for r in rows {
                for (i, v) in r.iter().enumerate() {
                    if i > 0 {
                        buf.push(b'\t');
                    }
                    copy_text(&mut buf, v);
                }
                buf.push(b'\n');
            }
            let mut w = pg.raw().copy_in(&sql)?;
            w.write_all(&buf)
                .map_err(|e| DbError::Decode(format!("COPY 写入失败：{e}")))?;
            w.finish()?;
            Ok(())
        }
    }
}

/// PostgreSQL COPY text format: \N for NULL, backslash escapes for tab, newline and backslash.
fn copy_text(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => buf.extend_from_slice(b"\\N"),
        Value::Int(i) => buf.extend_from_slice(i.to_string().as_bytes()),
        Value::Real(f) => buf.extend_from_slice(f.to_string().as_bytes()),
        Value::Text(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    _ => buf.push(b),
                }
            }
        }
        Value::Blob(b) => {
            buf.extend_from_slice(b"\\\\x");
            for byte in b {
                buf.extend_from_slice(format!("{byte:02x}").as_bytes());
            }
        }
    }
}

/// After loading with explicit ids on PostgreSQL, later inserts must not reuse them.
pub fn finish(conn: &mut Conn, tables: &[&str]) -> DbResult<()> {
    if let Conn::Postgres(_) = conn {
        for t in tables {
            conn.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(max(id), 0) + 1 FROM {t}), false)"
                ),
                &[],
            )?;
        }
    }
    Ok(())
}
