//! 矛盾纠纷调解: the 排查 register (disputes found on visits, patrols and screening rounds, and
//! rounds that found none), cases with their parties, sessions and hand-offs, the outcome, and
//! the figures offices report: 排查率 and 调成率. The labour flow of seed 002 (legal-aid centre
//! → community union → company union; 20 days; back to arbitration) is recorded as hand-offs.

mod cases;
mod figures;
mod screening;

pub use cases::*;
pub use figures::*;
pub use screening::*;

use shequ_domain::mediation as rules;

pub(crate) use crate::error::text;
use crate::error::{StoreError, StoreResult};

/// The kind of dispute given as a code or a label, or an error listing the kinds.
fn type_checked(field: &str, v: &str) -> StoreResult<(&'static str, &'static str, i64)> {
    rules::type_of(v).ok_or_else(|| {
        StoreError::invalid(
            field,
            format!(
                "“{v}”不对，应为 {} 之一",
                rules::TYPES
                    .iter()
                    .map(|t| t.1)
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        )
    })
}
