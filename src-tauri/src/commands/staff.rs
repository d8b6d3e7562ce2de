//! Staff commands: every one carries the token `staff_sign_in` handed out.

use std::sync::Arc;

use tauri::State;
use zk_app::StaffCommand;
use zk_domain::{ReasonCode, StaffAction};

use super::blocking;
use crate::desk::Desk;
use crate::dto::{DeskStatusDto, ReviewDto, StaffCommandDto, StaffDto, TodaySessionDto, ViewDto};
use crate::error::CommandError;
use crate::sync::{SyncJob, SyncWorker, SyncWorkerStatus};

type DeskState<'a> = State<'a, Arc<Desk>>;
type SyncState<'a> = State<'a, Arc<SyncWorker>>;

fn reason(code: Option<String>) -> Result<Option<ReasonCode>, CommandError> {
    code.map(|code| {
        ReasonCode::from_code(&code)
            .ok_or_else(|| CommandError::bad_request(format!("{code:?} is not a reason code")))
    })
    .transpose()
}

fn note(note: String) -> Result<String, CommandError> {
    if note.trim().is_empty() {
        return Err(CommandError::bad_request(
            "a decision needs a note saying what was checked",
        ));
    }
    Ok(note)
}

#[tauri::command]
pub async fn staff_sign_in(
    desk: DeskState<'_>,
    operator: String,
    secret: String,
) -> Result<StaffDto, CommandError> {
    blocking(&desk, move |desk| {
        let token = desk.with_kiosk(|kiosk| kiosk.sign_in(&operator, &secret))?;
        let role = token.role().code().to_owned();
        let operator = token.operator().to_owned();
        Ok(StaffDto {
            token: desk.remember_staff(token),
            operator,
            role,
        })
    })
    .await
}

#[tauri::command]
pub async fn staff_sign_out(desk: DeskState<'_>, token: String) -> Result<(), CommandError> {
    blocking(&desk, move |desk| match desk.forget_staff(&token) {
        Some(token) => desk.with_kiosk(|kiosk| kiosk.sign_out(&token)),
        None => Ok(()),
    })
    .await
}

#[tauri::command]
pub async fn desk_status(
    desk: DeskState<'_>,
    sync: SyncState<'_>,
    token: String,
) -> Result<DeskStatusDto, CommandError> {
    let worker = sync.status();
    blocking(&desk, move |desk| {
        let token = desk.staff_token(&token)?;
        let status = desk.with_kiosk(|kiosk| kiosk.desk_status(&token))?;
        Ok(DeskStatusDto::new(
            &status,
            desk.device_states(),
            desk.today(),
            worker,
        ))
    })
    .await
}

/// Today's sessions at this desk, newest first.
#[tauri::command]
pub async fn today_list(
    desk: DeskState<'_>,
    token: String,
) -> Result<Vec<TodaySessionDto>, CommandError> {
    blocking(&desk, move |desk| {
        let token = desk.staff_token(&token)?;
        let rows = desk.with_kiosk(|kiosk| kiosk.today_sessions(&token))?;
        Ok(rows.iter().map(TodaySessionDto::from).collect())
    })
    .await
}

/// Queues `job` on the sync worker once `token` may do `action`; answers at once (progress
/// comes as `kiosk://sync-progress`).
async fn queue_sync(
    desk: DeskState<'_>,
    sync: SyncState<'_>,
    token: String,
    action: StaffAction,
    job: SyncJob,
) -> Result<SyncWorkerStatus, CommandError> {
    let worker = Arc::clone(&sync);
    blocking(&desk, move |desk| {
        let token = desk.staff_token(&token)?;
        desk.with_kiosk(|kiosk| kiosk.authorize_staff(&token, action))?;
        worker.request(job).map_err(|refusal| {
            CommandError::new("sync.not_configured", refusal.to_string(), false)
        })?;
        Ok(worker.status())
    })
    .await
}

/// Pushes the waiting records to the hub now.
#[tauri::command]
pub async fn sync_now(
    desk: DeskState<'_>,
    sync: SyncState<'_>,
    token: String,
) -> Result<SyncWorkerStatus, CommandError> {
    queue_sync(desk, sync, token, StaffAction::SyncNow, SyncJob::Push).await
}

/// Writes the waiting records to a bundle file for the hub (an admin's task).
#[tauri::command]
pub async fn sync_export(
    desk: DeskState<'_>,
    sync: SyncState<'_>,
    token: String,
) -> Result<SyncWorkerStatus, CommandError> {
    queue_sync(desk, sync, token, StaffAction::Export, SyncJob::Export).await
}

#[tauri::command]
pub async fn review(desk: DeskState<'_>, token: String) -> Result<Option<ReviewDto>, CommandError> {
    blocking(&desk, move |desk| {
        let token = desk.staff_token(&token)?;
        let case = desk.with_kiosk(|kiosk| kiosk.review(&token))?;
        Ok(case.as_ref().map(ReviewDto::from))
    })
    .await
}

/// Staff read the card from two image files (a photo or scan of each side) at the card step.
#[tauri::command]
pub async fn card_from_images(
    desk: DeskState<'_>,
    token: String,
    front: Vec<u8>,
    back: Vec<u8>,
) -> Result<ViewDto, CommandError> {
    blocking(&desk, move |desk| {
        let token = desk.staff_token(&token)?;
        desk.view_after(|kiosk| kiosk.read_card_from_images(&token, &front, &back))
    })
    .await
}

#[tauri::command]
pub async fn staff_command(
    desk: DeskState<'_>,
    token: String,
    command: StaffCommandDto,
) -> Result<ViewDto, CommandError> {
    blocking(&desk, move |desk| {
        let token = desk.staff_token(&token)?;
        let command = match command {
            StaffCommandDto::TakeOver => StaffCommand::TakeOver,
            StaffCommandDto::Retry => StaffCommand::Retry,
            StaffCommandDto::Cancel => StaffCommand::Cancel,
            StaffCommandDto::Approve {
                reason: code,
                note: text,
                second_token,
            } => StaffCommand::Approve {
                reason: reason(code)?,
                note: note(text)?,
                second: second_token.map(|key| desk.staff_token(&key)).transpose()?,
            },
            StaffCommandDto::Reject {
                reason: code,
                note: text,
            } => StaffCommand::Reject {
                reason: reason(code)?,
                note: note(text)?,
            },
        };
        desk.view_after(|kiosk| kiosk.staff(&token, command))
    })
    .await
}
