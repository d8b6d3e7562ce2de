//! [`SamSimulator`]: a second-generation ID card reader's security module (SAM), as a sans-IO
//! state machine that answers GA/T 467 request frames (research §10). [`super::pty_sim`] puts it
//! on a pseudo-terminal so the real [`super::serial::SerialIdCardReader`] talks to it exactly as
//! to a reader on `/dev/ttyUSB0`; it is also the demo's reader.
//!
//! The script is the card script of [`super::sim`] (the same file works for both) with the
//! protocol's own faults. Each element is one of
//!
//! ```json
//! {"card": { …card fields…, "extra_address": ["…"] }}   a placement
//! {"none": true}                                        one find poll with no card
//! {"fault": "corrupt"}                                  see below
//! {"fault": "slow", "ms": 1500}
//! {"fault": "unplug", "ms": 1000}
//! {"fault": "wrong_baud", "baud": 9600}
//! ```
//!
//! Events are taken on a find-card poll when no card is on the reader or the card there was
//! already read (the candidate lifts it): faults before a card arm and apply to the answers that
//! follow, a card is placed, `none` answers "no card" once. A card that was read stays halted
//! ("no card" to every find) until the next event replaces it, so one placement reads once.
//!
//! Faults: `timeout` (the next answer never comes), `corrupt` (its checksum is wrong),
//! `truncated` (it stops halfway), `slow` (it comes after `ms`), `garbage` (junk before it),
//! `split` (it arrives in pieces), `removed` (the card is lifted between select and read: `41`),
//! `unplug` (the cable is pulled; with `ms` it is plugged back after that long), `wrong_baud` (the
//! SAM now runs at `baud`, so the host's rate is wrong until it probes again), `unsupported` (the
//! SAM is not authorised: every command but status answers `66`).

use std::collections::VecDeque;
use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use image::imageops::FilterType;
use image::ImageFormat;
use serde::Deserialize;
use zk_domain::{CardPhoto, IdCard};

use super::frame::{
    self, encode_extra_addresses, encode_read_payload, encode_text, FrameError, Request, Response,
    Status, TEXT_LEN,
};
use super::photo::{PHOTO_HEIGHT, PHOTO_WIDTH};
use super::sim::{load_photo, ParsedCard};
use crate::error::{Device, DeviceError};
use crate::sim;

const DEVICE: Device = Device::IdCardReader;

/// The largest photo block the simulator sends (a JPEG; see [`pack_photo`]).
pub const MAX_SIM_PHOTO: usize = 4000;

/// A card as its chip answers: the text block, the photo block and additional addresses.
#[derive(Clone, PartialEq, Eq)]
pub struct SimCard {
    pub text: [u8; TEXT_LEN],
    pub photo: Vec<u8>,
    pub extra_addresses: Vec<String>,
}

impl std::fmt::Debug for SimCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SimCard(text, {} photo bytes, {} extra addresses)",
            self.photo.len(),
            self.extra_addresses.len()
        )
    }
}

impl SimCard {
    /// The chip image of `card`. A decoded photo is packed with [`pack_photo`]; an undecoded one
    /// (a WLT block) is sent as it is; no photo sends an empty photo block.
    pub fn from_card(card: &IdCard, extra_addresses: Vec<String>) -> Result<SimCard, String> {
        let photo = match &card.photo {
            CardPhoto::Decoded(image) => pack_photo(image)?,
            CardPhoto::Undecoded(raw) => raw.clone(),
            CardPhoto::Missing => Vec::new(),
        };
        Ok(SimCard {
            text: encode_text(card),
            photo,
            extra_addresses,
        })
    }
}

