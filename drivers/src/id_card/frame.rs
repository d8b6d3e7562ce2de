//! The GA/T 467 SAM serial protocol of second-generation ID card readers, as a pure codec.
//!
//! Request:  `AA AA AA 96 69 | LEN(2, BE) | CMD | PARA | DATA… | CHK`
//! Response: `AA AA AA 96 69 | LEN(2, BE) | SW1 | SW2 | SW3 | DATA… | CHK`
//! `LEN` counts the bytes after itself (including CHK); CHK is the XOR of every byte from LEN_H up
//! to the last data byte, so the XOR over `frame[5..]` is zero for a good frame.
//! No I/O here: [`FrameDecoder`] takes bytes from any stream (partial reads, junk before the
//! preamble, split frames) and yields checked [`Response`]s; [`decode_text`] turns the 256-byte
//! UCS-2 text block into an [`IdCard`] for every card type, and [`encode_text`] does the reverse
//! for the simulator.

use zk_domain::{CardPhoto, CardType, Date, Ethnicity, IdCard, PersonName, Sex, Validity};

pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];
/// Largest length accepted: a real reader sends at most `09 0A` (text + photo + fingerprint);
/// the protocol simulator's decoded JPEG photo needs up to ~4.3 KB.
pub const MAX_LEN: usize = 8192;
/// Smallest LEN of any frame: a request's CMD PARA CHK.
pub const MIN_LEN: usize = 3;
pub const TEXT_LEN: usize = 256;
pub const PHOTO_LEN: usize = 1024;

/// Host → SAM commands the kiosk uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    ResetSam,
    SamStatus,
    SamId,
    FindCard,
    SelectCard,
    ReadTextPhoto,
    ReadTextPhotoFingerprint,
    ReadExtraAddress,
    /// Index 0–4: 115200, 57600, 38400, 19200, 9600.
    SetBaud(u8),
}

impl Command {
    pub fn cmd_para(self) -> (u8, u8) {
        match self {
            Command::ResetSam => (0x10, 0xFF),
            Command::SamStatus => (0x11, 0xFF),
            Command::SamId => (0x12, 0xFF),
            Command::FindCard => (0x20, 0x01),
            Command::SelectCard => (0x20, 0x02),
            Command::ReadTextPhoto => (0x30, 0x01),
            Command::ReadExtraAddress => (0x30, 0x03),
            Command::ReadTextPhotoFingerprint => (0x30, 0x10),
            Command::SetBaud(index) => (0x60, index),
        }
    }

    /// The full request frame.
    pub fn encode(self) -> Vec<u8> {
        let (cmd, para) = self.cmd_para();
        encode_frame(&[cmd, para], &[])
    }

    /// The SW3 a successful answer carries (find answers 9F, everything else 90).
    pub fn success(self) -> Status {
        match self {
            Command::FindCard => Status::CardFound,
            _ => Status::Success,
        }
    }
}

/// Builds a frame: preamble, length, `head` (CMD PARA or SW1 SW2 SW3), `data`, checksum.
pub fn encode_frame(head: &[u8], data: &[u8]) -> Vec<u8> {
    let len = head.len() + data.len() + 1;
    let mut frame = Vec::with_capacity(7 + len);
    frame.extend_from_slice(&PREAMBLE);
    frame.extend_from_slice(&(len as u16).to_be_bytes());
    frame.extend_from_slice(head);
    frame.extend_from_slice(data);
    let checksum = frame[5..].iter().fold(0u8, |acc, byte| acc ^ byte);
    frame.push(checksum);
    frame
}

/// A decoded request: CMD, PARA and any data bytes.
pub type Request = (u8, u8, Vec<u8>);

/// SW3: the SAM's status byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    NoSuchItem,
    CardFound,
    HostChecksum,
    HostLength,
    BadCommand,
    NotPermitted,
    Unrecognised,
    CardRejectedSam,
    SamRejectedCard,
    VerifyFailed,
    FingerprintVerifyFailed,
    InfoLength,
    UnknownCardType,
    ReadFailed,
    RandomFailed,
    SamSelfTestFailed,
    SamNotAuthorised,
    NoCard,
    SelectFailed,
    Other(u8),
}

