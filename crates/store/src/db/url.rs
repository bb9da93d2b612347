//! Which database a `--db` URL names. The backend comes from the scheme alone: a bare path or an
//! unknown scheme is refused rather than guessed, so a typo can't silently create a new empty
//! SQLite file next to a city's PostgreSQL data.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DbUrlError {
    #[error(
        "数据库地址“{0}”缺少类型前缀：请写成 sqlite://文件路径（例如 sqlite://data/shequ.db）或 postgresql://用户@主机/库名"
    )]
    NoScheme(String),
    #[error(
        "数据库地址“{0}”的类型“{1}”不受支持：只支持 sqlite:// 和 postgresql://（或 postgres://）"
    )]
    UnknownScheme(String, String),
    #[error("数据库地址“{0}”没有给出 SQLite 文件路径：请写成 sqlite://data/shequ.db")]
    EmptyPath(String),
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<DbUrl, DbUrlError> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once(':') else {
            return Err(DbUrlError::NoScheme(url.to_string()));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                // sqlite://relative/path, sqlite:///absolute/path and sqlite:relative/path
                let path = rest.strip_prefix("//").unwrap_or(rest);
                let path = path.split('?').next().unwrap_or_default();
                if path.is_empty() {
                    return Err(DbUrlError::EmptyPath(url.to_string()));
                }
                Ok(DbUrl::Sqlite(PathBuf::from(path)))
            }
            "postgres" | "postgresql" => Ok(DbUrl::Postgres(url.to_string())),
            // A Windows drive letter or a path with a colon is still a path without a scheme.
            s if s.len() == 1 || s.contains('/') || s.contains('\\') || s.contains('.') => {
                Err(DbUrlError::NoScheme(url.to_string()))
            }
            other => Err(DbUrlError::UnknownScheme(
                url.to_string(),
                other.to_string(),
            )),
        }
    }

    /// The URL with any password removed, for logs and messages.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbUrl::Postgres(u) => redact_password(u),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((auth, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_choose_the_backend() {
        assert_eq!(
            DbUrl::parse("sqlite://data/shequ.db"),
            Ok(DbUrl::Sqlite("data/shequ.db".into()))
        );
        assert_eq!(
            DbUrl::parse("sqlite:///var/lib/shequ.db"),
            Ok(DbUrl::Sqlite("/var/lib/shequ.db".into()))
        );
        assert_eq!(
            DbUrl::parse("postgresql://u:p@h/db"),
            Ok(DbUrl::Postgres("postgresql://u:p@h/db".into()))
        );
        assert!(matches!(
            DbUrl::parse("postgres://h/db"),
            Ok(DbUrl::Postgres(_))
        ));
    }

    #[test]
    fn ambiguous_or_unknown_urls_are_refused() {
        assert!(matches!(
            DbUrl::parse("data/shequ.db"),
            Err(DbUrlError::NoScheme(_))
        ));
        assert!(matches!(
            DbUrl::parse("C:/x.db"),
            Err(DbUrlError::NoScheme(_))
        ));
        assert!(matches!(
            DbUrl::parse("mysql://h/db"),
            Err(DbUrlError::UnknownScheme(..))
        ));
        assert!(matches!(
            DbUrl::parse("sqlite://"),
            Err(DbUrlError::EmptyPath(_))
        ));
        let msg = DbUrl::parse("mysql://h/db")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("mysql"), "{msg}");
    }

    #[test]
    fn passwords_are_redacted() {
        let u = DbUrl::parse("postgresql://shequ:secret@db/shequ").unwrap();
        assert_eq!(u.redacted(), "postgresql://shequ:***@db/shequ");
    }
}
