use crate::db::DbError;

/// What went wrong, in words a community worker can act on. The web layer maps each variant
/// to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Bad input: names the field and the problem.
    #[error("{field}：{message}")]
    Invalid { field: String, message: String },
    #[error("{0}不存在或已删除")]
    NotFound(String),
    /// A file over its size limit (413): names the file, its size and the limit.
    #[error("{field}：{message}")]
    TooLarge { field: String, message: String },
    #[error("{0}")]
    Forbidden(String),
    /// A conflicting write (someone else changed it, or the state forbids it).
    #[error("{0}")]
    Conflict(String),
    /// The same person (ID or document number) is already registered: `existing` is their id,
    /// `what` names the number ("公民身份号码", "护照号码").
    #[error("{what} {masked} 已登记为“{name}”，请打开该人员档案修改，不要重复录入")]
    DuplicatePerson {
        existing: i64,
        name: String,
        what: String,
        masked: String,
    },
    /// A step the record's state doesn't allow (closing an unverified ticket): names the state
    /// and what is possible from it. `allowed`: the possible steps' codes.
    #[error("{message}")]
    IllegalStep {
        message: String,
        allowed: Vec<&'static str>,
    },
    /// Revealing or exporting personal data needs a session that passed the second factor.
    #[error(
        "查看完整信息或导出前，请先输入手机验证器上的动态验证码（首次使用请在“我的账号”中绑定）"
    )]
    SecondFactor,
    /// The key is missing, wrong, or a sealed value doesn't open: nothing a user can fix.
    #[error("{0}")]
    Vault(String),
    /// Writing the file being exported failed (disk full, a value the format refuses).
    #[error("{0}")]
    Output(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Free text as entered: trimmed, empty as none, refused (naming `field`) when longer than
/// `max` characters.
pub(crate) fn text(field: &str, v: Option<&str>, max: usize) -> StoreResult<Option<String>> {
    let v = v.map(str::trim).filter(|s| !s.is_empty());
    if v.is_some_and(|s| s.chars().count() > max) {
        return Err(StoreError::invalid(field, format!("超过 {max} 字，请精简")));
    }
    Ok(v.map(str::to_string))
}