impl Status {
    pub fn from_byte(byte: u8) -> Status {
        match byte {
            0x90 => Status::Success,
            0x91 => Status::NoSuchItem,
            0x9F => Status::CardFound,
            0x10 => Status::HostChecksum,
            0x11 => Status::HostLength,
            0x21 => Status::BadCommand,
            0x23 => Status::NotPermitted,
            0x24 => Status::Unrecognised,
            0x31 => Status::CardRejectedSam,
            0x32 => Status::SamRejectedCard,
            0x33 => Status::VerifyFailed,
            0x37 => Status::FingerprintVerifyFailed,
            0x3F => Status::InfoLength,
            0x40 => Status::UnknownCardType,
            0x41 => Status::ReadFailed,
            0x47 => Status::RandomFailed,
            0x60 => Status::SamSelfTestFailed,
            0x66 => Status::SamNotAuthorised,
            0x80 => Status::NoCard,
            0x81 => Status::SelectFailed,
            other => Status::Other(other),
        }
    }

    pub fn byte(self) -> u8 {
        match self {
            Status::Success => 0x90,
            Status::NoSuchItem => 0x91,
            Status::CardFound => 0x9F,
            Status::HostChecksum => 0x10,
            Status::HostLength => 0x11,
            Status::BadCommand => 0x21,
            Status::NotPermitted => 0x23,
            Status::Unrecognised => 0x24,
            Status::CardRejectedSam => 0x31,
            Status::SamRejectedCard => 0x32,
            Status::VerifyFailed => 0x33,
            Status::FingerprintVerifyFailed => 0x37,
            Status::InfoLength => 0x3F,
            Status::UnknownCardType => 0x40,
            Status::ReadFailed => 0x41,
            Status::RandomFailed => 0x47,
            Status::SamSelfTestFailed => 0x60,
            Status::SamNotAuthorised => 0x66,
            Status::NoCard => 0x80,
            Status::SelectFailed => 0x81,
            Status::Other(byte) => byte,
        }
    }

    /// What it means, for staff and the log.
    pub fn message(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::NoSuchItem => "the card has no such item",
            Status::CardFound => "card found",
            Status::HostChecksum => "the reader received a frame with a bad checksum",
            Status::HostLength => "the reader received a frame with a bad length",
            Status::BadCommand => "the reader does not know the command",
            Status::NotPermitted => "operation not permitted",
            Status::Unrecognised => "unrecognised error",
            Status::CardRejectedSam => "the card failed to authenticate the security module",
            Status::SamRejectedCard => "the security module failed to authenticate the card",
            Status::VerifyFailed => "card information verification failed",
            Status::FingerprintVerifyFailed => "fingerprint information verification failed",
            Status::InfoLength => "card information length error",
            Status::UnknownCardType => "unrecognised card type",
            Status::ReadFailed => "reading the card failed (was it moved?)",
            Status::RandomFailed => "obtaining a random number from the card failed",
            Status::SamSelfTestFailed => {
                "the security module failed its self-test; reset or replace the reader"
            }
            Status::SamNotAuthorised => "the security module is not authorised",
            Status::NoCard => "no card on the reader",
            Status::SelectFailed => "selecting the card failed",
            Status::Other(_) => "unknown status code",
        }
    }
}

/// A checked response frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub sw1: u8,
    pub sw2: u8,
    pub status: Status,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The data can be a card's text and photo: never print it.
        write!(
            f,
            "Response({:02X} {:02X} {:?}, {} data bytes)",
            self.sw1,
            self.sw2,
            self.status,
            self.data.len()
        )
    }
}

