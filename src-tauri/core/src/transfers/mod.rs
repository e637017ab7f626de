//! The transfer engine: checks, checksums, uploads (octet-stream and TUS),
//! downloads that never lose a file, and progress. Tauri-free.

pub mod checksum;
pub mod names;
pub mod progress;
pub mod validate;
pub mod broker;
pub mod download;
pub mod send;
pub mod engine;
pub mod inbox;
