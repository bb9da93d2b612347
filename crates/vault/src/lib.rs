#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Encryption at rest for residents' ID numbers, phone numbers and sensitive tag fields.
//!
//! Values are sealed with an authenticated cipher behind the [`Cipher`] trait (SM4-GCM by default
//! for GB/T 39786, AES-256-GCM as the alternative) and found again through keyed blind indexes
//! (HMAC-SM3), so the database never holds a key or a value it could be searched by in clear.
//! Keys live in a key file kept apart from the database; see [`Vault::load_or_create`].
//!
//! Callers normalise a value (e.g. upper-case the X of an ID number) before both sealing and
//! indexing it: the blind index is exact, so two spellings of one value never match.

mod cipher;
mod error;
mod files;
mod keyfile;

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sm3::Sm3;
use zeroize::Zeroizing;

pub use cipher::{Aes256Gcm, Cipher, NONCE_LEN, Provider, Sm4Gcm, TAG_LEN};
pub use error::VaultError;
pub use files::{KEY_ENV, loose_permissions};

/// Length of each version's blind-index key.
pub const INDEX_KEY_LEN: usize = 32;

/// Bytes of the HMAC kept in a blind index: 128 bits make accidental collisions between
/// different values negligible while keeping the index column short.
const BLIND_LEN: usize = 16;

/// Suffix lengths indexed for "last digits" search (phone tails, ID tails).
const SUFFIX_LENS: [usize; 3] = [4, 5, 6];

type HmacSm3 = Hmac<Sm3>;

/// One key version: its cipher for sealing and its separate key for blind indexes.
///
/// The index key is separate from the encryption key so that neither use can weaken the other,
/// and so that a future hardware module can keep the encryption key while indexing stays in
/// software.
struct KeyVersion {
    provider: Provider,
    enc_key: Zeroizing<Vec<u8>>,
    index_key: Zeroizing<[u8; INDEX_KEY_LEN]>,
    cipher: Box<dyn Cipher>,
    index_mac: HmacSm3,
}

impl KeyVersion {
    fn new(
        provider: Provider,
        enc_key: Zeroizing<Vec<u8>>,
        index_key: Zeroizing<[u8; INDEX_KEY_LEN]>,
    ) -> Result<KeyVersion, VaultError> {
        let cipher = provider.cipher(&enc_key)?;
        let index_mac = new_hmac_sm3(&index_key[..])?;
        Ok(KeyVersion {
            provider,
            enc_key,
            index_key,
            cipher,
            index_mac,
        })
    }

    fn random(provider: Provider) -> Result<KeyVersion, VaultError> {
        let mut enc_key = Zeroizing::new(vec![0u8; provider.key_len()]);
        getrandom::fill(&mut enc_key).map_err(VaultError::Random)?;
        let mut index_key = Zeroizing::new([0u8; INDEX_KEY_LEN]);
        getrandom::fill(&mut index_key[..]).map_err(VaultError::Random)?;
        KeyVersion::new(provider, enc_key, index_key)
    }
}

fn new_hmac_sm3(key: &[u8]) -> Result<HmacSm3, VaultError> {
    // HMAC accepts keys of any length, so this cannot fail; the error keeps unwrap out anyway.
    <HmacSm3 as Mac>::new_from_slice(key).map_err(|_| VaultError::KeyLength {
        provider: Provider::Sm4Gcm,
        expected: INDEX_KEY_LEN,
        found: key.len(),
    })
}

/// Keys of several versions; the highest version encrypts, any version decrypts.
///
/// Invariant: holds at least one version.
pub struct Vault {
    keys: BTreeMap<u32, KeyVersion>,
    /// Keys the audit log's hash chain (HMAC-SM3). Not versioned: rotating the data key must
    /// not change it, or every earlier audit row would stop verifying. A key file from before
    /// it existed derives it from its lowest version's index key (see `keyfile`), and every
    /// save writes it out, so a later rotation keeps it.
    audit_key: Zeroizing<[u8; INDEX_KEY_LEN]>,
}

/// The audit chain's key, for `shequ_store::access::audit`: HMAC-SM3, lower hex.
#[derive(Clone)]
pub struct AuditKey {
    mac: HmacSm3,
}

