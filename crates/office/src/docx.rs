//! .docx documents (人民调解协议书 and, later, the work summary): a title, paragraphs, tables
//! and signature lines on A4, written as plain WordprocessingML so WPS, Word and LibreOffice
//! open them alike. Chinese text is set in 宋体 (the offices' default) with 黑体 titles; a
//! machine without those fonts substitutes its own CJK face.

use std::io::Write;

use zip::write::SimpleFileOptions;

use crate::OfficeError;
use crate::xlsx::FileMeta;

/// One piece of a document, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Centred, large, bold.
    Title(String),
    /// Right-aligned small line under the title (编号).
    Reference(String),
    /// A bold lead-in followed by text on the same line ("纠纷主要事实：" …).
    Labelled(String, String),
    /// A paragraph, first line indented two characters; line breaks start new paragraphs.
    Text(String),
    /// A table with a header row; every cell is text.
    Table(Vec<String>, Vec<Vec<String>>),
    /// Right-aligned line (the committee, the date).
    Right(String),
    /// Empty space.
    Gap,
}

/// Characters XML 1.0 cannot carry are dropped (a pasted control character must not make the
/// file unreadable); the rest is escaped.
/// A run's tab and line feed become spaces (Word would ignore them) and its carriage return goes.
fn esc(s: &str) -> String {
    let flat: String = s
        .chars()
        .filter(|&c| c != '\r')
        .map(|c| if matches!(c, '\t' | '\n') { ' ' } else { c })
        .collect();
    shequ_text::xml_escape(&flat)
}

fn run(text: &str, bold: bool, size_half_points: Option<u32>) -> String {
    let mut props = String::new();
    if bold {
        props.push_str("<w:b/>");
    }
    if let Some(sz) = size_half_points {
        props.push_str(&format!("<w:sz w:val=\"{sz}\"/><w:szCs w:val=\"{sz}\"/>"));
    }
    let rpr = if props.is_empty() {
        String::new()
    } else {
        format!("<w:rPr>{props}</w:rPr>")
    };
    format!(
        "<w:r>{rpr}<w:t xml:space=\"preserve\">{}</w:t></w:r>",
        esc(text)
    )
}

fn para(ppr: &str, runs: &str) -> String {
    format!("<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>")
}

/// The text width of A4 between the margins `write` sets (11906 − 2 × 1531 twips).
const TEXT_WIDTH: usize = 11906 - 2 * 1531;
/// Cell margin left and right, in twips (Word's default, written out so every reader agrees).
const CELL_MARGIN: usize = 108;

/// How wide `t` prints in a table cell (10.5 pt), in twips: a CJK character is an em (210),
/// a Latin letter or digit at most about half of one.
fn text_twips(t: &str) -> usize {
    t.chars()
        .map(|c| if c.is_ascii() { 110 } else { 210 })
        .sum()
}

/// Column widths in twips, summing to the text width. A header never wraps, nor does an
/// unbreakable run such as an ID number or a phone (`min`); what room is left goes to the
/// columns whose longest cell would otherwise wrap (an address), in proportion to what they
/// lack; if everything fits on one line, the spare room is spread over all columns.
fn column_widths(head: &[String], rows: &[Vec<String>], cols: usize) -> Vec<usize> {
    let pad = 2 * CELL_MARGIN + 40;
    let cells = |i: usize| {
        std::iter::once(head)
            .chain(rows.iter().map(Vec::as_slice))
            .filter_map(move |r| r.get(i))
    };
    let min: Vec<usize> = (0..cols)
        .map(|i| {
            let header = head.get(i).map_or(0, |h| text_twips(h));
            let runs = cells(i)
                .flat_map(|t| {
                    t.split(|c: char| !c.is_ascii_alphanumeric())
                        .map(text_twips)
                        .collect::<Vec<_>>()
                })
                .max()
                .unwrap_or(0);
            header.max(runs).max(210) + pad
        })
        .collect();
    let natural: Vec<usize> = (0..cols)
        .map(|i| {
            (cells(i).map(|t| text_twips(t)).max().unwrap_or(0) + pad)
                .max(min[i])
                .min(TEXT_WIDTH)
        })
        .collect();
    let sum = |v: &[usize]| v.iter().sum::<usize>().max(1);
    let (base, extra): (Vec<usize>, Vec<usize>) = if sum(&natural) <= TEXT_WIDTH {
        (natural.clone(), natural.clone())
    } else if sum(&min) <= TEXT_WIDTH {
        (
            min.clone(),
            natural.iter().zip(&min).map(|(n, m)| n - m).collect(),
        )
    } else {
        // Too many columns for the page: shrink all alike; nothing better exists.
        (vec![0; cols], min.clone())
    };
    let spare = TEXT_WIDTH.saturating_sub(base.iter().sum());
    let weight = sum(&extra);
    base.iter()
        .zip(&extra)
        .map(|(b, e)| b + spare * e / weight)
        .collect()
}

