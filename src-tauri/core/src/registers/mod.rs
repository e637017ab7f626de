//! Names for numbers (docs/ALTINN.md#names-for-numbers): organisation names
//! from Enhetsregisteret and service titles from Altinn's Resource Registry,
//! kept in the local store for a while ([`names`]) so lists stay fast and names
//! still show offline. When a register does not know a number (TT02's synthetic
//! organisations) or cannot be asked, the number is shown, and the UI says so.

pub mod display;
pub mod enhetsregisteret;
pub mod names;
pub mod resource_registry;
pub mod types;

pub use types::{NameStatus, OrgForm, OrgInfo, ServiceInfo};
