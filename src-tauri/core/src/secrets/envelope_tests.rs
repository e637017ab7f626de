//! The envelope layout against a store with Windows Credential Manager's limits.

use super::*;
use crate::secrets::credman::{CredentialManagerSim, CRED_MAX_CREDENTIAL_BLOB_SIZE};
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

const SERVICE: &str = "no.budbringer.desktop";

fn store() -> EnvelopeStore<CredentialManagerSim> {
    EnvelopeStore::new(CredentialManagerSim::new(SERVICE), CREDENTIAL_MANAGER)
}

/// A string of exactly `len` bytes, mostly of `unit`.
fn text(len: usize, unit: &str) -> String {
    let mut s = unit.repeat(len / unit.len());
    while s.len() < len {
        s.push('a');
    }
    s
}

/// How many entries a value of `len` bytes takes.
fn entries_for(len: usize) -> usize {
    if len <= CRED_MAX_CREDENTIAL_BLOB_SIZE - HEADER_LEN {
        1
    } else {
        1 + len.div_ceil(CRED_MAX_CREDENTIAL_BLOB_SIZE)
    }
}

fn get(s: &EnvelopeStore<CredentialManagerSim>, name: &str) -> Option<String> {
    s.get(name).unwrap().map(|v| v.expose().to_owned())
}

#[test]
fn the_simulator_enforces_credential_managers_limits() {
    // The same limits keyring checks before CredWriteW (its own test
    // test_password_valid_only_after_conversion_to_utf16 does the same).
    let sim = CredentialManagerSim::new(SERVICE);
    assert!(sim.write("a", &[0; 2560]).is_ok());
    assert!(matches!(sim.write("a", &[0; 2561]), Err(keyring::Error::TooLong(w, 2560)) if w == "secret"));
    assert!(sim.set_password("a", &"x".repeat(1280)).is_ok());
    assert!(matches!(sim.set_password("a", &"x".repeat(1281)), Err(keyring::Error::TooLong(_, 2560))));
    assert!(matches!(sim.write(&"u".repeat(514), b"x"), Err(keyring::Error::TooLong(w, 513)) if w == "user"));
    let long_service = CredentialManagerSim::new(&"s".repeat(32767));
    assert!(matches!(long_service.write("u", b"x"), Err(keyring::Error::TooLong(w, 32767)) if w == "target"));
}

#[test]
fn the_private_key_did_not_fit_the_old_way_and_fits_now() {
    let sim = CredentialManagerSim::new(SERVICE);
    let store = store();
    let key2048 = crate::altinn::keys::generate(2048).unwrap();
    let key3072 = crate::altinn::keys::generate(3072).unwrap();
    // A business certificate's key may be 4096 bits (import accepts any size).
    let key4096 = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 4096).unwrap();
    for (key, entries) in [(key2048, 1), (key3072, 1), (key4096, 3)] {
        let pem = crate::altinn::keys::private_pkcs8_pem(&key).unwrap();
        assert!(
            matches!(sim.set_password("tt02/private-key", pem.expose()), Err(keyring::Error::TooLong(..))),
            "the old way should have failed for {} bytes",
            pem.expose().len()
        );
        store.set("tt02/private-key", pem.expose()).unwrap();
        assert_eq!(store.get("tt02/private-key").unwrap().unwrap(), pem);
        assert_eq!(store.raw().targets().len(), entries, "{} bytes", pem.expose().len());
        let back = crate::altinn::keys::from_stored_pem(&store.get("tt02/private-key").unwrap().unwrap()).unwrap();
        assert_eq!(back, key);
    }
}

