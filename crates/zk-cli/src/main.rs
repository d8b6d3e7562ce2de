//! `zk`: the desk's admin command. Every command takes `--store DIR` (default: the platform data
//! directory); read commands take `--json`. Errors go to stderr with a non-zero exit and a message
//! that says what to do.
#![forbid(unsafe_code)]

mod admin;
mod bundle;
mod camera;
mod card;
mod commands;
mod face;
mod mic;
mod ocr;
mod output;
mod photo;
mod sync;

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
    /// The ID card reader: read a card, find the reader's port.
    #[command(subcommand)]
    Card(CardCommand),
    /// The ID card reader simulator.
    #[command(subcommand)]
    Reader(ReaderCommand),
    /// The face matcher: accuracy on labelled pairs, calibration, one comparison.
    #[command(subcommand)]
    Face(FaceCommand),
    /// The blue-background registration photo: check a file, cut it to 480×640.
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// The real microphone: list input devices, record a test WAV.
    #[command(subcommand)]
    Mic(MicCommand),
    /// The camera: list cameras, save one frame as a JPEG.
    #[command(subcommand)]
    Camera(CameraCommand),
    /// Run three scripted candidates through the whole flow with simulated devices.
    Demo,
    /// Staff accounts: add, list, unlock, new password/PIN (secrets on standard input).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// The store's security upkeep: retention purge, artefact key rotation.
    #[command(subcommand, name = "store")]
    StoreAdmin(StoreCommand),
    /// This desk's sync identity (its Ed25519 public key).
    #[command(subcommand)]
    Desk(sync::DeskCommand),
    /// Send confirmations to the hub; see what is still to send.
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// The upstream hub: serve, enrol desks, statistics, conflicts.
    #[command(subcommand)]
    Hub(sync::HubCommand),
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Add a staff account; the new password/PIN is read from standard input. The first admin
    /// needs no --as; after that an admin signs for it with --as (their secret first on stdin).
    Add {
        id: String,
        /// The name shown to staff.
        #[arg(long)]
        name: String,
        /// operator | reviewer | admin
        #[arg(long, default_value = "operator")]
        role: String,
        #[arg(long = "as")]
        acting: Option<String>,
    },
    /// List staff accounts and their lock state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Unlock an account locked after repeated wrong passwords/PINs (admin: --as, secret on stdin).
    Unlock {
        id: String,
        #[arg(long = "as")]
        acting: Option<String>,
    },
    /// Set a new password/PIN: with --as ADMIN (admin secret, then the new one on stdin), or
    /// without (the account's current secret, then the new one).
    Passwd {
        id: String,
        #[arg(long = "as")]
        acting: Option<String>,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Erase the artefacts the retention policy says are due (audited, secure delete, VACUUM).
    Purge {
        /// Show what would be erased, change nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Re-encrypt every artefact and sealed value under a new artefact key, then erase the old key.
    RotateKey {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PhotoCommand {
    /// Checks a photo against the spec; exit 0 only when every check passes.
    Check {
        file: PathBuf,
        /// Also check it shows the same person as this ID photo.
        #[arg(long)]
        id_photo: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Crops and scales to 480×640 and writes a JPEG of 20–40 KB; exit 0 only when it passes.
    Fix {
        file: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum FaceCommand {
    /// TAR at FAR 1 % and 0.1 %, EER and faces not found on a `left,right,same` pairs file.
    Eval {
        /// CSV with the header left,right,same (paths relative to --root; same is 1 or 0).
        #[arg(long)]
        pairs: PathBuf,
        #[arg(long)]
        root: PathBuf,
        /// Also write left,right,same,score,match per pair (score: higher is more alike).
        #[arg(long)]
        scores: Option<PathBuf>,
        /// Degrade each left photo to a 102×126 JPEG like an ID card chip photo.
        #[arg(long)]
        left_as_chip: bool,
        #[arg(long)]
        json: bool,
    },
    /// Compute pass/review thresholds from labelled pairs and write them to --config.
    Calibrate {
        #[arg(long)]
        pairs: PathBuf,
        #[arg(long)]
        root: PathBuf,
        /// The impostor rate allowed to pass outright (0.001 = 0.1 %).
        #[arg(long, default_value_t = 0.001)]
        target_far: f64,
        /// The impostor rate allowed to reach staff review instead of failing (default 10 × target, at most 0.05).
        #[arg(long)]
        review_far: Option<f64>,
        #[arg(long)]
        left_as_chip: bool,
        /// Print the thresholds without writing the config.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Compare the largest face of two photos.
    Compare {
        left: PathBuf,
        right: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CardCommand {
    /// Read one card and print its fields (ID number and name masked unless --reveal) and the
    /// photo's format and size, or the reader's error.
    Read {
        /// A serial port path, or `auto` to scan; default: the configured reader
        /// (drivers.id_card; the simulator unless configured otherwise).
        #[arg(long)]
        port: Option<String>,
        /// Open at this rate only (default: probe 115200, 57600, 38400, 19200, 9600).
        #[arg(long)]
        baud: Option<u32>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 15)]
        timeout: u64,
        /// Photo decoder: none | image | vendor (default: drivers.id_card.photo_decoder).
        #[arg(long)]
        decoder: Option<String>,
        #[arg(long)]
        json: bool,
        /// Print the ID number, name, birth date and addresses in full.
        #[arg(long)]
        reveal: bool,
    },
    /// Read a photographed card (the portrait side) by OCR: find and straighten the card, read
    /// every field, check them (ID number, birth date and sex against the number). Personal
    /// fields are masked unless --reveal. The chip is always preferred; this is the fallback.
    Ocr {
        /// The photo (JPEG or PNG).
        image: std::path::PathBuf,
        /// A photo of the emblem side too: the issuing authority and the validity period.
        #[arg(long)]
        back: Option<std::path::PathBuf>,
        /// Write the straightened card here (PNG).
        #[arg(long)]
        card_out: Option<std::path::PathBuf>,
        /// The PP-OCRv4 models' folder (default: $ZK_MODELS_DIR/ppocr-v4).
        #[arg(long)]
        models: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        reveal: bool,
    },
    /// Draw synthetic specimen cards (样本, made-up people) photographed on a desk, with their
    /// true fields in truth.jsonl: test material for `zk card ocr`; never a real card.
    Specimen {
        /// Output folder.
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value_t = 10)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Folder of per-person face photo folders (default: $ZK_FACES_DIR).
        #[arg(long, env = "ZK_FACES_DIR")]
        faces: std::path::PathBuf,
    },
    /// List candidate serial ports and what answered on each.
    Ports {
        /// Also probe this path (e.g. a simulator's pty); repeatable.
        #[arg(long = "also")]
        also: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CameraCommand {
    /// List the cameras (index, name, description).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Save one frame as a JPEG (to check the camera and how it frames the candidate).
    Snap {
        #[arg(long)]
        out: PathBuf,
        /// A real camera: an index, /dev/videoN or a name from `zk camera list`; default: the
        /// configured camera ([drivers.camera]).
        #[arg(long)]
        device: Option<String>,
        /// Frames skipped first, so auto-exposure settles.
        #[arg(long, default_value_t = 10)]
        warmup: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MicCommand {
    /// List the input devices (id, name; * = the default).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Record 16-bit mono 16 kHz audio to a WAV file and print its level.
    Record {
        #[arg(long, default_value_t = 5)]
        seconds: u32,
        #[arg(long)]
        out: PathBuf,
        /// An id or name from `zk mic list`; default: drivers.microphone.device, else the
        /// system's default input.
        #[arg(long)]
        device: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ReaderCommand {
    /// Serve a card script on a pseudo-terminal with the reader protocol; prints the path to open.
    Simulate {
        /// The card script (assets/sim/cards.json format, plus protocol faults).
        #[arg(long)]
        script: PathBuf,
        /// The simulated SAM's rate.
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
        /// A stable symlink to the pty (kept across simulated unplug/replug).
        #[arg(long)]
        link: Option<PathBuf>,
        /// Answer at once instead of with a real SAM's delays.
        #[arg(long)]
        instant: bool,
    },
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

fn parse_decoder(
    text: Option<&str>,
) -> Result<Option<zk_drivers::PhotoDecoderKind>, commands::CliError> {
    use zk_drivers::PhotoDecoderKind;
    match text {
        None => Ok(None),
        Some("none") => Ok(Some(PhotoDecoderKind::None)),
        Some("image") => Ok(Some(PhotoDecoderKind::Image)),
        Some("vendor") => Ok(Some(PhotoDecoderKind::Vendor)),
        Some(other) => Err(commands::CliError::Usage(format!(
            "--decoder {other:?}: use none, image or vendor"
        ))),
    }
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
        Command::Card(CardCommand::Read {
            port,
            baud,
            timeout,
            decoder,
            json,
            reveal,
        }) => match parse_decoder(decoder.as_deref()) {
            Ok(decoder) => card::read(
                &context,
                &card::ReadOptions {
                    port: port.as_deref(),
                    baud,
                    timeout: std::time::Duration::from_secs(timeout),
                    decoder,
                    json,
                    reveal,
                },
            ),
            Err(error) => Err(error),
        },
        Command::Card(CardCommand::Ports { also, json }) => card::ports(&also, json),
        Command::Card(CardCommand::Ocr {
            image,
            back,
            card_out,
            models,
            json,
            reveal,
        }) => ocr::read(
            &image,
            back.as_deref(),
            card_out.as_deref(),
            models.as_deref(),
            json,
            reveal,
        ),
        Command::Card(CardCommand::Specimen {
            out,
            count,
            seed,
            faces,
        }) => ocr::specimens(&out, count, seed, &faces),
        Command::Mic(MicCommand::List { json }) => mic::list(json),
        Command::Camera(CameraCommand::List { json }) => camera::list(json),
        Command::Camera(CameraCommand::Snap {
            out,
            device,
            warmup,
            json,
        }) => camera::snap(&context, device.as_deref(), warmup, &out, json),
        Command::Mic(MicCommand::Record {
            seconds,
            out,
            device,
            json,
        }) => mic::record(&context, device.as_deref(), seconds, &out, json),
        Command::Reader(ReaderCommand::Simulate {
            script,
            baud,
            link,
            instant,
        }) => card::simulate(&script, baud, link.as_deref(), instant),
        Command::Face(FaceCommand::Eval {
            pairs,
            root,
            scores,
            left_as_chip,
            json,
        }) => face::eval(
            &context,
            &face::PairsOptions {
                pairs: &pairs,
                root: &root,
                left_as_chip,
            },
            scores.as_deref(),
            json,
        ),
        Command::Face(FaceCommand::Calibrate {
            pairs,
            root,
            target_far,
            review_far,
            left_as_chip,
            dry_run,
            json,
        }) => face::calibrate(
            &context,
            &face::CalibrateOptions {
                pairs: face::PairsOptions {
                    pairs: &pairs,
                    root: &root,
                    left_as_chip,
                },
                target_far,
                review_far,
                dry_run,
                json,
            },
        ),
        Command::Face(FaceCommand::Compare { left, right, json }) => {
            face::compare(&context, &left, &right, json)
        }
        Command::Photo(PhotoCommand::Check {
            file,
            id_photo,
            json,
        }) => photo::check(&context, &file, id_photo.as_deref(), json),
        Command::Photo(PhotoCommand::Fix { file, out, json }) => {
            photo::fix(&context, &file, &out, json)
        }
        Command::Demo => commands::demo(&context),
        Command::Operator(OperatorCommand::Add {
            id,
            name,
            role,
            acting,
        }) => admin::operator_add(&context, &id, &name, &role, acting.as_deref()),
        Command::Operator(OperatorCommand::List { json }) => admin::operator_list(&context, json),
        Command::Operator(OperatorCommand::Unlock { id, acting }) => {
            admin::operator_unlock(&context, &id, acting.as_deref())
        }
        Command::Operator(OperatorCommand::Passwd { id, acting }) => {
            admin::operator_passwd(&context, &id, acting.as_deref())
        }
        Command::StoreAdmin(StoreCommand::Purge { dry_run, json }) => {
            admin::store_purge(&context, dry_run, json)
        }
        Command::StoreAdmin(StoreCommand::RotateKey { json }) => {
            admin::store_rotate_key(&context, json)
        }
        Command::Desk(command) => sync::desk(&context, command),
        Command::Sync(command) => sync::sync(&context, command),
        Command::Hub(command) => sync::hub(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("zk: {error}");
            ExitCode::FAILURE
        }
    }
}