impl Response {
    pub fn encode(&self) -> Vec<u8> {
        encode_frame(&[self.sw1, self.sw2, self.status.byte()], &self.data)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame length {len} is impossible ({MIN_LEN}..={MAX_LEN})")]
    BadLength { len: usize },
    #[error("frame checksum mismatch")]
    BadChecksum,
    #[error("unexpected card status {sw1:02X} {sw2:02X}")]
    UnexpectedStatus { sw1: u8, sw2: u8 },
    #[error("the read answer is malformed: {0}")]
    Payload(&'static str),
    #[error("the card text is malformed in field {field}")]
    Text { field: &'static str },
}

/// Reassembles response frames from a byte stream.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
    /// Junk bytes skipped while looking for a preamble (for diagnostics).
    pub skipped: usize,
}

impl FrameDecoder {
    pub fn new() -> FrameDecoder {
        FrameDecoder::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Drops everything buffered (before sending a new command).
    pub fn clear(&mut self) {
        self.buffer.clear();
    }

    /// A frame that has begun but not ended: `(bytes held, bytes the frame needs)`. When a
    /// deadline passes with one held, the reader sent a truncated frame, not nothing.
    pub fn partial_frame(&self) -> Option<(usize, usize)> {
        let start = find_preamble(&self.buffer)?;
        let held = self.buffer.len() - start;
        let needed = match self.buffer.get(start + 5..start + 7) {
            Some(&[high, low]) => 7 + usize::from(u16::from_be_bytes([high, low])),
            _ => 7,
        };
        (held < needed).then_some((held, needed))
    }

    /// The next complete response: `None` while more bytes are needed. A bad frame is returned
    /// as an error once and skipped (the decoder resynchronises one byte after its preamble).
    pub fn next_frame(&mut self) -> Option<Result<Response, FrameError>> {
        let frame = match self.next_raw()? {
            Ok(frame) => frame,
            Err(error) => return Some(Err(error)),
        };
        if frame.len() < 11 {
            // LEN 3 is a request's length; a response carries three status bytes.
            return Some(Err(FrameError::BadLength {
                len: frame.len() - 7,
            }));
        }
        let (sw1, sw2, sw3) = (frame[7], frame[8], frame[9]);
        if sw1 != 0 || sw2 != 0 {
            return Some(Err(FrameError::UnexpectedStatus { sw1, sw2 }));
        }
        let data = frame[10..frame.len() - 1].to_vec();
        Some(Ok(Response {
            sw1,
            sw2,
            status: Status::from_byte(sw3),
            data,
        }))
    }

    /// The next complete request (the reader's side, for simulators): `(CMD, PARA, DATA)`.
    pub fn next_request(&mut self) -> Option<Result<Request, FrameError>> {
        let frame = match self.next_raw()? {
            Ok(frame) => frame,
            Err(error) => return Some(Err(error)),
        };
        // A request is at least CMD PARA CHK (LEN 3); responses need 4.
        Some(Ok((frame[7], frame[8], frame[9..frame.len() - 1].to_vec())))
    }

    /// The next length- and checksum-checked frame, preamble included.
    fn next_raw(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        let Some(start) = find_preamble(&self.buffer) else {
            // Keep a possible partial preamble at the end.
            let keep = self.buffer.len().min(PREAMBLE.len() - 1);
            let drop = self.buffer.len() - keep;
            self.skipped += drop;
            self.buffer.drain(..drop);
            return None;
        };
        if start > 0 {
            self.skipped += start;
            self.buffer.drain(..start);
        }
        if self.buffer.len() < 7 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([self.buffer[5], self.buffer[6]]));
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            self.buffer.drain(..1);
            self.skipped += 1;
            return Some(Err(FrameError::BadLength { len }));
        }
        if self.buffer.len() < 7 + len {
            return None;
        }
        let frame: Vec<u8> = self.buffer.drain(..7 + len).collect();
        if frame[5..].iter().fold(0u8, |acc, byte| acc ^ byte) != 0 {
            return Some(Err(FrameError::BadChecksum));
        }
        Some(Ok(frame))
    }
}

fn find_preamble(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(PREAMBLE.len())
        .position(|window| window == PREAMBLE)
}

/// The blocks of a read answer (`30 01` or `30 10`).
#[derive(Clone, PartialEq, Eq)]
pub struct ReadPayload {
    pub text: [u8; TEXT_LEN],
    pub photo: Vec<u8>,
    /// Present only for `30 10` on a card with fingerprints; the kiosk does not keep it.
    pub fingerprint: Option<Vec<u8>>,
}

impl std::fmt::Debug for ReadPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ReadPayload(text, {} photo bytes, fingerprint: {})",
            self.photo.len(),
            self.fingerprint.is_some()
        )
    }
}

