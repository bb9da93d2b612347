//! The indicator catalogue: every figure the product gives (pages, API, the work summary, the
//! street's forms) is an [`Indicator`] here, defined over records and computed on demand, never
//! stored. A line of work brings its indicators as one [`Line`] in its own module and one entry
//! in [`LINES`].
//!
//! An indicator counts the records of a [`Source`] that meet a SQL condition (or sums a column
//! of them, or counts distinct values), or is a rate of two others. The condition is the whole
//! definition: the count and the list of records behind it (drill-down) both use it, so they
//! can't disagree. All indicators of one source are computed in one scan.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;
use shequ_domain::figures::{Amount, Change, Period, Unit};

use super::place::{self, Day, Place};
use crate::access::scope::Actor;
use crate::db::{Backend, Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::registry::tree::Node;

/// Where an indicator's records come from and how they are placed in time and in the tree.
#[derive(Debug)]
pub struct Source {
    pub code: &'static str,
    /// The FROM clause, with aliases (`visits v`).
    pub from: &'static str,
    /// The column holding each record's area path.
    pub path: &'static str,
    /// The column holding each record's community (scope and sharding).
    pub community: &'static str,
    /// The column naming each record, for the list behind a figure.
    pub key: &'static str,
    /// What `key` names.
    pub shows: Shows,
    /// The column naming the worker who made each record (a personal summary counts only
    /// theirs); None for the registry, which is counted over the worker's area.
    pub by: Option<&'static str>,
    pub timing: Timing,
}

impl Source {
    /// The FROM clause for the records as they were on `as_of`: `{as_of}` in it (a join on what
    /// held that day) becomes that day, a date literal (never input, so inlining it is safe).
    pub fn from_on(&self, as_of: NaiveDate) -> String {
        self.from.replace("{as_of}", &format!("'{as_of}'"))
    }
}

/// What the records behind a figure are, so the list can link each to its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shows {
    Person,
    Household,
    Ticket,
    Visit,
    Patrol,
    Screening,
    Case,
    Node,
    Unit,
    Group,
}

impl Shows {
    /// The page of one record, where it has one of its own.
    pub fn link(self, id: i64) -> Option<String> {
        match self {
            Shows::Person => Some(format!("/people/{id}")),
            Shows::Ticket => Some(format!("/tickets/{id}")),
            Shows::Case => Some(format!("/mediation-cases/{id}")),
            Shows::Node => Some(format!("/nodes/{id}")),
            Shows::Unit => Some(format!("/units/{id}")),
            Shows::Household | Shows::Visit | Shows::Patrol | Shows::Screening | Shows::Group => {
                None
            }
        }
    }

    /// Whether listing these records shows personal data (everything but places and units).
    pub fn personal(self) -> bool {
        !matches!(self, Shows::Node | Shows::Unit)
    }

    /// What a column of record ids names: a person or a household by its name, else the
    /// source's own records.
    fn of_column(column: &str, source: &Source) -> Option<Shows> {
        if column.ends_with("person_id") {
            Some(Shows::Person)
        } else if column.ends_with("household_id") {
            Some(Shows::Household)
        } else if column == source.key {
            Some(source.shows)
        } else {
            None
        }
    }
}

