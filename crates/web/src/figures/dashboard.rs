//! 数据驾驶舱: a node's key figures of a period with their change, month-by-month trends, the
//! kinds of 事件, its places side by side (grids of a community, communities of a street) and
//! what is overdue now; every figure opens the records behind it. Charts are drawn by Chart.js
//! served from the binary (no network needed); the same figures are on the page as text.
//! Places and periods are compared, never people (国办函〔2026〕12号).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use serde::Serialize;
use shequ_domain::figures::{Amount, Change, Period};
use shequ_store::access::scope::RecordKind;
use shequ_store::indicators::catalogue::{self, Compared};
use shequ_store::registry::tree::{self, Node};

use shequ_ledgers::summary::number;

use super::{Choice, asked_period, choices};
use crate::access::{Need, Routes, Target, rule};
use crate::error::AppError;
use crate::extract::{Path, Query};
use crate::pages::{Layout, PageResult, render};
use crate::state::AppState;

pub fn pages() -> Routes {
    let node = |need| rule(need, Target::Record(RecordKind::Node));
    Routes::new()
        .get("/nodes/{id}/dashboard", node(Need::ViewArea), page)
        .get(
            "/nodes/{id}/figures/{code}/records",
            node(Need::ViewArea),
            records_page,
        )
}

/// The key figures, in the order the cards show them.
const KEY: &[&str] = &[
    "people.total",
    "households.total",
    "people.floating",
    "visits.total",
    "tickets.reported",
    "tickets.resolution_rate",
    "tickets.satisfaction_rate",
    "tickets.on_time_rate",
    "patrols.total",
    "disputes.found",
    "cases.received",
    "cases.success_rate",
];

/// What each place is compared by.
const BY_PLACE: &[&str] = &[
    "people.total",
    "visits.total",
    "tickets.reported",
    "tickets.resolution_rate",
];

/// The trends drawn month by month.
const MONTHLY: &[&str] = &["tickets.reported", "visits.total"];

/// A figure as a card shows it: "213件", "90.5%（181/200）", "—" over nothing.
fn shown(a: &Amount, unit: &str) -> String {
    match *a {
        Amount::Count { value } => format!("{value}{unit}"),
        Amount::Rate {
            numerator,
            denominator,
            percent,
        } => match percent {
            Some(p) => format!("{}%（{numerator}/{denominator}）", number(p)),
            None => "—".into(),
        },
        Amount::Mean { value, .. } => {
            value.map_or("—".into(), |v| format!("{}{unit}", number(v)))
        }
    }
}

/// "同比 +12.5%（上年同期 190件）", "环比 +3个百分点（上期 80%）".
fn change(label: &str, c: &Change, unit: &str) -> String {
    let then = shown(&c.previous, unit);
    match (c.previous, c.difference, c.percent) {
        (Amount::Rate { .. }, Some(d), _) => format!("{label} {d:+}个百分点（{then}）"),
        (_, _, Some(p)) => format!("{label} {p:+}%（{then}）"),
        (_, Some(d), None) => format!("{label} {}{unit}（{then}）", number(d)),
        _ => format!("{label} —（{then}）"),
    }
}

struct Card {
    /// The code with its dots as dashes, for the element's id.
    dom: String,
    name: &'static str,
    value: String,
    year: String,
    previous: String,
    /// The records behind it (a rate: its numerator's).
    link: Option<String>,
}

/// A chart: drawn by dashboard.js from `json`; `rows` repeat it as text.
struct ChartView {
    canvas: String,
    title: String,
    json: String,
    rows: Vec<(String, String)>,
}

#[derive(Serialize)]
struct ChartSpec<'a> {
    canvas: &'a str,
    kind: &'a str,
    labels: Vec<String>,
    series: Vec<Series>,
    horizontal: bool,
    links: Vec<Option<String>>,
}

#[derive(Serialize)]
struct Series {
    name: String,
    values: Vec<f64>,
}

fn chart(
    canvas: &str,
    title: String,
    kind: &str,
    labels: Vec<String>,
    series: Vec<Series>,
    links: Vec<Option<String>>,
) -> ChartView {
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let values: Vec<String> = series
                .iter()
                .map(|s| s.values.get(i).map_or("—".into(), |v| number(*v)))
                .collect();
            (l.clone(), values.join(" / "))
        })
        .collect();
    let spec = ChartSpec {
        canvas,
        kind,
        horizontal: kind == "hbar",
        labels,
        series,
        links,
    };
    // Inside a <script> element: a "</" in a name must not end it.
    let json = serde_json::to_string(&spec)
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/");
    ChartView {
        canvas: canvas.to_string(),
        title,
        json,
        rows,
    }
}

