//! The registry's indicators (实有人口、户、重点人群), taken on the period's as-of day from the
//! dated residences and tags.

use shequ_domain::figures::Unit;

use super::catalogue::{Breakdown, Indicator, Line, Measure, Param, Shows, Source, Timing};

/// A resident's 人员类型, 人户一致 and 就业状况 as they were on the as-of day: the
/// `person_facts` row covering it, else the person's own (see migration 0032). Conditions and
/// ledger columns over [`RESIDENTS`] name these, never `p.person_type` and the like.
macro_rules! on_the_day {
    (person_type) => {
        "(CASE WHEN f.id IS NULL THEN p.person_type ELSE f.person_type END)"
    };
    (registered_here) => {
        "(CASE WHEN f.id IS NULL THEN p.registered_here ELSE f.registered_here END)"
    };
    (employment) => {
        "(CASE WHEN f.id IS NULL THEN p.employment ELSE f.employment END)"
    };
}
pub(crate) use on_the_day;

/// Who lived where on the day: a residence open that day, with its person (as they were that
/// day) and room.
pub static RESIDENTS: Source = Source {
    code: "residents",
    from: "residences r JOIN org_nodes n ON n.id = r.room_id JOIN persons p ON p.id = r.person_id \
           LEFT JOIN person_facts f ON f.person_id = p.id AND f.valid_from <= {as_of} AND f.valid_to > {as_of}",
    path: "n.path",
    community: "r.community_id",
    key: "r.person_id",
    shows: Shows::Person,
    by: None,
    timing: Timing::Alive(&[("r.moved_in_on", "r.moved_out_on")]),
};

/// A person's special-group tag open that day, placed where the person lived that day.
pub static PERSON_TAGS: Source = Source {
    code: "person_tags",
    from: "tags t JOIN residences r ON r.person_id = t.person_id JOIN org_nodes n ON n.id = r.room_id",
    path: "n.path",
    community: "t.community_id",
    key: "t.person_id",
    shows: Shows::Person,
    by: None,
    timing: Timing::Alive(&[
        ("t.started_on", "t.ended_on"),
        ("r.moved_in_on", "r.moved_out_on"),
    ]),
};

/// A household's tag open that day, placed at the household's room.
pub static HOUSEHOLD_TAGS: Source = Source {
    code: "household_tags",
    from: "tags t JOIN households h ON h.id = t.household_id JOIN org_nodes n ON n.id = h.room_id",
    path: "n.path",
    community: "t.community_id",
    key: "t.household_id",
    shows: Shows::Household,
    by: None,
    timing: Timing::Alive(&[
        ("t.started_on", "t.ended_on"),
        ("h.created_on", "h.dissolved_on"),
    ]),
};

/// The members of a tagged household that day (低保人数 counts them).
pub static HOUSEHOLD_TAG_MEMBERS: Source = Source {
    code: "household_tag_members",
    from: "tags t JOIN residences r ON r.household_id = t.household_id JOIN org_nodes n ON n.id = r.room_id",
    path: "n.path",
    community: "t.community_id",
    key: "r.person_id",
    shows: Shows::Person,
    by: None,
    timing: Timing::Alive(&[
        ("t.started_on", "t.ended_on"),
        ("r.moved_in_on", "r.moved_out_on"),
    ]),
};

/// Distinct values of `of` among the records of `source` meeting `when`.
const fn distinct(
    source: &'static Source,
    of: &'static str,
    unit: Unit,
    (code, name): (&'static str, &'static str),
    when: &'static str,
    params: &'static [Param],
) -> Indicator {
    Indicator {
        code,
        name,
        unit,
        measure: Measure::Distinct {
            source,
            of,
            when,
            params,
        },
    }
}

/// Residents meeting `when` on the as-of day, whose `?`s are `params`.
const fn aged(
    code: &'static str,
    name: &'static str,
    when: &'static str,
    params: &'static [Param],
) -> Indicator {
    distinct(
        &RESIDENTS,
        "r.person_id",
        Unit::Persons,
        (code, name),
        when,
        params,
    )
}

const fn people(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    aged(code, name, when, &[])
}

const fn tagged(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    distinct(
        &PERSON_TAGS,
        "t.person_id",
        Unit::Persons,
        (code, name),
        when,
        &[],
    )
}

