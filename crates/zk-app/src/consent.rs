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
        ConsentText::load_from(assets, "consent", version)
    }

    /// Reads `pledge/<version>.{zh-CN,en}.md`: the candidate instructions and pledge (考生须知及
    /// 诚信承诺), versioned like the consent text.
    pub fn load_pledge(assets: &Path, version: &str) -> Result<ConsentText, AppError> {
        ConsentText::load_from(assets, "pledge", version)
    }

    fn load_from(assets: &Path, folder: &str, version: &str) -> Result<ConsentText, AppError> {
        let valid = !version.is_empty()
            && version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !version.starts_with('.');
        if !valid {
            return Err(AppError::Config(format!(
                "{folder} version {version:?}: use letters, digits, '-', '_' or '.'"
            )));
        }
        let read = |language: &str| -> Result<String, AppError> {
            let path = assets.join(folder).join(format!("{version}.{language}.md"));
            let text = std::fs::read_to_string(&path).map_err(|error| {
                AppError::Config(format!(
                    "{folder} version {version:?}: cannot read the text {} ({error}); add it or set the version of an existing text",
                    path.display()
                ))
            })?;
            if text.trim().is_empty() {
                return Err(AppError::Config(format!(
                    "{folder} version {version:?}: the text {} is empty",
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
        let pledge = ConsentText::load_pledge(&assets, "pledge-2027-v1").unwrap();
        assert!(pledge.zh_cn.contains("诚信") && pledge.en.contains("pledge"));
        assert_ne!(pledge.sha256, text.sha256);
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

/// One yes/no item of the optional declaration form at the pledge step.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct DeclarationItem {
    pub key: String,
    pub zh: String,
    pub en: String,
}

/// The texts the candidate is shown besides the consent: the pledge and the declaration form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PledgeDocuments {
    pub pledge: ConsentText,
    pub declaration: Vec<DeclarationItem>,
}

impl PledgeDocuments {
    /// `pledge/<version>.{zh-CN,en}.md` and `pledge/declaration.json` under `assets`.
    pub fn load(assets: &Path, version: &str) -> Result<PledgeDocuments, AppError> {
        let pledge = ConsentText::load_pledge(assets, version)?;
        let path = assets.join("pledge").join("declaration.json");
        let text = std::fs::read_to_string(&path).map_err(|error| {
            AppError::Config(format!(
                "cannot read the declaration form {} ({error}); restore it from the repository",
                path.display()
            ))
        })?;
        let declaration: Vec<DeclarationItem> = serde_json::from_str(&text).map_err(|error| {
            AppError::Config(format!(
                "the declaration form {} is not valid: {error}",
                path.display()
            ))
        })?;
        let mut keys = std::collections::HashSet::new();
        for item in &declaration {
            if item.key.trim().is_empty() || !keys.insert(item.key.as_str()) {
                return Err(AppError::Config(format!(
                    "the declaration form {} has an empty or repeated key {:?}",
                    path.display(),
                    item.key
                )));
            }
        }
        Ok(PledgeDocuments {
            pledge,
            declaration,
        })
    }
}
