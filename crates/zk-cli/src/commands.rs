//! One function per command: open what it needs, call one library function, print the result.

use std::path::{Path, PathBuf};

use zk_app::{AppConfig, AppError};
use zk_domain::{IdNumber, RegistrationStatus, SerialBlock, Sitting};
use zk_store::{Store, StoreError};

use crate::output;

pub struct Context {
    pub store: Option<PathBuf>,
    pub config: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Usage(String),
    #[error(
        "cannot create the store folder {path}: {source}; pass --store DIR with a writable folder"
    )]
    StoreDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Failed(String),
}

impl Context {
    pub(crate) fn store_dir(&self) -> Result<PathBuf, CliError> {
        if let Some(dir) = &self.store {
            return Ok(dir.clone());
        }
        directories::ProjectDirs::from("cn", "zikao", "zikao-kiosk")
            .map(|dirs| dirs.data_dir().to_path_buf())
            .ok_or_else(|| {
                CliError::Usage("no home directory to keep the store in; pass --store DIR".into())
            })
    }

    fn open_store(&self) -> Result<Store, CliError> {
        let dir = self.store_dir()?;
        std::fs::create_dir_all(&dir).map_err(|source| CliError::StoreDir {
            path: dir.clone(),
            source,
        })?;
        Ok(Store::open(&dir)?)
    }

    pub fn config(&self) -> Result<AppConfig, CliError> {
        Ok(AppConfig::load(self.config.as_deref())?)
    }
}

fn now() -> zk_domain::Timestamp {
    use zk_app::Clock;
    zk_app::SystemClock.now()
}

pub fn roster_import(context: &Context, file: &Path) -> Result<(), CliError> {
    let mut store = context.open_store()?;
    let report = store.import_roster_file(file, now())?;
    println!(
        "imported {} rows from {}: {} new, {} updated, {} already confirmed here (kept confirmed)",
        report.rows,
        file.display(),
        report.inserted,
        report.updated,
        report.unchanged_confirmed
    );
    Ok(())
}

pub fn roster_list(
    context: &Context,
    status: Option<&str>,
    limit: usize,
    offset: usize,
    json: bool,
) -> Result<(), CliError> {
    let status = match status {
        Some(text) => Some(RegistrationStatus::parse(text).ok_or_else(|| {
            CliError::Usage(format!(
                "--status {text:?}: use registered, confirmed or cancelled"
            ))
        })?),
        None => None,
    };
    let store = context.open_store()?;
    let rows = store.registrations(status, limit, offset)?;
    let counts = store.roster_counts()?;
    output::print_registrations(&rows, &counts, json);
    Ok(())
}

pub fn id_check(number: &str, json: bool) -> Result<(), CliError> {
    let result = IdNumber::parse(number);
    output::print_id_check(&result, json);
    match result {
        Ok(_) => Ok(()),
        Err(error) => Err(CliError::Failed(format!("invalid ID number: {error}"))),
    }
}

pub fn serials_allocate(
    context: &Context,
    block_id: &str,
    district: &str,
    sitting: &str,
    first: u32,
    last: u32,
    actor: &str,
) -> Result<(), CliError> {
    let sitting = Sitting::parse(sitting).map_err(|error| CliError::Usage(error.to_string()))?;
    let block = SerialBlock::new(block_id, district, sitting, first, last)
        .map_err(|error| CliError::Usage(error.to_string()))?;
    let mut store = context.open_store()?;
    store.add_serial_block(&block, actor, now())?;
    println!(
        "block {} for district {} sitting {}: serials {:05}–{:05} ({} numbers) recorded",
        block.block_id,
        block.district,
        block.sitting.code(),
        block.first,
        block.last,
        block.remaining()
    );
    Ok(())
}

pub fn serials_list(context: &Context, json: bool) -> Result<(), CliError> {
    let store = context.open_store()?;
    output::print_blocks(&store.serial_blocks()?, json);
    Ok(())
}

pub fn confirmations_list(
    context: &Context,
    limit: usize,
    offset: usize,
    json: bool,
) -> Result<(), CliError> {
    let store = context.open_store()?;
    output::print_confirmations(&store.confirmations(limit, offset)?, json);
    Ok(())
}

pub fn audit_verify(context: &Context, json: bool) -> Result<(), CliError> {
    let store = context.open_store()?;
    let verification = store.verify_audit();
    output::print_audit(&verification, json);
    verification.map(|_| ()).map_err(CliError::from)
}

pub fn demo(context: &Context) -> Result<(), CliError> {
    let config = context.config()?;
    let store = match &context.store {
        Some(_) => context.open_store()?,
        None => Store::open_in_memory()?,
    };
    let assets = zk_app::assets::locate(config.assets_dir.as_deref())?;
    let mut print_line = |line: &str| println!("{line}");
    let report = zk_app::demo::run(&config, store, &assets, &mut print_line)?;
    println!();
    println!("{}", report.summary());
    if context.store.is_none() {
        println!("(in-memory store; pass --store DIR to keep the records)");
    }
    Ok(())
}
