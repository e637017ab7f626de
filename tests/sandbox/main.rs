//! Tests of the practice sandbox (one integration-test binary).

#![allow(clippy::unwrap_used)] // a test (or the benchmark) that cannot go on fails at once

mod bro;
mod common;
mod contract;
mod faults;
mod flow;
mod gateway_and_models;
mod lifecycle;
mod maskinporten;
mod platform;
mod registers;
mod tus;
mod tus_client;
mod tus_conformance;
