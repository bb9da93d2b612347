//! Opening a spreadsheet an office uploaded, which nobody has checked: it may be renamed, a
//! program, a zip bomb, a sheet with one cell at XFD1048576, or simply broken. Every path
//! ends in `Ok(tables)` or a `ReadError` whose message tells the office what to do; nothing
//! here is allowed to panic or to allocate in proportion to what a file merely claims.
//!
//! The format is decided by the bytes, never by the name (offices rename .xls to .xlsx).
//! Zip containers are measured before calamine opens them; xlsx sheets are streamed cell by
//! cell so a far reference costs nothing; xls workbooks are scanned record by record before
//! calamine builds its grids, because calamine sizes those grids from positions in the file.

mod archive;
mod delimited;
mod merges;
mod sheet;
mod sniff;
mod xls;
mod xlsx;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::table::Table;

/// Bounds on what one upload may cost. `Default` gives the values the product uses; tests
/// lower them to stay fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the uploaded file itself (50 MB).
    pub max_file_bytes: usize,
    /// Entries in an xlsx zip container (1000).
    pub max_zip_entries: usize,
    /// Uncompressed size of all entries together, declared and real (500 MB).
    pub max_uncompressed_bytes: u64,
    /// Uncompressed : compressed size of one entry, for entries over 1 MB (200:1).
    pub max_ratio: u64,
    /// Rows of one sheet (200 000); a few title rows above that are tolerated.
    pub max_rows: u32,
    /// Columns of one sheet (256, column IV).
    pub max_cols: u32,
    /// Characters in one text cell (32 767, Excel's own limit).
    pub max_cell_chars: usize,
    /// Sheets in one workbook (100).
    pub max_sheets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 50 * 1024 * 1024,
            max_zip_entries: 1000,
            max_uncompressed_bytes: 500 * 1024 * 1024,
            max_ratio: 200,
            max_rows: 200_000,
            max_cols: 256,
            max_cell_chars: 32_767,
            max_sheets: 100,
        }
    }
}

/// What a refused file turned out to be, so the message can say it in the office's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LooksLike {
    Pdf,
    Image,
    /// A zip (or rar/7z/gz) that holds no Excel workbook.
    Archive,
    /// .docx or .doc.
    Word,
    /// Another Office document (PowerPoint, or an OLE file without a workbook).
    OfficeOther,
    /// Excel's binary workbook (.xlsb), which calamine could read but we do not accept.
    Xlsb,
    /// .ods and other OpenDocument files.
    OpenDocument,
    /// HTML or XML saved under an .xls name, as many government systems export.
    Markup,
    Unknown,
}

impl fmt::Display for LooksLike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LooksLike::Pdf => "这是一个 PDF 文档，不是表格文件",
            LooksLike::Image => "这是一张图片，不是表格文件",
            LooksLike::Archive => "这是一个压缩包，不是 Excel 表格",
            LooksLike::Word => "这是一个 Word 文档，不是 Excel 表格",
            LooksLike::OfficeOther => "这是一个 Office 文档，但不是 Excel 表格",
            LooksLike::Xlsb => "这是 Excel 二进制工作簿（.xlsb），系统不能直接读取",
            LooksLike::OpenDocument => "这是 OpenDocument 格式（.ods 等），系统不能直接读取",
            LooksLike::Markup => {
                "这是网页（HTML）或 XML 格式的文件，只是名字像 Excel 表格（常见于从其他系统导出的文件）"
            }
            LooksLike::Unknown => "无法识别这个文件的格式，它不像表格文件",
        })
    }
}

/// Why a file was not read. Every message names the file (and the sheet and cell when there
/// is one) and says what the office can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("文件“{file}”是空的（0 字节）。请确认选对了文件，在 Excel 中保存后再上传。")]
    Empty { file: String },

    #[error(
        "文件“{file}”有 {} MB，超过了 {} MB 的上限。请删去无关的工作表和图片，或把表格拆成几个文件后再上传。",
        megabytes(*.size as u64),
        megabytes(*.max as u64)
    )]
    TooLarge {
        file: String,
        size: usize,
        max: usize,
    },

    #[error(
        "文件“{file}”：这是一个 Windows 程序（.exe），不是表格文件，已拒绝。请上传 .xlsx、.xls 或 .csv 格式的表格。"
    )]
    Executable { file: String },

    #[error(
        "文件“{file}”：{looks_like}。请上传 .xlsx、.xls 或 .csv 格式的表格（可在 Excel 或 WPS 中用“另存为”保存成 .xlsx）。"
    )]
    NotASpreadsheet { file: String, looks_like: LooksLike },

    #[error(
        "文件“{file}”设置了打开密码，系统无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后再上传。"
    )]
    Encrypted { file: String },

    #[error(
        "文件“{file}”解压后异常巨大（疑似压缩炸弹），已拒绝（内部部件 {entry}）。如果这确实是正常的表格，请删去无关内容或拆成几个文件后再上传。"
    )]
    ZipBomb { file: String, entry: String },

    #[error(
        "文件“{file}”内部有 {count} 个部件，超过上限 {max} 个，不像正常的 Excel 表格，已拒绝。请在 Excel 中另存为新的 .xlsx 后再上传。"
    )]
    TooManyEntries {
        file: String,
        count: usize,
        max: usize,
    },

    #[error(
        "文件“{file}”工作表“{sheet}”的单元格 {cell} 超出可导入范围（最多 {max_rows} 行、{max_cols} 列）。请删除该单元格的内容（或把表格拆成几个文件）后再上传。"
    )]
    TooFar {
        file: String,
        sheet: String,
        cell: String,
        max_rows: u32,
        max_cols: u32,
    },

    #[error(
        "文件“{file}”有 {count} 个工作表，超过上限 {max} 个。请只保留需要导入的工作表后再上传。"
    )]
    TooManySheets {
        file: String,
        count: usize,
        max: usize,
    },

    #[error(
        "文件“{file}”工作表“{sheet}”的单元格 {cell} 有 {chars} 个字符，超过单元格上限 {max} 个。请检查该单元格是否误粘贴了大段内容。"
    )]
    CellTooLong {
        file: String,
        sheet: String,
        cell: String,
        chars: usize,
        max: usize,
    },

    #[error(
        "文件“{file}”已损坏或不是有效的 Excel 文件（{detail}）。请用 Excel 或 WPS 打开它，另存为 .xlsx 后再上传。"
    )]
    Corrupt { file: String, detail: String },

    #[error(
        "文件“{file}”的文字编码无法识别（既不是 UTF-8，也不是 GBK/GB18030）。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再上传。"
    )]
    BadEncoding { file: String },
}