/// Re-encodes a photo as the 102 × 126 JPEG that the simulator's chip "stores": the highest
/// quality that fits [`MAX_SIM_PHOTO`]. A real chip stores 1024 bytes of WLT, which only the
/// vendor's decoder reads; the simulator plays a reader that delivers a decoded image.
pub fn pack_photo(image_bytes: &[u8]) -> Result<Vec<u8>, String> {
    let image = image::load_from_memory(image_bytes)
        .map_err(|error| format!("card photo: {error}"))?
        .resize_to_fill(PHOTO_WIDTH, PHOTO_HEIGHT, FilterType::CatmullRom)
        .to_rgb8();
    for quality in [90u8, 80, 70, 60, 50, 40, 30] {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
            .encode_image(&image)
            .map_err(|error| format!("card photo: {error}"))?;
        if jpeg.len() <= MAX_SIM_PHOTO {
            return Ok(jpeg);
        }
    }
    // Unreachable for 102 × 126, but never send an oversized frame.
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|error| format!("card photo: {error}"))?;
    Err(format!(
        "card photo does not fit the simulator's {MAX_SIM_PHOTO}-byte block ({} bytes as PNG)",
        png.len()
    ))
}

/// A protocol-level fault (module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtocolFault {
    Silence,
    Corrupt,
    Truncated,
    Slow(Duration),
    Garbage,
    Split,
    Removed,
    Unplug(Option<Duration>),
    WrongBaud(u32),
    Unauthorised,
}

/// One script event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SamEvent {
    Card(Box<SimCard>),
    NoCard,
    Fault(ProtocolFault),
}

/// What the host does with the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Wait `delay`, then write the chunks with `gap` between them (no chunks: stay silent).
    Send {
        delay: Duration,
        chunks: Vec<Vec<u8>>,
        gap: Duration,
    },
    /// Pull the cable; plug it back after the duration, if any.
    Unplug(Option<Duration>),
}

/// How long the SAM takes per command (research §10.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub status: Duration,
    pub find: Duration,
    pub select: Duration,
    pub read: Duration,
}

impl Timing {
    /// The research note's estimates for a real SAM.
    pub const REALISTIC: Timing = Timing {
        status: Duration::from_millis(10),
        find: Duration::from_millis(50),
        select: Duration::from_millis(50),
        read: Duration::from_millis(600),
    };
    /// No processing time (tests).
    pub const INSTANT: Timing = Timing {
        status: Duration::ZERO,
        find: Duration::ZERO,
        select: Duration::ZERO,
        read: Duration::ZERO,
    };
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum CardState {
    Absent,
    Present(Box<SimCard>),
    Found(Box<SimCard>),
    Selected { card: Box<SimCard>, read_done: bool },
}

/// The SAM: card state, the script, armed faults and its baud rate.
#[derive(Debug)]
pub struct SamSimulator {
    script: VecDeque<SamEvent>,
    card: CardState,
    armed: VecDeque<ProtocolFault>,
    remove_on_read: bool,
    unauthorised: bool,
    baud: u32,
    sam_id: [u8; 16],
    timing: Timing,
}

/// The SAM ID the simulator reports (research §7.5's synthetic example).
pub const SIM_SAM_ID: &str = "05.01-20200101-0123456789-1234567890";

impl SamSimulator {
    pub fn new(events: Vec<SamEvent>, baud: u32, timing: Timing) -> SamSimulator {
        let sam_id = frame::encode_sam_id(SIM_SAM_ID).unwrap_or([0; 16]);
        SamSimulator {
            script: events.into(),
            card: CardState::Absent,
            armed: VecDeque::new(),
            remove_on_read: false,
            unauthorised: false,
            baud,
            sam_id,
            timing,
        }
    }

    /// Loads a script file (module docs) and packs every card photo.
    pub fn from_file(path: &Path, baud: u32, timing: Timing) -> Result<SamSimulator, DeviceError> {
        let text = sim::read_text(DEVICE, "card script", path)?;
        let events = parse_script(&text, path, sim::script_dir(path))?;
        Ok(SamSimulator::new(events, baud, timing))
    }

    /// Queues an event after those waiting.
    pub fn push(&mut self, event: SamEvent) {
        self.script.push_back(event);
    }

    pub fn remaining(&self) -> usize {
        self.script.len()
    }

