#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Office files of shequ: the .xlsx ledgers (台账) that staff open in WPS,
//! Excel and LibreOffice.
//!
//! Ledgers carry personal data, so every file states who exported it and when
//! (document properties), and no text from the data can ever turn into a
//! formula (see [`xlsx::looks_like_formula`]).

pub mod docx;
pub mod xlsx;

/// Why an office file could not be produced. Messages are shown to staff.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    #[error("工作簿至少要有一个工作表")]
    NoSheets,

    #[error("工作表「{sheet}」没有任何列")]
    NoColumns { sheet: String },

    #[error("工作表「{sheet}」有 {columns} 列，超过 Excel 的上限 {max} 列")]
    TooManyColumns {
        sheet: String,
        columns: usize,
        max: usize,
    },

    #[error("工作表「{sheet}」有 {rows} 条记录，超过 Excel 单个工作表能容纳的 {max} 条")]
    TooManyRows {
        sheet: String,
        rows: usize,
        max: usize,
    },

    #[error("工作表「{sheet}」第 {row} 条记录有 {cells} 个单元格，但表头只有 {columns} 列")]
    RowTooWide {
        sheet: String,
        row: usize,
        cells: usize,
        columns: usize,
    },

    #[error(
        "工作表「{sheet}」第 {row} 条记录「{column}」一栏文字过长（{len} 字），Excel 单元格最多 {max} 字"
    )]
    TextTooLong {
        sheet: String,
        row: usize,
        column: String,
        len: usize,
        max: usize,
    },

    #[error(
        "工作表「{sheet}」第 {row} 条记录「{column}」一栏的数值无效（{value}），Excel 无法保存"
    )]
    NotFinite {
        sheet: String,
        row: usize,
        column: String,
        value: f64,
    },

    #[error("导出时间 {0} 超出 Excel 能表示的范围（1900–9999 年）")]
    CreatedOutOfRange(String),

    #[error("生成 Excel 文件失败：{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),

    #[error("生成 Word 文件失败：{0}")]
    Docx(String),
}
