//! Start-up: options, config, store, devices (simulated by default), the window.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use zk_app::{AppConfig, Kiosk};
use zk_store::Store;

use crate::desk::Desk;
use crate::dto::{AppInfoDto, SiteDto};
use crate::sync::{SyncSettings, SyncWorker};

/// The kiosk app. With no options: simulated devices, the demo roster and staff accounts, and the
/// desk's store in the platform data folder (shared with the `zk` admin command).
#[derive(Debug, Parser)]
#[command(name = "zikao-kiosk", version)]
pub struct Options {
    /// The desk's store folder (default: the platform data folder, as `zk` uses).
    #[arg(long, env = "ZK_STORE")]
    pub store: Option<PathBuf>,
    /// A config file (TOML; see assets/config.example.toml). `ZK_*` variables override it.
    #[arg(long, env = "ZK_CONFIG")]
    pub config: Option<PathBuf>,
    /// `sim`: the simulators and demo data (the default); `real`: the devices the `[drivers]`
    /// config names, and the configured matcher.
    #[arg(long, default_value = "sim", value_parser = ["sim", "real"])]
    pub devices: String,
    /// The assets folder (consent texts, demo data, simulator scripts); default: `ZK_ASSETS`,
    /// `assets/` here, or beside the program.
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// A normal window instead of full screen (staff testing, development).
    #[arg(long)]
    pub windowed: bool,
}

fn store_dir(options: &Options) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &options.store {
        return Ok(dir.clone());
    }
    directories::ProjectDirs::from("cn", "zikao", "zikao-kiosk")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("no home directory to keep the store in; pass --store DIR")
}

/// An opened desk: the kiosk's state, the receiving end of its events, and its sync worker.
pub struct Opened {
    pub desk: Arc<Desk>,
    pub events: std::sync::mpsc::Receiver<zk_app::KioskEvent>,
    pub sync: Arc<SyncWorker>,
}

/// Opens the desk as `options` say.
pub fn open_desk(options: &Options) -> anyhow::Result<Opened> {
    let mut config = AppConfig::load(options.config.as_deref())?;
    if let Some(assets) = &options.assets {
        config.assets_dir = Some(assets.clone());
    }
    let assets = zk_app::assets::locate(config.assets_dir.as_deref())?;
    let dir = store_dir(options)?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the store folder {}", dir.display()))?;
    if options.devices == "sim" && config.sync.hub_public_key.trim().is_empty() {
        config.sync.hub_public_key = demo_hub_key(&dir)?;
    }
    let key_backend = config.security.key_backend()?;
    let store = Store::open_with_backend(&dir, key_backend)
        .with_context(|| format!("cannot open the store in {}", dir.display()))?;
    let sync = SyncWorker::new(SyncSettings::new(
        &config.sync,
        &dir,
        key_backend,
        &config.site.desk_id,
    )?);
    let (mut kiosk, touch) = if options.devices == "real" {
        let devices = zk_app::Devices::open(&config.drivers, &assets)?;
        let touch = devices.touch_signature.clone();
        let matcher = zk_app::open_matcher(&config.matcher, &assets)?;
        let kiosk = Kiosk::new(
            &config,
            store,
            devices,
            matcher,
            Box::new(zk_app::SystemClock),
            Box::new(<rand::rngs::StdRng as rand::SeedableRng>::from_os_rng()),
        )?;
        (kiosk, touch)
    } else {
        let mut log = |line: &str| tracing::info!("{line}");
        let desk = zk_app::demo::open_desk(&config, store, &assets, &mut log)?;
        (desk.kiosk, Some(desk.touch))
    };
    let (sender, events) = crate::event_channel();
    kiosk.subscribe(sender);
    let info = AppInfoDto {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        devices: options.devices.clone(),
        site: SiteDto {
            code: config.site.site_id.clone(),
            name: config.site.desk_id.clone(),
        },
        idle_warning_secs: config.flow.idle_warning_secs,
        default_locale: "zh-CN".to_owned(),
        camera_reads_cards: kiosk.camera_reads_cards(),
    };
    let desk = Desk::new(kiosk, touch, info, config.flow.record_secs);
    Ok(Opened {
        desk: Arc::new(desk),
        events,
        sync,
    })
}

/// The demo desk exports bundles to a demo hub key kept in its store folder (demo only), so the
/// console's export works out of the box and `zk hub import --key <store>/demo-hub.key` opens
/// what it writes. A real desk is given its hub's public key in `[sync]`.
fn demo_hub_key(dir: &std::path::Path) -> anyhow::Result<String> {
    let path = dir.join("demo-hub.key");
    let key = if path.exists() {
        zk_sync::HubKey::load(&path)?
    } else {
        let key = zk_sync::HubKey::generate()?;
        key.save_new(&path)?;
        tracing::info!(
            "demo: bundles are encrypted to the demo hub key {}",
            path.display()
        );
        key
    };
    Ok(key.public().to_text())
}

/// When the process started (set first thing in [`run`]; the cold-start time is measured from it).
pub(crate) static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Runs the app until its window closes.
pub fn run() -> anyhow::Result<()> {
    let started = *STARTED.get_or_init(std::time::Instant::now);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZK_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let options = Options::parse();
    let opened = open_desk(&options)?;
    let spec = WindowSpec {
        fullscreen: !options.windowed,
        started,
    };
    crate::run_app(
        tauri::Builder::default(),
        opened.desk,
        opened.events,
        opened.sync,
        Some(spec),
    )
    .run(tauri::generate_context!())
    .context("the window system failed")
}

/// How to open the kiosk window.
#[derive(Clone, Copy, Debug)]
pub struct WindowSpec {
    pub fullscreen: bool,
    /// When the app started (the log gets the cold-start time when the window opens).
    pub started: std::time::Instant,
}

/// Opens the kiosk window (`main`, the one the capabilities name).
pub fn open_window<R: tauri::Runtime>(
    app: &mut tauri::App<R>,
    spec: &WindowSpec,
) -> tauri::Result<()> {
    let window =
        tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App("index.html".into()))
            .title("自学考试现场确认 · Self-study exam on-site confirmation")
            .inner_size(1080.0, 1920.0)
            .fullscreen(spec.fullscreen)
            .build()?;
    tracing::info!(
        elapsed_ms = spec.started.elapsed().as_millis() as u64,
        "window {} open",
        window.label()
    );
    Ok(())
}
