use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use zk_sync::sign::AuthError;
use zk_sync::wire::ErrorBody;

/// The hub's errors; each maps to one HTTP status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    Unauthorized(#[from] AuthError),
    #[error("this desk is not enrolled: run `zk hub enrol-desk --pubkey KEY` on the hub")]
    UnknownDesk,
    #[error("this nonce was already used: a replayed request")]
    Replayed,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the Idempotency-Key was already used for a different request; send a new request with a new key")]
    KeyReused,
    /// The desk asked for something of another site (or it has none).
    #[error("{0}")]
    WrongSite(String),
    #[error("district {district} sitting {sitting} has {left} serials left and {asked} were asked for: ask for at most {left}, or allocate from another district or sitting")]
    SerialsExhausted {
        district: String,
        sitting: String,
        left: u32,
        asked: u32,
    },
    /// A roster to import is refused as a whole (nothing changed).
    #[error("the roster was not imported: {0}")]
    RosterInvalid(String),
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    InProgress,
    #[error("the body does not have the SHA-256 named in the path")]
    HashMismatch,
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("not found")]
    NotFound,
    /// The hub's database failed (disk full, connection lost…): retry later.
    #[error("the hub's database failed ({context}): {message}")]
    Storage {
        context: &'static str,
        message: String,
    },
    /// The database URL or configuration is unusable (start-up).
    #[error("hub database {url}: {why}")]
    Config { url: String, why: String },
    #[error("cannot listen or serve: {0}")]
    Serve(String),
    /// An offline bundle that cannot be imported (damaged, for another hub, badly signed).
    #[error("{0}")]
    Bundle(#[from] zk_sync::BundleError),
    /// This hub has no key for bundles (`zk hub serve --key FILE`).
    #[error("this hub has no bundle key; start it with --key FILE (`zk hub keygen`)")]
    NoHubKey,
}

impl HubError {
    pub(crate) fn storage(context: &'static str) -> impl FnOnce(sqlx::Error) -> HubError {
        move |error| HubError::Storage {
            context,
            message: error.to_string(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            HubError::Unauthorized(_) | HubError::Replayed => StatusCode::UNAUTHORIZED,
            HubError::UnknownDesk | HubError::WrongSite(_) => StatusCode::FORBIDDEN,
            HubError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HubError::SerialsExhausted { .. } => StatusCode::CONFLICT,
            HubError::RosterInvalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::KeyReused | HubError::HashMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::InProgress => StatusCode::CONFLICT,
            HubError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HubError::NotFound => StatusCode::NOT_FOUND,
            HubError::Storage { .. } => StatusCode::SERVICE_UNAVAILABLE,
            HubError::Config { .. } | HubError::Serve(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HubError::Bundle(zk_sync::BundleError::Io(_)) => StatusCode::INTERNAL_SERVER_ERROR,
            HubError::Bundle(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HubError::NoHubKey => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            HubError::Unauthorized(AuthError::OutsideWindow { .. }) => "clock_skew",
            HubError::Unauthorized(_) => "bad_signature",
            HubError::UnknownDesk => "unknown_desk",
            HubError::Replayed => "replayed",
            HubError::BadRequest(_) => "bad_request",
            HubError::WrongSite(_) => "wrong_site",
            HubError::SerialsExhausted { .. } => "serials_exhausted",
            HubError::RosterInvalid(_) => "roster_invalid",
            HubError::KeyReused => "idempotency_key_reused",
            HubError::InProgress => "in_progress",
            HubError::HashMismatch => "hash_mismatch",
            HubError::TooLarge(_) => "too_large",
            HubError::NotFound => "not_found",
            HubError::Storage { .. } => "storage",
            HubError::Config { .. } => "config",
            HubError::Serve(_) => "serve",
            HubError::Bundle(zk_sync::BundleError::BadSignature { .. }) => "bundle_signature",
            HubError::Bundle(zk_sync::BundleError::WrongHub) => "bundle_other_hub",
            HubError::Bundle(_) => "bundle_unusable",
            HubError::NoHubKey => "no_hub_key",
        }
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code(), "request failed: {self}");
        }
        let body = ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
            retryable: matches!(self, HubError::InProgress | HubError::Storage { .. }),
        };
        (status, axum::Json(body)).into_response()
    }
}
