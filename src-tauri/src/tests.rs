//! The shell on Tauri's mock runtime: the UI's fixtures pin every DTO, and a whole candidate goes
//! through the real commands (demo desk: simulated devices, real face matching, touch signature).

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Listener, WebviewWindowBuilder};

use crate::desk::Desk;
use crate::dto::*;
use crate::tests_support::{fixture, repo};
use crate::Options;

mod sync;

/// The fixture parses as `T` and serialises back to exactly the same JSON.
fn pinned<T: Serialize + DeserializeOwned>(name: &str) {
    let expected = fixture(name);
    let parsed: T = serde_json::from_value(expected.clone())
        .unwrap_or_else(|error| panic!("ui/fixtures/{name} does not fit the DTO: {error}"));
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        expected,
        "ui/fixtures/{name} and the DTO differ"
    );
}

#[test]
fn every_ui_fixture_has_the_shape_of_its_dto() {
    for name in [
        "view-consent.json",
        "view-idcard-failed.json",
        "view-liveness.json",
        "view-photo.json",
        "view-pledge.json",
        "view-signature-preview.json",
        "view-awaiting-staff.json",
        "view-confirmed.json",
        "view-ended.json",
    ] {
        pinned::<ViewDto>(name);
    }
    pinned::<AppInfoDto>("app-info.json");
    pinned::<DocumentsDto>("documents.json");
    pinned::<DeskStatusDto>("desk-status.json");
    pinned::<ReviewDto>("review.json");
    pinned::<ReviewDto>("review-ocr.json");
    pinned::<CardCaptureEvent>("event-card-capture.json");
    pinned::<StaffDto>("staff.json");
    pinned::<ImageDto>("artefact-image.json");
    pinned::<DeviceStatusEvent>("event-device-status.json");
    pinned::<StaffAlertEvent>("event-staff-alert.json");
    pinned::<SessionEndedEvent>("event-session-ended.json");
    pinned::<CameraFrameEvent>("event-camera-frame.json");
    pinned::<crate::sync::SyncProgressEvent>("event-sync-progress.json");
    pinned::<Vec<TodaySessionDto>>("today-list.json");
}

