//! Issue 4: the credentials half, tested against a fresh in-process sandbox
//! per test. No mocks of our own code: every token, exchange, system-user
//! call and Broker search goes over HTTP to the sandbox.

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

mod broker;
mod common;
mod connection;
mod grant;
mod import;
mod onboard;
mod system_user;
