//! The audit log: who did what to which record, when, from which role and area, and whether it
//! was allowed. Append-only (database triggers refuse UPDATE and DELETE) and tamper-evident:
//! each row carries HMAC-SM3(previous hash ‖ its own content) under the audit key, which lives
//! in the key file beside the data key, never in the database, so someone who can write the
//! database can't re-hash the chain after an edit. Rows from before the key (an older
//! database) keep plain SM3; `audit_keying` says from which sequence number the chain is keyed.
//!
//! The chain's end is anchored outside the database too: after each commit that wrote audit
//! rows, the last row's sequence number and hash are appended (with their MAC) to the anchor
//! file beside the key file, so cutting the tail and rewinding `audit_head` is found by
//! `verify` as well.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use shequ_vault::AuditKey;
use sm3::{Digest, Sm3};

use crate::access::scope::Actor;
use crate::clock;
use crate::db::{Conn, Row};
use crate::error::{StoreError, StoreResult};
use crate::params;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event to log. Personal values inside `detail` must already be masked.
pub struct Event<'a> {
    pub action: &'a str,
    pub target: Option<String>,
    pub outcome: &'a str,
    pub detail: Option<serde_json::Value>,
}

impl<'a> Event<'a> {
    pub fn ok(action: &'a str, target: impl Into<String>) -> Event<'a> {
        Event {
            action,
            target: Some(target.into()),
            outcome: "成功",
            detail: None,
        }
    }

    pub fn with(mut self, detail: serde_json::Value) -> Event<'a> {
        self.detail = Some(detail);
        self
    }
}

/// Who acted: a logged-in user, or only the name someone typed at the login form.
pub enum By<'a> {
    Actor(&'a Actor),
    Name(&'a str),
    System,
}

struct Fields {
    seq: i64,
    at: String,
    user_id: Option<i64>,
    username: Option<String>,
    role: Option<String>,
    area: Option<String>,
    community_id: Option<i64>,
    action: String,
    target: Option<String>,
    outcome: String,
    detail: Option<String>,
}

impl Fields {
    /// SM3 over the previous hash and every field, separated by U+001F so no two different rows
    /// serialise alike.
    fn hash(&self, prev: &str, key: Option<&AuditKey>) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "\u{0}".into());
        let num = |o: Option<i64>| o.map_or("\u{0}".into(), |n| n.to_string());
        let text = [
            prev.to_string(),
            self.seq.to_string(),
            self.at.clone(),
            num(self.user_id),
            opt(&self.username),
            opt(&self.role),
            opt(&self.area),
            num(self.community_id),
            self.action.clone(),
            opt(&self.target),
            self.outcome.clone(),
            opt(&self.detail),
        ]
        .join("\u{1f}");
        match key {
            Some(k) => k.mac_hex(text.as_bytes()),
            None => shequ_text::hex(&Sm3::digest(text.as_bytes())),
        }
    }
}

/// The audit key and the anchor file of this process, installed at start-up with the data
/// key (`sealed::open_key`).
struct Keying {
    key: AuditKey,
    keyed_from: i64,
    anchor: PathBuf,
    /// The highest sequence number this process has anchored.
    anchored: Mutex<i64>,
}

static KEYING: RwLock<Option<Arc<Keying>>> = RwLock::new(None);

