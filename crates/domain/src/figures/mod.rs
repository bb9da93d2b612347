//! Figures as the summaries quote them: a count, or a rate with its numerator and denominator,
//! over one period ([`period`]), compared with the period before and the year before.

pub mod period;

use serde::{Deserialize, Serialize};

pub use period::{Period, PeriodError, Span};

/// What a figure counts, as a document writes it after the number. (Named apart in the API
/// document: `Unit` there is a 辖区单位.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = FigureUnit)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 人
    Persons,
    /// 户
    Households,
    /// 件 (tickets, cases, problems)
    Items,
    /// 次 (visits, patrols, rounds)
    Times,
    /// 人次
    PersonTimes,
    /// 个 (groups, units, grids)
    Things,
    /// 套 / 间 (homes)
    Homes,
    /// 小时
    Hours,
    /// %
    Percent,
}

impl Unit {
    pub fn label(self) -> &'static str {
        match self {
            Unit::Persons => "人",
            Unit::Households => "户",
            Unit::Items => "件",
            Unit::Times => "次",
            Unit::PersonTimes => "人次",
            Unit::Things => "个",
            Unit::Homes => "套",
            Unit::Hours => "小时",
            Unit::Percent => "%",
        }
    }
}

/// One figure's value in one period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Amount {
    Count {
        value: i64,
    },
    /// A rate always carries what it is made of; `percent` is None when nothing was counted
    /// under it (a rate of nothing is not 0%).
    Rate {
        numerator: i64,
        denominator: i64,
        percent: Option<f64>,
    },
    /// An average (handling hours …) of `count` records adding up to `total`.
    Mean {
        total: f64,
        count: i64,
        value: Option<f64>,
    },
}

impl Amount {
    pub fn count(value: i64) -> Amount {
        Amount::Count { value }
    }

    pub fn rate(numerator: i64, denominator: i64) -> Amount {
        Amount::Rate {
            numerator,
            denominator,
            percent: (denominator > 0)
                .then(|| round1(numerator as f64 * 100.0 / denominator as f64)),
        }
    }

    pub fn mean(total: f64, count: i64) -> Amount {
        Amount::Mean {
            total,
            count,
            value: (count > 0).then(|| round1(total / count as f64)),
        }
    }

    /// Two places' amounts of one figure taken together, as a street adds up its communities:
    /// counts add, a rate adds its numerators and denominators (never its percents), an
    /// average its totals and counts. None when the two are not of one kind.
    pub fn plus(&self, other: &Amount) -> Option<Amount> {
        match (*self, *other) {
            (Amount::Count { value: a }, Amount::Count { value: b }) => {
                Some(Amount::count(a.checked_add(b)?))
            }
            (
                Amount::Rate {
                    numerator: n1,
                    denominator: d1,
                    ..
                },
                Amount::Rate {
                    numerator: n2,
                    denominator: d2,
                    ..
                },
            ) => Some(Amount::rate(n1.checked_add(n2)?, d1.checked_add(d2)?)),
            (
                Amount::Mean {
                    total: t1,
                    count: c1,
                    ..
                },
                Amount::Mean {
                    total: t2,
                    count: c2,
                    ..
                },
            ) => Some(Amount::mean(t1 + t2, c1.checked_add(c2)?)),
            _ => None,
        }
    }

    /// The number a sentence quotes (a rate's percent), None when there is none.
    pub fn shown(&self) -> Option<f64> {
        match *self {
            Amount::Count { value } => Some(value as f64),
            Amount::Rate { percent, .. } => percent,
            Amount::Mean { value, .. } => value,
        }
    }
}

/// How a figure moved against an earlier period: for a count or an average, the difference
/// and the percent change (None from zero); between rates, the difference in percentage points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub previous: Amount,
    /// Now minus then: in the figure's unit, or in points for a rate.
    pub difference: Option<f64>,
    /// Percent change of a count or an average; None for a rate (its change is in points) or
    /// when the earlier value was 0.
    pub percent: Option<f64>,
}

impl Change {
    pub fn between(now: &Amount, previous: Amount) -> Change {
        let (a, b) = (now.shown(), previous.shown());
        let difference = a.zip(b).map(|(a, b)| round1(a - b));
        let percent = match previous {
            Amount::Rate { .. } => None,
            _ => a
                .zip(b)
                .and_then(|(a, b)| (b != 0.0).then(|| round1((a - b) * 100.0 / b))),
        };
        Change {
            previous,
            difference,
            percent,
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_keeps_its_parts_and_is_none_over_nothing() {
        assert_eq!(
            Amount::rate(2, 3),
            Amount::Rate {
                numerator: 2,
                denominator: 3,
                percent: Some(66.7)
            }
        );
        assert_eq!(Amount::rate(0, 0).shown(), None);
        assert_eq!(Amount::mean(10.0, 4).shown(), Some(2.5));
    }

    #[test]
    fn places_add_up_by_parts_not_by_percents() {
        assert_eq!(
            Amount::count(3).plus(&Amount::count(4)),
            Some(Amount::count(7))
        );
        // 1/2 and 9/10 make 10/12, not the mean of 50% and 90%.
        assert_eq!(
            Amount::rate(1, 2).plus(&Amount::rate(9, 10)),
            Some(Amount::rate(10, 12))
        );
        assert_eq!(
            Amount::mean(10.0, 2).plus(&Amount::mean(2.0, 2)),
            Some(Amount::mean(12.0, 4))
        );
        assert_eq!(Amount::count(1).plus(&Amount::rate(1, 1)), None);
    }

    #[test]
    fn counts_change_in_percent_and_rates_in_points() {
        let c = Change::between(&Amount::count(30), Amount::count(24));
        assert_eq!((c.difference, c.percent), (Some(6.0), Some(25.0)));
        let c = Change::between(&Amount::count(2), Amount::count(5));
        assert_eq!((c.difference, c.percent), (Some(-3.0), Some(-60.0)));
        let c = Change::between(&Amount::count(7), Amount::count(0));
        assert_eq!(
            (c.difference, c.percent),
            (Some(7.0), None),
            "no percent from zero"
        );
        let c = Change::between(&Amount::rate(9, 10), Amount::rate(8, 10));
        assert_eq!((c.difference, c.percent), (Some(10.0), None), "10 points");
        let c = Change::between(&Amount::rate(9, 10), Amount::rate(0, 0));
        assert_eq!(c.difference, None, "nothing to compare with");
    }
}
