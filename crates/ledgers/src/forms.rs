//! 一表通 files: a street's form read from its .xlsx into a layout, and a copy (a community's,
//! or a street's sum with who has submitted) written back in the form's own layout.

use shequ_domain::forms::{Layout, Value};
use shequ_ingest::Limits;
use shequ_office::xlsx::{self, Cell, Column, FileMeta, FormSheet, Sheet};
use shequ_store::Actor;
use shequ_store::forms::{Copy, CopyKind};

/// The form in an uploaded .xlsx/.xls/.csv; the error is the message to show.
pub fn read_layout(bytes: &[u8], file_name: &str) -> Result<Layout, String> {
    let tables =
        shequ_ingest::read(bytes, file_name, &Limits::default()).map_err(|e| e.to_string())?;
    shequ_ingest::form::layout(&tables).map_err(|e| format!("{file_name}：{e}"))
}

/// Which cells a copy's file shows: a community's latest submission (or, before one, its
/// figures now), or the sum above.
fn shown(copy: &Copy) -> (Vec<Vec<Value>>, String) {
    let period = copy.form.period.map(|p| p.label()).unwrap_or_default();
    match &copy.kind {
        CopyKind::Community {
            submitted: Some((v, cells)),
            ..
        } => (
            cells.clone(),
            format!(
                "填报单位：{}　期间：{period}　第{}版，{} 报送（{}）",
                copy.node.name, v.version, v.submitted_by, v.submitted_at
            ),
        ),
        CopyKind::Community { live, .. } => (
            live.clone(),
            format!(
                "填报单位：{}　期间：{period}　未报送（按当前记录生成）",
                copy.node.name
            ),
        ),
        CopyKind::Sum { cells, communities } => {
            let done = communities.iter().filter(|c| c.latest.is_some()).count();
            (
                cells.clone(),
                format!(
                    "汇总单位：{}　期间：{period}　已报送 {done}/{} 个社区",
                    copy.node.name,
                    communities.len()
                ),
            )
        }
        CopyKind::Draft => (
            vec![vec![Value::Empty; copy.form.layout.columns()]; copy.form.layout.rows.len()],
            format!("{}　草稿（未下发）", copy.form.node_name),
        ),
    }
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Empty => Cell::Empty,
        Value::Figure {
            amount: shequ_domain::figures::Amount::Count { value },
        } => Cell::Int(*value),
        Value::Number { value } if value.fract() == 0.0 && value.abs() < 1e15 => {
            Cell::Int(*value as i64)
        }
        Value::Number { value } => Cell::Number(*value),
        other => Cell::Text(other.shown()),
    }
}

/// The copy as an .xlsx in the form's layout; a sum also lists its communities' submissions.
pub fn xlsx(copy: &Copy, actor: &Actor) -> Result<Vec<u8>, String> {
    let layout = &copy.form.layout;
    let (cells, note) = shown(copy);
    let rows = layout
        .rows
        .iter()
        .zip(&cells)
        .map(|(row, values)| {
            row.labels
                .iter()
                .map(|l| Cell::Text(l.clone()))
                .chain(values.iter().map(cell))
                .collect()
        })
        .collect();
    let form = FormSheet {
        name: "一表通".into(),
        title: layout.title.clone(),
        note: Some(note),
        heads: layout.heads.clone(),
        rows,
    };
    let mut after = Vec::new();
    if let CopyKind::Sum { communities, .. } = &copy.kind {
        let mut sheet = Sheet::new(
            "报送情况",
            format!("{}报送情况", layout.title),
            vec![
                Column::new("社区", 20.0),
                Column::new("状态", 10.0),
                Column::new("版本", 8.0),
                Column::new("报送人", 12.0),
                Column::new("报送时间", 26.0),
            ],
        );
        for c in communities {
            sheet.rows.push(match &c.latest {
                Some(v) => vec![
                    c.community_name.as_str().into(),
                    "已报送".into(),
                    v.version.into(),
                    v.submitted_by.as_str().into(),
                    v.submitted_at.as_str().into(),
                ],
                None => vec![c.community_name.as_str().into(), "未报送".into()],
            });
        }
        after.push(sheet);
    }
    let created = shequ_store::clock::now_fixed();
    let who = format!("{}（{}）", actor.display_name, actor.role.label());
    let meta = FileMeta {
        title: layout.title.clone(),
        comment: format!("导出：{who} {}", created.format("%Y-%m-%d %H:%M:%S %:z")),
        author: who,
        created,
        company: "社区工作台".into(),
    };
    xlsx::write_form(&form, &after, &meta).map_err(|e| e.to_string())
}
