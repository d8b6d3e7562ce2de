use super::*;
use crate::render::{render_png, RenderOptions};

fn strokes() -> SignatureStrokes {
    SignatureStrokes {
        strokes: vec![
            vec![
                SignaturePoint {
                    x: 10.0,
                    y: 20.0,
                    pressure: 0.5,
                    t_ms: 0,
                },
                SignaturePoint {
                    x: 300.5,
                    y: 120.25,
                    pressure: 0.75,
                    t_ms: 40,
                },
            ],
            vec![SignaturePoint {
                x: 999.0,
                y: 399.0,
                pressure: 1.0,
                t_ms: 900,
            }],
        ],
    }
}

fn device() -> PadInfo {
    PadInfo {
        kind: "isdv4".into(),
        model: Some("sim".into()),
        x_max: Some(25_000),
        y_max: Some(10_000),
        pressure_max: Some(1023),
        points_per_mm: Some(100),
    }
}

#[test]
fn round_trip_with_the_image_hash() {
    let png = render_png(&strokes(), &RenderOptions::default()).unwrap();
    let record = SignatureRecord::new(device(), strokes(), &png);
    let json = record.to_json().unwrap();
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"version":1,"device":{"kind":"isdv4""#),
        "{text}"
    );
    assert!(
        text.contains("[[10.0,20.0,0.5,0],[300.5,120.25,0.75,40]]"),
        "{text}"
    );
    let back = SignatureRecord::from_json(&json).unwrap();
    assert_eq!(back, record);
    assert!(back.matches_image(&png));
    assert!(!back.matches_image(b"another image"));
}

#[test]
fn malformed_records_are_refused() {
    let good = SignatureRecord::new(device(), strokes(), b"png")
        .to_json()
        .unwrap();
    let text = String::from_utf8(good).unwrap();
    for (from, to, why) in [
        (r#""version":1"#, r#""version":2"#, "version"),
        ("[999.0,399.0,1.0,900]", "[1999.0,399.0,1.0,900]", "box"),
        ("[999.0,399.0,1.0,900]", "[999.0,399.0,1.5,900]", "pressure"),
        (
            r#""kind":"isdv4""#,
            r#""kind":"isdv4","colour":"red""#,
            "unknown field",
        ),
        (r#""png_sha256":""#, r#""png_sha256":"zz"#, "hash"),
    ] {
        let bad = text.replacen(from, to, 1);
        assert_ne!(bad, text, "{why}: replacement did not apply");
        assert!(
            SignatureRecord::from_json(bad.as_bytes()).is_err(),
            "{why} accepted"
        );
    }
    assert!(SignatureRecord::from_json(b"{").is_err());
}