#[test]
fn an_ocr_read_reaches_the_reviewer_field_by_field_with_its_marks() {
    use zk_ocr::{BackField, Field, RawBack, RawCard, RawField};
    let raw = |text: &str| RawField {
        text: text.into(),
        confidence: 0.97,
    };
    let front = RawCard {
        fields: vec![
            (Field::Name, raw("李明")),
            (Field::Sex, raw("男")),
            (Field::Ethnicity, raw("汉")),
            (Field::BirthDate, raw("1990年3月7日")),
            (Field::Address, raw("湖北省武汉市洪山区珞喻路1号")),
            // The check digit is wrong: marked, and shown as read.
            (Field::IdNumber, raw("110101199003070012")),
        ],
        portrait: image::RgbImage::new(2, 2),
    };
    let back = RawBack {
        fields: vec![
            (BackField::Authority, raw("武汉市公安局洪山分局")),
            (BackField::Validity, raw("2015.01.01-2035.01.01")),
        ],
    };
    let read = zk_app::OcrRead {
        front: zk_ocr::check(&front),
        back: zk_ocr::check_back(&back),
        front_jpeg: vec![0xff, 0xd8],
        back_jpeg: vec![0xff, 0xd9],
        portrait_jpeg: Vec::new(),
    };
    let dto = OcrReviewDto::from(&read);
    let fields: Vec<(&str, &str, Option<&str>)> = dto
        .fields
        .iter()
        .map(|field| {
            (
                field.field.as_str(),
                field.side.as_str(),
                field.problem.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("name", "front", None),
            ("sex", "front", None),
            ("ethnicity", "front", None),
            ("birth_date", "front", None),
            ("address", "front", None),
            ("id_number", "front", Some("bad_number")),
            ("authority", "back", None),
            ("validity", "back", None),
        ]
    );
    assert_eq!(dto.fields[5].text, "110101199003070012");
    assert_eq!(dto.front_image, "data:image/jpeg;base64,/9g=");
    assert_eq!(dto.back_image, "data:image/jpeg;base64,/9k=");
}

#[test]
fn staff_commands_parse_as_the_ui_sends_them() {
    let approve: StaffCommandDto = serde_json::from_value(json!({
        "kind": "approve", "reason": "liveness.lip_sync", "note": "checked", "secondToken": null
    }))
    .unwrap();
    assert_eq!(
        approve,
        StaffCommandDto::Approve {
            reason: Some("liveness.lip_sync".into()),
            note: "checked".into(),
            second_token: None
        }
    );
    let take_over: StaffCommandDto = serde_json::from_value(json!({"kind": "takeOver"})).unwrap();
    assert_eq!(take_over, StaffCommandDto::TakeOver);
    assert!(serde_json::from_value::<StaffCommandDto>(json!({"kind": "delete"})).is_err());
}

#[test]
fn a_stroke_becomes_pad_events_in_its_box() {
    use zk_drivers::signature::touch::TouchEvent;
    let points = vec![
        StrokePointDto {
            x: 0.0,
            y: 0.5,
            pressure: Some(0.4),
            t: 0.0,
        },
        StrokePointDto {
            x: 1.5,
            y: 1.0,
            pressure: None,
            t: 16.0,
        },
    ];
    let events = crate::commands::media::stroke_events(&points).unwrap();
    assert_eq!(
        events,
        vec![
            TouchEvent::Down {
                x: 0.0,
                y: 200.0,
                pressure: Some(0.4),
                t_ms: 0.0
            },
            TouchEvent::Move {
                x: 1000.0,
                y: 400.0,
                pressure: None,
                t_ms: 16.0
            },
            TouchEvent::Up,
        ]
    );
    assert_eq!(
        crate::commands::media::stroke_events(&[]).unwrap_err().code,
        "bad_request"
    );
    let nan = StrokePointDto {
        x: f32::NAN,
        y: 0.0,
        pressure: None,
        t: 0.0,
    };
    assert!(crate::commands::media::stroke_events(&[nan]).is_err());
}

pub(crate) struct App {
    pub app: tauri::App<tauri::test::MockRuntime>,
    pub webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
    pub steps: Arc<Mutex<Vec<Value>>>,
    pub store: tempfile::TempDir,
}

fn demo_app() -> App {
    demo_app_with(None)
}

/// The demo desk (simulators, a fresh store) with this config file, on the mock runtime.
pub(crate) fn demo_app_with(config: Option<std::path::PathBuf>) -> App {
    let store = tempfile::tempdir().unwrap();
    let options = Options {
        store: Some(store.path().to_path_buf()),
        config,
        devices: "sim".into(),
        assets: Some(repo().join("assets")),
        windowed: true,
    };
    let opened = crate::open::open_desk(&options).unwrap();
    let (desk, events): (Arc<Desk>, Receiver<zk_app::KioskEvent>) = (opened.desk, opened.events);
    let mut app = crate::run_app(mock_builder(), desk, events, opened.sync, None)
        .build(mock_context(noop_assets()))
        .unwrap();
    // The setup hook (the event forwarder, the timer) runs with the first event-loop turn.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let steps = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&steps);
    app.listen_any(crate::STEP_CHANGED, move |event| {
        seen.lock()
            .unwrap()
            .push(serde_json::from_str(event.payload()).unwrap());
    });
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    App {
        app,
        webview,
        steps,
        store,
    }
}

pub(crate) fn call(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    command: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

/// Candidate A through every step with the commands, from the consent to the admission number
/// (asserting each step on the way); returns the number.
pub(crate) fn confirm_candidate(app: &App) -> String {
    let webview = &app.webview;
    let view = call(webview, "start_session", json!({})).unwrap();
    assert_eq!(
        (view["phase"].as_str(), view["step"].as_str()),
        (Some("inProgress"), Some("consent"))
    );
    let again = call(webview, "start_session", json!({})).unwrap_err();
    assert_eq!(again["code"], "session.open");

    // Card, clip and photo run inside this call; the flow stops at the pledge.
    let view = call(webview, "give_consent", json!({})).unwrap();
    assert_eq!(view["step"], "pledge", "{view}");
    assert!(view["images"]["idPhoto"].is_string());
    assert!(view["images"]["registrationPhoto"].is_string());
    let photo = call(
        webview,
        "artefact_image",
        json!({ "id": view["images"]["registrationPhoto"] }),
    )
    .unwrap();
    assert!(photo["dataUrl"]
        .as_str()
        .unwrap()
        .starts_with("data:image/jpeg;base64,/9j/"));
    let other = call(
        webview,
        "artefact_image",
        json!({ "id": "not-an-artefact" }),
    )
    .unwrap_err();
    assert_eq!(other["code"], "artefact.not_found");
    // The forwarder sends events from its own thread: give it a moment.
    for _ in 0..100 {
        if app
            .steps
            .lock()
            .unwrap()
            .iter()
            .any(|view| view["step"] == "pledge")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    {
        let steps = app.steps.lock().unwrap();
        let seen: Vec<&str> = steps
            .iter()
            .filter_map(|view| view["step"].as_str())
            .collect();
        for step in ["idCard", "liveness", "photo", "pledge"] {
            assert!(
                seen.contains(&step),
                "no step-changed event for {step}: {seen:?}"
            );
        }
        assert!(steps.iter().any(|view| view["challenge"]["digits"]
            .as_str()
            .is_some_and(|d| d.len() >= 4)));
    }

    // The pledge starts the touch signature: the kiosk waits for strokes while the call runs.
    let signing = {
        let webview = webview.clone();
        std::thread::spawn(move || {
            call(
                &webview,
                "accept_pledge",
                json!({ "declaration": [ { "key": "health.fever_14d", "value": false } ] }),
            )
        })
    };
    let stroke = |y: f32| {
        json!({ "points": (0..40).map(|i| json!({
            "x": 0.1 + i as f32 * 0.02, "y": y + (i as f32 * 0.4).sin() * 0.1,
            "pressure": 0.5, "t": i as f64 * 30.0 })).collect::<Vec<_>>() })
    };
    let mut armed = false;
    for _ in 0..200 {
        if call(webview, "signature_stroke", stroke(0.4)).is_ok() {
            armed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(armed, "the signature pad never armed");
    call(webview, "signature_stroke", stroke(0.6)).unwrap();
    call(webview, "signature_done", json!({})).unwrap();
    let view = signing.join().unwrap().unwrap();
    assert_eq!(view["step"], "signature", "{view}");
    let preview = view["signaturePreview"].as_str().unwrap().to_owned();
    let image = call(webview, "artefact_image", json!({ "id": preview })).unwrap();
    assert!(image["mime"].as_str().unwrap().starts_with("image/"));

    let view = call(webview, "accept_signature", json!({})).unwrap();
    assert_eq!(view["phase"], "confirmed", "{view}");
    let number = view["admissionNumber"].as_str().unwrap().to_owned();
    assert!(
        number.len() == 12 && number.bytes().all(|b| b.is_ascii_digit()),
        "{number}"
    );
    // Once the commit is done the pad refuses strokes.
    assert_eq!(
        call(webview, "signature_stroke", stroke(0.5)).unwrap_err()["code"],
        "input.rejected"
    );

    number
}

#[test]
fn a_candidate_is_confirmed_through_the_commands_and_staff_see_the_desk() {
    let app = demo_app();
    let webview = &app.webview;
    let info = call(webview, "app_info", json!({})).unwrap();
    assert_eq!(info["devices"], "sim");
    let documents = call(webview, "documents", json!({})).unwrap();
    assert!(documents["consent"]["zh"]
        .as_str()
        .unwrap()
        .contains("单独同意"));
    assert!(!documents["declaration"].as_array().unwrap().is_empty());
    assert_eq!(
        call(webview, "current_view", json!({})).unwrap(),
        Value::Null
    );

    confirm_candidate(&app);

    // Staff: a wrong PIN, then the demo operator; the desk shows one confirmation to send.
    let refused = call(
        webview,
        "staff_sign_in",
        json!({ "operator": "demo-staff", "secret": "000000" }),
    )
    .unwrap_err();
    assert_eq!(refused["code"], "staff.sign_in_failed");
    let staff = call(
        webview,
        "staff_sign_in",
        json!({ "operator": "demo-staff", "secret": "246813" }),
    )
    .unwrap();
    assert_eq!(staff["role"], "operator");
    let token = staff["token"].as_str().unwrap();
    let status = call(webview, "desk_status", json!({ "token": token })).unwrap();
    assert_eq!(status["sync"]["confirmations"], 1);
    assert_eq!(status["sync"]["unacked"], 1);
    assert_eq!(status["today"]["confirmed"], 1);
    let today = call(webview, "today_list", json!({ "token": token })).unwrap();
    let rows = today.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{today}");
    assert_eq!(rows[0]["outcome"], "confirmed");
    assert_eq!(rows[0]["admissionNumber"].as_str().map(str::len), Some(12));
    assert_eq!(rows[0]["synced"], false);
    assert!(status["serials"]["remaining"].as_u64().unwrap() >= 999);
    assert_eq!(
        call(webview, "review", json!({ "token": token })).unwrap(),
        Value::Null
    );
    let forged = call(webview, "desk_status", json!({ "token": "forged" })).unwrap_err();
    assert_eq!(forged["code"], "staff.token");
    call(webview, "staff_sign_out", json!({ "token": token })).unwrap();
    let gone = call(webview, "desk_status", json!({ "token": token })).unwrap_err();
    assert_eq!(gone["code"], "staff.token");
}

#[test]
fn a_name_mismatch_waits_for_staff_who_review_and_reject_it() {
    let app = demo_app();
    let webview = &app.webview;
    // Candidate A first (the demo reader hands out its cards in order), cancelled by staff.
    call(webview, "start_session", json!({})).unwrap();
    call(webview, "give_consent", json!({})).unwrap();
    let staff = call(
        webview,
        "staff_sign_in",
        json!({ "operator": "demo-staff", "secret": "246813" }),
    )
    .unwrap();
    let token = staff["token"].as_str().unwrap().to_owned();
    let view = call(
        webview,
        "staff_command",
        json!({ "token": token, "command": { "kind": "cancel" } }),
    )
    .unwrap();
    assert_eq!(view["phase"], "ended");
    assert_eq!(view["endedReason"]["code"], "session.cancelled");

    // Candidate B: the card's name differs from the roster.
    call(webview, "start_session", json!({})).unwrap();
    let view = call(webview, "give_consent", json!({})).unwrap();
    assert_eq!(view["step"], "idCard");
    assert_eq!(view["awaitingStaff"], true, "{view}");
    assert_eq!(view["staffReason"]["code"], "roster.name_differs");
    let case = call(webview, "review", json!({ "token": token })).unwrap();
    assert_eq!(case["step"], "idCard");
    assert_eq!(case["reason"]["code"], "roster.name_differs");
    assert!(case["images"]["idPhoto"].is_string());
    // The reviewer sees both names side by side, and the card number only masked.
    let identity = &case["identity"];
    let card_name = identity["card"]["name"].as_str().unwrap();
    let registered = identity["registration"]["name"].as_str().unwrap();
    assert!(
        !card_name.is_empty() && !registered.is_empty(),
        "{identity}"
    );
    assert_ne!(card_name, registered, "{identity}");
    let masked = identity["idNumber"].as_str().unwrap();
    assert_eq!(masked.len(), 18, "{masked}");
    assert_eq!(masked.chars().filter(|c| *c == '*').count(), 10, "{masked}");
    // A decision needs a note.
    let bare = call(
        webview,
        "staff_command",
        json!({ "token": token, "command": { "kind": "reject", "reason": "roster.name_differs", "note": " " } }),
    )
    .unwrap_err();
    assert_eq!(bare["code"], "bad_request");
    let view = call(
        webview,
        "staff_command",
        json!({ "token": token, "command": { "kind": "reject", "reason": "roster.name_differs", "note": "name differs from the registration" } }),
    )
    .unwrap();
    assert_eq!(view["phase"], "ended");
    assert_eq!(view["endedReason"]["code"], "staff.rejected");
    // The candidate cannot send staff commands: there is no candidate path to them.
    let candidate = call(webview, "retry", json!({})).unwrap_err();
    assert_eq!(candidate["code"], "input.rejected");
}
