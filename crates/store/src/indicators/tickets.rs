//! 事件处置: reports found and how they were handled (三率, on time, handling time). A report
//! counts in the period it was reported, where it was reported; what happened to it counts as
//! it stood at the end of the as-of day, so a closed period's figures stay as they were.

use shequ_domain::figures::Unit;

use super::catalogue::{Breakdown, Indicator, Line, Measure, Param, Shows, Source, Timing};
use super::place::Day;

/// Reports, each counted on the day of its instant `day`, where it was reported.
const fn reports(code: &'static str, day: &'static str) -> Source {
    Source {
        code,
        from: "tickets t",
        path: "t.area_path",
        community: "t.community_id",
        key: "t.id",
        shows: Shows::Ticket,
        by: Some("t.reporter_user_id"),
        timing: Timing::Event(Day::Instant(day)),
    }
}

/// The reports of the period.
pub static REPORTED: Source = reports("tickets_reported", "t.reported_at");

/// The reports closed (办结) in the period, whenever they were reported.
pub static CLOSED: Source = reports("tickets_closed", "t.closed_at");

const fn reported(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator::count(&REPORTED, Unit::Items, code, name, when)
}

const fn closed(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator::count(&CLOSED, Unit::Items, code, name, when)
}

/// Reports of the period meeting `when` by the end of the as-of day (its one `?`).
const fn by_as_of(code: &'static str, name: &'static str, when: &'static str) -> Indicator {
    Indicator {
        code,
        name,
        unit: Unit::Items,
        measure: Measure::Count {
            source: &REPORTED,
            when,
            params: &[Param::AsOfEnd],
        },
    }
}

