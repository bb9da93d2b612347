//! Reading, creating and saving the key file.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::keyfile::parse_key_text;
use crate::{Provider, Vault, VaultError};

/// Environment variable that, when set and non-empty, holds the whole key file text. It lets
/// container deployments inject the key from a secret store instead of mounting a file.
pub const KEY_ENV: &str = "SHEQU_KEY";

impl Vault {
    /// Loads the key: if env var `SHEQU_KEY` is set (non-empty) its value is the key file text;
    /// else reads `path`; if the file does not exist, generates one (provider given), writes it
    /// with mode 0600 and returns `created = true`.
    ///
    /// Check [`loose_permissions`] afterwards to warn about a file others can read.
    pub fn load_or_create(path: &Path, provider: Provider) -> Result<(Vault, bool), VaultError> {
        let env_text = match std::env::var(KEY_ENV) {
            Ok(text) => Some(Zeroizing::new(text)),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(_)) => return Err(VaultError::EnvNotUnicode),
        };
        Vault::load_or_create_from(path, provider, env_text.as_deref().map(String::as_str))
    }

    /// [`Vault::load_or_create`] with the environment variable's value passed in, so tests and
    /// callers with their own configuration need not touch the process-wide environment.
    pub fn load_or_create_from(
        path: &Path,
        provider: Provider,
        env_text: Option<&str>,
    ) -> Result<(Vault, bool), VaultError> {
        if let Some(text) = env_text.filter(|t| !t.trim().is_empty()) {
            let vault = parse_key_text(text, &format!("环境变量 {KEY_ENV} 中的密钥文件"))?;
            return Ok((vault, false));
        }
        if let Some(vault) = read_key_file(path)? {
            return Ok((vault, false));
        }
        match create_key_file(path, provider)? {
            Some(vault) => Ok((vault, true)),
            // Another process created the file between our read and our create: use theirs, so
            // both encrypt with the same key.
            None => match read_key_file(path)? {
                Some(vault) => Ok((vault, false)),
                None => Err(io_error(
                    format!("读取密钥文件 {}", path.display()),
                    io::ErrorKind::NotFound.into(),
                )),
            },
        }
    }

    /// Atomic save: writes `path.tmp` with mode 0600, fsyncs it, renames it over `path` and
    /// fsyncs the directory, so a crash leaves either the old file or the new one, never half.
    pub fn save(&self, path: &Path) -> Result<(), VaultError> {
        let tmp = tmp_path(path)?;
        let text = Zeroizing::new(self.to_text());
        // A leftover from a crash may have other permissions; create_new below must make a
        // fresh file so the mode is ours.
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(format!("删除临时文件 {}", tmp.display()), e)),
        }
        let mut file = create_private(&tmp)
            .map_err(|e| io_error(format!("创建临时密钥文件 {}", tmp.display()), e))?;
        if let Err(e) = write_and_sync(&mut file, text.as_bytes()) {
            drop(file);
            let _ = fs::remove_file(&tmp);
            return Err(io_error(format!("写入临时密钥文件 {}", tmp.display()), e));
        }
        drop(file);
        if let Err(e) = fs::rename(&tmp, path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_error(
                format!("把 {} 改名为 {}", tmp.display(), path.display()),
                e,
            ));
        }
        sync_dir(path)
    }
}

/// True when the key file at `path` can be read or written by group or others, so the caller
/// can warn. Always false where Unix permissions do not exist or the file cannot be examined.
pub fn loose_permissions(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o077 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// `Ok(None)` when the file does not exist.
fn read_key_file(path: &Path) -> Result<Option<Vault>, VaultError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(format!("读取密钥文件 {}", path.display()), e)),
    };
    let origin = format!("密钥文件 {} ", path.display());
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
        VaultError::KeyFileFormat {
            origin: origin.clone(),
            line: valid.iter().filter(|b| **b == b'\n').count() + 1,
            reason: "：含有不是 UTF-8 文本的字节".to_owned(),
        }
    })?;
    parse_key_text(text, &origin).map(Some)
}

