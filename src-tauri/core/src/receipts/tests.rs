//! The receipts parsed back with lopdf (a PDF reader of its own, not our
//! writer): every field's text is in the file, æøå included, in each language.

use super::model::{self, Names, Texts};
use super::zone::Zone;
use super::{default_file_name, pdf, winansi, write_atomically};
use crate::transfers::inbox::IncomingFile;
use crate::transfers::send::SendJob;
use serde_json::{json, Value};

const NB: &str = include_str!("../../../../ui/src/locales/nb.json");
const NN: &str = include_str!("../../../../ui/src/locales/nn.json");
const EN: &str = include_str!("../../../../ui/src/locales/en.json");

fn texts(lang: &str) -> impl Texts {
    let dict: Value = serde_json::from_str(match lang {
        "nn" => NN,
        "en" => EN,
        _ => NB,
    })
    .unwrap();
    move |key: &str| key.split('.').try_fold(&dict, |node, part| node.get(part))?.as_str().map(str::to_owned)
}

fn made() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-26 14:03:15 UTC)
}

fn names() -> Names {
    let mut n = Names::default();
    n.orgs.insert("310000019".into(), "Øvingsetaten Avsender (310 000 019)".into());
    n.orgs.insert("310000027".into(), "Ærlige Åsnes kommune (310 000 027)".into());
    n.services.insert("budbringer-ovelse".into(), "Øvingstjeneste for Budbringer (budbringer-ovelse)".into());
    n
}

fn job(recipients: usize, properties: usize) -> SendJob {
    let ft = "6f0c3c1e-0000-4000-8000-000000000001";
    let recips: Vec<String> =
        (0..recipients).map(|i| if i == 0 { "310000027".into() } else { format!("9{i:08}") }).collect();
    let mut props = serde_json::Map::new();
    props.insert("saksnummer".into(), json!("2026/42-7 på Østre Åsen"));
    for i in 1..properties {
        props.insert(format!("egenskap-{i:03}"), json!(format!("verdi nummer {i} med æøå")));
    }
    let receipt = json!({
        "fileTransferId": ft, "resourceId": "budbringer-ovelse", "fileName": "Søknad om støtte – vår 2026.pdf", "checksum": "0cc175b9c0f1b6a831c399e269772661",
        "fileTransferSize": 1234567, "fileTransferStatus": "AllConfirmedDownloaded", "sendersFileTransferReference": "Sak 2026/42 Ærlig",
        "sender": "0192:310000019", "created": "2026-11-26T10:00:00Z", "propertyList": props,
        "recipients": recips.iter().map(|r| json!({ "recipient": format!("0192:{r}"),
            "currentRecipientFileTransferStatusCode": "DownloadConfirmed",
            "currentRecipientFileTransferStatusChanged": "2026-11-26T11:30:00Z" })).collect::<Vec<_>>(),
        "fileTransferStatusHistory": [
            { "fileTransferStatus": "Initialized", "fileTransferStatusChanged": "2026-11-26T10:00:00Z" },
            { "fileTransferStatus": "Published", "fileTransferStatusChanged": "2026-11-26T10:00:05Z" },
            { "fileTransferStatus": "AllConfirmedDownloaded", "fileTransferStatusChanged": "2026-11-26T11:30:01Z" }],
        "recipientFileTransferStatusHistory": [
            { "recipient": "0192:310000027", "recipientFileTransferStatusCode": "DownloadConfirmed",
              "recipientFileTransferStatusChanged": "2026-11-26T11:30:00Z" }]
    });
    serde_json::from_value(json!({
        "id": "00000000-0000-4000-8000-000000000002", "environment": "tt02", "path": "/home/u/søknad.pdf",
        "fileName": "Søknad om støtte – vår 2026.pdf", "size": 1234567, "modifiedMs": null,
        "md5": "0cc175b9c0f1b6a831c399e269772661", "resourceId": "budbringer-ovelse", "sender": "310000019",
        "recipients": recips, "properties": {}, "reference": "Sak 2026/42 Ærlig", "fileTransferId": ft,
        "initializeSent": false, "method": "stream", "phase": "published", "bytesSent": 1234567, "error": null,
        "receipt": receipt, "created": "2026-11-26T10:00:00Z"
    }))
    .unwrap()
}

/// Each page's text, as a reader extracts it.
fn pages_text(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF lopdf can read");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    pages.iter().map(|&p| doc.extract_text(&[p]).expect("text of a page")).collect()
}

fn info(bytes: &[u8], key: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(bytes).unwrap();
    let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let dict = doc.get_object(info).unwrap().as_dict().unwrap();
    let v = dict.get(key).unwrap();
    lopdf::decode_text_string(v).unwrap_or_else(|_| String::from_utf8_lossy(v.as_str().unwrap()).into_owned())
}

