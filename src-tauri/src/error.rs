//! `CommandError {code, message, retryable}`: the only error the UI sees. Codes are stable
//! (`docs/ipc.md`); the UI shows its own text for a known code and the message otherwise.

use serde::Serialize;
use zk_app::AppError;
use zk_domain::StaffRefusal;
use zk_store::StoreError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    pub retryable: bool,
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>, retryable: bool) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            retryable,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> CommandError {
        CommandError::new("bad_request", message, false)
    }

    pub fn internal(message: impl Into<String>) -> CommandError {
        CommandError::new("internal", message, true)
    }

    pub fn staff_token() -> CommandError {
        CommandError::new(
            "staff.token",
            "this staff sign-in is not valid here; sign in again",
            false,
        )
    }
}

impl From<AppError> for CommandError {
    fn from(error: AppError) -> CommandError {
        let message = error.to_string();
        let (code, retryable) = match &error {
            AppError::SessionOpen => ("session.open", false),
            AppError::NoSession => ("session.none", false),
            AppError::Rejected { .. } => ("input.rejected", false),
            AppError::CardImage { .. } => ("card.image", true),
            AppError::StaffOnly(_) => ("staff.only", false),
            AppError::NotShown => ("artefact.not_found", false),
            AppError::Staff(refusal) => match refusal {
                StaffRefusal::NotSignedIn => ("staff.token", false),
                StaffRefusal::SessionExpired => ("staff.expired", false),
                StaffRefusal::RoleTooLow { .. }
                | StaffRefusal::SecondPersonRequired
                | StaffRefusal::SecondPersonIsTheSame => ("staff.role", false),
            },
            AppError::Store(StoreError::SignInRefused | StoreError::UnknownOperator { .. }) => {
                ("staff.sign_in_failed", false)
            }
            AppError::Store(StoreError::OperatorLocked { .. }) => ("staff.locked", false),
            AppError::Store(StoreError::UnknownArtefact { .. }) => ("artefact.not_found", false),
            AppError::Store(_) => ("store", true),
            AppError::Device(_) => ("device", true),
            AppError::Config(_) | AppError::AssetsMissing(_) => ("config", false),
            // Only at start-up (a missing or unbuilt recogniser); a decode error never surfaces.
            AppError::Asr(_) => ("config", false),
            AppError::Vision(_) | AppError::Liveness(_) | AppError::Image(_) => ("internal", true),
        };
        tracing::warn!(code, "command failed: {message}");
        CommandError {
            code,
            message,
            retryable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(error: CommandError) -> String {
        serde_json::to_string(&error).unwrap()
    }

    #[test]
    fn the_json_the_ui_sees_is_pinned() {
        assert_eq!(
            json(AppError::SessionOpen.into()),
            r#"{"code":"session.open","message":"a candidate session is already open; finish or cancel it first","retryable":false}"#
        );
        assert_eq!(
            json(AppError::Staff(StaffRefusal::SessionExpired).into()),
            r#"{"code":"staff.expired","message":"the staff session timed out; sign in again","retryable":false}"#
        );
        assert_eq!(
            json(AppError::Store(StoreError::SignInRefused).into()),
            format!(
                r#"{{"code":"staff.sign_in_failed","message":"{}","retryable":false}}"#,
                StoreError::SignInRefused
            )
        );
        assert_eq!(
            json(CommandError::staff_token()),
            r#"{"code":"staff.token","message":"this staff sign-in is not valid here; sign in again","retryable":false}"#
        );
    }

    #[test]
    fn the_ui_fixture_matches_the_type() {
        let fixture = crate::tests_support::fixture("error.json");
        let parsed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_value(fixture).unwrap();
        let mut keys: Vec<&str> = parsed.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["code", "message", "retryable"]);
    }

    #[test]
    fn every_code_has_a_translation_in_the_ui() {
        let codes = [
            "session.open",
            "session.none",
            "input.rejected",
            "staff.only",
            "staff.sign_in_failed",
            "staff.locked",
            "staff.role",
            "staff.expired",
            "staff.token",
            "device",
            "store",
            "config",
            "internal",
            "artefact.not_found",
            "bad_request",
            "card.image",
        ];
        for locale in ["zh-CN.json", "en.json"] {
            let path = crate::tests_support::repo()
                .join("ui/src/locales")
                .join(locale);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            let locale: serde_json::Value = serde_json::from_str(&text).unwrap();
            for code in codes {
                let found = locale
                    .get("errors")
                    .and_then(|errors| errors.get(code))
                    .or_else(|| locale.get(format!("errors.{code}")))
                    .or_else(|| {
                        code.split('.')
                            .try_fold(locale.get("errors")?, |node, part| node.get(part))
                    });
                assert!(
                    found.is_some(),
                    "{} has no text for errors.{code}",
                    path.display()
                );
            }
        }
    }
}
