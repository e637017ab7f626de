//! Removing an organisation while files are being sent from it in the same
//! instant (issue 17): a seeded race, repeated, that checks the one thing
//! that matters: the removal is refused, or nothing of the organisation is
//! left (no unfinished job, no secret); never a job queued without its
//! credentials, and a send that comes too late gets a clear error.

use crate::{two_orgs, ENV};
use budbringer_core::error::{AppResult, ErrorCode};
use budbringer_core::secrets::{Secret, SecretStore};
use budbringer_core::transfers::send::SendJob;
use budbringer_runtime::org_gate::GateStep;
use budbringer_runtime::orgs;
use budbringer_runtime::services::queue;
use budbringer_runtime::services::send::{self, SendFiles};
use budbringer_sandbox::{FaultSpec, PRACTICE_ORG_A, PRACTICE_ORG_B};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

const SEED: u64 = 17;
const ROUNDS: usize = 50;
const SENDERS: usize = 3;
/// Sends each sender makes in a round, one after the other.
const SENDS: usize = 3;

/// One send's outcome: the request refused as a whole, or one job per file.
type Sent = AppResult<Vec<(String, AppResult<SendJob>)>>;

/// What one round's threads did.
struct Round {
    removal: AppResult<()>,
    sends: Vec<Sent>,
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_an_organisation_while_it_sends_never_leaves_a_job_without_credentials() {
    let w = two_orgs().await;
    let q = queue::start(&w.state, w.events.clone());
    let admin = w.admin().await;
    // Nothing reaches Altinn: a queued job keeps trying (unfinished) until it
    // is cancelled, so every job a round queued is still there to be counted
    // and holds a removal back.
    admin.add_fault(FaultSpec { fail_503: Some(u32::MAX), ..FaultSpec::default() });

    // A as it was set up, to be put back before each round.
    let profile_a = w.profile(PRACTICE_ORG_A);
    let a_names = || w.secrets.names().into_iter().filter(|n| n.contains(&format!("/{PRACTICE_ORG_A}/"))).collect();
    let a_secrets: Vec<(String, Secret)> = {
        let names: Vec<String> = a_names();
        names.into_iter().map(|n| (n.clone(), w.secrets.get(&n).unwrap().unwrap())).collect()
    };
    assert!(!a_secrets.is_empty());
    let file = w.dir.join("samtidig.txt");
    std::fs::write(&file, b"sendt mens organisasjonen fjernes").unwrap();
    let request = SendFiles {
        paths: vec![file.to_string_lossy().into_owned()],
        recipients: vec![PRACTICE_ORG_B.into()],
        from: Some(PRACTICE_ORG_A.into()),
        ..SendFiles::default()
    };

    // Each side waits a seeded moment between its check and its act: the
    // window a removal and a send could slip through, made wide.
    let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(SEED)));
    let pauses = Arc::new(Mutex::new((0usize, 0usize)));
    {
        let (rng, pauses) = (rng.clone(), pauses.clone());
        w.state.org_gate.set_step_hook(Some(Arc::new(move |step| {
            match step {
                GateStep::SenderChecked => pauses.lock().unwrap().0 += 1,
                GateStep::RemovalChecked => pauses.lock().unwrap().1 += 1,
            }
            let ms = rng.lock().unwrap().gen_range(0..=3);
            std::thread::sleep(Duration::from_millis(ms));
        })));
    }

    let (mut refused, mut removed) = (0, 0);
    for round in 0..ROUNDS {
        // A is back, with every secret it had.
        if w.state.profiles.get_org(ENV, PRACTICE_ORG_A).is_none() {
            w.state.profiles.save(profile_a.clone()).unwrap();
            for (name, value) in &a_secrets {
                w.secrets.set(name, value).unwrap();
            }
        }
        let delays: Vec<u64> = {
            let mut rng = rng.lock().unwrap();
            (0..=SENDERS).map(|_| rng.gen_range(0..=4)).collect()
        };
        let (state, request) = (w.state.clone(), request.clone());
        let r = tokio::task::spawn_blocking(move || {
            let start = Arc::new(Barrier::new(SENDERS + 1));
            let senders: Vec<_> = (0..SENDERS)
                .map(|i| {
                    let (state, request, start, delay) = (state.clone(), request.clone(), start.clone(), delays[i]);
                    std::thread::spawn(move || {
                        start.wait();
                        std::thread::sleep(Duration::from_millis(delay));
                        (0..SENDS).map(|_| send::send_files(&state, request.clone())).collect::<Vec<_>>()
                    })
                })
                .collect();
            start.wait();
            std::thread::sleep(Duration::from_millis(delays[SENDERS]));
            let removal = orgs::remove(&state, ENV, PRACTICE_ORG_A);
            let sends = senders.into_iter().flat_map(|s| s.join().unwrap()).collect();
            Round { removal, sends }
        })
        .await
        .unwrap();

        let mut queued = Vec::new();
        for outcome in r.sends {
            match outcome {
                Ok(files) => {
                    for (path, job) in files {
                        let job = job.unwrap_or_else(|e| panic!("round {round}: {path} refused alone: {e:?}"));
                        queued.push(job.id);
                    }
                }
                // Too late: A is gone, and the send says so.
                Err(e) => {
                    assert_eq!(e.code, ErrorCode::ProfileIncomplete, "round {round}: {e:?}");
                    assert!(e.detail.as_deref().unwrap_or("").contains(PRACTICE_ORG_A), "round {round}: {e:?}");
                }
            }
        }
        let unfinished = orgs::unfinished_sends(&w.state, ENV, PRACTICE_ORG_A).unwrap();
        match r.removal {
            Err(e) => {
                assert_eq!(e.code, ErrorCode::OrgHasUnfinishedSends, "round {round}: {e:?}");
                assert!(!queued.is_empty(), "round {round}: refused with no file of A queued");
                assert!(w.state.profiles.get_org(ENV, PRACTICE_ORG_A).is_some(), "round {round}");
                let names: Vec<String> = a_names();
                assert_eq!(names.len(), a_secrets.len(), "round {round}: a refused removal took secrets");
                refused += 1;
            }
            Ok(()) => {
                assert!(
                    queued.is_empty(),
                    "round {round}: {} job(s) of A queued although A was removed: they can never be sent",
                    queued.len()
                );
                assert!(unfinished.is_empty(), "round {round}: {unfinished:?}");
                assert!(w.state.profiles.get_org(ENV, PRACTICE_ORG_A).is_none(), "round {round}");
                let names: Vec<String> = a_names();
                assert!(names.is_empty(), "round {round}: left behind: {names:?}");
                removed += 1;
            }
        }
        // The next round starts with no file of A on its way.
        for job in unfinished {
            q.cancel(job.id).unwrap();
        }
        q.idle().await;
    }
    w.state.org_gate.set_step_hook(None);
    admin.clear_faults();

    let (send_pauses, removal_pauses) = *pauses.lock().unwrap();
    println!("{ROUNDS} rounds: {refused} removals refused, {removed} done; {send_pauses} sends and {removal_pauses} removals paused");
    assert!(admin.faults_fired("fail_503") > 0, "the jobs never reached the sandbox");
    assert!(refused > 0 && removed > 0, "both outcomes must occur: {refused} refused, {removed} removed");
    assert!(removal_pauses == removed, "each removal paused between its check and its act");
}
