//! 重点人群: special groups as typed tags. Each kind declares whom it attaches to, its main
//! classification (kept in its own column so counts by class are plain SQL), an optional grade,
//! and its own detail fields, validated here before anything is stored.

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Target {
    Person,
    Household,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FieldType {
    Text,
    Date,
    Integer,
    Money,
    Choice(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub ty: FieldType,
    pub required: bool,
}

const fn f(key: &'static str, label: &'static str, ty: FieldType, required: bool) -> FieldSpec {
    FieldSpec {
        key,
        label,
        ty,
        required,
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct TagKind {
    pub code: &'static str,
    pub label: &'static str,
    pub target: Target,
    /// Label and allowed values of the main classification, if the kind has one.
    pub category: Option<(&'static str, &'static [&'static str])>,
    /// Label and range of a numeric grade (残疾等级 1–4).
    pub grade: Option<(&'static str, i64, i64)>,
    pub fields: &'static [FieldSpec],
}

const SITUATIONS: &[&str] = &[
    "无业",
    "本地务工",
    "外出务工",
    "个体经营",
    "迁居外地",
    "下落不明",
    "其他",
];

/// Risk levels, where a group assesses them (刑释解教/社区矫正, 精神障碍): a high-risk person is
/// visited weekly.
pub const RISKS: &[&str] = &["低风险", "中风险", "高风险"];

pub const TAG_KINDS: &[TagKind] = &[
    TagKind {
        code: "dibao",
        label: "低保",
        target: Target::Household,
        category: Some(("低保类别", &["A类", "B类", "C类"])),
        grade: None,
        fields: &[
            f("household_size", "保障人数", FieldType::Integer, true),
            f("amount", "月保障金额（元）", FieldType::Money, true),
            f("review_on", "年审日期", FieldType::Date, false),
        ],
    },
    TagKind {
        code: "tekun",
        label: "特困",
        target: Target::Person,
        category: Some(("供养方式", &["分散供养", "集中供养"])),
        grade: None,
        fields: &[f("reason", "致困原因", FieldType::Text, false)],
    },
    TagKind {
        code: "disability",
        label: "残疾",
        target: Target::Person,
        category: Some((
            "残疾类别",
            &["肢体", "智力", "视力", "听力", "言语", "精神", "多重"],
        )),
        grade: Some(("残疾等级", 1, 4)),
        fields: &[
            f("certificate_no", "残疾证号", FieldType::Text, false),
            f("aids", "已配辅具", FieldType::Text, false),
            f("risk", "风险等级", FieldType::Choice(RISKS), false),
        ],
    },
    TagKind {
        code: "veteran",
        label: "退役军人",
        target: Target::Person,
        category: Some((
            "类别",
            &["退役士兵", "退休军人", "伤残军人", "烈属", "其他优抚对象"],
        )),
        grade: None,
        fields: &[f(
            "honor_plaque_on",
            "光荣之家挂牌日期",
            FieldType::Date,
            false,
        )],
    },
    TagKind {
        code: "family_planning",
        label: "计生特扶",
        target: Target::Household,
        category: Some(("类别", &["特别扶助", "失独家庭", "独生子女伤残"])),
        grade: None,
        fields: &[f(
            "monthly_support",
            "月扶助金额（元）",
            FieldType::Money,
            false,
        )],
    },
    TagKind {
        code: "floating",
        label: "流动人口",
        target: Target::Person,
        category: Some((
            "流入原因",
            &["务工", "经商", "就学", "投亲", "随迁", "其他"],
        )),
        grade: None,
        fields: &[
            f("origin", "来源地", FieldType::Text, true),
            f("arrived_on", "到达日期", FieldType::Date, true),
            f("residence_permit", "居住证号", FieldType::Text, false),
        ],
    },
    TagKind {
        code: "correction",
        label: "刑释解教/社区矫正",
        target: Target::Person,
        category: Some(("类别", &["刑满释放", "解除强制隔离戒毒", "社区矫正"])),
        grade: None,
        fields: &[
            f("released_on", "释放/入矫日期", FieldType::Date, true),
            f("supervision_until", "帮教/矫正期满", FieldType::Date, false),
            f("situation", "现状", FieldType::Choice(SITUATIONS), true),
            f("risk", "风险等级", FieldType::Choice(RISKS), false),
        ],
    },
    TagKind {
        code: "left_behind_child",
        label: "留守儿童",
        target: Target::Person,
        category: Some(("类别", &["留守儿童", "事实无人抚养儿童", "孤儿"])),
        grade: None,
        fields: &[
            f("guardian", "监护人", FieldType::Text, true),
            f("guardian_phone", "监护人电话", FieldType::Text, false),
        ],
    },
    TagKind {
        code: "elderly_alone",
        label: "空巢/独居老人",
        target: Target::Person,
        category: Some(("类别", &["空巢", "独居"])),
        grade: None,
        fields: &[f(
            "emergency_contact",
            "紧急联系人及电话",
            FieldType::Text,
            false,
        )],
    },
    TagKind {
        code: "unemployed",
        label: "登记失业",
        target: Target::Person,
        category: None,
        grade: None,
        fields: &[
            f("reason", "失业原因", FieldType::Text, false),
            f("family", "家庭情况", FieldType::Text, false),
            f("wish", "就业意愿", FieldType::Text, false),
            f("skills", "技能特长", FieldType::Text, false),
            f("training_wish", "培训意愿", FieldType::Text, false),
            f("startup_wish", "创业意愿", FieldType::Text, false),
        ],
    },
    TagKind {
        code: "hard_to_employ",
        label: "就业困难",
        target: Target::Person,
        category: Some((
            "认定类别",
            &["大龄失业", "残疾人", "低保家庭成员", "长期失业", "其他"],
        )),
        grade: None,
        fields: &[],
    },
    TagKind {
        code: "poverty_watch",
        label: "脱贫户/监测户",
        target: Target::Household,
        category: Some(("类别", &["脱贫户", "监测户"])),
        grade: None,
        fields: &[f(
            "annual_income",
            "家庭年收入（元）",
            FieldType::Money,
            false,
        )],
    },
    TagKind {
        code: "militia",
        label: "民兵",
        target: Target::Person,
        category: Some(("类别", &["基干民兵", "普通民兵"])),
        grade: None,
        fields: &[f(
            "training_days",
            "年度训练天数",
            FieldType::Integer,
            false,
        )],
    },
    TagKind {
        code: "party_member",
        label: "党员",
        target: Target::Person,
        category: Some(("党员类别", &["正式党员", "预备党员"])),
        grade: None,
        fields: &[f("branch", "所在支部", FieldType::Text, false)],
    },
];

pub fn tag_kind(code: &str) -> Option<&'static TagKind> {
    TAG_KINDS.iter().find(|k| k.code == code || k.label == code)
}

/// A tag's content after validation, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagContent {
    pub category: Option<String>,
    pub grade: Option<i64>,
    pub details: BTreeMap<String, String>,
}

impl TagContent {
    /// The risk level, kept in its own column so the visit rules can use it (details may be
    /// sealed).
    pub fn risk(&self) -> Option<String> {
        self.details.get("risk").cloned()
    }

    /// 保障人数 of a 低保 household, kept in its own column so the figures can sum it.
    pub fn covered(&self) -> Option<i64> {
        self.details
            .get("household_size")
            .and_then(|v| v.trim().parse().ok())
    }
}

impl TagKind {
    /// Checks a tag as entered. `values` maps field keys (and "category", "grade") to text as
    /// typed; unknown keys are refused so a misspelt field is never silently dropped.
    pub fn validate(&self, values: &BTreeMap<String, String>) -> Result<TagContent, String> {
        let mut details = BTreeMap::new();
        for key in values.keys() {
            let known = key == "category"
                || key == "grade"
                || self.fields.iter().any(|f| f.key == key.as_str());
            if !known {
                return Err(format!("“{}”没有字段“{key}”", self.label));
            }
        }
        let get = |k: &str| values.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let category = match self.category {
            Some((label, allowed)) => {
                let v = get("category").ok_or(format!("请选择{label}"))?;
                let found = match_choice(allowed, v).ok_or(format!(
                    "{label}“{v}”不对，应为 {} 之一",
                    allowed.join("、")
                ))?;
                Some(found.to_string())
            }
            None => None,
        };
        let grade = match self.grade {
            Some((label, lo, hi)) => {
                let v = get("grade").ok_or(format!("请填写{label}（{lo}–{hi}）"))?;
                let v = v.trim_end_matches('级');
                // Certificates write the grade in words: 二级.
                let g: i64 = match ["一", "二", "三", "四"].iter().position(|x| *x == v) {
                    Some(i) => i as i64 + 1,
                    None => v
                        .parse()
                        .map_err(|_| format!("{label}“{v}”应为 {lo}–{hi} 的数字"))?,
                };
                if !(lo..=hi).contains(&g) {
                    return Err(format!("{label}“{g}”应在 {lo}–{hi} 之间"));
                }
                Some(g)
            }
            None => None,
        };
        for spec in self.fields {
            let Some(v) = get(spec.key) else {
                if spec.required {
                    return Err(format!("请填写{}", spec.label));
                }
                continue;
            };
            let value = check_field(spec, v)?;
            details.insert(spec.key.to_string(), value);
        }
        Ok(TagContent {
            category,
            grade,
            details,
        })
    }
}

/// Offices write a class as "A类", "A", "a" or "一类": all mean the first class.
fn match_choice(allowed: &[&'static str], v: &str) -> Option<&'static str> {
    let bare = v.trim_end_matches('类');
    if let Some(found) = allowed
        .iter()
        .find(|a| **a == v || a.trim_end_matches('类').eq_ignore_ascii_case(bare))
    {
        return Some(found);
    }
    let classes = allowed.iter().all(|a| a.ends_with('类'));
    let n = ["一", "二", "三", "四", "五"]
        .iter()
        .position(|x| *x == bare)?;
    classes.then(|| allowed.get(n).copied()).flatten()
}

fn check_field(spec: &FieldSpec, v: &str) -> Result<String, String> {
    match spec.ty {
        FieldType::Text => {
            if v.chars().count() > 500 {
                return Err(format!("{}超过 500 字，请精简", spec.label));
            }
            Ok(v.to_string())
        }
        FieldType::Date => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| {
                format!(
                    "{}“{v}”不是有效日期，请按 2024-03-01 的格式填写",
                    spec.label
                )
            }),
        FieldType::Integer => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.to_string())
            .ok_or(format!("{}“{v}”应为不小于 0 的整数", spec.label)),
        FieldType::Money => {
            let n: f64 = v
                .trim_end_matches('元')
                .parse()
                .map_err(|_| format!("{}“{v}”应为金额数字，例如 650 或 650.50", spec.label))?;
            if !(0.0..1e9).contains(&n) {
                return Err(format!("{}“{v}”超出合理范围", spec.label));
            }
            Ok(format!("{n:.2}"))
        }
        FieldType::Choice(list) => list
            .iter()
            .find(|x| **x == v)
            .map(|x| (*x).to_string())
            .ok_or(format!("{}“{v}”应为 {} 之一", spec.label, list.join("、"))),
    }
}

/// Are this tag's own fields sealed at rest? PIPL art. 28 sensitive data of the most exposed
/// groups: 刑释解教/社区矫正 (incl. 解除强制隔离戒毒) and 精神残疾. Category and dates stay
/// plain, because the area's counts are made from them.
pub fn sealed_details(kind: &str, category: Option<&str>) -> bool {
    kind == "correction" || (kind == "disability" && category == Some("精神"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn dibao_needs_class_size_amount() {
        let k = tag_kind("dibao").unwrap();
        let ok = k
            .validate(&vals(&[
                ("category", "A"),
                ("household_size", "3"),
                ("amount", "650"),
            ]))
            .unwrap();
        assert_eq!(ok.category.as_deref(), Some("A类"));
        for typed in ["a", "A类", "一类", "a类"] {
            let v = k.validate(&vals(&[
                ("category", typed),
                ("household_size", "1"),
                ("amount", "1"),
            ]));
            assert_eq!(v.unwrap().category.as_deref(), Some("A类"), "{typed}");
        }
        let v = k.validate(&vals(&[
            ("category", "三类"),
            ("household_size", "1"),
            ("amount", "1"),
        ]));
        assert_eq!(v.unwrap().category.as_deref(), Some("C类"));
        assert_eq!(ok.details["amount"], "650.00");
        let e = k.validate(&vals(&[("category", "D类")])).unwrap_err();
        assert!(e.contains("低保类别") && e.contains("D类"), "{e}");
        let e = k
            .validate(&vals(&[("category", "A类"), ("household_size", "3")]))
            .unwrap_err();
        assert!(e.contains("月保障金额"), "{e}");
    }

    #[test]
    fn disability_grade_range_and_unknown_fields() {
        let k = tag_kind("残疾").unwrap();
        assert_eq!(
            k.validate(&vals(&[("category", "肢体"), ("grade", "2级")]))
                .unwrap()
                .grade,
            Some(2)
        );
        assert_eq!(
            k.validate(&vals(&[("category", "肢体"), ("grade", "四级")]))
                .unwrap()
                .grade,
            Some(4)
        );
        assert!(
            k.validate(&vals(&[("category", "肢体"), ("grade", "5")]))
                .is_err()
        );
        let e = k
            .validate(&vals(&[
                ("category", "肢体"),
                ("grade", "2"),
                ("colour", "x"),
            ]))
            .unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn every_kind_is_distinct() {
        for (i, a) in TAG_KINDS.iter().enumerate() {
            for b in &TAG_KINDS[i + 1..] {
                assert_ne!(a.code, b.code);
                assert_ne!(a.label, b.label);
            }
        }
        assert_eq!(TAG_KINDS.len(), 14);
    }
}
