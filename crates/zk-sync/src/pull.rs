//! Down from the hub: the site's roster, page by page after the desk's cursor, and serial blocks
//! asked for under a persisted Idempotency-Key. Both resume after any failure without loss or
//! double effect: a roster page and its cursor are one transaction at the desk, and a serial
//! request's key is stored before it is sent and closed with the block it brought.

use serde::Serialize;
use zk_domain::{SerialBlock, Sitting, Timestamp};
use zk_store::{RosterPullOutcome, SerialRequest, Store, StoreError};

use crate::push::SyncEvent;
use crate::roster::registration_of;
use crate::sign::new_nonce;
use crate::transport::HttpUpstream;
use crate::wire::{SerialBlockRequest, SerialBlockResponse, DEFAULT_ROSTER_PAGE, MAX_ROSTER_PAGE};
use crate::SyncError;

fn store_error(error: StoreError) -> SyncError {
    SyncError::Store(error.to_string())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullOptions {
    /// The site to pull (default: the site the hub has this desk enrolled at).
    pub site: Option<String>,
    /// Rows per page (1–1000).
    pub page_rows: u32,
    /// Stop after this many pages (tests; `None`: until the hub has no more).
    pub max_pages: Option<u64>,
}

impl Default for PullOptions {
    fn default() -> PullOptions {
        PullOptions {
            site: None,
            page_rows: DEFAULT_ROSTER_PAGE,
            max_pages: None,
        }
    }
}

/// One registration not applied, and why (never a personal value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeldBack {
    pub registration_id: String,
    pub reason: String,
}

/// What a pull did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub site: String,
    /// The cursor before and after.
    pub cursor_from: i64,
    pub cursor: i64,
    pub pages: u64,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    /// Registrations confirmed at this desk, left untouched.
    pub kept_confirmed: u64,
    /// Confirmed here, but the hub now gives another ID number or name: not applied.
    pub identity_changes: u64,
    /// Rows not applied (invalid, or an ID number another registration holds here).
    pub refused: u64,
    /// The registrations behind `identity_changes` and `refused`.
    pub held_back: Vec<HeldBack>,
    /// Whether the hub has more rows after `cursor` (a pull stopped by `max_pages`).
    pub more: bool,
}

/// Pulls the site's roster after the desk's cursor, page by page, until the hub has no more.
/// Each page is applied with its cursor in one transaction, so an interrupted pull loses
/// nothing and the next one starts after the last page applied.
pub async fn pull_roster(
    store: &mut Store,
    upstream: &HttpUpstream,
    options: &PullOptions,
    events: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<PullReport, SyncError> {
    let site = match &options.site {
        Some(site) => site.clone(),
        None => upstream.ping(events).await?.site.ok_or(SyncError::NoSite)?,
    };
    if !crate::wire::is_valid_site(&site) {
        return Err(SyncError::protocol(format!("{site:?} is not a site id")));
    }
    let limit = options.page_rows.clamp(1, MAX_ROSTER_PAGE);
    let mut cursor = store.roster_cursor(&site).map_err(store_error)?;
    let mut report = PullReport {
        site: site.clone(),
        cursor_from: cursor,
        cursor,
        ..PullReport::default()
    };
    let mut total = RosterPullOutcome::default();
    loop {
        if options.max_pages.is_some_and(|max| report.pages >= max) {
            break;
        }
        let page = upstream.roster_page(&site, cursor, limit, events).await?;
        if page.site != site {
            return Err(SyncError::protocol(format!(
                "asked for site {site}, the hub answered with site {}",
                page.site
            )));
        }
        let mut last = cursor;
        for row in &page.rows {
            if row.revision <= last {
                return Err(SyncError::protocol(format!(
                    "the hub sent revision {} after {last}: its roster pages are out of order",
                    row.revision
                )));
            }
            last = row.revision;
        }
        if page.next != last || (page.more && page.rows.is_empty()) {
            return Err(SyncError::protocol(format!(
                "the hub's roster page ends at {last} but says the next cursor is {}",
                page.next
            )));
        }
        let mut registrations = Vec::with_capacity(page.rows.len());
        let mut unreadable = Vec::new();
        for row in &page.rows {
            match registration_of(&row.registration) {
                Ok(registration) => registrations.push(registration),
                Err(why) => unreadable.push((row.registration.registration_id.clone(), why)),
            }
        }
        let outcome = store
            .apply_roster_page(
                &site,
                &registrations,
                unreadable,
                page.next,
                Timestamp::from_millis(upstream.now_ms()),
            )
            .map_err(store_error)?;
        events(SyncEvent::RosterPage {
            site: site.clone(),
            rows: page.rows.len(),
            cursor: page.next,
        });
        report.pages += 1;
        report.rows += page.rows.len() as u64;
        total.absorb(outcome);
        cursor = page.next;
        report.cursor = cursor;
        report.more = page.more;
        if !page.more {
            break;
        }
    }
    report.inserted = total.inserted;
    report.updated = total.updated;
    report.kept_confirmed = total.kept_confirmed;
    report.identity_changes = total.identity_changes.len() as u64;
    report.refused = total.refused.len() as u64;
    report.held_back = total
        .identity_changes
        .into_iter()
        .map(|registration_id| HeldBack {
            registration_id,
            reason: "confirmed here; the hub now gives another ID number or name".into(),
        })
        .chain(
            total
                .refused
                .into_iter()
                .map(|(registration_id, reason)| HeldBack {
                    registration_id,
                    reason,
                }),
        )
        .collect();
    Ok(report)
}

/// What `request_serial_block` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SerialsReport {
    /// The block asked for now, recorded in the store.
    pub block: SerialBlockResponse,
    /// The block came from an earlier request of the same size, district and sitting whose answer
    /// was lost: asked again under its key, not a new block.
    pub resumed: bool,
    /// A different earlier request whose answer was lost, finished first (its block recorded).
    pub finished_earlier: Option<SerialBlockResponse>,
}

