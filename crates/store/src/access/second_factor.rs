//! The second factor (TOTP, RFC 6238). A user binds an authenticator app once (the secret is
//! sealed like an ID number); afterwards a session that passes a code may reveal and export
//! personal data. A code is accepted once: the last accepted time step is stored and anything
//! at or before it is refused as a replay, even from another session.
//!
//! Guessing is bounded: wrong (or replayed) codes are counted in the database, so the count
//! holds across requests, sessions and servers; [`MAX_FAILURES`] in a row lock the second
//! factor for [`LOCK_MINUTES`]. A wrong and a replayed code get one message, so a guess that
//! hit a used code tells nothing.
//!
//! Who may bind a first authenticator: not whoever holds the password. The security
//! administrator issues a one-time binding code (`shequ user bind-code`, also printed by
//! `user reset-totp`), handed over in person or by phone; it is valid for
//! [`BIND_CODE_HOURS`] hours, checked when the QR code is made and spent when the first
//! code confirms the binding. A stolen password alone therefore never yields the second
//! factor.

use shequ_domain::access::totp::{self, TotpSecret};

use crate::access::audit::{self, By, Event};
use crate::access::scope::Actor;
use crate::access::sealed::{Field, sealer};
use crate::access::users::digest;
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;

pub const ISSUER: &str = "社区工作台";

/// Wrong codes in a row before the second factor locks.
pub const MAX_FAILURES: i64 = 5;
/// How long it stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// How long a binding code from the security administrator stays valid.
pub const BIND_CODE_HOURS: i64 = 72;

/// One answer to a wrong and to a replayed code.
const WRONG_CODE: &str = "动态验证码不正确或已使用过，请等验证器显示下一个验证码后再输入";
const WRONG_BIND_CODE: &str =
    "绑定码不正确或已过期：绑定码由安全管理员发放（12 位数字），请核对或向安全管理员索取新的绑定码";

fn bind_digest(code: &str) -> String {
    let digits: String = code
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .filter(char::is_ascii_digit)
        .collect();
    digest(&format!("bind:{digits}"))
}

/// The security administrator's one-time binding code for an account without an enabled
/// authenticator ("4821-0937-5560"). A new code replaces an earlier one; audited.
pub fn issue_binding_code(conn: &mut Conn, username: &str) -> StoreResult<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Conflict(format!("系统随机数不可用：{e}")))?;
    let n = u64::from_be_bytes(bytes) % 1_000_000_000_000;
    let code = format!(
        "{:04}-{:04}-{:04}",
        n / 100_000_000,
        n / 10_000 % 10_000,
        n % 10_000
    );
    let expires = (shequ_domain::clock::now_utc() + chrono::Duration::hours(BIND_CODE_HOURS))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    conn.transaction(|c| {
        let id = crate::access::scope::id_by_username(c, username)?;
        if status(c, id)? == Status::Enabled {
            return Err(StoreError::Conflict(format!(
                "用户“{}”已绑定手机验证器；如需更换，请先执行 shequ user reset-totp",
                username.trim()
            )));
        }
        c.execute(
            "UPDATE users SET totp_bind_hash = ?, totp_bind_expires = ?, updated_at = ? WHERE id = ?",
            params![bind_digest(&code), expires.as_str(), now(), id],
        )?;
        audit::record(
            c,
            By::System,
            Event::ok("totp.bind_code", format!("user:{id}"))
                .with(serde_json::json!({ "有效期至": expires })),
        )
    })?;
    Ok(code)
}

/// The lock on the second factor, if it is locked now: minutes left.
fn locked_minutes(until: Option<String>) -> Option<i64> {
    let until = chrono::DateTime::parse_from_rfc3339(&until?).ok()?;
    let left = until.with_timezone(&chrono::Utc) - shequ_domain::clock::now_utc();
    (left > chrono::Duration::zero()).then(|| left.num_minutes() + 1)
}

fn locked_message(minutes: i64) -> String {
    format!(
        "动态验证码连续输错次数过多，已暂停验证，请 {minutes} 分钟后再试；如非本人操作，请立即联系安全管理员"
    )
}

