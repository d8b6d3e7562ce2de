//! The consent text the candidate sees: versioned files in `assets/consent/`
//! (`<version>.zh-CN.md`, `<version>.en.md`). Loaded once at start-up; a missing file stops the
//! kiosk (config is checked once, at start). The SHA-256 of both texts goes into the session's
//! consent record, so an edited file is a different text.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::AppError;

/// One version of the consent text in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentText {
    pub version: String,
    pub zh_cn: String,
    pub en: String,
    /// Hex SHA-256 of `zh_cn ‖ 0x00 ‖ en`.
    pub sha256: String,
}

impl ConsentText {
    /// Reads `consent/<version>.zh-CN.md` and `consent/<version>.en.md` under `assets`.
    pub fn load(assets: &Path, version: &str) -> Result<ConsentText, AppError> {
        let valid = !version.is_empty()
            && version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !version.starts_with('.');
        if !valid {
            return Err(AppError::Config(format!(
                "flow.consent_version {version:?}: use letters, digits, '-', '_' or '.'"
            )));
        }
        let read = |language: &str| -> Result<String, AppError> {
            let path = assets
                .join("consent")
                .join(format!("{version}.{language}.md"));
            let text = std::fs::read_to_string(&path).map_err(|error| {
                AppError::Config(format!(
                    "flow.consent_version {version:?}: cannot read the consent text {} ({error}); add it or set the version of an existing text",
                    path.display()
                ))
            })?;
            if text.trim().is_empty() {
                return Err(AppError::Config(format!(
                    "flow.consent_version {version:?}: the consent text {} is empty",
                    path.display()
                )));
            }
            Ok(text)
        };
        let zh_cn = read("zh-CN")?;
        let en = read("en")?;
        Ok(ConsentText {
            version: version.to_owned(),
            sha256: text_sha256(&zh_cn, &en),
            zh_cn,
            en,
        })
    }
}

fn text_sha256(zh_cn: &str, en: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(zh_cn.as_bytes());
    hasher.update([0]);
    hasher.update(en.as_bytes());
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_text_loads_and_a_missing_or_odd_version_is_refused() {
        let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets");
        let text = ConsentText::load(&assets, "consent-2027-v1").unwrap();
        assert!(text.zh_cn.contains("单独同意"));
        assert!(text.en.contains("separately consent"));
        assert_eq!(text.sha256.len(), 64);
        assert!(matches!(
            ConsentText::load(&assets, "consent-1999-v9"),
            Err(AppError::Config(message)) if message.contains("consent-1999-v9")
        ));
        assert!(ConsentText::load(&assets, "../../etc/passwd").is_err());
        assert_ne!(text_sha256("a", "b"), text_sha256("a\0", "b"));
    }
}
