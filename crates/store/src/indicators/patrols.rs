//! 巡查: patrols made, by type, and the problems they found.

use shequ_domain::figures::Unit;

use super::catalogue::{Breakdown, Indicator, Line, Measure, Shows, Source, Timing};
use super::place::Day;

/// The patrols of the period, where they were made.
pub static PATROLS: Source = Source {
    code: "patrols",
    from: "patrols pa",
    path: "pa.area_path",
    community: "pa.community_id",
    key: "pa.id",
    shows: Shows::Patrol,
    by: Some("pa.user_id"),
    timing: Timing::Event(Day::Date("pa.patrolled_on")),
};

/// The units each patrol of the period checked, counted on the patrol's day where it was made.
pub static PATROL_UNITS: Source = Source {
    code: "patrol_units",
    from: "patrol_units pu JOIN patrols pa ON pa.id = pu.patrol_id",
    path: "pa.area_path",
    community: "pa.community_id",
    key: "pu.unit_id",
    shows: Shows::Unit,
    by: Some("pa.user_id"),
    timing: Timing::Event(Day::Date("pa.patrolled_on")),
};

const fn patrols(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator::count(&PATROLS, Unit::Times, code, name, when)
}

pub static LINE: Line = Line {
    code: "patrols",
    name: "巡查",
    indicators: &[
        patrols("patrols.total", "巡查", "1 = 1"),
        patrols("patrols.type.safety", "安全巡查", "pa.type_code = 'safety'"),
        patrols("patrols.type.fire", "消防巡查", "pa.type_code = 'fire'"),
        patrols(
            "patrols.type.river",
            "河道巡查（河长制）",
            "pa.type_code = 'river'",
        ),
        patrols("patrols.type.food", "食品安全检查", "pa.type_code = 'food'"),
        patrols(
            "patrols.type.waste",
            "垃圾分类巡查",
            "pa.type_code = 'waste'",
        ),
        patrols(
            "patrols.type.pests",
            "病媒防制巡查",
            "pa.type_code = 'pests'",
        ),
        patrols(
            "patrols.type.rental",
            "出租房治安查验",
            "pa.type_code = 'rental'",
        ),
        patrols(
            "patrols.type.forest",
            "森林防火巡查",
            "pa.type_code = 'forest'",
        ),
        patrols("patrols.with_problems", "发现问题的巡查", "pa.problems > 0"),
        Indicator {
            code: "patrols.units_checked",
            name: "巡查检查的辖区单位",
            unit: Unit::Things,
            measure: Measure::Distinct {
                source: &PATROL_UNITS,
                of: "pu.unit_id",
                when: "1 = 1",
                params: &[],
            },
        },
        Indicator::count(
            &PATROL_UNITS,
            Unit::Times,
            "patrols.unit_checks",
            "检查单位（家次）",
            "1 = 1",
        ),
        Indicator {
            code: "patrols.problems",
            name: "巡查发现问题",
            unit: Unit::Items,
            measure: Measure::Sum {
                source: &PATROLS,
                of: "pa.problems",
                when: "pa.problems > 0",
                params: &[],
            },
        },
    ],
    breakdowns: &[Breakdown {
        code: "patrols.by_type",
        name: "巡查按类型",
        unit: Unit::Times,
        source: &PATROLS,
        of: "pa.id",
        by: &["pa.type_code"],
        when: "1 = 1",
        params: &[],
    }],
};
