//! Users, passwords (argon2id) and sessions. A session token is random; only its SHA-256 is
//! stored, so a leaked database can't be replayed as logins.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use shequ_domain::access::roles::Role;

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;

pub fn random_token(bytes: usize) -> StoreResult<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| StoreError::Conflict(format!("系统随机数不可用：{e}")))?;
    Ok(shequ_text::hex(&buf))
}

pub fn hash_password(password: &str) -> StoreResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StoreError::Conflict(format!("系统随机数不可用：{e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Conflict(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Conflict(format!("密码处理失败：{e}")))
}

fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// At least 10 characters from at least three of: upper case, lower case, digits, symbols.
pub fn check_password_rules(password: &str) -> StoreResult<()> {
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if password.chars().count() < 10 || classes.iter().filter(|x| **x).count() < 3 {
        return Err(StoreError::invalid(
            "密码",
            "至少 10 位，并包含大写字母、小写字母、数字、符号中的至少三类",
        ));
    }
    Ok(())
}

/// A random password that meets the rules, for demo logins: e.g. "Sq3f9a-21cb-X".
pub fn random_password() -> StoreResult<String> {
    let hex = random_token(5)?;
    Ok(format!("Sq{}-{}-X", &hex[..4], &hex[4..]))
}

/// How many wrong passwords in a row lock an account, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub attempts: i64,
    pub lock_minutes: i64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            attempts: 5,
            lock_minutes: 15,
        }
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub scope: &'a [i64],
}

pub fn create(conn: &mut Conn, u: &NewUser) -> StoreResult<i64> {
    let username = u.username.trim();
    if username.is_empty()
        || username.len() > 40
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(StoreError::invalid(
            "用户名",
            "请用 1–40 个英文字母、数字或 . _ -",
        ));
    }
    check_password_rules(u.password)?;
    let hash = hash_password(u.password)?;
    conn.transaction(|c| {
        let ts = now();
        let id = c
            .insert(
                "INSERT INTO users (username, display_name, password_hash, role, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                params![username, u.display_name.trim(), hash.as_str(), u.role.as_str(), ts.as_str(), ts.as_str()],
            )
            .map_err(|e| {
                if e.is_unique_violation() {
                    StoreError::invalid("用户名", format!("“{username}”已被使用"))
                } else {
                    e.into()
                }
            })?;
        for node in u.scope {
            c.execute("INSERT INTO user_scopes (user_id, node_id) VALUES (?, ?)", params![id, *node])?;
        }
        audit::record(
            c,
            By::System,
            Event::ok("user.create", format!("user:{id}"))
                .with(serde_json::json!({ "用户名": username, "角色": u.role.as_str(), "辖区": u.scope })),
        )?;
        Ok(id)
    })
}

/// A hash verified for unknown users, so "no such user" and "wrong password" take the same
/// time and give the same answer.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("shequ-no-such-user").unwrap_or_default())
}

/// The one answer to every failed login: unknown user, wrong password or locked account look
/// the same from outside.
fn failed() -> StoreError {
    StoreError::Forbidden("用户名或密码不正确".into())
}

/// What a login needs from the account, read before the password is checked. Verifying an
/// argon2 hash takes tens of milliseconds of CPU: it runs outside any transaction (and, in the
/// server, outside the connection pool), so a flood of logins never holds the write lock that
/// a worker's save waits for.
pub struct LoginCandidate {
    username: String,
    /// None: no such user (the dummy hash is verified instead).
    id: Option<i64>,
    hash: String,
}

impl LoginCandidate {
    /// Checks the password (slow by design). Call it without a database transaction open.
    pub fn verify(&self, password: &str) -> bool {
        verify(password, &self.hash) && self.id.is_some()
    }
}

/// Reads the account a login names (a plain read, no transaction).
pub fn login_candidate(conn: &mut Conn, username: &str) -> StoreResult<LoginCandidate> {
    let row = conn.query_opt(
        "SELECT id, password_hash FROM users WHERE username = ?",
        params![username.trim()],
    )?;
    Ok(match row {
        Some(r) => LoginCandidate {
            username: username.trim().to_string(),
            id: Some(r.get(0)?),
            hash: r.get(1)?,
        },
        None => LoginCandidate {
            username: username.trim().to_string(),
            id: None,
            hash: dummy_hash().to_string(),
        },
    })
}