    /// The rate the SAM runs at; a host at another rate gets garbage.
    pub fn baud(&self) -> u32 {
        self.baud
    }

    /// What the host hears when its rate is wrong: framing errors, no preamble.
    pub fn wrong_rate_noise(&self, request_len: usize) -> Action {
        let noise: Vec<u8> = (0..request_len.max(4))
            .map(|i| [0x00, 0xFF, 0xE0, 0xF8, 0x80][i % 5])
            .collect();
        Action::Send {
            delay: self.timing.status,
            chunks: vec![noise],
            gap: Duration::ZERO,
        }
    }

    /// Answers one request (or a request the SAM could not parse).
    pub fn handle(&mut self, request: Result<Request, FrameError>) -> Action {
        let (cmd, para, data) = match request {
            Ok(request) => request,
            Err(FrameError::BadChecksum) => return self.answer(Status::HostChecksum, Vec::new()),
            Err(_) => return self.answer(Status::HostLength, Vec::new()),
        };
        if (cmd, para) == (0x20, 0x01) {
            if let Some(action) = self.take_events() {
                return action;
            }
        }
        if self.unauthorised && (cmd, para) != (0x11, 0xFF) {
            return self.answer(Status::SamNotAuthorised, Vec::new());
        }
        let needs_data = (cmd, para) == (0x61, 0xFF);
        if needs_data != (data.len() == 1) {
            return self.answer(Status::BadCommand, Vec::new());
        }
        match (cmd, para) {
            (0x10, 0xFF) => {
                self.card = match std::mem::replace(&mut self.card, CardState::Absent) {
                    CardState::Found(card) | CardState::Selected { card, .. } => {
                        CardState::Present(card)
                    }
                    other => other,
                };
                self.answer(Status::Success, Vec::new())
            }
            (0x11, 0xFF) => self.answer(Status::Success, Vec::new()),
            (0x12, 0xFF) => self.answer(Status::Success, self.sam_id.to_vec()),
            (0x20, 0x01) => self.find(),
            (0x20, 0x02) => self.select(),
            (0x30, 0x01) => self.read(false),
            (0x30, 0x10) => self.read(true),
            (0x30, 0x03) => match &self.card {
                CardState::Selected { card, .. } if card.extra_addresses.is_empty() => {
                    self.answer(Status::NoSuchItem, Vec::new())
                }
                CardState::Selected { card, .. } => {
                    let data = encode_extra_addresses(&card.extra_addresses);
                    self.answer(Status::Success, data)
                }
                _ => self.answer(Status::ReadFailed, Vec::new()),
            },
            (0x60, index) => match super::serial::BAUD_RATES.get(usize::from(index)) {
                Some(&rate) => {
                    // The answer still goes out at the old rate.
                    let action = self.answer(Status::Success, Vec::new());
                    self.baud = rate;
                    action
                }
                None => self.answer(Status::BadCommand, Vec::new()),
            },
            (0x61, 0xFF) => self.answer(Status::Success, Vec::new()),
            _ => self.answer(Status::BadCommand, Vec::new()),
        }
    }

    /// On a find poll with no unread card: takes the script's next events.
    fn take_events(&mut self) -> Option<Action> {
        let unread_card_present = matches!(
            self.card,
            CardState::Present(_)
                | CardState::Found(_)
                | CardState::Selected {
                    read_done: false,
                    ..
                }
        );
        if unread_card_present {
            return None;
        }
        while let Some(event) = self.script.pop_front() {
            match event {
                SamEvent::Fault(ProtocolFault::Unplug(replug)) => {
                    return Some(Action::Unplug(replug))
                }
                SamEvent::Fault(ProtocolFault::WrongBaud(rate)) => {
                    // The answer to this poll already goes out at the new rate.
                    self.baud = rate;
                    return Some(self.wrong_rate_noise(7));
                }
                SamEvent::Fault(ProtocolFault::Unauthorised) => self.unauthorised = true,
                SamEvent::Fault(ProtocolFault::Removed) => self.remove_on_read = true,
                SamEvent::Fault(fault) => self.armed.push_back(fault),
                SamEvent::Card(card) => {
                    self.card = CardState::Present(card);
                    return None;
                }
                SamEvent::NoCard => {
                    self.card = CardState::Absent;
                    return None;
                }
            }
        }
        None
    }

