//! The key file's text: a header line, then one `key` line per version.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::Mac as _;
use zeroize::Zeroizing;

use crate::{INDEX_KEY_LEN, KeyVersion, Provider, Vault, VaultError};

const HEADER_WORD: &str = "shequ-key";
const FORMAT_VERSION: &str = "1";

/// Shown at the top of every key file, because whoever finds the file (or restores a backup)
/// needs to know what losing or leaking it means.
const WARNING: &str = "\
# 这是 shequ 的数据加密密钥。请与数据库分开备份；丢失后加密数据无法恢复。不要放在数据库同一备份里。
# 任何拿到本文件和数据库的人都能解密居民的身份证号和电话号码：请只让运行 shequ 的用户读取本文件。
# 每个 key 行依次是：版本号、算法、加密密钥（base64）、索引密钥（base64）。audit 行是审计日志哈希链的密钥（更换数据密钥时保持不变）。
# 版本号最大的一行用于加密新数据；旧版本用于解密旧数据，全部数据重新加密之前不要删除。
# 不要手工修改密钥：改动一个字符，用它加密的数据就再也无法解密。
";

impl Vault {
    /// Reads key file text (see [`Vault::to_text`] for the format).
    pub fn parse(text: &str) -> Result<Vault, VaultError> {
        parse_key_text(text, "密钥文件")
    }

    /// Key file text with a Chinese warning header, one `key` line per version, ascending.
    ///
    /// The text holds the keys in clear: keep it out of logs and wipe it after use.
    pub fn to_text(&self) -> String {
        let mut text = String::from(WARNING);
        text.push_str(HEADER_WORD);
        text.push(' ');
        text.push_str(FORMAT_VERSION);
        text.push('\n');
        for (version, key) in &self.keys {
            let enc = Zeroizing::new(STANDARD.encode(&key.enc_key[..]));
            let index = Zeroizing::new(STANDARD.encode(&key.index_key[..]));
            // Writing into a String cannot fail.
            let _ = writeln!(
                text,
                "key {version} {} {} {}",
                key.provider,
                enc.as_str(),
                index.as_str()
            );
        }
        let audit = Zeroizing::new(STANDARD.encode(&self.audit_key[..]));
        let _ = writeln!(text, "audit {}", audit.as_str());
        text
    }
}

/// `origin` names where the text came from, for the error message.
pub(crate) fn parse_key_text(text: &str, origin: &str) -> Result<Vault, VaultError> {
    let fail = |line: usize, reason: String| VaultError::KeyFileFormat {
        origin: origin.to_owned(),
        line,
        reason,
    };
    // Notepad on Windows starts UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut header_seen = false;
    let mut keys: BTreeMap<u32, (usize, KeyVersion)> = BTreeMap::new();
    let mut audit_key: Option<Zeroizing<[u8; INDEX_KEY_LEN]>> = None;
    let mut last_line = 0;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        last_line = line_no;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if !header_seen {
            match words.as_slice() {
                [HEADER_WORD, FORMAT_VERSION] => {
                    header_seen = true;
                    continue;
                }
                [HEADER_WORD, other] => {
                    return Err(fail(
                        line_no,
                        format!(
                            "：密钥文件格式版本{}不受支持，本程序只认识版本 {FORMAT_VERSION}（可能需要升级 shequ）",
                            shown(other)
                        ),
                    ));
                }
                _ => {
                    return Err(fail(
                        line_no,
                        format!("：缺少文件头，第一个非注释行应为“{HEADER_WORD} {FORMAT_VERSION}”"),
                    ));
                }
            }
        }
        if words.first() == Some(&"audit") {
            if audit_key.is_some() {
                return Err(fail(line_no, "：audit 行重复出现，只能有一行".to_owned()));
            }
            audit_key = Some(parse_audit_line(&words).map_err(|reason| fail(line_no, reason))?);
            continue;
        }
        let (version, key) = parse_key_line(&words).map_err(|reason| fail(line_no, reason))?;
        if let Some((first, _)) = keys.get(&version) {
            return Err(fail(
                line_no,
                format!("：第 {version} 版密钥重复出现（第 {first} 行已有这个版本）"),
            ));
        }
        keys.insert(version, (line_no, key));
    }

    if !header_seen {
        return Err(fail(
            last_line.max(1),
            format!("：文件里没有文件头“{HEADER_WORD} {FORMAT_VERSION}”，也没有任何密钥"),
        ));
    }
    if keys.is_empty() {
        return Err(fail(
            last_line,
            "：文件到此结束，但没有任何 key 行（至少需要一个密钥）".to_owned(),
        ));
    }
    let keys: BTreeMap<u32, KeyVersion> = keys.into_iter().map(|(v, (_, key))| (v, key)).collect();
    let audit_key = match audit_key {
        Some(k) => k,
        // A key file from before the audit key: derived from what it already holds, so the
        // same file (or the same SHEQU_KEY text) always gives the same audit key.
        None => {
            let mut derived = Zeroizing::new([0u8; INDEX_KEY_LEN]);
            if let Some((_, first)) = keys.first_key_value() {
                let mut mac = first.index_mac.clone();
                mac.update(b"shequ-audit-chain\0v1");
                derived.copy_from_slice(&mac.finalize().into_bytes());
            }
            derived
        }
    };
    Ok(Vault { keys, audit_key })
}

