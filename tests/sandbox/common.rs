//! Helpers shared by the sandbox tests.

use std::sync::OnceLock;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use budbringer_sandbox::{
    ClientConfig, PublicJwk, Sandbox, SandboxConfig, SandboxHandle, PRACTICE_ORG_A, PRACTICE_ORG_B, PRACTICE_RESOURCE,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

pub const A: &str = PRACTICE_ORG_A;
pub const B: &str = PRACTICE_ORG_B;
pub const RES: &str = PRACTICE_RESOURCE;
pub const RW: &str = "altinn:broker.write altinn:broker.read";

pub struct TestKey {
    pub pem: String,
    pub n: String,
    pub e: String,
}

/// One RSA key pair for the whole test binary (key generation is slow-ish).
pub fn key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(gen_key)
}

pub fn other_key() -> &'static TestKey {
    static K: OnceLock<TestKey> = OnceLock::new();
    K.get_or_init(gen_key)
}

fn gen_key() -> TestKey {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let k = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    TestKey {
        pem: k.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap().to_string(),
        n: URL_SAFE_NO_PAD.encode(k.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(k.e().to_bytes_be()),
    }
}

pub struct Env {
    pub sb: SandboxHandle,
    pub http: reqwest::Client,
    pub base: String,
    pub dir: tempfile::TempDir,
}

pub async fn start() -> Env {
    start_with(SandboxConfig::practice()).await
}

pub async fn start_with(cfg: SandboxConfig) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let sb = Sandbox::start(cfg, dir.path().to_path_buf()).await.unwrap();
    let base = sb.base_url();
    Env { sb, http: reqwest::Client::new(), base, dir }
}

impl Env {
    pub fn url(&self, p: &str) -> String {
        format!("{}{}", self.base, p)
    }
    pub fn broker(&self, p: &str) -> String {
        format!("{}/broker/api/v1{}", self.base, p)
    }
    /// Registers a client with the test key (kid `test-kid`).
    pub fn register(&self, client_id: &str, org: &str, scopes: &str) {
        self.sb.admin().register_client(ClientConfig {
            client_id: client_id.into(),
            org_number: org.into(),
            scopes: scopes.split_whitespace().map(String::from).collect(),
            jwks: vec![PublicJwk {
                kty: "RSA".into(),
                n: key().n.clone(),
                e: key().e.clone(),
                kid: "test-kid".into(),
                alg: Some("RS256".into()),
                use_: Some("sig".into()),
            }],
            allow_certificate: false,
        });
    }
    /// Standard grant claims for `client_id`.
    pub fn claims(&self, client_id: &str, scope: &str) -> Value {
        let now = self.sb.admin().now().unix_timestamp();
        json!({
            "aud": self.sb.issuer(), "iss": client_id, "scope": scope,
            "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
        })
    }
    pub async fn post_grant(&self, assertion: &str) -> (u16, Value) {
        let body = format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}");
        let r = self
            .http
            .post(self.url("/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
    /// A minted Maskinporten-style token for `org`.
    pub fn tok(&self, org: &str, scopes: &str) -> String {
        self.sb.admin().mint_token(org, scopes, None)
    }
    pub async fn init(&self, tok: &str, body: Value) -> reqwest::Response {
        self.http.post(self.broker("/filetransfer")).bearer_auth(tok).json(&body).send().await.unwrap()
    }
    /// Initializes A → B on the practice resource; returns the id.
    pub async fn init_ok(&self, extra: Value) -> String {
        let mut b = init_body(A, &[B]);
        if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                o.insert(k.clone(), v.clone());
            }
        }
        let r = self.init(&self.tok(A, RW), b).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["fileTransferId"].as_str().unwrap().to_string()
    }
    pub async fn upload(&self, tok: &str, id: &str, data: Vec<u8>) -> reqwest::Response {
        self.http
            .post(self.broker(&format!("/filetransfer/{id}/upload")))
            .bearer_auth(tok)
            .header("content-type", "application/octet-stream")
            .body(data)
            .send()
            .await
            .unwrap()
    }
    pub async fn overview(&self, tok: &str, id: &str) -> Value {
        let r = self.http.get(self.broker(&format!("/filetransfer/{id}"))).bearer_auth(tok).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
    pub async fn overview_status(&self, tok: &str, id: &str) -> u16 {
        self.http
            .get(self.broker(&format!("/filetransfer/{id}")))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
    /// Polls the overview until the status is `want` (or fails after 5 s).
    pub async fn wait_status(&self, id: &str, want: &str) -> Value {
        let tok = self.tok(A, RW);
        for _ in 0..250 {
            let v = self.overview(&tok, id).await;
            if v["fileTransferStatus"] == want {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("transfer {id} never reached {want}: {}", self.overview(&tok, id).await);
    }
    /// Initialized, uploaded and Published A → B transfer with `data`.
    pub async fn published(&self, data: &[u8]) -> String {
        let id = self.init_ok(json!({})).await;
        let r = self.upload(&self.tok(A, RW), &id, data.to_vec()).await;
        assert_eq!(r.status(), 200);
        self.wait_status(&id, "Published").await;
        id
    }
}

pub fn sign(claims: &Value, alg: Algorithm, kid: Option<&str>, k: &TestKey) -> String {
    let mut h = Header::new(alg);
    h.kid = kid.map(String::from);
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_rsa_pem(k.pem.as_bytes()).unwrap()).unwrap()
}

pub fn init_body(sender: &str, recipients: &[&str]) -> Value {
    json!({
        "fileName": "rapport.pdf",
        "resourceId": RES,
        "sendersFileTransferReference": "ref-1",
        "sender": format!("0192:{sender}"),
        "recipients": recipients.iter().map(|r| format!("0192:{r}")).collect::<Vec<_>>(),
        "propertyList": {"saksnummer": "2026/1"},
    })
}

pub fn md5hex(b: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

pub async fn problem(r: reqwest::Response) -> (u16, Value) {
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Asserts a BRO ProblemDetails with the exact code and status.
pub async fn assert_bro(r: reqwest::Response, code: &str, status: u16) -> Value {
    let (s, v) = problem(r).await;
    assert_eq!(s, status, "status for {code}: {v}");
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], status);
    assert!(v["detail"].as_str().map(|d| !d.is_empty()).unwrap_or(false));
    assert!(v["traceId"].is_string() && v["type"].is_string() && v["title"].is_string());
    v
}
