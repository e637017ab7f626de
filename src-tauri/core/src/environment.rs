//! The three environments a profile can point at, and their endpoints
//! (`docs/ALTINN.md#environments`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, TS)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// The built-in practice sandbox on this computer. The default: it needs no credentials.
    #[default]
    Sandbox,
    /// Altinn's external test environment ("staging").
    Tt02,
    Production,
}

/// Where an environment's services live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// Maskinporten issuer; also the `aud` of the JWT grant. Ends with `/`.
    pub maskinporten_issuer: String,
    pub maskinporten_token: String,
    /// Altinn platform base (token exchange, system register, system users).
    pub platform_base: String,
    /// Broker API base, `{platform}/broker/api/v1`.
    pub broker_base: String,
    /// Samarbeidsportalen self-service, where the public key is registered.
    pub self_service: Option<String>,
    /// Altinn's Resource Registry, `{platform}/resourceregistry/api/v1`: the
    /// services' titles and owners (docs/ALTINN.md#names-for-numbers).
    pub resource_registry_base: String,
    /// Enhetsregisteret's open API (Brønnøysundregistrene): organisation names.
    /// TT02 asks the real register too: its synthetic organisations are not
    /// there, and the app then shows the number (docs/ALTINN.md#names-for-numbers).
    pub register_base: String,
}

/// Enhetsregisteret's open API, for TT02 and production alike.
pub const ENHETSREGISTERET: &str = "https://data.brreg.no/enhetsregisteret/api";

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Sandbox, Environment::Tt02, Environment::Production];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Tt02 => "tt02",
            Environment::Production => "production",
        }
    }

    /// The endpoints. The sandbox runs on this computer, so its base URL is
    /// only known once it has started and must be passed in.
    pub fn endpoints(self, sandbox_base: Option<&str>) -> Option<Endpoints> {
        let (mp, platform, self_service) = match self {
            Environment::Sandbox => {
                let base = sandbox_base?.trim_end_matches('/');
                // The sandbox serves its own Samarbeidsportalen (the realistic mode's pages).
                (format!("{base}/"), base.to_owned(), Some(format!("{base}/sandbox/samarbeid")))
            }
            Environment::Tt02 => (
                "https://test.maskinporten.no/".to_owned(),
                "https://platform.tt02.altinn.no".to_owned(),
                Some("https://sjolvbetjening.test.samarbeid.digdir.no".to_owned()),
            ),
            Environment::Production => (
                "https://maskinporten.no/".to_owned(),
                "https://platform.altinn.no".to_owned(),
                Some("https://sjolvbetjening.samarbeid.digdir.no".to_owned()),
            ),
        };
        // The sandbox serves the register under the same path as data.brreg.no.
        let register_base = match self {
            Environment::Sandbox => format!("{platform}/enhetsregisteret/api"),
            Environment::Tt02 | Environment::Production => ENHETSREGISTERET.to_owned(),
        };
        Some(Endpoints {
            maskinporten_token: format!("{mp}token"),
            maskinporten_issuer: mp,
            broker_base: format!("{platform}/broker/api/v1"),
            resource_registry_base: format!("{platform}/resourceregistry/api/v1"),
            register_base,
            platform_base: platform,
            self_service,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_endpoints_match_the_docs() {
        let t = Environment::Tt02.endpoints(None).unwrap();
        assert_eq!(t.maskinporten_issuer, "https://test.maskinporten.no/");
        assert_eq!(t.maskinporten_token, "https://test.maskinporten.no/token");
        assert_eq!(t.broker_base, "https://platform.tt02.altinn.no/broker/api/v1");
        assert_eq!(t.resource_registry_base, "https://platform.tt02.altinn.no/resourceregistry/api/v1");
        assert_eq!(t.register_base, "https://data.brreg.no/enhetsregisteret/api");
        let p = Environment::Production.endpoints(None).unwrap();
        assert_eq!(p.maskinporten_issuer, "https://maskinporten.no/");
        assert_eq!(p.platform_base, "https://platform.altinn.no");
        assert_eq!(p.resource_registry_base, "https://platform.altinn.no/resourceregistry/api/v1");
        assert_eq!(p.register_base, "https://data.brreg.no/enhetsregisteret/api");
    }

    #[test]
    fn sandbox_needs_its_address() {
        assert!(Environment::Sandbox.endpoints(None).is_none());
        let s = Environment::Sandbox.endpoints(Some("http://127.0.0.1:5000/")).unwrap();
        assert_eq!(s.maskinporten_issuer, "http://127.0.0.1:5000/");
        assert_eq!(s.broker_base, "http://127.0.0.1:5000/broker/api/v1");
        assert_eq!(s.register_base, "http://127.0.0.1:5000/enhetsregisteret/api");
        assert_eq!(s.resource_registry_base, "http://127.0.0.1:5000/resourceregistry/api/v1");
    }
}
