use std::fmt;
use std::str::FromStr;

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, Payload};

use crate::VaultError;

/// Length of the random nonce that starts every sealed value.
pub const NONCE_LEN: usize = 12;
/// Length of the GCM authentication tag that ends every sealed value.
pub const TAG_LEN: usize = 16;

/// One authenticated cipher. Implementations: [`Sm4Gcm`] (default), [`Aes256Gcm`].
///
/// This is the seam where a certified hardware module can later replace the software
/// providers: the vault only ever calls these three methods.
pub trait Cipher: Send + Sync {
    fn provider(&self) -> Provider;
    /// nonce(12 random bytes) || ciphertext || tag(16)
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError>;
    fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError>;
}

/// Shows only the provider: a cipher holds key material.
impl fmt::Debug for dyn Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cipher({})", self.provider())
    }
}

/// Which algorithm a key version uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Provider {
    /// SM4 in GCM mode (GB/T 32907 block cipher, RFC 8998 construction): the default because
    /// GB/T 39786 assessments expect the national algorithms.
    #[default]
    Sm4Gcm,
    Aes256Gcm,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Sm4Gcm, Provider::Aes256Gcm];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Sm4Gcm => "sm4-gcm",
            Provider::Aes256Gcm => "aes-256-gcm",
        }
    }

    /// Accepts the names in any ASCII case, since operators type them on command lines.
    pub fn parse(name: &str) -> Result<Provider, VaultError> {
        Provider::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| VaultError::UnknownProvider(name.to_owned()))
    }

    /// Length in bytes of this provider's encryption key.
    pub fn key_len(self) -> usize {
        match self {
            Provider::Sm4Gcm => Sm4Gcm::KEY_LEN,
            Provider::Aes256Gcm => Aes256Gcm::KEY_LEN,
        }
    }

    /// The software implementation of this provider keyed with `key`.
    pub fn cipher(self, key: &[u8]) -> Result<Box<dyn Cipher>, VaultError> {
        Ok(match self {
            Provider::Sm4Gcm => Box::new(Sm4Gcm::new(key)?),
            Provider::Aes256Gcm => Box::new(Aes256Gcm::new(key)?),
        })
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Provider {
    type Err = VaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::parse(s)
    }
}

/// SM4-GCM with 96-bit nonces, as specified for TLS in RFC 8998.
pub struct Sm4Gcm {
    aead: AesGcm<sm4::Sm4, U12>,
}

impl Sm4Gcm {
    pub const KEY_LEN: usize = 16;

    pub fn new(key: &[u8]) -> Result<Self, VaultError> {
        let aead = AesGcm::new_from_slice(key).map_err(|_| VaultError::KeyLength {
            provider: Provider::Sm4Gcm,
            expected: Self::KEY_LEN,
            found: key.len(),
        })?;
        Ok(Sm4Gcm { aead })
    }

    /// Known-answer tests need a fixed nonce; production code must never choose one.
    #[cfg(test)]
    pub(crate) fn seal_with_nonce(
        &self,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        seal_fixed(&self.aead, nonce, plaintext, aad)
    }
}

impl Cipher for Sm4Gcm {
    fn provider(&self) -> Provider {
        Provider::Sm4Gcm
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        seal_random(&self.aead, plaintext, aad)
    }

    fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        open_sealed(&self.aead, sealed, aad)
    }
}

impl fmt::Debug for Sm4Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sm4Gcm").finish_non_exhaustive()
    }
}

/// AES-256-GCM with 96-bit nonces (NIST SP 800-38D).
pub struct Aes256Gcm {
    aead: AesGcm<aes::Aes256, U12>,
}

impl Aes256Gcm {
    pub const KEY_LEN: usize = 32;

    pub fn new(key: &[u8]) -> Result<Self, VaultError> {
        let aead = AesGcm::new_from_slice(key).map_err(|_| VaultError::KeyLength {
            provider: Provider::Aes256Gcm,
            expected: Self::KEY_LEN,
            found: key.len(),
        })?;
        Ok(Aes256Gcm { aead })
    }

    /// Known-answer tests need a fixed nonce; production code must never choose one.
    #[cfg(test)]
    pub(crate) fn seal_with_nonce(
        &self,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        seal_fixed(&self.aead, nonce, plaintext, aad)
    }
}

impl Cipher for Aes256Gcm {
    fn provider(&self) -> Provider {
        Provider::Aes256Gcm
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        seal_random(&self.aead, plaintext, aad)
    }

    fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        open_sealed(&self.aead, sealed, aad)
    }
}

impl fmt::Debug for Aes256Gcm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Aes256Gcm").finish_non_exhaustive()
    }
}

