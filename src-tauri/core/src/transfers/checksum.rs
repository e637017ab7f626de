//! Streaming MD5, the checksum Broker uses (lower-case hex of the whole file).

use std::convert::Infallible;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;

/// Read buffer: large enough to keep the disk busy, small enough to stay flat in memory.
pub const BUF_SIZE: usize = 1 << 20;

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 of a file, reading it in [`BUF_SIZE`] pieces; `on_bytes` is told how
/// many bytes each piece had, and may stop the work by returning `false`.
///
/// A second thread reads ahead while this one hashes, so the copy from the
/// disk cache overlaps the hashing (MD5 itself cannot be split): on a large
/// file this makes the whole as fast as `md5sum` (docs/BENCHMARKS.md). At most
/// three buffers exist at a time, whatever the file's size.
pub fn md5_file(path: &Path, mut on_bytes: impl FnMut(u64) -> bool) -> std::io::Result<Option<String>> {
    let flow = md5_until(path, |n| if on_bytes(n) { ControlFlow::Continue(()) } else { ControlFlow::Break(()) })?;
    Ok(match flow {
        ControlFlow::Continue(md5) => Some(md5),
        ControlFlow::Break(()) => None,
    })
}

/// MD5 of the whole file, like [`md5_file`] but with no way to stop: the
/// result is the digest, never "stopped".
pub fn md5_whole_file(path: &Path, mut on_bytes: impl FnMut(u64)) -> std::io::Result<String> {
    let flow = md5_until(path, |n| {
        on_bytes(n);
        ControlFlow::<Infallible>::Continue(())
    })?;
    Ok(match flow {
        ControlFlow::Continue(md5) => md5,
        ControlFlow::Break(never) => match never {},
    })
}

/// MD5 of an open file from where it is positioned to its end (a file held
/// locked, which on Windows no second handle could read).
pub fn md5_open_file(file: std::fs::File) -> std::io::Result<String> {
    let flow = md5_from(file, |_| ControlFlow::<Infallible>::Continue(()))?;
    Ok(match flow {
        ControlFlow::Continue(md5) => md5,
        ControlFlow::Break(never) => match never {},
    })
}

/// The hashing itself: `on_bytes` continues or breaks with a `B`, so a
/// caller whose `B` cannot exist (`Infallible`) gets a digest by type.
fn md5_until<B>(path: &Path, on_bytes: impl FnMut(u64) -> ControlFlow<B>) -> std::io::Result<ControlFlow<B, String>> {
    md5_from(std::fs::File::open(path)?, on_bytes)
}

fn md5_from<B>(
    mut file: std::fs::File,
    mut on_bytes: impl FnMut(u64) -> ControlFlow<B>,
) -> std::io::Result<ControlFlow<B, String>> {
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::Builder::new().name("md5-read".into()).spawn(move || loop {
        let mut buf = empty_rx.try_recv().unwrap_or_else(|_| vec![0u8; BUF_SIZE]);
        buf.resize(BUF_SIZE, 0);
        let mut n = 0;
        let msg = loop {
            match file.read(&mut buf[n..]) {
                Ok(0) => break Ok(()),
                Ok(k) => {
                    n += k;
                    if n == buf.len() {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        let done = n == 0 || msg.is_err();
        buf.truncate(n);
        // A closed channel means the hashing side stopped: so do we.
        if full_tx.send(msg.map(|()| buf)).is_err() || done {
            return;
        }
    })?;
    let mut hasher = FastMd5::new();
    let result = loop {
        match full_rx.recv() {
            Ok(Ok(buf)) if buf.is_empty() => break Ok(ControlFlow::Continue(to_hex(&hasher.finalize()))),
            Ok(Ok(buf)) => {
                hasher.update(&buf);
                let n = buf.len() as u64;
                let _ = empty_tx.send(buf);
                if let ControlFlow::Break(b) = on_bytes(n) {
                    break Ok(ControlFlow::Break(b));
                }
            }
            Ok(Err(e)) => break Err(e),
            Err(_) => break Err(std::io::Error::other("the MD5 reader stopped")),
        }
    };
    drop(full_rx);
    let _ = reader.join();
    result
}

/// MD5 from aws-lc, which the app links already (for JWT signatures): its
/// assembly is as fast as `md5sum`, about 15 % faster than the `md-5` crate.
struct FastMd5(aws_lc_sys::MD5_CTX);

impl FastMd5 {
    fn new() -> Self {
        let mut ctx = std::mem::MaybeUninit::<aws_lc_sys::MD5_CTX>::uninit();
        // SAFETY: MD5_Init fully initialises the context it is given.
        unsafe {
            aws_lc_sys::MD5_Init(ctx.as_mut_ptr());
            FastMd5(ctx.assume_init())
        }
    }

    fn update(&mut self, data: &[u8]) {
        // SAFETY: a valid context and a valid slice of `data.len()` bytes.
        unsafe {
            aws_lc_sys::MD5_Update(&mut self.0, data.as_ptr().cast(), data.len());
        }
    }

    fn finalize(mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        // SAFETY: `out` has room for the 16-byte digest.
        unsafe {
            aws_lc_sys::MD5_Final(out.as_mut_ptr(), &mut self.0);
        }
        out
    }
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
        assert_eq!(
            md5_file(&p, |n| {
                seen += n;
                true
            })
            .unwrap()
            .unwrap(),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
        assert_eq!(seen, 43);
        std::fs::write(&p, b"").unwrap();
        assert_eq!(md5_file(&p, |_| true).unwrap().unwrap(), "d41d8cd98f00b204e9800998ecf8427e");
        // The same digest as the md-5 crate (used for downloads) on data larger than one buffer.
        let big: Vec<u8> = (0..BUF_SIZE * 3 + 17).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&p, &big).unwrap();
        assert_eq!(md5_file(&p, |_| true).unwrap().unwrap(), to_hex(&<md5::Md5 as md5::Digest>::digest(&big)));
        // Larger than one buffer, and cancellable.
        std::fs::write(&p, vec![7u8; BUF_SIZE * 2 + 5]).unwrap();
        assert!(md5_file(&p, |_| false).unwrap().is_none());
        let mut seen = 0;
        assert_eq!(
            md5_whole_file(&p, |n| seen += n).unwrap(),
            to_hex(&<md5::Md5 as md5::Digest>::digest(vec![7u8; BUF_SIZE * 2 + 5]))
        );
        assert_eq!(seen, (BUF_SIZE * 2 + 5) as u64);
    }
}