/// Asks the hub for `size` serials of `district` and `sitting` and records the block in the
/// store (audited as `actor`). A request whose answer was lost is finished first, under its own
/// key: when it asked for the same, its block is the answer (never a second block).
pub async fn request_serial_block(
    store: &mut Store,
    upstream: &HttpUpstream,
    request: &SerialBlockRequest,
    actor: &str,
    events: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<SerialsReport, SyncError> {
    request.check().map_err(SyncError::Protocol)?;
    let sitting =
        Sitting::parse(&request.sitting).map_err(|error| SyncError::protocol(error.to_string()))?;
    let mut finished_earlier = None;
    if let Some(open) = store.open_serial_request().map_err(store_error)? {
        let earlier = SerialBlockRequest {
            district: open.district.clone(),
            sitting: open.sitting.code(),
            size: open.size,
        };
        let block = send_and_record(store, upstream, &open.key, &earlier, actor, events).await?;
        if earlier == *request {
            return Ok(SerialsReport {
                block,
                resumed: true,
                finished_earlier: None,
            });
        }
        finished_earlier = Some(block);
    }
    let open = SerialRequest {
        key: new_nonce()?,
        district: request.district.clone(),
        sitting,
        size: request.size,
    };
    store
        .begin_serial_request(&open, Timestamp::from_millis(upstream.now_ms()))
        .map_err(store_error)?;
    let block = send_and_record(store, upstream, &open.key, request, actor, events).await?;
    Ok(SerialsReport {
        block,
        resumed: false,
        finished_earlier,
    })
}

/// Sends the open request `key` and records its block. A final refusal closes the request (the
/// hub allocated nothing under it); an unreachable hub leaves it open for the next run.
async fn send_and_record(
    store: &mut Store,
    upstream: &HttpUpstream,
    key: &str,
    request: &SerialBlockRequest,
    actor: &str,
    events: &mut (dyn FnMut(SyncEvent) + Send),
) -> Result<SerialBlockResponse, SyncError> {
    let answer = match upstream.post_serial_block(request, key, events).await {
        Ok(answer) => answer,
        Err(error) => {
            if let SyncError::Refused { code, .. } = &error {
                store
                    .refuse_serial_request(key, code, Timestamp::from_millis(upstream.now_ms()))
                    .map_err(store_error)?;
            }
            return Err(error);
        }
    };
    let sitting = Sitting::parse(&answer.sitting)
        .map_err(|error| SyncError::protocol(format!("the hub's serial block: {error}")))?;
    let block = SerialBlock::new(
        &answer.block_id,
        &answer.district,
        sitting,
        answer.first,
        answer.last,
    )
    .map_err(|error| SyncError::protocol(format!("the hub's serial block: {error}")))?;
    store
        .complete_serial_request(
            key,
            &block,
            actor,
            Timestamp::from_millis(upstream.now_ms()),
        )
        .map_err(store_error)?;
    events(SyncEvent::SerialBlock {
        block_id: answer.block_id.clone(),
        first: answer.first,
        last: answer.last,
    });
    Ok(answer)
}
