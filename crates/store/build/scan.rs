//! The migrations folder as the build sees it: file names checked and grouped into migrations,
//! and the `&[Migration]` table generated from them. Kept free of IO so the store's unit tests
//! can run it (lib.rs includes this file under `cfg(test)`); `build.rs` does the reading and
//! writing.

/// One migration found in the folder: its common file and the optional per-backend parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub version: u32,
    pub name: String,
    pub common: String,
    pub sqlite: Option<String>,
    pub postgres: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Common,
    Sqlite,
    Postgres,
}

const FORM: &str = "expected NNNN_name.sql, NNNN_name.sqlite.sql or NNNN_name.postgres.sql \
                    (four digits from 0001, a name of lowercase letters, digits and _)";

/// Splits `NNNN_name[.sqlite|.postgres].sql` into its number, name and part.
fn parse(file: &str) -> Result<(u32, &str, Part), String> {
    let bad = || format!("migrations/{file}: malformed migration file name; {FORM}");
    let stem = file.strip_suffix(".sql").ok_or_else(bad)?;
    let (stem, part) = if let Some(s) = stem.strip_suffix(".sqlite") {
        (s, Part::Sqlite)
    } else if let Some(s) = stem.strip_suffix(".postgres") {
        (s, Part::Postgres)
    } else {
        (stem, Part::Common)
    };
    let (digits, name) = stem.split_once('_').ok_or_else(bad)?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(bad());
    }
    let version: u32 = digits.parse().map_err(|_| bad())?;
    if version == 0 {
        return Err(bad());
    }
    Ok((version, name, part))
}

/// Groups the folder's file names into migrations ordered by number. Refuses a malformed name,
/// two files for one number and part (or two names under one number), and a backend part
/// without its common file. Hidden files (editors' swap files, `.gitkeep`) are not migrations.
/// Gaps in the numbering are allowed.
pub fn scan(files: &[String]) -> Result<Vec<Found>, String> {
    // (name, common, sqlite, postgres) per number, while the parts are gathered.
    type Parts = (String, Option<String>, Option<String>, Option<String>);
    let mut found: std::collections::BTreeMap<u32, Parts> = std::collections::BTreeMap::new();
    for file in files.iter().filter(|f| !f.starts_with('.')) {
        let (version, name, part) = parse(file)?;
        let m = found
            .entry(version)
            .or_insert_with(|| (name.to_string(), None, None, None));
        if m.0 != name {
            return Err(format!(
                "migrations/{file}: number {version:04} is already taken by {version:04}_{}; \
                 every migration needs its own number",
                m.0
            ));
        }
        let slot = match part {
            Part::Common => &mut m.1,
            Part::Sqlite => &mut m.2,
            Part::Postgres => &mut m.3,
        };
        if slot.is_some() {
            return Err(format!("migrations/{file}: listed twice"));
        }
        *slot = Some(file.clone());
    }
    let mut out = Vec::with_capacity(found.len());
    for (version, (name, common, sqlite, postgres)) in found {
        let Some(common) = common else {
            let part = sqlite.or(postgres).unwrap_or_default();
            return Err(format!(
                "migrations/{part}: a backend part without its common file {version:04}_{name}.sql \
                 (create it, even empty: the common file is the migration)"
            ));
        };
        out.push(Found {
            version,
            name,
            common,
            sqlite,
            postgres,
        });
    }
    Ok(out)
}

/// The Rust expression of the `&[Migration]` table, each file's text included from `dir` (an
/// absolute path, so the generated file can live in OUT_DIR).
pub fn render(found: &[Found], dir: &str) -> String {
    let include = |f: &str| {
        format!(
            "Part {{ file: {f:?}, sql: include_str!({:?}) }}",
            format!("{dir}/{f}")
        )
    };
    let part = |file: &Option<String>| match file {
        Some(f) => format!("Some({})", include(f)),
        None => "None".to_string(),
    };
    let mut out = String::from("&[\n");
    for m in found {
        out.push_str(&format!(
            "    Migration {{ version: {}, name: {:?}, common: {}, sqlite: {}, postgres: {} }},\n",
            m.version,
            m.name,
            include(&m.common),
            part(&m.sqlite),
            part(&m.postgres),
        ));
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn groups_parts_in_order_and_allows_gaps() {
        let found = scan(&names(&[
            "0020_daily_work.sql",
            "0002_audit.sqlite.sql",
            "0001_spine.sql",
            "0002_audit.sql",
            "0002_audit.postgres.sql",
            ".gitkeep",
        ]))
        .unwrap();
        assert_eq!(
            found,
            vec![
                Found {
                    version: 1,
                    name: "spine".into(),
                    common: "0001_spine.sql".into(),
                    sqlite: None,
                    postgres: None,
                },
                Found {
                    version: 2,
                    name: "audit".into(),
                    common: "0002_audit.sql".into(),
                    sqlite: Some("0002_audit.sqlite.sql".into()),
                    postgres: Some("0002_audit.postgres.sql".into()),
                },
                Found {
                    version: 20,
                    name: "daily_work".into(),
                    common: "0020_daily_work.sql".into(),
                    sqlite: None,
                    postgres: None,
                },
            ]
        );
    }

    #[test]
    fn refuses_malformed_names() {
        for bad in [
            "README.md",
            "0001_spine.SQL",
            "001_spine.sql",
            "00001_spine.sql",
            "0001-spine.sql",
            "0001_.sql",
            "0001_Spine.sql",
            "0001_spine.mysql.sql",
            "0000_nothing.sql",
            "spine.sql",
            "0x01_spine.sql",
        ] {
            let err = scan(&names(&[bad])).unwrap_err();
            assert!(
                err.contains(bad) && err.contains("malformed"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn refuses_two_migrations_with_one_number() {
        let err = scan(&names(&["0019_a.sql", "0019_b.sql"])).unwrap_err();
        assert!(
            err.contains("0019_b.sql") && err.contains("0019_a"),
            "{err}"
        );
        let err = scan(&names(&["0002_audit.sql", "0002_audits.sqlite.sql"])).unwrap_err();
        assert!(err.contains("0002_audits.sqlite.sql"), "{err}");
    }

    #[test]
    fn refuses_a_backend_part_without_its_common_file() {
        let err = scan(&names(&["0001_spine.sql", "0003_x.postgres.sql"])).unwrap_err();
        assert!(
            err.contains("0003_x.postgres.sql") && err.contains("0003_x.sql"),
            "{err}"
        );
    }

    #[test]
    fn renders_a_table_with_absolute_includes() {
        let found = scan(&names(&["0002_audit.sql", "0002_audit.postgres.sql"])).unwrap();
        let table = render(&found, "/src/store/migrations");
        assert_eq!(
            table,
            "&[\n    Migration { version: 2, name: \"audit\", \
             common: Part { file: \"0002_audit.sql\", \
             sql: include_str!(\"/src/store/migrations/0002_audit.sql\") }, sqlite: None, \
             postgres: Some(Part { file: \"0002_audit.postgres.sql\", \
             sql: include_str!(\"/src/store/migrations/0002_audit.postgres.sql\") }) },\n]"
        );
    }
}
