//! 矛盾纠纷调解: the kinds of dispute, where a case comes from, how it ends, and the steps a
//! case takes. Labour disputes follow the three-level flow of seed 002 篇7: the district union's
//! legal-aid centre takes the case from arbitration and assigns it, the community union mediates
//! (the company's union assists), within 20 days; a case not settled in time, or whose parties
//! won't mediate, goes back to the centre and from there to arbitration.

/// Kinds of dispute: (code, label, days allowed). 《人民调解工作若干规定》: a dispute is
/// normally settled within a month; labour disputes within 20 days (seed 002).
pub const TYPES: &[(&str, &str, i64)] = &[
    ("neighbour", "邻里纠纷", 30),
    ("family", "婚姻家庭纠纷", 30),
    ("property", "物业纠纷", 30),
    ("labour", "劳资纠纷", 20),
    ("land", "土地纠纷", 30),
    ("damage", "损害赔偿纠纷", 30),
    ("rental", "房屋租赁纠纷", 30),
    ("other", "其他纠纷", 30),
];

/// Where a case comes from.
pub const SOURCES: &[(&str, &str)] = &[
    ("screening", "排查发现"),
    ("walk_in", "来访"),
    ("referral", "转办"),
];

/// How a case ends.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("success", "调解成功"),
    ("failed", "调解不成"),
    ("arbitration", "转仲裁"),
    ("litigation", "转诉讼"),
    ("withdrawn", "撤回"),
];

/// Steps recorded on a case besides its sessions: who handed it to whom.
pub const HAND_OFFS: &[(&str, &str)] = &[
    // Labour: the district union's legal-aid centre assigns the case to the community union.
    ("assign", "法律援助中心分派"),
    // Labour: the company's union joins the mediation.
    ("assist", "企业工会协助"),
    // Labour: back to the legal-aid centre, and from there to arbitration.
    ("return", "返还法律援助中心（转仲裁）"),
];

pub const PARTY_SIDES: &[(&str, &str)] = &[("applicant", "申请人"), ("respondent", "被申请人")];

pub fn label<'a>(list: &'a [(&'a str, &'a str)], code: &str) -> &'a str {
    list.iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, l)| *l)
}

/// The code for `value`, given as a code or as its label.
pub fn code_of<'a>(list: &'a [(&'a str, &'a str)], value: &str) -> Option<&'a str> {
    let v = value.trim();
    list.iter()
        .find(|(c, l)| *c == v || *l == v)
        .map(|(c, _)| *c)
}

pub fn type_of(value: &str) -> Option<(&'static str, &'static str, i64)> {
    let v = value.trim();
    TYPES
        .iter()
        .copied()
        .find(|(c, l, _)| *c == v || *l == v || l.trim_end_matches("纠纷") == v)
}

/// Which hand-offs a case may take: the labour flow's own steps only on labour cases, and
/// nothing once the case is closed.
pub fn hand_off_allowed(
    type_code: &str,
    closed: bool,
    action: &str,
) -> Result<(), Vec<&'static str>> {
    let allowed: Vec<&'static str> = if closed {
        Vec::new()
    } else if type_code == "labour" {
        vec!["assign", "assist", "return"]
    } else {
        Vec::new()
    };
    if allowed.contains(&action) {
        Ok(())
    } else {
        Err(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labour_cases_have_twenty_days_and_their_own_hand_offs() {
        assert_eq!(type_of("劳资纠纷").map(|t| t.2), Some(20));
        assert_eq!(type_of("劳资").map(|t| t.0), Some("labour"));
        assert_eq!(type_of("邻里").map(|t| t.2), Some(30));
        assert!(hand_off_allowed("labour", false, "assist").is_ok());
        assert_eq!(hand_off_allowed("neighbour", false, "assist"), Err(vec![]));
        assert_eq!(hand_off_allowed("labour", true, "return"), Err(vec![]));
        assert_eq!(code_of(OUTCOMES, "转仲裁"), Some("arbitration"));
    }
}
