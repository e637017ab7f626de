//! The transfer engine: checks, checksums, uploads (octet-stream and TUS),
//! downloads that never lose a file, and progress. Tauri-free.

pub mod broker;
pub mod budget;
pub mod checksum;
pub mod download;
pub mod engine;
pub mod inbox;
pub mod inbox_scan;
pub mod late_cancel;
pub mod md5_cache;
pub mod names;
pub mod opening;
pub mod progress;
pub mod save;
pub mod send;
pub mod send_types;
pub mod sent_bytes;
pub mod tus_parts;
pub mod tus_retry;
pub mod validate;
pub mod zone;