/// `Ok(None)` when the file appeared in the meantime.
fn create_key_file(path: &Path, provider: Provider) -> Result<Option<Vault>, VaultError> {
    let vault = Vault::generate(provider)?;
    let text = Zeroizing::new(vault.to_text());
    let dir = parent_dir(path);
    if !dir.exists() {
        create_private_dir(&dir)
            .map_err(|e| io_error(format!("创建密钥文件所在目录 {}", dir.display()), e))?;
    }
    let mut file = match create_private(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
        Err(e) => return Err(io_error(format!("创建密钥文件 {}", path.display()), e)),
    };
    if let Err(e) = write_and_sync(&mut file, text.as_bytes()) {
        // Nothing has been encrypted with these keys yet, so a half-written file is only a trap
        // for the next start: remove it.
        drop(file);
        let _ = fs::remove_file(path);
        return Err(io_error(format!("写入密钥文件 {}", path.display()), e));
    }
    drop(file);
    sync_dir(path)?;
    Ok(Some(vault))
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn write_and_sync(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the new directory entry durable: without it a power cut after the rename (or create)
/// can bring back the old file, or no file, even though the data blocks were synced.
fn sync_dir(path: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        let dir = parent_dir(path);
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(format!("同步目录 {}", dir.display()), e))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn tmp_path(path: &Path) -> Result<PathBuf, VaultError> {
    let Some(name) = path.file_name() else {
        return Err(io_error(
            format!("保存密钥文件 {}", path.display()),
            io::Error::new(io::ErrorKind::InvalidInput, "路径不是文件名"),
        ));
    };
    let mut tmp: OsString = name.to_os_string();
    tmp.push(".tmp");
    Ok(path.with_file_name(tmp))
}

fn io_error(action: String, source: io::Error) -> VaultError {
    VaultError::Io { action, source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::temp_dir;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn load_or_create_creates_a_private_file_then_loads_it() {
        let dir = temp_dir("create");
        let path = dir.join("keys").join("shequ.key");

        let (first, created) = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap();
        assert!(created);
        assert_eq!(first.versions(), [1]);
        assert_eq!(first.provider(1), Some(Provider::Sm4Gcm));
        assert!(path.exists());
        #[cfg(unix)]
        {
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        assert!(!loose_permissions(&path));
        let on_disk = fs::read_to_string(&path).unwrap();
        assert_eq!(on_disk, first.to_text());
        assert!(on_disk.contains("不要放在数据库同一备份里"));

        let token = first.seal_str("id_number", "110101199003077777").unwrap();
        // The provider argument only matters when a file is created.
        let (second, created) =
            Vault::load_or_create_from(&path, Provider::Aes256Gcm, None).unwrap();
        assert!(!created);
        assert_eq!(second.to_text(), first.to_text());
        assert_eq!(
            second.open_str("id_number", &token).unwrap(),
            "110101199003077777"
        );
        assert_eq!(
            second.blind(1, "phone", "13812345678").unwrap(),
            first.blind(1, "phone", "13812345678").unwrap()
        );

        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn loose_permissions_are_reported_but_the_file_still_loads() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("loose");
        let path = dir.join("shequ.key");
        let (vault, _) = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(loose_permissions(&path));
        let (again, created) = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap();
        assert!(!created);
        assert_eq!(again.to_text(), vault.to_text());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(loose_permissions(&path));
        assert!(!loose_permissions(&dir.join("missing")));

        // Saving replaces the file with a private one.
        again.save(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert!(!loose_permissions(&path));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn env_text_overrides_the_file() {
        let dir = temp_dir("env");
        let path = dir.join("shequ.key");
        let source = Vault::generate(Provider::Aes256Gcm).unwrap();
        let text = source.to_text();

        let (vault, created) =
            Vault::load_or_create_from(&path, Provider::Sm4Gcm, Some(&text)).unwrap();
        assert!(!created);
        assert!(
            !path.exists(),
            "the environment must not cause a file to be written"
        );
        assert_eq!(vault.to_text(), text);

        // Even an existing file is ignored while the variable is set.
        let (from_file, _) = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap();
        let (vault, _) = Vault::load_or_create_from(&path, Provider::Sm4Gcm, Some(&text)).unwrap();
        assert_eq!(vault.to_text(), text);
        assert_ne!(from_file.to_text(), text);

        // Set but empty counts as unset.
        for blank in ["", "  \n"] {
            let (vault, created) =
                Vault::load_or_create_from(&path, Provider::Sm4Gcm, Some(blank)).unwrap();
            assert!(!created);
            assert_eq!(vault.to_text(), from_file.to_text());
        }

        let err =
            Vault::load_or_create_from(&path, Provider::Sm4Gcm, Some("shequ-key 1\n")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with("环境变量 SHEQU_KEY 中的密钥文件格式不对：第 1 行"),
            "{message}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn broken_key_file_is_reported_with_path_and_line_and_not_replaced() {
        let dir = temp_dir("broken");
        let path = dir.join("shequ.key");
        fs::write(&path, "shequ-key 1\n# 注释\nkey 1 sm4-gcm AAAA AAAA\n").unwrap();
        let err = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("密钥文件 {} 格式不对：第 3 行", path.display())),
            "{message}"
        );
        assert!(message.contains("从备份恢复密钥文件"), "{message}");
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "shequ-key 1\n# 注释\nkey 1 sm4-gcm AAAA AAAA\n"
        );

        fs::write(&path, b"shequ-key 1\n\xff\xfe\n").unwrap();
        let err = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap_err();
        assert!(
            matches!(err, VaultError::KeyFileFormat { line: 2, .. }),
            "{err:?}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unreadable_path_is_an_io_error_in_chinese() {
        let dir = temp_dir("io");
        // A directory where the file should be: reading it fails with something other than
        // "not found", which must not be mistaken for a missing file.
        let path = dir.join("shequ.key");
        fs::create_dir(&path).unwrap();
        let err = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap_err();
        assert!(matches!(err, VaultError::Io { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.starts_with("读取密钥文件 "), "{message}");
        assert!(message.contains("请检查路径"), "{message}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn save_replaces_the_file_atomically() {
        let dir = temp_dir("save");
        let path = dir.join("shequ.key");
        let (mut vault, created) =
            Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap();
        assert!(created);
        let old = vault.seal_str("phone", "13812345678").unwrap();

        // A stale temporary file from an earlier crash must not get in the way.
        fs::write(dir.join("shequ.key.tmp"), "half").unwrap();
        assert_eq!(vault.add_version(Provider::Aes256Gcm).unwrap(), 2);
        vault.save(&path).unwrap();
        assert!(!dir.join("shequ.key.tmp").exists());
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);

        let (loaded, created) = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap();
        assert!(!created);
        assert_eq!(loaded.versions(), [1, 2]);
        assert_eq!(loaded.open_str("phone", &old).unwrap(), "13812345678");
        let new = loaded.seal_str("phone", "13812345678").unwrap();
        assert_eq!(Vault::token_version(&new), Some(2));

        let mut rotated = loaded;
        rotated.retain_only(2);
        rotated.save(&path).unwrap();
        let (reloaded, _) = Vault::load_or_create_from(&path, Provider::Sm4Gcm, None).unwrap();
        assert_eq!(reloaded.versions(), [2]);
        assert_eq!(reloaded.open_str("phone", &new).unwrap(), "13812345678");
        assert!(matches!(
            reloaded.open_str("phone", &old),
            Err(VaultError::UnknownVersion(1))
        ));

        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [OsString::from("shequ.key")]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tmp_path_appends_to_the_file_name() {
        assert_eq!(
            tmp_path(Path::new("/var/lib/shequ/shequ.key")).unwrap(),
            PathBuf::from("/var/lib/shequ/shequ.key.tmp")
        );
        assert_eq!(
            tmp_path(Path::new("shequ.key")).unwrap(),
            PathBuf::from("shequ.key.tmp")
        );
        assert!(tmp_path(Path::new("/")).is_err());
        assert_eq!(parent_dir(Path::new("shequ.key")), PathBuf::from("."));
    }
}
