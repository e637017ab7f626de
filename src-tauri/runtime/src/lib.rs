//! What a running Budbringer holds, without a window: the shared state
//! (settings, secrets, the local store, one client per environment, the
//! embedded practice sandbox started on demand) and the practice set-up.
//!
//! It depends on the engine and the sandbox, never on Tauri: the app wraps it
//! in Tauri's managed state, the command line and the tests use it directly.

pub mod practice;
pub mod state;