/// When a source's record counts.
#[derive(Debug)]
pub enum Timing {
    /// On the day it happened, in the period, where it happened that day.
    Event(Day<'static>),
    /// Alive on the period's as-of day, where it was that day: for each (`from`, `until`) of
    /// the record's spans (a tag's, the residence of its person), `from` on or before that day
    /// and `until` empty or after it.
    Alive(&'static [(&'static str, &'static str)]),
}

/// A value a condition compares with, worked out from the period.
#[derive(Debug, Clone, Copy)]
pub enum Param {
    /// The last birth date of someone aged at least this many years on the as-of day.
    BornBy(u32),
    /// The period's first day, as a date.
    First,
    /// The period's last day, as a date.
    Last,
    /// The as-of day, as a date.
    AsOf,
    /// The end of the as-of day (the next local midnight) as a UTC instant: a stored time
    /// before it happened by the as-of day.
    AsOfEnd,
}

#[derive(Debug)]
pub enum Measure {
    /// Records meeting `when`.
    Count {
        source: &'static Source,
        when: &'static str,
        params: &'static [Param],
    },
    /// Distinct values of `of` among the records meeting `when` (people among residences).
    Distinct {
        source: &'static Source,
        of: &'static str,
        when: &'static str,
        params: &'static [Param],
    },
    /// The sum of `of` over the records meeting `when` (problems found on patrols).
    Sum {
        source: &'static Source,
        of: &'static str,
        when: &'static str,
        params: &'static [Param],
    },
    /// The average number of hours from `from` to `to` (two stored instants) over the records
    /// meeting `when` (average handling time).
    MeanHours {
        source: &'static Source,
        from: &'static str,
        to: &'static str,
        when: &'static str,
        params: &'static [Param],
    },
    /// Another indicator times the calendar months of the period (grid-months: each grid is
    /// due a round of 排查 every month).
    Monthly { of: &'static str },
    /// One indicator over another, both in the catalogue.
    Rate {
        numerator: &'static str,
        denominator: &'static str,
    },
}

#[derive(Debug)]
pub struct Indicator {
    /// Stable, for scripts and templates: `people.floating`.
    pub code: &'static str,
    pub name: &'static str,
    pub unit: Unit,
    pub measure: Measure,
}

impl Indicator {
    /// The records of `source` meeting `when` (no parameters).
    pub const fn count(
        source: &'static Source,
        unit: Unit,
        code: &'static str,
        name: &'static str,
        when: &'static str,
    ) -> Indicator {
        Indicator {
            code,
            name,
            unit,
            measure: Measure::Count {
                source,
                when,
                params: &[],
            },
        }
    }

    /// `numerator` over `denominator`, in percent.
    pub const fn rate(
        code: &'static str,
        name: &'static str,
        numerator: &'static str,
        denominator: &'static str,
    ) -> Indicator {
        Indicator {
            code,
            name,
            unit: Unit::Percent,
            measure: Measure::Rate {
                numerator,
                denominator,
            },
        }
    }
}

/// Records of a source split into groups (special groups by class, reports by category): a
/// count of `of` per value of the `by` expressions, among the records meeting `when`.
#[derive(Debug)]
pub struct Breakdown {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: Unit,
    pub source: &'static Source,
    pub of: &'static str,
    /// SQL expressions giving a record's group, as text.
    pub by: &'static [&'static str],
    pub when: &'static str,
    pub params: &'static [Param],
}

/// One group of a breakdown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Part {
    /// The values of the breakdown's `by`, in order (None where a record has none).
    pub group: Vec<Option<String>>,
    pub value: i64,
}

/// A line of work's indicators, as its section of the work summary groups them.
#[derive(Debug)]
pub struct Line {
    pub code: &'static str,
    pub name: &'static str,
    pub indicators: &'static [Indicator],
    pub breakdowns: &'static [Breakdown],
}

/// Every line of work's indicators: the one registration of a new line.
pub const LINES: &[&Line] = &[
    &super::registry::LINE,
    &super::housing::LINE,
    &super::visits::LINE,
    &super::patrols::LINE,
    &super::tickets::LINE,
    &super::mediation::LINE,
];

/// Every indicator, in catalogue order.
pub fn all() -> impl Iterator<Item = (&'static Line, &'static Indicator)> {
    LINES
        .iter()
        .flat_map(|l| l.indicators.iter().map(move |i| (*l, i)))
}

pub fn find_breakdown(code: &str) -> Option<&'static Breakdown> {
    LINES
        .iter()
        .flat_map(|l| l.breakdowns.iter())
        .find(|b| b.code == code)
}

/// The groups of the breakdown `code` for `node` over `period`, within `actor`'s scope, in the
/// order of their values.
pub fn breakdown(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    period: &Period,
    code: &str,
) -> StoreResult<Vec<Part>> {
    let b = find_breakdown(code)
        .ok_or_else(|| StoreError::invalid("分组统计", format!("没有编号为“{code}”的分组统计")))?;
    let mut places = Places::new(node, period);
    let mut args: Vec<Value> = b.params.iter().map(|p| places.when.value(*p)).collect();
    let (wher, where_args) = places.placed(conn, b.source, actor, false)?;
    args.extend(where_args);
    let by = b.by.join(", ");
    let sql = format!(
        "SELECT {by}, COUNT(DISTINCT {of}) FROM {from} WHERE ({when}) AND {wher} GROUP BY {by} ORDER BY {by}",
        of = b.of,
        from = b.source.from_on(places.when.as_of),
        when = b.when,
    );
    let mut parts = Vec::new();
    for r in conn.query(&sql, &args)? {
        let mut group = Vec::with_capacity(b.by.len());
        for k in 0..b.by.len() {
            group.push(r.get(k)?);
        }
        parts.push(Part {
            group,
            value: r.get(b.by.len())?,
        });
    }
    Ok(parts)
}

pub fn find(code: &str) -> Option<&'static Indicator> {
    all().map(|(_, i)| i).find(|i| i.code == code)
}

/// One indicator's value for a node and a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: Unit,
    pub amount: Amount,
}