pub static LINE: Line = Line {
    code: "tickets",
    name: "事件处置",
    indicators: &[
        reported("tickets.reported", "发现上报事件", "1 = 1"),
        reported(
            "tickets.source.worker",
            "网格员/工作人员上报",
            "t.source = 'worker'",
        ),
        reported(
            "tickets.source.resident",
            "居民反映",
            "t.source = 'resident'",
        ),
        reported(
            "tickets.source.open311",
            "网上报事（Open311）",
            "t.source = 'open311'",
        ),
        reported("tickets.source.visit", "走访发现", "t.source = 'visit'"),
        reported("tickets.source.patrol", "巡查发现", "t.source = 'patrol'"),
        reported(
            "tickets.category.01",
            "市容环境",
            "substr(t.category_code, 1, 2) = '01'",
        ),
        reported(
            "tickets.category.02",
            "安全隐患",
            "substr(t.category_code, 1, 2) = '02'",
        ),
        reported(
            "tickets.category.03",
            "设施设备",
            "substr(t.category_code, 1, 2) = '03'",
        ),
        reported(
            "tickets.category.04",
            "河道水务",
            "substr(t.category_code, 1, 2) = '04'",
        ),
        reported(
            "tickets.category.05",
            "食品安全",
            "substr(t.category_code, 1, 2) = '05'",
        ),
        reported(
            "tickets.category.06",
            "邻里纠纷与诉求",
            "substr(t.category_code, 1, 2) = '06'",
        ),
        reported(
            "tickets.category.07",
            "民生保障",
            "substr(t.category_code, 1, 2) = '07'",
        ),
        reported(
            "tickets.category.08",
            "垃圾分类",
            "substr(t.category_code, 1, 2) = '08'",
        ),
        reported(
            "tickets.category.09",
            "病媒防制",
            "substr(t.category_code, 1, 2) = '09'",
        ),
        reported(
            "tickets.category.99",
            "其他",
            "substr(t.category_code, 1, 2) = '99'",
        ),
        // 响应: taken up or declined within the deadline fixed when it was reported (one
        // working day by the calendar of that day: editing the calendar later changes nothing).
        reported(
            "tickets.responded",
            "按时响应",
            "t.responded_at IS NOT NULL AND t.responded_at <= t.respond_by",
        ),
        Indicator::rate(
            "tickets.response_rate",
            "响应率",
            "tickets.responded",
            "tickets.reported",
        ),
        by_as_of(
            "tickets.accepted",
            "受理",
            "t.accepted_at IS NOT NULL AND t.accepted_at < ?",
        ),
        Indicator {
            code: "tickets.resolved",
            name: "解决",
            unit: Unit::Items,
            measure: Measure::Count {
                source: &REPORTED,
                when: "t.accepted_at IS NOT NULL AND t.accepted_at < ? AND t.closed_at < ?",
                params: &[Param::AsOfEnd, Param::AsOfEnd],
            },
        },
        Indicator::rate(
            "tickets.resolution_rate",
            "解决率",
            "tickets.resolved",
            "tickets.accepted",
        ),
        reported("tickets.rated", "评价", "t.rating IS NOT NULL"),
        reported(
            "tickets.satisfied",
            "满意（含基本满意）",
            "t.rating IN ('满意', '基本满意')",
        ),
        Indicator::rate(
            "tickets.satisfaction_rate",
            "满意率",
            "tickets.satisfied",
            "tickets.rated",
        ),
        reported(
            "tickets.rated.resident",
            "居民凭回执评价",
            "t.rating IS NOT NULL AND t.rating_channel = 'resident'",
        ),
        reported(
            "tickets.satisfied.resident",
            "居民凭回执评价满意",
            "t.rating IN ('满意', '基本满意') AND t.rating_channel = 'resident'",
        ),
        Indicator::rate(
            "tickets.satisfaction_rate.resident",
            "满意率（居民凭回执评价）",
            "tickets.satisfied.resident",
            "tickets.rated.resident",
        ),
        reported(
            "tickets.rated.phone",
            "电话回访评价",
            "t.rating IS NOT NULL AND t.rating_channel = 'phone'",
        ),
        reported(
            "tickets.satisfied.phone",
            "电话回访满意",
            "t.rating IN ('满意', '基本满意') AND t.rating_channel = 'phone'",
        ),
        Indicator::rate(
            "tickets.satisfaction_rate.phone",
            "满意率（电话回访）",
            "tickets.satisfied.phone",
            "tickets.rated.phone",
        ),
        reported(
            "tickets.rated.unrecorded",
            "未记录渠道的评价",
            "t.rating IS NOT NULL AND (t.rating_channel IS NULL OR t.rating_channel = 'unrecorded')",
        ),
        reported(
            "tickets.satisfied.unrecorded",
            "未记录渠道的评价满意",
            "t.rating IN ('满意', '基本满意') AND (t.rating_channel IS NULL OR t.rating_channel = 'unrecorded')",
        ),
        Indicator::rate(
            "tickets.satisfaction_rate.unrecorded",
            "满意率（未记录渠道）",
            "tickets.satisfied.unrecorded",
            "tickets.rated.unrecorded",
        ),
        closed("tickets.closed", "办结", "1 = 1"),
        // The time limit was fixed when the report was dispatched (due_at), so it too stays.
        closed(
            "tickets.closed_on_time",
            "按期办结",
            "t.due_at IS NULL OR t.closed_at <= t.due_at",
        ),
        Indicator::rate(
            "tickets.on_time_rate",
            "按期办结率",
            "tickets.closed_on_time",
            "tickets.closed",
        ),
        Indicator {
            code: "tickets.handling_hours",
            name: "平均办理时长",
            unit: Unit::Hours,
            measure: Measure::MeanHours {
                source: &CLOSED,
                from: "t.reported_at",
                to: "t.closed_at",
                when: "1 = 1",
                params: &[],
            },
        },
    ],
    breakdowns: &[Breakdown {
        code: "tickets.by_category",
        name: "发现上报事件按小类",
        unit: Unit::Items,
        source: &REPORTED,
        of: "t.id",
        by: &["t.category_code"],
        when: "1 = 1",
        params: &[],
    }],
};
