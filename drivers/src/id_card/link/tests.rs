use std::collections::{HashMap, VecDeque};
use std::io;

use super::*;
use crate::error::DeviceErrorKind;
use crate::id_card::frame::{encode_read_payload, encode_text, PHOTO_LEN};
use crate::testing::{answer, reader_card as card};

/// An in-memory reader: answers each request with scripted bytes, delivered in small chunks.
struct ScriptedPort {
    answers: HashMap<(u8, u8), VecDeque<Vec<u8>>>,
    pending: VecDeque<u8>,
    chunk: usize,
    fail_reads: Option<io::ErrorKind>,
}

impl ScriptedPort {
    fn new() -> ScriptedPort {
        ScriptedPort {
            answers: HashMap::new(),
            pending: VecDeque::new(),
            chunk: 7,
            fail_reads: None,
        }
    }

    fn answer(mut self, command: Command, bytes: Vec<u8>) -> ScriptedPort {
        self.answers
            .entry(command.cmd_para())
            .or_default()
            .push_back(bytes);
        self
    }
}

impl Write for ScriptedPort {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        assert_eq!(&buf[..5], &frame::PREAMBLE);
        let key = (buf[7], buf[8]);
        if let Some(answer) = self.answers.get_mut(&key).and_then(VecDeque::pop_front) {
            self.pending.extend(answer);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for ScriptedPort {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(kind) = self.fail_reads {
            return Err(io::Error::new(kind, "scripted"));
        }
        if self.pending.is_empty() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "nothing to read"));
        }
        let count = buf.len().min(self.chunk).min(self.pending.len());
        for slot in buf.iter_mut().take(count) {
            *slot = self.pending.pop_front().unwrap_or(0);
        }
        Ok(count)
    }
}

fn reader_with_card() -> ScriptedPort {
    let data = encode_read_payload(&encode_text(&card()), &[0x57; PHOTO_LEN], None);
    ScriptedPort::new()
        .answer(Command::FindCard, answer(Status::CardFound, &[0; 4]))
        .answer(Command::SelectCard, answer(Status::Success, &[0; 8]))
        .answer(Command::ReadTextPhoto, answer(Status::Success, &data))
}

#[test]
fn reads_a_card_through_find_select_read() {
    let mut link = SamLink::new(reader_with_card());
    assert_eq!(link.read_card().unwrap(), Some(card()));
    // The card stays halted after its read: find answers 80, which is "no card", not an error.
    let mut port = link.into_inner();
    port.answers
        .entry(Command::FindCard.cmd_para())
        .or_default()
        .push_back(answer(Status::NoCard, &[]));
    let mut link = SamLink::new(port);
    assert_eq!(link.read_card().unwrap(), None);
}

#[test]
fn status_check() {
    let port = ScriptedPort::new()
        .answer(Command::SamStatus, answer(Status::Success, &[]))
        .answer(Command::SamStatus, answer(Status::SamSelfTestFailed, &[]));
    let mut link = SamLink::new(port);
    link.status().unwrap();
    assert_eq!(
        link.status().unwrap_err().kind(),
        DeviceErrorKind::Unsupported
    );
}

#[test]
fn each_failure_has_its_own_kind() {
    // Card moved between select and read.
    let port = ScriptedPort::new()
        .answer(Command::FindCard, answer(Status::CardFound, &[0; 4]))
        .answer(Command::SelectCard, answer(Status::Success, &[0; 8]))
        .answer(Command::ReadTextPhoto, answer(Status::ReadFailed, &[]));
    assert_eq!(
        SamLink::new(port).read_card().unwrap_err().kind(),
        DeviceErrorKind::MediaRemoved
    );

    // A corrupted checksum.
    let mut bad = answer(Status::CardFound, &[0; 4]);
    let last = bad.len() - 1;
    bad[last] ^= 0x5A;
    let port = ScriptedPort::new().answer(Command::FindCard, bad);
    assert_eq!(
        SamLink::new(port).read_card().unwrap_err().kind(),
        DeviceErrorKind::CorruptData
    );

    // A truncated read answer (length fields that do not add up).
    let data = encode_read_payload(&encode_text(&card()), &[0x57; PHOTO_LEN], None);
    let port = ScriptedPort::new()
        .answer(Command::FindCard, answer(Status::CardFound, &[0; 4]))
        .answer(Command::SelectCard, answer(Status::Success, &[0; 8]))
        .answer(
            Command::ReadTextPhoto,
            answer(Status::Success, &data[..600]),
        );
    assert_eq!(
        SamLink::new(port).read_card().unwrap_err().kind(),
        DeviceErrorKind::CorruptData
    );

    // A reader that never answers.
    let mut link = SamLink::new(ScriptedPort::new());
    let error = link
        .exchange(Command::FindCard, Duration::from_millis(30))
        .unwrap_err();
    assert_eq!(error.kind(), DeviceErrorKind::Timeout);

    // Unplugged: the port reports a broken pipe.
    let mut port = ScriptedPort::new();
    port.fail_reads = Some(io::ErrorKind::BrokenPipe);
    assert_eq!(
        SamLink::new(port).read_card().unwrap_err().kind(),
        DeviceErrorKind::Disconnected
    );

    // Select fails: the card left; not an error, just no card this time.
    let port = ScriptedPort::new()
        .answer(Command::FindCard, answer(Status::CardFound, &[0; 4]))
        .answer(Command::SelectCard, answer(Status::SelectFailed, &[]));
    assert_eq!(SamLink::new(port).read_card().unwrap(), None);
}

#[test]
fn junk_before_the_answer_is_skipped() {
    let mut port = reader_with_card();
    port.chunk = 1;
    let find = port.answers.get_mut(&Command::FindCard.cmd_para()).unwrap();
    let mut noisy = vec![0x00, 0xFF, 0xAA, 0xAA];
    noisy.extend(find.pop_front().unwrap());
    find.push_back(noisy);
    assert_eq!(SamLink::new(port).read_card().unwrap(), Some(card()));
}