/// A whole text found in the extracted text, where lines and cells run together.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_sent_receipt_holds_every_field_in_each_language() {
    for (lang, title) in
        [("nb", "Kvittering for sendt fil"), ("nn", "Kvittering for sendt fil"), ("en", "Receipt for a sent file")]
    {
        let t = texts(lang);
        let status = t.t("sent.status.AllConfirmedDownloaded");
        let recipient_status = t.t("sent.recipientStatus.DownloadConfirmed");
        let (env, made_label) = (t.t("env.tt02"), t.t("receipt.made"));
        let receipt = model::sent(&job(1, 2), &t, lang, &names(), made(), &Zone::utc());
        let bytes = pdf::render(&receipt);
        let pages = pages_text(&bytes);
        assert_eq!(pages.len(), 1, "{lang}: one page");
        let text = squash(&pages[0]);
        for needle in [
            title,
            "Søknad om støtte – vår 2026.pdf",
            "1 234 567",
            "0cc175b9c0f1b6a831c399e269772661",
            "6f0c3c1e-0000-4000-8000-000000000001",
            "Sak 2026/42 Ærlig",
            "Øvingstjeneste for Budbringer (budbringer-ovelse)",
            "Øvingsetaten Avsender (310 000 019)",
            "Ærlige Åsnes kommune (310 000 027)",
            &recipient_status,
            &status,
            "AllConfirmedDownloaded",
            &env,
            "saksnummer",
            "2026/42-7 på Østre Åsen",
            "26.11.2026 10:00:05 UTC",
            "26.11.2026 11:30:00 UTC",
            &made_label,
            "26.11.2026 14:03:15 UTC",
            &t.t("origin.altinn"),
            &t.t("sent.perRecipient"),
            &t.t("sent.history"),
            &t.t("sent.properties"),
        ] {
            assert!(text.contains(&squash(needle)), "{lang}: {needle:?} missing in:\n{text}");
        }
        assert!(text.contains(&t.t_with("receipt.page", &[("n", "1"), ("total", "1")])), "{lang}: page number");
        assert_eq!(info(&bytes, b"Title"), format!("{title} – Søknad om støtte – vår 2026.pdf"));
        assert_eq!(info(&bytes, b"Producer"), "Budbringer");
        assert!(info(&bytes, b"CreationDate").starts_with("D:20261126140315"), "{}", info(&bytes, b"CreationDate"));
    }
}

#[test]
fn a_received_receipt_tells_the_check_and_the_confirmation() {
    let job = job(1, 1);
    let overview = job.receipt.clone().unwrap().overview;
    let file: IncomingFile = serde_json::from_value(json!({
        "id": overview.file_transfer_id, "environment": "production", "overview": overview, "phase": "confirmed",
        "savedPath": "/home/u/Nedlastinger/søknad.pdf", "error": null, "firstSeen": "2026-11-26T10:01:00Z",
        "org": "310000027"
    }))
    .unwrap();
    let t = texts("nb");
    let bytes = pdf::render(&model::received(&file, &file.overview, &t, "nb", &names(), made(), &Zone::utc()));
    let text = squash(&pages_text(&bytes).concat());
    for needle in [
        "Kvittering for mottatt fil",
        "Øvingsetaten Avsender (310 000 019)",
        "Ærlige Åsnes kommune (310 000 027)",
        "Filen er lagret og stemmer med kontrollsummen fra Altinn.",
        "Kvittert som mottatt hos Altinn",
        "26.11.2026 11:30:00 UTC",
        "Først sett av Budbringer",
        "26.11.2026 10:01:00 UTC",
        "Produksjon",
        "Øvingstjeneste for Budbringer (budbringer-ovelse)",
        "2026/42-7 på Østre Åsen",
        "0cc175b9c0f1b6a831c399e269772661",
        "Data fra Altinn",
    ] {
        assert!(text.contains(&squash(needle)), "{needle:?} missing in:\n{text}");
    }
    // Where it was saved is not the archive's business.
    assert!(!text.contains("Nedlastinger"), "{text}");
    // Not yet downloaded: no claim about the checksum.
    let mut new = file.clone();
    new.phase = crate::transfers::inbox::InboxPhase::New;
    new.overview.recipients[0].current_recipient_file_transfer_status_code = Some("Initialized".into());
    let text = squash(
        &pages_text(&pdf::render(&model::received(&new, &new.overview, &t, "nb", &names(), made(), &Zone::utc())))
            .concat(),
    );
    assert!(text.contains("Ikke kontrollert: filen er ikke lastet ned ennå."), "{text}");
    assert!(!text.contains("stemmer med kontrollsummen"), "{text}");
}

#[test]
fn two_hundred_recipients_and_properties_go_on_over_pages() {
    let t = texts("nb");
    let receipt = model::sent(&job(200, 200), &t, "nb", &names(), made(), &Zone::utc());
    let pages = pages_text(&pdf::render(&receipt));
    assert!(pages.len() >= 5, "200 recipients and 200 properties on {} pages", pages.len());
    let all = squash(&pages.concat());
    for i in 1..200 {
        let spaced = crate::registers::types::spaced_org(&format!("9{i:08}"));
        assert!(all.contains(&spaced), "recipient {i} ({spaced}) missing");
        assert!(all.contains(&format!("egenskap-{i:03}")), "property {i} missing");
        assert!(all.contains(&format!("verdi nummer {i} med æøå")), "value {i} missing");
    }
    let total = pages.len().to_string();
    for (i, page) in pages.iter().enumerate() {
        let n = (i + 1).to_string();
        let foot = t.t_with("receipt.page", &[("n", &n), ("total", &total)]);
        assert!(squash(page).contains(&foot), "page {n}: {foot:?} missing");
    }
    // A page that goes on with a table repeats its column titles.
    let continued = pages.iter().skip(1).filter(|p| p.contains(&t.t("sent.col.changed"))).count();
    assert!(continued >= 2, "the recipients' column titles on {continued} later pages");
}

