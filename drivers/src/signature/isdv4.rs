//! The Wacom ISDV4 ("W8001") serial pen protocol, as a pure codec (research §12.1; the layout is
//! documented by the Linux `wacom_w8001` driver).
//!
//! - Host → pad: single ASCII bytes: `'0'` stop, `'1'` start sending, `'*'` query.
//! - Pad → host: a 9-byte pen packet per sample, or an 11-byte control packet answering the query
//!   (the pen maxima). Byte 0 has bit 7 set (the lead bit) and every other byte has it clear, so a
//!   receiver resynchronises on the next lead byte. Control packets set bit 6 of byte 0; touch
//!   packets (bit 4) belong to finger-touch screens and are skipped.
//! - Pen packet: byte 0 bit 5 in range, bit 0 tip (touching), bit 1 side switch, bit 2 eraser;
//!   X = (b1 & 7F) << 9 | (b2 & 7F) << 2 | (b6 >> 5) & 3, Y = (b3 & 7F) << 9 | (b4 & 7F) << 2 |
//!   (b6 >> 3) & 3, pressure = (b5 & 7F) | (b6 & 7) << 7 (10 bits), tilt b7, b8.
//!
//! There is no checksum: [`PacketDecoder`] counts bytes that break the framing and packets whose
//! values exceed the queried maxima as corrupt.

pub const CMD_STOP: u8 = b'0';
pub const CMD_START: u8 = b'1';
pub const CMD_QUERY: u8 = b'*';
pub const PEN_PACKET_LEN: usize = 9;
pub const CONTROL_PACKET_LEN: usize = 11;
/// Touch packets of finger-touch models (not used for signing).
const TOUCH_PACKET_LEN: usize = 5;

const LEAD: u8 = 0x80;
const CONTROL: u8 = 0x40;
const TOUCH: u8 = 0x10;
const IN_RANGE: u8 = 0x20;
const TIP: u8 = 0x01;
const SIDE: u8 = 0x02;
const ERASER: u8 = 0x04;

/// One pen sample in device units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PenSample {
    pub x: u16,
    pub y: u16,
    /// 0–1023.
    pub pressure: u16,
    pub in_range: bool,
    pub tip: bool,
    pub side: bool,
    pub eraser: bool,
}

/// The pad's ranges, from the query answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PenLimits {
    pub max_x: u16,
    pub max_y: u16,
    pub max_pressure: u16,
}

/// What the decoder yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet {
    Pen(PenSample),
    /// The answer to `'*'`.
    Limits(PenLimits),
}

fn coordinates(data: &[u8]) -> (u16, u16, u16) {
    let b = |i: usize| u16::from(data[i] & 0x7F);
    let x = (b(1) << 9) | (b(2) << 2) | ((u16::from(data[6]) >> 5) & 0x3);
    let y = (b(3) << 9) | (b(4) << 2) | ((u16::from(data[6]) >> 3) & 0x3);
    let pressure = b(5) | ((u16::from(data[6]) & 0x7) << 7);
    (x, y, pressure)
}

fn put_coordinates(packet: &mut [u8], x: u16, y: u16, pressure: u16) {
    let seven = |value: u16| (value & 0x7F) as u8;
    packet[1] = seven(x >> 9);
    packet[2] = seven(x >> 2);
    packet[3] = seven(y >> 9);
    packet[4] = seven(y >> 2);
    packet[5] = seven(pressure);
    packet[6] = (((x & 0x3) << 5) | ((y & 0x3) << 3) | ((pressure >> 7) & 0x7)) as u8;
}

/// A 9-byte pen packet (the simulator's side). Values are cut to the protocol's ranges.
pub fn encode_pen(sample: &PenSample) -> [u8; PEN_PACKET_LEN] {
    let mut packet = [0u8; PEN_PACKET_LEN];
    packet[0] = LEAD
        | if sample.in_range { IN_RANGE } else { 0 }
        | if sample.tip { TIP } else { 0 }
        | if sample.side { SIDE } else { 0 }
        | if sample.eraser { ERASER } else { 0 };
    put_coordinates(&mut packet, sample.x, sample.y, sample.pressure & 0x3FF);
    packet
}

/// The 11-byte control packet answering `'*'`.
pub fn encode_limits(limits: &PenLimits) -> [u8; CONTROL_PACKET_LEN] {
    let mut packet = [0u8; CONTROL_PACKET_LEN];
    packet[0] = LEAD | CONTROL;
    put_coordinates(
        &mut packet,
        limits.max_x,
        limits.max_y,
        limits.max_pressure & 0x3FF,
    );
    packet
}

/// Reassembles packets from the byte stream and counts what had to be thrown away.
#[derive(Debug, Default)]
pub struct PacketDecoder {
    buffer: Vec<u8>,
    limits: Option<PenLimits>,
    /// Bytes dropped while resynchronising, and packets dropped as impossible.
    pub corrupt: usize,
    /// Pen packets decoded.
    pub packets: usize,
}

impl PacketDecoder {
    pub fn new() -> PacketDecoder {
        PacketDecoder::default()
    }

    /// Checks pen samples against these maxima from now on.
    pub fn set_limits(&mut self, limits: PenLimits) {
        self.limits = Some(limits);
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole packet, or `None` until more bytes arrive.
    pub fn next_packet(&mut self) -> Option<Packet> {
        loop {
            // Drop everything before a lead byte.
            let start = self.buffer.iter().position(|byte| byte & LEAD != 0);
            let Some(start) = start else {
                self.corrupt += self.buffer.len();
                self.buffer.clear();
                return None;
            };
            if start > 0 {
                self.corrupt += start;
                self.buffer.drain(..start);
            }
            let lead = self.buffer[0];
            let len = if lead & CONTROL != 0 {
                CONTROL_PACKET_LEN
            } else if lead & TOUCH != 0 {
                TOUCH_PACKET_LEN
            } else {
                PEN_PACKET_LEN
            };
            // A lead byte inside the packet means the packet was cut: resync there.
            let available = self.buffer.len().min(len);
            if let Some(cut) = self.buffer[1..available].iter().position(|b| b & LEAD != 0) {
                self.corrupt += cut + 1;
                self.buffer.drain(..=cut);
                continue;
            }
            if self.buffer.len() < len {
                return None;
            }
            let packet: Vec<u8> = self.buffer.drain(..len).collect();
            if lead & CONTROL != 0 {
                let (max_x, max_y, max_pressure) = coordinates(&packet);
                return Some(Packet::Limits(PenLimits {
                    max_x,
                    max_y,
                    max_pressure,
                }));
            }
            if lead & TOUCH != 0 {
                continue;
            }
            let (x, y, pressure) = coordinates(&packet);
            if let Some(limits) = self.limits {
                if x > limits.max_x || y > limits.max_y || pressure > limits.max_pressure {
                    self.corrupt += len;
                    continue;
                }
            }
            self.packets += 1;
            return Some(Packet::Pen(PenSample {
                x,
                y,
                pressure,
                in_range: lead & IN_RANGE != 0,
                tip: lead & TIP != 0,
                side: lead & SIDE != 0,
                eraser: lead & ERASER != 0,
            }));
        }
    }
}

#[cfg(test)]
mod tests;
