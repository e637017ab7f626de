//! Tests of the practice sandbox (one integration-test binary).

mod bro;
mod common;
mod contract;
mod flow;
mod faults;
mod maskinporten;
mod platform;
mod tus;
