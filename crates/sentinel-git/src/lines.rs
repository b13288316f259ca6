//! Reading git's output one line at a time without letting one huge line take memory.

use std::io::{self, BufRead};

/// Splits a byte stream into lines, keeping at most a given number of bytes of each.
pub(crate) struct LineReader<R> {
    inner: R,
    line_no: u64,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner, line_no: 0 }
    }

    /// The number of lines read so far (the current line's number, 1-based).
    pub(crate) fn line_no(&self) -> u64 {
        self.line_no
    }

    /// Reads the next line into `buf` (cleared first) without its `\n`, keeping at most `cap`
    /// bytes: the rest of a longer line is read and dropped. `false` at the end of the stream.
    pub(crate) fn read_line(&mut self, buf: &mut Vec<u8>, cap: usize) -> io::Result<bool> {
        buf.clear();
        let mut read_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if read_any {
                    self.line_no += 1;
                }
                return Ok(read_any);
            }
            read_any = true;
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk_len = newline.unwrap_or(available.len());
            let room = cap.saturating_sub(buf.len());
            buf.extend_from_slice(&available[..chunk_len.min(room)]);
            match newline {
                Some(at) => {
                    self.inner.consume(at + 1);
                    self.line_no += 1;
                    return Ok(true);
                }
                None => {
                    let used = available.len();
                    self.inner.consume(used);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: usize) -> Vec<Vec<u8>> {
        // A tiny buffer makes lines span several fills.
        let mut reader = LineReader::new(io::BufReader::with_capacity(3, input));
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while reader.read_line(&mut buf, cap).expect("read") {
            out.push(buf.clone());
        }
        out
    }

    #[test]
    fn splits_on_newlines_and_keeps_a_last_line_without_one() {
        assert_eq!(
            lines(b"ab\n\ncdefg\nh", 100),
            vec![b"ab".to_vec(), Vec::new(), b"cdefg".to_vec(), b"h".to_vec()]
        );
        assert!(lines(b"", 100).is_empty());
    }

    #[test]
    fn long_lines_are_cut_but_fully_consumed() {
        assert_eq!(
            lines(b"abcdefgh\nxy\n", 4),
            vec![b"abcd".to_vec(), b"xy".to_vec()]
        );
    }

    #[test]
    fn counts_lines() {
        let mut reader = LineReader::new(&b"a\nb\n"[..]);
        let mut buf = Vec::new();
        assert!(reader.read_line(&mut buf, 10).expect("read"));
        assert!(reader.read_line(&mut buf, 10).expect("read"));
        assert_eq!(reader.line_no(), 2);
        assert!(!reader.read_line(&mut buf, 10).expect("read"));
        assert_eq!(reader.line_no(), 2);
    }
}
