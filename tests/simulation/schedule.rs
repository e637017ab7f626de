//! The seeded schedule: what the users do and what goes wrong, step by step.
//! The same seed always gives the same steps (the interleaving of the
//! engine's own tasks with them still varies a little from run to run).

use budbringer_sandbox::FaultSpec;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const BROKER: &str = "/broker/api/v1/filetransfer";
pub const TUS: &str = "/broker/api/v1/filetransfer/upload/tus";

/// One file to send.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub size: usize,
    /// Contains the EICAR test string: Broker's virus scan fails it.
    pub malware: bool,
}

#[derive(Debug, Clone)]
pub enum Step {
    /// A sends these files to B; with `shared_reference`, all carry the same
    /// "Deres referanse" (as the Send page gives every file of one send).
    Send {
        files: Vec<FileSpec>,
        shared_reference: Option<String>,
        /// Just before sending, the answers of this many initializes
        /// (`POST /broker/api/v1/filetransfer`) are lost after Broker acted:
        /// with a shared reference, the lost-initialize lookup must find each
        /// file's own transfer, not a sibling's (issue 11, case 2).
        lose_initialize: Option<u32>,
    },
    /// The user acts on the `pick`-th job (modulo how many there are).
    Pause {
        pick: usize,
    },
    Resume {
        pick: usize,
    },
    Cancel {
        pick: usize,
    },
    Retry {
        pick: usize,
    },
    /// B looks for new files (the poller, or the "check now" button).
    Refresh,
    /// B saves the `pick`-th file of its inbox.
    Download {
        pick: usize,
    },
    /// B turns "save automatically" on or off.
    AutoSave(bool),
    /// Others send `n` small files to B and to an organisation that never
    /// fetches them (so they stay Published after B confirms).
    Incoming {
        n: usize,
    },
    /// The instance `pick` of A (sender) or B is stopped at once and a new one started.
    Restart {
        sender: bool,
        pick: usize,
    },
    /// Another copy of the engine starts over the same data folder.
    SecondInstance {
        sender: bool,
    },
    /// One of several instances is stopped.
    StopInstance {
        sender: bool,
        pick: usize,
    },
    /// The gateway's API key is replaced, and both organisations enter the new one.
    RotateApiKey,
    /// Something goes wrong on the server or the network.
    Fault(FaultSpec),
    /// Time passes.
    Wait {
        ms: u64,
    },
}

pub fn schedule(seed: u64) -> Vec<Step> {
    let mut rng = StdRng::seed_from_u64(seed);
    // Lost initialize answers on shared references are drawn from a stream of
    // their own, so that adding them left every other step of a seed as it was.
    let mut lost = StdRng::seed_from_u64(seed ^ 0x1057_1417);
    let n = rng.gen_range(22..36);
    let mut steps = Vec::with_capacity(n + 4);
    // Something to work on from the start.
    steps.push(send_step(&mut rng, &mut lost));
    for _ in 0..n {
        let step = match rng.gen_range(0..100) {
            0..=15 => send_step(&mut rng, &mut lost),
            16..=19 => Step::Pause { pick: rng.gen() },
            20..=23 => Step::Resume { pick: rng.gen() },
            24..=27 => Step::Cancel { pick: rng.gen() },
            28..=32 => Step::Retry { pick: rng.gen() },
            33..=41 => Step::Refresh,
            42..=47 => Step::Download { pick: rng.gen() },
            48..=50 => Step::AutoSave(rng.gen_bool(0.6)),
            51..=53 => {
                Step::Incoming { n: if rng.gen_bool(0.35) { rng.gen_range(101..125) } else { rng.gen_range(1..6) } }
            }
            54..=58 => Step::Restart { sender: rng.gen(), pick: rng.gen() },
            59..=63 => Step::SecondInstance { sender: rng.gen() },
            64..=65 => Step::StopInstance { sender: rng.gen(), pick: rng.gen() },
            66..=67 => Step::RotateApiKey,
            68..=89 => Step::Fault(fault(&mut rng)),
            _ => Step::Wait { ms: rng.gen_range(100..600) },
        };
        steps.push(step);
    }
    steps
}

