//! The credentials half of Budbringer (issue 4): per-environment profiles,
//! RSA keys and business certificates, the Maskinporten JWT grant, token
//! caching (Direct or Exchanged), the API key, clock-skew checks, the
//! organisation's own system and system user, the connection test, and the
//! mapping of every Maskinporten, Altinn and Broker error to a named
//! [`ErrorCode`](crate::error::ErrorCode).
//!
//! Tauri-free: the commands in `commands/setup.rs` only translate.

pub mod backup;
pub mod certificate;
pub mod client;
pub mod connection_test;
pub mod exchange;
pub mod grant;
pub mod imported_key;
pub mod keys;
pub mod maskinporten;
pub mod problem;
pub mod profile;
mod profile_store;
pub mod rotation;
pub mod services;
pub mod setup;
pub mod systemuser;
pub mod tokens;

pub use client::AltinnClient;
pub use problem::error_from_response;
pub use profile::{Profile, ProfileStore, TokenMode};