#[test]
fn values_of_every_size_round_trip_in_as_few_entries_as_fit() {
    let room = CRED_MAX_CREDENTIAL_BLOB_SIZE - HEADER_LEN;
    let max = MAX_PARTS * CRED_MAX_CREDENTIAL_BLOB_SIZE;
    let sizes = [0, 1, room - 1, room, room + 1, 2560, 2561, 5120, 5121, 12_345, max];
    for unit in ["a", "ø", "€", "🔑"] {
        for len in sizes {
            let s = store();
            let value = text(len, unit);
            s.set("sandbox/api-key", &value).unwrap();
            assert_eq!(get(&s, "sandbox/api-key").as_deref(), Some(value.as_str()), "{len} bytes of {unit}");
            assert_eq!(s.raw().targets().len(), entries_for(len), "{len} bytes of {unit}");
            s.delete("sandbox/api-key").unwrap();
            assert!(s.raw().targets().is_empty(), "delete left {:?}", s.raw().targets());
        }
    }
    // One byte more than 64 parts: refused before anything is written.
    let s = store();
    let e = s.set("x", &text(max + 1, "a")).unwrap_err();
    assert_eq!(e.code, ErrorCode::SecretStoreFailed);
    assert!(s.raw().targets().is_empty());
}

#[test]
fn names_leave_room_for_part_suffixes() {
    let s = store();
    let longest = "n".repeat(CREDENTIAL_MANAGER.max_name_bytes - PART_SUFFIX_MAX);
    let big = text(MAX_PARTS * CRED_MAX_CREDENTIAL_BLOB_SIZE, "a");
    s.set(&longest, &big).unwrap();
    assert_eq!(get(&s, &longest).as_deref(), Some(big.as_str()));
    let too_long = format!("{longest}n");
    assert_eq!(s.set(&too_long, "x").unwrap_err().code, ErrorCode::SecretStoreFailed);
    assert_eq!(s.set("with#hash", "x").unwrap_err().code, ErrorCode::SecretStoreFailed);
}

#[test]
fn a_write_that_fails_halfway_keeps_the_old_value_and_leaves_nothing_behind() {
    let old = text(9_000, "ø");
    let new = text(7_000, "€");
    let writes_for_new = entries_for(new.len());
    for fail_at in 0..=writes_for_new {
        let s = store();
        s.set("tt02/private-key", &old).unwrap();
        let before = s.raw().targets();
        s.raw().fail_after_writes(Some(fail_at));
        let result = s.set("tt02/private-key", &new);
        s.raw().fail_after_writes(None);
        if fail_at < writes_for_new {
            assert_eq!(result.unwrap_err().code, ErrorCode::SecretStoreFailed);
            assert_eq!(get(&s, "tt02/private-key").as_deref(), Some(old.as_str()), "failed at write {fail_at}");
            assert_eq!(s.raw().targets(), before, "failed at write {fail_at}");
        } else {
            result.unwrap();
            assert_eq!(get(&s, "tt02/private-key").as_deref(), Some(new.as_str()));
            assert_eq!(s.raw().targets().len(), writes_for_new, "old parts left behind");
        }
    }
    // Replacing a split value by a small one, failing: the split value stays.
    let s = store();
    s.set("k", &old).unwrap();
    s.raw().fail_after_writes(Some(0));
    assert!(s.set("k", "small").is_err());
    s.raw().fail_after_writes(None);
    assert_eq!(get(&s, "k").as_deref(), Some(old.as_str()));
}

#[test]
fn secrets_stored_the_old_way_are_read_and_moved() {
    for legacy in [LegacyText::Utf16Le, LegacyText::Utf8] {
        let s = EnvelopeStore::new(CredentialManagerSim::with_legacy(SERVICE, legacy), CREDENTIAL_MANAGER);
        // The largest text the old way could hold on Windows: 1,280 UTF-16
        // units, here 3,840 bytes of UTF-8, which must now be split.
        let widest = "€".repeat(1280);
        for (name, value) in [("sandbox/api-key", "api-key-æøå"), ("tt02/api-key", widest.as_str())] {
            s.raw().set_password(name, value).unwrap();
            assert_eq!(get(&s, name).as_deref(), Some(value), "{legacy:?}");
            assert!(s.raw().blob(name).unwrap().starts_with(MAGIC), "not moved: {legacy:?}");
            assert_eq!(get(&s, name).as_deref(), Some(value), "{legacy:?}");
        }
        assert_eq!(s.raw().targets().len(), 1 + entries_for(widest.len()));
    }
    // When moving fails, the old entry is still read, and stays as it was.
    let s = store();
    s.raw().set_password("prod/api-key", "kept").unwrap();
    let before = s.raw().blob("prod/api-key");
    s.raw().fail_after_writes(Some(0));
    assert_eq!(get(&s, "prod/api-key").as_deref(), Some("kept"));
    assert_eq!(s.raw().blob("prod/api-key"), before);
    s.raw().fail_after_writes(None);
    // An odd number of bytes is not UTF-16 text: a named error, not a panic.
    s.raw().write("odd", b"abc").unwrap();
    assert_eq!(s.get("odd").unwrap_err().code, ErrorCode::SecretStoreFailed);
}

