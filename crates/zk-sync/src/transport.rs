//! The HTTP transport (reqwest over rustls): signs every request (path and query), times out,
//! retries what may succeed later (connection errors, timeouts, 429, 5xx, and a 409 whose body
//! says it is retryable) with exponential backoff and full jitter, and refuses at once what will
//! not (other 4xx, an untrusted TLS certificate). Extra trusted roots (a site's private CA) come
//! from a PEM file. It only moves bytes; the planner decides.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::push::SyncEvent;
use crate::sign::{new_nonce, DeskKey};
use crate::wire::{
    blob_path, roster_query, BatchRequest, BatchResponse, ErrorBody, MissingBlobsRequest,
    MissingBlobsResponse, PingResponse, RosterPage, SerialBlockRequest, SerialBlockResponse,
    BATCHES_PATH, BLOB_PACK_PATH, DESK_HEADER, IDEMPOTENCY_KEY_HEADER, MISSING_BLOBS_PATH,
    NONCE_HEADER, PING_PATH, SERIAL_BLOCKS_PATH, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use crate::SyncError;

/// Timeouts and retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub attempts: u32,
    /// The first backoff; doubles each retry up to `max_delay` (full jitter: a random delay
    /// between zero and that).
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based), given a uniform `random` in [0, 1).
    pub fn delay(&self, retry: u32, random: f64) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        ceiling.mul_f64(random.clamp(0.0, 1.0))
    }
}

/// Milliseconds since the Unix epoch, from the caller (the desk's clock; tests skew it).
pub type WallClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A hub reached over HTTP(S). Cheap to clone (shared client and key).
#[derive(Clone)]
pub struct HttpUpstream {
    client: reqwest::Client,
    base_url: String,
    key: Arc<DeskKey>,
    clock: WallClock,
    retry: RetryPolicy,
}

impl std::fmt::Debug for HttpUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpUpstream")
            .field("base_url", &self.base_url)
            .field("key", &self.key)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

enum Attempt {
    Done(StatusCode, Vec<u8>),
    Retry(String),
}

impl HttpUpstream {
    pub fn new(
        base_url: &str,
        key: DeskKey,
        clock: WallClock,
        retry: RetryPolicy,
    ) -> Result<HttpUpstream, SyncError> {
        HttpUpstream::build(base_url, key, clock, retry, None)
    }

    /// Like [`HttpUpstream::new`], also trusting the certificates in `ca_pem` (one or more PEM
    /// `CERTIFICATE` blocks: a site's private CA) beside the public roots.
    pub fn with_ca(
        base_url: &str,
        key: DeskKey,
        clock: WallClock,
        retry: RetryPolicy,
        ca_pem: &[u8],
    ) -> Result<HttpUpstream, SyncError> {
        HttpUpstream::build(base_url, key, clock, retry, Some(ca_pem))
    }