fn send_step(rng: &mut StdRng, lost: &mut StdRng) -> Step {
    let count = rng.gen_range(1..4);
    let files: Vec<FileSpec> = (0..count)
        .map(|_| FileSpec {
            size: match rng.gen_range(0..10) {
                0..=5 => rng.gen_range(1_000..200_000),
                6..=7 => rng.gen_range(200_000..1_500_000),
                // TUS, one or more 8 MiB chunks.
                _ => rng.gen_range(1_100_000..17_000_000),
            },
            malware: rng.gen_bool(0.06),
        })
        .collect();
    let shared_reference = rng.gen_bool(0.5).then(|| format!("sak-{}", rng.gen_range(1000..9999)));
    // Case 2 needs two files with one reference and the second one's answer
    // lost: with more than one file and a shared reference, half the time
    // every initialize of this send loses its answer.
    let lose_initialize =
        (shared_reference.is_some() && files.len() > 1 && lost.gen_bool(0.5)).then_some(files.len() as u32);
    Step::Send { files, shared_reference, lose_initialize }
}

/// The answers of the next `n` initializes are lost after Broker acted.
pub fn lose_initialize(n: u32) -> FaultSpec {
    FaultSpec {
        path_prefix: Some(BROKER.into()),
        path_suffix: Some("/filetransfer".into()),
        method: Some("POST".into()),
        lose_answer: Some(n),
        ..Default::default()
    }
}

/// A path prefix, optionally a method and suffix, that one fault hits.
fn target(rng: &mut StdRng) -> (String, Option<&'static str>, Option<&'static str>) {
    match rng.gen_range(0..11) {
        0 => (BROKER.into(), Some("POST"), None),      // initialize (and uploads)
        1 => (BROKER.into(), None, Some("/upload")),   // streamed upload
        2 => (TUS.into(), None, None),                 // TUS
        3 => (BROKER.into(), Some("GET"), None),       // overview, search, details, download
        4 => (BROKER.into(), None, Some("/download")), // download
        5 => (BROKER.into(), None, Some("/confirmdownload")), // confirm
        6 => (BROKER.into(), None, Some("/details")),  // the receipt
        7 => ("/token".into(), None, None),            // Maskinporten
        8 => (BROKER.into(), Some("GET"), None),
        _ => (BROKER.into(), None, None), // anything in Broker
    }
}

pub fn fault(rng: &mut StdRng) -> FaultSpec {
    let (prefix, method, suffix) = target(rng);
    let mut f = FaultSpec {
        path_prefix: Some(prefix),
        method: method.map(str::to_owned),
        path_suffix: suffix.map(str::to_owned),
        ..Default::default()
    };
    match rng.gen_range(0..12) {
        0 | 1 => {
            f.rate_limit_429 = Some(rng.gen_range(1..4));
            f.retry_after_secs = Some(rng.gen_range(0..2));
        }
        2 | 3 => f.fail_503 = Some(rng.gen_range(1..6)),
        4 => f.drop_after_bytes = Some(rng.gen_range(1_000..3_000_000)),
        5 => f.truncate_download_at = Some(rng.gen_range(100..500_000)),
        6 => f.malformed_json = Some(rng.gen_range(1..3)),
        7 | 8 => f.lose_answer = Some(rng.gen_range(1..3)),
        9 => f.cut_request_after_bytes = Some(rng.gen_range(1_000..2_000_000)),
        10 => f.cut_response_after_bytes = Some(rng.gen_range(10..200_000)),
        _ => {
            // Altinn's side: processing fails, an answer stalls half-way, or
            // every answer is slow for a while.
            match rng.gen_range(0..3) {
                0 => f = FaultSpec { fail_processing: Some(1), ..Default::default() },
                1 => f.stall_response_after_bytes = Some(rng.gen_range(0..2_000)),
                _ => f.latency_ms = Some(rng.gen_range(20..250)),
            }
        }
    }
    f
}
