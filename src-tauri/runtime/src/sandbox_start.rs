//! When the embedded practice sandbox starts (issue 16: start-up and memory).
//!
//! It used to start with the app whenever the Sandbox environment was chosen,
//! which is the default: every first start paid for it before the window could
//! paint, and every idle app held it, practising or not. Now it starts at
//! start-up only when there is practice work to go on with (a complete sandbox
//! profile: the inbox poller and unfinished sends need it at once, and the
//! send queue asks for its client synchronously); otherwise on first need,
//! which [`AppState::sandbox`] already is: choosing a practice organisation,
//! switching to the Sandbox environment, or any client for it.

use crate::state::AppState;
use budbringer_core::environment::Environment;

/// Whether the app must start the sandbox while it starts.
pub fn needed_at_start(state: &AppState) -> bool {
    let env = state.settings().environment;
    env == Environment::Sandbox && state.profiles.get(env).missing().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use budbringer_core::settings::Settings;

    #[test]
    fn a_fresh_install_does_not_start_the_sandbox_with_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::new(Settings::default(), dir.path().join("data"), dir.path().join("logs"));
        assert_eq!(state.settings().environment, Environment::Sandbox, "the default environment");
        assert!(!needed_at_start(&state), "no practice profile yet: started on first need");
    }
}
