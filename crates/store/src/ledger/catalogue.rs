//! 台账目录: every ledger a node can export, as definitions over the records (columns, the
//! records' condition, order, grouping), never as stored tables. A ledger's sheet names the
//! catalogue source its rows come from and, where one exists, the figure that counts them: the
//! rows are placed in the node and period by the very rule that figure uses, so 走访记录台账 for
//! 2024 lists exactly the visits `visits.total` counts for 2024.
//!
//! Adding a ledger is one function here and one entry in [`all`].

use shequ_domain::mediation as med;
use shequ_domain::registry::tags::{FieldType, TAG_KINDS, TagKind, Target};
use shequ_domain::tickets as tk;

use crate::access::sealed::Field;
use crate::indicators::catalogue::{Param, Source};
use crate::indicators::housing::home_on_the_day;
use crate::indicators::registry::on_the_day;
use crate::indicators::{housing, mediation, patrols, registry, tickets, visits};

/// How one column's value is made.
#[derive(Debug, Clone)]
pub enum Val {
    /// 序号: the row's number in its sheet.
    Seq,
    Text(&'static str),
    Int(&'static str),
    /// A stored date (`YYYY-MM-DD`).
    Date(&'static str),
    /// A stored UTC instant, shown in local time to the minute.
    Instant(&'static str),
    /// A sealed value, opened.
    Sealed(&'static str, Field),
    /// A 0/1 column as 是/否.
    YesNo(&'static str),
    /// A stored code shown by its label.
    Coded(&'static str, fn(&str) -> String),
    /// Age in whole years on the period's as-of day, from a birth date.
    Age(&'static str),
    /// The community, grid or address (building, unit, room) of the row's place.
    Community,
    Grid,
    Address,
    /// The special groups (低保、残疾 …) the person with this id belonged to on the as-of day.
    Groups(&'static str),
    /// One field of a tag's details (`tags.details`, opened where sealed).
    Detail(&'static str),
    /// Several names for the row's id (`expr`): `SELECT id, name … WHERE id IN` of them, in the
    /// query's order, joined "甲、乙" (the units a patrol checked).
    Listed(&'static str, &'static str),
}

#[derive(Debug, Clone)]
pub struct Col {
    pub header: &'static str,
    /// In characters, as Excel counts them (a Chinese character is about two).
    pub width: f64,
    pub val: Val,
}

const fn col(header: &'static str, width: f64, val: Val) -> Col {
    Col { header, width, val }
}

/// One sheet of a ledger: the records of `source` meeting `when`, one row each.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Tab name.
    pub name: String,
    /// The title after the place's name: "走访记录台账".
    pub title: String,
    /// The counting word of the note ("共 12 条").
    pub word: &'static str,
    pub source: &'static Source,
    /// A column unique to each row of `source.from` (a residence, not its person).
    pub key: &'static str,
    /// Tables the columns read besides the source's own.
    pub joins: &'static str,
    pub when: String,
    pub params: &'static [Param],
    /// ORDER BY of the rows (the key breaks ties).
    pub order: &'static str,
    pub columns: Vec<Col>,
    /// The catalogue figure counting these rows, where there is one.
    pub figure: Option<&'static str>,
    /// The tag's kind, for `Val::Detail` (`t.kind`, `t.category` and `t.details` are read).
    pub tag_kind: Option<&'static str>,
}

/// A ledger: one workbook of one or more sheets.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Stable, for links and scripts: `visits`, `group.dibao`.
    pub code: String,
    pub name: String,
    /// The line of work it belongs to, as the ledger page groups them.
    pub line: &'static str,
    /// Whether it holds residents' personal data (then exporting it needs the export
    /// permission, the second factor and the people scope).
    pub personal: bool,
    pub sheets: Vec<Sheet>,
}

/// Every ledger, in the order the ledger page lists them.
pub fn all() -> Vec<Ledger> {
    let mut out = vec![
        residents(),
        floating(),
        rentals(),
        units(),
        visits_ledger(),
        patrols_ledger(),
        tickets_ledger(),
        mediation_ledger(),
        veterans(),
    ];
    out.extend(TAG_KINDS.iter().map(group));
    out
}

pub fn find(code: &str) -> Option<Ledger> {
    all().into_iter().find(|l| l.code == code)
}

fn sheet(name: &str, title: &str, word: &'static str, source: &'static Source) -> Sheet {
    Sheet {
        // A tab name can't hold these (Excel's rule); "刑释解教/社区矫正" becomes "刑释解教、社区矫正".
        name: name.replace(['/', '\\', '[', ']', ':', '*', '?'], "、"),
        title: title.into(),
        word,
        source,
        key: source.key,
        joins: "",
        when: "1 = 1".into(),
        params: &[],
        order: source.key,
        columns: Vec::new(),
        figure: None,
        tag_kind: None,
    }
}

fn ledger(
    code: &str,
    name: &str,
    line: &'static str,
    personal: bool,
    sheets: Vec<Sheet>,
) -> Ledger {
    Ledger {
        code: code.into(),
        name: name.into(),
        line,
        personal,
        sheets,
    }
}

fn label_of(list: &'static [(&'static str, &'static str)], code: &str) -> String {
    med::label(list, code).to_string()
}

fn ticket_source(c: &str) -> String {
    label_of(tk::SOURCES, c)
}

fn ticket_state(c: &str) -> String {
    tk::State::parse(c).map_or_else(|| c.to_string(), |s| s.label().to_string())
}

fn urgency(c: &str) -> String {
    label_of(tk::URGENCIES, c)
}

fn dispute_type(c: &str) -> String {
    med::type_of(c).map_or_else(|| c.to_string(), |t| t.1.to_string())
}

fn case_source(c: &str) -> String {
    label_of(med::SOURCES, c)
}

fn outcome(c: &str) -> String {
    label_of(med::OUTCOMES, c)
}

fn screening_source(c: &str) -> String {
    match c {
        "visit" => "入户走访",
        "patrol" => "巡查",
        "screening" => "专项排查",
        other => other,
    }
    .to_string()
}

/// The person columns every people ledger starts with.
fn person_columns() -> Vec<Col> {
    vec![
        col("序号", 6.0, Val::Seq),
        col("社区", 12.0, Val::Community),
        col("网格", 10.0, Val::Grid),
        col("住址", 16.0, Val::Address),
        col("姓名", 10.0, Val::Text("p.name")),
        col("性别", 6.0, Val::Text("p.sex")),
        col("出生日期", 12.0, Val::Date("p.birth_date")),
        col("年龄", 6.0, Val::Age("p.birth_date")),
        col(
            "公民身份号码",
            21.0,
            Val::Sealed("p.id_sealed", Field::IdNumber),
        ),
        col("联系电话", 14.0, Val::Sealed("p.phone", Field::Phone)),
    ]
}

/// 实有人口台账 as it stood on the period's last day (today, for a period under way).
fn residents() -> Ledger {
    let mut s = sheet("实有人口", "实有人口台账", "人", &registry::RESIDENTS);
    s.key = "r.id";
    s.order =
        "n.path, r.household_id, CASE WHEN r.relation = '户主' THEN 0 ELSE 1 END, p.birth_date";
    s.figure = Some("people.total");
    s.columns = person_columns();
    s.columns.extend([
        col("与户主关系", 10.0, Val::Text("r.relation")),
        col("民族", 8.0, Val::Text("p.ethnicity")),
        col("人员类型", 9.0, Val::Text(on_the_day!(person_type))),
        col("人户一致", 9.0, Val::YesNo(on_the_day!(registered_here))),
        col("迁入日期", 12.0, Val::Date("r.moved_in_on")),
        col("重点人群", 18.0, Val::Groups("p.id")),
    ]);
    ledger("residents", "实有人口台账", "registry", true, vec![s])
}

/// 流动人口登记台账: the floating people of the as-of day, with their registration (the
/// 流动人口 tag) where they have one.
fn floating() -> Ledger {
    let mut s = sheet("流动人口", "流动人口登记台账", "人", &registry::RESIDENTS);
    s.key = "r.id";
    s.joins = "LEFT JOIN tags t ON t.person_id = p.id AND t.kind = 'floating' \
               AND t.started_on <= {as_of} AND (t.ended_on IS NULL OR t.ended_on > {as_of})";
    s.when = concat!(on_the_day!(person_type), " = '流动'").into();
    s.order = "n.path, r.household_id, p.birth_date";
    s.figure = Some("people.floating");
    s.tag_kind = Some("floating");
    s.columns = person_columns();
    s.columns.extend([
        col("迁入日期", 12.0, Val::Date("r.moved_in_on")),
        col(
            "已登记",
            8.0,
            Val::YesNo("CASE WHEN t.id IS NULL THEN 0 ELSE 1 END"),
        ),
        col("登记日期", 12.0, Val::Date("t.started_on")),
        col("流入原因", 10.0, Val::Text("t.category")),
        col("来源地", 16.0, Val::Detail("origin")),
        col("到达日期", 12.0, Val::Detail("arrived_on")),
        col("居住证号", 18.0, Val::Detail("residence_permit")),
    ]);
    ledger("floating", "流动人口登记台账", "registry", true, vec![s])
}

/// 出租房屋台账: the homes used as 出租, with their landlords and 治安责任书.
fn rentals() -> Ledger {
    let mut s = sheet("出租房屋", "出租房屋台账", "套", &housing::HOMES);
    s.when = concat!(home_on_the_day!(usage), " = '出租'").into();
    s.order = "n.path";
    s.figure = Some("homes.rented");
    s.columns = vec![
        col("序号", 6.0, Val::Seq),
        col("社区", 12.0, Val::Community),
        col("网格", 10.0, Val::Grid),
        col("房屋地址", 18.0, Val::Address),
        col("房东", 10.0, Val::Text("h.landlord_name")),
        col(
            "房东电话",
            14.0,
            Val::Sealed("h.landlord_phone", Field::LandlordPhone),
        ),
        col(
            "治安责任书签订日期",
            14.0,
            Val::Date(home_on_the_day!(agreement_signed_on)),
        ),
        col(
            "在住人数",
            8.0,
            Val::Int(
                "(SELECT COUNT(*) FROM residences rr WHERE rr.room_id = h.room_id \
                 AND rr.moved_in_on <= {as_of} AND (rr.moved_out_on IS NULL OR rr.moved_out_on > {as_of}))",
            ),
        ),
        col("备注", 20.0, Val::Text("h.notes")),
    ];
    ledger("rentals", "出租房屋台账", "housing", true, vec![s])
}

/// 辖区单位台账: the units open on the as-of day.
fn units() -> Ledger {
    let mut s = sheet("辖区单位", "辖区单位台账", "家", &housing::UNITS);
    s.when = "(u.closed_on IS NULL OR u.closed_on > ?)".into();
    s.params = &[Param::AsOf];
    s.order = "u.area_path, u.name";
    s.figure = Some("units.total");
    s.columns = vec![
        col("序号", 6.0, Val::Seq),
        col("社区", 12.0, Val::Community),
        col("网格", 10.0, Val::Grid),
        col("单位名称", 22.0, Val::Text("u.name")),
        col("单位类型", 10.0, Val::Text("u.kind")),
        col("统一社会信用代码", 20.0, Val::Text("u.credit_code")),
        col("地址", 20.0, Val::Text("u.address")),
        col("负责人", 10.0, Val::Text("u.contact_name")),
        col(
            "联系电话",
            14.0,
            Val::Sealed("u.contact_phone", Field::ContactPhone),
        ),
        col("从业人数", 8.0, Val::Int("u.employees")),
        col("安全生产责任书", 13.0, Val::Date("u.safety_agreement_on")),
        col("消防安全责任书", 13.0, Val::Date("u.fire_agreement_on")),
    ];
    ledger("units", "辖区单位台账", "housing", true, vec![s])
}

fn visit_sheet(name: &str, title: &str, when: &str, figure: Option<&'static str>) -> Sheet {
    let mut s = sheet(name, title, "次", &visits::VISITS);
    s.joins = "JOIN persons p ON p.id = v.person_id";
    s.when = when.into();
    s.order = "v.community_id, v.visited_on";
    s.figure = figure;
    s.columns = vec![
        col("序号", 6.0, Val::Seq),
        col("社区", 12.0, Val::Community),
        col("网格", 10.0, Val::Grid),
        col("走访日期", 12.0, Val::Date("v.visited_on")),
        col("被走访人", 10.0, Val::Text("p.name")),
        col("住址", 16.0, Val::Address),
        col("重点人群", 16.0, Val::Groups("p.id")),
        col("走访方式", 8.0, Val::Text("v.kind")),
        col("走访情况", 40.0, Val::Text("v.findings")),
        col("走访人", 10.0, Val::Text("v.worker_name")),
        col("补录", 6.0, Val::YesNo("v.backdated")),
    ];
    s
}

/// 走访记录台账: the visits made in the period.
fn visits_ledger() -> Ledger {
    let s = visit_sheet("走访记录", "走访记录台账", "1 = 1", Some("visits.total"));
    ledger("visits", "走访记录台账", "visits", true, vec![s])
}

/// 巡查记录台账: the patrols made in the period.
fn patrols_ledger() -> Ledger {
    let mut s = sheet("巡查记录", "巡查记录台账", "次", &patrols::PATROLS);
    s.joins = "JOIN patrol_types pt ON pt.code = pa.type_code";
    s.order = "pa.community_id, pa.patrolled_on";
    s.figure = Some("patrols.total");
    s.columns = vec![
        col("序号", 6.0, Val::Seq),
        col("社区", 12.0, Val::Community),
        col("网格", 10.0, Val::Grid),
        col("巡查日期", 12.0, Val::Date("pa.patrolled_on")),
        col("巡查类型", 12.0, Val::Text("pt.name")),
        col("巡查路线/部位", 18.0, Val::Text("pa.route")),
        col(
            "检查单位",
            24.0,
            Val::Listed(
                "pa.id",
                "SELECT pu.patrol_id, u.name FROM patrol_units pu JOIN units u ON u.id = pu.unit_id \
                 WHERE pu.patrol_id IN",
            ),
        ),
        col("发现问题数", 8.0, Val::Int("pa.problems")),
        col("问题及处理情况", 40.0, Val::Text("pa.findings")),
        col("巡查人", 10.0, Val::Text("pa.worker_name")),
        col("补录", 6.0, Val::YesNo("pa.backdated")),
    ];
    ledger("patrols", "巡查记录台账", "patrols", false, vec![s])
}

/// 事件台账: the reports of the period, with how each stands now.
fn tickets_ledger() -> Ledger {
    let mut s = sheet("事件台账", "事件台账", "件", &tickets::REPORTED);
    s.joins = "LEFT JOIN ticket_categories c ON c.code = t.category_code";
    s.order = "t.community_id, t.reported_at";
    s.figure = Some("tickets.reported");
    s.columns = vec![
        col("序号", 6.0, Val::Seq),
        col("编号", 8.0, Val::Int("t.id")),
        col("社区", 12.0, Val::Community),
        col("网格", 10.0, Val::Grid),
        col("上报时间", 17.0, Val::Instant("t.reported_at")),
        col("受理时间", 17.0, Val::Instant("t.accepted_at")),
        col("来源", 12.0, Val::Coded("t.source", ticket_source)),
        col("类别", 12.0, Val::Text("c.name")),
        col("紧急程度", 8.0, Val::Coded("t.urgency", urgency)),
        col("事项", 20.0, Val::Text("t.title")),
        col("情况描述", 36.0, Val::Text("t.description")),
        col("地点", 16.0, Val::Text("t.location")),
        col("上报人", 10.0, Val::Text("t.reporter_name")),
        col("处置人/单位", 12.0, Val::Text("t.assignee_name")),
        col("状态（导出时）", 10.0, Val::Coded("t.state", ticket_state)),
        col("办结时间", 17.0, Val::Instant("t.closed_at")),
        col("群众评价", 8.0, Val::Text("t.rating")),
        col("补录", 6.0, Val::YesNo("t.backdated")),
    ];
    ledger("tickets", "事件台账", "tickets", true, vec![s])
}

/// 矛盾纠纷调解台账 with the 排查 register beside it.
fn mediation_ledger() -> Ledger {
    let mut cases = sheet("调解台账", "矛盾纠纷调解台账", "件", &mediation::RECEIVED);
    cases.order = "m.community_id, m.received_on";
    cases.figure = Some("cases.received");
    cases.columns = vec![
        col("序号", 6.0, Val::Seq),
        col("案号", 16.0, Val::Text("m.case_no")),
        col("社区", 12.0, Val::Community),
        col("受理日期", 12.0, Val::Date("m.received_on")),
        col("纠纷类型", 12.0, Val::Coded("m.type_code", dispute_type)),
        col("来源", 10.0, Val::Coded("m.source", case_source)),
        col(
            "申请人",
            12.0,
            Val::Text(
                "(SELECT mp.name FROM mediation_parties mp WHERE mp.case_id = m.id \
                 AND mp.side = 'applicant' ORDER BY mp.position LIMIT 1)",
            ),
        ),
        col(
            "被申请人",
            12.0,
            Val::Text(
                "(SELECT mp.name FROM mediation_parties mp WHERE mp.case_id = m.id \
                 AND mp.side = 'respondent' ORDER BY mp.position LIMIT 1)",
            ),
        ),
        col("纠纷简要情况", 36.0, Val::Text("m.summary")),
        col("调解员", 10.0, Val::Text("m.mediator")),
        col("调解结果", 10.0, Val::Coded("m.outcome", outcome)),
        col("结案日期", 12.0, Val::Date("m.closed_on")),
        col("协议内容", 30.0, Val::Text("m.agreement")),
        col("补录", 6.0, Val::YesNo("m.backdated")),
    ];
    let mut rounds = sheet(
        "排查登记",
        "矛盾纠纷排查登记表",
        "次",
        &mediation::SCREENINGS,
    );
    rounds.order = "s.community_id, s.screened_on";
    rounds.figure = Some("disputes.rounds");
    rounds.columns = vec![
        col("序号", 6.0, Val::Seq),
        col("社区", 12.0, Val::Community),
        col("网格", 10.0, Val::Grid),
        col("排查日期", 12.0, Val::Date("s.screened_on")),
        col("排查方式", 10.0, Val::Coded("s.source", screening_source)),
        col(
            "发现纠纷类型",
            12.0,
            Val::Coded("s.type_code", dispute_type),
        ),
        col("情况", 36.0, Val::Text("s.summary")),
        col("排查人", 10.0, Val::Text("s.worker_name")),
        col(
            "转调解案号",
            16.0,
            Val::Text("(SELECT mc.case_no FROM mediation_cases mc WHERE mc.id = s.case_id)"),
        ),
        col("补录", 6.0, Val::YesNo("s.backdated")),
    ];
    ledger(
        "mediation",
        "矛盾纠纷调解台账",
        "mediation",
        true,
        vec![cases, rounds],
    )
}

/// The groups a veteran in difficulty may also be in.
const HARDSHIP: &str = "'dibao', 'tekun', 'disability', 'unemployed', 'hard_to_employ', 'poverty_watch', 'elderly_alone'";

/// 退役军人服务站台账: the roster, the visits to veterans (走访慰问) and the veterans in
/// difficulty with how often they were visited, as three sheets over the same records.
fn veterans() -> Ledger {
    let spec = TAG_KINDS.iter().find(|k| k.code == "veteran");
    let mut roster = match spec {
        Some(k) => group_sheet(k),
        None => sheet("退役军人名册", "退役军人名册", "人", &registry::PERSON_TAGS),
    };
    roster.name = "退役军人名册".into();
    roster.title = "退役军人名册".into();
    let visits = visit_sheet(
        "走访慰问记录",
        "退役军人走访慰问记录",
        "EXISTS (SELECT 1 FROM tags vt WHERE vt.person_id = v.person_id AND vt.kind = 'veteran' \
         AND vt.started_on <= v.visited_on AND (vt.ended_on IS NULL OR vt.ended_on > v.visited_on))",
        None,
    );
    let mut help = roster.clone();
    help.name = "困难帮扶".into();
    help.title = "困难退役军人帮扶台账".into();
    help.figure = None;
    help.when = format!(
        "t.kind = 'veteran' AND EXISTS (SELECT 1 FROM tags ht WHERE ht.person_id = t.person_id \
         AND ht.kind IN ({HARDSHIP}) AND ht.started_on <= {{as_of}} \
         AND (ht.ended_on IS NULL OR ht.ended_on > {{as_of}}))"
    );
    help.columns.truncate(10);
    help.columns.extend([
        col("类别", 10.0, Val::Text("t.category")),
        col("困难情形（所属重点人群）", 20.0, Val::Groups("p.id")),
        col(
            "期内走访次数",
            8.0,
            Val::Int(
                "(SELECT COUNT(*) FROM visits hv WHERE hv.person_id = t.person_id \
                 AND hv.visited_on >= {first} AND hv.visited_on <= {last})",
            ),
        ),
        col(
            "最近走访情况",
            36.0,
            Val::Text(
                "(SELECT hv.findings FROM visits hv WHERE hv.person_id = t.person_id \
                 AND hv.visited_on <= {last} ORDER BY hv.visited_on DESC, hv.id DESC LIMIT 1)",
            ),
        ),
    ]);
    ledger(
        "veterans",
        "退役军人服务站台账",
        "registry",
        true,
        vec![roster, visits, help],
    )
}

/// A special group's ledger (低保台账, 残疾人台账 …): who was in it on the as-of day, with the
/// tag's class, grade and own fields. A household's tag is one row, shown on its head.
fn group(kind: &'static TagKind) -> Ledger {
    ledger(
        &format!("group.{}", kind.code),
        &format!("{}台账", kind.label),
        "registry",
        true,
        vec![group_sheet(kind)],
    )
}

fn group_sheet(kind: &'static TagKind) -> Sheet {
    let household = kind.target == Target::Household;
    let title = format!("{}台账", kind.label);
    let mut s = if household {
        let mut s = sheet(kind.label, &title, "户", &registry::HOUSEHOLD_TAGS);
        // The head living there on the as-of day; a household without one still has its row.
        s.joins = "LEFT JOIN residences r ON r.household_id = t.household_id AND r.relation = '户主' \
                   AND r.moved_in_on <= {as_of} AND (r.moved_out_on IS NULL OR r.moved_out_on > {as_of}) \
                   LEFT JOIN persons p ON p.id = r.person_id";
        s.order = "n.path, t.household_id";
        s
    } else {
        let mut s = sheet(kind.label, &title, "人", &registry::PERSON_TAGS);
        s.joins = "JOIN persons p ON p.id = t.person_id";
        s.order = "n.path, t.person_id";
        s
    };
    s.key = "t.id";
    // Generated from the vocabulary, never from input: a code is a plain identifier.
    s.when = format!("t.kind = '{}'", kind.code);
    s.tag_kind = Some(kind.code);
    s.figure = crate::indicators::catalogue::counting(s.source, &s.when);
    s.columns = person_columns();
    if household {
        s.columns[4].header = "户主姓名";
        s.columns.push(col(
            "家庭人数",
            8.0,
            Val::Int(
                "(SELECT COUNT(*) FROM residences rm WHERE rm.household_id = t.household_id \
                 AND rm.moved_in_on <= {as_of} AND (rm.moved_out_on IS NULL OR rm.moved_out_on > {as_of}))",
            ),
        ));
    }
    if let Some((label, _)) = kind.category {
        s.columns.push(col(label, 12.0, Val::Text("t.category")));
    }
    if let Some((label, _, _)) = kind.grade {
        s.columns.push(col(label, 8.0, Val::Int("t.grade")));
    }
    s.columns
        .push(col("纳入日期", 12.0, Val::Date("t.started_on")));
    for f in kind.fields {
        let width = match f.ty {
            FieldType::Text => 16.0,
            FieldType::Date => 12.0,
            FieldType::Integer | FieldType::Money => 10.0,
            FieldType::Choice(_) => 10.0,
        };
        s.columns.push(col(f.label, width, Val::Detail(f.key)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_every_group_has_its_ledger() {
        let all = all();
        let mut codes: Vec<&str> = all.iter().map(|l| l.code.as_str()).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "a ledger code is used twice");
        for k in TAG_KINDS {
            assert!(find(&format!("group.{}", k.code)).is_some(), "{}", k.code);
        }
    }

    #[test]
    fn each_sheet_counts_what_its_figure_counts() {
        for l in all() {
            for s in &l.sheets {
                assert!(
                    !s.columns.is_empty(),
                    "{}: {} has no columns",
                    l.code,
                    s.name
                );
                // Kept as the tab's name, so the API names the sheet the file has.
                assert!(
                    s.name.chars().count() <= 31
                        && !s.name.contains(['/', '\\', '[', ']', ':', '*', '?']),
                    "{}: tab name {}",
                    l.code,
                    s.name
                );
                if let Some(code) = s.figure {
                    let i = crate::indicators::catalogue::find(code)
                        .unwrap_or_else(|| panic!("{}: no figure {code}", l.code));
                    let source = crate::indicators::catalogue::source_of(i)
                        .unwrap_or_else(|| panic!("{code} has no source"));
                    assert_eq!(source.code, s.source.code, "{}: {code}", l.code);
                }
                let details = s.columns.iter().any(|c| matches!(c.val, Val::Detail(_)));
                assert!(
                    !details || s.tag_kind.is_some(),
                    "{}: details without a kind",
                    l.code
                );
            }
        }
    }
}
