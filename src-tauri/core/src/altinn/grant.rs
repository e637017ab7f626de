//! The JWT grant Budbringer signs for Maskinporten (`docs/ALTINN.md#the-jwt-grant`).
//!
//! Header: `alg` RS256 plus `kid` (a registered key) or `x5c` (a business
//! certificate chain, as an array). Claims: exactly `aud`, `iss`, `scope`,
//! `iat`, `exp` (≤ `iat` + 120), `jti`, and for a system user
//! `authorization_details` with `systemuser_org` `0192:<orgno>` and the
//! `externalRef` when one was used. Nothing else: Maskinporten refuses
//! undocumented claims.

use crate::error::{AppError, AppResult};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// Lifetime of a grant, seconds. Maskinporten allows at most 120.
pub const GRANT_LIFETIME_SECS: i64 = 60;
pub const MAX_GRANT_LIFETIME_SECS: i64 = 120;

/// How the grant names the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    Kid(String),
    /// base64 DER certificates, leaf first.
    X5c(Vec<String>),
}

/// A signing key ready for grants.
#[derive(Clone)]
pub struct GrantSigner {
    key: EncodingKey,
    key_ref: KeyRef,
}

impl std::fmt::Debug for GrantSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantSigner").field("key_ref", &self.key_ref).finish_non_exhaustive()
    }
}

/// The system-user party of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemUserParty {
    /// Nine digits, no prefix.
    pub org_number: String,
    pub external_ref: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SystemUserOrg {
    pub authority: &'static str,
    #[serde(rename = "ID")]
    pub id: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuthorizationDetail {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub systemuser_org: SystemUserOrg,
    #[serde(rename = "externalRef", skip_serializing_if = "Option::is_none")]
    pub external_ref: Option<String>,
}

/// The grant's claims, serialised exactly as sent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GrantClaims {
    pub aud: String,
    pub iss: String,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<AuthorizationDetail>>,
}

impl GrantClaims {
    /// Claims for a grant issued at `iat` (Unix seconds) with a fresh `jti`.
    pub fn new(aud: &str, client_id: &str, scope: &str, iat: i64, system_user: Option<&SystemUserParty>) -> Self {
        GrantClaims {
            aud: aud.to_owned(),
            iss: client_id.to_owned(),
            scope: scope.to_owned(),
            iat,
            exp: iat + GRANT_LIFETIME_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
            authorization_details: system_user.map(|su| {
                vec![AuthorizationDetail {
                    kind: "urn:altinn:systemuser",
                    systemuser_org: SystemUserOrg {
                        authority: "iso6523-actorid-upis",
                        id: format!("0192:{}", su.org_number),
                    },
                    external_ref: su.external_ref.clone(),
                }]
            }),
        }
    }
}

impl GrantSigner {
    /// A signer from a PKCS#8 (or PKCS#1) PEM private key.
    pub fn from_pem(pem: &str, key_ref: KeyRef) -> AppResult<Self> {
        let key =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| AppError::internal(format!("signing key: {e}")))?;
        Ok(GrantSigner { key, key_ref })
    }

    pub fn key_ref(&self) -> &KeyRef {
        &self.key_ref
    }

    /// The header: `alg` RS256 and `kid` or `x5c` (`typ` JWT is a header member, not a claim).
    pub fn header(&self) -> Header {
        let mut h = Header::new(Algorithm::RS256);
        match &self.key_ref {
            KeyRef::Kid(k) => h.kid = Some(k.clone()),
            KeyRef::X5c(chain) => h.x5c = Some(chain.clone()),
        }
        h
    }

    /// Signs the claims. Refuses a lifetime above 120 s.
    pub fn sign(&self, claims: &GrantClaims) -> AppResult<String> {
        if claims.exp - claims.iat > MAX_GRANT_LIFETIME_SECS || claims.exp <= claims.iat {
            return Err(AppError::internal("grant lifetime must be between 1 and 120 seconds"));
        }
        jsonwebtoken::encode(&self.header(), claims, &self.key)
            .map_err(|e| AppError::internal(format!("signing the grant: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::{json, Value};

    fn decode(seg: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(seg).unwrap()).unwrap()
    }

    fn signer(key_ref: KeyRef) -> GrantSigner {
        let key = super::super::keys::tests::test_key();
        let pem = super::super::keys::private_pkcs8_pem(key).unwrap();
        GrantSigner::from_pem(pem.expose(), key_ref).unwrap()
    }

    #[test]
    fn plain_grant_has_exactly_the_documented_claims() {
        let s = signer(KeyRef::Kid("k1".into()));
        let c = GrantClaims::new(
            "https://test.maskinporten.no/",
            "client-1",
            "altinn:broker.read altinn:broker.write",
            1_000,
            None,
        );
        let jwt = s.sign(&c).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let header = decode(parts[0]);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], "k1");
        assert!(header.get("x5c").is_none());
        let claims = decode(parts[1]);
        let mut names: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["aud", "exp", "iat", "iss", "jti", "scope"]);
        assert_eq!(claims["aud"], "https://test.maskinporten.no/");
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["iat"], 1_000);
        assert!(claims["exp"].as_i64().unwrap() - 1_000 <= 120);
        assert_eq!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap().get_version_num(), 4);
    }

    #[test]
    fn system_user_grant_and_x5c_header() {
        let s = signer(KeyRef::X5c(vec!["MIIB".into(), "MIIC".into()]));
        let su = SystemUserParty { org_number: "310000019".into(), external_ref: Some("budbringer-1".into()) };
        let c = GrantClaims::new("aud/", "c", "altinn:broker.read", 5, Some(&su));
        let jwt = s.sign(&c).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let header = decode(parts[0]);
        assert_eq!(header["x5c"], json!(["MIIB", "MIIC"]));
        assert!(header.get("kid").is_none());
        let claims = decode(parts[1]);
        assert_eq!(
            claims["authorization_details"],
            json!([{"type": "urn:altinn:systemuser",
                    "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": "0192:310000019"},
                    "externalRef": "budbringer-1"}])
        );
        assert_eq!(claims.as_object().unwrap().len(), 7);
        // Without an externalRef the member is left out.
        let su = SystemUserParty { org_number: "310000019".into(), external_ref: None };
        let v = serde_json::to_value(GrantClaims::new("a", "c", "s", 5, Some(&su))).unwrap();
        assert!(v["authorization_details"][0].get("externalRef").is_none());
        // Two grants never share a jti.
        assert_ne!(GrantClaims::new("a", "c", "s", 5, None).jti, GrantClaims::new("a", "c", "s", 5, None).jti);
        let mut long = GrantClaims::new("a", "c", "s", 5, None);
        long.exp = long.iat + 121;
        assert!(s.sign(&long).is_err());
    }
}
