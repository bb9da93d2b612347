//! 矛盾纠纷调解: rounds of 排查 and the disputes they found, cases received and closed, 排查率
//! (grid-months with a round) and 调成率 (settled of those closed, withdrawn ones left out).

use shequ_domain::figures::Unit;

use super::catalogue::{Indicator, Line, Measure, Param, Shows, Source, Timing};
use super::place::Day;

/// Rounds of 排查 (`from` names them `s`), each on its day.
const fn rounds(code: &'static str, from: &'static str) -> Source {
    Source {
        code,
        from,
        path: "s.area_path",
        community: "s.community_id",
        key: "s.id",
        shows: Shows::Screening,
        by: Some("s.user_id"),
        timing: Timing::Event(Day::Date("s.screened_on")),
    }
}

/// Mediation cases, counted by `timing`.
const fn cases(code: &'static str, timing: Timing) -> Source {
    Source {
        code,
        from: "mediation_cases m",
        path: "m.area_path",
        community: "m.community_id",
        key: "m.id",
        shows: Shows::Case,
        by: Some("m.user_id"),
        timing,
    }
}

/// The rounds of 排查 of the period.
pub static SCREENINGS: Source = rounds("screenings", "screenings s");

/// The rounds with the grid they were in (today's grid of their place), for grid-months.
pub static SCREENED_GRIDS: Source = rounds(
    "screened_grids",
    "screenings s JOIN org_nodes g ON g.kind = 'grid' AND g.community_id = s.community_id \
     AND substr(s.area_path, 1, length(g.path)) = g.path",
);

/// Cases received in the period.
pub static RECEIVED: Source = cases("cases_received", Timing::Event(Day::Date("m.received_on")));

/// Cases closed in the period.
pub static CLOSED: Source = cases("cases_closed", Timing::Event(Day::Date("m.closed_on")));

/// Cases open at the end of the as-of day.
pub static OPEN: Source = cases(
    "cases_open",
    Timing::Alive(&[("m.received_on", "m.closed_on")]),
);

/// The grids standing on the as-of day.
pub static GRIDS: Source = Source {
    code: "grids",
    from: "org_nodes g",
    path: "g.path",
    community: "g.community_id",
    key: "g.id",
    shows: Shows::Node,
    by: None,
    timing: Timing::Alive(&[]),
};

const fn found(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator::count(&SCREENINGS, Unit::Items, code, name, when)
}

const fn received(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator::count(&RECEIVED, Unit::Items, code, name, when)
}

pub static LINE: Line = Line {
    code: "mediation",
    name: "矛盾纠纷调解",
    indicators: &[
        Indicator::count(&SCREENINGS, Unit::Times, "disputes.rounds", "排查", "1 = 1"),
        found(
            "disputes.found",
            "排查发现矛盾纠纷",
            "s.type_code IS NOT NULL",
        ),
        found(
            "disputes.found.neighbour",
            "邻里纠纷",
            "s.type_code = 'neighbour'",
        ),
        found(
            "disputes.found.family",
            "婚姻家庭纠纷",
            "s.type_code = 'family'",
        ),
        found(
            "disputes.found.property",
            "物业纠纷",
            "s.type_code = 'property'",
        ),
        found(
            "disputes.found.labour",
            "劳资纠纷",
            "s.type_code = 'labour'",
        ),
        found("disputes.found.land", "土地纠纷", "s.type_code = 'land'"),
        found(
            "disputes.found.damage",
            "损害赔偿纠纷",
            "s.type_code = 'damage'",
        ),
        found(
            "disputes.found.rental",
            "房屋租赁纠纷",
            "s.type_code = 'rental'",
        ),
        found("disputes.found.other", "其他纠纷", "s.type_code = 'other'"),
        Indicator {
            code: "disputes.grid_months_screened",
            name: "开展排查的网格·月",
            unit: Unit::Things,
            measure: Measure::Distinct {
                source: &SCREENED_GRIDS,
                of: "CAST(g.id AS TEXT) || '/' || substr(s.screened_on, 1, 7)",
                when: "1 = 1",
                params: &[],
            },
        },
        Indicator {
            code: "grids.standing",
            name: "网格",
            unit: Unit::Things,
            measure: Measure::Count {
                source: &GRIDS,
                when: "g.kind = 'grid' AND (g.retired_on IS NULL OR g.retired_on > ?)",
                params: &[Param::AsOf],
            },
        },
        Indicator {
            code: "disputes.grid_months",
            name: "应排查的网格·月",
            unit: Unit::Things,
            measure: Measure::Monthly {
                of: "grids.standing",
            },
        },
        Indicator::rate(
            "disputes.screening_rate",
            "排查率",
            "disputes.grid_months_screened",
            "disputes.grid_months",
        ),
        received("cases.received", "受理调解", "1 = 1"),
        received(
            "cases.received.neighbour",
            "邻里纠纷",
            "m.type_code = 'neighbour'",
        ),
        received(
            "cases.received.family",
            "婚姻家庭纠纷",
            "m.type_code = 'family'",
        ),
        received(
            "cases.received.property",
            "物业纠纷",
            "m.type_code = 'property'",
        ),
        received(
            "cases.received.labour",
            "劳资纠纷",
            "m.type_code = 'labour'",
        ),
        received("cases.received.land", "土地纠纷", "m.type_code = 'land'"),
        received(
            "cases.received.damage",
            "损害赔偿纠纷",
            "m.type_code = 'damage'",
        ),
        received(
            "cases.received.rental",
            "房屋租赁纠纷",
            "m.type_code = 'rental'",
        ),
        received("cases.received.other", "其他纠纷", "m.type_code = 'other'"),
        Indicator::count(
            &CLOSED,
            Unit::Items,
            "cases.closed",
            "调解结案（不含撤回）",
            "m.outcome <> 'withdrawn'",
        ),
        Indicator::count(
            &CLOSED,
            Unit::Items,
            "cases.settled",
            "调解成功",
            "m.outcome = 'success'",
        ),
        Indicator::rate(
            "cases.success_rate",
            "调成率",
            "cases.settled",
            "cases.closed",
        ),
        Indicator::count(&OPEN, Unit::Items, "cases.open", "在调案件", "1 = 1"),
        Indicator {
            code: "cases.overdue",
            name: "超期未结案件",
            unit: Unit::Items,
            measure: Measure::Count {
                source: &OPEN,
                when: "m.due_on < ?",
                params: &[Param::AsOf],
            },
        },
    ],
    breakdowns: &[],
};
