//! Personal values as they leave the store: an ID number, a phone, a resident's name. Each is a
//! type whose `Serialize`, `Display` (so askama) and `Debug` give the masked form
//! (`110105********002X`, `138****1234`, and `张*三` for viewers who see names masked), so a
//! handler that forgets to mask still shows nothing more. The full value is reachable only with
//! a `Revealed` proof, which only this crate makes: on the audited reveal path
//! (`people::reveal`, `call`) that also needs the stated reason, and, where the action demands
//! it, the second factor.

use std::fmt;

use serde::{Serialize, Serializer};
use shequ_domain::access::mask::{mask_id, mask_name, mask_phone};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema, Type};

use crate::access::scope::Actor;

/// Proof that the full values of one record were asked for on an audited path. It can't be
/// built outside this crate, so a handler can only get one from a store function that audits.
#[derive(Debug)]
pub struct Revealed {
    _private: (),
}

impl Revealed {
    pub(crate) fn new() -> Revealed {
        Revealed { _private: () }
    }
}

fn string_schema(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .into()
}

macro_rules! masked_text {
    ($(#[$doc:meta])* $name:ident, $mask:path, $desc:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub(crate) fn new(full: String) -> $name {
                $name(full)
            }

            pub(crate) fn opt(full: Option<String>) -> Option<$name> {
                full.map($name::new)
            }

            /// The masked form, as every page and response shows it.
            pub fn masked(&self) -> String {
                $mask(&self.0)
            }

            /// The full value, for whoever holds the proof of an audited reveal.
            pub fn full(&self, _proof: &Revealed) -> &str {
                &self.0
            }

            /// The full value inside the store (sealing, comparing, auditing masked).
            pub(crate) fn expose(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.masked())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.masked())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.masked())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_schema($desc)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

masked_text!(
    /// A 公民身份号码 or other document number.
    IdNo,
    mask_id,
    "证件号码（已遮蔽，如 110105********002X）；完整号码只能经审计的查看接口获取"
);
masked_text!(
    /// A phone number.
    PhoneNo,
    mask_phone,
    "电话号码（已遮蔽，如 138****1234）；完整号码只能经审计的查看或拨打接口获取"
);

/// A resident's (or landlord's, party's, contact's) name: shown in full to those who work with
/// the registry, masked (`张*三`) to street and district staff who see people only by grant.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName {
    full: String,
    masked: bool,
}

impl PersonName {
    /// The name as `actor` may see it.
    pub(crate) fn for_viewer(full: String, actor: &Actor) -> PersonName {
        PersonName {
            full,
            masked: masks_names(actor),
        }
    }

    /// Masked whoever looks: for records seen from outside the area where people may be opened.
    pub(crate) fn masked_always(full: String) -> PersonName {
        PersonName { full, masked: true }
    }

    pub(crate) fn opt_for(full: Option<String>, actor: &Actor) -> Option<PersonName> {
        full.map(|f| PersonName::for_viewer(f, actor))
    }

    /// What this viewer sees.
    pub fn shown(&self) -> String {
        if self.masked {
            mask_name(&self.full)
        } else {
            self.full.clone()
        }
    }

    pub fn full(&self, _proof: &Revealed) -> &str {
        &self.full
    }

    pub(crate) fn expose(&self) -> &str {
        &self.full
    }
}

/// Street and district staff see people only where granted, and then with names masked too.
pub fn masks_names(actor: &Actor) -> bool {
    !actor.role.reads_people()
}

impl Serialize for PersonName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.shown())
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", mask_name(&self.full))
    }
}

impl utoipa::PartialSchema for PersonName {
    fn schema() -> RefOr<Schema> {
        string_schema("姓名（街道、区级人员看到的是遮蔽后的姓名，如 张*三）")
    }
}

impl utoipa::ToSchema for PersonName {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_masked_everywhere_but_with_the_proof() {
        let id = IdNo::new("11010519491231002X".into());
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"110105********002X\""
        );
        assert_eq!(id.to_string(), "110105********002X");
        assert!(!format!("{id:?}").contains("19491231"));
        assert_eq!(id.full(&Revealed::new()), "11010519491231002X");
        let phone = PhoneNo::new("13812341234".into());
        assert_eq!(phone.to_string(), "138****1234");
        let name = PersonName {
            full: "张小三".into(),
            masked: true,
        };
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"张*三\"");
        assert!(!format!("{name:?}").contains('小'));
    }
}
