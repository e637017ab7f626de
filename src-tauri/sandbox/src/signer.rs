//! The sandbox's own RS256 signing key: it signs every token the sandbox
//! issues and verifies them when they come back.

use std::collections::HashSet;
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};

use crate::errors::SandboxError;
use crate::model::State;

/// The sandbox's own signing key (RS256).
pub struct Signer {
    pub kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub jwk: Value,
}

static PROCESS_KEY: OnceLock<String> = OnceLock::new();

impl Signer {
    /// Uses the key persisted in the state, or a per-process key (generated
    /// once, so many in-process sandboxes start quickly).
    pub fn load_or_create(state: &mut State) -> Result<Signer, SandboxError> {
        use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
        use rsa::traits::PublicKeyParts;
        let pem = match &state.signing_key_pem {
            Some(p) => p.clone(),
            None => {
                let p = PROCESS_KEY
                    .get_or_init(|| {
                        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("rsa keygen");
                        key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).expect("pem").to_string()
                    })
                    .clone();
                state.signing_key_pem = Some(p.clone());
                p
            }
        };
        let key = rsa::RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|e| SandboxError::Key(e.to_string()))?;
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        let kid = format!("sandbox-{}", &n[..12]);
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| SandboxError::Key(e.to_string()))?;
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|e| SandboxError::Key(e.to_string()))?;
        let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        Ok(Signer { kid, encoding, decoding, jwk })
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(self.kid.clone());
        h.typ = Some("JWT".into());
        jsonwebtoken::encode(&h, claims, &self.encoding).expect("sign")
    }

    /// Verifies a token signed by the sandbox; returns its claims (lifetime not checked).
    pub fn verify(&self, token: &str) -> Option<Value> {
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_exp = false;
        v.validate_nbf = false;
        v.validate_aud = false;
        v.required_spec_claims = HashSet::new();
        jsonwebtoken::decode::<Value>(token, &self.decoding, &v).ok().map(|d| d.claims)
    }
}
