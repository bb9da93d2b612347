//! Encryption at rest of the most sensitive values: ID numbers and phone numbers (of residents,
//! landlords and unit contacts), the fields of 刑释解教/社区矫正/精神残疾 tags, and second-factor
//! secrets. Values are sealed by `shequ_vault` (SM4-GCM by default) with the column's name as
//! associated data; lookups go through keyed blind indexes (HMAC-SM3) of the whole value and of
//! its last four characters, so neither the database nor a dump of it holds a readable number.
//!
//! The key lives outside the database (a file beside it, or `SHEQU_KEY`). The process holds one
//! `Sealer`, installed at start-up; `vault_meta` records which key version every sealed value
//! and index in the database uses, so a new key (`shequ rotate-key`) or a crash half-way through
//! one is finished at the next start.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use shequ_domain::registry::tags::sealed_details;
use shequ_vault::{Provider, Vault};

use crate::clock::now;
use crate::db::{Conn, DbUrl, Value};
use crate::error::{StoreError, StoreResult};
use crate::params;

/// Where a sealed field is stored. Re-sealing (a database from before encryption, a new key)
/// is derived from these, so a sealed column can't be left out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub table: &'static str,
    /// The column holding the sealed token.
    pub column: &'static str,
    /// The integer key that names a row of the table.
    pub key: &'static str,
    /// The blind indexes kept beside the value, recomputed with it: (whole value, last four).
    pub indexes: Option<(&'static str, &'static str)>,
    pub rows: Rows,
}

/// Which rows of a sealed column hold sealed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    Every,
    /// Only the tags whose kind (and category) the domain seals (`sealed_details`); the other
    /// special groups' details are plain JSON.
    SealedTagKinds,
}

impl Column {
    const fn plain(table: &'static str, key: &'static str, column: &'static str) -> Column {
        Column {
            table,
            column,
            key,
            indexes: None,
            rows: Rows::Every,
        }
    }

    const fn indexed(
        table: &'static str,
        key: &'static str,
        column: &'static str,
        blind: &'static str,
        tail: &'static str,
    ) -> Column {
        Column {
            indexes: Some((blind, tail)),
            ..Column::plain(table, key, column)
        }
    }
}

/// Declares the sealed fields once: each variant, the name sealed into its values and where it
/// is stored. `Field::ALL` is generated from the same list, so no field is missing from it.
macro_rules! sealed_fields {
    ($($variant:ident = $name:literal in $column:expr;)+) => {
        /// The values that are sealed: the name is the associated data, so a value copied into
        /// another column does not open.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Field {
            $($variant,)+
        }

        impl Field {
            /// Every sealed field, in the order re-sealing visits their tables.
            pub const ALL: &'static [Field] = &[$(Field::$variant),+];

            /// The associated data of its values: fixed forever, or stored values stop opening
            /// (so it may differ from the column's current name).
            fn name(self) -> &'static str {
                match self {
                    $(Field::$variant => $name,)+
                }
            }

            pub const fn column(self) -> Column {
                match self {
                    $(Field::$variant => $column,)+
                }
            }
        }
    };
}

sealed_fields! {
    IdNumber = "persons.id_number"
        in Column::indexed("persons", "id", "id_sealed", "id_blind", "id_tail");
    Phone = "persons.phone"
        in Column::indexed("persons", "id", "phone", "phone_blind", "phone_tail");
    LandlordPhone = "housing.landlord_phone"
        in Column::plain("housing", "room_id", "landlord_phone");
    ContactPhone = "units.contact_phone" in Column::plain("units", "id", "contact_phone");
    ReporterPhone = "tickets.reporter_phone" in Column::plain("tickets", "id", "reporter_phone");
    PartyIdNumber = "mediation_parties.id_number"
        in Column::plain("mediation_parties", "id", "id_number");
    PartyPhone = "mediation_parties.phone" in Column::plain("mediation_parties", "id", "phone");
    TagDetails = "tags.details" in Column {
        rows: Rows::SealedTagKinds,
        ..Column::plain("tags", "id", "details")
    };
    TotpSecret = "users.totp_secret" in Column::plain("users", "id", "totp_secret");
}

/// A check value sealed with the key, kept in `vault_meta`: a key file that doesn't belong to
/// this database is noticed at start-up, not at the first lookup.
const KEY_CHECK: &str = "shequ-key-check";

pub struct Sealer {
    vault: Vault,
    /// The key version of every blind index in the database (from `vault_meta`).
    index_version: u32,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer(index v{})", self.index_version)
    }
}

