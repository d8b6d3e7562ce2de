//! The HTTP side: signature checks, the batch endpoint with Idempotency-Key, blobs by hash, the
//! site roster (paged by revision) and serial-block allocation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use zk_sync::sign::{verify_request, AuthError, SignedHeaders, REPLAY_WINDOW_MS};
use zk_sync::wire::{
    is_sha256_hex, is_valid_idempotency_key, sha256_hex, BatchRequest, MissingBlobsRequest,
    MissingBlobsResponse, PingResponse, RosterPage, SerialBlockRequest, SerialBlockResponse,
    DEFAULT_ROSTER_PAGE, DESK_HEADER, IDEMPOTENCY_KEY_HEADER, MAX_BATCH_RECORDS, MAX_BLOB_BYTES,
    MAX_ROSTER_PAGE, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, VERSION,
};

use zk_sync::bundle::{HubKey, Receipt};
use zk_sync::wire::{
    decode_blob_pack, BLOB_PACK_PATH, BUNDLES_PATH, MAX_BLOB_PACK_BYTES, MAX_BUNDLE_BYTES,
};

use crate::db::{Claim, HubDb};
use crate::error::HubError;

/// Milliseconds since the Unix epoch (tests inject their own).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Shared by every request.
pub struct HubState {
    pub db: HubDb,
    clock: Clock,
    /// Nonces seen within the replay window: `desk:nonce` → timestamp.
    nonces: Mutex<HashMap<String, i64>>,
    /// Desks found enrolled (enrolment only adds; a miss asks the database again).
    enrolled: Mutex<std::collections::HashSet<String>>,
    /// Opens offline bundles and signs their receipts (`POST /v1/bundles`); none: 503.
    bundle_key: Option<Arc<HubKey>>,
}

impl HubState {
    pub fn new(db: HubDb, clock: Clock) -> HubState {
        HubState {
            db,
            clock,
            nonces: Mutex::new(HashMap::new()),
            enrolled: Mutex::new(std::collections::HashSet::new()),
            bundle_key: None,
        }
    }

    /// With the key that opens offline bundles (`zk hub keygen`).
    pub fn with_bundle_key(mut self, key: Arc<HubKey>) -> HubState {
        self.bundle_key = Some(key);
        self
    }

    /// With the system clock.
    pub fn with_system_clock(db: HubDb) -> HubState {
        HubState::new(db, Arc::new(system_now_ms))
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Checks signature, window, enrolment and nonce; returns the desk's public key.
    async fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<String, HubError> {
        let header = |name: &'static str| -> Result<String, HubError> {
            headers
                .get(name)
                .ok_or(HubError::Unauthorized(AuthError::Missing(name)))?
                .to_str()
                .map(str::to_owned)
                .map_err(|_| HubError::Unauthorized(AuthError::Malformed(name)))
        };
        let signed = SignedHeaders {
            desk: header(DESK_HEADER)?.to_ascii_lowercase(),
            timestamp_ms: header(TIMESTAMP_HEADER)?
                .parse()
                .map_err(|_| HubError::Unauthorized(AuthError::Malformed(TIMESTAMP_HEADER)))?,
            nonce: header(NONCE_HEADER)?,
            signature: header(SIGNATURE_HEADER)?,
        };
        let now = self.now();
        // The query is signed too (the roster's cursor and page size).
        let target = uri
            .path_and_query()
            .map_or_else(|| uri.path(), |target| target.as_str());
        verify_request(&signed, method.as_str(), target, body, now)?;
        let known = self
            .enrolled
            .lock()
            .map_err(|_| HubError::Serve("the desk cache is poisoned".into()))?
            .contains(&signed.desk);
        if !known {
            if !self.db.desk_enrolled(&signed.desk).await? {
                return Err(HubError::UnknownDesk);
            }
            self.enrolled
                .lock()
                .map_err(|_| HubError::Serve("the desk cache is poisoned".into()))?
                .insert(signed.desk.clone());
        }
        let mut nonces = self
            .nonces
            .lock()
            .map_err(|_| HubError::Serve("the nonce cache is poisoned".into()))?;
        if nonces.len() > 200_000 {
            nonces.retain(|_, seen| now.saturating_sub(*seen) <= 2 * REPLAY_WINDOW_MS);
        }
        let entry = format!("{}:{}", signed.desk, signed.nonce);
        if nonces.insert(entry, now).is_some() {
            return Err(HubError::Replayed);
        }
        Ok(signed.desk)
    }
}

