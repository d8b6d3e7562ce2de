//! Where the artefact key lives: a file (mode 0600, the default) or the OS keyring (macOS Keychain,
//! Windows Credential Manager) via the `keyring` crate. Linux builds compile no keyring backend —
//! the kernel keyring does not survive a reboot and a desk may have no Secret Service — so asking
//! for the keyring there falls back to the file with a log line saying so.
//!
//! A slot has a *pending* sibling used by key rotation: the new key is written there first, the
//! database is re-encrypted in one transaction, then the pending key replaces the old one. Opening
//! a store finishes or rolls back a rotation that a crash interrupted.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::key::ArtefactKey;

/// Which backend holds the artefact key (the `[security] key_store` setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyBackend {
    #[default]
    File,
    /// The OS keyring where this build has one; else the file (logged).
    Keyring,
}

/// Whether this build has a real OS keyring backend.
pub const KEYRING_AVAILABLE: bool = cfg!(any(target_os = "macos", target_os = "windows"));

const KEYRING_SERVICE: &str = "zikao-kiosk artefact key";

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum KeySlot {
    File(PathBuf),
    Keyring { user: String },
}

impl fmt::Debug for KeySlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.describe())
    }
}

impl KeySlot {
    /// The slot for `backend`; `key_path` is the file (also the fallback) and names the keyring
    /// entry so two stores on one machine do not share a key.
    pub(crate) fn choose(backend: KeyBackend, key_path: &Path) -> KeySlot {
        match backend {
            KeyBackend::File => KeySlot::File(key_path.to_path_buf()),
            KeyBackend::Keyring if KEYRING_AVAILABLE => KeySlot::Keyring {
                user: std::fs::canonicalize(key_path.parent().unwrap_or(key_path))
                    .unwrap_or_else(|_| key_path.to_path_buf())
                    .join(key_path.file_name().unwrap_or_default())
                    .display()
                    .to_string(),
            },
            KeyBackend::Keyring => {
                tracing::warn!(
                    key_file = %key_path.display(),
                    "key_store = \"keyring\" but this build has no OS keyring backend (Linux: the kernel keyring does not survive a reboot); the artefact key stays in its file with mode 0600"
                );
                KeySlot::File(key_path.to_path_buf())
            }
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            KeySlot::File(path) => format!("file {}", path.display()),
            KeySlot::Keyring { user } => format!("OS keyring entry \"{KEYRING_SERVICE}\" / {user}"),
        }
    }

    /// The path reported in errors (the file, or the entry name).
    pub(crate) fn error_path(&self) -> PathBuf {
        match self {
            KeySlot::File(path) => path.clone(),
            KeySlot::Keyring { user } => PathBuf::from(format!("keyring:{user}")),
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            KeySlot::File(_) => "file",
            KeySlot::Keyring { .. } => "keyring",
        }
    }

    /// The sibling a rotation writes the new key to.
    pub(crate) fn pending(&self) -> KeySlot {
        match self {
            KeySlot::File(path) => {
                let mut name = path.file_name().unwrap_or_default().to_os_string();
                name.push(".new");
                KeySlot::File(path.with_file_name(name))
            }
            KeySlot::Keyring { user } => KeySlot::Keyring {
                user: format!("{user}.new"),
            },
        }
    }

    fn entry(user: &str) -> Result<keyring::Entry, StoreError> {
        keyring::Entry::new(KEYRING_SERVICE, user).map_err(keyring_error(user))
    }

    /// `Ok(None)` when the slot is empty.
    pub(crate) fn read(&self) -> Result<Option<ArtefactKey>, StoreError> {
        match self {
            KeySlot::File(path) => ArtefactKey::read(path),
            KeySlot::Keyring { user } => match KeySlot::entry(user)?.get_password() {
                Ok(text) => {
                    let text = Zeroizing::new(text);
                    ArtefactKey::parse_file(&text)
                        .map(Some)
                        .map_err(|why| StoreError::KeyCorrupt {
                            path: self.error_path(),
                            why,
                        })
                }
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(error) => Err(keyring_error(user)(error)),
            },
        }
    }

    /// Writes a key into an empty slot; an occupied slot is `AlreadyExists` (never overwritten).
    pub(crate) fn create(&self, key: &ArtefactKey) -> Result<(), CreateError> {
        match self {
            KeySlot::File(path) => key.create_file(path).map_err(|error| {
                if error.kind() == std::io::ErrorKind::AlreadyExists {
                    CreateError::AlreadyExists
                } else {
                    CreateError::Failed(StoreError::io(path)(error))
                }
            }),
            KeySlot::Keyring { user } => {
                if self.read().map_err(CreateError::Failed)?.is_some() {
                    return Err(CreateError::AlreadyExists);
                }
                let entry = KeySlot::entry(user).map_err(CreateError::Failed)?;
                entry
                    .set_password(&key.file_text())
                    .map_err(|error| CreateError::Failed(keyring_error(user)(error)))
            }
        }
    }

    /// Erases the slot: a file is overwritten with zeros and synced before it is removed.
    pub(crate) fn erase(&self) -> Result<(), StoreError> {
        match self {
            KeySlot::File(path) => {
                let length = match std::fs::metadata(path) {
                    Ok(metadata) => metadata.len(),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(error) => return Err(StoreError::io(path)(error)),
                };
                let overwrite =
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(path)
                        .and_then(|mut file| {
                            file.write_all(&vec![0u8; usize::try_from(length).unwrap_or(0)])?;
                            file.sync_all()
                        });
                overwrite.map_err(StoreError::io(path))?;
                std::fs::remove_file(path).map_err(StoreError::io(path))?;
                sync_parent(path)
            }
            KeySlot::Keyring { user } => match KeySlot::entry(user)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(error) => Err(keyring_error(user)(error)),
            },
        }
    }

    /// Makes `pending`'s key this slot's key and empties `pending`. The old key is overwritten
    /// first; a crash in between is finished by the next open (the database already uses the
    /// pending key).
    pub(crate) fn promote(&self, pending: &KeySlot) -> Result<(), StoreError> {
        match (self, pending) {
            (KeySlot::File(path), KeySlot::File(pending_path)) => {
                self.erase()?;
                std::fs::rename(pending_path, path).map_err(StoreError::io(path))?;
                sync_parent(path)
            }
            (KeySlot::Keyring { user }, KeySlot::Keyring { .. }) => {
                let key = pending.read()?.ok_or_else(|| StoreError::KeyMissing {
                    path: pending.error_path(),
                })?;
                KeySlot::entry(user)?
                    .set_password(&key.file_text())
                    .map_err(keyring_error(user))?;
                pending.erase()
            }
            _ => Err(StoreError::corrupt("a key rotation mixes key backends")),
        }
    }
}

pub(crate) enum CreateError {
    AlreadyExists,
    Failed(StoreError),
}

fn keyring_error(user: &str) -> impl FnOnce(keyring::Error) -> StoreError {
    let path = PathBuf::from(format!("keyring:{user}"));
    move |error| StoreError::Io {
        path,
        source: std::io::Error::other(error.to_string()),
    }
}

fn sync_parent(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(StoreError::io(parent))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
