//! What the fuzz targets check, as plain functions: the targets in `fuzz_targets/` call them, and
//! `drivers/tests/fuzz_corpus.rs` includes this file (`#[path]`) to replay every corpus file and
//! crash reproducer on stable, without a fuzzer. Each function takes the raw fuzzer input and
//! panics when an invariant of `zk_drivers::id_card::frame` breaks; ordinary decode errors are
//! expected outcomes, not failures.
//!
//! This file must only use `std`, `zk_drivers` and `zk_domain` (the integration test has nothing
//! else).

use zk_domain::{CardPhoto, IdCard, PersonName};
use zk_drivers::id_card::frame::{
    decode_text, encode_extra_addresses, encode_frame, encode_read_payload, encode_sam_id,
    encode_text, parse_extra_addresses, parse_read_payload, parse_sam_id, FrameDecoder, FrameError,
    Request, Response, EXTRA_ADDRESS_LEN, MAX_LEN, TEXT_LEN,
};

/// Decoder calls that may return `Some` beyond one per pushed byte. Every `Some` consumes at
/// least one buffered byte, so more than `stream.len()` of them means the decoder stopped
/// making progress (an endless `while let Some(..)` loop in the host).
const CALL_SLACK: usize = 16;

/// `frame_decoder` input: byte 0 picks how the rest is cut into chunks (see [`chunk_sizes`]);
/// the rest is the byte stream, fed in those chunks to a host-side decoder (`next_frame`) and a
/// reader-side decoder (`next_request`), each drained after every chunk.
///
/// Checks: both decoders always come back to `None`; they see the same raw frames (a response
/// is a request whose CMD PARA are SW1 SW2); every decoded response and request survives
/// encode → decode unchanged; after each drain `partial_frame` describes a frame that is really
/// unfinished; every response's data is tried as a `30 01` and a `30 10` read answer (a parsed
/// answer re-encodes to the same bytes and its text block is decoded), as a
/// `30 03` additional-address answer and as a `12 FF` SAM ID, each of which must round-trip.
pub fn frame_decoder(data: &[u8]) {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let limit = stream.len() + CALL_SLACK;
    let mut host = FrameDecoder::new();
    let mut reader = FrameDecoder::new();
    let mut responses: Vec<Result<Response, FrameError>> = Vec::new();
    let mut requests: Vec<Result<Request, FrameError>> = Vec::new();
    let mut offset = 0;
    for size in chunk_sizes(control, stream.len()) {
        let chunk = &stream[offset..offset + size];
        offset += size;
        host.push(chunk);
        reader.push(chunk);
        while let Some(result) = host.next_frame() {
            responses.push(result);
            if responses.len() > limit {
                panic!(
                    "next_frame never returns None: {} results from {} bytes",
                    responses.len(),
                    stream.len()
                );
            }
        }
        while let Some(result) = reader.next_request() {
            requests.push(result);
            if requests.len() > limit {
                panic!(
                    "next_request never returns None: {} results from {} bytes",
                    requests.len(),
                    stream.len()
                );
            }
        }
        check_partial(&host);
        check_partial(&reader);
    }
    assert_eq!(offset, stream.len(), "the chunks cover the whole stream");
    assert!(
        host.skipped <= stream.len() && reader.skipped <= stream.len(),
        "skipped more bytes than were pushed: {} / {} of {}",
        host.skipped,
        reader.skipped,
        stream.len()
    );
    assert_eq!(
        host.skipped, reader.skipped,
        "both sides resynchronise on the same bytes"
    );
    assert_eq!(
        responses.len(),
        requests.len(),
        "both sides see the same frames: {responses:?} vs {requests:?}"
    );
    for (response, request) in responses.iter().zip(&requests) {
        check_same_frame(response, request);
    }
    for response in responses.iter().flatten() {
        check_response(response);
    }
    for request in requests.iter().flatten() {
        check_request(request);
    }
}

/// Chunk sizes for `len` stream bytes: `0` → one chunk; `n` → pseudo-random sizes in `1..=n`
/// (so `1` is byte by byte), drawn from a generator seeded with `n`.
pub fn chunk_sizes(control: u8, len: usize) -> Vec<usize> {
    if control == 0 {
        return vec![len];
    }
    let max = usize::from(control);
    let mut state = u32::from(control).wrapping_mul(0x9E37_79B9) | 1;
    let mut sizes = Vec::new();
    let mut left = len;
    while left > 0 {
        // xorshift32
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let size = (state as usize % max + 1).min(left);
        sizes.push(size);
        left -= size;
    }
    sizes
}

