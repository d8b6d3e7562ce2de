//! `zk`: the desk's admin command. Every command takes `--store DIR` (default: the platform data
//! directory); read commands take `--json`. Errors go to stderr with a non-zero exit and a message
//! that says what to do.
#![forbid(unsafe_code)]

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "zk",
    version,
    about = "zikao-kiosk desk administration (自学考试现场确认)"
)]
struct Cli {
    /// The desk store folder (desk.sqlite + artefact.key). Default: the platform data directory.
    #[arg(long, global = true, env = "ZK_STORE")]
    store: Option<PathBuf>,
    /// A config.toml (see assets/config.example.toml); ZK_* variables override it.
    #[arg(long, global = true, env = "ZK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Candidate roster: import and list.
    #[command(subcommand)]
    Roster(RosterCommand),
    /// ID numbers: validate one (GB 11643).
    #[command(subcommand)]
    Id(IdCommand),
    /// Admission-number serial blocks allocated to this desk.
    #[command(subcommand)]
    Serials(SerialsCommand),
    /// Confirmations made at this desk.
    #[command(subcommand)]
    Confirmations(ConfirmationsCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run three scripted candidates through the whole flow with simulated devices.
    Demo,
}

#[derive(Subcommand)]
enum RosterCommand {
    /// Import a roster (CSV in UTF-8 or GBK, or XLSX); all rows or none.
    Import { file: PathBuf },
    /// List registrations.
    List {
        /// registered | confirmed | cancelled
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum IdCommand {
    /// Exit 0 only for a valid number; prints its kind, birth date and sex.
    Check {
        number: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SerialsCommand {
    /// Record a block of admission serials allocated to this desk (by the hub or the site admin).
    Allocate {
        #[arg(long)]
        block_id: String,
        /// Exam district: city (2) + county (2), e.g. 4201.
        #[arg(long)]
        district: String,
        /// Sitting: two-digit year + 1 (April) or 2 (October), e.g. 271.
        #[arg(long)]
        sitting: String,
        #[arg(long)]
        first: u32,
        #[arg(long)]
        last: u32,
        /// Who allocated it (for the audit log).
        #[arg(long, default_value = "site-admin")]
        actor: String,
    },
    /// List this desk's blocks and what is left.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConfirmationsCommand {
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Exit 0 only when the hash chain is intact.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZK_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let context = commands::Context {
        store: cli.store,
        config: cli.config,
    };
    let result = match cli.command {
        Command::Roster(RosterCommand::Import { file }) => commands::roster_import(&context, &file),
        Command::Roster(RosterCommand::List {
            status,
            limit,
            offset,
            json,
        }) => commands::roster_list(&context, status.as_deref(), limit, offset, json),
        Command::Id(IdCommand::Check { number, json }) => commands::id_check(&number, json),
        Command::Serials(SerialsCommand::Allocate {
            block_id,
            district,
            sitting,
            first,
            last,
            actor,
        }) => commands::serials_allocate(
            &context, &block_id, &district, &sitting, first, last, &actor,
        ),
        Command::Serials(SerialsCommand::List { json }) => commands::serials_list(&context, json),
        Command::Confirmations(ConfirmationsCommand::List {
            limit,
            offset,
            json,
        }) => commands::confirmations_list(&context, limit, offset, json),
        Command::Audit(AuditCommand::Verify { json }) => commands::audit_verify(&context, json),
        Command::Demo => commands::demo(&context),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("zk: {error}");
            ExitCode::FAILURE
        }
    }
}
