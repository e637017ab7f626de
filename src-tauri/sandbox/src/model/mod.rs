//! The sandbox's data: configuration, clock, persistent state, file transfers
//! and the .NET-style value formats.

mod clock;
mod config;
mod format;
pub mod onboarding;
mod rules;
mod state;
mod transfer;

pub use clock::Clock;
pub use config::{
    valid_org_number, ClientConfig, OrganisationConfig, PublicJwk, ResourceConfig, SandboxConfig, SettingsConfig,
    SystemUserConfig, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE, PRACTICE_SCOPES, REHEARSAL_ORGS,
    REHEARSAL_RESOURCES, REHEARSAL_SERVICE_OWNER,
};
pub use format::{fmt_timespan, fmt_ts, hex, parse_iso_duration, strip_org};
pub use state::{
    files_dir, load_state, save_state, Client, Organisation, RegisteredSystem, Resource, ServiceOwner, State,
    SystemUser, SystemUserRequest,
};
pub use transfer::{ActorStatus, FileTransfer, FtStatus, TusUpload};
