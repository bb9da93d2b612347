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
            buf.extend_from_slice(shequ_text::hex(b).as_bytes());
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

/// Runs a bulk load with `table`'s secondary indexes dropped and rebuilt afterwards, inside the
/// caller's transaction: building an index from sorted data is far faster than a million
/// random inserts into it (the blind indexes are random by design). The definitions are read
/// back from the catalogue, so they can't drift from the migrations.
pub fn without_indexes<T, E: From<DbError>>(
    conn: &mut Conn,
    table: &str,
    load: impl FnOnce(&mut Conn) -> Result<T, E>,
) -> Result<T, E> {
    let defs: Vec<(String, String)> = match conn.backend() {
        crate::db::Backend::Sqlite => conn.query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            &[Value::from(table)],
        )?,
        crate::db::Backend::Postgres => conn.query(
            // Indexes behind a constraint (primary key, UNIQUE column) can't be dropped alone.
            "SELECT i.indexname, i.indexdef FROM pg_indexes i
             WHERE i.tablename = ? AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            &[Value::from(table)],
        )?,
    }
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .collect::<DbResult<_>>()?;
    for (name, _) in &defs {
        conn.batch(&format!("DROP INDEX {name}"))?;
    }
    let out = load(conn)?;
    for (_, sql) in &defs {
        conn.batch(sql)?;
    }
    Ok(out)
}
