//! Streaming MD5, the checksum Broker uses (lower-case hex of the whole file).

use md5::{Digest, Md5};
use std::io::Read;
use std::path::Path;

/// Read buffer: large enough to keep the disk busy, small enough to stay flat in memory.
pub const BUF_SIZE: usize = 1 << 20;

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 of a file, reading it in [`BUF_SIZE`] pieces; `on_bytes` is told how
/// many bytes each piece had, and may stop the work by returning `false`.
pub fn md5_file(path: &Path, mut on_bytes: impl FnMut(u64) -> bool) -> std::io::Result<Option<String>> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; BUF_SIZE];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        if !on_bytes(n as u64) {
            return Ok(None);
        }
    }
    Ok(Some(to_hex(&hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"The quick brown fox jumps over the lazy dog").unwrap();
        let mut seen = 0;
        assert_eq!(md5_file(&p, |n| { seen += n; true }).unwrap().unwrap(), "9e107d9d372bb6826bd81d3542a419d6");
        assert_eq!(seen, 43);
        std::fs::write(&p, b"").unwrap();
        assert_eq!(md5_file(&p, |_| true).unwrap().unwrap(), "d41d8cd98f00b204e9800998ecf8427e");
        // Larger than one buffer, and cancellable.
        std::fs::write(&p, vec![7u8; BUF_SIZE * 2 + 5]).unwrap();
        assert!(md5_file(&p, |_| false).unwrap().is_none());
    }
}
