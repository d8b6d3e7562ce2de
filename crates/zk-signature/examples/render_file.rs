//! Renders a stroke file (the `assets/sim/signature.json` format: strokes of `{x, y, p, t}`) to a
//! PNG: `cargo run -p zk-signature --example render_file -- IN.json OUT.png [WIDTH]`.

use std::process::ExitCode;

use serde::Deserialize;
use zk_domain::{SignaturePoint, SignatureStrokes};
use zk_signature::{render_png, RenderOptions};

#[derive(Deserialize)]
struct Point {
    x: f32,
    y: f32,
    #[serde(default = "half")]
    p: f32,
    t: u32,
}

fn half() -> f32 {
    0.5
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), Some(output)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: render_file IN.json OUT.png [WIDTH]");
        return ExitCode::FAILURE;
    };
    let width = args.get(3).and_then(|w| w.parse().ok()).unwrap_or(1000);
    let result = std::fs::read(input)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            serde_json::from_slice::<Vec<Vec<Point>>>(&bytes).map_err(|e| e.to_string())
        })
        .map(|strokes| SignatureStrokes {
            strokes: strokes
                .into_iter()
                .map(|s| {
                    s.into_iter()
                        .map(|p| SignaturePoint {
                            x: p.x,
                            y: p.y,
                            pressure: p.p,
                            t_ms: p.t,
                        })
                        .collect()
                })
                .collect(),
        })
        .and_then(|strokes| {
            render_png(
                &strokes,
                &RenderOptions {
                    width,
                    ..RenderOptions::default()
                },
            )
            .map_err(|e| e.to_string())
        })
        .and_then(|png| std::fs::write(output, png).map_err(|e| e.to_string()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("render_file: {error}");
            ExitCode::FAILURE
        }
    }
}
