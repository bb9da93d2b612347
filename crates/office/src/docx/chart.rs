//! Charts in a .docx as Word's own chart parts (DrawingML `c:chartSpace`), not pictures: the
//! figures travel with the chart, Word and WPS let the author restyle it, LibreOffice draws it
//! from the cached values, and nothing needs a font or an image library on the server.

use super::esc;

/// A column chart (categories along the bottom) or a line chart (months along the bottom).
#[derive(Debug, Clone, PartialEq)]
pub enum ChartKind {
    Column,
    Line,
}

/// One chart: a title, its categories, and one or more series of values over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    pub categories: Vec<String>,
    /// (name, one value per category).
    pub series: Vec<(String, Vec<f64>)>,
}

/// Series colours: blue, orange, grey, gold (Office's first four).
const COLOURS: [&str; 4] = ["4472C4", "ED7D31", "A5A5A5", "FFC000"];

/// A spreadsheet column's letters for the cached references (B, C, … AA).
fn column(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(char::from(b'A' + r as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

fn number(v: f64) -> String {
    if v.is_finite() {
        // Whole numbers without a decimal point; rates to one place.
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    } else {
        "0".into()
    }
}

/// The chart part (`word/charts/chartN.xml`).
pub(super) fn part(c: &Chart) -> String {
    let n = c.categories.len();
    let last = n + 1;
    let cats: String = c
        .categories
        .iter()
        .enumerate()
        .map(|(i, t)| format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", esc(t)))
        .collect();
    let mut series = String::new();
    for (k, (name, values)) in c.series.iter().enumerate() {
        let col = column(k + 1);
        let colour = COLOURS[k % COLOURS.len()];
        let vals: String = values
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, v)| format!("<c:pt idx=\"{i}\"><c:v>{}</c:v></c:pt>", number(*v)))
            .collect();
        let look = match c.kind {
            ChartKind::Column => format!(
                "<c:spPr><a:solidFill><a:srgbClr val=\"{colour}\"/></a:solidFill></c:spPr><c:invertIfNegative val=\"0\"/>"
            ),
            ChartKind::Line => format!(
                "<c:spPr><a:ln w=\"28575\"><a:solidFill><a:srgbClr val=\"{colour}\"/></a:solidFill></a:ln></c:spPr><c:marker><c:symbol val=\"circle\"/><c:size val=\"5\"/></c:marker>"
            ),
        };
        series.push_str(&format!(
            "<c:ser><c:idx val=\"{k}\"/><c:order val=\"{k}\"/>\
             <c:tx><c:strRef><c:f>Sheet1!${col}$1</c:f><c:strCache><c:ptCount val=\"1\"/><c:pt idx=\"0\"><c:v>{}</c:v></c:pt></c:strCache></c:strRef></c:tx>\
             {look}\
             <c:dLbls><c:showLegendKey val=\"0\"/><c:showVal val=\"1\"/><c:showCatName val=\"0\"/><c:showSerName val=\"0\"/><c:showPercent val=\"0\"/><c:showBubbleSize val=\"0\"/></c:dLbls>\
             <c:cat><c:strRef><c:f>Sheet1!$A$2:$A${last}</c:f><c:strCache><c:ptCount val=\"{n}\"/>{cats}</c:strCache></c:strRef></c:cat>\
             <c:val><c:numRef><c:f>Sheet1!${col}$2:${col}${last}</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val=\"{n}\"/>{vals}</c:numCache></c:numRef></c:val>\
             {smooth}</c:ser>",
            esc(name),
            smooth = if c.kind == ChartKind::Line {
                "<c:smooth val=\"0\"/>"
            } else {
                ""
            },
        ));
    }
    let plot = match c.kind {
        ChartKind::Column => format!(
            "<c:barChart><c:barDir val=\"col\"/><c:grouping val=\"clustered\"/><c:varyColors val=\"0\"/>{series}<c:gapWidth val=\"80\"/><c:axId val=\"5001\"/><c:axId val=\"5002\"/></c:barChart>"
        ),
        ChartKind::Line => format!(
            "<c:lineChart><c:grouping val=\"standard\"/><c:varyColors val=\"0\"/>{series}<c:marker val=\"1\"/><c:axId val=\"5001\"/><c:axId val=\"5002\"/></c:lineChart>"
        ),
    };
    let legend = if c.series.len() > 1 {
        "<c:legend><c:legendPos val=\"b\"/><c:overlay val=\"0\"/></c:legend>"
    } else {
        ""
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><c:roundedCorners val="0"/><c:chart><c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1200" b="1"/></a:pPr><a:r><a:rPr lang="zh-CN" sz="1200" b="1"><a:latin typeface="黑体"/><a:ea typeface="黑体"/></a:rPr><a:t>{title}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>{plot}<c:catAx><c:axId val="5001"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="5002"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx><c:valAx><c:axId val="5002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/><c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="D9D9D9"/></a:solidFill></a:ln></c:spPr></c:majorGridlines><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="5001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx></c:plotArea>{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart><c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="900"><a:latin typeface="宋体"/><a:ea typeface="宋体"/></a:defRPr></a:pPr><a:endParaRPr lang="zh-CN"/></a:p></c:txPr></c:chartSpace>"#,
        title = esc(&c.title),
    )
}

/// The paragraph placing chart `n` (relationship `rIdChart{n}`) in the text, centred, 15 × 8 cm.
pub(super) fn inline(n: usize, title: &str) -> String {
    format!(
        "<w:p><w:pPr><w:jc w:val=\"center\"/><w:spacing w:before=\"120\" w:after=\"120\" w:line=\"240\" w:lineRule=\"auto\"/><w:ind w:firstLineChars=\"0\" w:firstLine=\"0\"/></w:pPr><w:r><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"5400000\" cy=\"2880000\"/><wp:effectExtent l=\"0\" t=\"0\" r=\"0\" b=\"0\"/><wp:docPr id=\"{n}\" name=\"图表 {n}\" descr=\"{}\"/><wp:cNvGraphicFramePr/><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/chart\"><c:chart r:id=\"rIdChart{n}\"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>",
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_a_spreadsheet_does() {
        assert_eq!(column(0), "A");
        assert_eq!(column(1), "B");
        assert_eq!(column(25), "Z");
        assert_eq!(column(26), "AA");
    }

    #[test]
    fn the_values_and_names_are_cached_in_the_part() {
        let x = part(&Chart {
            title: "事件<类别>".into(),
            kind: ChartKind::Column,
            categories: vec!["市容环境".into(), "安全隐患".into()],
            series: vec![("件数".into(), vec![35.0, 12.5])],
        });
        assert!(
            x.contains("<c:v>市容环境</c:v>") && x.contains("<c:v>35</c:v>"),
            "{x}"
        );
        assert!(
            x.contains("<c:v>12.5</c:v>") && x.contains("事件&lt;类别&gt;"),
            "{x}"
        );
        assert!(x.contains("Sheet1!$B$2:$B$3"), "{x}");
    }
}