/// The host and the reader decoder share the raw-frame layer, so each result pair comes from the
/// same frame: a response is the request `(SW1, SW2, [SW3, DATA…])`.
fn check_same_frame(
    response: &Result<Response, FrameError>,
    request: &Result<Request, FrameError>,
) {
    match (response, request) {
        (Ok(response), Ok((cmd, para, data))) => {
            assert_eq!((*cmd, *para), (response.sw1, response.sw2), "{response:?}");
            assert_eq!(data.first(), Some(&response.status.byte()), "{response:?}");
            assert_eq!(&data[1..], &response.data[..], "{response:?}");
        }
        (Err(FrameError::UnexpectedStatus { sw1, sw2 }), Ok((cmd, para, data))) => {
            assert!(*sw1 != 0 || *sw2 != 0, "UnexpectedStatus for 00 00");
            assert_eq!((*cmd, *para), (*sw1, *sw2));
            assert!(!data.is_empty(), "UnexpectedStatus for a frame without SW3");
        }
        // A request-sized frame (LEN 3) is a bad response.
        (Err(FrameError::BadLength { len: 3 }), Ok((_, _, data))) => {
            assert!(
                data.is_empty(),
                "LEN 3 frame with {} data bytes",
                data.len()
            );
        }
        (Err(host), Err(reader)) => assert_eq!(host, reader),
        (response, request) => panic!("the two sides disagree: {response:?} vs {request:?}"),
    }
}

/// A drained decoder holds at most one unfinished frame, and it is really unfinished.
fn check_partial(decoder: &FrameDecoder) {
    if let Some((held, needed)) = decoder.partial_frame() {
        assert!(held < needed, "partial_frame {held} of {needed}");
        assert!(needed <= 7 + MAX_LEN, "partial_frame needs {needed} bytes");
        assert!(
            held >= 5,
            "partial_frame without a whole preamble: {held} bytes"
        );
    }
}

fn check_response(response: &Response) {
    assert_eq!(response.sw1, 0, "an Ok response has SW1 = 0");
    assert_eq!(response.sw2, 0, "an Ok response has SW2 = 0");
    let frame = response.encode();
    assert_eq!(frame.len(), 11 + response.data.len());
    let mut decoder = FrameDecoder::new();
    decoder.push(&frame);
    assert_eq!(
        decoder.next_frame(),
        Some(Ok(response.clone())),
        "re-encoded response"
    );
    assert_eq!(decoder.next_frame(), None);
    assert_eq!(decoder.skipped, 0);

    for with_fingerprint in [false, true] {
        let Ok(payload) = parse_read_payload(&response.data, with_fingerprint) else {
            continue;
        };
        let fingerprint = with_fingerprint.then(|| payload.fingerprint.as_deref().unwrap_or(&[]));
        assert!(
            payload.fingerprint.as_ref().is_none_or(|f| !f.is_empty()),
            "an empty fingerprint block is reported as None"
        );
        assert_eq!(
            encode_read_payload(&payload.text, &payload.photo, fingerprint),
            response.data,
            "re-encoded read answer (fingerprint field: {with_fingerprint})"
        );
        // Decoding the text must not panic; its round trip is the text_decoder target's job
        // (checking it here too would make both targets stop on the same text bug).
        let _ = decode_text(&payload.text, CardPhoto::Undecoded(payload.photo.clone()));
    }

    if let Ok(addresses) = parse_extra_addresses(&response.data) {
        assert!(addresses.len() <= response.data.len() / EXTRA_ADDRESS_LEN);
        for address in &addresses {
            assert!(!address.is_empty(), "blank address records are skipped");
            assert_eq!(
                address.trim_matches([' ', '\0']),
                address,
                "addresses are trimmed"
            );
        }
        if !addresses.is_empty() {
            // All-blank records parse to no address, which encodes to no bytes: not a valid
            // answer (an answer has at least one record), so only non-empty lists round-trip.
            assert_eq!(
                parse_extra_addresses(&encode_extra_addresses(&addresses)).as_ref(),
                Ok(&addresses),
                "re-encoded additional addresses"
            );
        }
    }

    if let Ok(id) = parse_sam_id(&response.data) {
        assert_eq!(
            encode_sam_id(&id).map(Vec::from),
            Some(response.data.clone()),
            "re-encoded SAM ID {id}"
        );
    }
}

