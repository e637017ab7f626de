//! A fresh sandbox with the two practice organisations ready to send and
//! receive, each with its own key, client and system user.

use budbringer_core::altinn::AltinnClient;
use budbringer_core::environment::Environment;
use budbringer_core::secrets::MemorySecretStore;
use budbringer_core::transfers::broker::Broker;
use budbringer_core::transfers::engine::SendQueue;
use budbringer_core::transfers::send::{self, SendJob, SendSink, SendUpdate};
use budbringer_runtime::practice;
use budbringer_sandbox::{Sandbox, SandboxConfig, SandboxHandle, PRACTICE_ORG_A, PRACTICE_ORG_B};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub struct World {
    pub sandbox: SandboxHandle,
    pub a: Broker,
    pub b: Broker,
    pub dir: tempfile::TempDir,
}

pub fn client_for(sandbox: &SandboxHandle, org: &str) -> AltinnClient {
    let secrets = Arc::new(MemorySecretStore::new());
    let profile = practice::provision(&sandbox.admin(), org, secrets.as_ref()).unwrap();
    let endpoints = Environment::Sandbox.endpoints(Some(&sandbox.base_url())).unwrap();
    AltinnClient::new(profile, endpoints, secrets).unwrap()
}

pub async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::practice(), dir.path().join("sandbox")).await.unwrap();
    let a = Broker::new(client_for(&sandbox, PRACTICE_ORG_A));
    let b = Broker::new(client_for(&sandbox, PRACTICE_ORG_B));
    World { sandbox, a, b, dir }
}

/// Collects what a job saves and reports.
#[derive(Default)]
pub struct Sink {
    pub saved: Mutex<Vec<SendJob>>,
    pub updates: Mutex<Vec<SendUpdate>>,
}

impl SendSink for Sink {
    fn save(&self, job: &SendJob) -> budbringer_core::error::AppResult<()> {
        self.saved.lock().unwrap().push(job.clone());
        Ok(())
    }
    fn report(&self, update: SendUpdate) {
        self.updates.lock().unwrap().push(update);
    }
}

/// A file of `len` pseudo-random bytes.
pub fn make_file(dir: &std::path::Path, name: &str, len: usize) -> std::path::PathBuf {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ len as u64;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

pub fn never() -> impl std::future::Future<Output = send::Stop> {
    std::future::pending()
}

/// Sending a file from practice organisation A to B on the practice resource.
pub fn practice_request(path: std::path::PathBuf) -> send::SendRequest {
    send::SendRequest {
        path,
        resource_id: budbringer_sandbox::PRACTICE_RESOURCE.into(),
        recipients: vec![PRACTICE_ORG_B.into()],
        properties: Default::default(),
        reference: None,
    }
}

/// Waits up to 30 s until the job `id` in `q` satisfies `what`.
pub async fn wait_for(q: &SendQueue, id: Uuid, what: impl Fn(&SendJob) -> bool) -> SendJob {
    wait_for_within(q, Duration::from_secs(30), id, what).await
}

/// [`wait_for`] with a deadline of its own.
pub async fn wait_for_within(q: &SendQueue, within: Duration, id: Uuid, what: impl Fn(&SendJob) -> bool) -> SendJob {
    let deadline = Instant::now() + within;
    loop {
        let j = q.get(id).unwrap();
        if what(&j) {
            return j;
        }
        assert!(Instant::now() < deadline, "job never reached the state; last {:?} {:?}", j.phase, j.error);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
