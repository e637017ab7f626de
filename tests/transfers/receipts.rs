//! Receipts for the archive (issue 17) from a real transfer: sent through the
//! sandbox's Broker, downloaded and confirmed by the recipient, the details
//! fetched as the Sent page does, then the PDF made and read back with lopdf.

use super::support::*;
use super::{receive, send_file};
use budbringer_core::receipts::model::{self, Names};
use budbringer_core::receipts::pdf;
use budbringer_core::receipts::zone::Zone;
use budbringer_core::settings::Language;
use budbringer_core::transfers::inbox::IncomingFile;
use budbringer_core::transfers::send::{Phase, UploadSettings};
use budbringer_runtime::locale;
use budbringer_sandbox::{PRACTICE_ORG_A, PRACTICE_ORG_B};

fn text_of(bytes: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF lopdf reads");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn nb(key: &str) -> Option<String> {
    locale::get(Language::Nb, key).map(str::to_owned)
}

#[tokio::test]
async fn a_sent_and_a_received_receipt_carry_the_servers_statuses() {
    let w = world().await;
    let file = make_file(w.dir.path(), "Årsmelding for Østre Ål.pdf", 40_000);
    let (mut job, _) = send_file(&w, &file, &UploadSettings::default()).await;
    assert_eq!(job.phase, Phase::Published, "{:?}", job.error);
    let ft = job.file_transfer_id.unwrap();
    // The recipient downloads and confirms; then the sender's details, as "Hent siste status" gets them.
    receive(&w.b, ft, w.dir.path()).await;
    w.b.confirm(ft).await.unwrap();
    let details = w.a.details(ft).await.unwrap();
    job.receipt = Some(details.clone());

    let mut names = Names::default();
    names.orgs.insert(PRACTICE_ORG_B.into(), "Øvingsetaten Mottaker (310 000 027)".into());
    // The computer's zone, as the app writes them.
    let (made, zone) = (time::OffsetDateTime::now_utc(), Zone::system());
    let text = text_of(&pdf::render(&model::sent(&job, &nb, "nb", &names, made, &zone)));
    let o = &details.overview;
    let mut needles = vec![
        "Kvittering for sendt fil".to_owned(),
        "Årsmelding for Østre Ål.pdf".to_owned(),
        "Data fra Altinn".to_owned(),
        "Øvingsetaten Mottaker (310 000 027)".to_owned(),
        "Øvingsmiljø".to_owned(),
        ft.to_string(),
        o.checksum.clone().unwrap(),
        o.senders_file_transfer_reference.clone().unwrap(),
        "saksnummer".to_owned(),
        "2026/42".to_owned(),
        "40 000 byte".to_owned(),
    ];
    // Every status the server recorded, with its time as the receipt writes it.
    for s in &details.file_transfer_status_history {
        needles.push(s.file_transfer_status.clone());
        needles.push(model::format_time(s.file_transfer_status_changed.as_deref().unwrap(), &zone));
    }
    for r in &details.recipient_file_transfer_status_history {
        needles.push(r.recipient_file_transfer_status_code.clone());
    }
    assert!(needles.iter().any(|n| n == "DownloadConfirmed"), "the server's history has the confirmation");
    assert!(needles.iter().any(|n| n == "AllConfirmedDownloaded"), "and the transfer's final status");
    for n in &needles {
        assert!(text.contains(n.as_str()), "{n:?} missing in:\n{text}");
    }

    // B's receipt for the same file, from its side.
    let overview = w.b.overview(ft).await.unwrap();
    let incoming: IncomingFile = serde_json::from_value(serde_json::json!({
        "id": ft, "environment": "sandbox", "overview": overview, "phase": "confirmed", "savedPath": null,
        "error": null, "firstSeen": "2026-11-26T10:00:00Z", "org": PRACTICE_ORG_B
    }))
    .unwrap();
    let text = text_of(&pdf::render(&model::received(&incoming, &incoming.overview, &nb, "nb", &names, made, &zone)));
    let confirmed = overview.recipients[0].current_recipient_file_transfer_status_changed.as_deref().unwrap();
    for n in [
        "Kvittering for mottatt fil",
        "Filen er lagret og stemmer med kontrollsummen fra Altinn.",
        "Kvittert som mottatt hos Altinn",
        &model::format_time(confirmed, &zone),
        &spaced(PRACTICE_ORG_A),
        "Øvingsetaten Mottaker (310 000 027)",
    ] {
        assert!(text.contains(n), "{n:?} missing in:\n{text}");
    }
}

fn spaced(org: &str) -> String {
    budbringer_core::registers::types::spaced_org(org)
}
