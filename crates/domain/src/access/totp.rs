//! 动态验证码: the second login factor, TOTP per RFC 6238.
//!
//! Fixed to HMAC-SHA1, a 30-second step and 6 digits, because that is the
//! only combination every authenticator app (腾讯身份验证器, Google
//! Authenticator, Microsoft Authenticator …) implements; the otpauth
//! parameters for anything else are silently ignored by several of them.
//!
//! Like the rest of the crate this module does no IO and draws no random
//! numbers: callers generate the secret ([`SECRET_BYTES`] random bytes) and
//! pass in the current Unix time, which also keeps every function testable
//! against the RFC vectors.

use std::fmt;

use hmac::{Hmac, Mac};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use sha1::Sha1;

use crate::text::{is_blank, to_halfwidth};

/// Length of one time step (RFC 6238 `X`), in seconds.
pub const STEP_SECONDS: u64 = 30;

/// Number of digits of a code as shown by the authenticator app.
pub const DIGITS: u32 = 6;

/// RFC 4226 section 4 requires at least 128 bits of shared secret.
pub const MIN_SECRET_BYTES: usize = 16;

/// What callers should generate: RFC 4226 recommends 160 bits, the output
/// size of SHA-1, and it is what authenticator apps expect to be scanning.
pub const SECRET_BYTES: usize = 20;

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

type HmacSha1 = Hmac<Sha1>;

/// Why a secret, a code or a QR code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    #[error(
        "动态验证密钥太短：至少需要 {MIN_SECRET_BYTES} 字节，当前只有 {len} 字节，请重新生成密钥"
    )]
    SecretTooShort { len: usize },
    #[error(
        "动态验证密钥格式不对：含有无效字符“{ch}”，密钥只能包含字母 A–Z 和数字 2–7，请核对后重新粘贴"
    )]
    SecretCharacter { ch: char },
    #[error("动态验证密钥格式不对：长度不完整，像是少复制了几位，请完整复制密钥后重新粘贴")]
    SecretLength,
    #[error("动态验证码应为 6 位数字，请输入验证器上显示的 6 位数字")]
    CodeFormat,
    #[error("动态验证码不正确或已过期，请查看验证器上的新验证码")]
    CodeMismatch,
    #[error("该动态验证码已使用过，请等待下一个验证码")]
    CodeReplayed,
    #[error("二维码内容过长，无法生成二维码，请缩短签发方或账号名称")]
    QrTooLong,
}

impl TotpError {
    /// Stable machine-readable code, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            TotpError::SecretTooShort { .. } => "secret_short",
            TotpError::SecretCharacter { .. } => "secret_character",
            TotpError::SecretLength => "secret_length",
            TotpError::CodeFormat => "code_format",
            TotpError::CodeMismatch => "code_mismatch",
            TotpError::CodeReplayed => "code_replayed",
            TotpError::QrTooLong => "qr_too_long",
        }
    }
}

/// The shared secret between the server and one user's authenticator app.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

// Hand-written so that a secret logged by accident (tracing, error chains)
// does not hand out the second factor.
impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpSecret")
            .field("len", &self.0.len())
            .finish_non_exhaustive()
    }
}

impl TotpSecret {
    pub fn from_bytes(b: &[u8]) -> Result<TotpSecret, TotpError> {
        if b.len() < MIN_SECRET_BYTES {
            return Err(TotpError::SecretTooShort { len: b.len() });
        }
        Ok(TotpSecret(b.to_vec()))
    }

    /// RFC 4648 base32 as shown under the QR code. Staff copy it from
    /// phones and chat apps, so case, spaces (authenticators group the
    /// secret in fours), full-width forms and `=` padding are all accepted.
    pub fn from_base32(s: &str) -> Result<TotpSecret, TotpError> {
        TotpSecret::from_bytes(&decode_base32(s)?)
    }

