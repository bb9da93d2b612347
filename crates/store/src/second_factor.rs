//! The second factor (TOTP, RFC 6238). A user binds an authenticator app once (the secret is
//! sealed like an ID number); afterwards a session that passes a code may reveal and export
//! personal data. A code is accepted once: the last accepted time step is stored and anything
//! at or before it is refused as a replay, even from another session.

use shequ_domain::totp::{self, TotpSecret};

use crate::audit::{self, By, Event};
use crate::clock::now;
use crate::db::Conn;
use crate::error::{StoreError, StoreResult};
use crate::params;
use crate::scope::Actor;
use crate::sealed::{Field, sealer};
use crate::users::digest;

pub const ISSUER: &str = "社区工作台";

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

/// A new secret for the user's authenticator, kept pending until `confirm`. Refused once a
/// secret is enabled: replacing it is the security administrator's `reset`.
pub fn begin(conn: &mut Conn, actor: &Actor) -> StoreResult<TotpSecret> {
    let mut bytes = [0u8; totp::SECRET_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Conflict(format!("系统随机数不可用：{e}")))?;
    let secret = TotpSecret::from_bytes(&bytes).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let sealed = sealer()?.seal(Field::TotpSecret, &secret.to_base32())?;
    conn.transaction(|c| {
        if status(c, actor.user_id)? == Status::Enabled {
            return Err(StoreError::Conflict(
                "您已绑定动态验证码；如需更换手机，请联系安全管理员重置".into(),
            ));
        }
        c.execute(
            "UPDATE users SET totp_secret = ?, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?",
            params![sealed, now(), actor.user_id],
        )?;
        audit::record(
            c,
            By::Actor(actor),
            Event::ok("totp.begin", format!("user:{}", actor.user_id)),
        )
    })?;
    Ok(secret)
}

/// The otpauth URI for the QR code of a pending or enabled secret.
pub fn uri(secret: &TotpSecret, username: &str) -> String {
    totp::otpauth_uri(secret, ISSUER, username)
}

/// Checks a code for the user, refuses replays, and marks the session (`token`) as having
/// passed the second factor. Confirms a pending secret on its first good code. Every attempt
/// is audited.
pub fn verify(conn: &mut Conn, actor: &Actor, token: &str, code: &str) -> StoreResult<()> {
    let outcome = conn.transaction(|c| {
        let r = c
            .query_opt(
                "SELECT totp_secret, totp_last_step, totp_confirmed_at FROM users WHERE id = ?",
                params![actor.user_id],
            )?
            .ok_or_else(|| StoreError::NotFound("用户".into()))?;
        let Some(sealed) = r.get::<Option<String>>(0)? else {
            return Err(StoreError::Conflict(
                "您还没有绑定动态验证码：请在“我的账号”页面用手机验证器扫码绑定".into(),
            ));
        };
        let last: Option<i64> = r.get(1)?;
        let confirmed: Option<String> = r.get(2)?;
        let secret = TotpSecret::from_base32(&sealer()?.open(Field::TotpSecret, &sealed)?)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let unix = chrono::Utc::now().timestamp().max(0) as u64;
        match totp::verify(&secret, code, unix, last.map(|l| l.max(0) as u64)) {
            Ok(step) => {
                let step = step as i64;
                // Conditional on the step: two sessions racing with one code can't both win.
                let n = c.execute(
                    "UPDATE users SET totp_last_step = ?, totp_confirmed_at = COALESCE(totp_confirmed_at, ?)
                     WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
                    params![step, now(), actor.user_id, step],
                )?;
                if n == 0 {
                    return Ok(Err("该动态验证码已使用过，请等待下一个验证码".to_string()));
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
            Err(e) => Ok(Err(e.to_string())),
        }
    })?;
    match outcome {
        Ok(()) => Ok(()),
        Err(message) => {
            audit::record_alone(
                conn,
                By::Actor(actor),
                Event {
                    action: "totp.verify",
                    target: Some(format!("user:{}", actor.user_id)),
                    outcome: "失败",
                    detail: None,
                },
            )?;
            Err(StoreError::invalid("动态验证码", message))
        }
    }
}

/// The security administrator's reset (lost phone): the secret is removed and every session
/// of the user ends.
pub fn reset(conn: &mut Conn, username: &str) -> StoreResult<()> {
    conn.transaction(|c| {
        let id: i64 = crate::users::id_by_username(c, username)?;
        c.execute(
            "UPDATE users SET totp_secret = NULL, totp_confirmed_at = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?",
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
