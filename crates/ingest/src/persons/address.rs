//! 门牌: "13幢2单元501" and the other ways offices write a building, unit and room.

use std::fmt;

use serde::Serialize;

use crate::header::text::{halfwidth, is_blank};

/// Where a person lives, as building, unit and room. Text before the building number
/// (estate or phase, "二期") stays at the front of `building`: dropping it could merge two
/// estates' building 13.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub building: String,
    pub unit: Option<String>,
    pub room: String,
}

/// Longest first, so "号楼" wins over "号".
const BUILDING_MARKS: &[&str] = &["号楼", "#楼", "栋", "幢", "座", "#", "号", "楼"];

/// Beyond any real building, unit or room name; longer is a sentence, not an address part.
const MAX_PART: usize = 12;

impl Address {
    /// Reads "13幢2单元501", "13栋2单元501室", "13号楼2单元501", "13-2-501", "13幢501",
    /// "A座1201", "13#2-501", "二期13幢二单元5楼501". `None` when no building and room can be
    /// told apart.
    pub fn parse(input: &str) -> Option<Address> {
        let s: String = input
            .chars()
            .map(halfwidth)
            .filter(|c| !is_blank(*c))
            .map(|c| if is_dash(c) { '-' } else { c })
            .collect();
        let s = strip_room_suffix(&s);
        if s.is_empty() {
            return None;
        }
        with_marks(s).or_else(|| with_dashes(s))
    }

    /// Builds an address from separate 楼栋/单元/房号 cells, each possibly carrying its mark
    /// ("13幢", "2单元", "501室").
    pub fn from_parts(building: &str, unit: &str, room: &str) -> Option<Address> {
        let clean =
            |s: &str| -> String { s.chars().map(halfwidth).filter(|c| !is_blank(*c)).collect() };
        let b = clean(building);
        let mut b = b.as_str();
        for mark in BUILDING_MARKS {
            if let Some(rest) = b.strip_suffix(mark) {
                b = rest;
                break;
            }
        }
        let building = ident(b)?;
        let u = clean(unit);
        let u = u.strip_suffix("单元").unwrap_or(&u);
        let unit = if u.is_empty() { None } else { Some(ident(u)?) };
        let r = clean(room);
        let room = room_part(strip_room_suffix(&r))?;
        Some(Address {
            building,
            unit,
            room,
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.unit {
            Some(u) => write!(f, "{}幢{}单元{}", self.building, u, self.room),
            None => write!(f, "{}幢{}", self.building, self.room),
        }
    }
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | 'ー')
}

fn strip_room_suffix(s: &str) -> &str {
    s.strip_suffix(['室', '房', '号', '户']).unwrap_or(s)
}

fn is_cn_digit(c: char) -> bool {
    matches!(
        c,
        '零' | '〇' | '一' | '二' | '两' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    )
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || is_cn_digit(c)
}

/// "十三" → "13", so 十三幢 and 13幢 are one building. Up to 99, which covers buildings and
/// units written in words.
fn cn_number(s: &str) -> Option<u32> {
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '零' | '〇' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [a] => digit(*a),
        ['十', b] => Some(10 + digit(*b)?),
        [a, '十'] => Some(digit(*a)? * 10),
        [a, '十', b] => Some(digit(*a)? * 10 + digit(*b)?),
        _ => None,
    }
}

/// A building or unit name: letters and digits, or a number in Chinese words.
fn ident(s: &str) -> Option<String> {
    if s.is_empty() || s.chars().count() > MAX_PART || !s.chars().all(is_ident_char) {
        return None;
    }
    if s.chars().all(is_cn_digit) {
        return cn_number(s).map(|n| n.to_string());
    }
    if s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some(s.to_ascii_uppercase());
    }
    None
}

/// A room: letters, digits and inner hyphens ("501", "501-1", "B302"), after an optional
/// floor ("5楼501"), which the room number already says.
fn room_part(s: &str) -> Option<String> {
    let s = s.trim_start_matches('-');
    let s = match s.split_once(['楼', '层']) {
        Some((floor, room))
            if !room.is_empty() && !floor.is_empty() && floor.chars().all(is_ident_char) =>
        {
            room
        }
        _ => s,
    };
    let s = strip_room_suffix(s);
    let ok = !s.is_empty()
        && s.chars().count() <= MAX_PART
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars().any(|c| c.is_ascii_alphanumeric());
    ok.then(|| s.to_ascii_uppercase())
}

