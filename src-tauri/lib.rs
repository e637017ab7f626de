//! Budbringer's window: the Tauri application, its commands and the
//! background services that feed the window.
//!
//! This is the only crate that knows Tauri. The work is done in
//! `budbringer-core` (the engine) and `budbringer-runtime` (the state a running
//! app holds and its background services); the commands here only translate
//! between the UI and them, and the services here only wire the runtime's
//! background work to Tauri (its runtime, the windows' channels, notifications).

mod app;
mod commands;
mod desktop;
mod services;

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod secrets_scan;
#[cfg(test)]
mod window_tests;

pub use app::run;
