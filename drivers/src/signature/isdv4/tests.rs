use proptest::prelude::*;

use super::*;

fn sample(x: u16, y: u16, pressure: u16, tip: bool) -> PenSample {
    PenSample {
        x,
        y,
        pressure,
        in_range: true,
        tip,
        side: false,
        eraser: false,
    }
}

#[test]
fn packets_match_the_documented_layout() {
    // x = 0x1234: b1 = 0x1234 >> 9 = 0x09, b2 = (0x1234 >> 2) & 7F = 0x0D, low 2 bits 0 → b6 bits 5-6.
    let packet = encode_pen(&sample(0x1234, 0x0FFF, 0x3FF, true));
    assert_eq!(packet[0], 0x80 | 0x20 | 0x01);
    assert_eq!(packet[1], 0x09);
    assert_eq!(packet[2], 0x0D);
    assert_eq!(packet[3], 0x07);
    assert_eq!(packet[4], 0x7F);
    assert_eq!(packet[5], 0x7F);
    assert_eq!(packet[6], (0b11 << 3) | 0x7);
    assert!(packet[1..].iter().all(|byte| byte & 0x80 == 0));
    let limits = encode_limits(&PenLimits {
        max_x: 25_000,
        max_y: 10_000,
        max_pressure: 1023,
    });
    assert_eq!(limits[0], 0xC0);
    assert_eq!(limits.len(), CONTROL_PACKET_LEN);
}

#[test]
fn resynchronises_after_garbage_and_cut_packets() {
    let first = encode_pen(&sample(100, 200, 300, true));
    let second = encode_pen(&sample(400, 500, 600, false));
    let mut stream = vec![0x01, 0x02];
    stream.extend_from_slice(&first[..5]); // cut short by the next lead byte
    stream.extend_from_slice(&first);
    stream.extend_from_slice(&second);
    let mut decoder = PacketDecoder::new();
    decoder.push(&stream);
    assert_eq!(
        decoder.next_packet(),
        Some(Packet::Pen(sample(100, 200, 300, true)))
    );
    assert_eq!(
        decoder.next_packet(),
        Some(Packet::Pen(sample(400, 500, 600, false)))
    );
    assert_eq!(decoder.next_packet(), None);
    assert_eq!(decoder.corrupt, 2 + 5);
    assert_eq!(decoder.packets, 2);
}

#[test]
fn values_beyond_the_limits_are_corrupt_and_touch_packets_are_skipped() {
    let limits = PenLimits {
        max_x: 1000,
        max_y: 1000,
        max_pressure: 255,
    };
    let mut decoder = PacketDecoder::new();
    decoder.push(&encode_limits(&limits));
    assert_eq!(decoder.next_packet(), Some(Packet::Limits(limits)));
    decoder.set_limits(limits);
    decoder.push(&[0x90, 0x01, 0x02, 0x03, 0x04]); // a finger-touch packet
    decoder.push(&encode_pen(&sample(5000, 10, 10, true)));
    decoder.push(&encode_pen(&sample(10, 10, 10, true)));
    assert_eq!(
        decoder.next_packet(),
        Some(Packet::Pen(sample(10, 10, 10, true)))
    );
    assert_eq!(decoder.corrupt, PEN_PACKET_LEN);
}

proptest! {
    #[test]
    fn pen_packets_round_trip_through_any_split(
        x in any::<u16>(), y in any::<u16>(), pressure in 0u16..1024,
        tip: bool, side: bool, eraser: bool, split in 0usize..PEN_PACKET_LEN,
    ) {
        let original = PenSample { x, y, pressure, in_range: true, tip, side, eraser };
        let packet = encode_pen(&original);
        let mut decoder = PacketDecoder::new();
        decoder.push(&packet[..split]);
        prop_assert_eq!(decoder.next_packet(), None);
        decoder.push(&packet[split..]);
        prop_assert_eq!(decoder.next_packet(), Some(Packet::Pen(original)));
    }

    #[test]
    fn decoder_never_panics_and_drains(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut decoder = PacketDecoder::new();
        decoder.push(&bytes);
        let mut count = 0;
        while decoder.next_packet().is_some() {
            count += 1;
            prop_assert!(count <= bytes.len());
        }
    }
}