/// One place of the node, compared with its siblings.
struct PlaceRow {
    id: i64,
    name: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "figures/dashboard.html")]
struct DashboardPage {
    l: Layout,
    node: Node,
    period: String,
    period_label: String,
    choices: Vec<Choice>,
    cards: Vec<Card>,
    charts: Vec<ChartView>,
    place_heads: Vec<&'static str>,
    places: Vec<PlaceRow>,
    overdue_tickets: i64,
    overdue_cases: String,
    error: Option<String>,
}

fn find<'a>(list: &'a [Compared], code: &str) -> Option<&'a Compared> {
    list.iter().find(|c| c.code == code)
}

/// The records page of a figure, or of a rate's numerator.
fn records_link(node: i64, code: &str, period: &Period) -> Option<String> {
    let i = catalogue::find(code)?;
    let code = match i.measure {
        catalogue::Measure::Rate { numerator, .. } => numerator,
        catalogue::Measure::Monthly { .. } => return None,
        _ => i.code,
    };
    Some(format!(
        "/nodes/{node}/figures/{code}/records?period={}",
        crate::auth::url_encode(&period.to_string())
    ))
}

async fn page(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let (period, error) = super::period_or_default(&q);
    let actor = user.actor.clone();
    let data = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let mut codes: Vec<&str> = KEY.to_vec();
            codes.extend(
                catalogue::all()
                    .map(|(_, i)| i.code)
                    .filter(|k| k.starts_with("tickets.category.")),
            );
            let figures = catalogue::figures(c, &actor, id, &period, &codes)?;
            let mut months = Vec::new();
            for m in super::months_of(&period) {
                let f = catalogue::compute(c, &actor, &node, &m, MONTHLY)?;
                months.push((m, f));
            }
            let mut places = Vec::new();
            for child in tree::children(c, &actor, id, false)? {
                let kind = child.node.kind.as_str();
                if !matches!(kind, "street" | "community" | "grid") {
                    continue;
                }
                let f = catalogue::compute(c, &actor, &child.node, &period, BY_PLACE)?;
                places.push((child.node, f));
            }
            let overdue = shequ_store::tickets::count(
                c,
                &actor,
                id,
                &crate::tickets::pages::tab_filter("overdue"),
            )?;
            Ok((node, figures, months, places, overdue))
        })
        .await?;
    let (node, figures, months, places, overdue_tickets) = data;
    let list = &figures.figures;
    let cards = KEY
        .iter()
        .filter_map(|code| find(list, code))
        .map(|c| {
            let unit = c.unit.label();
            Card {
                dom: c.code.replace('.', "-"),
                name: c.name,
                value: shown(&c.amount, unit),
                year: change("同比", &c.year_ago, unit),
                previous: c
                    .previous
                    .as_ref()
                    .map_or_else(String::new, |p| change("环比", p, unit)),
                link: records_link(node.id, c.code, &period),
            }
        })
        .collect();
    let mut charts = Vec::new();
    if !months.is_empty() {
        let labels: Vec<String> = months
            .iter()
            .map(|(m, _)| {
                use chrono::Datelike;
                if m.last() > shequ_store::today() {
                    format!("{}月（至今）", m.first().month())
                } else {
                    format!("{}月", m.first().month())
                }
            })
            .collect();
        let series = MONTHLY
            .iter()
            .filter_map(|code| {
                let name = catalogue::find(code)?.name.to_string();
                let values = months
                    .iter()
                    .map(|(_, f)| {
                        f.iter()
                            .find(|x| x.code == *code)
                            .and_then(|x| x.amount.shown())
                            .unwrap_or(0.0)
                    })
                    .collect();
                Some(Series { name, values })
            })
            .collect();
        charts.push(chart(
            "chart-months",
            format!("{}逐月变化", figures.label),
            "line",
            labels,
            series,
            Vec::new(),
        ));
    }
    let mut kinds: Vec<&Compared> = list
        .iter()
        .filter(|c| c.code.starts_with("tickets.category."))
        .filter(|c| matches!(c.amount, Amount::Count { value } if value > 0))
        .collect();
    kinds.sort_by_key(|c| std::cmp::Reverse(c.amount.shown().unwrap_or(0.0) as i64));
    if !kinds.is_empty() {
        charts.push(chart(
            "chart-kinds",
            "事件按大类".into(),
            "hbar",
            kinds.iter().map(|c| c.name.to_string()).collect(),
            vec![Series {
                name: "件数".into(),
                values: kinds
                    .iter()
                    .map(|c| c.amount.shown().unwrap_or(0.0))
                    .collect(),
            }],
            kinds
                .iter()
                .map(|c| records_link(node.id, c.code, &period))
                .collect(),
        ));
    }
    let place_rows: Vec<PlaceRow> = places
        .iter()
        .map(|(n, f)| PlaceRow {
            id: n.id,
            name: n.name.clone(),
            cells: BY_PLACE
                .iter()
                .map(|code| {
                    f.iter()
                        .find(|x| x.code == *code)
                        .map_or("—".into(), |x| shown(&x.amount, x.unit.label()))
                })
                .collect(),
        })
        .collect();
    if !places.is_empty() {
        charts.push(chart(
            "chart-places",
            "各地发现上报事件".into(),
            "bar",
            places.iter().map(|(n, _)| n.name.clone()).collect(),
            vec![Series {
                name: "发现上报事件".into(),
                values: places
                    .iter()
                    .map(|(_, f)| {
                        f.iter()
                            .find(|x| x.code == "tickets.reported")
                            .and_then(|x| x.amount.shown())
                            .unwrap_or(0.0)
                    })
                    .collect(),
            }],
            places
                .iter()
                .map(|(n, _)| Some(format!("/nodes/{}/dashboard?period={}", n.id, period)))
                .collect(),
        ));
    }
    let overdue_cases =
        find(list, "cases.overdue").map_or("—".into(), |c| shown(&c.amount, c.unit.label()));
    let mut l = Layout::new(format!("{} 数据驾驶舱", node.name), &user);
    l.crumbs = vec![(node.name.clone(), format!("/nodes/{}", node.id))];
    let page = DashboardPage {
        l,
        period: period.to_string(),
        period_label: figures.label.clone(),
        choices: choices(shequ_store::today()),
        cards,
        charts,
        place_heads: BY_PLACE
            .iter()
            .filter_map(|c| catalogue::find(c).map(|i| i.name))
            .collect(),
        places: place_rows,
        overdue_tickets,
        overdue_cases,
        node,
        error: error.clone(),
    };
    super::render_period_page(&page, error.is_some())
}