/// Splits a read answer using its big-endian length fields (2 for `30 01`, 3 for `30 10`),
/// bounds-checked against the data.
pub fn parse_read_payload(data: &[u8], with_fingerprint: bool) -> Result<ReadPayload, FrameError> {
    let fields = if with_fingerprint { 3 } else { 2 };
    let header = fields * 2;
    if data.len() < header {
        return Err(FrameError::Payload("shorter than its length fields"));
    }
    let length =
        |index: usize| usize::from(u16::from_be_bytes([data[index * 2], data[index * 2 + 1]]));
    let text_len = length(0);
    let photo_len = length(1);
    let fingerprint_len = if with_fingerprint { length(2) } else { 0 };
    if text_len != TEXT_LEN {
        return Err(FrameError::Payload("text block is not 256 bytes"));
    }
    if header + text_len + photo_len + fingerprint_len != data.len() {
        return Err(FrameError::Payload(
            "length fields do not add up to the frame",
        ));
    }
    let mut text = [0u8; TEXT_LEN];
    text.copy_from_slice(&data[header..header + TEXT_LEN]);
    let photo_start = header + TEXT_LEN;
    let photo = data[photo_start..photo_start + photo_len].to_vec();
    let fingerprint = (fingerprint_len > 0).then(|| data[photo_start + photo_len..].to_vec());
    Ok(ReadPayload {
        text,
        photo,
        fingerprint,
    })
}

/// Builds a read answer's data (the simulator's side).
pub fn encode_read_payload(
    text: &[u8; TEXT_LEN],
    photo: &[u8],
    fingerprint: Option<&[u8]>,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(6 + TEXT_LEN + photo.len());
    data.extend_from_slice(&(TEXT_LEN as u16).to_be_bytes());
    data.extend_from_slice(&(photo.len() as u16).to_be_bytes());
    if let Some(fingerprint) = fingerprint {
        data.extend_from_slice(&(fingerprint.len() as u16).to_be_bytes());
    }
    data.extend_from_slice(text);
    data.extend_from_slice(photo);
    if let Some(fingerprint) = fingerprint {
        data.extend_from_slice(fingerprint);
    }
    data
}

/// Reads UCS-2LE characters `[from, to)` (byte offsets), trimming the space padding and NULs.
fn field(
    text: &[u8; TEXT_LEN],
    from: usize,
    to: usize,
    name: &'static str,
) -> Result<String, FrameError> {
    joined_field(text, &[(from, to)], name)
}

/// Joins UCS-2LE fields and then trims the padding once, at the ends of the whole.
fn joined_field(
    text: &[u8; TEXT_LEN],
    ranges: &[(usize, usize)],
    name: &'static str,
) -> Result<String, FrameError> {
    let units: Vec<u16> = ranges
        .iter()
        .flat_map(|&(from, to)| text[from..to].chunks_exact(2))
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let decoded: String = char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| FrameError::Text { field: name })?;
    Ok(decoded
        .trim_end_matches([' ', '\0'])
        .trim_start()
        .to_owned())
}

fn date(text: &[u8; TEXT_LEN], from: usize, name: &'static str) -> Result<Date, FrameError> {
    let value = field(text, from, from + 16, name)?;
    parse_chip_date(&value).ok_or(FrameError::Text { field: name })
}

/// A chip date is exactly eight ASCII digits, `YYYYMMDD` (chrono alone would also take a sign
/// or a short year, which no card holds and which would not survive re-encoding).
fn parse_chip_date(value: &str) -> Option<Date> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Date::parse_from_str(value, "%Y%m%d").ok()
}