/// Settles a checked login in one short write transaction: the lock and the active flag as
/// they are now, the failure count (incremented in SQL, so parallel attempts all count), the
/// session and the audit row. Every failure answers the same.
pub fn finish_login(
    conn: &mut Conn,
    candidate: &LoginCandidate,
    password_ok: bool,
    policy: LoginPolicy,
) -> StoreResult<(Session, Actor)> {
    let username = candidate.username.as_str();
    conn.transaction(|c| {
        let outcome = match candidate.id {
            None => Err("用户不存在"),
            Some(id) => settle(c, id, password_ok, policy)?,
        };
        match outcome {
            Ok(id) => {
                let session = start_session(c, id)?;
                let actor = Actor::load(c, id)?;
                audit::record(
                    c,
                    By::Actor(&actor),
                    Event::ok("login", format!("user:{id}")),
                )?;
                Ok::<_, StoreError>(Ok((session, actor)))
            }
            Err(why) => {
                let action = if why == LOCKED_NOW {
                    "lockout"
                } else {
                    "login"
                };
                let event = Event {
                    action,
                    target: None,
                    outcome: "失败",
                    detail: Some(serde_json::json!({ "原因": why })),
                };
                audit::record(c, By::Name(username), event)?;
                Ok(Err(failed()))
            }
        }
    })?
}

/// The account's state decides a verified password; a wrong one is counted, and reaching
/// `policy.attempts` locks the account for `lock_minutes`.
fn settle(
    conn: &mut Conn,
    id: i64,
    password_ok: bool,
    policy: LoginPolicy,
) -> StoreResult<Result<i64, &'static str>> {
    let Some(r) = conn.query_opt(
        "SELECT active, locked_until FROM users WHERE id = ?",
        params![id],
    )?
    else {
        return Ok(Err("用户不存在"));
    };
    let locked_until: Option<String> = r.get(1)?;
    let locked = locked_until
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .is_some_and(|t| t.with_timezone(&Utc) > shequ_domain::clock::now_utc());
    if locked {
        return Ok(Err("账号锁定中"));
    }
    if !r.get::<bool>(0)? {
        return Ok(Err("账号已停用"));
    }
    if password_ok {
        conn.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?",
            params![id],
        )?;
        return Ok(Ok(id));
    }
    conn.execute(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?",
        params![id],
    )?;
    let failures: i64 = conn.scalar("SELECT failed_logins FROM users WHERE id = ?", params![id])?;
    if failures >= policy.attempts {
        let until = (shequ_domain::clock::now_utc() + Duration::minutes(policy.lock_minutes))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        conn.execute(
            "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?",
            params![until, id],
        )?;
        Ok(Err(LOCKED_NOW))
    } else {
        Ok(Err("密码错误"))
    }
}

const LOCKED_NOW: &str = "密码错误，账号已锁定";

pub struct Session {
    pub token: String,
    pub csrf: String,
}

pub(crate) fn digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    shequ_text::hex(&Sha256::digest(token.as_bytes()))
}

pub fn start_session(conn: &mut Conn, user_id: i64) -> StoreResult<Session> {
    let token = random_token(32)?;
    let csrf = random_token(16)?;
    let ts = now();
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        params![digest(&token), user_id, csrf.as_str(), ts.as_str(), ts.as_str()],
    )?;
    Ok(Session { token, csrf })
}

/// Ends a session found idle too long (`Resumed::Expired`).
pub fn end_idle_session(conn: &mut Conn, token: &str) -> StoreResult<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ?",
        params![digest(token).as_str()],
    )?;
    Ok(())
}

/// Moves a session's last-seen time on (`Resumed::DueTouch`).
pub fn touch_session(conn: &mut Conn, token: &str) -> StoreResult<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
        params![now(), digest(token).as_str()],
    )?;
    Ok(())
}

/// What reading a session found, before anything is written.
pub enum Resumed {
    /// The answer, with nothing to write: a live session seen within the last minute, or no
    /// such session.
    Found(Option<(Actor, String)>),
    /// Idle too long: the session is to be deleted.
    Expired,
    /// Alive, and its last-seen time is to be moved on (at most once a minute: a page view
    /// shouldn't be a write).
    DueTouch((Actor, String)),
}

/// The user behind a session token, if the session is still alive (idle timeout), with its
/// CSRF token: the session and the user's row in one query, then the scope. Every request
/// that is not public starts here, so it reads as little as it can, and writes nothing: the
/// server answers most requests from it on the thread that received them and leaves the rare
/// write (`touch_session`, `end_idle_session`) to a database worker.
pub fn resume_without_writing(
    conn: &mut Conn,
    token: &str,
    idle: Duration,
) -> StoreResult<Resumed> {
    let Some(r) = conn.query_opt(
        "SELECT s.user_id, s.csrf_token, s.last_seen_at, s.mfa_at, u.username, u.display_name, u.role
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND u.active = 1",
        params![digest(token).as_str()],
    )?
    else {
        return Ok(Resumed::Found(None));
    };
    let last: String = r.get(2)?;
    let idle_for = DateTime::parse_from_rfc3339(&last)
        .ok()
        .map(|t| shequ_domain::clock::now_utc() - t.with_timezone(&Utc));
    if idle_for.is_none_or(|d| d >= idle) {
        return Ok(Resumed::Expired);
    }
    let mfa: Option<String> = r.get(3)?;
    let role: String = r.get(6)?;
    let mut actor = Actor::with_scope(conn, r.get(0)?, r.get(4)?, r.get(5)?, &role)?;
    actor.mfa = mfa.is_some();
    let found = (actor, r.get(1)?);
    if idle_for.is_some_and(|d| d > Duration::seconds(60)) {
        Ok(Resumed::DueTouch(found))
    } else {
        Ok(Resumed::Found(Some(found)))
    }
}