fn block_xml(b: &Block) -> String {
    match b {
        Block::Title(t) => para(
            "<w:pStyle w:val=\"Title\"/><w:jc w:val=\"center\"/><w:spacing w:after=\"240\"/>",
            &run(t, true, Some(44)),
        ),
        Block::Reference(t) => para("<w:jc w:val=\"right\"/>", &run(t, false, None)),
        Block::Labelled(label, text) => para(
            "<w:spacing w:before=\"120\"/>",
            &format!("{}{}", run(label, true, None), run(text, false, None)),
        ),
        Block::Text(t) => t
            .split('\n')
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                para(
                    "<w:ind w:firstLineChars=\"200\"/>",
                    &run(line.trim(), false, None),
                )
            })
            .collect(),
        Block::Right(t) => para("<w:jc w:val=\"right\"/>", &run(t, false, None)),
        Block::Gap => para("", ""),
        Block::Table(head, rows) => {
            let cols = head.len().max(1);
            let widths = column_widths(head, rows, cols);
            let cell = |i: usize, t: &str, bold: bool| {
                format!(
                    "<w:tc><w:tcPr><w:tcW w:w=\"{}\" w:type=\"dxa\"/></w:tcPr>{}</w:tc>",
                    widths[i],
                    para("", &run(t, bold, Some(21)))
                )
            };
            let row = |cells: &[String], bold: bool| {
                let mut r = String::from("<w:tr>");
                for i in 0..cols {
                    r.push_str(&cell(i, cells.get(i).map_or("", String::as_str), bold));
                }
                r.push_str("</w:tr>");
                r
            };
            let border = |side: &str| {
                format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>")
            };
            let mut x = format!(
                "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_WIDTH}\" w:type=\"dxa\"/><w:tblBorders>{}{}{}{}{}{}</w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"{CELL_MARGIN}\" w:type=\"dxa\"/><w:right w:w=\"{CELL_MARGIN}\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>",
                border("top"),
                border("left"),
                border("bottom"),
                border("right"),
                border("insideH"),
                border("insideV")
            );
            for w in &widths {
                x.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
            }
            x.push_str("</w:tblGrid>");
            x.push_str(&row(head, true));
            for r in rows {
                x.push_str(&row(r, false));
            }
            x.push_str("</w:tbl>");
            x
        }
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// 宋体 小四 (12 pt) body with 1.5 line spacing, 黑体 for the title: what offices print.
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="宋体" w:cs="Times New Roman"/><w:sz w:val="24"/><w:szCs w:val="24"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:line="360" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体"/></w:rPr></w:style></w:styles>"#;

/// The .docx bytes of `blocks`, with who made it and when in the document properties.
pub fn write(blocks: &[Block], meta: &FileMeta) -> Result<Vec<u8>, OfficeError> {
    let body: String = blocks.iter().map(block_xml).collect();
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1531" w:bottom="1440" w:left="1531" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#
    );
    let when = meta
        .created
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let core = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:creator>{}</dc:creator><cp:lastModifiedBy>{}</cp:lastModifiedBy><dc:description>{}</dc:description><dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>"#,
        esc(&meta.title),
        esc(&meta.author),
        esc(&meta.author),
        esc(&meta.comment)
    );
    let app = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>shequ</Application><Company>{}</Company></Properties>"#,
        esc(&meta.company)
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/_rels/document.xml.rels", DOC_RELS),
        ("word/document.xml", document.as_str()),
        ("word/styles.xml", STYLES),
        ("docProps/core.xml", core.as_str()),
        ("docProps/app.xml", app.as_str()),
    ] {
        zip.start_file(name, options)
            .map_err(|e| OfficeError::Docx(e.to_string()))?;
        zip.write_all(content.as_bytes())
            .map_err(|e| OfficeError::Docx(e.to_string()))?;
    }
    let cursor = zip.finish().map_err(|e| OfficeError::Docx(e.to_string()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_would_break_the_xml_is_escaped_or_dropped() {
        let x = block_xml(&Block::Text("甲方<赔偿>\u{0001}&\"乙方\"".into()));
        assert!(x.contains("甲方&lt;赔偿&gt;&amp;&quot;乙方&quot;"), "{x}");
        assert!(!x.contains('\u{0001}'));
    }

    #[test]
    fn headers_and_numbers_get_room_for_one_line_and_the_rest_goes_to_long_text() {
        let head: Vec<String> = [
            "当事人",
            "姓名（名称）",
            "性别",
            "身份证号码",
            "住址",
            "联系电话",
        ]
        .map(String::from)
        .to_vec();
        let row: Vec<String> = [
            "被申请人",
            "赵某某",
            "男",
            "110105198001010032",
            "凤凰街道某小区6幢602室东侧楼梯间旁边的储藏室",
            "13900001111",
        ]
        .map(String::from)
        .to_vec();
        let w = column_widths(&head, std::slice::from_ref(&row), head.len());
        let total: usize = w.iter().sum();
        assert!(
            total <= TEXT_WIDTH && total + head.len() >= TEXT_WIDTH,
            "{w:?}"
        );
        for (i, h) in head.iter().enumerate() {
            assert!(w[i] >= text_twips(h) + 2 * CELL_MARGIN, "{h} wraps: {w:?}");
        }
        assert!(w[3] >= text_twips(&row[3]) + 2 * CELL_MARGIN, "{w:?}");
        assert!(w[5] >= text_twips(&row[5]) + 2 * CELL_MARGIN, "{w:?}");
        assert!(
            w[4] > w[2] && w[4] > w[0],
            "the address takes the room: {w:?}"
        );
    }
}