/// The indicators named by `codes` (every one when empty) for `node` over `period`, within
/// `actor`'s scope. Rates bring the indicators they are made of.
pub fn compute(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    period: &Period,
    codes: &[&str],
) -> StoreResult<Vec<Figure>> {
    compute_of(conn, actor, node, period, codes, None)
}

/// As [`compute`]; with `worker`, the records of the sources that name their worker count
/// only when that user made them (a personal summary), the registry over the node.
pub fn compute_of(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    period: &Period,
    codes: &[&str],
    worker: Option<i64>,
) -> StoreResult<Vec<Figure>> {
    let wanted: Vec<&'static Indicator> = if codes.is_empty() {
        all().map(|(_, i)| i).collect()
    } else {
        codes
            .iter()
            .map(|c| {
                find(c).ok_or_else(|| {
                    StoreError::invalid("指标", format!("没有编号为“{c}”的指标，请查看指标目录"))
                })
            })
            .collect::<StoreResult<_>>()?
    };
    let mut needed: Vec<&'static Indicator> = Vec::new();
    for i in &wanted {
        add_with_parts(i, &mut needed);
    }
    let mut places = Places::new(node, period);
    places.worker = worker;
    let mut values: HashMap<&'static str, Raw> = HashMap::new();
    // One scan per source, in catalogue order (the order of first use), for every plain
    // indicator on it.
    let mut sources: Vec<&'static Source> = Vec::new();
    for i in &needed {
        if let Some(s) = source_of(i)
            && !sources.iter().any(|x| x.code == s.code)
        {
            sources.push(s);
        }
    }
    for s in sources {
        let on_source: Vec<&'static Indicator> = needed
            .iter()
            .copied()
            .filter(|i| source_of(i).is_some_and(|x| x.code == s.code))
            .collect();
        let started = std::time::Instant::now();
        // A distinct count of the source's own key is a count of rows whenever no key repeats
        // among the rows: one distinct count of the key tells, and saves a b-tree per
        // indicator (the residents' dozens). Where a key repeats (a person with two tags), the
        // scan runs again with every distinct count.
        let keyed = on_source.iter().any(|i| counts_keys(i, s));
        let row = if keyed {
            let row = scan(conn, actor, &mut places, s, &on_source, Keys::AsRows)?;
            let at = columns(&on_source);
            let (rows, keys): (Option<i64>, Option<i64>) = (row.get(at)?, row.get(at + 1)?);
            if rows == keys {
                row
            } else {
                scan(conn, actor, &mut places, s, &on_source, Keys::Distinct)?
            }
        } else {
            scan(conn, actor, &mut places, s, &on_source, Keys::Distinct)?
        };
        tracing::debug!(
            source = s.code,
            indicators = on_source.len(),
            ms = started.elapsed().as_millis() as u64,
            "figures scanned"
        );
        let mut column = 0;
        for i in &on_source {
            let raw = if let Measure::MeanHours { .. } = i.measure {
                let total: Option<f64> = row.get(column)?;
                let count: Option<i64> = row.get(column + 1)?;
                column += 2;
                Raw::Mean(total.unwrap_or(0.0), count.unwrap_or(0))
            } else {
                let v: Option<i64> = row.get(column)?;
                column += 1;
                Raw::N(v.unwrap_or(0))
            };
            values.insert(i.code, raw);
        }
    }
    let months = places.when.months;
    for i in &needed {
        if let Measure::Monthly { of } = i.measure {
            let v = values.get(of).map_or(0, Raw::n);
            values.insert(i.code, Raw::N(v.saturating_mul(months)));
        }
    }
    Ok(wanted
        .iter()
        .map(|i| Figure {
            code: i.code,
            name: i.name,
            unit: i.unit,
            amount: amount_of(i, &values),
        })
        .collect())
}

/// A plain indicator's value before it becomes an [`Amount`].
#[derive(Debug, Clone, Copy)]
enum Raw {
    N(i64),
    Mean(f64, i64),
}

impl Raw {
    fn n(&self) -> i64 {
        match *self {
            Raw::N(n) => n,
            Raw::Mean(_, count) => count,
        }
    }
}

/// The days a period's conditions speak of.
#[derive(Debug, Clone, Copy)]
struct When {
    first: NaiveDate,
    last: NaiveDate,
    as_of: NaiveDate,
    months: i64,
}

impl When {
    fn of(period: &Period) -> When {
        When::at(period, crate::clock::today())
    }

