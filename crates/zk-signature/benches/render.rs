//! Rendering a 2 000-point signature (10 s at 200 Hz) at the stored size (1000 × 400) and at the
//! screen preview size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion};
use zk_domain::{SignaturePoint, SignatureStrokes};
use zk_signature::{render_png, RenderOptions};

fn signature(points: u32) -> SignatureStrokes {
    let per_stroke = 250;
    let strokes = (0..points / per_stroke)
        .map(|s| {
            (0..per_stroke)
                .map(|i| {
                    let t = i as f32 / per_stroke as f32;
                    SignaturePoint {
                        x: 40.0 + s as f32 * 115.0 + 100.0 * t,
                        y: 200.0 + 150.0 * (t * 12.0 + s as f32).sin() * (1.0 - t * 0.5),
                        pressure: 0.3 + 0.6 * (t * 3.0).sin().abs(),
                        t_ms: (s * per_stroke + i) * 5,
                    }
                })
                .collect()
        })
        .collect();
    SignatureStrokes { strokes }
}

fn render(c: &mut Criterion) {
    let strokes = signature(2000);
    assert_eq!(strokes.point_count(), 2000);
    c.bench_function("render 2000 points 1000x400 PNG", |b| {
        b.iter(|| render_png(&strokes, &RenderOptions::default()).unwrap())
    });
    c.bench_function("render 2000 points 500x200 PNG", |b| {
        b.iter(|| {
            render_png(
                &strokes,
                &RenderOptions {
                    width: 500,
                    ..RenderOptions::default()
                },
            )
            .unwrap()
        })
    });
}

criterion_group!(benches, render);
criterion_main!(benches);
