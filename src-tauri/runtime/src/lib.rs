//! What a running Budbringer holds and does, without a window: the shared
//! state (settings, secrets, profiles, the local store, one client per
//! environment, the embedded practice sandbox started on demand), the
//! background services (send-queue start-up, the inbox poller), the texts the
//! Rust side shows itself, and the practice set-up.
//!
//! It depends on the engine and the sandbox, never on Tauri: the app wraps it
//! in Tauri's managed state and reports through [`services::EventSink`] and
//! [`services::Notifier`]; the command line and the tests use it directly.

pub mod locale;
pub mod names;
pub mod org_gate;
pub mod orgs;
pub mod practice;
pub mod receipts;
pub mod sandbox_start;
pub mod services;
pub mod state;
