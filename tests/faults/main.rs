//! The fault suite (issue 7): each case injects one fault through the
//! sandbox and must end in a resumed success or a named error, with no file
//! lost, no download confirmed before it is saved, and no transfer duplicated.
//! `docs/FAULTS.md` lists every case and where it is tested.

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

mod download;
mod support;
mod upload;