fn validity(text: &[u8; TEXT_LEN], from: usize) -> Result<Validity, FrameError> {
    let value = field(text, from, from + 16, "valid_to")?;
    if value == "长期" {
        return Ok(Validity::LongTerm);
    }
    parse_chip_date(&value)
        .map(Validity::Until)
        .ok_or(FrameError::Text { field: "valid_to" })
}

fn sex(text: &[u8; TEXT_LEN], from: usize) -> Result<Sex, FrameError> {
    let code = field(text, from, from + 2, "sex")?;
    Sex::from_code(&code).ok_or(FrameError::Text { field: "sex" })
}

fn optional(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// Decodes the 256-byte text block; the type flag at bytes 248–249 picks the layout
/// (`J` HMT permit, `I` foreign 2017, `Y` foreign 2023, anything else resident).
pub fn decode_text(text: &[u8; TEXT_LEN], photo: CardPhoto) -> Result<IdCard, FrameError> {
    let flag = u16::from_le_bytes([text[248], text[249]]);
    let card = match char::from_u32(u32::from(flag)) {
        Some('J') => IdCard {
            card_type: CardType::HmtPermit,
            name: PersonName::new(field(text, 0, 30, "name")?),
            name_en: None,
            sex: sex(text, 30)?,
            ethnicity: None,
            birth_date: date(text, 36, "birth_date")?,
            address: optional(field(text, 52, 122, "address")?),
            extra_addresses: Vec::new(),
            number: field(text, 122, 158, "number")?,
            authority: field(text, 158, 188, "authority")?,
            valid_from: date(text, 188, "valid_from")?,
            valid_to: validity(text, 204)?,
            permit_number: optional(field(text, 220, 238, "permit_number")?),
            issue_count: optional(field(text, 238, 242, "issue_count")?),
            nationality: None,
            photo,
        },
        Some('I') => IdCard {
            card_type: CardType::ForeignPermanent2017,
            name: PersonName::new(field(text, 158, 188, "name")?),
            name_en: optional(field(text, 0, 120, "name_en")?),
            sex: sex(text, 120)?,
            ethnicity: None,
            birth_date: date(text, 220, "birth_date")?,
            address: None,
            extra_addresses: Vec::new(),
            number: field(text, 122, 152, "number")?,
            authority: field(text, 240, 248, "authority")?,
            valid_from: date(text, 188, "valid_from")?,
            valid_to: validity(text, 204)?,
            permit_number: None,
            issue_count: None,
            nationality: optional(field(text, 152, 158, "nationality")?),
            photo,
        },
        Some('Y') => {
            // One name in two fields: the first is full when the second is used, so the two
            // join without trimming (a space or anything else at the split is part of the name).
            let english = joined_field(text, &[(52, 122), (220, 242)], "name_en")?;
            IdCard {
                card_type: CardType::ForeignPermanent2023,
                name: PersonName::new(field(text, 0, 30, "name")?),
                name_en: optional(english),
                sex: sex(text, 30)?,
                ethnicity: None,
                birth_date: date(text, 36, "birth_date")?,
                address: None,
                extra_addresses: Vec::new(),
                number: field(text, 122, 158, "number")?,
                authority: String::new(),
                valid_from: date(text, 188, "valid_from")?,
                valid_to: validity(text, 204)?,
                permit_number: None,
                issue_count: optional(field(text, 32, 36, "renewal_count")?),
                nationality: optional(field(text, 242, 248, "nationality")?),
                photo,
            }
        }
        _ => {
            let ethnicity_code = field(text, 32, 36, "ethnicity")?;
            let ethnicity = ethnicity_code
                .parse::<u8>()
                .map(Ethnicity::from_code)
                .map_err(|_| FrameError::Text { field: "ethnicity" })?;
            IdCard {
                card_type: CardType::Resident,
                name: PersonName::new(field(text, 0, 30, "name")?),
                name_en: None,
                sex: sex(text, 30)?,
                ethnicity: Some(ethnicity),
                birth_date: date(text, 36, "birth_date")?,
                address: optional(field(text, 52, 122, "address")?),
                extra_addresses: Vec::new(),
                number: field(text, 122, 158, "number")?,
                authority: field(text, 158, 188, "authority")?,
                valid_from: date(text, 188, "valid_from")?,
                valid_to: validity(text, 204)?,
                permit_number: None,
                issue_count: None,
                nationality: None,
                photo,
            }
        }
    };
    Ok(card)
}

/// Writes `value` as space-padded UCS-2LE into `[from, to)`; longer values are cut.
/// Writes `value` as UCS-2LE into `[from, to)`, space padded; a value too long is cut at a whole
/// character (never half a surrogate pair).
fn put(text: &mut [u8; TEXT_LEN], from: usize, to: usize, value: &str) {
    let slots = (to - from) / 2;
    let mut units: Vec<u16> = Vec::with_capacity(slots);
    for c in value.chars() {
        let mut buffer = [0u16; 2];
        let encoded = c.encode_utf16(&mut buffer);
        if units.len() + encoded.len() > slots {
            break;
        }
        units.extend_from_slice(encoded);
    }
    units.resize(slots, u16::from(b' '));
    for (offset, unit) in (from..to).step_by(2).zip(units) {
        text[offset..offset + 2].copy_from_slice(&unit.to_le_bytes());
    }
}

/// Writes UTF-16 units into `[from, to)`, space padded (the rest is cut).
fn put_units(text: &mut [u8; TEXT_LEN], from: usize, to: usize, units: &[u16]) {
    let padded = units
        .iter()
        .copied()
        .chain(std::iter::repeat(u16::from(b' ')));
    for (offset, unit) in (from..to).step_by(2).zip(padded) {
        text[offset..offset + 2].copy_from_slice(&unit.to_le_bytes());
    }
}

fn date_text(date: Date) -> String {
    date.format("%Y%m%d").to_string()
}

fn validity_text(validity: Validity) -> String {
    match validity {
        Validity::Until(date) => date_text(date),
        Validity::LongTerm => "长期".to_owned(),
    }
}

/// Encodes a card into the 256-byte text block (the simulator's side of [`decode_text`]).
pub fn encode_text(card: &IdCard) -> [u8; TEXT_LEN] {
    let mut text = [0u8; TEXT_LEN];
    put(&mut text, 0, TEXT_LEN, "");
    let or_empty = |value: &Option<String>| value.clone().unwrap_or_default();
    match card.card_type {
        CardType::Resident | CardType::HmtPermit => {
            put(&mut text, 0, 30, card.name.expose());
            put(&mut text, 30, 32, card.sex.code());
            if let Some(ethnicity) = card.ethnicity {
                put(&mut text, 32, 36, &format!("{:02}", ethnicity.code()));
            }
            put(&mut text, 36, 52, &date_text(card.birth_date));
            put(&mut text, 52, 122, &or_empty(&card.address));
            put(&mut text, 122, 158, &card.number);
            put(&mut text, 158, 188, &card.authority);
            put(&mut text, 188, 204, &date_text(card.valid_from));
            put(&mut text, 204, 220, &validity_text(card.valid_to));
            if card.card_type == CardType::HmtPermit {
                put(&mut text, 220, 238, &or_empty(&card.permit_number));
                put(&mut text, 238, 242, &or_empty(&card.issue_count));
                put(&mut text, 248, 250, "J");
            }
        }
        CardType::ForeignPermanent2017 => {
            put(&mut text, 0, 120, &or_empty(&card.name_en));
            put(&mut text, 120, 122, card.sex.code());
            put(&mut text, 122, 152, &card.number);
            put(&mut text, 152, 158, &or_empty(&card.nationality));
            put(&mut text, 158, 188, card.name.expose());
            put(&mut text, 188, 204, &date_text(card.valid_from));
            put(&mut text, 204, 220, &validity_text(card.valid_to));
            put(&mut text, 220, 236, &date_text(card.birth_date));
            put(&mut text, 240, 248, &card.authority);
            put(&mut text, 248, 250, "I");
        }
        CardType::ForeignPermanent2023 => {
            // Split by UTF-16 unit, not by character: decoding joins the two fields' units
            // before decoding them, so even a surrogate pair may straddle the split.
            let english: Vec<u16> = or_empty(&card.name_en).encode_utf16().collect();
            let (first, rest) = english.split_at(english.len().min(35));
            put(&mut text, 0, 30, card.name.expose());
            put(&mut text, 30, 32, card.sex.code());
            put(&mut text, 32, 36, &or_empty(&card.issue_count));
            put(&mut text, 36, 52, &date_text(card.birth_date));
            put_units(&mut text, 52, 122, first);
            put(&mut text, 122, 158, &card.number);
            put(&mut text, 188, 204, &date_text(card.valid_from));
            put(&mut text, 204, 220, &validity_text(card.valid_to));
            put_units(&mut text, 220, 242, rest);
            put(&mut text, 242, 248, &or_empty(&card.nationality));
            put(&mut text, 248, 250, "Y");
        }
    }
    text
}

#[cfg(test)]
mod tests;

/// One additional-address record (`30 03`): 35 UCS-2LE characters, space padded.
pub const EXTRA_ADDRESS_LEN: usize = 70;

/// Decodes a `30 03` answer: k × 70-byte records, blank records skipped.
pub fn parse_extra_addresses(data: &[u8]) -> Result<Vec<String>, FrameError> {
    if data.is_empty() || !data.chunks_exact(EXTRA_ADDRESS_LEN).remainder().is_empty() {
        return Err(FrameError::Payload(
            "additional address is not a whole number of 70-byte records",
        ));
    }
    let mut addresses = Vec::new();
    for record in data.chunks_exact(EXTRA_ADDRESS_LEN) {
        let units: Vec<u16> = record
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        let text: String = char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| FrameError::Text {
                field: "extra_address",
            })?;
        let text = text.trim_matches([' ', '\0']).to_owned();
        if !text.is_empty() {
            addresses.push(text);
        }
    }
    Ok(addresses)
}

