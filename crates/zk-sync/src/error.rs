use std::path::PathBuf;

/// What went wrong while syncing, named for what the caller can do.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The desk key file is unreadable or damaged.
    #[error("the desk signing key at {path} cannot be used: {why}; restore it from backup or, on a new desk, remove it and enrol the new key at the hub")]
    DeskKey { path: PathBuf, why: String },
    /// No randomness from the operating system.
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
    /// A value received or built does not follow the wire format.
    #[error("sync protocol error: {0}")]
    Protocol(String),
    /// The hub refused the request for good (4xx other than 409/429): retrying will not help.
    #[error("the hub refused the request ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The hub could not be reached or kept failing after every retry.
    #[error("the hub at {url} is unreachable or failing after {attempts} attempts: {last}; the outbox is intact, run `zk sync push` again later or export a bundle")]
    Unreachable {
        url: String,
        attempts: u32,
        last: String,
    },
    /// The hub's TLS certificate is not trusted (or not for this name): retrying will not help.
    #[error("the hub at {url} presented a TLS certificate this desk does not trust ({why}): pass --ca FILE with the site's CA certificate (PEM), or check the hub URL")]
    Untrusted { url: String, why: String },
    /// The extra CA certificate is unusable.
    #[error("CA certificate: {0}; give the site CA's certificate as a PEM file")]
    BadCa(String),
    /// The hub has not placed this desk at a site, so it has no roster to pull.
    #[error("the hub has this desk enrolled without a site: on the hub run `zk hub enrol-desk --pubkey KEY --site SITE`")]
    NoSite,
    /// The hub URL is not usable.
    #[error("hub URL {url:?}: {why}")]
    BadUrl { url: String, why: String },
    /// An offline bundle, hub key or receipt cannot be used.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// The desk's store failed.
    #[error("desk store: {0}")]
    Store(String),
}

impl SyncError {
    pub(crate) fn protocol(message: impl Into<String>) -> SyncError {
        SyncError::Protocol(message.into())
    }
}
