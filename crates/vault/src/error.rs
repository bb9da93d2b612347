use crate::Provider;

/// Everything that can go wrong in the vault.
///
/// The messages are shown to operators as they are, so they are in Chinese, say what is wrong and
/// what to do, and never contain key bytes, plaintext or ciphertext.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The key file text is malformed. `origin` says where the text came from (the file's path or
    /// the environment variable) so the operator knows which copy to fix.
    #[error("{origin}格式不对：第 {line} 行{reason}。请检查这一行，或从备份恢复密钥文件。")]
    KeyFileFormat {
        origin: String,
        line: usize,
        reason: String,
    },

    #[error("{action}失败：{source}。请检查路径是否正确，以及运行 shequ 的用户是否有读写权限。")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },

    #[error("不认识的加密算法“{0}”：只支持 sm4-gcm 和 aes-256-gcm。请改成其中之一。")]
    UnknownProvider(String),

    #[error(
        "{provider} 的密钥应为 {expected} 字节，实际为 {found} 字节。请检查密钥文件是否被改动，或从备份恢复密钥文件。"
    )]
    KeyLength {
        provider: Provider,
        expected: usize,
        found: usize,
    },

    #[error(
        "无法从操作系统取得随机数（{0}），因此不能生成密钥或加密数据。请检查系统的随机数来源后重试。"
    )]
    Random(getrandom::Error),

    /// Deliberately one variant for every reason an authenticated open can fail (too short, wrong
    /// key, altered bytes, wrong column): telling them apart would help whoever is probing.
    #[error(
        "数据无法解密：密钥不对，或数据被改动过。请确认使用的是加密这份数据时的密钥文件；若密钥无误，请从备份恢复这条数据。"
    )]
    Decrypt,

    #[error("加密失败：内容过长，超出了算法一次能加密的长度。请检查要加密的内容。")]
    Encrypt,

    #[error(
        "加密数据的格式不对（应为“v版本号.密文”）：这条数据可能被改动过，或不是本系统加密的。请从备份恢复这条数据。"
    )]
    TokenFormat,

    #[error(
        "密钥文件里没有第 {0} 版密钥，无法处理用它加密或建索引的数据。如果轮换密钥后删除了旧版本，请从备份恢复包含第 {0} 版的密钥文件。"
    )]
    UnknownVersion(u32),

    #[error(
        "解密后的内容不是有效的 UTF-8 文本：这条数据不是本系统加密的文字。请检查这个字段的来源。"
    )]
    NotText,

    #[error("字段名不能包含 NUL 字符（否则不同字段的盲索引可能相同）。请改用普通的字段名。")]
    InvalidField,

    #[error(
        "环境变量 SHEQU_KEY 的内容不是有效的 UTF-8 文本。请把密钥文件的原文放进这个变量，或删除这个变量改用密钥文件。"
    )]
    EnvNotUnicode,

    #[error("密钥版本号已达上限，不能再增加新版本。请生成新的密钥文件，并把全部数据用它重新加密。")]
    VersionExhausted,
}