/// Random 96-bit nonces are safe for about 2^32 values per key (NIST SP 800-38D §8.3), far more
/// than one community's registry will ever encrypt between key rotations; a counter would need
/// state shared by every process that writes, which we do not have.
fn seal_random<A>(aead: &A, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError>
where
    A: Aead + AeadCore<NonceSize = U12>,
{
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(VaultError::Random)?;
    seal_fixed(aead, &nonce, plaintext, aad)
}

fn seal_fixed<A>(
    aead: &A,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, VaultError>
where
    A: Aead + AeadCore<NonceSize = U12>,
{
    let body = aead
        .encrypt(
            &GenericArray::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::Encrypt)?;
    let mut sealed = Vec::with_capacity(NONCE_LEN + body.len());
    sealed.extend_from_slice(nonce);
    sealed.extend_from_slice(&body);
    Ok(sealed)
}

fn open_sealed<A>(aead: &A, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError>
where
    A: Aead + AeadCore<NonceSize = U12>,
{
    let Some((nonce, body)) = sealed.split_first_chunk::<NONCE_LEN>() else {
        return Err(VaultError::Decrypt);
    };
    if body.len() < TAG_LEN {
        return Err(VaultError::Decrypt);
    }
    aead.decrypt(&GenericArray::from(*nonce), Payload { msg: body, aad })
        .map_err(|_| VaultError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{hex, unhex};

    #[test]
    fn sm4_block_matches_gbt_32907_examples() {
        use sm4::cipher::{BlockEncrypt, KeyInit};
        let key = unhex("0123456789abcdeffedcba9876543210");
        let cipher = sm4::Sm4::new_from_slice(&key).unwrap();
        let mut block = GenericArray::clone_from_slice(&key);
        cipher.encrypt_block(&mut block);
        assert_eq!(hex(&block), "681edf34d206965e86b3e94f536e4246");

        // Example 2 encrypts the same block a million times; it catches key-schedule or round
        // errors that a single block can hide.
        let mut block = GenericArray::clone_from_slice(&key);
        for _ in 0..1_000_000 {
            cipher.encrypt_block(&mut block);
        }
        assert_eq!(hex(&block), "595298c7c6fd271f0402f804c33d3f66");
    }

    #[test]
    fn sm4_gcm_matches_rfc_8998_appendix_a1() {
        let key = unhex("0123456789abcdeffedcba9876543210");
        let nonce: [u8; 12] = unhex("00001234567800000000abcd").try_into().unwrap();
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let plaintext = unhex(concat!(
            "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd",
            "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
        ));
        let expected = concat!(
            "00001234567800000000abcd",
            "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735",
            "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
            "83de3541e4c2b58177e065a9bf7b62ec",
        );

        let sm4 = Sm4Gcm::new(&key).unwrap();
        let sealed = sm4.seal_with_nonce(&nonce, &plaintext, &aad).unwrap();
        assert_eq!(hex(&sealed), expected);

        let cipher: &dyn Cipher = &sm4;
        assert_eq!(cipher.provider(), Provider::Sm4Gcm);
        assert_eq!(cipher.open(&sealed, &aad).unwrap(), plaintext);
        assert!(matches!(
            cipher.open(&sealed, b"other aad"),
            Err(VaultError::Decrypt)
        ));
    }

    #[test]
    fn aes_256_gcm_matches_gcm_spec_test_case_16() {
        let key = unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
        let nonce: [u8; 12] = unhex("cafebabefacedbaddecaf888").try_into().unwrap();
        let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let plaintext = unhex(concat!(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        ));
        let expected = concat!(
            "cafebabefacedbaddecaf888",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b",
        );

        let aes = Aes256Gcm::new(&key).unwrap();
        let sealed = aes.seal_with_nonce(&nonce, &plaintext, &aad).unwrap();
        assert_eq!(hex(&sealed), expected);

        let cipher: &dyn Cipher = &aes;
        assert_eq!(cipher.provider(), Provider::Aes256Gcm);
        assert_eq!(cipher.open(&sealed, &aad).unwrap(), plaintext);
    }

    #[test]
    fn seal_uses_a_fresh_nonce_and_round_trips() {
        for provider in Provider::ALL {
            let cipher = provider.cipher(&vec![7u8; provider.key_len()]).unwrap();
            let a = cipher.seal(b"110101199003077777", b"aad").unwrap();
            let b = cipher.seal(b"110101199003077777", b"aad").unwrap();
            assert_eq!(a.len(), NONCE_LEN + 18 + TAG_LEN);
            assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
            assert_eq!(cipher.open(&a, b"aad").unwrap(), b"110101199003077777");
            assert_eq!(cipher.open(&b, b"aad").unwrap(), b"110101199003077777");
            let empty = cipher.seal(b"", b"").unwrap();
            assert_eq!(cipher.open(&empty, b"").unwrap(), b"");
        }
    }

    #[test]
    fn open_rejects_short_and_altered_input() {
        for provider in Provider::ALL {
            let cipher = provider.cipher(&vec![9u8; provider.key_len()]).unwrap();
            let sealed = cipher.seal(b"13812345678", b"phone").unwrap();
            for len in 0..sealed.len() {
                assert!(matches!(
                    cipher.open(&sealed[..len], b"phone"),
                    Err(VaultError::Decrypt)
                ));
            }
            for i in 0..sealed.len() {
                for bit in 0..8 {
                    let mut altered = sealed.clone();
                    altered[i] ^= 1 << bit;
                    assert!(matches!(
                        cipher.open(&altered, b"phone"),
                        Err(VaultError::Decrypt)
                    ));
                }
            }
        }
    }

    #[test]
    fn wrong_key_length_is_refused() {
        for provider in Provider::ALL {
            for len in [0, 15, 17, 24, 31, 33] {
                if len == provider.key_len() {
                    continue;
                }
                let err = provider.cipher(&vec![0u8; len]).unwrap_err();
                assert!(
                    matches!(err, VaultError::KeyLength { found, .. } if found == len),
                    "{err:?}"
                );
                assert!(err.to_string().contains(provider.as_str()));
            }
        }
    }

    #[test]
    fn provider_names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(Provider::parse(provider.as_str()).unwrap(), provider);
            assert_eq!(provider.to_string().parse::<Provider>().unwrap(), provider);
        }
        assert_eq!(Provider::Sm4Gcm.as_str(), "sm4-gcm");
        assert_eq!(Provider::Aes256Gcm.as_str(), "aes-256-gcm");
        assert_eq!(Provider::default(), Provider::Sm4Gcm);
        assert_eq!(Provider::parse("SM4-GCM").unwrap(), Provider::Sm4Gcm);
        let err = Provider::parse("sm4").unwrap_err();
        assert!(matches!(err, VaultError::UnknownProvider(_)));
        assert!(err.to_string().contains("只支持 sm4-gcm 和 aes-256-gcm"));
    }
}
