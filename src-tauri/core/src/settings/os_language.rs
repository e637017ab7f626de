//! The language of the first start: the operating system's, when it is one of
//! Budbringer's (Nynorsk, Bokmål, English), else Bokmål. Later starts use the
//! saved setting, so a user's own choice always wins.

use super::Language;

/// The language for a locale tag as operating systems write them: BCP 47
/// (`nn-NO`, Windows and macOS) or POSIX (`nn_NO.UTF-8`, Linux). `no` (plain
/// Norwegian, as older systems and some Windows images say) is Bokmål, the
/// written standard it means in practice; ISO 639-2 `nno`/`nob` are accepted
/// too. Anything else is Bokmål, the app's default.
pub fn from_locale_tag(tag: &str) -> Language {
    // The language is the part before the region, script or encoding.
    let primary = tag.trim().split(['-', '_', '.', '@']).next().unwrap_or("").to_ascii_lowercase();
    match primary.as_str() {
        "nn" | "nno" => Language::Nn,
        "en" | "eng" => Language::En,
        _ => Language::Nb,
    }
}

/// The operating system's display language for this user, as one of ours.
/// `sys_locale` asks the platform (Windows: the user's UI language; macOS:
/// the first preferred language; Linux: `LC_ALL`, `LC_MESSAGES`, `LANG`).
pub fn os_language() -> Language {
    match sys_locale::get_locale() {
        Some(tag) => {
            let lang = from_locale_tag(&tag);
            tracing::info!(%tag, language = lang.as_str(), "first start: the operating system's language");
            lang
        }
        None => Language::Nb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags_map_to_our_languages() {
        for (tag, lang) in [
            ("nn-NO", Language::Nn),
            ("nn_NO.UTF-8", Language::Nn),
            ("NN", Language::Nn),
            ("nno", Language::Nn),
            ("nb-NO", Language::Nb),
            ("nb_NO.utf8", Language::Nb),
            ("no-NO", Language::Nb),
            ("no", Language::Nb),
            ("en-GB", Language::En),
            ("en_US.UTF-8", Language::En),
            ("en", Language::En),
            ("sv-SE", Language::Nb),
            ("de_DE@euro", Language::Nb),
            ("C", Language::Nb),
            ("POSIX", Language::Nb),
            ("", Language::Nb),
            ("  ", Language::Nb),
        ] {
            assert_eq!(from_locale_tag(tag), lang, "{tag:?}");
        }
    }
}