const fn tagged_households(
    code: &'static str,
    name: &'static str,
    when: &'static str,
) -> Indicator {
    distinct(
        &HOUSEHOLD_TAGS,
        "t.household_id",
        Unit::Households,
        (code, name),
        when,
        &[],
    )
}

/// The people a household group's tags cover by their own count (低保's 保障人数), summed over
/// the tags open that day.
const fn covered(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator {
        code,
        name,
        unit: Unit::Persons,
        measure: Measure::Sum {
            source: &HOUSEHOLD_TAGS,
            of: "t.covered",
            when,
            params: &[],
        },
    }
}

const fn tagged_members(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    distinct(
        &HOUSEHOLD_TAG_MEMBERS,
        "r.person_id",
        Unit::Persons,
        (code, name),
        when,
        &[],
    )
}

/// Working age (劳动年龄), as the census counts it: 16 to 59 on the day, with `$more`; its two
/// `?`s are `WORKING_AGE_PARAMS`.
macro_rules! working_age {
    () => {
        "p.birth_date <= ? AND p.birth_date > ?"
    };
    ($more:literal) => {
        concat!(working_age!(), " AND ", $more)
    };
    (employment $is:literal) => {
        concat!(working_age!(), " AND ", on_the_day!(employment), " = ", $is)
    };
}

const WORKING_AGE_PARAMS: &[Param] = &[Param::BornBy(16), Param::BornBy(60)];

