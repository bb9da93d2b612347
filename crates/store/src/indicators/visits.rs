//! 走访: visits made (by kind, people and households reached) and the coverage of each visit
//! rule: of those the rule names on the as-of day, how many were visited at least once in the
//! period. The rule's interval is a setting a community may change; the coverage asks only
//! "visited in the period", so a past period's figure doesn't move when the interval does.

use shequ_domain::figures::Unit;

use super::catalogue::{Indicator, Line, Measure, Param, Shows, Source, Timing};
use super::place::Day;
use super::registry::{HOUSEHOLD_TAGS, PERSON_TAGS};

/// The visits of the period, where the person lived when visited.
pub static VISITS: Source = Source {
    code: "visits",
    from: "visits v",
    path: "v.area_path",
    community: "v.community_id",
    key: "v.id",
    shows: Shows::Visit,
    by: Some("v.user_id"),
    timing: Timing::Event(Day::Date("v.visited_on")),
};

const fn visits(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator::count(&VISITS, Unit::Times, code, name, when)
}

const FIRST_LAST: &[Param] = &[Param::First, Param::Last];

/// One visit rule's three figures: who it names on the as-of day (a person's tag, or a
/// household's), how many of them were visited in the period, and the coverage. `person` and
/// `household` pick the tags' source, the column counted and the visits' column matched.
macro_rules! rule {
    (@target person) => {
        (&PERSON_TAGS, "t.person_id", Unit::Persons)
    };
    (@target household) => {
        (&HOUSEHOLD_TAGS, "t.household_id", Unit::Households)
    };
    (@visited person) => {
        " AND EXISTS (SELECT 1 FROM visits v WHERE v.person_id = t.person_id"
    };
    (@visited household) => {
        " AND EXISTS (SELECT 1 FROM visits v WHERE v.household_id = t.household_id"
    };
    (@due $code:literal, $target:ident, $when:literal, $name:literal) => {
        Indicator {
            code: concat!("visits.rule.", $code, ".due"),
            name: concat!($name, "（应走访）"),
            unit: rule!(@target $target).2,
            measure: Measure::Distinct {
                source: rule!(@target $target).0,
                of: rule!(@target $target).1,
                when: $when,
                params: &[],
            },
        }
    };
    (@visited $code:literal, $target:ident, $when:literal, $name:literal) => {
        Indicator {
            code: concat!("visits.rule.", $code, ".visited"),
            name: concat!($name, "（已走访）"),
            unit: rule!(@target $target).2,
            measure: Measure::Distinct {
                source: rule!(@target $target).0,
                of: rule!(@target $target).1,
                when: concat!(
                    $when,
                    rule!(@visited $target),
                    " AND v.visited_on >= ? AND v.visited_on <= ?)"
                ),
                params: FIRST_LAST,
            },
        }
    };
    (@rate $code:literal, $name:literal) => {
        Indicator::rate(
            concat!("visits.rule.", $code, ".coverage"),
            concat!($name, "走访覆盖率"),
            concat!("visits.rule.", $code, ".visited"),
            concat!("visits.rule.", $code, ".due"),
        )
    };
}

/// The line: the fixed figures, then each rule's three.
macro_rules! line {
    ([$($fixed:expr),* $(,)?], [$(($code:literal, $target:ident, $when:literal, $name:literal)),* $(,)?]) => {
        Line {
            code: "visits",
            name: "走访",
            indicators: &[
                $($fixed,)*
                $(
                    rule!(@due $code, $target, $when, $name),
                    rule!(@visited $code, $target, $when, $name),
                    rule!(@rate $code, $name),
                )*
            ],
            breakdowns: &[],
        }
    };
}

/// The default visit rules (migration 0011): a community's own interval changes how often,
/// not whom, so each group's coverage is one figure everywhere.
pub static LINE: Line = line!(
    [
        visits("visits.total", "走访", "1 = 1"),
        visits("visits.kind.home", "入户走访", "v.kind = '入户'"),
        visits("visits.kind.phone", "电话走访", "v.kind = '电话'"),
        visits("visits.kind.wechat", "微信走访", "v.kind = '微信'"),
        Indicator {
            code: "visits.people",
            name: "走访群众",
            unit: Unit::Persons,
            measure: Measure::Distinct {
                source: &VISITS,
                of: "v.person_id",
                when: "1 = 1",
                params: &[],
            },
        },
        Indicator {
            code: "visits.households",
            name: "走访户数",
            unit: Unit::Households,
            measure: Measure::Distinct {
                source: &VISITS,
                of: "v.household_id",
                when: "1 = 1",
                params: &[],
            },
        },
    ],
    [
        (
            "unemployed",
            person,
            "t.kind = 'unemployed'",
            "登记失业人员"
        ),
        (
            "hard_to_employ",
            person,
            "t.kind = 'hard_to_employ'",
            "就业困难人员"
        ),
        (
            "correction",
            person,
            "t.kind = 'correction'",
            "刑释解教/社区矫正人员"
        ),
        (
            "elderly_alone",
            person,
            "t.kind = 'elderly_alone'",
            "空巢/独居老人"
        ),
        ("dibao", household, "t.kind = 'dibao'", "低保家庭"),
        (
            "left_behind_child",
            person,
            "t.kind = 'left_behind_child'",
            "留守儿童"
        ),
        ("tekun", person, "t.kind = 'tekun'", "特困人员"),
        (
            "disability_mental",
            person,
            "t.kind = 'disability' AND t.category = '精神'",
            "精神残疾人员"
        ),
    ]
);
