//! 房屋、单位、十联户: rented homes and their 治安责任书, the units of the area and the 责任书
//! they signed, 十联户 groups and their heads.
//!
//! A home counts by its use and 责任书 as they were on the as-of day (`housing_facts`, else as
//! recorded now; its room placed as the tree was that day), a unit until the day it closed.

use shequ_domain::figures::Unit;

use super::catalogue::{Indicator, Line, Measure, Param, Shows, Source, Timing};

/// A home's use and 治安责任书 day as they were on the as-of day: the `housing_facts` row
/// covering it, else the home's own (migration 0033). Conditions and ledger columns over
/// [`HOMES`] name these, never `h.usage` itself.
macro_rules! home_on_the_day {
    (usage) => {
        "(CASE WHEN hf.id IS NULL THEN h.usage ELSE hf.usage END)"
    };
    (agreement_signed_on) => {
        "(CASE WHEN hf.id IS NULL THEN h.agreement_signed_on ELSE hf.agreement_signed_on END)"
    };
}
pub(crate) use home_on_the_day;

/// Homes with their use as it was on the as-of day, at their room.
pub static HOMES: Source = Source {
    code: "homes",
    from: "housing h JOIN org_nodes n ON n.id = h.room_id LEFT JOIN housing_facts hf \
           ON hf.room_id = h.room_id AND hf.valid_from <= {as_of} AND hf.valid_to > {as_of}",
    path: "n.path",
    community: "h.community_id",
    key: "h.room_id",
    shows: Shows::Node,
    by: None,
    timing: Timing::Alive(&[]),
};

/// The units (辖区单位) of the area.
pub static UNITS: Source = Source {
    code: "units",
    from: "units u",
    path: "u.area_path",
    community: "u.community_id",
    key: "u.id",
    shows: Shows::Unit,
    by: None,
    timing: Timing::Alive(&[]),
};

/// 十联户 groups standing on the as-of day, at their grid.
pub static GROUPS: Source = Source {
    code: "household_groups",
    from: "household_groups hg JOIN org_nodes n ON n.id = hg.grid_id",
    path: "n.path",
    community: "hg.community_id",
    key: "hg.id",
    shows: Shows::Group,
    by: None,
    timing: Timing::Alive(&[("hg.created_on", "hg.retired_on")]),
};

const fn homes(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator::count(&HOMES, Unit::Homes, code, name, when)
}

/// Units open on the as-of day meeting `more`, whose `?`s follow the as-of day's.
macro_rules! open_units {
    ($code:literal, $name:literal, $more:literal, $params:expr) => {
        Indicator {
            code: $code,
            name: $name,
            unit: Unit::Things,
            measure: Measure::Count {
                source: &UNITS,
                when: concat!("(u.closed_on IS NULL OR u.closed_on > ?) AND ", $more),
                params: $params,
            },
        }
    };
}

pub static LINE: Line = Line {
    code: "housing",
    name: "房屋与单位",
    indicators: &[
        homes(
            "homes.rented",
            "出租房屋",
            concat!(home_on_the_day!(usage), " = '出租'"),
        ),
        Indicator {
            code: "homes.rented_agreement",
            name: "签订治安责任书的出租房屋",
            unit: Unit::Homes,
            measure: Measure::Count {
                source: &HOMES,
                when: concat!(
                    home_on_the_day!(usage),
                    " = '出租' AND ",
                    home_on_the_day!(agreement_signed_on),
                    " <= ?"
                ),
                params: &[Param::AsOf],
            },
        },
        Indicator::rate(
            "homes.rented_agreement_rate",
            "出租房屋责任书签订率",
            "homes.rented_agreement",
            "homes.rented",
        ),
        homes(
            "homes.owner_occupied",
            "自住房屋",
            concat!(home_on_the_day!(usage), " = '自住'"),
        ),
        homes(
            "homes.vacant",
            "空置房屋",
            concat!(home_on_the_day!(usage), " = '空置'"),
        ),
        homes(
            "homes.commercial",
            "商用房屋",
            concat!(home_on_the_day!(usage), " = '商用'"),
        ),
        open_units!("units.total", "辖区单位", "1 = 1", &[Param::AsOf]),
        open_units!(
            "units.safety_agreement",
            "签订安全生产责任书的单位",
            "u.safety_agreement_on IS NOT NULL AND u.safety_agreement_on <= ?",
            &[Param::AsOf, Param::AsOf]
        ),
        Indicator::rate(
            "units.safety_agreement_rate",
            "单位安全生产责任书签订率",
            "units.safety_agreement",
            "units.total",
        ),
        open_units!(
            "units.safety_agreement_signed",
            "期内签订安全生产责任书",
            "u.safety_agreement_on >= ? AND u.safety_agreement_on <= ?",
            &[Param::AsOf, Param::First, Param::Last]
        ),
        open_units!(
            "units.fire_agreement",
            "签订消防安全责任书的单位",
            "u.fire_agreement_on IS NOT NULL AND u.fire_agreement_on <= ?",
            &[Param::AsOf, Param::AsOf]
        ),
        open_units!(
            "units.fire_agreement_signed",
            "期内签订消防安全责任书",
            "u.fire_agreement_on >= ? AND u.fire_agreement_on <= ?",
            &[Param::AsOf, Param::First, Param::Last]
        ),
        Indicator::count(&GROUPS, Unit::Things, "groups.total", "十联户", "1 = 1"),
        Indicator {
            code: "groups.heads",
            name: "联户长",
            unit: Unit::Persons,
            measure: Measure::Distinct {
                source: &GROUPS,
                of: "hg.leader_person_id",
                when: "hg.leader_person_id IS NOT NULL",
                params: &[],
            },
        },
    ],
    breakdowns: &[],
};