    fn build(
        base_url: &str,
        key: DeskKey,
        clock: WallClock,
        retry: RetryPolicy,
        ca_pem: Option<&[u8]>,
    ) -> Result<HttpUpstream, SyncError> {
        let trimmed = base_url.trim_end_matches('/');
        if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
            return Err(SyncError::BadUrl {
                url: base_url.to_owned(),
                why: "use http://HOST:PORT or https://HOST:PORT".into(),
            });
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(retry.connect_timeout)
            .timeout(retry.request_timeout);
        if let Some(pem) = ca_pem {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|error| SyncError::BadCa(error.to_string()))?;
            if certificates.is_empty() {
                return Err(SyncError::BadCa("no CERTIFICATE block in it".into()));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder.build().map_err(|error| SyncError::BadUrl {
            url: base_url.to_owned(),
            why: format!("cannot build the HTTP client: {error}"),
        })?;
        Ok(HttpUpstream {
            client,
            base_url: trimmed.to_owned(),
            key: Arc::new(key),
            clock,
            retry,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        body: &[u8],
        idempotency_key: Option<&str>,
    ) -> Result<Attempt, SyncError> {
        let nonce = new_nonce()?;
        let signed = self
            .key
            .sign_request(method.as_str(), path, body, self.now_ms(), &nonce);
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base_url))
            .header(DESK_HEADER, &signed.desk)
            .header(TIMESTAMP_HEADER, signed.timestamp_ms.to_string())
            .header(NONCE_HEADER, &signed.nonce)
            .header(SIGNATURE_HEADER, &signed.signature);
        if let Some(key) = idempotency_key {
            request = request.header(IDEMPOTENCY_KEY_HEADER, key);
        }
        if !body.is_empty() {
            request = request
                .header("content-type", "application/json")
                .body(body.to_vec());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                if let Some(why) = certificate_problem(&error) {
                    return Err(SyncError::Untrusted {
                        url: self.base_url.clone(),
                        why,
                    });
                }
                return Ok(Attempt::Retry(describe(&error)));
            }
        };
        let status = response.status();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            // The hub may have acted; only the answer was lost. The request is idempotent.
            Err(error) => return Ok(Attempt::Retry(describe(&error))),
        };
        if status.is_server_error()
            || status == StatusCode::CONFLICT
            || status == StatusCode::TOO_MANY_REQUESTS
        {
            let body = serde_json::from_slice::<ErrorBody>(&bytes).ok();
            // A 409 the hub calls final (serials used up) is an answer, not a busy key.
            if status == StatusCode::CONFLICT && body.as_ref().is_some_and(|body| !body.retryable) {
                return Ok(Attempt::Done(status, bytes));
            }
            let message = body
                .map(|body| body.message)
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
            return Ok(Attempt::Retry(format!("{status}: {message}")));
        }
        Ok(Attempt::Done(status, bytes))
    }

    /// Sends with retries; returns the status and body of the first final answer.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: &[u8],
        idempotency_key: Option<&str>,
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<(StatusCode, Vec<u8>), SyncError> {
        let mut last = String::new();
        let attempts = self.retry.attempts.max(1);
        for attempt in 1..=attempts {
            match self.attempt(&method, path, body, idempotency_key).await? {
                Attempt::Done(status, bytes) => return Ok((status, bytes)),
                Attempt::Retry(why) => last = why,
            }
            if attempt < attempts {
                let delay = self.retry.delay(attempt, random_unit());
                events(SyncEvent::Retrying {
                    path: path.to_owned(),
                    attempt,
                    delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason: last.clone(),
                });
                tokio::time::sleep(delay).await;
            }
        }
        Err(SyncError::Unreachable {
            url: format!("{}{path}", self.base_url),
            attempts,
            last,
        })
    }

    fn refused(status: StatusCode, bytes: &[u8]) -> SyncError {
        match serde_json::from_slice::<ErrorBody>(bytes) {
            Ok(body) => SyncError::Refused {
                status: status.as_u16(),
                code: body.code,
                message: body.message,
            },
            Err(_) => SyncError::Refused {
                status: status.as_u16(),
                code: "unknown".into(),
                message: String::from_utf8_lossy(bytes).chars().take(300).collect(),
            },
        }
    }

    /// `POST /v1/batches` with the batch key as `Idempotency-Key`.
    pub async fn post_batch(
        &self,
        request: &BatchRequest,
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<BatchResponse, SyncError> {
        let body = serde_json::to_vec(request)
            .map_err(|error| SyncError::protocol(format!("cannot encode the batch: {error}")))?;
        let (status, bytes) = self
            .send(
                Method::POST,
                BATCHES_PATH,
                &body,
                Some(&request.batch_key),
                events,
            )
            .await?;
        if !status.is_success() {
            return Err(HttpUpstream::refused(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| SyncError::protocol(format!("the hub's batch answer: {error}")))
    }

    /// `GET /v1/ping`: the desk as the hub knows it (its site).
    pub async fn ping(
        &self,
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<PingResponse, SyncError> {
        let (status, bytes) = self.send(Method::GET, PING_PATH, &[], None, events).await?;
        if !status.is_success() {
            return Err(HttpUpstream::refused(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| SyncError::protocol(format!("the hub's ping answer: {error}")))
    }

    /// `GET /v1/sites/{site}/roster?after=…&limit=…`: one page of the site's roster.
    pub async fn roster_page(
        &self,
        site: &str,
        after: i64,
        limit: u32,
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<RosterPage, SyncError> {
        let target = roster_query(site, after, limit);
        let (status, bytes) = self.send(Method::GET, &target, &[], None, events).await?;
        if !status.is_success() {
            return Err(HttpUpstream::refused(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| SyncError::protocol(format!("the hub's roster page: {error}")))
    }

    /// `POST /v1/serial-blocks` under `key`: the same key always gets the same block.
    pub async fn post_serial_block(
        &self,
        request: &SerialBlockRequest,
        key: &str,
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<SerialBlockResponse, SyncError> {
        let body =
            serde_json::to_vec(request).map_err(|error| SyncError::protocol(error.to_string()))?;
        let (status, bytes) = self
            .send(Method::POST, SERIAL_BLOCKS_PATH, &body, Some(key), events)
            .await?;
        if !status.is_success() {
            return Err(HttpUpstream::refused(status, &bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| SyncError::protocol(format!("the hub's serial block: {error}")))
    }

    /// `POST /v1/blobs/missing`: which of `hashes` the hub lacks.
    pub async fn missing_blobs(
        &self,
        hashes: Vec<String>,
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<Vec<String>, SyncError> {
        let body = serde_json::to_vec(&MissingBlobsRequest { sha256: hashes })
            .map_err(|error| SyncError::protocol(error.to_string()))?;
        let (status, bytes) = self
            .send(Method::POST, MISSING_BLOBS_PATH, &body, None, events)
            .await?;
        if !status.is_success() {
            return Err(HttpUpstream::refused(status, &bytes));
        }
        let answer: MissingBlobsResponse = serde_json::from_slice(&bytes)
            .map_err(|error| SyncError::protocol(format!("the hub's blob answer: {error}")))?;
        Ok(answer.missing)
    }

    /// `HEAD /v1/blobs/{sha256}`: whether the hub has it.
    pub async fn has_blob(
        &self,
        sha256: &str,
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<bool, SyncError> {
        let (status, bytes) = self
            .send(Method::HEAD, &blob_path(sha256), &[], None, events)
            .await?;
        match status {
            status if status.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            status => Err(HttpUpstream::refused(status, &bytes)),
        }
    }

    /// `POST /v1/blobs`: several blobs in one request (one transaction at the hub).
    pub async fn put_blob_pack(
        &self,
        pack: &[u8],
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<(), SyncError> {
        let (status, answer) = self
            .send(Method::POST, BLOB_PACK_PATH, pack, None, events)
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(HttpUpstream::refused(status, &answer))
        }
    }

    /// `PUT /v1/blobs/{sha256}`.
    pub async fn put_blob(
        &self,
        sha256: &str,
        bytes: &[u8],
        events: &mut (dyn FnMut(SyncEvent) + Send),
    ) -> Result<(), SyncError> {
        let (status, answer) = self
            .send(Method::PUT, &blob_path(sha256), bytes, None, events)
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(HttpUpstream::refused(status, &answer))
        }
    }
}

/// The TLS certificate problem behind a failed request, if that is what failed.
fn certificate_problem(error: &reqwest::Error) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(inner) = next {
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::InvalidCertRevocationList(_)
            )
            .then(|| tls.to_string());
        }
        // An io::Error's source() skips the error it wraps (rustls's, or another io::Error).
        next = match inner.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(wrapped) => Some(wrapped as &(dyn std::error::Error + 'static)),
                None => inner.source(),
            },
            None => inner.source(),
        };
    }
    None
}

fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
