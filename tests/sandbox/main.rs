//! Tests of the practice sandbox (one integration-test binary).

mod bro;
mod common;
mod contract;
mod faults;
mod flow;
mod maskinporten;
mod platform;
mod tus;
