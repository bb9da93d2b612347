//! Closed vocabularies of the registry (实有人口/实有房屋), as GB/T 31000 and the offices use them.

pub mod credit_code;
pub mod id_number;
pub mod names;
pub mod org;
pub mod phone;
pub mod sex;
pub mod tags;

/// 人员类型.
pub const PERSON_TYPES: &[&str] = &["户籍", "流动", "境外", "未落户"];

/// 证件类型 for people without a 公民身份号码.
pub const DOC_TYPES: &[&str] = &[
    "护照",
    "外国人永久居留身份证",
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "港澳台居民居住证",
    "出生医学证明",
    "其他证件",
];

/// 与户主关系.
pub const RELATIONS: &[&str] = &[
    "户主",
    "配偶",
    "子",
    "女",
    "父亲",
    "母亲",
    "孙子",
    "孙女",
    "外孙子",
    "外孙女",
    "儿媳",
    "女婿",
    "兄弟姐妹",
    "祖父母",
    "租户",
    "其他",
];

/// 就业状况.
pub const EMPLOYMENT: &[&str] = &[
    "在业",
    "灵活就业",
    // Community jobs funded by the employment programme (保洁、护林、公益岗): counted apart in
    // the offices' summaries.
    "公益性岗位",
    "登记失业",
    "无业",
    "离退休",
    "在校学生",
    "学龄前",
    "其他",
];

/// 房屋用途.
pub const HOUSING_USES: &[&str] = &["自住", "出租", "空置", "商用"];

/// 辖区单位类别.
pub const UNIT_KINDS: &[&str] = &[
    "企业",
    "个体工商户",
    "商铺",
    "餐饮",
    "学校",
    "幼儿园",
    "医疗机构",
    "机关事业单位",
    "社会组织",
    "物业公司",
    "其他",
];

/// The 56 民族 plus the two census residual classes.
pub const ETHNICITIES: &[&str] = &[
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
    "其他未识别民族",
    "外国血统中国籍人士",
];

/// A document number as typed: full-width characters and spaces removed, letters upper-cased;
/// 3–30 letters, digits, hyphens or brackets.
pub fn normalize_doc_no(input: &str) -> Result<String, String> {
    let mut out = String::new();
    for c in input.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_whitespace() {
            continue;
        }
        if !(c.is_ascii_alphanumeric() || "-()".contains(c)) {
            return Err(format!("证件号码里不能有“{c}”，只能是字母、数字和连字符"));
        }
        out.push(c.to_ascii_uppercase());
    }
    match out.chars().count() {
        3..=30 => Ok(out),
        n => Err(format!("证件号码应为 3–30 位，现为 {n} 位，请核对")),
    }
}

/// Accepts a vocabulary value as typed; "汉" is read as "汉族".
pub fn pick(field: &str, list: &[&'static str], input: &str) -> Result<&'static str, String> {
    let v = input.trim();
    if let Some(found) = list.iter().find(|x| **x == v) {
        return Ok(found);
    }
    if let Some(found) = list.iter().find(|x| x.strip_suffix('族') == Some(v)) {
        return Ok(found);
    }
    let shown: Vec<&str> = list.iter().take(8).copied().collect();
    let more = if list.len() > 8 { " 等" } else { "" };
    Err(format!(
        "{field}“{v}”不在可选范围内，请从 {}{more} 中选择",
        shown.join("、")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_from_vocabularies() {
        assert_eq!(pick("民族", ETHNICITIES, "汉"), Ok("汉族"));
        assert_eq!(pick("民族", ETHNICITIES, " 彝族 "), Ok("彝族"));
        let e = pick("人员类型", PERSON_TYPES, "外地").unwrap_err();
        assert!(e.contains("人员类型") && e.contains("外地"), "{e}");
        assert_eq!(ETHNICITIES.len(), 58);
        assert_eq!(normalize_doc_no(" ｅ１２３ 456 ").as_deref(), Ok("E123456"));
        assert!(normalize_doc_no("E1").is_err());
        assert!(normalize_doc_no("E12/34").is_err());
    }
}
