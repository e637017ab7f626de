//! The work behind the transfer pages and the work that goes on without a
//! command: the send queue started with the app, and the inbox looked at
//! every poll interval. They report through two small traits, so the app can
//! forward to its windows and its desktop notifications, and a terminal or a
//! test can print or record.

pub mod inbox;
pub mod queue;
pub mod send;
pub mod sent;
mod sink;

pub use sink::{EventSink, Notifier};