    /// The period's days as seen on `today`; its months are those begun by the as-of day (a
    /// year under way is due the rounds of its months so far).
    fn at(period: &Period, today: NaiveDate) -> When {
        let (first, as_of) = (period.first(), period.as_of(today));
        let months = (i64::from(as_of.year()) * 12 + i64::from(as_of.month0()))
            - (i64::from(first.year()) * 12 + i64::from(first.month0()))
            + 1;
        When {
            first,
            last: period.last(),
            as_of,
            months: if today < first { 0 } else { months },
        }
    }

    fn value(&self, p: Param) -> Value {
        match p {
            Param::BornBy(years) => Value::from(
                self.as_of
                    .checked_sub_months(Months::new(years * 12))
                    .unwrap_or(self.as_of),
            ),
            Param::First => Value::from(self.first),
            Param::Last => Value::from(self.last),
            Param::AsOf => Value::from(self.as_of),
            Param::AsOfEnd => Value::from(crate::clock::local_day_start_utc(
                self.as_of + chrono::Duration::days(1),
            )),
        }
    }
}

/// The amount of `code` among `figures` computed for it.
pub fn amount_in(figures: &[Figure], code: &str) -> StoreResult<Amount> {
    figures
        .iter()
        .find(|f| f.code == code)
        .map(|f| f.amount)
        .ok_or_else(|| StoreError::Conflict(format!("统计结果里没有指标“{code}”")))
}

/// The value of the count `code` among `figures` computed for it.
pub fn count_in(figures: &[Figure], code: &str) -> StoreResult<i64> {
    match amount_in(figures, code)? {
        Amount::Count { value } => Ok(value),
        _ => Err(StoreError::Conflict(format!("指标“{code}”不是计数"))),
    }
}

/// A figure of a period, with the period before and the same period a year earlier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Compared {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: Unit,
    pub amount: Amount,
    /// Against the period before (环比); None where only the year before was asked for (the
    /// work summary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Change>,
    /// Against the same period a year earlier (同比).
    pub year_ago: Change,
}

/// The figures of a node for a period, each compared with the period before and the year before.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub node_id: i64,
    pub node_name: String,
    #[schema(value_type = String, example = "2024H1")]
    pub period: Period,
    /// 2024年上半年
    pub label: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// The day registry counts are taken on (the last day, or today while the period runs).
    pub as_of: NaiveDate,
    #[schema(value_type = String)]
    pub previous_period: Period,
    #[schema(value_type = String)]
    pub year_ago_period: Period,
    pub figures: Vec<Compared>,
}

/// `codes` (every indicator when empty) of the node `node_id` for `period`, compared.
pub fn figures(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    period: &Period,
    codes: &[&str],
) -> StoreResult<Figures> {
    compared(conn, actor, node_id, period, codes, (true, None))
}

/// The indicators named by `codes` against the same period a year before only: what the work
/// summary compares (a third less to compute than [`figures`]). With `worker`, a personal
/// summary's: that user's own records, the registry of the node (see [`compute_of`]).
pub fn against_year_ago(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    period: &Period,
    codes: &[&str],
    worker: Option<i64>,
) -> StoreResult<Figures> {
    compared(conn, actor, node_id, period, codes, (false, worker))
}

fn compared(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    period: &Period,
    codes: &[&str],
    (with_previous, worker): (bool, Option<i64>),
) -> StoreResult<Figures> {
    actor.require(actor.role.views_area(), "查看统计")?;
    let node = crate::registry::tree::get(conn, actor, node_id)?;
    let now = compute_of(conn, actor, &node, period, codes, worker)?;
    let previous = if with_previous {
        compute_of(conn, actor, &node, &period.previous(), codes, worker)?
            .into_iter()
            .map(Some)
            .collect()
    } else {
        vec![None; now.len()]
    };
    let year_ago = compute_of(conn, actor, &node, &period.year_ago(), codes, worker)?;
    let figures = now
        .into_iter()
        .zip(previous)
        .zip(year_ago)
        .map(|((n, p), y)| Compared {
            code: n.code,
            name: n.name,
            unit: n.unit,
            previous: p.map(|p: Figure| Change::between(&n.amount, p.amount)),
            year_ago: Change::between(&n.amount, y.amount),
            amount: n.amount,
        })
        .collect();
    Ok(Figures {
        node_id: node.id,
        node_name: node.name,
        period: *period,
        label: period.label(),
        first_day: period.first(),
        last_day: period.last(),
        as_of: period.as_of(crate::clock::today()),
        previous_period: period.previous(),
        year_ago_period: period.year_ago(),
        figures,
    })
}

/// The records behind a figure (tap 213 → those 213 records).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Records {
    pub code: &'static str,
    pub name: &'static str,
    pub shows: Shows,
    pub ids: Vec<i64>,
}

