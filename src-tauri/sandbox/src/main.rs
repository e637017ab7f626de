//! Standalone practice sandbox:
//! `cargo run --bin altinn-sandbox -- --port N [--config FILE] [--data DIR] [--realistic] [--link 40mbit,20ms]`.
//! `--realistic` treats every organisation as a rehearsal organisation: nothing
//! is provisioned, and the onboarding is walked in the pages under `/sandbox`.
//! Prints its base URL on the first line of stdout.

use std::path::PathBuf;

use budbringer_sandbox::{Sandbox, SandboxConfig};

fn usage() -> ! {
    eprintln!("usage: altinn-sandbox [--port N] [--config FILE.toml|FILE.json] [--data DIR] [--realistic] [--link 40mbit,20ms]");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut port: u16 = 0;
    let mut config: Option<PathBuf> = None;
    let mut data: Option<PathBuf> = None;
    let mut realistic = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--config" => config = Some(args.next().map(PathBuf::from).unwrap_or_else(|| usage())),
            "--data" => data = Some(args.next().map(PathBuf::from).unwrap_or_else(|| usage())),
            "--realistic" => realistic = true,
            // Per-connection bandwidth and round trip (shaping.rs); the same as ALTINN_SANDBOX_LINK.
            "--link" => {
                let link = args.next().unwrap_or_else(|| usage());
                if let Err(e) = budbringer_sandbox::Link::parse(&link) {
                    eprintln!("--link: {e}");
                    std::process::exit(2);
                }
                std::env::set_var(budbringer_sandbox::LINK_ENV, link);
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let mut cfg = match &config {
        Some(p) => SandboxConfig::from_file(p).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        }),
        None => SandboxConfig::practice(),
    };
    if realistic {
        cfg.settings.realistic = true;
    }
    let data = data.unwrap_or_else(|| std::env::temp_dir().join(format!("altinn-sandbox-{}", std::process::id())));
    let handle = match Sandbox::start_on(cfg, data.clone(), port).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    };
    println!("{}", handle.base_url());
    eprintln!("altinn-sandbox: data in {}", data.display());
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
}