    /// Upper case without padding, the form authenticator apps display and
    /// the otpauth URI expects.
    pub fn to_base32(&self) -> String {
        let mut out = String::with_capacity(self.0.len().div_ceil(5) * 8);
        let mut buffer: u32 = 0;
        let mut bits: u32 = 0;
        for &byte in &self.0 {
            buffer = (buffer << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(base32_char(buffer >> bits));
            }
        }
        if bits > 0 {
            out.push(base32_char(buffer << (5 - bits)));
        }
        out
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

fn decode_base32(s: &str) -> Result<Vec<u8>, TotpError> {
    let cleaned: String = s
        .chars()
        .map(to_halfwidth)
        .filter(|c| !is_blank(*c))
        .collect();
    let unpadded = cleaned.trim_end_matches('=');
    let mut bytes = Vec::with_capacity(unpadded.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits: u32 = 0;
    for ch in unpadded.chars() {
        let value = base32_value(ch).ok_or(TotpError::SecretCharacter { ch })?;
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push(((buffer >> bits) & 0xFF) as u8);
        }
    }
    // 1, 3 or 6 characters past a full 8-character group cannot encode a
    // whole number of bytes, so the input was cut short when copied.
    if matches!(unpadded.len() % 8, 1 | 3 | 6) {
        return Err(TotpError::SecretLength);
    }
    Ok(bytes)
}

fn base32_value(c: char) -> Option<u8> {
    match c.to_ascii_uppercase() {
        c @ 'A'..='Z' => Some(c as u8 - b'A'),
        c @ '2'..='7' => Some(c as u8 - b'2' + 26),
        _ => None,
    }
}

fn base32_char(five_bits: u32) -> char {
    char::from(BASE32_ALPHABET[(five_bits & 0x1F) as usize])
}

/// The time step (RFC 6238 `T`, with `T0` = 0) that contains `unix_secs`.
pub fn step_at(unix_secs: u64) -> u64 {
    unix_secs / STEP_SECONDS
}

/// The 6-digit code an authenticator app shows at `unix_secs`.
pub fn code_at(secret: &TotpSecret, unix_secs: u64) -> String {
    code_for_step(secret, step_at(unix_secs), DIGITS)
}

/// HOTP (RFC 4226) with the step as counter. `digits` is clamped to 1..=10
/// because dynamic truncation yields a 31-bit number, which has at most ten
/// decimal digits.
pub fn code_for_step(secret: &TotpSecret, step: u64, digits: u32) -> String {
    let digits = digits.clamp(1, 10);
    let mac = hmac_sha1(secret.as_bytes(), &step.to_be_bytes());
    let offset = usize::from(mac[19] & 0x0F);
    let binary = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7FFF_FFFF;
    let value = u64::from(binary) % 10u64.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    // HMAC hashes over-long keys and pads short ones, so every key length is
    // valid; the Result only exists because KeyInit is shared with MACs that
    // take fixed-size keys.
    let Ok(mut mac) = HmacSha1::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Checks a code typed by a user at time `now_unix`, accepting the previous,
/// current and next step (clock drift). `last_step` is the step of the last
/// code accepted for this user: any step <= it is refused as a replay.
/// Returns the step that matched, which the caller stores as the new
/// `last_step`.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now_unix: u64,
    last_step: Option<u64>,
) -> Result<u64, TotpError> {
    let typed = normalize_code(code)?;
    let current = step_at(now_unix);
    let candidates = [
        current.checked_sub(1),
        Some(current),
        current.checked_add(1),
    ];
    // Every candidate is computed and compared in full, whether or not an
    // earlier one matched, so the response time does not tell an attacker
    // which digits or which step were right.
    let mut matched = [None; 3];
    for (slot, step) in matched.iter_mut().zip(candidates) {
        if let Some(step) = step {
            let expected = code_for_step(secret, step, DIGITS);
            if constant_time_eq(expected.as_bytes(), typed.as_bytes()) {
                *slot = Some(step);
            }
        }
    }
    let is_fresh = |step: &u64| last_step.is_none_or(|last| *step > last);
    // The earliest fresh step is taken so that the stored last_step stays as
    // low as possible and the user's next code is not refused needlessly.
    if let Some(step) = matched.iter().flatten().copied().find(is_fresh) {
        return Ok(step);
    }
    if matched.iter().flatten().next().is_some() {
        return Err(TotpError::CodeReplayed);
    }
    Err(TotpError::CodeMismatch)
}

/// Folds full-width digits (Chinese input methods) and drops the spaces
/// that apps insert for readability ("123 456").
fn normalize_code(code: &str) -> Result<String, TotpError> {
    let typed: String = code
        .chars()
        .map(to_halfwidth)
        .filter(|c| !is_blank(*c))
        .collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::CodeFormat);
    }
    Ok(typed)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The Key URI that authenticator apps scan:
/// `otpauth://totp/{issuer}:{account}?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
/// Issuer and account are percent-encoded as UTF-8; the issuer appears in
/// the query as well because some apps only read it from there.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret.to_base32(),
    )
}

