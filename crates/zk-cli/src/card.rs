//! `zk card read|ports` and `zk reader simulate`: the ID card reader from the command line, for
//! installing a desk (which port, which rate, does the photo decode) and for support.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use zk_domain::{id_number::redact, CardPhoto, IdCard, Validity};
use zk_drivers::id_card::photo::{open_decoder, PhotoDecoderKind};
use zk_drivers::id_card::pty_sim::PtySimulator;
use zk_drivers::id_card::sam_sim::{SamSimulator, Timing};
use zk_drivers::id_card::serial::{candidate_ports, probe_ports, SerialIdCardReader};
use zk_drivers::{DeviceError, IdCardReader};

use crate::commands::{CliError, Context};

pub struct ReadOptions<'a> {
    pub port: Option<&'a str>,
    pub baud: Option<u32>,
    pub timeout: Duration,
    pub decoder: Option<PhotoDecoderKind>,
    pub json: bool,
    pub reveal: bool,
}

fn device_error(error: DeviceError) -> CliError {
    CliError::Failed(format!("ID card reader: {error}"))
}

/// Opens the reader named by `--port` (a path or `auto`), or else the configured one.
fn open_reader(
    context: &Context,
    options: &ReadOptions<'_>,
) -> Result<Box<dyn IdCardReader>, CliError> {
    let config = context.config()?;
    let id_config = &config.drivers.id_card;
    let kind = options.decoder.unwrap_or(id_config.photo_decoder);
    let decoder = open_decoder(kind, &id_config.vendor_decoder)
        .map_err(|error| CliError::Failed(format!("photo decoder: {error}")))?;
    let reader = match (options.port, options.baud) {
        (Some("auto"), None) => SerialIdCardReader::open_auto(),
        (Some("auto"), Some(_)) => {
            return Err(CliError::Usage(
                "--baud needs a --port path (auto probes every rate)".into(),
            ))
        }
        (Some(path), Some(baud)) => SerialIdCardReader::open_at(path, baud),
        (Some(path), None) => SerialIdCardReader::open(path),
        (None, Some(_)) => return Err(CliError::Usage("--baud needs --port".into())),
        (None, None) => {
            let assets = zk_app::assets::locate(config.assets_dir.as_deref())?;
            let mut drivers = config.drivers.clone();
            drivers.id_card.photo_decoder = kind;
            return drivers.open_id_card_reader(&assets).map_err(device_error);
        }
    }
    .map_err(device_error)?;
    Ok(Box::new(reader.with_photo_decoder(decoder)))
}

pub fn read(context: &Context, options: &ReadOptions<'_>) -> Result<(), CliError> {
    let mut reader = open_reader(context, options)?;
    if !options.json {
        eprintln!(
            "place the ID card on the reader (waiting {} s)…",
            options.timeout.as_secs()
        );
    }
    let card = reader
        .read(options.timeout)
        .map_err(device_error)?
        .ok_or_else(|| {
            CliError::Failed(format!(
                "no card was placed within {} s; place the card flat on the reader and run again",
                options.timeout.as_secs()
            ))
        })?;
    let today = today();
    print_card(&card, today, options.json, options.reveal);
    Ok(())
}

/// Today in China (UTC+8), from the system clock.
fn today() -> Option<zk_domain::Date> {
    use zk_app::Clock;
    let millis = zk_app::SystemClock.now().as_millis();
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|utc| (utc + chrono::Duration::hours(8)).date_naive())
}

/// What the photo is, never its bytes.
fn photo_summary(photo: &CardPhoto) -> (String, Option<(u32, u32)>, usize) {
    match photo {
        CardPhoto::Decoded(bytes) => {
            let format = image::guess_format(bytes)
                .map(|format| format!("{format:?}").to_uppercase())
                .unwrap_or_else(|_| "image".into());
            let size = image::load_from_memory(bytes)
                .ok()
                .map(|image| (image.width(), image.height()));
            (format, size, bytes.len())
        }
        CardPhoto::Undecoded(bytes) => ("undecoded".into(), None, bytes.len()),
        CardPhoto::Missing => ("missing".into(), None, 0),
    }
}

pub(crate) fn mask_name(name: &str, reveal: bool) -> String {
    if reveal {
        return name.to_owned();
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first)
            .chain(chars.map(|c| if c == '·' { c } else { '*' }))
            .collect(),
        None => String::new(),
    }
}

