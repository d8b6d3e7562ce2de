//! The sync worker through the commands: a push to a real hub on 127.0.0.1 (refused until the
//! desk is enrolled, with nothing lost), a bundle the hub's key opens, and the refusals.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tauri::Listener;
use zk_hub::{HubDb, HubState};
use zk_sync::{BundleReader, DeskKey, HubKey, DESK_KEY_FILE};

use super::{call, confirm_candidate, demo_app_with, App};

/// A hub serving on 127.0.0.1 from its own runtime, over a SQLite file.
struct Hub {
    url: String,
    db: HubDb,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn start_hub() -> Hub {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}", dir.path().join("hub.sqlite").display());
    let (db, url) = runtime.block_on(async {
        let db = HubDb::connect(&db_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(HubState::with_system_clock(db.clone()));
        tokio::spawn(async move {
            zk_hub::serve(listener, state, std::future::pending::<()>())
                .await
                .unwrap();
        });
        (db, url)
    });
    Hub {
        url,
        db,
        runtime,
        _dir: dir,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Collects `kiosk://sync-progress` events.
fn progress(app: &App) -> Arc<Mutex<Vec<Value>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    app.app.listen_any(crate::SYNC_PROGRESS, move |event| {
        sink.lock()
            .unwrap()
            .push(serde_json::from_str(event.payload()).unwrap());
    });
    seen
}

/// Waits for the `n`th run's last event (`finished` or `failed`) and returns it.
fn run_end(events: &Mutex<Vec<Value>>, n: usize) -> Value {
    let started = Instant::now();
    loop {
        let ends: Vec<Value> = events
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event["stage"] == "finished" || event["stage"] == "failed")
            .cloned()
            .collect();
        if ends.len() >= n {
            return ends[n - 1].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no end of sync run {n}: {:?}",
            events.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sign_in(app: &App, operator: &str, secret: &str) -> String {
    call(
        &app.webview,
        "staff_sign_in",
        json!({ "operator": operator, "secret": secret }),
    )
    .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn write_config(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn sync_now_pushes_to_the_hub_once_the_desk_is_enrolled_and_loses_nothing_before() {
    let hub = start_hub();
    let config_dir = tempfile::tempdir().unwrap();
    let config = write_config(
        &config_dir,
        &format!("[sync]\nhub_url = \"{}\"\ninterval_secs = 0\n", hub.url),
    );
    let app = demo_app_with(Some(config));
    let events = progress(&app);
    confirm_candidate(&app);
    let token = sign_in(&app, "demo-staff", "246813");

    // Not enrolled yet: the hub refuses, the console hears why, the record still waits.
    let queued = call(&app.webview, "sync_now", json!({ "token": token })).unwrap();
    assert_eq!(queued["hub"], hub.url.as_str());
    let refused = run_end(&events, 1);
    assert_eq!(refused["stage"], "failed", "{refused}");
    assert_eq!(refused["job"], "push");
    assert!(
        refused["message"].as_str().unwrap().contains("refused"),
        "{refused}"
    );
    let status = call(&app.webview, "desk_status", json!({ "token": token })).unwrap();
    assert_eq!(status["sync"]["unacked"], 1, "{status}");
    assert_eq!(status["sync"]["worker"]["last"]["ok"], false, "{status}");

    let key = DeskKey::load_or_create(&app.store.path().join(DESK_KEY_FILE)).unwrap();
    hub.runtime
        .block_on(
            hub.db
                .enrol_desk(&key.public_hex(), "desk-01", None, now_ms()),
        )
        .unwrap();
    call(&app.webview, "sync_now", json!({ "token": token })).unwrap();
    let finished = run_end(&events, 2);
    assert_eq!(finished["stage"], "finished", "{finished}");
    assert_eq!(
        (finished["done"].as_u64(), finished["total"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|event| event["stage"] == "acked" && event["done"] == 1));

    let status = call(&app.webview, "desk_status", json!({ "token": token })).unwrap();
    assert_eq!(status["sync"]["unacked"], 0, "{status}");
    assert!(status["sync"]["lastPushAt"].is_i64(), "{status}");
    assert_eq!(status["sync"]["worker"]["last"]["ok"], true, "{status}");
    assert_eq!(status["sync"]["worker"]["last"]["done"], 1, "{status}");
    let stats = hub.runtime.block_on(hub.db.stats()).unwrap();
    assert_eq!(stats.confirmations, 1);
    assert!(
        stats.blobs >= 3,
        "photo, ID photo and signature: {}",
        stats.blobs
    );

    // Again: nothing waits, nothing is sent twice.
    call(&app.webview, "sync_now", json!({ "token": token })).unwrap();
    let again = run_end(&events, 3);
    assert_eq!(
        (again["stage"].as_str(), again["done"].as_u64()),
        (Some("finished"), Some(0))
    );
    assert_eq!(
        hub.runtime.block_on(hub.db.stats()).unwrap().confirmations,
        1
    );
}

#[test]
fn an_admin_exports_a_bundle_the_hub_key_opens_and_the_records_still_wait() {
    let app = demo_app_with(None);
    let events = progress(&app);
    confirm_candidate(&app);
    let operator = sign_in(&app, "demo-staff", "246813");

    // The demo desk has no hub: "sync now" says so; export is the admin's.
    let no_hub = call(&app.webview, "sync_now", json!({ "token": operator })).unwrap_err();
    assert_eq!(no_hub["code"], "sync.not_configured", "{no_hub}");
    assert!(no_hub["message"].as_str().unwrap().contains("hub_url"));
    let not_admin = call(&app.webview, "sync_export", json!({ "token": operator })).unwrap_err();
    assert_eq!(not_admin["code"], "staff.role", "{not_admin}");
    let status = call(&app.webview, "desk_status", json!({ "token": operator })).unwrap();
    assert_eq!(status["sync"]["worker"]["hub"], Value::Null);
    assert_eq!(status["sync"]["worker"]["canExport"], true);

    let admin = sign_in(&app, "demo-admin", "864200");
    call(&app.webview, "sync_export", json!({ "token": admin })).unwrap();
    let finished = run_end(&events, 1);
    assert_eq!(
        (finished["job"].as_str(), finished["stage"].as_str()),
        (Some("export"), Some("finished")),
        "{finished}"
    );
    assert_eq!(finished["done"], 1);
    let file = std::path::PathBuf::from(finished["file"].as_str().unwrap());
    assert!(
        file.starts_with(app.store.path().join("exports")),
        "{}",
        file.display()
    );
    assert_eq!(file.extension().and_then(|e| e.to_str()), Some("zkbundle"));

    let hub_key = HubKey::load(&app.store.path().join("demo-hub.key")).unwrap();
    let counts = BundleReader::open(std::fs::File::open(&file).unwrap(), &hub_key)
        .unwrap()
        .verify_all()
        .unwrap();
    assert_eq!(counts.records, 1);
    assert!(counts.blobs >= 3, "{counts:?}");
    // Another hub's key cannot open it.
    let stranger = HubKey::generate().unwrap();
    assert!(BundleReader::open(std::fs::File::open(&file).unwrap(), &stranger).is_err());

    // Until the hub's receipt comes back, the record still waits to be sent.
    let status = call(&app.webview, "desk_status", json!({ "token": admin })).unwrap();
    assert_eq!(status["sync"]["unacked"], 1, "{status}");
    assert_eq!(
        status["sync"]["worker"]["last"]["file"],
        file.display().to_string()
    );
}