/// In Norway's zone every time carries the offset it had that day: +01:00 in
/// winter, +02:00 in summer (the switch on 29 March 2026 at 01:00 UTC
/// included), in each language, read back from the PDF; the file name takes
/// the local day. (The other tests use the fallback: UTC, labelled `UTC`.)
#[test]
fn times_are_in_the_zone_with_their_offset_in_winter_and_summer() {
    let oslo = Zone::named("Europe/Oslo").expect("the time zone database has Europe/Oslo");
    let mut j = job(1, 1);
    j.created = "2026-01-15T10:00:00Z".into();
    let r = j.receipt.as_mut().unwrap();
    r.overview.created = None;
    let history = &mut r.file_transfer_status_history;
    history[0].file_transfer_status_changed = Some("2026-03-29T00:59:59Z".into());
    history[1].file_transfer_status_changed = Some("2026-03-29T01:00:00Z".into());
    history[2].file_transfer_status_changed = Some("2026-07-15T10:00:00Z".into());
    let made = time::macros::datetime!(2026-01-20 23:30:00 UTC);
    for lang in ["nb", "nn", "en"] {
        let t = texts(lang);
        let text = squash(&pages_text(&pdf::render(&model::sent(&j, &t, lang, &names(), made, &oslo))).concat());
        for needle in [
            "15.01.2026 11:00:00 (UTC+01:00)",
            "29.03.2026 01:59:59 (UTC+01:00)",
            "29.03.2026 03:00:00 (UTC+02:00)",
            "15.07.2026 12:00:00 (UTC+02:00)",
            "21.01.2026 00:30:00 (UTC+01:00)",
        ] {
            assert!(text.contains(needle), "{lang}: {needle:?} missing in:\n{text}");
        }
        assert!(!text.contains(" UTC "), "{lang}: a time without its zone in:\n{text}");
    }
    assert_eq!(default_file_name("Kvittering", "Sak", made, &oslo), "Kvittering Sak 2026-01-21.pdf");
    assert_eq!(default_file_name("Kvittering", "Sak", made, &Zone::utc()), "Kvittering Sak 2026-01-20.pdf");
}

#[test]
fn text_outside_winansi_is_replaced_visibly_and_long_words_wrap() {
    assert_eq!(winansi::encode("æøå ÆØÅ €–"), vec![0xE6, 0xF8, 0xE5, b' ', 0xC6, 0xD8, 0xC5, b' ', 0x80, 0x96]);
    assert_eq!(winansi::encode("a→b\u{202E}c"), b"a?b?c".to_vec());
    assert_eq!(winansi::encode("a\tb"), b"a b".to_vec());
    let t = texts("en");
    let mut j = job(1, 1);
    j.receipt.as_mut().unwrap().overview.file_name = Some("报告 → rapport.pdf".into());
    let text = squash(&pages_text(&pdf::render(&model::sent(&j, &t, "en", &names(), made(), &Zone::utc()))).concat());
    assert!(text.contains("?? ? rapport.pdf"), "{text}");
    // A word wider than the column is cut, never runs past it.
    let long = "x".repeat(400);
    let lines = pdf::wrap_for_tests(&format!("kort {long} slutt"), 200.0);
    assert!(lines.len() > 3, "{}", lines.len());
    for line in &lines {
        assert!(winansi::Font::Regular.width(line, 10.0) <= 200.0, "{}", String::from_utf8_lossy(line));
    }
    assert_eq!(lines.concat().iter().filter(|&&b| b == b'x').count(), 400, "nothing lost");
}

#[test]
fn the_default_name_is_safe_on_windows() {
    assert_eq!(
        default_file_name("Kvittering", "Sak 2026/42", made(), &Zone::utc()),
        "Kvittering Sak 2026-42 2026-11-26.pdf"
    );
    assert_eq!(default_file_name("Receipt", "a:b*c?.txt", made(), &Zone::utc()), "Receipt a_b_c_.txt 2026-11-26.pdf");
    let long = default_file_name("Kvittering", &"å".repeat(300), made(), &Zone::utc());
    assert!(long.len() <= 200 && long.ends_with(".pdf"), "{long}");
}

#[test]
fn a_receipt_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Kvittering.pdf");
    write_atomically(&path, b"first").unwrap();
    write_atomically(&path, b"second").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second", "the chosen file is replaced");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    // A folder that is not there: a named error, nothing written.
    let gone = dir.path().join("borte").join("Kvittering.pdf");
    let e = write_atomically(&gone, b"x").unwrap_err();
    assert_eq!(e.code, crate::error::ErrorCode::ReceiptSaveFailed);
    assert!(!gone.exists());
}