fn print_card(card: &IdCard, today: Option<zk_domain::Date>, json: bool, reveal: bool) {
    let number = if reveal {
        card.number.clone()
    } else {
        redact(&card.number)
    };
    let name = mask_name(card.name.expose(), reveal);
    let address = |text: &str| {
        if reveal {
            text.to_owned()
        } else {
            let head: String = text.chars().take(6).collect();
            format!("{head}…")
        }
    };
    let valid_to = match card.valid_to {
        Validity::LongTerm => "长期".to_owned(),
        Validity::Until(date) => date.to_string(),
    };
    let check = match today.map(|date| card.check(date)) {
        Some(Ok(())) => "valid".to_owned(),
        Some(Err(problem)) => problem.to_string(),
        None => "not checked (no clock)".to_owned(),
    };
    let (format, size, bytes) = photo_summary(&card.photo);
    if json {
        let value = json!({
            "card_type": format!("{:?}", card.card_type),
            "name": name,
            "name_en": card.name_en.as_deref().map(|n| if reveal { n.to_owned() } else { mask_name(n, false) }),
            "sex": card.sex.code(),
            "ethnicity": card.ethnicity.map(|e| e.label()),
            "birth_date": if reveal { Some(card.birth_date.to_string()) } else { None },
            "address": card.address.as_deref().map(address),
            "extra_addresses": card.extra_addresses.iter().map(|a| address(a)).collect::<Vec<_>>(),
            "number": number,
            "authority": card.authority,
            "valid_from": card.valid_from.to_string(),
            "valid_to": valid_to,
            "permit_number": card.permit_number.as_deref().map(redact),
            "issue_count": card.issue_count,
            "nationality": card.nationality,
            "check": check,
            "photo": {"format": format, "width": size.map(|s| s.0), "height": size.map(|s| s.1), "bytes": bytes},
        });
        println!("{value:#}");
        return;
    }
    println!("card type     {:?}", card.card_type);
    println!("name          {name}");
    if let Some(name_en) = &card.name_en {
        println!(
            "name (en)     {}",
            if reveal {
                name_en.clone()
            } else {
                mask_name(name_en, false)
            }
        );
    }
    println!("sex           {}", card.sex.label_zh());
    if let Some(ethnicity) = card.ethnicity {
        println!("ethnicity     {}", ethnicity.label());
    }
    if reveal {
        println!("birth date    {}", card.birth_date);
    }
    if let Some(text) = &card.address {
        println!("address       {}", address(text));
    }
    for text in &card.extra_addresses {
        println!("extra address {}", address(text));
    }
    println!("number        {number}");
    println!("authority     {}", card.authority);
    println!("valid         {} – {valid_to}", card.valid_from);
    if let Some(permit) = &card.permit_number {
        println!("permit no.    {}", redact(permit));
    }
    if let Some(nationality) = &card.nationality {
        println!("nationality   {nationality}");
    }
    println!("check         {check}");
    match (&card.photo, size) {
        (CardPhoto::Decoded(_), Some((width, height))) => {
            println!("photo         {format} {width}×{height}, {bytes} bytes")
        }
        (CardPhoto::Decoded(_), None) => println!("photo         {format}, {bytes} bytes"),
        (CardPhoto::Undecoded(_), _) => println!(
            "photo         not decoded ({bytes} bytes; configure drivers.id_card.vendor_decoder): staff compare the face by eye"
        ),
        (CardPhoto::Missing, _) => println!("photo         none on the card"),
    }
}

pub fn ports(extra: &[String], json: bool) -> Result<(), CliError> {
    let mut paths = candidate_ports();
    paths.extend(extra.iter().cloned());
    let probes = probe_ports(&paths);
    if json {
        let rows: Vec<_> = probes
            .iter()
            .map(|probe| match &probe.result {
                Ok((baud, sam_id)) => {
                    json!({"path": probe.path, "reader": true, "baud": baud, "sam_id": sam_id})
                }
                Err(error) => {
                    json!({"path": probe.path, "reader": false, "error": error.to_string(), "kind": format!("{:?}", error.kind())})
                }
            })
            .collect();
        println!("{:#}", serde_json::Value::Array(rows));
    } else if probes.is_empty() {
        println!("no serial ports found (a simulator's pty is not listed: pass its path with --also PATH)");
    } else {
        for probe in &probes {
            match &probe.result {
                Ok((baud, sam_id)) => println!(
                    "{:<24} ID card reader at {baud} baud, SAM {sam_id}",
                    probe.path
                ),
                Err(error) => println!("{:<24} no reader: {error}", probe.path),
            }
        }
    }
    if probes.iter().any(|probe| probe.result.is_ok()) {
        Ok(())
    } else {
        Err(CliError::Failed(
            "no ID card reader answered; check the cable and the reader's power, then run again"
                .into(),
        ))
    }
}

pub fn simulate(
    script: &Path,
    baud: u32,
    link: Option<&Path>,
    instant: bool,
) -> Result<(), CliError> {
    let timing = if instant {
        Timing::INSTANT
    } else {
        Timing::REALISTIC
    };
    let sam = SamSimulator::from_file(script, baud, timing).map_err(device_error)?;
    let simulator = PtySimulator::start(sam, link.map(Path::to_path_buf)).map_err(device_error)?;
    println!("{}", simulator.path().display());
    eprintln!(
        "simulated ID card reader at {baud} baud on {} ({} script events); Ctrl-C stops it",
        simulator.slave_path().display(),
        simulator.remaining()
    );
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}
