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

/// Free text (a message quoting a cell, a ledger's note) with every run that looks like an ID
/// number (15 or 18 characters, digits and a final X) or a mobile number masked.
pub fn mask_numbers_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let word = |c: char| c.is_ascii_alphanumeric();
        if !chars[i].is_ascii_digit() || (i > 0 && word(chars[i - 1])) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && word(chars[j]) {
            j += 1;
        }
        let run: String = chars[i..j].iter().collect();
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let id_like = (run.len() == 15 || run.len() == 18)
            && digits + usize::from(run.ends_with(['X', 'x'])) == run.len();
        if id_like {
            out.push_str(&mask_id(&run));
        } else if run.len() == 11 && digits == 11 && run.starts_with('1') {
            out.push_str(&mask_phone(&run));
        } else {
            out.push_str(&run);
        }
        i = j;
    }
    out
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
        assert_eq!(
            mask_numbers_in(
                "“身份证号”列的“11010519491231002X”与第6行重复，电话13812341234；编号A13812341234"
            ),
            "“身份证号”列的“110105********002X”与第6行重复，电话138****1234；编号A13812341234"
        );
    }
}
