//! `zikao-kiosk`: the desk's kiosk app.
#![forbid(unsafe_code)]

fn main() {
    if let Err(error) = zk_shell::run() {
        eprintln!("zikao-kiosk: {error:#}");
        std::process::exit(1);
    }
}
