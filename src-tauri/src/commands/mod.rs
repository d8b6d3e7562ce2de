//! Tauri commands: each parses its arguments, calls one `zk_app::Kiosk` method on a blocking
//! thread (steps wait for devices), and maps the answer to a DTO or a `CommandError`.

pub mod candidate;
pub mod media;
pub mod staff;

use std::sync::Arc;

use crate::desk::Desk;
use crate::error::CommandError;

/// Runs `work` on a blocking thread with the desk.
pub(crate) async fn blocking<T: Send + 'static>(
    desk: &Arc<Desk>,
    work: impl FnOnce(&Desk) -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    let desk = Arc::clone(desk);
    tauri::async_runtime::spawn_blocking(move || work(&desk))
        .await
        .map_err(|error| CommandError::internal(format!("the kiosk's worker stopped: {error}")))?
}