/// Counts a wrong code (or binding code) in the caller's transaction and locks the second
/// factor at the limit. Returns whether this failure locked it.
fn count_failure(c: &mut Conn, user_id: i64) -> StoreResult<bool> {
    c.execute(
        "UPDATE users SET totp_failures = totp_failures + 1 WHERE id = ?",
        params![user_id],
    )?;
    let failures = c.scalar(
        "SELECT totp_failures FROM users WHERE id = ?",
        params![user_id],
    )?;
    if failures < MAX_FAILURES {
        return Ok(false);
    }
    let until = (shequ_domain::clock::now_utc() + chrono::Duration::minutes(LOCK_MINUTES))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    c.execute(
        "UPDATE users SET totp_failures = 0, totp_locked_until = ? WHERE id = ?",
        params![until, user_id],
    )?;
    Ok(true)
}

/// A refused attempt: counted, audited (a lockout as its own action), one message.
fn refuse(c: &mut Conn, actor: &Actor, message: &str) -> StoreResult<String> {
    let locked = count_failure(c, actor.user_id)?;
    audit::record(
        c,
        By::Actor(actor),
        Event {
            action: if locked {
                "totp.lockout"
            } else {
                "totp.verify"
            },
            target: Some(format!("user:{}", actor.user_id)),
            outcome: "失败",
            detail: None,
        },
    )?;
    Ok(if locked {
        locked_message(LOCK_MINUTES)
    } else {
        message.to_string()
    })
}

/// Where a user stands with the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    None,
    /// A secret was issued but no code has confirmed it yet.
    Pending,
    Enabled,
}

pub fn status(conn: &mut Conn, user_id: i64) -> StoreResult<Status> {
    let r = conn
        .query_opt(
            "SELECT totp_secret IS NOT NULL, totp_confirmed_at IS NOT NULL FROM users WHERE id = ?",
            params![user_id],
        )?
        .ok_or_else(|| StoreError::NotFound("用户".into()))?;
    Ok(match (r.get::<bool>(0)?, r.get::<bool>(1)?) {
        (_, true) => Status::Enabled,
        (true, false) => Status::Pending,
        (false, false) => Status::None,
    })
}