/// The records behind a figure, by the same condition the figure uses (for a sum or an
/// average, the records it is taken over), where `actor` may see them: personal records only
/// where the actor may open people's data (a street officer: where granted). `None` for a rate
/// or a figure of grid-months, which have no records of their own.
pub fn records(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    period: &Period,
    code: &str,
) -> StoreResult<Option<Records>> {
    let i = find(code).ok_or_else(|| {
        StoreError::invalid("指标", format!("没有编号为“{code}”的指标，请查看指标目录"))
    })?;
    let (source, key, when, params) = match &i.measure {
        Measure::Count {
            source,
            when,
            params,
        }
        | Measure::Sum {
            source,
            when,
            params,
            ..
        }
        | Measure::MeanHours {
            source,
            when,
            params,
            ..
        } => (*source, source.key, *when, *params),
        Measure::Distinct {
            source,
            of,
            when,
            params,
        } => (*source, *of, *when, *params),
        Measure::Rate { .. } | Measure::Monthly { .. } => return Ok(None),
    };
    let Some(shows) = Shows::of_column(key, source) else {
        return Ok(None);
    };
    if shows.personal() {
        actor.require(actor.reads_people(), "查看统计数字背后的人员和记录明细")?;
    }
    let mut places = Places::new(node, period);
    let mut args: Vec<Value> = params.iter().map(|p| places.when.value(*p)).collect();
    let (wher, where_args) = places.placed(conn, source, actor, shows.personal())?;
    args.extend(where_args);
    let sql = format!(
        "SELECT DISTINCT {key} FROM {} WHERE ({when}) AND {wher} ORDER BY {key}",
        source.from_on(places.when.as_of)
    );
    let mut ids = Vec::new();
    for r in conn.query(&sql, &args)? {
        ids.push(r.get(0)?);
    }
    Ok(Some(Records {
        code: i.code,
        name: i.name,
        shows,
        ids,
    }))
}

/// The records of `source` meeting `when` (its `?`s from `params`) placed in the node over
/// the period by the rules every figure uses, within `actor`'s scope (the people scope when
/// `people`), as the values of `key` in the order `order`: the rows of a ledger, so that a
/// ledger lists exactly what the matching figure counts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn matching(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    period: &Period,
    source: &Source,
    (key, when, params): (&str, &str, &[Param]),
    order: &str,
    people: bool,
) -> StoreResult<Vec<i64>> {
    let mut places = Places::new(node, period);
    let mut args: Vec<Value> = params.iter().map(|p| places.when.value(*p)).collect();
    let (wher, where_args) = places.placed(conn, source, actor, people)?;
    args.extend(where_args);
    let sql = format!(
        "SELECT {key} FROM {} WHERE ({when}) AND {wher} ORDER BY {order}, {key}",
        source.from_on(places.when.as_of)
    );
    let mut ids = Vec::new();
    for r in conn.query(&sql, &args)? {
        ids.push(r.get(0)?);
    }
    Ok(ids)
}

/// The indicator counting the records of `source` meeting exactly `when`, without
/// parameters, where the catalogue has one (a group's ledger finds its figure by it).
pub(crate) fn counting(source: &Source, when: &str) -> Option<&'static str> {
    all().map(|(_, i)| i).find_map(|i| match &i.measure {
        Measure::Count {
            source: s,
            when: w,
            params: [],
        }
        | Measure::Distinct {
            source: s,
            when: w,
            params: [],
            ..
        } if s.code == source.code && *w == when => Some(i.code),
        _ => None,
    })
}

/// How the list behind a figure names each of its records (at most a page of them): a 事件 by
/// its number and title, a case by its number, a person by the name the viewer may see, a place
/// or unit by its name, a visit, patrol or round of 排查 by its day.
pub fn labels(
    conn: &mut Conn,
    actor: &Actor,
    shows: Shows,
    ids: &[i64],
) -> StoreResult<HashMap<i64, String>> {
    let sql = match shows {
        Shows::Ticket => {
            "SELECT id, '#' || CAST(id AS TEXT) || ' ' || title FROM tickets WHERE id IN"
        }
        Shows::Case => "SELECT id, case_no || ' ' || type_code FROM mediation_cases WHERE id IN",
        Shows::Person => "SELECT id, name FROM persons WHERE id IN",
        Shows::Node => "SELECT id, name FROM org_nodes WHERE id IN",
        Shows::Unit => "SELECT id, name FROM units WHERE id IN",
        Shows::Visit => "SELECT id, visited_on || ' 走访' FROM visits WHERE id IN",
        Shows::Patrol => "SELECT id, patrolled_on || ' 巡查' FROM patrols WHERE id IN",
        Shows::Screening => "SELECT id, screened_on || ' 排查' FROM screenings WHERE id IN",
        Shows::Household | Shows::Group => return Ok(HashMap::new()),
    };
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let args: Vec<Value> = chunk.iter().map(|i| Value::Int(*i)).collect();
        for r in conn.query(&format!("{sql} ({marks})"), &args)? {
            let text: String = r.get(1)?;
            let text = if shows == Shows::Person {
                crate::access::personal::PersonName::for_viewer(text, actor).shown()
            } else {
                text
            };
            out.insert(r.get(0)?, text);
        }
    }
    Ok(out)
}

