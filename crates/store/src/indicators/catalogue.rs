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

use chrono::{Months, NaiveDate};
use serde::Serialize;
use shequ_domain::figures::{Amount, Change, Period, Unit};

use super::place::{self, Day, Place};
use crate::access::scope::Actor;
use crate::db::{Conn, Value};
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
    pub timing: Timing,
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
    },
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

/// A line of work's indicators, as its section of the work summary groups them.
#[derive(Debug)]
pub struct Line {
    pub code: &'static str,
    pub name: &'static str,
    pub indicators: &'static [Indicator],
}

/// Every line of work's indicators: the one registration of a new line.
pub const LINES: &[&Line] = &[&super::registry::LINE];

/// Every indicator, in catalogue order.
pub fn all() -> impl Iterator<Item = (&'static Line, &'static Indicator)> {
    LINES
        .iter()
        .flat_map(|l| l.indicators.iter().map(move |i| (*l, i)))
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
    let as_of = places.as_of;
    let mut values: HashMap<&'static str, i64> = HashMap::new();
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
        let (selects, mut args) = aggregates(&on_source, as_of);
        let (wher, where_args) = places.placed(conn, s, actor)?;
        args.extend(where_args);
        let sql = format!("SELECT {} FROM {} WHERE {wher}", selects.join(", "), s.from);
        let row = conn
            .query_opt(&sql, &args)?
            .ok_or_else(|| StoreError::Conflict("统计查询没有返回结果".into()))?;
        for (k, i) in on_source.iter().enumerate() {
            let v: Option<i64> = row.get(k)?;
            values.insert(i.code, v.unwrap_or(0));
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

/// A figure of a period, with the period before and the same period a year earlier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Compared {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: Unit,
    pub amount: Amount,
    /// Against the period before (环比).
    pub previous: Change,
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
    actor.require(actor.role.views_area(), "查看统计")?;
    let node = crate::registry::tree::get(conn, actor, node_id)?;
    let now = compute(conn, actor, &node, period, codes)?;
    let previous = compute(conn, actor, &node, &period.previous(), codes)?;
    let year_ago = compute(conn, actor, &node, &period.year_ago(), codes)?;
    let figures = now
        .into_iter()
        .zip(previous)
        .zip(year_ago)
        .map(|((n, p), y)| Compared {
            code: n.code,
            name: n.name,
            unit: n.unit,
            previous: Change::between(&n.amount, p.amount),
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

/// The records behind a count (tap 213 → those 213 records): their keys, within `actor`'s
/// scope, by the same condition the count uses. `None` for a rate or a sum.
pub fn records(
    conn: &mut Conn,
    actor: &Actor,
    node: &Node,
    period: &Period,
    code: &str,
) -> StoreResult<Option<(&'static Source, Vec<i64>)>> {
    let i = find(code)
        .ok_or_else(|| StoreError::invalid("指标", format!("没有编号为“{code}”的指标")))?;
    let (source, key, when, params) = match &i.measure {
        Measure::Count {
            source,
            when,
            params,
        } => (*source, source.key, *when, *params),
        Measure::Distinct {
            source,
            of,
            when,
            params,
        } => (*source, *of, *when, *params),
        Measure::Sum { .. } | Measure::Rate { .. } => return Ok(None),
    };
    let mut places = Places::new(node, period);
    let as_of = places.as_of;
    let mut args: Vec<Value> = params.iter().map(|p| param_value(*p, as_of)).collect();
    let (wher, where_args) = places.placed(conn, source, actor)?;
    args.extend(where_args);
    let sql = format!(
        "SELECT DISTINCT {key} FROM {} WHERE ({when}) AND {wher} ORDER BY {key}",
        source.from
    );
    let mut ids = Vec::new();
    for r in conn.query(&sql, &args)? {
        ids.push(r.get(0)?);
    }
    Ok(Some((source, ids)))
}

fn add_with_parts(i: &'static Indicator, out: &mut Vec<&'static Indicator>) {
    if out.iter().any(|x| x.code == i.code) {
        return;
    }
    if let Measure::Rate {
        numerator,
        denominator,
    } = i.measure
    {
        for part in [numerator, denominator] {
            if let Some(p) = find(part) {
                add_with_parts(p, out);
            }
        }
    }
    out.push(i);
}

fn source_of(i: &Indicator) -> Option<&'static Source> {
    match &i.measure {
        Measure::Count { source, .. }
        | Measure::Distinct { source, .. }
        | Measure::Sum { source, .. } => Some(source),
        Measure::Rate { .. } => None,
    }
}

fn aggregates(on_source: &[&'static Indicator], as_of: NaiveDate) -> (Vec<String>, Vec<Value>) {
    let mut selects = Vec::new();
    let mut args = Vec::new();
    for i in on_source {
        match &i.measure {
            Measure::Count { when, params, .. } => {
                selects.push(format!("SUM(CASE WHEN ({when}) THEN 1 ELSE 0 END)"));
                args.extend(params.iter().map(|p| param_value(*p, as_of)));
            }
            Measure::Distinct {
                of, when, params, ..
            } => {
                selects.push(format!("COUNT(DISTINCT CASE WHEN ({when}) THEN {of} END)"));
                args.extend(params.iter().map(|p| param_value(*p, as_of)));
            }
            Measure::Sum { of, when, .. } => {
                selects.push(format!("SUM(CASE WHEN ({when}) THEN {of} ELSE 0 END)"));
            }
            Measure::Rate { .. } => {}
        }
    }
    (selects, args)
}

fn param_value(p: Param, as_of: NaiveDate) -> Value {
    match p {
        Param::BornBy(years) => Value::from(
            as_of
                .checked_sub_months(Months::new(years * 12))
                .unwrap_or(as_of),
        ),
    }
}

/// The node over the period (for events) and on its as-of day (for what was alive then), each
/// worked out when a source first needs it.
struct Places<'a> {
    node: &'a Node,
    period: &'a Period,
    as_of: NaiveDate,
    events: Option<Place>,
    on_day: Option<Place>,
}

impl<'a> Places<'a> {
    fn new(node: &'a Node, period: &'a Period) -> Places<'a> {
        Places {
            node,
            period,
            as_of: period.as_of(crate::clock::today()),
            events: None,
            on_day: None,
        }
    }

    /// The condition placing a source's records in the node and period, within the actor's
    /// scope.
    fn placed(
        &mut self,
        conn: &mut Conn,
        s: &Source,
        actor: &Actor,
    ) -> StoreResult<(String, Vec<Value>)> {
        let (scope, mut args) = actor.path_filter(s.path);
        let (communities, c_args) = actor.community_filter(s.community);
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
                    None => place::on(conn, self.node, self.as_of)?,
                };
                let (mut sql, mut a) = on_day.areas(s.path);
                self.on_day = Some(on_day);
                for (from, until) in spans {
                    sql.push_str(&format!(
                        " AND {from} <= ? AND ({until} IS NULL OR {until} > ?)"
                    ));
                    a.push(Value::from(self.as_of));
                    a.push(Value::from(self.as_of));
                }
                (sql, a)
            }
        };
        args.extend(here_args);
        Ok((format!("({scope}) AND {communities} AND {here}"), args))
    }
}

fn amount_of(i: &Indicator, values: &HashMap<&'static str, i64>) -> Amount {
    match i.measure {
        Measure::Rate {
            numerator,
            denominator,
        } => Amount::rate(
            values.get(numerator).copied().unwrap_or(0),
            values.get(denominator).copied().unwrap_or(0),
        ),
        _ => Amount::count(values.get(i.code).copied().unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