impl ReadError {
    /// A stable identifier for logs, APIs and tests; the message may be reworded, this may not.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Empty { .. } => "empty",
            ReadError::TooLarge { .. } => "too_large",
            ReadError::Executable { .. } => "executable",
            ReadError::NotASpreadsheet { .. } => "not_a_spreadsheet",
            ReadError::Encrypted { .. } => "encrypted",
            ReadError::ZipBomb { .. } => "zip_bomb",
            ReadError::TooManyEntries { .. } => "too_many_entries",
            ReadError::TooFar { .. } => "too_far",
            ReadError::TooManySheets { .. } => "too_many_sheets",
            ReadError::CellTooLong { .. } => "cell_too_long",
            ReadError::Corrupt { .. } => "corrupt",
            ReadError::BadEncoding { .. } => "bad_encoding",
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

pub(crate) fn corrupt(file: &str, detail: impl Into<String>) -> ReadError {
    ReadError::Corrupt {
        file: file.to_owned(),
        detail: detail.into(),
    }
}

/// Reads an uploaded .xlsx, .xls or .csv into one `Table` per sheet, in workbook order
/// (hidden sheets included). `file_name` is only used for messages and, for CSV, as the
/// sheet name; the format is decided by the content.
pub fn read(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Vec<Table>, ReadError> {
    let file = base_name(file_name);
    if bytes.is_empty() {
        return Err(ReadError::Empty { file: file.into() });
    }
    if bytes.len() > limits.max_file_bytes {
        return Err(ReadError::TooLarge {
            file: file.into(),
            size: bytes.len(),
            max: limits.max_file_bytes,
        });
    }
    // The parsers below come from other crates and index into untrusted bytes; a panic in one
    // of them must reach the office as "damaged file", not take the request (or the server)
    // down.
    match catch_unwind(AssertUnwindSafe(|| read_sniffed(bytes, file, limits))) {
        Ok(result) => result,
        Err(_) => Err(corrupt(file, "文件内部结构异常，解析中止")),
    }
}

fn read_sniffed(bytes: &[u8], file: &str, limits: &Limits) -> Result<Vec<Table>, ReadError> {
    match sniff::sniff(bytes, file) {
        sniff::Format::Zip => {
            let merges = archive::check(bytes, file, limits)?;
            xlsx::read(bytes, file, limits, merges)
        }
        sniff::Format::Ole => xls::read(bytes, file, limits),
        sniff::Format::Text => delimited::read(bytes, file, limits),
        sniff::Format::Executable => Err(ReadError::Executable { file: file.into() }),
        sniff::Format::Other(looks_like) => Err(ReadError::NotASpreadsheet {
            file: file.into(),
            looks_like,
        }),
    }
}

/// Browsers and some clients send "C:\fakepath\花名册.xlsx"; the office knows the file by its
/// last component.
fn base_name(file_name: &str) -> &str {
    file_name
        .rsplit(['/', '\\'])
        .next()
        .filter(|name| !name.is_empty())
        .unwrap_or(file_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_name_strips_client_paths() {
        assert_eq!(base_name("C:\\fakepath\\花名册.xlsx"), "花名册.xlsx");
        assert_eq!(base_name("/tmp/a.csv"), "a.csv");
        assert_eq!(base_name("a.csv"), "a.csv");
        assert_eq!(base_name("dir/"), "dir/");
    }

    #[test]
    fn messages_are_chinese_and_name_the_file() {
        let e = ReadError::TooLarge {
            file: "a.xlsx".into(),
            size: 60 * 1024 * 1024,
            max: 50 * 1024 * 1024,
        };
        assert_eq!(e.code(), "too_large");
        let text = e.to_string();
        assert!(text.contains("a.xlsx") && text.contains("60.0 MB") && text.contains("50.0 MB"));
    }
}