fn add_with_parts(i: &'static Indicator, out: &mut Vec<&'static Indicator>) {
    if out.iter().any(|x| x.code == i.code) {
        return;
    }
    for part in parts(i) {
        if let Some(p) = find(part) {
            add_with_parts(p, out);
        }
    }
    out.push(i);
}

/// The indicators a derived one is made of.
fn parts(i: &Indicator) -> Vec<&'static str> {
    match i.measure {
        Measure::Rate {
            numerator,
            denominator,
        } => vec![numerator, denominator],
        Measure::Monthly { of } => vec![of],
        _ => Vec::new(),
    }
}

pub(crate) fn source_of(i: &Indicator) -> Option<&'static Source> {
    match &i.measure {
        Measure::Count { source, .. }
        | Measure::Distinct { source, .. }
        | Measure::Sum { source, .. }
        | Measure::MeanHours { source, .. } => Some(source),
        Measure::Rate { .. } | Measure::Monthly { .. } => None,
    }
}

/// Hours from one stored UTC instant to another, in each dialect.
fn hours_between(backend: Backend, from: &str, to: &str) -> String {
    match backend {
        Backend::Sqlite => format!("(julianday({to}) - julianday({from})) * 24.0"),
        Backend::Postgres => format!(
            "EXTRACT(EPOCH FROM (CAST({to} AS timestamptz) - CAST({from} AS timestamptz))) / 3600.0"
        ),
    }
}

/// How a scan counts the distinct keys of its own source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// As rows, adding the rows and their distinct keys at the end, to tell whether that held.
    AsRows,
    Distinct,
}

/// A distinct count of the source's own key (people among residences).
fn counts_keys(i: &Indicator, s: &Source) -> bool {
    matches!(i.measure, Measure::Distinct { of, .. } if of == s.key)
}