pub(crate) fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// The hub's routes.
pub fn router(state: Arc<HubState>) -> Router {
    Router::new()
        .route("/v1/ping", get(ping))
        .route("/v1/batches", post(post_batch))
        .route("/v1/blobs/missing", post(missing_blobs))
        .route(
            BLOB_PACK_PATH,
            post(post_blob_pack).layer(DefaultBodyLimit::max(MAX_BLOB_PACK_BYTES)),
        )
        .route("/v1/blobs/{sha256}", put(put_blob).head(head_blob))
        .route("/v1/sites/{site}/roster", get(roster))
        .route("/v1/serial-blocks", post(post_serial_block))
        .layer(DefaultBodyLimit::max(MAX_BLOB_BYTES + 1024))
        .route(
            BUNDLES_PATH,
            post(post_bundle).layer(DefaultBodyLimit::max(MAX_BUNDLE_BYTES)),
        )
        .with_state(state)
}

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<HubState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HubError> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|error| HubError::Serve(error.to_string()))
}

async fn ping(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<PingResponse>, HubError> {
    let desk = state.authenticate(&method, &uri, &headers, &[]).await?;
    let site = state.db.desk_site(&desk).await?;
    Ok(Json(PingResponse {
        desk,
        version: VERSION,
        site,
    }))
}

/// The request's `Idempotency-Key`.
fn idempotency_key(headers: &HeaderMap) -> Result<String, HubError> {
    headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|key| is_valid_idempotency_key(key))
        .map(str::to_owned)
        .ok_or_else(|| {
            HubError::BadRequest(
                "an Idempotency-Key header of 16 to 128 visible characters is required".into(),
            )
        })
}

/// `after` (default 0) and `limit` (default 500, at most 1000) from the query.
fn roster_query(uri: &Uri) -> Result<(i64, u32), HubError> {
    let mut after = 0i64;
    let mut limit = DEFAULT_ROSTER_PAGE;
    for pair in uri.query().unwrap_or_default().split('&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "after" => {
                after = value
                    .parse()
                    .ok()
                    .filter(|after| *after >= 0)
                    .ok_or_else(|| {
                        HubError::BadRequest(format!(
                            "after={value:?}: use the `next` of the previous page (0 at first)"
                        ))
                    })?;
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|limit| (1..=MAX_ROSTER_PAGE).contains(limit))
                    .ok_or_else(|| {
                        HubError::BadRequest(format!("limit={value:?}: use 1 to {MAX_ROSTER_PAGE}"))
                    })?;
            }
            _ => {}
        }
    }
    Ok((after, limit))
}

async fn roster(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(site): Path<String>,
) -> Result<Json<RosterPage>, HubError> {
    let desk = state.authenticate(&method, &uri, &headers, &[]).await?;
    match state.db.desk_site(&desk).await? {
        Some(own) if own == site => {}
        Some(own) => {
            return Err(HubError::WrongSite(format!(
                "this desk is enrolled at site {own} and may read only that site's roster"
            )))
        }
        None => {
            return Err(HubError::WrongSite(
                "this desk is enrolled without a site: run `zk hub enrol-desk --pubkey KEY --site SITE` on the hub".into(),
            ))
        }
    }
    let (after, limit) = roster_query(&uri)?;
    Ok(Json(state.db.roster_page(&site, after, limit).await?))
}