fn parse_audit_line(words: &[&str]) -> Result<Zeroizing<[u8; INDEX_KEY_LEN]>, String> {
    let ["audit", key] = words else {
        return Err(format!(
            "：audit 行应有 2 项（audit 审计密钥），实际有 {} 项",
            words.len()
        ));
    };
    let bytes = Zeroizing::new(
        STANDARD
            .decode(key)
            .map_err(|_| "：审计密钥不是有效的 base64".to_owned())?,
    );
    if bytes.len() != INDEX_KEY_LEN {
        return Err(format!(
            "：审计密钥应为 {INDEX_KEY_LEN} 字节，实际为 {} 字节",
            bytes.len()
        ));
    }
    let mut out = Zeroizing::new([0u8; INDEX_KEY_LEN]);
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// The error is the reason only (starting with "："); the caller adds where.
fn parse_key_line(words: &[&str]) -> Result<(u32, KeyVersion), String> {
    let [keyword, version, provider, enc, index] = words else {
        return Err(if words.first() == Some(&"key") {
            format!(
                "：key 行应有 5 项（key 版本号 算法 加密密钥 索引密钥），实际有 {} 项",
                words.len()
            )
        } else {
            "：不认识这一行，应以 key 开头".to_owned()
        });
    };
    if *keyword != "key" {
        return Err("：不认识这一行，应以 key 开头".to_owned());
    }
    let version = parse_version(version)
        .ok_or_else(|| format!("：版本号{}不对，应为不以 0 开头的正整数", shown(version)))?;
    let provider = Provider::parse(provider).map_err(|_| {
        format!(
            "：不认识的算法{}，只支持 sm4-gcm 和 aes-256-gcm",
            shown(provider)
        )
    })?;

    let enc_key = Zeroizing::new(
        STANDARD
            .decode(enc)
            .map_err(|_| "：加密密钥不是有效的 base64".to_owned())?,
    );
    if enc_key.len() != provider.key_len() {
        return Err(format!(
            "：{provider} 的加密密钥应为 {} 字节，实际为 {} 字节",
            provider.key_len(),
            enc_key.len()
        ));
    }
    let index_bytes = Zeroizing::new(
        STANDARD
            .decode(index)
            .map_err(|_| "：索引密钥不是有效的 base64".to_owned())?,
    );
    let mut index_key = Zeroizing::new([0u8; INDEX_KEY_LEN]);
    if index_bytes.len() != INDEX_KEY_LEN {
        return Err(format!(
            "：索引密钥应为 {INDEX_KEY_LEN} 字节，实际为 {} 字节",
            index_bytes.len()
        ));
    }
    index_key.copy_from_slice(&index_bytes);

    let key = KeyVersion::new(provider, enc_key, index_key).map_err(|e| format!("：{e}"))?;
    Ok((version, key))
}

/// Quotes a word of a malformed line for the error message, unless it is long enough to be a
/// key that slipped into the wrong column: error messages end up in logs.
fn shown(word: &str) -> String {
    if word.chars().count() <= 12 {
        format!("“{word}”")
    } else {
        "（内容较长，不予显示）".to_owned()
    }
}

fn parse_version(word: &str) -> Option<u32> {
    if word.starts_with('0') || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SM4_KEY: &str = "ASNFZ4mrze/+3LqYdlQyEA=="; // 16 bytes
    const AES_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // 32 bytes
    const INDEX_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="; // 32 bytes

    fn format_error(text: &str) -> (usize, String) {
        match Vault::parse(text) {
            Err(err @ VaultError::KeyFileFormat { line, .. }) => (line, err.to_string()),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn to_text_and_parse_round_trip() {
        let mut vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        vault.add_version(Provider::Aes256Gcm).unwrap();
        let token1 = {
            let mut only1 = Vault::parse(&vault.to_text()).unwrap();
            only1.retain_only(1);
            only1.seal_str("phone", "13812345678").unwrap()
        };
        let token2 = vault.seal_str("phone", "13900000000").unwrap();

        let text = vault.to_text();
        assert!(text.starts_with(
            "# 这是 shequ 的数据加密密钥。请与数据库分开备份；丢失后加密数据无法恢复。不要放在数据库同一备份里。\n"
        ));
        assert!(text.contains("\nshequ-key 1\nkey 1 sm4-gcm "));
        assert!(text.contains("\nkey 2 aes-256-gcm "));

        let again = Vault::parse(&text).unwrap();
        assert_eq!(again.to_text(), text);
        assert_eq!(again.versions(), [1, 2]);
        assert_eq!(again.current_version(), 2);
        assert_eq!(again.provider(1), Some(Provider::Sm4Gcm));
        assert_eq!(again.provider(2), Some(Provider::Aes256Gcm));
        assert_eq!(again.open_str("phone", &token1).unwrap(), "13812345678");
        assert_eq!(again.open_str("phone", &token2).unwrap(), "13900000000");
        for v in [1, 2] {
            assert_eq!(
                again.blind(v, "phone", "13812345678").unwrap(),
                vault.blind(v, "phone", "13812345678").unwrap()
            );
        }
    }

    #[test]
    fn the_audit_key_survives_rotation_and_older_files_derive_one() {
        let mut vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let mac = |v: &Vault| v.audit_key().unwrap().mac_hex(b"row");
        let before = mac(&vault);
        assert_eq!(before.len(), 64);
        let version = vault.add_version(Provider::Sm4Gcm).unwrap();
        vault.retain_only(version);
        let again = Vault::parse(&vault.to_text()).unwrap();
        assert_eq!(mac(&again), before, "rotation keeps the audit key");
        assert!(vault.to_text().contains("\naudit "));

        // A key file from before the audit line: derived from its first index key, the same
        // every time, and written out on the next save.
        let old = format!("shequ-key 1\nkey 1 sm4-gcm {SM4_KEY} {INDEX_KEY}\n");
        let a = Vault::parse(&old).unwrap();
        let b = Vault::parse(&old).unwrap();
        assert_eq!(mac(&a), mac(&b));
        assert_ne!(mac(&a), before);
        let saved = Vault::parse(&a.to_text()).unwrap();
        assert_eq!(mac(&saved), mac(&a));
        let twice = format!("{}audit {INDEX_KEY}\n", a.to_text());
        assert!(Vault::parse(&twice).is_err(), "one audit line only");
    }

    #[test]
    fn parse_accepts_comments_blank_lines_crlf_bom_and_any_order() {
        let text = format!(
            "\u{feff}# 注释\r\n\r\n  shequ-key   1  \r\n# 另一条注释\r\n\tkey 3 aes-256-gcm {AES_KEY} {INDEX_KEY}\r\nkey 1 sm4-gcm {SM4_KEY}   {INDEX_KEY}\r\n"
        );
        let vault = Vault::parse(&text).unwrap();
        assert_eq!(vault.versions(), [1, 3]);
        assert_eq!(vault.current_version(), 3);
        assert_eq!(vault.provider(3), Some(Provider::Aes256Gcm));
    }

    #[test]
    fn parse_rejections_name_the_line() {
        let good_sm4 = format!("key 1 sm4-gcm {SM4_KEY} {INDEX_KEY}");
        let cases: Vec<(String, usize, &str)> = vec![
            (good_sm4.clone(), 1, "缺少文件头"),
            (
                format!("# c\n\nshequ-key 2\n{good_sm4}"),
                3,
                "格式版本“2”不受支持",
            ),
            (
                format!("shequ-key 1\n{good_sm4}\n# x\n{good_sm4}"),
                4,
                "第 1 版密钥重复出现（第 2 行已有这个版本）",
            ),
            (
                format!("shequ-key 1\nkey 1 sm4-gcm {AES_KEY} {INDEX_KEY}"),
                2,
                "sm4-gcm 的加密密钥应为 16 字节，实际为 32 字节",
            ),
            (
                format!("shequ-key 1\nkey 1 aes-256-gcm {SM4_KEY} {INDEX_KEY}"),
                2,
                "aes-256-gcm 的加密密钥应为 32 字节，实际为 16 字节",
            ),
            (
                format!("shequ-key 1\n\nkey 1 sm4-gcm {SM4_KEY} {SM4_KEY}"),
                3,
                "索引密钥应为 32 字节，实际为 16 字节",
            ),
            (
                format!("shequ-key 1\nkey 1 sm5-gcm {SM4_KEY} {INDEX_KEY}"),
                2,
                "不认识的算法“sm5-gcm”",
            ),
            ("shequ-key 1\n# 没有密钥\n".to_owned(), 2, "没有任何 key 行"),
            ("shequ-key 1".to_owned(), 1, "没有任何 key 行"),
            (String::new(), 1, "没有文件头"),
            ("# 只有注释\n\n".to_owned(), 2, "没有文件头"),
            (
                format!("shequ-key 1\nkey 1 sm4-gcm {SM4_KEY}"),
                2,
                "key 行应有 5 项",
            ),
            (
                format!("shequ-key 1\nkey 1 sm4-gcm !!!! {INDEX_KEY}"),
                2,
                "加密密钥不是有效的 base64",
            ),
            (
                format!("shequ-key 1\nkey 1 sm4-gcm {SM4_KEY} ****"),
                2,
                "索引密钥不是有效的 base64",
            ),
            (
                format!("shequ-key 1\nkey 0 sm4-gcm {SM4_KEY} {INDEX_KEY}"),
                2,
                "版本号“0”不对",
            ),
            (
                format!("shequ-key 1\nkey 01 sm4-gcm {SM4_KEY} {INDEX_KEY}"),
                2,
                "版本号“01”不对",
            ),
            (
                format!("shequ-key 1\nkey -1 sm4-gcm {SM4_KEY} {INDEX_KEY}"),
                2,
                "版本号“-1”不对",
            ),
            (
                format!("shequ-key 1\nkey 4294967296 sm4-gcm {SM4_KEY} {INDEX_KEY}"),
                2,
                "版本号“4294967296”不对",
            ),
            (
                format!("shequ-key 1\nkey 1 {SM4_KEY} sm4-gcm {INDEX_KEY}"),
                2,
                "不认识的算法（内容较长，不予显示）",
            ),
            (
                format!("shequ-key 1\nkey {SM4_KEY} 1 sm4-gcm {INDEX_KEY}"),
                2,
                "版本号（内容较长，不予显示）不对",
            ),
            (
                format!("shequ-key {SM4_KEY}\n{good_sm4}"),
                1,
                "格式版本（内容较长，不予显示）不受支持",
            ),
            (
                format!("shequ-key 1\n{good_sm4}\nshequ-key 1"),
                3,
                "不认识这一行",
            ),
            (
                format!("shequ-key 1\nkeys 1 sm4-gcm {SM4_KEY} {INDEX_KEY}"),
                2,
                "不认识这一行",
            ),
        ];
        for (text, want_line, want_reason) in cases {
            let (line, message) = format_error(&text);
            assert_eq!(line, want_line, "{message}");
            assert!(
                message.starts_with(&format!("密钥文件格式不对：第 {want_line} 行：")),
                "{message}"
            );
            assert!(message.contains(want_reason), "{message}");
            assert!(message.ends_with("请检查这一行，或从备份恢复密钥文件。"));
            // A malformed line may hold a real key: its bytes must not reach logs.
            for secret in [SM4_KEY, AES_KEY, INDEX_KEY] {
                assert!(!message.contains(secret), "{message}");
            }
        }
    }
}