impl AuditKey {
    /// HMAC-SM3 of `data`, 64 lower-hex characters.
    pub fn mac_hex(&self, data: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(data);
        shequ_text::hex(&mac.finalize().into_bytes())
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let versions: Vec<String> = self
            .keys
            .iter()
            .map(|(v, k)| format!("v{v}:{}", k.provider))
            .collect();
        f.debug_struct("Vault")
            .field("current_version", &self.current_version())
            .field("versions", &versions)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault with version 1 holding fresh random keys.
    pub fn generate(provider: Provider) -> Result<Vault, VaultError> {
        let mut keys = BTreeMap::new();
        keys.insert(1, KeyVersion::random(provider)?);
        let mut audit_key = Zeroizing::new([0u8; INDEX_KEY_LEN]);
        getrandom::fill(&mut audit_key[..]).map_err(VaultError::Random)?;
        Ok(Vault { keys, audit_key })
    }

    /// The key of the audit chain.
    pub fn audit_key(&self) -> Result<AuditKey, VaultError> {
        Ok(AuditKey {
            mac: new_hmac_sm3(&self.audit_key[..])?,
        })
    }

    /// The version new values are sealed with: the highest one.
    pub fn current_version(&self) -> u32 {
        self.keys.last_key_value().map_or(0, |(v, _)| *v)
    }

    /// All versions, ascending.
    pub fn versions(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    /// The provider of `version`, if the vault holds it.
    pub fn provider(&self, version: u32) -> Option<Provider> {
        self.keys.get(&version).map(|k| k.provider)
    }

    /// Adds a new highest version with fresh random keys (for rotation); returns it.
    pub fn add_version(&mut self, provider: Provider) -> Result<u32, VaultError> {
        let version = self
            .current_version()
            .checked_add(1)
            .ok_or(VaultError::VersionExhausted)?;
        self.keys.insert(version, KeyVersion::random(provider)?);
        Ok(version)
    }

    /// Drops every version except `keep` (after re-encryption finished).
    ///
    /// Does nothing if the vault has no version `keep`: dropping every key would make all data
    /// unreadable, and keeping too many keys is the harmless mistake.
    pub fn retain_only(&mut self, keep: u32) {
        if self.keys.contains_key(&keep) {
            self.keys.retain(|v, _| *v == keep);
        }
    }

    fn key(&self, version: u32) -> Result<&KeyVersion, VaultError> {
        self.keys
            .get(&version)
            .ok_or(VaultError::UnknownVersion(version))
    }

    /// Encrypts a text value of column `field` with the current version.
    ///
    /// Output is ASCII: `v{version}.` + base64url-no-pad(nonce || ciphertext || tag).
    pub fn seal_str(&self, field: &str, plain: &str) -> Result<String, VaultError> {
        let version = self.current_version();
        let sealed = self
            .key(version)?
            .cipher
            .seal(plain.as_bytes(), &aad(version, field))?;
        Ok(format!("v{version}.{}", URL_SAFE_NO_PAD.encode(sealed)))
    }

    /// Decrypts a token made by [`Vault::seal_str`] for the same `field`, with whichever
    /// version made it.
    pub fn open_str(&self, field: &str, token: &str) -> Result<String, VaultError> {
        let (version, body) = split_token(token).ok_or(VaultError::TokenFormat)?;
        let key = self.key(version)?;
        let sealed = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| VaultError::TokenFormat)?;
        let plain = key.cipher.open(&sealed, &aad(version, field))?;
        String::from_utf8(plain).map_err(|_| VaultError::NotText)
    }

    /// The version a sealed token was made with (to find rows needing re-encryption).
    pub fn token_version(token: &str) -> Option<u32> {
        split_token(token).map(|(version, _)| version)
    }

    /// Keyed blind index for exact lookup: HMAC-SM3(index key of `version`,
    /// field || 0x00 || value), first 16 bytes, lower hex (32 chars). Deterministic.
    pub fn blind(&self, version: u32, field: &str, value: &str) -> Result<String, VaultError> {
        // The 0x00 separator only keeps fields apart if a field cannot contain it.
        if field.contains('\0') {
            return Err(VaultError::InvalidField);
        }
        let mut mac = self.key(version)?.index_mac.clone();
        mac.update(field.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let tag = mac.finalize().into_bytes();
        Ok(shequ_text::hex(&tag[..BLIND_LEN]))
    }

    /// Blind indexes of the last 4, 5 and 6 characters (chars, not bytes) of `value` for
    /// suffix search, under fields `{field}#4`, `{field}#5`, `{field}#6`. Only lengths not
    /// longer than the value are returned.
    pub fn blind_suffixes(
        &self,
        version: u32,
        field: &str,
        value: &str,
    ) -> Result<Vec<(usize, String)>, VaultError> {
        let chars: Vec<(usize, char)> = value.char_indices().collect();
        let mut out = Vec::with_capacity(SUFFIX_LENS.len());
        for len in SUFFIX_LENS {
            let Some(start) = chars.len().checked_sub(len) else {
                continue;
            };
            let byte_start = chars.get(start).map_or(value.len(), |(i, _)| *i);
            let suffix = value.get(byte_start..).unwrap_or_default();
            out.push((len, self.blind(version, &format!("{field}#{len}"), suffix)?));
        }
        Ok(out)
    }
}

/// The associated data binds a token to its column, so a value copied into another column does
/// not open, and to its key version, so the `v{n}.` header cannot be rewritten even if an
/// operator ever gives two versions the same key.
fn aad(version: u32, field: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(24 + field.len());
    aad.extend_from_slice(b"shequ-vault\0");
    aad.extend_from_slice(version.to_string().as_bytes());
    aad.push(0);
    aad.extend_from_slice(field.as_bytes());
    aad
}

/// Splits `v{version}.{body}`. Only the canonical spelling of the version is accepted (no sign,
/// no leading zero, not 0), so each token has exactly one text form.
fn split_token(token: &str) -> Option<(u32, &str)> {
    let (head, body) = token.strip_prefix('v')?.split_once('.')?;
    if head.is_empty() || head.starts_with('0') || !head.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((head.parse().ok()?, body))
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU32, Ordering};

    pub fn unhex(s: &str) -> Vec<u8> {
        shequ_text::unhex(s).unwrap()
    }

    pub fn hex(bytes: &[u8]) -> String {
        shequ_text::hex(bytes)
    }

    /// A fresh directory under the system temp dir; tests run in parallel, so the name carries
    /// the process id, a counter and a random part (the vault sits below the clock).
    pub fn temp_dir(tag: &str) -> PathBuf {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let mut salt = [0u8; 8];
        getrandom::fill(&mut salt).unwrap();
        let nanos = u64::from_le_bytes(salt);
        let dir = std::env::temp_dir().join(format!(
            "shequ-vault-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::{hex, unhex};
    use super::*;

    /// HMAC (RFC 2104) written out from the bare hash, to check the library's construction.
    fn manual_hmac_sm3(key: &[u8], msg: &[u8]) -> Vec<u8> {
        use sm3::Digest;
        const BLOCK: usize = 64;
        let mut k = if key.len() > BLOCK {
            Sm3::digest(key).to_vec()
        } else {
            key.to_vec()
        };
        k.resize(BLOCK, 0);
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sm3::new().chain_update(&ipad).chain_update(msg).finalize();
        Sm3::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize()
            .to_vec()
    }

    fn hmac_sm3(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut mac = new_hmac_sm3(key).unwrap();
        mac.update(msg);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn hmac_sm3_matches_gmt_0042_appendix_d3() {
        let key32: Vec<u8> = (1..=32).collect();
        let key37: Vec<u8> = (1..=37).collect();
        let abc = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".repeat(2);
        let cases: [(&[u8], &[u8], &str); 4] = [
            (
                &key32,
                &abc,
                "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a",
            ),
            (
                &key37,
                &[0xcd; 50],
                "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae",
            ),
            (
                &[0x0b; 32],
                b"Hi There",
                "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882",
            ),
        ];
        for (key, msg, want) in cases {
            assert_eq!(hex(&hmac_sm3(key, msg)), want);
            assert_eq!(hex(&manual_hmac_sm3(key, msg)), want);
        }
    }

    #[test]
    fn hmac_sm3_matches_manual_construction_for_all_key_shapes() {
        for key_len in [0, 1, 32, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            for msg_len in [0, 1, 55, 56, 64, 1000] {
                let msg: Vec<u8> = (0..msg_len).map(|i| (i * 13) as u8).collect();
                assert_eq!(hmac_sm3(&key, &msg), manual_hmac_sm3(&key, &msg));
            }
        }
    }

    #[test]
    fn blind_is_truncated_hmac_sm3_of_field_nul_value() {
        let vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let index_key = vault.key(1).unwrap().index_key.to_vec();
        let want = manual_hmac_sm3(&index_key, b"id_number\x00110101199003077777");
        let got = vault.blind(1, "id_number", "110101199003077777").unwrap();
        assert_eq!(got, hex(&want[..16]));
        assert_eq!(got.len(), 32);
        assert!(
            got.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn round_trip_for_both_providers() {
        for provider in Provider::ALL {
            let vault = Vault::generate(provider).unwrap();
            assert_eq!(vault.provider(1), Some(provider));
            for plain in ["", "110101199003077777", "13812345678", "低保；独居老人 ✓"] {
                let token = vault.seal_str("id_number", plain).unwrap();
                assert!(token.starts_with("v1."));
                assert!(token.is_ascii());
                assert_eq!(vault.open_str("id_number", &token).unwrap(), plain);
            }
            let long = "长".repeat(10_000);
            let token = vault.seal_str("note", &long).unwrap();
            assert_eq!(vault.open_str("note", &token).unwrap(), long);
        }
    }

    #[test]
    fn any_single_changed_character_of_a_token_fails() {
        for provider in Provider::ALL {
            let vault = Vault::generate(provider).unwrap();
            let token = vault.seal_str("id_number", "110101199003077777").unwrap();
            for i in 0..token.len() {
                for replacement in [b'A', b'_', b'0', b'.', b'v', b'~'] {
                    let mut bytes = token.clone().into_bytes();
                    if bytes[i] == replacement {
                        continue;
                    }
                    bytes[i] = replacement;
                    let altered = String::from_utf8(bytes).unwrap();
                    assert!(
                        vault.open_str("id_number", &altered).is_err(),
                        "{altered} opened"
                    );
                }
            }
        }
    }

    #[test]
    fn any_flipped_bit_of_the_sealed_bytes_fails() {
        let vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let token = vault.seal_str("phone", "13812345678").unwrap();
        let sealed = URL_SAFE_NO_PAD.decode(&token[3..]).unwrap();
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut altered = sealed.clone();
                altered[i] ^= 1 << bit;
                let token = format!("v1.{}", URL_SAFE_NO_PAD.encode(&altered));
                assert!(matches!(
                    vault.open_str("phone", &token),
                    Err(VaultError::Decrypt)
                ));
            }
        }
    }

    #[test]
    fn token_for_one_field_does_not_open_as_another() {
        let vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let token = vault.seal_str("id_number", "110101199003077777").unwrap();
        let err = vault.open_str("phone", &token).unwrap_err();
        assert!(matches!(err, VaultError::Decrypt));
        let message = err.to_string();
        assert!(message.contains("数据无法解密"), "{message}");
        assert!(message.contains("密钥不对，或数据被改动过"), "{message}");
        assert!(!message.contains(&token[3..]));
        assert!(!message.contains("110101"));
    }

    #[test]
    fn wrong_key_fails() {
        for provider in Provider::ALL {
            let a = Vault::generate(provider).unwrap();
            let b = Vault::generate(provider).unwrap();
            let token = a.seal_str("phone", "13812345678").unwrap();
            assert!(matches!(
                b.open_str("phone", &token),
                Err(VaultError::Decrypt)
            ));
        }
    }

    #[test]
    fn sealing_twice_gives_different_tokens() {
        let vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let a = vault.seal_str("phone", "13812345678").unwrap();
        let b = vault.seal_str("phone", "13812345678").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn token_version_reads_only_canonical_headers() {
        let mut vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let t1 = vault.seal_str("phone", "13812345678").unwrap();
        assert_eq!(Vault::token_version(&t1), Some(1));
        vault.add_version(Provider::Aes256Gcm).unwrap();
        let t2 = vault.seal_str("phone", "13812345678").unwrap();
        assert_eq!(Vault::token_version(&t2), Some(2));
        assert_eq!(Vault::token_version("v4294967295.AAAA"), Some(u32::MAX));
        for bad in [
            "",
            "v",
            "v.",
            "v1",
            "1.AAAA",
            "V1.AAAA",
            "v0.AAAA",
            "v01.AAAA",
            "v+1.AAAA",
            "v-1.AAAA",
            "v 1.AAAA",
            "v4294967296.AAAA",
            "13812345678",
        ] {
            assert_eq!(Vault::token_version(bad), None, "{bad}");
        }
        assert!(matches!(
            vault.open_str("phone", "13812345678"),
            Err(VaultError::TokenFormat)
        ));
        assert!(matches!(
            vault.open_str("phone", "v1.***"),
            Err(VaultError::TokenFormat)
        ));
    }

    #[test]
    fn blind_is_deterministic_and_separates_fields_and_versions() {
        let mut vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let a = vault.blind(1, "phone", "13812345678").unwrap();
        assert_eq!(a, vault.blind(1, "phone", "13812345678").unwrap());
        assert_ne!(a, vault.blind(1, "contact_phone", "13812345678").unwrap());
        assert_ne!(a, vault.blind(1, "phone", "13812345679").unwrap());
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(
            vault.blind(1, "ab", "c").unwrap(),
            vault.blind(1, "a", "bc").unwrap()
        );

        vault.add_version(Provider::Sm4Gcm).unwrap();
        let b = vault.blind(2, "phone", "13812345678").unwrap();
        assert_ne!(a, b);
        assert_eq!(a, vault.blind(1, "phone", "13812345678").unwrap());

        assert!(matches!(
            vault.blind(3, "phone", "13812345678"),
            Err(VaultError::UnknownVersion(3))
        ));
        assert!(matches!(
            vault.blind(1, "pho\0ne", "1"),
            Err(VaultError::InvalidField)
        ));

        let other = Vault::generate(Provider::Sm4Gcm).unwrap();
        assert_ne!(a, other.blind(1, "phone", "13812345678").unwrap());
    }

    #[test]
    fn blind_suffixes_index_the_last_characters() {
        let vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let got = vault.blind_suffixes(1, "phone", "13812345678").unwrap();
        let want = vec![
            (4, vault.blind(1, "phone#4", "5678").unwrap()),
            (5, vault.blind(1, "phone#5", "45678").unwrap()),
            (6, vault.blind(1, "phone#6", "345678").unwrap()),
        ];
        assert_eq!(got, want);

        let lens = |value: &str| -> Vec<usize> {
            vault
                .blind_suffixes(1, "phone", value)
                .unwrap()
                .into_iter()
                .map(|(len, _)| len)
                .collect()
        };
        assert_eq!(lens("123456"), [4, 5, 6]);
        assert_eq!(lens("12345"), [4, 5]);
        assert_eq!(lens("1234"), [4]);
        assert_eq!(lens("123"), Vec::<usize>::new());
        assert_eq!(lens(""), Vec::<usize>::new());

        // Characters, not bytes: five Chinese characters are 15 bytes but only two suffixes.
        let got = vault.blind_suffixes(1, "addr", "朝阳区北苑").unwrap();
        assert_eq!(
            got,
            vec![
                (4, vault.blind(1, "addr#4", "阳区北苑").unwrap()),
                (5, vault.blind(1, "addr#5", "朝阳区北苑").unwrap()),
            ]
        );
        assert!(matches!(
            vault.blind_suffixes(9, "phone", "13812345678"),
            Err(VaultError::UnknownVersion(9))
        ));
    }

    #[test]
    fn rotation_keeps_old_tokens_until_retain_only() {
        let mut vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        let old = vault.seal_str("id_number", "110101199003077777").unwrap();

        assert_eq!(vault.add_version(Provider::Aes256Gcm).unwrap(), 2);
        assert_eq!(vault.current_version(), 2);
        assert_eq!(vault.versions(), [1, 2]);
        assert_eq!(vault.provider(2), Some(Provider::Aes256Gcm));
        assert_eq!(
            vault.open_str("id_number", &old).unwrap(),
            "110101199003077777"
        );
        let new = vault.seal_str("id_number", "110101199003077777").unwrap();
        assert_eq!(Vault::token_version(&new), Some(2));

        // Re-encryption: open with the old version, seal with the current one.
        let plain = vault.open_str("id_number", &old).unwrap();
        let re = vault.seal_str("id_number", &plain).unwrap();
        assert_eq!(Vault::token_version(&re), Some(2));

        // An unknown version must not empty the vault.
        vault.retain_only(7);
        assert_eq!(vault.versions(), [1, 2]);

        vault.retain_only(2);
        assert_eq!(vault.versions(), [2]);
        assert_eq!(vault.current_version(), 2);
        assert_eq!(vault.open_str("id_number", &re).unwrap(), plain);
        let err = vault.open_str("id_number", &old).unwrap_err();
        assert!(matches!(err, VaultError::UnknownVersion(1)), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("没有第 1 版密钥"), "{message}");
        assert!(message.contains("从备份恢复"), "{message}");

        assert_eq!(vault.add_version(Provider::Sm4Gcm).unwrap(), 3);
    }

    #[test]
    fn vault_can_be_shared_between_request_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Vault>();
        assert_send_sync::<Box<dyn Cipher>>();
    }

    #[test]
    fn debug_does_not_print_keys() {
        let mut vault = Vault::generate(Provider::Sm4Gcm).unwrap();
        vault.add_version(Provider::Aes256Gcm).unwrap();
        let debug = format!("{vault:?} {vault:#?}");
        assert!(debug.contains("current_version"));
        assert!(debug.contains("v2:aes-256-gcm"));
        for key in vault.keys.values() {
            for secret in [&key.enc_key[..], &key.index_key[..]] {
                assert!(!debug.contains(&hex(secret)));
                assert!(!debug.contains(&base64::engine::general_purpose::STANDARD.encode(secret)));
                assert!(!debug.contains(&format!("{secret:?}")));
            }
        }
        let sm4 = Sm4Gcm::new(&unhex("0123456789abcdeffedcba9876543210")).unwrap();
        assert_eq!(format!("{sm4:?}"), "Sm4Gcm { .. }");
    }
}