async fn post_serial_block(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<SerialBlockResponse>, HubError> {
    let desk = state.authenticate(&method, &uri, &headers, &body).await?;
    let key = idempotency_key(&headers)?;
    let request: SerialBlockRequest = serde_json::from_slice(&body)
        .map_err(|error| HubError::BadRequest(format!("not a serial-block request: {error}")))?;
    Ok(Json(
        state
            .db
            .allocate_serials(&desk, &key, &request, state.now())
            .await?,
    ))
}

async fn post_batch(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HubError> {
    let desk = state.authenticate(&method, &uri, &headers, &body).await?;
    let key = idempotency_key(&headers)?;
    let request: BatchRequest = serde_json::from_slice(&body)
        .map_err(|error| HubError::BadRequest(format!("the batch is not v1 JSON: {error}")))?;
    if request.version != VERSION {
        return Err(HubError::BadRequest(format!(
            "batch version {} is not supported (this hub speaks {VERSION})",
            request.version
        )));
    }
    if request.batch_key != key {
        return Err(HubError::BadRequest(
            "the Idempotency-Key header differs from the batch's key".into(),
        ));
    }
    if request.records.len() > MAX_BATCH_RECORDS {
        return Err(HubError::BadRequest(format!(
            "at most {MAX_BATCH_RECORDS} records per batch"
        )));
    }
    let fingerprint = sha256_hex(&body);
    match state
        .db
        .claim(&desk, &key, &fingerprint, state.now())
        .await?
    {
        Claim::Stored(answer) => {
            return Ok((
                StatusCode::OK,
                [
                    ("content-type", "application/json"),
                    ("idempotent-replayed", "true"),
                ],
                answer,
            )
                .into_response())
        }
        Claim::InProgress => return Err(HubError::InProgress),
        Claim::Reused => return Err(HubError::KeyReused),
        Claim::Owned => {}
    }
    match state.db.apply_batch(&desk, &request, state.now()).await {
        Ok(response) => Ok((StatusCode::OK, Json(response)).into_response()),
        Err(error) => {
            state.db.release(&desk, &key).await;
            Err(error)
        }
    }
}

async fn missing_blobs(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MissingBlobsResponse>, HubError> {
    state.authenticate(&method, &uri, &headers, &body).await?;
    let request: MissingBlobsRequest = serde_json::from_slice(&body)
        .map_err(|error| HubError::BadRequest(format!("not a blob list: {error}")))?;
    if let Some(bad) = request.sha256.iter().find(|sha| !is_sha256_hex(sha)) {
        return Err(HubError::BadRequest(format!("{bad:?} is not a SHA-256")));
    }
    Ok(Json(MissingBlobsResponse {
        missing: state.db.missing_blobs(&request.sha256).await?,
    }))
}

/// `POST /v1/blobs`: a pack of blobs, every hash checked, stored in one transaction.
async fn post_blob_pack(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, HubError> {
    state.authenticate(&method, &uri, &headers, &body).await?;
    if body.len() > MAX_BLOB_PACK_BYTES {
        return Err(HubError::TooLarge(MAX_BLOB_PACK_BYTES));
    }
    let blobs = decode_blob_pack(&body).map_err(HubError::BadRequest)?;
    let stored = state.db.put_blobs(&blobs, state.now()).await?;
    Ok(Json(
        serde_json::json!({ "blobs": blobs.len(), "stored": stored }),
    ))
}

async fn head_blob(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(sha256): Path<String>,
) -> Result<StatusCode, HubError> {
    state.authenticate(&method, &uri, &headers, &[]).await?;
    if !is_sha256_hex(&sha256) {
        return Err(HubError::BadRequest("not a SHA-256".into()));
    }
    if state.db.has_blob(&sha256).await? {
        Ok(StatusCode::OK)
    } else {
        Err(HubError::NotFound)
    }
}

async fn put_blob(
    State(state): State<Arc<HubState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(sha256): Path<String>,
    body: Bytes,
) -> Result<StatusCode, HubError> {
    state.authenticate(&method, &uri, &headers, &body).await?;
    if !is_sha256_hex(&sha256) {
        return Err(HubError::BadRequest("not a SHA-256".into()));
    }
    if body.len() > MAX_BLOB_BYTES {
        return Err(HubError::TooLarge(MAX_BLOB_BYTES));
    }
    if sha256_hex(&body) != sha256 {
        return Err(HubError::HashMismatch);
    }
    if state.db.put_blob(&sha256, &body, state.now()).await? {
        Ok(StatusCode::CREATED)
    } else {
        Ok(StatusCode::OK)
    }
}

/// `POST /v1/bundles`: an offline bundle uploaded at the hub (by an admin, from the desk's USB
/// stick). No request signature: the bundle carries the desk's own signature, checked over every
/// byte before anything is applied. The body is spooled to a temporary file (bundles can be
/// larger than memory should hold), imported, and answered with the signed receipt.
async fn post_bundle(
    State(state): State<Arc<HubState>>,
    body: axum::body::Body,
) -> Result<Json<Receipt>, HubError> {
    use http_body_util::BodyExt;
    use std::io::Write;
    let key = state.bundle_key.clone().ok_or(HubError::NoHubKey)?;
    let spool = |error: std::io::Error| {
        HubError::Bundle(zk_sync::BundleError::Io(std::io::Error::new(
            error.kind(),
            format!("spooling the upload: {error}"),
        )))
    };
    let file = tempfile::NamedTempFile::new().map_err(spool)?;
    let mut writer = std::io::BufWriter::new(file.reopen().map_err(spool)?);
    let mut body = body;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|error| HubError::BadRequest(format!("upload failed: {error}")))?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total > MAX_BUNDLE_BYTES {
                return Err(HubError::TooLarge(MAX_BUNDLE_BYTES));
            }
            writer.write_all(&data).map_err(spool)?;
        }
    }
    writer.flush().map_err(spool)?;
    drop(writer);
    let receipt = crate::bundle::import_bundle(&state.db, key, file.path(), state.now()).await?;
    Ok(Json(receipt))
}
