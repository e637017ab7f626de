//! Budbringer: send and receive files through Altinn 3 Broker.
//!
//! Everything except [`commands`] and [`app`] is free of Tauri types, so it can be
//! tested headless and reused by a command-line entry point. The command layer
//! only translates between the UI and the domain code.

pub mod altinn;
pub mod environment;
pub mod error;
pub mod logging;
pub mod orgnumber;
pub mod practice;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod state;
pub mod store;
pub mod transfers;

mod app;
mod commands;

pub use app::run;
