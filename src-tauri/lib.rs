//! Budbringer's window: the Tauri application, its commands and the
//! background services that feed the window.
//!
//! This is the only crate that knows Tauri. The work is done in
//! `budbringer-core` (the engine) and `budbringer-runtime` (the state a running
//! app holds); the commands here only translate between the UI and them.

mod app;
mod commands;

pub use app::run;
