//! Images of the current session, and the touch signature's strokes.

use std::sync::Arc;

use base64::Engine;
use tauri::State;
use zk_domain::ArtefactId;
use zk_drivers::signature::touch::TouchEvent;

use super::blocking;
use crate::desk::Desk;
use crate::dto::{ImageDto, StrokePointDto};
use crate::error::CommandError;

type DeskState<'a> = State<'a, Arc<Desk>>;

/// The touch pad's box (`TouchEvent` coordinates); the UI sends 0..1.
const PAD_WIDTH: f32 = 1000.0;
const PAD_HEIGHT: f32 = 400.0;

fn mime_of(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xff, 0xd8]) {
        "image/jpeg"
    } else if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(b"BM") {
        "image/bmp"
    } else {
        "application/octet-stream"
    }
}

#[tauri::command]
pub async fn artefact_image(desk: DeskState<'_>, id: String) -> Result<ImageDto, CommandError> {
    blocking(&desk, move |desk| {
        let (_, bytes) = desk.with_kiosk(|kiosk| kiosk.session_image(&ArtefactId(id)))?;
        let mime = mime_of(&bytes);
        Ok(ImageDto {
            mime: mime.to_owned(),
            data_url: format!(
                "data:{mime};base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            ),
        })
    })
    .await
}

/// Turns one finished stroke (0..1 coordinates) into the pad's pointer events.
pub fn stroke_events(points: &[StrokePointDto]) -> Result<Vec<TouchEvent>, CommandError> {
    if points.is_empty() {
        return Err(CommandError::bad_request(
            "a stroke needs at least one point",
        ));
    }
    let mut events = Vec::with_capacity(points.len() + 1);
    for (index, point) in points.iter().enumerate() {
        let finite = point.x.is_finite() && point.y.is_finite() && point.t.is_finite();
        if !finite {
            return Err(CommandError::bad_request("a stroke point is not a number"));
        }
        let x = point.x.clamp(0.0, 1.0) * PAD_WIDTH;
        let y = point.y.clamp(0.0, 1.0) * PAD_HEIGHT;
        let pressure = point
            .pressure
            .filter(|pressure| pressure.is_finite())
            .map(|pressure| pressure.clamp(0.0, 1.0));
        events.push(if index == 0 {
            TouchEvent::Down {
                x,
                y,
                pressure,
                t_ms: point.t,
            }
        } else {
            TouchEvent::Move {
                x,
                y,
                pressure,
                t_ms: point.t,
            }
        });
    }
    events.push(TouchEvent::Up);
    Ok(events)
}

fn send(desk: &Desk, events: &[TouchEvent]) -> Result<(), CommandError> {
    let touch = desk.touch()?;
    for event in events {
        if !touch.send(*event) {
            return Err(CommandError::new(
                "input.rejected",
                "the kiosk is not waiting for a signature now",
                false,
            ));
        }
    }
    Ok(())
}

#[tauri::command]
pub fn signature_stroke(
    desk: DeskState<'_>,
    points: Vec<StrokePointDto>,
) -> Result<(), CommandError> {
    send(&desk, &stroke_events(&points)?)
}

#[tauri::command]
pub fn signature_clear(desk: DeskState<'_>) -> Result<(), CommandError> {
    send(&desk, &[TouchEvent::Clear])
}

#[tauri::command]
pub fn signature_done(desk: DeskState<'_>) -> Result<(), CommandError> {
    send(&desk, &[TouchEvent::Done])
}
