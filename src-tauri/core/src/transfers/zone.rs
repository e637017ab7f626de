//! Marking received files as downloaded from the internet, as browsers do.
//!
//! On Windows a file's `Zone.Identifier` alternate data stream (an NTFS
//! stream beside the file's content) says where it came from. With
//! `ZoneId=3` (the Internet zone) Windows treats it as downloaded: SmartScreen
//! checks a program before it runs, Office opens documents in Protected View,
//! and the "this file came from another computer" warning appears. Received
//! files get the mark on their part-file, before they get their final name,
//! so no saved file is ever without it. File systems without streams (FAT,
//! some network shares) cannot hold it; the file is still saved.
//!
//! The format is the one Windows' Attachment Manager and the browsers write:
//! an INI section `[ZoneTransfer]` with `ZoneId` and, when known, `HostUrl`,
//! in CRLF lines.

use std::path::Path;

/// The Internet zone (URLZONE_INTERNET).
pub const INTERNET_ZONE: u8 = 3;

/// The stream's text: `[ZoneTransfer]`, `ZoneId=3` and `HostUrl=` (the address
/// the file came from) when there is one that fits on one line.
pub fn zone_identifier(host_url: Option<&str>) -> String {
    let mut text = format!("[ZoneTransfer]\r\nZoneId={INTERNET_ZONE}\r\n");
    // A line break in the address would let it add lines of its own.
    if let Some(url) = host_url.filter(|u| !u.is_empty() && !u.chars().any(char::is_control)) {
        text.push_str("HostUrl=");
        text.push_str(url);
        text.push_str("\r\n");
    }
    text
}

/// Writes the mark on `path` (Windows). Failure is logged, not fatal: a file
/// system without alternate data streams cannot hold it.
#[cfg(windows)]
pub fn mark_downloaded(path: &Path, host_url: Option<&str>) {
    let mut stream = path.as_os_str().to_owned();
    stream.push(":Zone.Identifier");
    if let Err(e) = std::fs::write(std::path::PathBuf::from(stream), zone_identifier(host_url)) {
        tracing::warn!(error = %e, file = %path.display(), "could not mark the file as downloaded (Zone.Identifier)");
    }
}

/// Other systems have no such mark (macOS's quarantine attribute is set by the
/// system for sandboxed apps only; Linux has none).
#[cfg(not(windows))]
pub fn mark_downloaded(_path: &Path, _host_url: Option<&str>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_says_internet_zone_like_a_browser() {
        assert_eq!(
            zone_identifier(Some("https://platform.altinn.no/broker/api/v1/filetransfer/1b2c/download")),
            "[ZoneTransfer]\r\nZoneId=3\r\nHostUrl=https://platform.altinn.no/broker/api/v1/filetransfer/1b2c/download\r\n"
        );
        assert_eq!(zone_identifier(None), "[ZoneTransfer]\r\nZoneId=3\r\n");
    }

    #[test]
    fn an_address_cannot_add_lines() {
        let text = zone_identifier(Some("https://x/\r\nZoneId=0"));
        assert_eq!(text, "[ZoneTransfer]\r\nZoneId=3\r\n");
        assert_eq!(text.matches("ZoneId").count(), 1);
    }

    #[cfg(windows)]
    #[test]
    fn a_saved_file_carries_the_mark() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.txt");
        std::fs::write(&f, b"x").unwrap();
        mark_downloaded(&f, None);
        let mut stream = f.as_os_str().to_owned();
        stream.push(":Zone.Identifier");
        assert_eq!(std::fs::read_to_string(std::path::PathBuf::from(stream)).unwrap(), zone_identifier(None));
        assert_eq!(std::fs::read(&f).unwrap(), b"x", "the content is untouched");
    }
}
