//! Texts the Rust side shows itself (desktop notifications), from the same
//! locale files the UI uses (`ui/src/locales/<lang>.json`), so every text is
//! translated in one place. Lookup and placeholders work as the UI's `t()`
//! does: a missing key falls back to Bokmål, then to the key itself, and
//! `{name}` is filled from the parameters.

use budbringer_core::settings::Language;
use serde_json::Value;
use std::sync::OnceLock;

const NB: &str = include_str!("../../../ui/src/locales/nb.json");
const NN: &str = include_str!("../../../ui/src/locales/nn.json");
const EN: &str = include_str!("../../../ui/src/locales/en.json");

/// The keys the Rust side uses (a test checks them in every locale file).
pub const KEYS: &[&str] =
    &[NEW_FILE_TITLE, NEW_FILE_BODY, NEW_FILES_TITLE, NEW_FILES_BODY, "tray.open", "tray.quit", "tray.tooltip"];
pub const NEW_FILE_TITLE: &str = "notification.newFileTitle";
pub const NEW_FILE_BODY: &str = "notification.newFileBody";
pub const NEW_FILES_TITLE: &str = "notification.newFilesTitle";
pub const NEW_FILES_BODY: &str = "notification.newFilesBody";

fn dictionary(lang: Language) -> &'static Value {
    static DICTS: OnceLock<[Value; 3]> = OnceLock::new();
    // The files are part of the build and checked by the tests: a parse error is a build defect.
    let parse = |text: &str| serde_json::from_str(text).unwrap_or(Value::Null);
    let dicts = DICTS.get_or_init(|| [parse(NB), parse(NN), parse(EN)]);
    match lang {
        Language::Nb => &dicts[0],
        Language::Nn => &dicts[1],
        Language::En => &dicts[2],
    }
}

fn lookup(lang: Language, key: &str) -> Option<&'static str> {
    key.split('.').try_fold(dictionary(lang), |node, part| node.get(part))?.as_str()
}

/// `key` in `lang`, falling back to Bokmål; `None` when no file has it.
pub fn get(lang: Language, key: &str) -> Option<&'static str> {
    lookup(lang, key).or_else(|| lookup(Language::Nb, key))
}

/// `key` in `lang`, with `{name}` placeholders filled from `params`.
pub fn text(lang: Language, key: &str, params: &[(&str, &dyn std::fmt::Display)]) -> String {
    let template = lookup(lang, key).or_else(|| lookup(Language::Nb, key)).unwrap_or(key);
    static PLACEHOLDER: OnceLock<regex::Regex> = OnceLock::new();
    let re = PLACEHOLDER.get_or_init(|| regex::Regex::new(r"\{(\w+)\}").expect("a valid pattern"));
    re.replace_all(template, |c: &regex::Captures| match params.iter().find(|(name, _)| *name == &c[1]) {
        Some((_, value)) => value.to_string(),
        None => c[0].to_owned(),
    })
    .into_owned()
}

/// The desktop notice for `n` new files: (title, body).
pub fn new_files_notice(lang: Language, n: usize) -> (String, String) {
    if n == 1 {
        (text(lang, NEW_FILE_TITLE, &[]), text(lang, NEW_FILE_BODY, &[]))
    } else {
        (text(lang, NEW_FILES_TITLE, &[]), text(lang, NEW_FILES_BODY, &[("n", &n)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_in_every_locale_file() {
        for lang in Language::ALL {
            for key in KEYS {
                assert!(lookup(lang, key).is_some_and(|t| !t.trim().is_empty()), "{key} missing in {lang:?}");
            }
        }
    }

    #[test]
    fn notices_are_translated_with_their_number() {
        assert_eq!(
            new_files_notice(Language::Nb, 1),
            ("Ny fil fra Altinn".to_owned(), "1 ny fil i innboksen.".to_owned())
        );
        assert_eq!(
            new_files_notice(Language::Nb, 3),
            ("Nye filer fra Altinn".to_owned(), "3 nye filer i innboksen.".to_owned())
        );
        assert_eq!(
            new_files_notice(Language::Nn, 1),
            ("Ny fil frå Altinn".to_owned(), "1 ny fil i innboksen.".to_owned())
        );
        assert_eq!(
            new_files_notice(Language::Nn, 4),
            ("Nye filer frå Altinn".to_owned(), "4 nye filer i innboksen.".to_owned())
        );
        assert_eq!(
            new_files_notice(Language::En, 1),
            ("New file from Altinn".to_owned(), "1 new file in the inbox.".to_owned())
        );
        assert_eq!(
            new_files_notice(Language::En, 12),
            ("New files from Altinn".to_owned(), "12 new files in the inbox.".to_owned())
        );
    }

    #[test]
    fn placeholders_and_fallbacks_work_as_in_the_ui() {
        assert_eq!(text(Language::En, "app.version", &[("version", &"1.2.3")]), "Version 1.2.3");
        assert_eq!(text(Language::Nb, "app.version", &[]), "Versjon {version}", "an unknown placeholder stays");
        assert_eq!(text(Language::En, "no.such.key", &[]), "no.such.key");
        assert_eq!(text(Language::En, "app", &[]), "app", "a section is not a text");
    }
}