pub static LINE: Line = Line {
    code: "registry",
    name: "实有人口",
    indicators: &[
        people("people.total", "实有人口", "1 = 1"),
        Indicator {
            code: "households.total",
            name: "户数",
            unit: Unit::Households,
            measure: Measure::Distinct {
                source: &RESIDENTS,
                of: "r.household_id",
                when: "1 = 1",
                params: &[],
            },
        },
        people(
            "people.huji",
            "户籍人口",
            concat!(on_the_day!(person_type), " = '户籍'"),
        ),
        people(
            "people.floating",
            "流动人口",
            concat!(on_the_day!(person_type), " = '流动'"),
        ),
        aged(
            "people.floating_registered",
            "已登记流动人口",
            concat!(
                on_the_day!(person_type),
                " = '流动' AND EXISTS (SELECT 1 FROM tags ft WHERE ft.person_id = p.id \
                 AND ft.kind = 'floating' AND ft.started_on <= ? AND (ft.ended_on IS NULL OR ft.ended_on > ?))"
            ),
            &[Param::AsOf, Param::AsOf],
        ),
        Indicator::rate(
            "people.floating_registration_rate",
            "流动人口登记率",
            "people.floating_registered",
            "people.floating",
        ),
        people(
            "people.overseas",
            "境外人员",
            concat!(on_the_day!(person_type), " = '境外'"),
        ),
        people(
            "people.unsettled",
            "未落户人员",
            concat!(on_the_day!(person_type), " = '未落户'"),
        ),
        people(
            "people.registered_here",
            "人户一致",
            concat!(
                on_the_day!(person_type),
                " = '户籍' AND ",
                on_the_day!(registered_here),
                " = 1"
            ),
        ),
        people(
            "people.registered_elsewhere",
            "人户分离",
            concat!(
                on_the_day!(person_type),
                " = '户籍' AND ",
                on_the_day!(registered_here),
                " = 0"
            ),
        ),
        people("people.male", "男性", "p.sex = '男'"),
        people("people.female", "女性", "p.sex = '女'"),
        aged(
            "people.under_18",
            "18岁以下",
            "p.birth_date > ?",
            &[Param::BornBy(18)],
        ),
        aged(
            "people.aged_60",
            "60岁及以上",
            "p.birth_date <= ?",
            &[Param::BornBy(60)],
        ),
        aged(
            "people.aged_65",
            "65岁及以上",
            "p.birth_date <= ?",
            &[Param::BornBy(65)],
        ),
        aged(
            "people.aged_80",
            "80岁及以上",
            "p.birth_date <= ?",
            &[Param::BornBy(80)],
        ),
        aged(
            "labour.working_age",
            "劳动年龄人口（16—59岁）",
            working_age!(),
            WORKING_AGE_PARAMS,
        ),
        aged(
            "labour.employed",
            "在业人员",
            working_age!(employment "'在业'"),
            WORKING_AGE_PARAMS,
        ),
        aged(
            "labour.public_welfare_jobs",
            "公益性岗位",
            working_age!(employment "'公益性岗位'"),
            WORKING_AGE_PARAMS,
        ),
        aged(
            "labour.flexible",
            "灵活就业",
            working_age!(employment "'灵活就业'"),
            WORKING_AGE_PARAMS,
        ),
        aged(
            "labour.unemployed",
            "登记失业",
            working_age!(employment "'登记失业'"),
            WORKING_AGE_PARAMS,
        ),
        tagged_households("dibao.households", "低保户", "t.kind = 'dibao'"),
        tagged_households(
            "dibao.households_a",
            "低保户（A类）",
            "t.kind = 'dibao' AND t.category = 'A类'",
        ),
        tagged_households(
            "dibao.households_b",
            "低保户（B类）",
            "t.kind = 'dibao' AND t.category = 'B类'",
        ),
        tagged_households(
            "dibao.households_c",
            "低保户（C类）",
            "t.kind = 'dibao' AND t.category = 'C类'",
        ),
        tagged_members("dibao.persons", "低保人数", "t.kind = 'dibao'"),
        tagged_members(
            "dibao.persons_a",
            "低保人数（A类）",
            "t.kind = 'dibao' AND t.category = 'A类'",
        ),
        tagged_members(
            "dibao.persons_b",
            "低保人数（B类）",
            "t.kind = 'dibao' AND t.category = 'B类'",
        ),
        tagged_members(
            "dibao.persons_c",
            "低保人数（C类）",
            "t.kind = 'dibao' AND t.category = 'C类'",
        ),
        covered("dibao.covered", "低保保障人数", "t.kind = 'dibao'"),
        covered(
            "dibao.covered_a",
            "低保保障人数（A类）",
            "t.kind = 'dibao' AND t.category = 'A类'",
        ),
        covered(
            "dibao.covered_b",
            "低保保障人数（B类）",
            "t.kind = 'dibao' AND t.category = 'B类'",
        ),
        covered(
            "dibao.covered_c",
            "低保保障人数（C类）",
            "t.kind = 'dibao' AND t.category = 'C类'",
        ),
        tagged("tekun.persons", "特困人员", "t.kind = 'tekun'"),
        tagged("disability.persons", "残疾人", "t.kind = 'disability'"),
        tagged(
            "veteran.persons",
            "退役军人及优抚对象",
            "t.kind = 'veteran'",
        ),
        tagged_households(
            "family_planning.households",
            "计生特扶家庭",
            "t.kind = 'family_planning'",
        ),
        tagged(
            "correction.persons",
            "刑释解教/社区矫正人员",
            "t.kind = 'correction'",
        ),
        tagged(
            "left_behind_child.persons",
            "留守儿童",
            "t.kind = 'left_behind_child'",
        ),
        tagged(
            "elderly_alone.persons",
            "空巢/独居老人",
            "t.kind = 'elderly_alone'",
        ),
        tagged("party_member.persons", "党员", "t.kind = 'party_member'"),
    ],
    breakdowns: &[
        Breakdown {
            code: "people.by_type",
            name: "实有人口按人员类型",
            unit: Unit::Persons,
            source: &RESIDENTS,
            of: "r.person_id",
            by: &[on_the_day!(person_type)],
            when: "1 = 1",
            params: &[],
        },
        Breakdown {
            code: "person_tags.by_class",
            name: "重点人群（人）按类别",
            unit: Unit::Persons,
            source: &PERSON_TAGS,
            of: "t.person_id",
            by: &["t.kind", "t.category"],
            when: "1 = 1",
            params: &[],
        },
        Breakdown {
            code: "household_tags.by_class",
            name: "重点人群（户）按类别",
            unit: Unit::Households,
            source: &HOUSEHOLD_TAGS,
            of: "t.household_id",
            by: &["t.kind", "t.category"],
            when: "1 = 1",
            params: &[],
        },
        Breakdown {
            code: "disability.by_grade",
            name: "残疾人按类别和等级",
            unit: Unit::Persons,
            source: &PERSON_TAGS,
            of: "t.person_id",
            by: &["t.category", "CAST(t.grade AS TEXT)"],
            when: "t.kind = 'disability'",
            params: &[],
        },
    ],
};