/// One record behind a figure, as the list shows it.
struct RecordRow {
    text: String,
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "figures/records.html")]
struct RecordsPage {
    l: Layout,
    node: Node,
    name: String,
    period_label: String,
    total: usize,
    rows: Vec<RecordRow>,
}

/// Shown on one page; the rest are counted, and the ledger has them all.
const SHOWN: usize = 500;

async fn records_page(
    State(st): State<AppState>,
    user: crate::auth::PageUser,
    Path((id, code)): Path<(i64, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let period = asked_period(&q).map_err(|e| crate::pages::PageError(AppError::from(e)))?;
    let actor = user.actor.clone();
    let (node, found, labels) = st
        .db(move |c| {
            let node = tree::get(c, &actor, id)?;
            let found = catalogue::records(c, &actor, &node, &period, &code)?.ok_or_else(|| {
                shequ_store::StoreError::invalid(
                    "指标",
                    format!("“{code}”是比率或网格·月数，没有自己的明细：请查看它的分子或分母"),
                )
            })?;
            let shown: Vec<i64> = found.ids.iter().take(SHOWN).copied().collect();
            let labels = catalogue::labels(c, &actor, found.shows, &shown)?;
            Ok((node, found, labels))
        })
        .await?;
    let rows = found
        .ids
        .iter()
        .take(SHOWN)
        .map(|id| RecordRow {
            text: labels.get(id).cloned().unwrap_or_else(|| format!("#{id}")),
            link: found.shows.link(*id),
        })
        .collect();
    let mut l = Layout::new(format!("{} {}", node.name, found.name), &user);
    l.crumbs = vec![
        (node.name.clone(), format!("/nodes/{}", node.id)),
        (
            "数据驾驶舱".into(),
            format!("/nodes/{}/dashboard?period={period}", node.id),
        ),
    ];
    Ok(render(&RecordsPage {
        l,
        name: found.name.to_string(),
        period_label: period.label(),
        total: found.ids.len(),
        rows,
        node,
    }))
}
