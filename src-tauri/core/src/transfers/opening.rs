//! What opening a received file could do, judged by its extension.
//!
//! A received file comes from a stranger. "Open" hands it to the program the
//! operating system picks for its extension, and for some extensions that
//! program runs whatever the file says. Those are refused here (the user can
//! still show the file in its folder and decide there, where Windows adds its
//! own warning for files marked as downloaded, see [`super::zone`]). Kinds
//! that only *can* carry code (macro-enabled Office files, web pages, disk
//! images) are opened after a warning. Everything else opens directly.
//!
//! The extension is read from the name the file was saved under: the cleaned
//! name ([`super::names`]), which is what the operating system sees.

use serde::Serialize;
use ts_rs::TS;

/// How careful to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RiskLevel {
    /// Opened only after the user confirms a warning.
    Warn,
    /// Never opened from the app.
    Refuse,
}

/// Why: each kind has its own explanation in the locale files (`inbox.risk.<kind>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum RiskKind {
    /// A program: it runs as soon as it is opened.
    Program,
    /// A script: Windows, macOS or Linux runs it as a program.
    Script,
    /// An installer: it installs software, often with more rights.
    Installer,
    /// A shortcut: it points somewhere else, often to a program or a web address.
    Shortcut,
    /// A file that changes Windows settings or runs code in a system tool (registry, control panel, help).
    System,
    /// An Office document with macros: the macros are programs.
    Macro,
    /// A web page or a drawing that can hold scripts.
    Web,
    /// A disk image: opening it mounts it, and the files inside may lose the "downloaded" mark.
    DiskImage,
}

/// The risk of opening a file, as the inbox shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FileRisk {
    pub level: RiskLevel,
    pub kind: RiskKind,
}

/// The table, by lower-case extension. Refused: anything the operating system
/// runs as code when it is opened. Sources: Microsoft's list of file types
/// Outlook blocks ("Blocked attachments in Outlook") and the executable types
/// in Windows' attachment manager, plus the Unix and macOS equivalents.
const TABLE: &[(RiskLevel, RiskKind, &[&str])] = &[
    (
        RiskLevel::Refuse,
        RiskKind::Program,
        &["exe", "com", "scr", "pif", "jar", "jnlp", "xll", "wll", "app", "appimage", "run"],
    ),
    (
        RiskLevel::Refuse,
        RiskKind::Script,
        &[
            "bat",
            "cmd",
            "vb",
            "vbs",
            "vbe",
            "js",
            "jse",
            "ws",
            "wsf",
            "wsc",
            "wsh",
            "ps1",
            "ps1xml",
            "ps2",
            "ps2xml",
            "psc1",
            "psc2",
            "psm1",
            "msh",
            "msh1",
            "msh2",
            "mshxml",
            "hta",
            "sct",
            "py",
            "pyw",
            "pyc",
            "pyz",
            "sh",
            "bash",
            "zsh",
            "csh",
            "ksh",
            "command",
            "tool",
            "scpt",
            "applescript",
            "workflow",
        ],
    ),
    (
        RiskLevel::Refuse,
        RiskKind::Installer,
        &[
            "msi",
            "msp",
            "mst",
            "msix",
            "msixbundle",
            "appx",
            "appxbundle",
            "appinstaller",
            "application",
            "appref-ms",
            "xbap",
            "vsix",
            "gadget",
            "deb",
            "rpm",
            "pkg",
            "mpkg",
            "snap",
            "flatpakref",
        ],
    ),
    (RiskLevel::Refuse, RiskKind::Shortcut, &["lnk", "url", "website", "scf", "desktop", "webloc", "inetloc"]),
    (
        RiskLevel::Refuse,
        RiskKind::System,
        &[
            "reg",
            "inf",
            "ins",
            "isp",
            "cpl",
            "msc",
            "chm",
            "hlp",
            "diagcab",
            "library-ms",
            "search-ms",
            "searchconnector-ms",
            "settingcontent-ms",
            "theme",
            "themepack",
            "deskthemepack",
            "cer",
            "crt",
            "der",
        ],
    ),
    (
        RiskLevel::Warn,
        RiskKind::Macro,
        &[
            "docm", "dotm", "xlsm", "xltm", "xlsb", "xlam", "xla", "pptm", "potm", "ppam", "ppsm", "sldm", "one",
            "onepkg",
        ],
    ),
    (RiskLevel::Warn, RiskKind::Web, &["html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "svg", "svgz"]),
    (RiskLevel::Warn, RiskKind::DiskImage, &["iso", "img", "vhd", "vhdx", "dmg"]),
];

/// The risk of opening a file called `name`; `None` when it is an ordinary document.
pub fn risk(name: &str) -> Option<FileRisk> {
    // Windows ignores trailing dots and spaces, so "a.exe. " is an .exe.
    let name = name.trim_end_matches(['.', ' ']);
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(_, _, exts)| exts.contains(&ext.as_str()))
        .map(|(level, kind, _)| FileRisk { level: *level, kind: *kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(name: &str) -> Option<RiskLevel> {
        risk(name).map(|r| r.level)
    }

    #[test]
    fn programs_scripts_and_shortcuts_are_refused() {
        for name in [
            "rapport.exe",
            "RAPPORT.EXE",
            "faktura.pdf.exe",
            "a.scr",
            "x.bat",
            "x.cmd",
            "x.vbs",
            "x.js",
            "x.ps1",
            "x.hta",
            "x.lnk",
            "x.url",
            "x.msi",
            "x.reg",
            "x.cpl",
            "x.chm",
            "x.jar",
            "x.sh",
            "x.desktop",
            "rapport.exe.",
            "rapport.exe .",
        ] {
            assert_eq!(level(name), Some(RiskLevel::Refuse), "{name}");
        }
    }

    #[test]
    fn documents_that_can_carry_code_warn() {
        for (name, kind) in [
            ("budsjett.xlsm", RiskKind::Macro),
            ("brev.DOCM", RiskKind::Macro),
            ("side.html", RiskKind::Web),
            ("logo.svg", RiskKind::Web),
            ("disk.iso", RiskKind::DiskImage),
        ] {
            assert_eq!(risk(name), Some(FileRisk { level: RiskLevel::Warn, kind }), "{name}");
        }
    }

    #[test]
    fn ordinary_documents_open() {
        for name in [
            "rapport.pdf",
            "brev.docx",
            "tall.xlsx",
            "bilde.png",
            "arkiv.zip",
            "notat.txt",
            "data.csv",
            "uten-endelse",
            "exe",
            ".exe-notat.txt",
            "rapport.pdf_exe",
        ] {
            assert_eq!(risk(name), None, "{name}");
        }
    }

    /// The name the inbox judges is the cleaned one: a direction override that
    /// made "rapport\u{202E}fdp.exe" look like "rapportexe.pdf" cannot hide the .exe.
    #[test]
    fn a_disguised_extension_is_judged_by_what_the_system_sees() {
        let raw = "rapport\u{202E}fdp.exe";
        assert_eq!(level(&super::super::names::sanitize_file_name(raw)), Some(RiskLevel::Refuse));
    }

    #[test]
    fn every_extension_is_listed_once_in_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for (_, _, exts) in TABLE {
            for e in *exts {
                assert_eq!(*e, e.to_ascii_lowercase());
                assert!(seen.insert(*e), "{e} is listed twice");
            }
        }
    }
}