/// A new secret for the user's authenticator, kept pending until `confirm`. Needs the binding
/// code the security administrator issued (wrong codes count towards the lock, like wrong
/// TOTP codes). Refused once a secret is enabled: replacing it is the security
/// administrator's `reset`.
pub fn begin(conn: &mut Conn, actor: &Actor, binding_code: &str) -> StoreResult<TotpSecret> {
    let mut bytes = [0u8; totp::SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Conflict(format!("系统随机数不可用：{e}")))?;
    let secret = TotpSecret::from_bytes(&bytes).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let sealed = sealer()?.seal(Field::TotpSecret, &secret.to_base32())?;
    let refused = conn.transaction(|c| {
        if status(c, actor.user_id)? == Status::Enabled {
            return Err(StoreError::Conflict(
                "您已绑定动态验证码；如需更换手机，请联系安全管理员重置".into(),
            ));
        }
        let r = c.query_one(
            "SELECT totp_bind_hash, totp_bind_expires, totp_locked_until FROM users WHERE id = ?",
            params![actor.user_id],
        )?;
        if let Some(minutes) = locked_minutes(r.get(2)?) {
            return Ok(Some(locked_message(minutes)));
        }
        let stored: Option<String> = r.get(0)?;
        let expires: Option<String> = r.get(1)?;
        let fresh = expires
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .is_some_and(|t| t.with_timezone(&chrono::Utc) > shequ_domain::clock::now_utc());
        if binding_code.trim().is_empty() && stored.is_none() {
            return Ok(Some(
                "首次绑定手机验证器需要安全管理员发放的绑定码：请联系安全管理员当面或电话领取".into(),
            ));
        }
        if !fresh || stored.as_deref() != Some(bind_digest(binding_code).as_str()) {
            return refuse(c, actor, WRONG_BIND_CODE).map(Some);
        }
        c.execute(
            "UPDATE users SET totp_secret = ?, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?",
            params![sealed, now(), actor.user_id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("totp.begin", format!("user:{}", actor.user_id)),
        )?;
        Ok(None)
    })?;
    match refused {
        Some(message) => Err(StoreError::invalid("绑定码", message)),
        None => Ok(secret),
    }
}

/// The otpauth URI for the QR code of a pending or enabled secret.
pub fn uri(secret: &TotpSecret, username: &str) -> String {
    totp::otpauth_uri(secret, ISSUER, username)
}

/// Checks a code for the user, refuses replays, and marks the session (`token`) as having
/// passed the second factor. Confirms a pending secret on its first good code (spending the
/// binding code). Every attempt is audited; wrong and replayed codes count towards the lock.
pub fn verify(conn: &mut Conn, actor: &Actor, token: &str, code: &str) -> StoreResult<()> {
    let outcome = conn.transaction(|c| {
        let r = c
            .query_opt(
                "SELECT totp_secret, totp_last_step, totp_confirmed_at, totp_locked_until FROM users WHERE id = ?",
                params![actor.user_id],
            )?
            .ok_or_else(|| StoreError::NotFound("用户".into()))?;
        let Some(sealed) = r.get::<Option<String>>(0)? else {
            return Err(StoreError::Conflict(
                "您还没有绑定动态验证码：请在“我的账号”页面用手机验证器扫码绑定".into(),
            ));
        };
        if let Some(minutes) = locked_minutes(r.get(3)?) {
            return Ok(Err(locked_message(minutes)));
        }
        let last: Option<i64> = r.get(1)?;
        let confirmed: Option<String> = r.get(2)?;
        let secret = TotpSecret::from_base32(&sealer()?.open(Field::TotpSecret, &sealed)?)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let unix = shequ_domain::clock::now_utc().timestamp().max(0) as u64;
        match totp::verify(&secret, code, unix, last.map(|l| l.max(0) as u64)) {
            Ok(step) => {
                let step = step as i64;
                // Conditional on the step: two sessions racing with one code can't both win.
                let n = c.execute(
                    "UPDATE users SET totp_last_step = ?, totp_confirmed_at = COALESCE(totp_confirmed_at, ?),
                         totp_failures = 0, totp_bind_hash = NULL, totp_bind_expires = NULL
                     WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
                    params![step, now(), actor.user_id, step],
                )?;
                if n == 0 {
                    return refuse(c, actor, WRONG_CODE).map(Err);
                }
                c.execute(
                    "UPDATE sessions SET mfa_at = ? WHERE token_hash = ? AND user_id = ?",
                    params![now(), digest(token), actor.user_id],
                )?;
                let action = if confirmed.is_none() {
                    "totp.enable"
                } else {
                    "totp.verify"
                };
                audit::record(
                    c,
                    By::Actor(actor),
                    Event::ok(action, format!("user:{}", actor.user_id)),
                )?;
                Ok(Ok(()))
            }
            // Not six digits: a typing slip, not a guess.
            Err(e @ totp::TotpError::CodeFormat) => Ok(Err(e.to_string())),
            Err(_) => refuse(c, actor, WRONG_CODE).map(Err),
        }
    })?;
    outcome.map_err(|message| StoreError::invalid("动态验证码", message))
}

/// The security administrator's reset (lost phone): the secret is removed and every session
/// of the user ends.
pub fn reset(conn: &mut Conn, username: &str) -> StoreResult<()> {
    conn.transaction(|c| {
        let id: i64 = crate::access::scope::id_by_username(c, username)?;
        c.execute(
            "UPDATE users SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL,
                 totp_failures = 0, totp_locked_until = NULL, updated_at = ? WHERE id = ?",
            params![now(), id],
        )?;
        c.execute("DELETE FROM sessions WHERE user_id = ?", params![id])?;
        audit::record(c, By::System, Event::ok("totp.reset", format!("user:{id}")))
    })
}

/// Revealing and exporting need a session that passed the second factor.
pub fn require(actor: &Actor) -> StoreResult<()> {
    if actor.mfa {
        Ok(())
    } else {
        Err(StoreError::SecondFactor)
    }
}