/// After the building mark: "2单元501", "2-501", "501".
fn unit_and_room(rest: &str) -> Option<(Option<String>, String)> {
    let rest = rest.trim_start_matches('-');
    if let Some((u, r)) = rest.split_once("单元") {
        return Some((Some(ident(u.trim_end_matches('-'))?), room_part(r)?));
    }
    // "2-501": a short number before the hyphen is a unit; "501-1" is a room.
    if let Some((u, r)) = rest.split_once('-')
        && (1..=2).contains(&u.len())
        && u.bytes().all(|b| b.is_ascii_digit())
        && let Some(room) = room_part(r)
    {
        return Some((Some(u.to_string()), room));
    }
    Some((None, room_part(rest)?))
}

/// Tries every building mark in order of position: in "幸福路8号13栋2单元501" the "号" of the
/// street number does not lead anywhere, the "栋" does.
fn with_marks(s: &str) -> Option<Address> {
    for (pos, _) in s.char_indices() {
        let tail = &s[pos..];
        let Some(mark) = BUILDING_MARKS.iter().find(|m| tail.starts_with(**m)) else {
            continue;
        };
        let head = &s[..pos];
        let rest = &tail[mark.len()..];
        // A bare "楼" is a floor as often as a building, unless a unit follows.
        if *mark == "楼" && !rest.contains("单元") {
            continue;
        }
        let id_start = head
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_ident_char(*c))
            .last()
            .map_or(head.len(), |(i, _)| i);
        let (prefix, id) = head.split_at(id_start);
        let Some(id) = ident(id) else { continue };
        let Some((unit, room)) = unit_and_room(rest) else {
            continue;
        };
        return Some(Address {
            building: format!("{prefix}{id}"),
            unit,
            room,
        });
    }
    None
}

/// "13-2-501" or "13-501".
fn with_dashes(s: &str) -> Option<Address> {
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [b, u, r] => Some(Address {
            building: ident(b)?,
            unit: Some(ident(u)?),
            room: room_part(r)?,
        }),
        [b, r] => Some(Address {
            building: ident(b)?,
            unit: None,
            room: room_part(r)?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(b: &str, u: Option<&str>, r: &str) -> Option<Address> {
        Some(Address {
            building: b.into(),
            unit: u.map(String::from),
            room: r.into(),
        })
    }

    #[test]
    fn the_forms_offices_write() {
        for s in [
            "13幢2单元501",
            "13栋2单元501室",
            "13号楼2单元501",
            "13-2-501",
            "13#2单元501",
            "13#楼2单元501",
            "13号2单元501",
            "13楼2单元501",
            "13幢2单元501号",
            "13幢2-501",
            "13栋-2单元-501",
            "１３幢２单元５０１",
            " 13 幢 2 单元 501 ",
            "13幢2单元5楼501",
            "十三幢二单元501",
            "13－2－501",
            "13—2—501",
        ] {
            assert_eq!(Address::parse(s), a("13", Some("2"), "501"), "{s}");
        }
        assert_eq!(Address::parse("13幢501"), a("13", None, "501"));
        assert_eq!(Address::parse("13-501"), a("13", None, "501"));
        assert_eq!(Address::parse("13幢501-1"), a("13", None, "501-1"));
        assert_eq!(Address::parse("A座1201"), a("A", None, "1201"));
        assert_eq!(Address::parse("b栋3单元302"), a("B", Some("3"), "302"));
        assert_eq!(
            Address::parse("二期13幢2单元501"),
            a("二期13", Some("2"), "501")
        );
        assert_eq!(
            Address::parse("幸福路8号13栋2单元501"),
            a("幸福路8号13", Some("2"), "501")
        );
    }

    #[test]
    fn what_is_not_an_address() {
        for s in [
            "",
            "   ",
            "2单元501",
            "13幢",
            "13幢2单元",
            "13",
            "501室",
            "5楼501",
            "幢2单元501",
            "凤凰熙岸小区",
            "13幢2单元501/502",
            "1-2-3-4",
            "13幢2单元--",
            "13幢2单元5楼",
        ] {
            assert_eq!(Address::parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn from_separate_columns() {
        assert_eq!(
            Address::from_parts("13幢", "2单元", "501室"),
            a("13", Some("2"), "501")
        );
        assert_eq!(Address::from_parts("13", "", "501"), a("13", None, "501"));
        assert_eq!(
            Address::from_parts("十三号楼", "二", "501"),
            a("13", Some("2"), "501")
        );
        assert_eq!(Address::from_parts("", "2", "501"), None);
        assert_eq!(Address::from_parts("13", "2", ""), None);
    }

    #[test]
    fn display_round_trips() {
        let addr = Address::parse("13-2-501").unwrap();
        assert_eq!(addr.to_string(), "13幢2单元501");
        assert_eq!(Address::parse(&addr.to_string()), Some(addr));
    }
}