fn check_request(request: &Request) {
    let (cmd, para, data) = request;
    let frame = encode_frame(&[*cmd, *para], data);
    let mut decoder = FrameDecoder::new();
    decoder.push(&frame);
    assert_eq!(
        decoder.next_request(),
        Some(Ok(request.clone())),
        "re-encoded request"
    );
    assert_eq!(decoder.next_request(), None);
    assert_eq!(decoder.skipped, 0);
}

/// `text_decoder` input: the 256-byte text block (shorter input is padded with zero bytes,
/// longer input is cut), decoded without a photo.
pub fn text_decoder(data: &[u8]) {
    let mut text = [0u8; TEXT_LEN];
    let len = data.len().min(TEXT_LEN);
    text[..len].copy_from_slice(&data[..len]);
    check_text(&text, CardPhoto::Missing);
}

/// Decodes a text block; when that succeeds, the card must survive `encode_text` → `decode_text`.
///
/// Not byte for byte: decoding normalises. `decode_text` trims `' '`/NUL at the end of a field
/// and Unicode whitespace at its start, `PersonName::new` trims Unicode whitespace at both ends,
/// and an empty optional field becomes `None`. So a name field holding `"李明\0\u{2000}"` (NUL, en
/// quad, then space padding) decodes to `"李明\0"` (the en quad goes), and that re-encodes and
/// decodes to `"李明"` (now the NUL is padding): each pass can peel one more layer off the ends.
/// That is padding trimming, not a bug, so the checks are what must hold despite it:
/// 1. the block `encode_text` writes for the decoded card decodes, to the same card once both are
///    [`normalised`] (text fields stripped of NUL/whitespace at both ends);
/// 2. a normalised card (no padding-like characters left at the ends of any field) survives
///    `encode_text` → `decode_text` exactly.
pub fn check_text(text: &[u8; TEXT_LEN], photo: CardPhoto) {
    let Ok(card) = decode_text(text, photo.clone()) else {
        return;
    };
    let again = decode_text(&encode_text(&card), photo.clone())
        .unwrap_or_else(|error| panic!("encode_text output does not decode: {error}; {card:?}"));
    let clean = normalised(&card);
    let again = normalised(&again);
    assert!(
        again == clean,
        "text round trip (up to padding) changes {:?} of a {:?} card",
        differing_fields(&again, &clean),
        clean.card_type
    );
    let back = decode_text(&encode_text(&clean), photo)
        .unwrap_or_else(|error| panic!("encode_text output does not decode: {error}; {clean:?}"));
    assert!(
        back == clean,
        "text round trip of a normalised card changes {:?} of a {:?} card",
        differing_fields(&back, &clean),
        clean.card_type
    );
}

/// The names of the fields in which two cards differ (not the values: `IdCard`'s `Debug`
/// redacts personal data, and so do these messages).
fn differing_fields(a: &IdCard, b: &IdCard) -> Vec<&'static str> {
    let fields = [
        ("card_type", a.card_type == b.card_type),
        ("name", a.name == b.name),
        ("name_en", a.name_en == b.name_en),
        ("sex", a.sex == b.sex),
        ("ethnicity", a.ethnicity == b.ethnicity),
        ("birth_date", a.birth_date == b.birth_date),
        ("address", a.address == b.address),
        ("extra_addresses", a.extra_addresses == b.extra_addresses),
        ("number", a.number == b.number),
        ("authority", a.authority == b.authority),
        ("valid_from", a.valid_from == b.valid_from),
        ("valid_to", a.valid_to == b.valid_to),
        ("permit_number", a.permit_number == b.permit_number),
        ("issue_count", a.issue_count == b.issue_count),
        ("nationality", a.nationality == b.nationality),
        ("photo", a.photo == b.photo),
    ];
    fields
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(name, _)| name)
        .collect()
}

/// `card` with every text field stripped of NUL and whitespace at both ends (empty → `None`).
fn normalised(card: &IdCard) -> IdCard {
    let strip = |value: &str| {
        value
            .trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_owned()
    };
    let strip_optional = |value: &Option<String>| {
        value
            .as_deref()
            .map(strip)
            .filter(|value| !value.is_empty())
    };
    IdCard {
        name: PersonName::new(strip(card.name.expose())),
        name_en: strip_optional(&card.name_en),
        address: strip_optional(&card.address),
        number: strip(&card.number),
        authority: strip(&card.authority),
        permit_number: strip_optional(&card.permit_number),
        issue_count: strip_optional(&card.issue_count),
        nationality: strip_optional(&card.nationality),
        ..card.clone()
    }
}