/// Encodes everything outside RFC 3986 "unreserved", which also covers the
/// `:` that would otherwise split an issuer or account in the label.
fn percent_encode(s: &str) -> String {
    shequ_text::percent_encode(s, b"")
}

/// `data` (normally the otpauth URI) as a QR code in an inline SVG element,
/// black modules on white with the standard quiet zone, at least 200 px
/// wide so that phone cameras focus on it from a screen.
pub fn qr_svg(data: &str) -> Result<String, TotpError> {
    // Level M is what the QR code spec recommends for screens, and keeps the
    // otpauth URI (about 150 bytes) at a version phones read easily.
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|_| TotpError::QrTooLong)?;
    let mut image = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // The renderer emits a standalone document; an XML declaration in the
    // middle of an HTML page is invalid, so only the <svg> element is kept.
    if let Some(start) = image.find("<svg") {
        image.drain(..start);
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap()
    }

    #[test]
    fn rfc6238_sha1_vectors() {
        let secret = rfc_secret();
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, expected) in vectors {
            assert_eq!(
                code_for_step(&secret, time / STEP_SECONDS, 8),
                expected,
                "time {time}"
            );
        }
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        let secret = rfc_secret();
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(code_for_step(&secret, counter as u64, 6), *code);
        }
    }

    #[test]
    fn code_at_is_six_digit_zero_padded() {
        let secret = rfc_secret();
        // 1111111109 is step 37037036, whose 8-digit code 07081804 keeps a
        // leading zero when cut to 6 digits.
        assert_eq!(code_at(&secret, 1_111_111_109), "081804");
        assert_eq!(code_at(&secret, 59), "287082");
        assert_eq!(code_at(&secret, 59).len(), DIGITS as usize);
    }

    #[test]
    fn base32_rfc4648_vectors() {
        let vectors = [
            ("", "", ""),
            ("f", "MY======", "MY"),
            ("fo", "MZXQ====", "MZXQ"),
            ("foo", "MZXW6===", "MZXW6"),
            ("foob", "MZXW6YQ=", "MZXW6YQ"),
            ("fooba", "MZXW6YTB", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======", "MZXW6YTBOI"),
        ];
        for (plain, padded, unpadded) in vectors {
            // The RFC inputs are shorter than any acceptable secret, so the
            // codec is exercised below the length check.
            assert_eq!(TotpSecret(plain.as_bytes().to_vec()).to_base32(), unpadded);
            assert_eq!(decode_base32(padded).unwrap(), plain.as_bytes(), "{padded}");
            assert_eq!(
                decode_base32(unpadded).unwrap(),
                plain.as_bytes(),
                "{unpadded}"
            );
        }
    }

    #[test]
    fn base32_padding_accepted() {
        // 16 bytes: "foobar" x2 + "food" encodes to 26 characters, padded to 32.
        let plain = b"foobarfoobarfood";
        let encoded = TotpSecret::from_bytes(plain).unwrap().to_base32();
        assert_eq!(encoded, "MZXW6YTBOJTG633CMFZGM33PMQ");
        let padded = format!("{encoded}======");
        assert_eq!(TotpSecret::from_base32(&padded).unwrap().as_bytes(), plain);
    }

    #[test]
    fn base32_round_trip() {
        let bytes: Vec<u8> = (0u8..=255).step_by(7).collect();
        for len in MIN_SECRET_BYTES..bytes.len() {
            let secret = TotpSecret::from_bytes(&bytes[..len]).unwrap();
            let encoded = secret.to_base32();
            assert!(!encoded.contains('='));
            assert_eq!(encoded, encoded.to_ascii_uppercase());
            assert_eq!(TotpSecret::from_base32(&encoded).unwrap(), secret);
        }
    }

    #[test]
    fn base32_lower_case_spaces_and_fullwidth_accepted() {
        let secret = rfc_secret();
        assert_eq!(secret.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        for typed in [
            "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
            " GEZDGNBVGY3TQOJQ\tGEZDGNBVGY3TQOJQ\n",
            "ＧＥＺＤ\u{3000}ＧＮＢＶGY3TQOJQGEZDGNBVGY3TQOJQ",
        ] {
            assert_eq!(TotpSecret::from_base32(typed).unwrap(), secret, "{typed:?}");
        }
    }

    #[test]
    fn base32_invalid_input_rejected() {
        // 0, 1, 8 and 9 are not in the alphabet, precisely because they are
        // confused with O, I and B.
        for (typed, ch) in [
            ("GEZDGNBVGY3TQOJ0GEZDGNBVGY3TQOJQ", '0'),
            ("GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", '1'),
            ("GEZDGNBVGY3TQOJQ-GEZDGNBVGY3TQOJQ", '-'),
            ("GEZDGNBVGY3T=QOJQGEZDGNBVGY3TQOJQ", '='),
        ] {
            assert_eq!(
                TotpSecret::from_base32(typed),
                Err(TotpError::SecretCharacter { ch }),
                "{typed:?}"
            );
        }
        assert_eq!(
            TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQG"),
            Err(TotpError::SecretLength)
        );
        assert_eq!(
            TotpSecret::from_base32("MZXW6YTBOI"),
            Err(TotpError::SecretTooShort { len: 6 })
        );
        assert_eq!(
            TotpSecret::from_base32(""),
            Err(TotpError::SecretTooShort { len: 0 })
        );
    }

    #[test]
    fn from_bytes_requires_sixteen() {
        assert_eq!(
            TotpSecret::from_bytes(&[7; 15]),
            Err(TotpError::SecretTooShort { len: 15 })
        );
        assert_eq!(
            TotpSecret::from_bytes(&[7; 16]).unwrap().as_bytes(),
            &[7; 16]
        );
    }

    #[test]
    fn debug_hides_secret() {
        let secret = TotpSecret::from_bytes(&[0xAB; 20]).unwrap();
        let shown = format!("{secret:?}");
        assert!(shown.contains("len: 20"), "{shown}");
        assert!(!shown.contains("171"), "{shown}");
        assert!(!shown.contains("AB") && !shown.contains("ab"), "{shown}");
        assert!(!shown.contains(&secret.to_base32()), "{shown}");
    }

    #[test]
    fn hmac_handles_long_keys() {
        // Longer than the SHA-1 block, which takes HMAC's key-hashing path.
        let secret = TotpSecret::from_bytes(&[0x5A; 100]).unwrap();
        let expected = {
            let mut mac = HmacSha1::new_from_slice(&[0x5A; 100]).unwrap();
            mac.update(&1u64.to_be_bytes());
            let out: [u8; 20] = mac.finalize().into_bytes().into();
            out
        };
        assert_eq!(hmac_sha1(secret.as_bytes(), &1u64.to_be_bytes()), expected);
        assert_eq!(code_for_step(&secret, 1, 6).len(), 6);
    }

    const NOW: u64 = 1_700_000_015;

    fn code_at_step(secret: &TotpSecret, step: u64) -> String {
        code_for_step(secret, step, DIGITS)
    }

    #[test]
    fn verify_accepts_drift_of_one_step() {
        let secret = rfc_secret();
        let now_step = step_at(NOW);
        for step in [now_step - 1, now_step, now_step + 1] {
            let code = code_at_step(&secret, step);
            assert_eq!(verify(&secret, &code, NOW, None), Ok(step), "step {step}");
            assert_eq!(verify(&secret, &code, NOW, Some(now_step - 2)), Ok(step));
        }
        assert_eq!(
            verify(&secret, &code_at(&secret, NOW), NOW, None),
            Ok(now_step)
        );
    }

    #[test]
    fn verify_rejects_two_steps_off() {
        let secret = rfc_secret();
        let now_step = step_at(NOW);
        for step in [now_step - 2, now_step + 2] {
            let code = code_at_step(&secret, step);
            // Guard against a coincidental equality with an accepted step.
            assert!((now_step - 1..=now_step + 1).all(|s| code_at_step(&secret, s) != code));
            assert_eq!(
                verify(&secret, &code, NOW, None),
                Err(TotpError::CodeMismatch)
            );
        }
    }

    #[test]
    fn verify_refuses_replay() {
        let secret = rfc_secret();
        let code = code_at(&secret, NOW);
        let accepted = verify(&secret, &code, NOW, None).unwrap();
        assert_eq!(
            verify(&secret, &code, NOW + 5, Some(accepted)),
            Err(TotpError::CodeReplayed)
        );
        // Still refused once the clock moves on and the step is "previous".
        assert_eq!(
            verify(&secret, &code, NOW + STEP_SECONDS, Some(accepted)),
            Err(TotpError::CodeReplayed)
        );
    }

    #[test]
    fn verify_refuses_older_step_after_newer() {
        let secret = rfc_secret();
        let now_step = step_at(NOW);
        let newer = code_at_step(&secret, now_step + 1);
        let accepted = verify(&secret, &newer, NOW, None).unwrap();
        assert_eq!(accepted, now_step + 1);
        for step in [now_step - 1, now_step] {
            let older = code_at_step(&secret, step);
            assert_eq!(
                verify(&secret, &older, NOW, Some(accepted)),
                Err(TotpError::CodeReplayed)
            );
        }
    }

    #[test]
    fn verify_accepts_fullwidth_and_spaces() {
        let secret = rfc_secret();
        let code = code_at(&secret, NOW);
        let fullwidth: String = code
            .chars()
            .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap())
            .collect();
        assert_eq!(verify(&secret, &fullwidth, NOW, None), Ok(step_at(NOW)));
        let spaced = format!(" {} {}\u{3000}", &code[..3], &code[3..]);
        assert_eq!(verify(&secret, &spaced, NOW, None), Ok(step_at(NOW)));
    }

    #[test]
    fn verify_rejects_malformed_codes() {
        let secret = rfc_secret();
        let code = code_at(&secret, NOW);
        for typed in [
            &code[..5],
            "12345a",
            "abcdef",
            "",
            "1234567",
            "12-456",
            "１２３４５",
        ] {
            assert_eq!(
                verify(&secret, typed, NOW, None),
                Err(TotpError::CodeFormat),
                "{typed:?}"
            );
        }
        assert!(TotpError::CodeFormat.to_string().contains("6 位数字"));
    }

    #[test]
    fn verify_at_time_zero_has_no_previous_step() {
        let secret = rfc_secret();
        assert_eq!(verify(&secret, &code_at(&secret, 0), 0, None), Ok(0));
        assert_eq!(verify(&secret, &code_at_step(&secret, 1), 0, None), Ok(1));
    }

    #[test]
    fn otpauth_uri_exact() {
        let uri = otpauth_uri(&rfc_secret(), "社区工作台", "wangge01");
        assert_eq!(
            uri,
            "otpauth://totp/%E7%A4%BE%E5%8C%BA%E5%B7%A5%E4%BD%9C%E5%8F%B0:wangge01\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=%E7%A4%BE%E5%8C%BA%E5%B7%A5%E4%BD%9C%E5%8F%B0\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn otpauth_uri_escapes_separators() {
        let uri = otpauth_uri(&rfc_secret(), "A:B", "张 三&x");
        assert!(
            uri.starts_with("otpauth://totp/A%3AB:%E5%BC%A0%20%E4%B8%89%26x?"),
            "{uri}"
        );
        assert!(uri.contains("&issuer=A%3AB&"), "{uri}");
    }

    #[test]
    fn qr_svg_is_inline_svg() {
        let uri = otpauth_uri(&rfc_secret(), "社区工作台", "wangge01");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(!svg.contains("<?xml"));
        assert!(svg.ends_with("</svg>"));
        // Dark modules are drawn as subpaths of one black path.
        let path_start = svg.find(r##"<path fill="#000000" d="M"##).unwrap();
        assert!(svg[path_start..].contains('h'));
        assert!(svg.contains(r##"fill="#ffffff""##));
        let width: u32 = svg
            .split(r#"width=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|w| w.parse().ok())
            .unwrap();
        assert!(width >= 200, "width {width}");
    }

    #[test]
    fn qr_svg_rejects_oversized_data() {
        assert_eq!(qr_svg(&"x".repeat(5000)), Err(TotpError::QrTooLong));
    }

    #[test]
    fn error_codes_are_distinct() {
        let errors = [
            TotpError::SecretTooShort { len: 0 },
            TotpError::SecretCharacter { ch: '0' },
            TotpError::SecretLength,
            TotpError::CodeFormat,
            TotpError::CodeMismatch,
            TotpError::CodeReplayed,
            TotpError::QrTooLong,
        ];
        let mut codes: Vec<_> = errors.iter().map(TotpError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert_ne!(
            TotpError::CodeMismatch.to_string(),
            TotpError::CodeReplayed.to_string()
        );
    }
}