/// The columns the aggregates of `on_source` take.
fn columns(on_source: &[&'static Indicator]) -> usize {
    on_source
        .iter()
        .map(|i| match i.measure {
            Measure::MeanHours { .. } => 2,
            Measure::Rate { .. } | Measure::Monthly { .. } => 0,
            _ => 1,
        })
        .sum()
}

/// One pass over a source's records of the node and period, for every indicator on it.
fn scan(
    conn: &mut Conn,
    actor: &Actor,
    places: &mut Places,
    s: &'static Source,
    on_source: &[&'static Indicator],
    keys: Keys,
) -> StoreResult<crate::db::Row> {
    let (mut selects, mut args) = aggregates(conn.backend(), (s, on_source), &places.when, keys);
    if keys == Keys::AsRows {
        selects.push("COUNT(*)".to_string());
        selects.push(format!("COUNT(DISTINCT {})", s.key));
    }
    let (wher, where_args) = places.placed(conn, s, actor, false)?;
    args.extend(where_args);
    let sql = format!(
        "SELECT {} FROM {} WHERE {wher}",
        selects.join(", "),
        s.from_on(places.when.as_of)
    );
    conn.query_opt(&sql, &args)?
        .ok_or_else(|| StoreError::Conflict("统计查询没有返回结果".into()))
}

fn aggregates(
    backend: Backend,
    (source, on_source): (&Source, &[&'static Indicator]),
    w: &When,
    keys: Keys,
) -> (Vec<String>, Vec<Value>) {
    let mut selects = Vec::new();
    let mut args = Vec::new();
    for i in on_source {
        match &i.measure {
            Measure::Distinct { when, params, .. }
                if keys == Keys::AsRows && counts_keys(i, source) =>
            {
                selects.push(format!("SUM(CASE WHEN ({when}) THEN 1 ELSE 0 END)"));
                args.extend(params.iter().map(|p| w.value(*p)));
            }
            // Every record: the cheapest aggregate (an index alone can answer it).
            Measure::Count { when, .. } if *when == "1 = 1" => {
                selects.push("COUNT(*)".to_string());
            }
            Measure::Count { when, params, .. } => {
                selects.push(format!("SUM(CASE WHEN ({when}) THEN 1 ELSE 0 END)"));
                args.extend(params.iter().map(|p| w.value(*p)));
            }
            Measure::Distinct {
                of, when, params, ..
            } => {
                selects.push(format!("COUNT(DISTINCT CASE WHEN ({when}) THEN {of} END)"));
                args.extend(params.iter().map(|p| w.value(*p)));
            }
            Measure::Sum {
                of, when, params, ..
            } => {
                // SUM of a BIGINT is NUMERIC on PostgreSQL.
                selects.push(format!(
                    "CAST(SUM(CASE WHEN ({when}) THEN {of} ELSE 0 END) AS BIGINT)"
                ));
                args.extend(params.iter().map(|p| w.value(*p)));
            }
            Measure::MeanHours {
                from,
                to,
                when,
                params,
                ..
            } => {
                let hours = hours_between(backend, from, to);
                selects.push(format!(
                    "CAST(SUM(CASE WHEN ({when}) THEN {hours} END) AS DOUBLE PRECISION)"
                ));
                selects.push(format!("SUM(CASE WHEN ({when}) THEN 1 ELSE 0 END)"));
                args.extend(params.iter().map(|p| w.value(*p)));
                args.extend(params.iter().map(|p| w.value(*p)));
            }
            Measure::Rate { .. } | Measure::Monthly { .. } => {}
        }
    }
    (selects, args)
}

/// The node over the period (for events) and on its as-of day (for what was alive then), each
/// worked out when a source first needs it.
struct Places<'a> {
    node: &'a Node,
    period: &'a Period,
    when: When,
    events: Option<Place>,
    on_day: Option<Place>,
    communities: Option<Vec<i64>>,
    /// Only this user's records, where a source names who made them.
    worker: Option<i64>,
}

impl<'a> Places<'a> {
    fn new(node: &'a Node, period: &'a Period) -> Places<'a> {
        Places {
            node,
            period,
            when: When::of(period),
            events: None,
            on_day: None,
            communities: None,
            worker: None,
        }
    }

    /// The condition placing a source's records in the node and period, within the actor's
    /// scope.
    fn placed(
        &mut self,
        conn: &mut Conn,
        s: &Source,
        actor: &Actor,
        people: bool,
    ) -> StoreResult<(String, Vec<Value>)> {
        // The node's own communities narrow the scan to its index ranges (the actor's scope
        // may span a whole district).
        let (mine, mine_args) = self.communities(conn, s.community)?;
        let ((scope, mut args), (communities, c_args)) = if people {
            (
                actor.people_path_filter(s.path),
                actor.people_community_filter(s.community),
            )
        } else {
            (
                actor.path_filter(s.path),
                actor.community_filter(s.community),
            )
        };
        args.extend(c_args);
        let (here, here_args) = match s.timing {
            Timing::Event(day) => {
                let events = match self.events.take() {
                    Some(p) => p,
                    None => place::over(conn, self.node, self.period.first(), self.period.last())?,
                };
                let here = events.events(s.path, day);
                self.events = Some(events);
                here
            }
            Timing::Alive(spans) => {
                let on_day = match self.on_day.take() {
                    Some(p) => p,
                    None => place::on(conn, self.node, self.when.as_of)?,
                };
                let (mut sql, mut a) = on_day.areas(s.path);
                self.on_day = Some(on_day);
                for (from, until) in spans {
                    sql.push_str(&format!(
                        " AND {from} <= ? AND ({until} IS NULL OR {until} > ?)"
                    ));
                    a.push(Value::from(self.when.as_of));
                    a.push(Value::from(self.when.as_of));
                }
                (sql, a)
            }
        };
        args.extend(here_args);
        args.extend(mine_args);
        let mut wher = format!("({scope}) AND {communities} AND {here} AND {mine}");
        if let (Some(worker), Some(by)) = (self.worker, s.by) {
            wher.push_str(&format!(" AND {by} = ?"));
            args.push(Value::Int(worker));
        }
        Ok((wher, args))
    }

    /// `col IN (…)` over the communities at or under the node.
    fn communities(&mut self, conn: &mut Conn, col: &str) -> StoreResult<(String, Vec<Value>)> {
        let ids = match &self.communities {
            Some(ids) => ids.clone(),
            None => {
                let ids: Vec<i64> = match self.node.community_id {
                    Some(c) => vec![c],
                    None => conn
                        .query(
                            "SELECT id FROM org_nodes WHERE kind = 'community' AND path >= ? AND path < ?",
                            crate::params![
                                self.node.path.as_str(),
                                crate::db::prefix_end(&self.node.path)
                            ],
                        )?
                        .iter()
                        .map(|r| r.get(0))
                        .collect::<Result<_, _>>()?,
                };
                self.communities = Some(ids.clone());
                ids
            }
        };
        if ids.is_empty() {
            return Ok(("1 = 0".into(), Vec::new()));
        }
        let marks = vec!["?"; ids.len()].join(", ");
        Ok((
            format!("{col} IN ({marks})"),
            ids.into_iter().map(Value::Int).collect(),
        ))
    }
}

fn amount_of(i: &Indicator, values: &HashMap<&'static str, Raw>) -> Amount {
    let n = |code: &str| values.get(code).map_or(0, Raw::n);
    match i.measure {
        Measure::Rate {
            numerator,
            denominator,
        } => Amount::rate(n(numerator), n(denominator)),
        _ => match values.get(i.code) {
            Some(Raw::Mean(total, count)) => Amount::mean(*total, *count),
            _ => Amount::count(n(i.code)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 人员类型, 人户一致, 就业状况 and a home's use change; a figure reads them as they were on
    /// its day (`registry::on_the_day!`, `housing::home_on_the_day!`), never as they stand today.
    #[test]
    fn no_figure_reads_todays_person_type_employment_or_home_use() {
        let current = [
            "p.person_type",
            "p.registered_here",
            "p.employment",
            "h.usage",
            "h.agreement_signed_on",
        ];
        let reads_today = |sql: &str| {
            // The one place allowed to name them: the fallback inside on_the_day! and
            // home_on_the_day!.
            let stripped = current.iter().fold(sql.to_string(), |s, c| {
                s.replace(&format!("THEN {c} ELSE"), "")
            });
            current.iter().any(|c| stripped.contains(c))
        };
        for (_, i) in all() {
            let when = match &i.measure {
                Measure::Count { when, .. }
                | Measure::Distinct { when, .. }
                | Measure::Sum { when, .. }
                | Measure::MeanHours { when, .. } => *when,
                Measure::Rate { .. } | Measure::Monthly { .. } => continue,
            };
            assert!(!reads_today(when), "{}: {when}", i.code);
        }
        for l in LINES {
            for b in l.breakdowns {
                for by in b.by {
                    assert!(!reads_today(by), "{}: {by}", b.code);
                }
                assert!(!reads_today(b.when), "{}: {}", b.code, b.when);
            }
        }
    }

    #[test]
    fn a_period_is_due_the_months_begun_by_its_as_of_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        let p = |s: &str| Period::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let today = d("2026-07-15");
        assert_eq!(When::at(&p("2025"), today).months, 12);
        assert_eq!(When::at(&p("2026"), today).months, 7);
        assert_eq!(When::at(&p("2026Q3"), today).months, 1);
        assert_eq!(When::at(&p("2025-11-05..2026-02-01"), today).months, 4);
        assert_eq!(When::at(&p("2026-03"), today).months, 1);
        // A period that hasn't begun is due nothing.
        assert_eq!(When::at(&p("2026Q4"), today).months, 0);
    }

    #[test]
    fn every_vocabulary_entry_has_its_indicator() {
        use shequ_domain::{mediation, tickets};
        for (code, label) in tickets::SOURCES {
            let i = find(&format!("tickets.source.{code}"))
                .unwrap_or_else(|| panic!("no indicator for the ticket source {code}"));
            assert_eq!(i.name, *label);
        }
        for (code, label, _) in mediation::TYPES {
            for prefix in ["disputes.found", "cases.received"] {
                let i = find(&format!("{prefix}.{code}"))
                    .unwrap_or_else(|| panic!("no {prefix} indicator for {code}"));
                assert_eq!(i.name, *label);
            }
        }
        for (code, _) in tickets::RATING_CHANNELS {
            assert!(
                find(&format!("tickets.satisfaction_rate.{code}")).is_some(),
                "{code}"
            );
        }
    }

    #[test]
    fn codes_are_unique_and_rates_are_made_of_catalogue_indicators() {
        let mut seen = std::collections::HashSet::new();
        let mut n = 0;
        for (_, i) in all() {
            n += 1;
            assert!(seen.insert(i.code), "{} twice", i.code);
            if let Measure::Rate {
                numerator,
                denominator,
            } = i.measure
            {
                for part in [numerator, denominator] {
                    let p = find(part).unwrap_or_else(|| panic!("{}: no {part}", i.code));
                    assert!(
                        !matches!(p.measure, Measure::Rate { .. }),
                        "{}: {part} is a rate",
                        i.code
                    );
                }
                assert_eq!(i.unit, Unit::Percent, "{}", i.code);
            }
        }
        assert!(n >= 10, "only {n} indicators");
    }
}