/// Builds a `30 03` answer's data (the simulator's side); each address is cut to 35 characters.
pub fn encode_extra_addresses(addresses: &[String]) -> Vec<u8> {
    let mut data = Vec::with_capacity(addresses.len() * EXTRA_ADDRESS_LEN);
    for address in addresses {
        let mut record = [0u8; EXTRA_ADDRESS_LEN];
        let mut units = address.encode_utf16().chain(std::iter::repeat(0x20));
        for pair in record.chunks_exact_mut(2) {
            let unit = units.next().unwrap_or(0x20);
            pair.copy_from_slice(&unit.to_le_bytes());
        }
        data.extend_from_slice(&record);
    }
    data
}

/// Formats a `12 FF` answer (16 bytes, little endian `u16 u16 u32 u32 u32`) the way vendor tools
/// print a SAM ID: `05.01-20200101-0123456789-1234567890`.
pub fn parse_sam_id(data: &[u8]) -> Result<String, FrameError> {
    let Ok(bytes) = <[u8; 16]>::try_from(data) else {
        return Err(FrameError::Payload("a SAM ID is 16 bytes"));
    };
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Ok(format!(
        "{:02}.{:02}-{:08}-{:010}-{:010}",
        u16_at(0),
        u16_at(2),
        u32_at(4),
        u32_at(8),
        u32_at(12)
    ))
}

/// The inverse of [`parse_sam_id`], for the simulator: `None` unless `text` has that shape.
pub fn encode_sam_id(text: &str) -> Option<[u8; 16]> {
    let (head, rest) = text.split_once('-')?;
    let (a, b) = head.split_once('.')?;
    let mut parts = rest.split('-');
    let (c, d, e) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut bytes = [0u8; 16];
    bytes[0..2].copy_from_slice(&a.parse::<u16>().ok()?.to_le_bytes());
    bytes[2..4].copy_from_slice(&b.parse::<u16>().ok()?.to_le_bytes());
    bytes[4..8].copy_from_slice(&c.parse::<u32>().ok()?.to_le_bytes());
    bytes[8..12].copy_from_slice(&d.parse::<u32>().ok()?.to_le_bytes());
    bytes[12..16].copy_from_slice(&e.parse::<u32>().ok()?.to_le_bytes());
    Some(bytes)
}
