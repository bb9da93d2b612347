//! .docx documents (人民调解协议书, the 工作总结): a title, headings, paragraphs, tables,
//! charts and signature lines on A4, written as plain WordprocessingML so WPS, Word and
//! LibreOffice open them alike. An agreement is set in 宋体 (the offices' default) with 黑体
//! titles; a work summary in the look GB/T 9704 gives official documents (仿宋_GB2312 三号,
//! 黑体 headings, "— 1 —" page numbers outside). A machine without those fonts substitutes its
//! own CJK face.

mod chart;

use std::io::Write;

use zip::write::SimpleFileOptions;

pub use chart::{Chart, ChartKind};

use crate::OfficeError;
use crate::xlsx::FileMeta;

/// The typographic look of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// 宋体 小四, 1.5 lines, no page numbers: agreements and forms.
    Plain,
    /// GB/T 9704: 仿宋_GB2312 三号 on a 28-point line, 黑体 headings, page numbers.
    Official,
}

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
    /// A first-level heading ("一、事件处置"), 黑体, not indented.
    Heading(String),
    /// A place for the author's own words, highlighted so it is not printed unread.
    Placeholder(String),
    /// A centred line under a table or chart ("表1 主要指标").
    Caption(String),
    /// A chart drawn by the reader from its figures.
    Chart(Chart),
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