fn keying() -> Option<Arc<Keying>> {
    match KEYING.read() {
        Ok(g) => g.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

const KEY_CHECK: &[u8] = b"shequ-audit-key-check";

/// Where the anchor file of a key file is: beside it (`shequ.db.key` → `shequ.db.anchor`).
pub fn anchor_path(key_file: &Path) -> PathBuf {
    key_file.with_extension("anchor")
}

/// Installs the audit key: the first time, the chain is keyed from the next row on (earlier
/// rows keep plain SM3); afterwards the key must be the one the chain was keyed with.
pub fn install(conn: &mut Conn, key: AuditKey, anchor: PathBuf) -> StoreResult<()> {
    let check = key.mac_hex(KEY_CHECK);
    let keyed_from = conn.transaction(|c| {
        // Taking the head's lock first: no row can be written between reading it and keying.
        c.execute("UPDATE audit_head SET seq = seq WHERE id = 1", params![])?;
        if let Some(r) = c.query_opt(
            "SELECT keyed_from, key_check FROM audit_keying WHERE id = 1",
            params![],
        )? {
            if r.get::<String>(1)? != check {
                return Err(StoreError::Vault(
                    "审计密钥与数据库不符：密钥文件中的 audit 行不是这个数据库审计日志所用的密钥。请使用这个数据库自己的密钥文件。"
                        .into(),
                ));
            }
            return Ok(r.get::<i64>(0)?);
        }
        let next: i64 = c.scalar("SELECT seq + 1 FROM audit_head WHERE id = 1", params![])?;
        c.execute(
            "INSERT INTO audit_keying (id, keyed_from, key_check, keyed_at) VALUES (1, ?, ?, ?)",
            params![next, check.as_str(), clock::now()],
        )?;
        Ok(next)
    })?;
    let mut g = match KEYING.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    *g = Some(Arc::new(Keying {
        key,
        keyed_from,
        anchor,
        anchored: Mutex::new(0),
    }));
    Ok(())
}

/// Anchors the chain's new end once the transaction that wrote it has committed (registered
/// by `record` through `Conn::on_commit`). A failed write is logged; the next commit anchors a
/// later end (the anchor may lag behind the database, never run ahead of it).
fn anchor(seq: i64, hash: &str) {
    let Some(k) = keying() else {
        return;
    };
    let mut anchored = match k.anchored.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if seq <= *anchored {
        return;
    }
    match append_anchor(&k, seq, hash) {
        Ok(()) => *anchored = seq,
        Err(e) => tracing::error!("无法写入审计锚点文件 {}：{e}", k.anchor.display()),
    }
}

fn anchor_mac(k: &Keying, seq: i64, hash: &str, keyed_from: i64) -> String {
    k.key
        .mac_hex(format!("anchor\u{1f}{seq}\u{1f}{hash}\u{1f}{keyed_from}").as_bytes())
}

/// Anchor files grow by a line per commit; past this size they are rewritten with the last
/// line only (written beside and renamed over, so a crash leaves one or the other).
const ANCHOR_COMPACT_BYTES: u64 = 1 << 20;

fn append_anchor(k: &Keying, seq: i64, hash: &str) -> std::io::Result<()> {
    let line = format!(
        "{seq} {hash} {} {}\n",
        k.keyed_from,
        anchor_mac(k, seq, hash, k.keyed_from)
    );
    let header = "# shequ 审计日志锚点：每行依次为 序号、哈希、起始序号、校验值。请与密钥文件一起保存，不要修改或删除。\n";
    let big = std::fs::metadata(&k.anchor).is_ok_and(|m| m.len() > ANCHOR_COMPACT_BYTES);
    if big {
        let tmp = k.anchor.with_extension("anchor.tmp");
        let mut f = private_options().truncate(true).open(&tmp)?;
        f.write_all(header.as_bytes())?;
        f.write_all(line.as_bytes())?;
        f.sync_all()?;
        return std::fs::rename(&tmp, &k.anchor);
    }
    let fresh = !k.anchor.exists();
    let mut f = private_options().append(true).open(&k.anchor)?;
    let text = if fresh {
        format!("{header}{line}")
    } else {
        line
    };
    f.write_all(text.as_bytes())
}

fn private_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// An anchor line: (sequence number, hash, keyed from).
type Anchor = (i64, String, i64);

/// The latest anchor in the file whose MAC holds, and whether any line failed its MAC (the
/// file was edited). None: no anchor file.
fn read_anchor(k: &Keying) -> std::io::Result<Option<(Option<Anchor>, bool)>> {
    let text = match std::fs::read_to_string(&k.anchor) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut best: Option<Anchor> = None;
    let mut forged = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = match line.split(' ').collect::<Vec<_>>().as_slice() {
            [seq, hash, from, mac] => match (seq.parse::<i64>(), from.parse::<i64>()) {
                (Ok(seq), Ok(from)) if anchor_mac(k, seq, hash, from) == *mac => {
                    Some((seq, hash.to_string(), from))
                }
                _ => None,
            },
            _ => None,
        };
        match parsed {
            Some(a) if best.as_ref().is_none_or(|b| a.0 > b.0) => best = Some(a),
            Some(_) => {}
            // A line cut short by a crash mid-write is the file's last; anything else was
            // changed by hand.
            None => forged = forged || !text.trim_end().ends_with(line),
        }
    }
    Ok(Some((best, forged)))
}

/// Appends an event. Call it inside the transaction of the change it describes, so the change
/// and its record commit or vanish together.
pub fn record(conn: &mut Conn, by: By, event: Event) -> StoreResult<()> {
    // Writing the head first takes its lock: concurrent writers queue here, so the chain has
    // no forks.
    conn.execute(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1",
        params![],
    )?;
    let head = conn.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", params![])?;
    let seq: i64 = head.get(0)?;
    let prev: String = head.get(1)?;
    let (user_id, username, role, area, community_id) = match by {
        By::Actor(a) => (
            Some(a.user_id),
            Some(a.username.clone()),
            Some(a.role.as_str().to_string()),
            Some(
                a.nodes
                    .iter()
                    .map(|n| n.path.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            (a.communities.len() == 1).then(|| a.communities[0]),
        ),
        By::Name(n) => (None, Some(n.chars().take(40).collect()), None, None, None),
        By::System => (None, Some("system".into()), None, None, None),
    };
    let f = Fields {
        seq,
        at: clock::now_with_zone(),
        user_id,
        username,
        role,
        area,
        community_id,
        action: event.action.to_string(),
        target: event.target,
        outcome: event.outcome.to_string(),
        detail: event.detail.map(|d| d.to_string()),
    };
    let keying = keying();
    let key = match &keying {
        Some(k) if seq >= k.keyed_from => Some(&k.key),
        Some(_) => None,
        // No key in this process: only a chain that was never keyed may grow unkeyed.
        None => {
            if conn
                .query_opt("SELECT 1 FROM audit_keying WHERE id = 1", params![])?
                .is_some()
            {
                return Err(StoreError::Vault(
                    "审计密钥尚未加载：请先启动服务或执行迁移命令".into(),
                ));
            }
            None
        }
    };
    let hash = f.hash(&prev, key);
    conn.execute(
        "INSERT INTO audit_log (seq, at, user_id, username, role, area, community_id, action, target, outcome, detail, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            f.seq,
            f.at.as_str(),
            f.user_id,
            f.username.clone(),
            f.role.clone(),
            f.area.clone(),
            f.community_id,
            f.action.as_str(),
            f.target.clone(),
            f.outcome.as_str(),
            f.detail.clone(),
            prev.as_str(),
            hash.as_str()
        ],
    )?;
    conn.execute(
        "UPDATE audit_head SET hash = ? WHERE id = 1",
        params![hash.as_str()],
    )?;
    conn.on_commit("audit.anchor", Box::new(move || anchor(seq, &hash)));
    Ok(())
}

/// Records an event in a transaction of its own (logins, refusals).
pub fn record_alone(conn: &mut Conn, by: By, event: Event) -> StoreResult<()> {
    conn.transaction(|c| record(c, by, event))
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Verdict {
    /// Rows checked.
    pub rows: i64,
    /// The first broken place: (sequence number, what is wrong).
    pub first_problem: Option<(i64, String)>,
}

const COLS: &str = "seq, at, user_id, username, role, area, community_id, action, target, outcome, detail, prev_hash, hash";

fn fields(r: &Row) -> StoreResult<(Fields, String, String)> {
    Ok((
        Fields {
            seq: r.get(0)?,
            at: r.get(1)?,
            user_id: r.get(2)?,
            username: r.get(3)?,
            role: r.get(4)?,
            area: r.get(5)?,
            community_id: r.get(6)?,
            action: r.get(7)?,
            target: r.get(8)?,
            outcome: r.get(9)?,
            detail: r.get(10)?,
        },
        r.get(11)?,
        r.get(12)?,
    ))
}

/// Walks the whole chain in order, 10,000 rows at a time: rows from `audit_keying.keyed_from`
/// on must carry the keyed hash, and the chain must reach the anchor kept outside the database
/// with the hash recorded there.
pub fn verify(conn: &mut Conn) -> StoreResult<Verdict> {
    let keying = keying();
    let keyed: Option<(i64, String)> = conn
        .query_opt(
            "SELECT keyed_from, key_check FROM audit_keying WHERE id = 1",
            params![],
        )?
        .map(|r| Ok::<_, StoreError>((r.get(0)?, r.get(1)?)))
        .transpose()?;
    let anchor = match &keying {
        Some(k) => read_anchor(k).map_err(|e| {
            StoreError::Vault(format!("无法读取审计锚点文件 {}：{e}", k.anchor.display()))
        })?,
        None => None,
    };
    let verdict = |rows: i64, seq: i64, what: String| Verdict {
        rows,
        first_problem: Some((seq, what)),
    };
    // What the database says about keying must match what the key and the anchor say.
    let keyed_from = match (&keyed, &keying) {
        (Some((from, check)), Some(k)) => {
            if *check != k.key.mac_hex(KEY_CHECK) {
                return Ok(verdict(
                    0,
                    *from,
                    "审计密钥校验值被改动（audit_keying）".into(),
                ));
            }
            if *from != k.keyed_from {
                return Ok(verdict(
                    0,
                    *from,
                    "审计链的起始序号被改动（audit_keying）".into(),
                ));
            }
            Some(*from)
        }
        (Some((from, _)), None) => {
            return Err(StoreError::Vault(format!(
                "审计日志自第 {from} 条起用审计密钥保护，但没有加载密钥文件，无法核对"
            )));
        }
        (None, _) => {
            if let Some((Some((seq, _, _)), _)) = &anchor {
                return Ok(verdict(
                    0,
                    *seq,
                    "审计链的密钥记录（audit_keying）被删除，但锚点文件表明日志曾用审计密钥保护"
                        .into(),
                ));
            }
            None
        }
    };
    if let Some((Some((_, _, from)), _)) = &anchor
        && Some(*from) != keyed_from
    {
        return Ok(verdict(0, *from, "审计链的起始序号与锚点文件不符".into()));
    }
    if let Some((_, true)) = &anchor {
        return Ok(verdict(
            0,
            0,
            "审计锚点文件被改动（有一行校验值不符）".into(),
        ));
    }
    let key = keying.as_ref().map(|k| &k.key);
    let anchored = anchor.as_ref().and_then(|(a, _)| a.clone());
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_string();
    let mut rows = 0;
    loop {
        let batch = conn.query(
            &format!("SELECT {COLS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT 10000"),
            params![expected_seq],
        )?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            let (f, prev_hash, hash) = fields(r)?;
            rows += 1;
            let row_key = key.filter(|_| keyed_from.is_some_and(|from| f.seq >= from));
            let problem = if f.seq != expected_seq {
                Some((
                    expected_seq,
                    format!("第 {expected_seq} 条记录缺失（被删除）"),
                ))
            } else if prev_hash != prev {
                Some((
                    f.seq,
                    format!("第 {} 条记录的前序哈希与上一条不符（链被改动）", f.seq),
                ))
            } else if f.hash(&prev, row_key) != hash {
                Some((
                    f.seq,
                    format!("第 {} 条记录的内容被修改（哈希不符）", f.seq),
                ))
            } else if let Some((aseq, ahash, _)) = &anchored
                && *aseq == f.seq
                && *ahash != hash
            {
                Some((
                    f.seq,
                    format!("第 {} 条记录与库外锚点不符（日志被重写）", f.seq),
                ))
            } else {
                None
            };
            if problem.is_some() {
                return Ok(Verdict {
                    rows,
                    first_problem: problem,
                });
            }
            prev = hash;
            expected_seq += 1;
        }
    }
    let last = expected_seq - 1;
    let head = conn.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", params![])?;
    let (head_seq, head_hash): (i64, String) = (head.get(0)?, head.get(1)?);
    if head_seq != last {
        return Ok(verdict(
            rows,
            expected_seq,
            format!(
                "第 {expected_seq} 条及以后的 {} 条记录缺失（被删除）",
                head_seq - expected_seq + 1
            ),
        ));
    }
    if head_hash != prev {
        return Ok(verdict(rows, head_seq, "链尾哈希与最后一条记录不符".into()));
    }
    // The head agrees with the rows: only the anchor outside the database can tell that the
    // tail was cut and the head rewound with it.
    if let Some((aseq, _, _)) = &anchored
        && *aseq > last
    {
        return Ok(verdict(
            rows,
            last + 1,
            format!(
                "第 {} 条及以后的记录缺失（被截去）：库外锚点表明日志已有 {aseq} 条，数据库中只有 {last} 条",
                last + 1
            ),
        ));
    }
    if anchored.is_none() && keyed_from.is_some_and(|from| last >= from) {
        return Ok(verdict(
            rows,
            last,
            "找不到审计锚点文件（应在密钥文件旁）：无法确认日志尾部没有被截去".into(),
        ));
    }
    Ok(Verdict {
        rows,
        first_problem: None,
    })
}

/// What the auditor asks the log for. Text filters match from the start (`person:` finds every
/// person row); dates are inclusive.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// Rows older than this sequence number (paging backwards from the newest).
    pub before: Option<i64>,
    pub limit: usize,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub username: Option<String>,
    pub role: Option<String>,
    pub area: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

/// The audit log, newest first, for the auditor only (the system administrator can't read
/// it). The filters go into the SQL.
pub fn search(conn: &mut Conn, actor: &Actor, f: &Filter) -> StoreResult<Vec<Entry>> {
    actor.require(actor.role.reads_audit(), "查看审计日志")?;
    let mut conds = vec!["1 = 1".to_string()];
    let mut args: Vec<crate::db::Value> = Vec::new();
    let mut prefix = |col: &str, v: &Option<String>, conds: &mut Vec<String>| {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            conds.push(format!("{col} >= ? AND {col} < ?"));
            args.push(v.into());
            args.push(crate::db::prefix_end(v).into());
        }
    };
    prefix("username", &f.username, &mut conds);
    prefix("action", &f.action, &mut conds);
    prefix("target", &f.target, &mut conds);
    if let Some(d) = f.from {
        conds.push("at >= ?".into());
        args.push(d.format("%Y-%m-%d").to_string().into());
    }
    if let Some(d) = f.to {
        conds.push("at < ?".into());
        let next = d.succ_opt().unwrap_or(d);
        args.push(next.format("%Y-%m-%d").to_string().into());
    }
    if let Some(b) = f.before {
        conds.push("seq < ?".into());
        args.push(b.into());
    }
    args.push((f.limit.clamp(1, 100_000) as i64).into());
    let sql = format!(
        "SELECT seq, at, username, role, area, action, target, outcome, detail FROM audit_log
         WHERE {} ORDER BY seq DESC LIMIT ?",
        conds.join(" AND ")
    );
    conn.query(&sql, &args)?
        .iter()
        .map(|r| {
            Ok(Entry {
                seq: r.get(0)?,
                at: r.get(1)?,
                username: r.get(2)?,
                role: r.get(3)?,
                area: r.get(4)?,
                action: r.get(5)?,
                target: r.get(6)?,
                outcome: r.get(7)?,
                detail: r.get(8)?,
            })
        })
        .collect()
}

/// Action names as the auditor reads them.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "login" => "登录",
        "logout" => "退出",
        "lockout" => "账号锁定",
        "denied" => "越权访问被拒",
        "reveal" => "查看完整信息",
        "export" => "导出",
        "import" => "导入",
        "totp.begin" => "生成验证器密钥",
        "totp.enable" => "绑定验证器",
        "totp.verify" => "动态验证码验证",
        "totp.reset" => "重置验证器",
        "grant.people" => "授权查看人员",
        "grant.revoke" => "撤销授权",
        a if a.starts_with("person.") => "人员信息变更",
        a if a.starts_with("node.") => "组织架构变更",
        a if a.starts_with("tag.") => "重点人群变更",
        a if a.starts_with("user.") => "账号变更",
        a if a.starts_with("unit.") => "辖区单位变更",
        a if a.starts_with("housing.") => "房屋信息变更",
        a if a.starts_with("group.") => "十联户变更",
        _ => "其他",
    }
}
