//! Input plumbing: transparent gzip and a byte counter for progress reporting.

use flate2::read::MultiGzDecoder;
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Wraps `input`, decompressing it when it starts with the gzip magic bytes.
pub fn maybe_gzip<R: Read + Send + 'static>(input: R) -> std::io::Result<Box<dyn Read + Send>> {
    let mut buffered = BufReader::with_capacity(256 * 1024, input);
    let head = buffered.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        Ok(Box::new(BufReader::with_capacity(
            256 * 1024,
            MultiGzDecoder::new(buffered),
        )))
    } else {
        Ok(Box::new(buffered))
    }
}

/// Counts the bytes read through it (shared with a progress display).
pub struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Counting<R> {
    /// Wraps `inner`; `read` grows by every byte read.
    pub fn new(inner: R, read: Arc<AtomicU64>) -> Self {
        Self { inner, read }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn reads_plain_and_gzip_alike() {
        let text = b"timestamp,node_id\n";
        let mut plain = String::new();
        maybe_gzip(&text[..])
            .unwrap()
            .read_to_string(&mut plain)
            .unwrap();
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text).unwrap();
        let gz = enc.finish().unwrap();
        let mut unzipped = String::new();
        maybe_gzip(std::io::Cursor::new(gz))
            .unwrap()
            .read_to_string(&mut unzipped)
            .unwrap();
        assert_eq!(plain, unzipped);
    }
}