fn vault_error(e: shequ_vault::VaultError) -> StoreError {
    StoreError::Vault(e.to_string())
}

impl Sealer {
    pub fn new(vault: Vault, index_version: u32) -> Sealer {
        Sealer {
            vault,
            index_version,
        }
    }

    pub fn seal(&self, field: Field, plain: &str) -> StoreResult<String> {
        self.vault
            .seal_str(field.name(), plain)
            .map_err(vault_error)
    }

    pub fn seal_opt(&self, field: Field, plain: Option<&str>) -> StoreResult<Option<String>> {
        plain.map(|p| self.seal(field, p)).transpose()
    }

    pub fn open(&self, field: Field, token: &str) -> StoreResult<String> {
        self.vault
            .open_str(field.name(), token)
            .map_err(vault_error)
    }

    pub fn open_opt(&self, field: Field, token: Option<String>) -> StoreResult<Option<String>> {
        token.map(|t| self.open(field, &t)).transpose()
    }

    /// Keyed index of a whole value, for exact lookup and uniqueness.
    pub fn blind(&self, field: Field, value: &str) -> StoreResult<String> {
        self.vault
            .blind(self.index_version, field.name(), value)
            .map_err(vault_error)
    }

    /// Keyed index of the last four characters: searching by the last 4–6 characters looks up
    /// the last four and then compares the opened values, inside the caller's scope.
    pub fn tail(&self, field: Field, value: &str) -> StoreResult<Option<String>> {
        let chars: Vec<char> = value.chars().collect();
        if chars.len() < 4 {
            return Ok(None);
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        let name = format!("{}#4", field.name());
        self.vault
            .blind(self.index_version, &name, &tail)
            .map(Some)
            .map_err(vault_error)
    }
}

static SEALER: RwLock<Option<Arc<Sealer>>> = RwLock::new(None);

/// The process's sealer, installed by `open_key`.
pub fn sealer() -> StoreResult<Arc<Sealer>> {
    match SEALER.read() {
        Ok(g) => g.clone().ok_or_else(|| {
            StoreError::Vault("数据密钥尚未加载：请先启动服务或执行迁移命令".into())
        }),
        Err(_) => Err(StoreError::Vault("数据密钥状态异常，请重启服务".into())),
    }
}

fn install(s: Sealer) {
    let mut g = match SEALER.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    *g = Some(Arc::new(s));
}

/// Where the key file is unless given: beside an SQLite file (`shequ.db` → `shequ.db.key`),
/// or, for PostgreSQL, `shequ-<database>.key` in the working directory.
pub fn default_key_path(url: &DbUrl) -> PathBuf {
    match url {
        DbUrl::Sqlite(path) => {
            let mut p = path.clone().into_os_string();
            p.push(".key");
            PathBuf::from(p)
        }
        DbUrl::Postgres(conn) => {
            let db: String = conn
                .rsplit('/')
                .next()
                .unwrap_or("shequ")
                .split('?')
                .next()
                .unwrap_or("shequ")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            PathBuf::from(format!("shequ-{db}.key"))
        }
    }
}

/// What `open_key` did, for the operator.
#[derive(Debug)]
pub struct KeyReport {
    pub path: PathBuf,
    pub created: bool,
    pub from_env: bool,
    pub loose_permissions: bool,
    /// Rows sealed or re-sealed at this start (plaintext from before encryption, or a new key).
    pub resealed: usize,
}

/// Loads the key (SHEQU_KEY, else the file, created on a database that has never been sealed),
/// checks it against the database, finishes any pending sealing and installs the sealer.
pub fn open_key(conn: &mut Conn, path: &Path) -> StoreResult<KeyReport> {
    let meta = read_meta(conn)?;
    let env = std::env::var(shequ_vault::KEY_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty());
    if env.is_none() && meta.is_some() && !path.exists() {
        return Err(StoreError::Vault(format!(
            "数据库中的敏感信息已加密，但找不到密钥文件 {}。请从单独保存的备份中恢复该文件（或用环境变量 SHEQU_KEY 提供密钥），切勿重新生成，否则已加密的数据将无法读取。",
            path.display()
        )));
    }
    let (vault, created) =
        Vault::load_or_create_from(path, Provider::Sm4Gcm, env.as_deref()).map_err(vault_error)?;
    let mut report = KeyReport {
        path: path.to_path_buf(),
        created,
        from_env: env.is_some(),
        loose_permissions: env.is_none() && shequ_vault::loose_permissions(path),
        resealed: 0,
    };
    let audit_key = vault.audit_key().map_err(vault_error)?;
    report.resealed = bring_up_to_date(conn, vault)?;
    crate::access::audit::install(conn, audit_key, crate::access::audit::anchor_path(path))?;
    Ok(report)
}

/// Installs a vault for this process and makes the database match it: seals values stored
/// before encryption existed, re-seals everything after a key rotation, and records the
/// version in `vault_meta`. One transaction: a crash leaves the old state, redone next time.
pub fn bring_up_to_date(conn: &mut Conn, vault: Vault) -> StoreResult<usize> {
    let current = vault.current_version();
    let meta = read_meta(conn)?;
    if let Some((version, check)) = &meta {
        // The key must open the check value: otherwise this key file belongs elsewhere.
        let probe = Sealer::new(vault, *version as u32);
        if probe.vault.versions().contains(&(*version as u32))
            && probe.open(Field::TotpSecret, check).ok().as_deref() != Some(KEY_CHECK)
        {
            return Err(StoreError::Vault(
                "密钥文件与数据库不匹配：无法解开数据库中的校验值。请确认使用的是这个数据库自己的密钥文件。"
                    .into(),
            ));
        }
        if !probe.vault.versions().contains(&(*version as u32)) {
            return Err(StoreError::Vault(format!(
                "密钥文件中缺少数据库正在使用的第 {version} 版密钥，请从备份恢复完整的密钥文件。"
            )));
        }
        if *version as u32 == current {
            install(probe);
            return Ok(0);
        }
        return reseal(conn, probe.vault, Some(*version as u32));
    }
    reseal(conn, vault, None)
}

fn read_meta(conn: &mut Conn) -> StoreResult<Option<(i64, String)>> {
    Ok(
        match conn.query_opt(
            "SELECT seal_version, key_check FROM vault_meta WHERE id = 1",
            params![],
        )? {
            Some(r) => Some((r.get(0)?, r.get(1)?)),
            None => None,
        },
    )
}

/// Re-seals every sealed value and recomputes every blind index with the vault's current
/// version. `from`: the version the database uses now, or None for plaintext (a database from
/// before encryption).
fn reseal(conn: &mut Conn, vault: Vault, from: Option<u32>) -> StoreResult<usize> {
    let current = vault.current_version();
    // The old sealer opens with the same key file (every version is still in it).
    let old = match from {
        Some(v) => Some(Sealer::new(
            Vault::parse(&vault.to_text()).map_err(vault_error)?,
            v,
        )),
        None => None,
    };
    let new = Sealer::new(vault, current);
    let count = conn.transaction(|c| {
        let mut count = 0;
        let mut tables: Vec<&str> = Vec::new();
        for f in Field::ALL {
            if !tables.contains(&f.column().table) {
                tables.push(f.column().table);
            }
        }
        for table in tables {
            let fields: Vec<Field> = Field::ALL
                .iter()
                .copied()
                .filter(|f| f.column().table == table)
                .collect();
            count += reseal_table(c, &fields, &old, &new)?;
        }
        let check = new.seal(Field::TotpSecret, KEY_CHECK)?;
        c.execute("DELETE FROM vault_meta", params![])?;
        c.execute(
            "INSERT INTO vault_meta (id, seal_version, key_check, sealed_at) VALUES (1, ?, ?, ?)",
            params![i64::from(current), check, now()],
        )?;
        Ok::<usize, StoreError>(count)
    })?;
    install(new);
    Ok(count)
}

/// A stored value as it was: opened with the old key, or plaintext from before encryption.
fn open_old(stored: Option<String>, f: Field, old: &Option<Sealer>) -> StoreResult<Option<String>> {
    match (stored, old) {
        (None, _) => Ok(None),
        (Some(v), None) => Ok(Some(v)),
        (Some(v), Some(o)) => o.open(f, &v).map(Some),
    }
}

/// Re-seals the sealed fields of one table (and recomputes their indexes), one UPDATE per row;
/// returns how many rows held a sealed value.
fn reseal_table(
    c: &mut Conn,
    fields: &[Field],
    old: &Option<Sealer>,
    new: &Sealer,
) -> StoreResult<usize> {
    let Some(first) = fields.first() else {
        return Ok(0);
    };
    let Column { table, key, .. } = first.column();
    let columns: Vec<Column> = fields.iter().map(|f| f.column()).collect();
    let tag_kinds = columns.iter().any(|col| col.rows == Rows::SealedTagKinds);
    let mut select: Vec<&str> = vec![key];
    select.extend(columns.iter().map(|col| col.column));
    if tag_kinds {
        select.extend(["kind", "category"]);
    }
    let filled: Vec<String> = columns
        .iter()
        .map(|col| format!("{} IS NOT NULL", col.column))
        .collect();
    let mut sets = Vec::new();
    for col in &columns {
        sets.push(format!("{} = ?", col.column));
        if let Some((blind, tail)) = col.indexes {
            sets.push(format!("{blind} = ?"));
            sets.push(format!("{tail} = ?"));
        }
    }
    let update = format!("UPDATE {table} SET {} WHERE {key} = ?", sets.join(", "));
    let rows = c.query(
        &format!(
            "SELECT {} FROM {table} WHERE {}",
            select.join(", "),
            filled.join(" OR ")
        ),
        params![],
    )?;
    let mut count = 0;
    for r in &rows {
        let sealed_here = if tag_kinds {
            let kind: String = r.get(columns.len() + 1)?;
            let category: Option<String> = r.get(columns.len() + 2)?;
            sealed_details(&kind, category.as_deref())
        } else {
            true
        };
        let mut values: Vec<Value> = Vec::new();
        let mut resealed = false;
        for (i, (field, col)) in fields.iter().zip(&columns).enumerate() {
            let stored: Option<String> = r.get(i + 1)?;
            if col.rows == Rows::SealedTagKinds && !sealed_here {
                values.push(Value::from(stored));
                continue;
            }
            resealed |= stored.is_some();
            let plain = open_old(stored, *field, old)?;
            match col.indexes {
                Some(_) => {
                    let (v, b, t) = person_key_values(new, *field, plain.as_deref())?;
                    values.extend([Value::from(v), Value::from(b), Value::from(t)]);
                }
                None => values.push(Value::from(new.seal_opt(*field, plain.as_deref())?)),
            }
        }
        if !resealed {
            continue;
        }
        values.push(Value::Int(r.get::<i64>(0)?));
        c.execute(&update, &values)?;
        count += 1;
    }
    Ok(count)
}

/// (sealed value, blind index, tail index) of an ID number or phone.
pub fn person_key_values(
    s: &Sealer,
    field: Field,
    plain: Option<&str>,
) -> StoreResult<(Option<String>, Option<String>, Option<String>)> {
    match plain {
        None => Ok((None, None, None)),
        Some(p) => Ok((
            Some(s.seal(field, p)?),
            Some(s.blind(field, p)?),
            s.tail(field, p)?,
        )),
    }
}

/// Tag details as stored: sealed for the sensitive kinds, plain JSON otherwise.
pub fn store_details(kind: &str, category: Option<&str>, json: &str) -> StoreResult<String> {
    if sealed_details(kind, category) {
        sealer()?.seal(Field::TagDetails, json)
    } else {
        Ok(json.to_string())
    }
}

/// Tag details as read back.
pub fn load_details(kind: &str, category: Option<&str>, stored: &str) -> StoreResult<String> {
    if sealed_details(kind, category) {
        sealer()?.open(Field::TagDetails, stored)
    } else {
        Ok(stored.to_string())
    }
}

/// `shequ rotate-key`: adds a new key version to the key file, re-seals every value and
/// recomputes every index with it in one transaction, then drops the old version from the
/// file. A crash at any point leaves a database the key file still opens (the next start
/// finishes the work). Returns (new version, rows re-sealed).
pub fn rotate(conn: &mut Conn, path: &Path, provider: Provider) -> StoreResult<(u32, usize)> {
    if std::env::var(shequ_vault::KEY_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        return Err(StoreError::Vault(
            "密钥来自环境变量 SHEQU_KEY，无法自动更换：请把密钥写入密钥文件，去掉该环境变量后再执行".into(),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| StoreError::Vault(format!("无法读取密钥文件 {}：{e}", path.display())))?;
    let mut vault = Vault::parse(&text).map_err(vault_error)?;
    let version = vault.add_version(provider).map_err(vault_error)?;
    // Both versions in the file before the database changes: whatever happens next, the file
    // opens what the database holds.
    vault.save(path).map_err(vault_error)?;
    let count = bring_up_to_date(conn, Vault::parse(&vault.to_text()).map_err(vault_error)?)?;
    vault.retain_only(version);
    vault.save(path).map_err(vault_error)?;
    install(Sealer::new(vault, version));
    Ok((version, count))
}
