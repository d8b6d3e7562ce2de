//! The candidate's commands (no token: candidate mode cannot reach staff actions).

use std::sync::Arc;

use tauri::State;
use zk_domain::Input;

use super::blocking;
use crate::desk::Desk;
use crate::dto::{AppInfoDto, DeclarationAnswerDto, DocumentsDto, ViewDto};
use crate::error::CommandError;

type DeskState<'a> = State<'a, Arc<Desk>>;

/// The UI's first call: the log gets the cold-start time (process start to a running UI).
#[tauri::command]
pub fn app_info(desk: DeskState<'_>) -> AppInfoDto {
    static FIRST: std::sync::Once = std::sync::Once::new();
    if let Some(started) = crate::open::STARTED.get() {
        FIRST.call_once(|| {
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "the UI is up (its first call)"
            );
        });
    }
    desk.info.clone()
}

#[tauri::command]
pub async fn documents(desk: DeskState<'_>) -> Result<DocumentsDto, CommandError> {
    blocking(&desk, |desk| {
        desk.with_kiosk(|kiosk| {
            Ok(DocumentsDto::new(
                kiosk.consent_text(),
                kiosk.pledge_documents(),
            ))
        })
    })
    .await
}

#[tauri::command]
pub async fn current_view(desk: DeskState<'_>) -> Result<Option<ViewDto>, CommandError> {
    blocking(&desk, |desk| {
        desk.with_kiosk(|kiosk| Ok(kiosk.view().map(|view| desk.view_dto(kiosk, &view))))
    })
    .await
}

#[tauri::command]
pub async fn start_session(desk: DeskState<'_>) -> Result<ViewDto, CommandError> {
    blocking(&desk, |desk| desk.view_after(|kiosk| kiosk.start_session())).await
}

#[tauri::command]
pub async fn give_consent(desk: DeskState<'_>) -> Result<ViewDto, CommandError> {
    blocking(&desk, |desk| desk.view_after(|kiosk| kiosk.give_consent())).await
}

#[tauri::command]
pub async fn decline_consent(desk: DeskState<'_>) -> Result<ViewDto, CommandError> {
    blocking(&desk, |desk| {
        desk.view_after(|kiosk| kiosk.decline_consent())
    })
    .await
}

/// At the card step: read the card with `device` (`camera` after a failed chip read, or
/// `reader` again).
#[tauri::command]
pub async fn read_card_with(desk: DeskState<'_>, device: String) -> Result<ViewDto, CommandError> {
    let device = match device.as_str() {
        "camera" => zk_domain::CardDevice::Camera,
        "reader" => zk_domain::CardDevice::Reader,
        _ => {
            return Err(CommandError::new(
                "input.rejected",
                format!("no card device {device:?}: use \"reader\" or \"camera\""),
                false,
            ))
        }
    };
    blocking(&desk, move |desk| {
        desk.view_after(|kiosk| kiosk.handle(Input::ReadCardWith(device)))
    })
    .await
}

#[tauri::command]
pub async fn retry(desk: DeskState<'_>) -> Result<ViewDto, CommandError> {
    blocking(&desk, |desk| {
        desk.view_after(|kiosk| kiosk.handle(Input::Retry))
    })
    .await
}

#[tauri::command]
pub async fn accept_pledge(
    desk: DeskState<'_>,
    declaration: Vec<DeclarationAnswerDto>,
) -> Result<ViewDto, CommandError> {
    let declaration = declaration
        .into_iter()
        .map(|answer| (answer.key, answer.value))
        .collect();
    blocking(&desk, |desk| {
        desk.view_after(|kiosk| kiosk.handle(Input::PledgeAccepted { declaration }))
    })
    .await
}

#[tauri::command]
pub async fn decline_pledge(desk: DeskState<'_>) -> Result<ViewDto, CommandError> {
    blocking(&desk, |desk| {
        desk.view_after(|kiosk| kiosk.handle(Input::PledgeDeclined))
    })
    .await
}

#[tauri::command]
pub async fn accept_signature(desk: DeskState<'_>) -> Result<ViewDto, CommandError> {
    blocking(&desk, |desk| {
        desk.view_after(|kiosk| kiosk.handle(Input::SignatureAccepted))
    })
    .await
}

#[tauri::command]
pub async fn activity(desk: DeskState<'_>) -> Result<ViewDto, CommandError> {
    blocking(&desk, |desk| {
        desk.view_after(|kiosk| kiosk.handle(Input::Activity))
    })
    .await
}
