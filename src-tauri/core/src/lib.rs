//! Budbringer's engine: everything the app does that is not a window.
//!
//! This crate does not depend on Tauri, so the compiler keeps the domain free
//! of window types; the app (`budbringer`), the command line and the tests
//! all build on it. See `docs/ARCHITECTURE.md`.

pub mod altinn;
pub mod environment;
pub mod error;
pub mod http;
pub mod logging;
pub mod network;
pub mod orgnumber;
pub mod receipts;
pub mod registers;
pub mod secrets;
pub mod settings;
pub mod store;
pub mod sync;
pub mod transfers;
