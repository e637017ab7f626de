//! Nothing here: the integration tests are the `[[test]]` targets in Cargo.toml.