/// A block's XML; `chart` is the number the block's chart gets (its relationship), `indent`
/// the two-character first-line indent of the look (Word reads the characters, LibreOffice
/// and WPS the twips).
fn block_xml(b: &Block, chart: usize, indent: &str) -> String {
    match b {
        Block::Heading(t) => para(
            "<w:pStyle w:val=\"Heading1\"/><w:keepNext/>",
            &run(t, false, None),
        ),
        Block::Placeholder(t) => para(
            indent,
            &format!(
                "<w:r><w:rPr><w:highlight w:val=\"yellow\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
                esc(t)
            ),
        ),
        Block::Caption(t) => para(
            "<w:jc w:val=\"center\"/><w:keepNext/>",
            &run(t, true, Some(24)),
        ),
        Block::Chart(c) => chart::inline(chart, &c.title),
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
            .map(|line| para(indent, &run(line.trim(), false, None)))
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

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>"#;

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The styles of a look: the body's font, size and line, the title's and headings' face.
fn styles(look: Look) -> String {
    let (face, size, line, heading) = match look {
        // 宋体 小四 (12 pt) with 1.5 line spacing.
        Look::Plain => (
            "宋体",
            24,
            "<w:spacing w:line=\"360\" w:lineRule=\"auto\"/>",
            24,
        ),
        // 仿宋_GB2312 三号 (16 pt) on an exact 28-point line: 22 lines of 28 characters.
        Look::Official => (
            "仿宋_GB2312",
            32,
            "<w:spacing w:line=\"560\" w:lineRule=\"exact\"/>",
            32,
        ),
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="{face}" w:cs="Times New Roman"/><w:sz w:val="{size}"/><w:szCs w:val="{size}"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>{line}</w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:ind w:firstLineChars="200" w:firstLine="640"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体"/><w:sz w:val="{heading}"/><w:szCs w:val="{heading}"/></w:rPr></w:style></w:styles>"#
    )
}

/// A footer with the page number as GB/T 9704 sets it: "— 1 —" in 宋体 四号, one character
/// in from the outside edge (right on odd pages, left on even ones).
fn footer(align: &str) -> String {
    let rpr = "<w:rPr><w:rFonts w:ascii=\"宋体\" w:hAnsi=\"宋体\" w:eastAsia=\"宋体\"/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr>";
    let side = if align == "right" { "right" } else { "left" };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:pPr><w:jc w:val="{align}"/><w:ind w:{side}="280"/><w:spacing w:line="240" w:lineRule="auto"/></w:pPr><w:r>{rpr}<w:t xml:space="preserve">— </w:t></w:r><w:r>{rpr}<w:fldChar w:fldCharType="begin"/></w:r><w:r>{rpr}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r><w:r>{rpr}<w:t>1</w:t></w:r><w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r><w:r>{rpr}<w:t xml:space="preserve"> —</w:t></w:r></w:p></w:ftr>"#
    )
}

/// The .docx bytes of `blocks` in the agreements' look (see [`write_with`]).
pub fn write(blocks: &[Block], meta: &FileMeta) -> Result<Vec<u8>, OfficeError> {
    write_with(blocks, meta, Look::Plain)
}

/// The .docx bytes of `blocks` in `look`, with who made it and when in the document
/// properties; each chart becomes a chart part of its own.
pub fn write_with(blocks: &[Block], meta: &FileMeta, look: Look) -> Result<Vec<u8>, OfficeError> {
    let official = look == Look::Official;
    // Two characters of the body's size: 12 pt (240 twips each), 16 pt (320).
    let indent = if official {
        "<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/>"
    } else {
        "<w:ind w:firstLineChars=\"200\" w:firstLine=\"480\"/>"
    };
    let mut body = String::new();
    let mut charts: Vec<String> = Vec::new();
    for b in blocks {
        if let Block::Chart(c) = b {
            charts.push(chart::part(c));
        }
        body.push_str(&block_xml(b, charts.len(), indent));
    }
    // GB/T 9704: top 37 mm, bottom 35 mm, inside 28 mm, outside 26 mm.
    let (margins, footers) = if official {
        (
            r#"<w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="1304" w:gutter="0"/>"#,
            r#"<w:footerReference w:type="default" r:id="rIdFooterOdd"/><w:footerReference w:type="even" r:id="rIdFooterEven"/>"#,
        )
    } else {
        (
            r#"<w:pgMar w:top="1440" w:right="1531" w:bottom="1440" w:left="1531" w:header="851" w:footer="992" w:gutter="0"/>"#,
            "",
        )
    };
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="{REL}" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"><w:body>{body}<w:sectPr>{footers}<w:pgSz w:w="11906" w:h="16838"/>{margins}</w:sectPr></w:body></w:document>"#
    );
    let mut doc_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/styles" Target="styles.xml"/>"#
    );
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>"#,
    );
    let mut parts: Vec<(String, String)> = Vec::new();
    for (i, c) in charts.into_iter().enumerate() {
        let n = i + 1;
        doc_rels.push_str(&format!(
            r#"<Relationship Id="rIdChart{n}" Type="{REL}/chart" Target="charts/chart{n}.xml"/>"#
        ));
        types.push_str(&format!(
            r#"<Override PartName="/word/charts/chart{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>"#
        ));
        parts.push((format!("word/charts/chart{n}.xml"), c));
    }
    if official {
        for (id, name, align) in [
            ("rIdFooterOdd", "footer1.xml", "right"),
            ("rIdFooterEven", "footer2.xml", "left"),
        ] {
            doc_rels.push_str(&format!(
                r#"<Relationship Id="{id}" Type="{REL}/footer" Target="{name}"/>"#
            ));
            types.push_str(&format!(
                r#"<Override PartName="/word/{name}" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>"#
            ));
            parts.push((format!("word/{name}"), footer(align)));
        }
        doc_rels.push_str(&format!(
            r#"<Relationship Id="rIdSettings" Type="{REL}/settings" Target="settings.xml"/>"#
        ));
        types.push_str(r#"<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>"#);
        // Odd and even pages have their own footers (the number on the outside).
        parts.push((
            "word/settings.xml".into(),
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:evenAndOddHeaders/></w:settings>"#
                .into(),
        ));
    }
    doc_rels.push_str("</Relationships>");
    types.push_str("</Types>");
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
    let styles = styles(look);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let fixed = [
        ("[Content_Types].xml", types.as_str()),
        ("_rels/.rels", RELS),
        ("word/_rels/document.xml.rels", doc_rels.as_str()),
        ("word/document.xml", document.as_str()),
        ("word/styles.xml", styles.as_str()),
        ("docProps/core.xml", core.as_str()),
        ("docProps/app.xml", app.as_str()),
    ];
    for (name, content) in fixed
        .iter()
        .map(|(n, c)| (*n, *c))
        .chain(parts.iter().map(|(n, c)| (n.as_str(), c.as_str())))
    {
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
        let x = block_xml(&Block::Text("甲方<赔偿>\u{0001}&\"乙方\"".into()), 0, "");
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
