//! Typed page forms. A page form is read into a struct of its own (`#[derive(Deserialize)]`,
//! every field a `Text`), so a handler names the fields it reads once, in one place. A `Text`
//! is what the browser sent, read as the page helpers always have: trimmed, empty as absent, a
//! date or number refused with the field's Chinese label (the same 422 text as before).

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde::de::value::{Error as ValueError, MapDeserializer};
use shequ_store::StoreError;

use super::PageError;
use crate::error::AppError;

#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn of(raw: Option<&String>) -> Text {
        Text(raw.cloned().unwrap_or_default())
    }

    /// Trimmed; empty when not sent.
    pub fn get(&self) -> String {
        self.0.trim().to_string()
    }

    /// Trimmed; `None` when empty or not sent.
    pub fn opt(&self) -> Option<String> {
        Some(self.get()).filter(|s| !s.is_empty())
    }

    pub fn date(&self, label: &str) -> Result<Option<chrono::NaiveDate>, PageError> {
        match self.opt() {
            None => Ok(None),
            Some(v) => shequ_domain::dates::parse_date(&v)
                .map(Some)
                .map_err(|e| PageError(AppError::Store(StoreError::invalid(label, e.to_string())))),
        }
    }

    pub fn int(&self, label: &str) -> Result<Option<i64>, PageError> {
        match self.opt() {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                PageError(AppError::Store(StoreError::invalid(
                    label,
                    format!("“{v}”应为整数"),
                )))
            }),
        }
    }
}

/// Reads a form's fields into its typed struct. Every field of a page form is a `Text` with a
/// default, so no set of fields fails to read (a missing or bad value is refused by the
/// field's own parsing, naming it); what the struct doesn't name is ignored, as before.
pub fn typed<T: DeserializeOwned + Default>(f: &HashMap<String, String>) -> T {
    T::deserialize(MapDeserializer::<_, ValueError>::new(
        f.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
    .unwrap_or_default()
}
