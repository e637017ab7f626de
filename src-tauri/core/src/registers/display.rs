//! Readable names from Enhetsregisteret's capitals. The register keeps names
//! and municipalities in upper case ("NORDRE FOLLO KOMMUNE"), which is hard to
//! read in a list. The app shows them in ordinary case ("Nordre Follo
//! kommune") and keeps the registered form for the receipt and the tooltip.

/// Company forms and other abbreviations that stay in capitals.
const KEEP_UPPER: &[&str] = &[
    "AS", "ASA", "SA", "BA", "DA", "ANS", "KS", "IKS", "KF", "FKF", "HF", "RHF", "NUF", "SE", "SF", "ENK", "BBL",
    "BRL", "STI", "ORGL", "NAV", "IKT", "IT", "HMS", "NRK", "SSB", "NVE", "DSB", "DFØ", "NTNU", "UIO", "UIB", "UIT",
    "OSLOMET",
];

/// Words that are lower case inside a Norwegian name: the kind of body, and
/// the small words between the proper nouns.
const LOWER_INSIDE: &[&str] = &[
    "kommune",
    "fylkeskommune",
    "og",
    "i",
    "for",
    "av",
    "til",
    "på",
    "med",
    "ved",
    "under",
    "avd",
    "avd.",
    "avdeling",
    "og/eller",
];

/// `name` in ordinary case when the register wrote it in capitals; names
/// already in mixed case (the sandbox's own, or a register that changes its
/// habits) are left as they are.
pub fn readable(name: &str) -> String {
    let name = name.trim();
    if name.chars().any(char::is_lowercase) {
        return name.to_owned();
    }
    name.split_whitespace().enumerate().map(|(i, word)| readable_word(word, i == 0)).collect::<Vec<_>>().join(" ")
}

fn readable_word(word: &str, first: bool) -> String {
    let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
    if KEEP_UPPER.contains(&bare) || bare.chars().any(|c| c.is_ascii_digit()) || (!bare.is_empty() && !has_vowel(bare))
    {
        return word.to_owned();
    }
    let lower = word.to_lowercase();
    if !first && LOWER_INSIDE.contains(&lower.as_str()) {
        return lower;
    }
    // Capitals after a hyphen, a slash or an opening bracket: "AURSKOG-HØLAND" → "Aurskog-Høland".
    let mut out = String::with_capacity(lower.len());
    let mut start = true;
    for c in lower.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
            start = false;
        } else {
            out.push(c);
            if matches!(c, '-' | '/' | '(' | '.' | '&') {
                start = true;
            }
        }
    }
    out
}

fn has_vowel(word: &str) -> bool {
    word.chars().any(|c| "AEIOUYÆØÅaeiouyæøå".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitals_become_ordinary_case() {
        for (raw, want) in [
            ("NORDRE FOLLO KOMMUNE", "Nordre Follo kommune"),
            ("REGISTERENHETEN I BRØNNØYSUND", "Registerenheten i Brønnøysund"),
            ("DIGITALISERINGSDIREKTORATET", "Digitaliseringsdirektoratet"),
            ("AURSKOG-HØLAND KOMMUNE", "Aurskog-Høland kommune"),
            ("VESTLAND FYLKESKOMMUNE", "Vestland fylkeskommune"),
            ("HELSE BERGEN HF", "Helse Bergen HF"),
            ("SESAM STASJON AS", "Sesam Stasjon AS"),
            ("IKT ORKDALSREGIONEN IKS", "IKT Orkdalsregionen IKS"),
            ("KOMMUNE I KOMMUNE", "Kommune i kommune"),
            ("BRØNNØY", "Brønnøy"),
            ("  OSLO  ", "Oslo"),
            ("Øvingsetaten Avsender", "Øvingsetaten Avsender"),
            ("NORDRE FOLLO KOMMUNE AVD. 2 (ARKIV)", "Nordre Follo kommune avd. 2 (Arkiv)"),
            ("", ""),
        ] {
            assert_eq!(readable(raw), want, "{raw:?}");
        }
    }
}