#[test]
fn a_damaged_split_value_is_a_named_error_never_a_wrong_value() {
    let s = store();
    s.set("k", &text(6_000, "a")).unwrap();
    let part2 = s.raw().targets().into_iter().find(|t| t.contains(".2.")).unwrap();
    s.raw().forget(part2.strip_suffix(&format!(".{SERVICE}")).unwrap());
    let e = s.get("k").unwrap_err();
    assert_eq!(e.code, ErrorCode::SecretStoreFailed);
    assert!(e.detail.as_deref().unwrap_or("").contains("part 2 of 3"), "{e:?}");
    // A manifest that does not parse.
    s.raw().write("m", b"\0bb1m zz 1 1").unwrap();
    assert_eq!(s.get("m").unwrap_err().code, ErrorCode::SecretStoreFailed);
    // Either can be overwritten with a good value.
    s.set("k", "fresh").unwrap();
    s.set("m", "fresh").unwrap();
    assert_eq!(get(&s, "m").as_deref(), Some("fresh"));
}

/// A seeded run of random sets, deletes and failing writes: after every step
/// each secret reads back as the model says, and the store holds exactly the
/// entries the model's values need (nothing orphaned).
#[test]
fn random_operations_keep_values_whole_and_leave_no_orphans() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let s = store();
    let mut model: BTreeMap<&str, String> = BTreeMap::new();
    let names = ["sandbox/private-key", "tt02/private-key", "tt02/api-key", "prod/private-key"];
    for step in 0..400 {
        let name = names[rng.gen_range(0..names.len())];
        match rng.gen_range(0..10) {
            0..=5 => {
                let len = [rng.gen_range(0..3000), rng.gen_range(0..20_000)][rng.gen_range(0..2)];
                let value = text(len, ["a", "ø", "€", "🔑"][rng.gen_range(0..4)]);
                let fail = rng.gen_bool(0.3).then(|| rng.gen_range(0..entries_for(len) + 1));
                s.raw().fail_after_writes(fail);
                let result = s.set(name, &value);
                s.raw().fail_after_writes(None);
                match (fail, result) {
                    (Some(n), Err(_)) if n < entries_for(len) => {}
                    (_, Ok(())) => {
                        model.insert(name, value);
                    }
                    (f, r) => panic!("step {step}: fail {f:?} gave {r:?}"),
                }
            }
            6..=7 => {
                s.delete(name).unwrap();
                model.remove(name);
            }
            _ => {}
        }
        for n in names {
            assert_eq!(get(&s, n).as_ref(), model.get(n), "step {step}: {n}");
        }
        let expected: usize = model.values().map(|v| entries_for(v.len())).sum();
        assert_eq!(s.raw().targets().len(), expected, "step {step}: {:?}", s.raw().targets());
    }
}

#[test]
fn the_store_registers_values_with_the_log_redactor() {
    let s = store();
    let value = format!("secret-{}", uuid::Uuid::new_v4());
    crate::secrets::SecretStore::set(&s, "k", &Secret::new(value.clone())).unwrap();
    assert!(!crate::logging::redact(&format!("x {value} y")).contains(&value));
}
