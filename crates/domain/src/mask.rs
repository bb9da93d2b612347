//! Masking of personal values for lists, logs and anyone not entitled to the full value:
//! `110105********002X`, `138****1234`, `张*三`.

/// Keeps the first 6 and last 4 characters of an ID number (or long document number); a
/// shorter document number (passport C12345678) keeps its first and last two.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 6 {
        return "*".repeat(chars.len());
    }
    if chars.len() < 10 {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        return format!("{}{}{tail}", chars[0], "*".repeat(chars.len() - 3));
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// A mobile keeps its first 3 and last 4 digits; other numbers their last 4.
pub fn mask_phone(p: &str) -> String {
    let c: Vec<char> = p.chars().collect();
    if c.len() == 11 {
        format!(
            "{}****{}",
            c[..3].iter().collect::<String>(),
            c[7..].iter().collect::<String>()
        )
    } else if c.len() > 4 {
        format!(
            "{}{}",
            "*".repeat(c.len() - 4),
            c[c.len() - 4..].iter().collect::<String>()
        )
    } else {
        "*".repeat(c.len())
    }
}

/// A name keeps its first and last character: 张*三, 欧阳**锋; a two-character name keeps the
/// surname: 张*.
pub fn mask_name(name: &str) -> String {
    let c: Vec<char> = name.chars().collect();
    match c.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", c[0]),
        n => format!("{}{}{}", c[0], "*".repeat(n - 2), c[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id("C12345678"), "C******78");
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("0871-65123456"), "*********3456");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张小三"), "张*三");
        assert_eq!(mask_name("欧阳小锋"), "欧**锋");
    }
}
