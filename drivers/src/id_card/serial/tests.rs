//! The real serial backend over a pseudo-terminal pair: the master end plays the reader.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use serialport::TTYPort;

use super::*;
use crate::error::DeviceErrorKind;
use crate::id_card::frame::{encode_read_payload, encode_text, FrameDecoder, Status, PHOTO_LEN};
use crate::testing::{answer, reader_card as card};

/// Runs a reader on the master end: `respond(cmd, para)` gives the bytes to answer (None: stay
/// silent). Stops when `stop` is set or the slave side goes away.
fn spawn_reader(
    mut master: TTYPort,
    stop: Arc<AtomicBool>,
    mut respond: impl FnMut(u8, u8) -> Option<Vec<u8>> + Send + 'static,
) -> JoinHandle<()> {
    master.set_timeout(Duration::from_millis(20)).unwrap();
    std::thread::spawn(move || {
        let mut decoder = FrameDecoder::new();
        let mut buffer = [0u8; 256];
        while !stop.load(Ordering::SeqCst) {
            match master.read(&mut buffer) {
                Ok(count) => decoder.push(&buffer[..count]),
                Err(error) if error.kind() == std::io::ErrorKind::TimedOut => continue,
                // EIO while no one has the slave open (before the driver opens it): wait.
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            }
            while let Some(Ok((cmd, para, _))) = decoder.next_request() {
                if let Some(bytes) = respond(cmd, para) {
                    if master.write_all(&bytes).is_err() {
                        return;
                    }
                }
            }
        }
    })
}

/// A well-behaved reader with one card placed once: after the read the card is halted and
/// find answers "no card".
fn card_once() -> impl FnMut(u8, u8) -> Option<Vec<u8>> + Send + 'static {
    let mut read_done = false;
    let payload = encode_read_payload(&encode_text(&card()), &[0x57; PHOTO_LEN], None);
    move |cmd, para| match (cmd, para) {
        (0x11, 0xFF) => Some(answer(Status::Success, &[])),
        (0x20, 0x01) if read_done => Some(answer(Status::NoCard, &[])),
        (0x20, 0x01) => Some(answer(Status::CardFound, &[0; 4])),
        (0x20, 0x02) => Some(answer(Status::Success, &[0; 8])),
        (0x30, 0x01) => {
            read_done = true;
            Some(answer(Status::Success, &payload))
        }
        _ => Some(answer(Status::BadCommand, &[])),
    }
}

fn pair() -> (TTYPort, Box<dyn SerialPort>) {
    let (master, mut slave) = TTYPort::pair().expect("openpty");
    slave.set_timeout(Duration::from_millis(50)).unwrap();
    (master, Box::new(slave))
}

#[test]
fn reads_one_placement_once_over_a_pty() {
    let (master, slave) = pair();
    let stop = Arc::new(AtomicBool::new(false));
    let reader_thread = spawn_reader(master, stop.clone(), card_once());
    let mut reader = SerialIdCardReader::from_port(slave).unwrap();
    assert_eq!(reader.read(Duration::from_secs(3)).unwrap(), Some(card()));
    // Still on the reader, halted: no second read of the same placement.
    assert_eq!(reader.read(Duration::from_millis(400)).unwrap(), None);
    stop.store(true, Ordering::SeqCst);
    reader_thread.join().unwrap();
}

#[test]
fn corrupt_frame_and_silence_are_distinct_errors() {
    let (master, slave) = pair();
    let stop = Arc::new(AtomicBool::new(false));
    let mut status_sent = false;
    let reader_thread = spawn_reader(master, stop.clone(), move |cmd, _| {
        if cmd == 0x11 && !status_sent {
            status_sent = true;
            return Some(answer(Status::Success, &[]));
        }
        if cmd == 0x20 {
            let mut bad = answer(Status::CardFound, &[0; 4]);
            let last = bad.len() - 1;
            bad[last] ^= 0x01;
            return Some(bad);
        }
        None // silent
    });
    let mut reader = SerialIdCardReader::from_port(slave).unwrap();
    assert_eq!(
        reader.read(Duration::from_secs(2)).unwrap_err().kind(),
        DeviceErrorKind::CorruptData
    );
    assert_eq!(
        reader.link.as_mut().unwrap().status().unwrap_err().kind(),
        DeviceErrorKind::Timeout
    );
    stop.store(true, Ordering::SeqCst);
    reader_thread.join().unwrap();
}

#[test]
fn unplugged_reader_is_disconnected() {
    let (master, slave) = pair();
    let stop = Arc::new(AtomicBool::new(false));
    let mut answered = false;
    let reader_thread = spawn_reader(master, stop.clone(), move |_, _| {
        if answered {
            return None;
        }
        answered = true;
        Some(answer(Status::Success, &[]))
    });
    let mut reader = SerialIdCardReader::from_port(slave).unwrap();
    // Unplug: the reader's end closes.
    stop.store(true, Ordering::SeqCst);
    reader_thread.join().unwrap();
    let error = reader.read(Duration::from_secs(1)).unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected, "{error:?}");
}

#[test]
fn opening_a_missing_port_says_disconnected() {
    let error = match SerialIdCardReader::open("/dev/zikao-no-such-port") {
        Err(error) => error,
        Ok(_) => panic!("a missing port opened"),
    };
    assert_eq!(error.kind(), DeviceErrorKind::Disconnected);
}

#[test]
fn probing_finds_the_reader_by_path() {
    let (master, slave) = TTYPort::pair().expect("openpty");
    let path = slave.name().expect("pty name");
    drop(slave);
    let stop = Arc::new(AtomicBool::new(false));
    let reader_thread = spawn_reader(master, stop.clone(), card_once());
    let mut reader = SerialIdCardReader::open(&path).unwrap();
    assert_eq!(reader.baud_rate(), 115_200);
    assert_eq!(reader.read(Duration::from_secs(3)).unwrap(), Some(card()));
    stop.store(true, Ordering::SeqCst);
    reader_thread.join().unwrap();
}
