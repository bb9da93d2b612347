//! The audit log: who did what to which record, when, from which role and area, and whether it
//! was allowed. Append-only (database triggers refuse UPDATE and DELETE) and tamper-evident:
//! each row carries SM3(previous hash ‖ its own content), so `verify` finds the first row that
//! was altered, inserted or deleted behind the application's back.

use serde::Serialize;
use sm3::{Digest, Sm3};

use crate::clock;
use crate::db::{Conn, Row};
use crate::error::StoreResult;
use crate::params;
use crate::scope::Actor;

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
    fn hash(&self, prev: &str) -> String {
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
        Sm3::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
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
    let hash = f.hash(&prev);
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
    conn.execute("UPDATE audit_head SET hash = ? WHERE id = 1", params![hash])?;
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

/// Walks the whole chain in order, 10,000 rows at a time.
pub fn verify(conn: &mut Conn) -> StoreResult<Verdict> {
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
            } else if f.hash(&prev) != hash {
                Some((
                    f.seq,
                    format!("第 {} 条记录的内容被修改（哈希不符）", f.seq),
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
    let head = conn.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", params![])?;
    let (head_seq, head_hash): (i64, String) = (head.get(0)?, head.get(1)?);
    let first_problem = if head_seq != expected_seq - 1 {
        Some((
            expected_seq,
            format!(
                "第 {expected_seq} 条及以后的 {} 条记录缺失（被删除）",
                head_seq - expected_seq + 1
            ),
        ))
    } else if head_hash != prev {
        Some((head_seq, "链尾哈希与最后一条记录不符".to_string()))
    } else {
        None
    };
    Ok(Verdict {
        rows,
        first_problem,
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