    fn find(&mut self) -> Action {
        let (next, status) = match std::mem::replace(&mut self.card, CardState::Absent) {
            CardState::Absent => (CardState::Absent, Status::NoCard),
            // Halted after its read until lifted.
            halted @ CardState::Selected {
                read_done: true, ..
            } => (halted, Status::NoCard),
            CardState::Present(card)
            | CardState::Found(card)
            | CardState::Selected { card, .. } => (CardState::Found(card), Status::CardFound),
        };
        self.card = next;
        let data = if status == Status::CardFound {
            vec![0; 4]
        } else {
            Vec::new()
        };
        self.answer_after(self.timing.find, status, data)
    }

    fn select(&mut self) -> Action {
        match std::mem::replace(&mut self.card, CardState::Absent) {
            CardState::Found(card) => {
                self.card = CardState::Selected {
                    card,
                    read_done: false,
                };
                self.answer_after(self.timing.select, Status::Success, vec![0; 8])
            }
            other => {
                self.card = other;
                self.answer_after(self.timing.select, Status::SelectFailed, Vec::new())
            }
        }
    }

    fn read(&mut self, with_fingerprint: bool) -> Action {
        let CardState::Selected { card, .. } = &self.card else {
            return self.answer_after(self.timing.read, Status::ReadFailed, Vec::new());
        };
        if self.remove_on_read {
            self.remove_on_read = false;
            self.card = CardState::Absent;
            return self.answer_after(self.timing.read, Status::ReadFailed, Vec::new());
        }
        let fingerprint: &[u8] = &[];
        let data = encode_read_payload(
            &card.text,
            &card.photo,
            with_fingerprint.then_some(fingerprint),
        );
        if let CardState::Selected { read_done, .. } = &mut self.card {
            *read_done = true;
        }
        self.answer_after(self.timing.read, Status::Success, data)
    }

    fn answer(&mut self, status: Status, data: Vec<u8>) -> Action {
        self.answer_after(self.timing.status, status, data)
    }

    /// Builds the answer frame and applies the next armed fault to it.
    fn answer_after(&mut self, delay: Duration, status: Status, data: Vec<u8>) -> Action {
        let mut frame = Response {
            sw1: 0,
            sw2: 0,
            status,
            data,
        }
        .encode();
        let mut delay = delay;
        let mut gap = Duration::ZERO;
        let mut chunks = None;
        match self.armed.pop_front() {
            None => {}
            Some(ProtocolFault::Silence) => chunks = Some(Vec::new()),
            Some(ProtocolFault::Corrupt) => {
                if let Some(last) = frame.last_mut() {
                    *last ^= 0x5A;
                }
            }
            Some(ProtocolFault::Truncated) => frame.truncate(frame.len() / 2),
            Some(ProtocolFault::Slow(extra)) => delay += extra,
            Some(ProtocolFault::Garbage) => {
                let mut noisy = vec![0x00, 0x13, 0xAA, 0x96, 0xFF, 0xAA, 0xAA];
                noisy.extend_from_slice(&frame);
                frame = noisy;
            }
            Some(ProtocolFault::Split) => {
                chunks = Some(frame.chunks(7).map(<[u8]>::to_vec).collect());
                gap = Duration::from_millis(15);
            }
            // Taken when the event is read, never armed.
            Some(
                ProtocolFault::Removed
                | ProtocolFault::Unplug(_)
                | ProtocolFault::WrongBaud(_)
                | ProtocolFault::Unauthorised,
            ) => {}
        }
        Action::Send {
            delay,
            chunks: chunks.unwrap_or_else(|| vec![frame]),
            gap,
        }
    }
}

/// One script element as written; exactly one of `card`, `none` and `fault` is set.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    #[serde(default)]
    card: Option<Box<ParsedCard>>,
    #[serde(default)]
    none: Option<bool>,
    #[serde(default)]
    fault: Option<String>,
    #[serde(default)]
    ms: Option<u64>,
    #[serde(default)]
    baud: Option<u32>,
}