/// Checks a login and starts a session; every outcome is audited, a lockout as its own action.
/// The password is verified between a plain read and a short write transaction, never inside
/// one (the server does the same in three steps, see `shequ_web::auth::login`).
pub fn login(
    conn: &mut Conn,
    username: &str,
    password: &str,
    policy: LoginPolicy,
) -> StoreResult<(Session, Actor)> {
    let candidate = login_candidate(conn, username)?;
    let ok = candidate.verify(password);
    finish_login(conn, &candidate, ok, policy)
}

/// Turns a login off (or on again). Turning it off ends every session it has.
pub fn set_active(conn: &mut Conn, username: &str, active: bool) -> StoreResult<()> {
    conn.transaction(|c| {
        let id: i64 = crate::access::scope::id_by_username(c, username)?;
        c.execute(
            "UPDATE users SET active = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?",
            params![active, now(), id],
        )?;
        if !active {
            c.execute("DELETE FROM sessions WHERE user_id = ?", params![id])?;
        }
        let action = if active { "user.enable" } else { "user.disable" };
        audit::record(c, By::System, Event::ok(action, format!("user:{id}")))
    })
}

/// Ends the session for good (the token no longer resolves), and audits it.
pub fn logout(conn: &mut Conn, actor: &Actor, token: &str) -> StoreResult<()> {
    conn.transaction(|c| {
        c.execute(
            "DELETE FROM sessions WHERE token_hash = ?",
            params![digest(token)],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("logout", format!("user:{}", actor.user_id)),
        )
    })
}

pub fn count(conn: &mut Conn) -> StoreResult<i64> {
    Ok(conn.scalar("SELECT count(*) FROM users", params![])?)
}

/// Lets a street or district user open the personal data under `node_id`, for a stated reason.
/// The node must lie inside the user's own area; the grant is audited.
pub fn grant_people(
    conn: &mut Conn,
    username: &str,
    node_id: i64,
    reason: &str,
) -> StoreResult<i64> {
    let reason = reason.trim();
    if reason.chars().count() < 4 {
        return Err(StoreError::invalid(
            "授权理由",
            "请写明授权理由（至少 4 个字），例如“街道低保复核，2026 年第四季度”",
        ));
    }
    conn.transaction(|c| {
        let row = c
            .query_opt("SELECT id, role FROM users WHERE username = ?", params![username.trim()])?
            .ok_or_else(|| StoreError::NotFound(format!("用户“{}”", username.trim())))?;
        let (user_id, role): (i64, String) = (row.get(0)?, row.get(1)?);
        if !Role::parse(&role).is_some_and(|r| r.may_be_granted_people()) {
            return Err(StoreError::invalid(
                "用户",
                "只有街道工作人员和区级管理员需要单独授权；社区角色本来就能查看辖区人员",
            ));
        }
        let path: String = c
            .query_opt("SELECT path FROM org_nodes WHERE id = ?", params![node_id])?
            .ok_or_else(|| StoreError::NotFound(format!("节点 {node_id}")))?
            .get(0)?;
        let inside = c.scalar(
            "SELECT count(*) FROM user_scopes s JOIN org_nodes n ON n.id = s.node_id
             WHERE s.user_id = ? AND substr(?, 1, length(n.path)) = n.path",
            params![user_id, path.as_str()],
        )?;
        if inside == 0 {
            return Err(StoreError::invalid("节点", "只能在该用户自己的辖区内授权"));
        }
        let id = c.insert(
            "INSERT INTO data_grants (user_id, node_id, reason, granted_at) VALUES (?, ?, ?, ?) RETURNING id",
            params![user_id, node_id, reason, now()],
        )?;
        audit::record(
            c,
            By::System,
            Event::ok("grant.people", format!("user:{user_id}"))
                .with(serde_json::json!({ "节点": node_id, "理由": reason })),
        )?;
        Ok(id)
    })
}

/// Ends every open grant of a user under `node_id` (dated, never deleted).
pub fn revoke_people(conn: &mut Conn, username: &str, node_id: i64) -> StoreResult<usize> {
    conn.transaction(|c| {
        let user_id: i64 = crate::access::scope::id_by_username(c, username)?;
        let n = c.execute(
            "UPDATE data_grants SET revoked_at = ? WHERE user_id = ? AND node_id = ? AND revoked_at IS NULL",
            params![now(), user_id, node_id],
        )?;
        audit::record(
            c,
            By::System,
            Event::ok("grant.revoke", format!("user:{user_id}"))
                .with(serde_json::json!({ "节点": node_id, "撤销条数": n })),
        )?;
        Ok(n as usize)
    })
}