fn parse_script(text: &str, path: &Path, base_dir: &Path) -> Result<Vec<SamEvent>, DeviceError> {
    let raw: Vec<RawEvent> = sim::parse_json(DEVICE, path, text)?;
    let invalid = |index: usize, message: String| DeviceError::SimFile {
        device: DEVICE,
        what: "card script",
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("event {}: {message}", index + 1),
        ),
    };
    raw.into_iter()
        .enumerate()
        .map(|(index, event)| match event {
            RawEvent {
                card: Some(script_card),
                none: None,
                fault: None,
                ms: None,
                baud: None,
            } => {
                let ParsedCard {
                    mut card,
                    photo,
                    extra_address,
                } = *script_card;
                if let Some(relative) = photo {
                    card.photo = CardPhoto::Decoded(load_photo(&base_dir.join(relative))?);
                }
                let sim_card =
                    SimCard::from_card(&card, extra_address).map_err(|e| invalid(index, e))?;
                Ok(SamEvent::Card(Box::new(sim_card)))
            }
            RawEvent {
                card: None,
                none: Some(true),
                fault: None,
                ms: None,
                baud: None,
            } => Ok(SamEvent::NoCard),
            RawEvent {
                card: None,
                none: None,
                fault: Some(name),
                ms,
                baud,
            } => parse_fault(&name, ms, baud)
                .map(SamEvent::Fault)
                .map_err(|message| invalid(index, message)),
            _ => Err(invalid(
                index,
                "write exactly one of {\"card\": …}, {\"none\": true} or {\"fault\": …} (\"ms\" goes with slow/unplug, \"baud\" with wrong_baud)".into(),
            )),
        })
        .collect()
}

fn parse_fault(name: &str, ms: Option<u64>, baud: Option<u32>) -> Result<ProtocolFault, String> {
    let millis = ms.map(Duration::from_millis);
    let fault = match (name, millis, baud) {
        ("timeout", None, None) => ProtocolFault::Silence,
        ("corrupt", None, None) => ProtocolFault::Corrupt,
        ("truncated", None, None) => ProtocolFault::Truncated,
        ("slow", Some(extra), None) => ProtocolFault::Slow(extra),
        ("garbage", None, None) => ProtocolFault::Garbage,
        ("split", None, None) => ProtocolFault::Split,
        ("removed", None, None) => ProtocolFault::Removed,
        ("unplug", replug, None) => ProtocolFault::Unplug(replug),
        ("wrong_baud", None, Some(rate)) if super::serial::BAUD_RATES.contains(&rate) => {
            ProtocolFault::WrongBaud(rate)
        }
        ("unsupported", None, None) => ProtocolFault::Unauthorised,
        ("slow", None, _) => return Err("fault \"slow\" needs \"ms\"".into()),
        ("wrong_baud", _, _) => {
            return Err(format!(
                "fault \"wrong_baud\" needs \"baud\", one of {:?}",
                super::serial::BAUD_RATES
            ))
        }
        ("busy" | "no_card" | "permission_denied", _, _) => {
            return Err(format!(
                "fault {name:?} is not a protocol fault; the protocol simulator takes timeout, corrupt, truncated, slow, garbage, split, removed, unplug, wrong_baud and unsupported"
            ))
        }
        (other, _, _) if ms.is_some() || baud.is_some() => {
            return Err(format!("fault {other:?} takes no \"ms\" or \"baud\""))
        }
        (other, _, _) => {
            return Err(format!(
                "unknown fault {other:?}; use timeout, corrupt, truncated, slow, garbage, split, removed, unplug, wrong_baud or unsupported"
            ))
        }
    };
    Ok(fault)
}

#[cfg(test)]
mod tests;
