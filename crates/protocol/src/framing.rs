//! Cuts the client's byte stream into command lines, DATA content and BDAT chunks *before* any
//! parsing, so that message content is never read as commands and memory stays bounded.
//!
//! - Command lines end at LF (a preceding CR is removed). A line longer than the limit is dropped
//!   as it arrives and reported once as [`Frame::LineTooLong`].
//! - DATA ends only at CRLF "." CRLF (RFC 5321 4.1.1.4). A bare LF or bare CR never starts a line,
//!   so `\n.\n` or `\r.\r` inside the content cannot end it (the SMTP smuggling vectors).
//!   A leading dot is removed from lines that start with one (RFC 5321 4.5.2).
//! - Content beyond the size limit is counted but not stored.

use memchr::memchr;

/// Bytes received and not yet consumed. Consumed bytes are dropped lazily, so that a pipelined
/// batch of thousands of commands costs linear time.
#[derive(Debug, Default)]
pub struct InputBuffer {
    bytes: Vec<u8>,
    start: usize,
}

impl InputBuffer {
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
        } else if self.start > 4096 && self.start * 2 > self.bytes.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.extend_from_slice(data);
    }
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.bytes.len());
    }
    pub fn len(&self) -> usize {
        self.bytes.len() - self.start
    }
    #[cfg(feature = "internals")]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.start = 0;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A complete line, left without its line ending in the buffer passed to
    /// [`LineReader::next_frame`].
    Line,
    /// A line longer than the limit, dropped; `length` is its length without the line ending.
    LineTooLong { length: usize },
}

/// Reads command lines (and AUTH response lines) of at most `max` octets before the line end.
#[derive(Debug, Default)]
pub struct LineReader {
    discarded: Option<usize>,
    /// The last [`Frame::Line`] ended with a bare LF, not CRLF (RFC 5321 2.3.8 asks for CRLF;
    /// servers take LF alone too, and the wire view shows it).
    pub bare_lf: bool,
}

impl LineReader {
    /// The next frame in `input`, if a whole one has arrived. A [`Frame::Line`]'s bytes replace
    /// the contents of `line`, whose allocation is reused from line to line.
    pub fn next_frame(&mut self, input: &mut InputBuffer, max: usize, line: &mut Vec<u8>) -> Option<Frame> {
        let available = input.as_slice();
        match memchr(b'\n', available) {
            Some(lf) => {
                let end = if lf > 0 && available[lf - 1] == b'\r' { lf - 1 } else { lf };
                self.bare_lf = end == lf;
                let frame = match self.discarded.take() {
                    Some(dropped) => Frame::LineTooLong { length: dropped + end },
                    None if end > max => Frame::LineTooLong { length: end },
                    None => {
                        line.clear();
                        line.extend_from_slice(&available[..end]);
                        Frame::Line
                    }
                };
                input.consume(lf + 1);
                Some(frame)
            }
            None => {
                // Keep one byte: it may be the CR of a CRLF split across reads.
                if available.len() > max + 1 {
                    let drop = available.len() - 1;
                    *self.discarded.get_or_insert(0) += drop;
                    input.consume(drop);
                }
                None
            }
        }
    }
}

/// What DATA or BDAT content looked like once complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentReport {
    /// Octets of content after dot-unstuffing, including those not stored.
    pub size: u64,
    /// More than the size limit arrived; `content` holds only the start.
    pub too_big: bool,
    /// Longest text line seen, with its CRLF (RFC 5321 4.5.3.1.6 allows 1000).
    pub longest_line: usize,
    /// Lines ended by a bare LF (kept as content, never taken as line ends).
    pub bare_line_feeds: usize,
    /// Lines whose leading dot was removed (transparency).
    pub unstuffed_lines: usize,
}

/// Reads DATA content up to the CRLF "." CRLF that ends it.
#[derive(Debug)]
pub struct DataReader {
    limit: u64,
    content: Vec<u8>,
    report: ContentReport,
    at_line_start: bool,
    previous_cr: bool,
    line_length: usize,
    /// The first lines, for the transcript (bounded).
    lines: Vec<Vec<u8>>,
    line_budget: usize,
    current: Vec<u8>,
    /// A bare LF ends a line, so that `<LF>.<CR><LF>` or `<LF>.<LF>` ends the message (what
    /// Postfix before 3.9 does: the receiving half of SMTP smuggling).
    lf_ends_lines: bool,
}

/// Lines of one message that the transcript records; the rest are counted only.
pub const RECORDED_LINES: usize = 2000;

impl DataReader {
    /// `limit`: the message size limit; at most that much content is held in memory.
    #[cfg(any(test, feature = "internals"))]
    pub fn new(limit: u64) -> Self {
        Self::with_capacity(limit, 0)
    }

    /// As [`DataReader::new`], reserving `expected` octets (e.g. the SIZE the client declared).
    pub fn with_capacity(limit: u64, expected: u64) -> Self {
        DataReader {
            limit,
            content: Vec::with_capacity(expected.min(limit) as usize),
            report: ContentReport::default(),
            at_line_start: true,
            previous_cr: false,
            line_length: 0,
            lines: Vec::new(),
            line_budget: RECORDED_LINES,
            current: Vec::new(),
            lf_ends_lines: false,
        }
    }

    /// Takes a bare LF as the end of a line ([`crate::profile::BareLineFeed::LineEnd`]).
    pub fn lf_ends_lines(mut self, yes: bool) -> Self {
        self.lf_ends_lines = yes;
        self
    }

    /// Complete content lines seen since the last call (for the transcript), as received.
    pub fn take_lines(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.lines)
    }

    /// Consumes input; returns true once the terminating line has been read.
    ///
    /// Content is stored in contiguous spans between stuffed dots, so the cost per line is one
    /// `memchr` and a few comparisons; lines are copied only while the transcript records them.
    pub fn feed(&mut self, input: &mut InputBuffer) -> bool {
        let available = input.as_slice();
        let mut pos = 0;
        let mut span = 0;
        let ended = loop {
            if self.at_line_start {
                let rest = &available[pos..];
                if rest.is_empty() {
                    break false;
                }
                if rest[0] == b'.' {
                    if rest.len() < 3 && (rest.len() < 2 || rest[1] == b'\r') {
                        break false; // wait: this may be the end marker
                    }
                    self.store(&available[span..pos]);
                    if rest.starts_with(b".\r\n") {
                        pos += 3;
                        span = pos;
                        self.record(b".\r\n", true);
                        break true;
                    }
                    if self.lf_ends_lines && rest.starts_with(b".\n") {
                        pos += 2;
                        span = pos;
                        self.record(b".\n", true);
                        break true;
                    }
                    // Transparency: the first dot of the line is not content.
                    self.report.unstuffed_lines += 1;
                    self.record(b".", false);
                    self.line_length = 1;
                    self.at_line_start = false;
                    self.previous_cr = false;
                    pos += 1;
                    span = pos;
                    continue;
                }
            }
            let rest = &available[pos..];
            match memchr(b'\n', rest) {
                Some(lf) => {
                    let crlf = if lf > 0 { rest[lf - 1] == b'\r' } else { self.previous_cr };
                    self.line_length += lf + 1;
                    self.report.longest_line = self.report.longest_line.max(self.line_length);
                    if !crlf {
                        self.report.bare_line_feeds += 1;
                    }
                    if self.line_budget > 0 {
                        self.record(&rest[..=lf], true);
                    }
                    self.line_length = 0;
                    self.at_line_start = crlf || self.lf_ends_lines;
                    self.previous_cr = false;
                    pos += lf + 1;
                }
                None => {
                    self.line_length += rest.len();
                    self.report.longest_line = self.report.longest_line.max(self.line_length);
                    self.previous_cr = rest.last() == Some(&b'\r');
                    if self.line_budget > 0 {
                        self.record(rest, false);
                    }
                    self.at_line_start = false;
                    pos = available.len();
                    break false;
                }
            }
        };
        // (When the marker was found, everything before it was stored already and span == pos.)
        self.store(&available[span..pos]);
        input.consume(pos);
        ended
    }

    fn store(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.report.size += bytes.len() as u64;
        if self.report.size > self.limit {
            self.report.too_big = true;
            return;
        }
        self.content.extend_from_slice(bytes);
    }

    /// Keeps the first lines for the transcript: `complete` ends the current line.
    fn record(&mut self, bytes: &[u8], complete: bool) {
        if self.line_budget == 0 {
            return;
        }
        if self.current.len() < 1100 {
            let room = 1100 - self.current.len();
            self.current.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        if complete {
            self.lines.push(std::mem::take(&mut self.current));
            self.line_budget -= 1;
        }
    }

    pub fn finish(self) -> (Vec<u8>, ContentReport) {
        (self.content, self.report)
    }
}

/// Reads one BDAT chunk of a known size (RFC 3030): no dot-stuffing, no end marker.
#[derive(Debug)]
pub struct ChunkReader {
    pub remaining: u64,
}

impl ChunkReader {
    /// Moves up to `remaining` octets into `sink` (only while `sink` stays under `limit`, but
    /// counting all into `report`). True when the chunk is complete.
    pub fn feed(&mut self, input: &mut InputBuffer, sink: &mut Vec<u8>, report: &mut ContentReport, limit: u64) -> bool {
        let available = input.as_slice();
        let take = (available.len() as u64).min(self.remaining) as usize;
        report.size += take as u64;
        if report.size > limit {
            report.too_big = true;
        } else {
            sink.extend_from_slice(&available[..take]);
        }
        input.consume(take);
        self.remaining -= take as u64;
        self.remaining == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each frame: a line's bytes, or the length of a line too long.
    fn lines(input: &[u8], max: usize) -> Vec<Result<Vec<u8>, usize>> {
        let mut buffer = InputBuffer::default();
        buffer.push(input);
        let mut reader = LineReader::default();
        let mut line = Vec::new();
        std::iter::from_fn(|| {
            reader.next_frame(&mut buffer, max, &mut line).map(|frame| match frame {
                Frame::Line => Ok(line.clone()),
                Frame::LineTooLong { length } => Err(length),
            })
        })
        .collect()
    }

    fn data(chunks: &[&[u8]]) -> (bool, Vec<u8>, ContentReport, usize) {
        let mut buffer = InputBuffer::default();
        let mut reader = DataReader::new(1_000_000);
        let mut ended = false;
        for chunk in chunks {
            buffer.push(chunk);
            ended = reader.feed(&mut buffer);
            if ended {
                break;
            }
        }
        let left = buffer.len();
        let (content, report) = reader.finish();
        (ended, content, report, left)
    }

    #[test]
    fn command_lines_and_overlong_ones() {
        assert_eq!(lines(b"HELO a\r\nNOOP\n", 510), vec![Ok(b"HELO a".to_vec()), Ok(b"NOOP".to_vec())]);
        let long = [b"X".repeat(600), b"\r\nQUIT\r\n".to_vec()].concat();
        assert_eq!(lines(&long, 510), vec![Err(600), Ok(b"QUIT".to_vec())]);
        // Split across reads, still one report, and memory is not held.
        let mut buffer = InputBuffer::default();
        let mut reader = LineReader::default();
        for _ in 0..100 {
            buffer.push(&[b'Y'; 1000]);
            assert_eq!(reader.next_frame(&mut buffer, 510, &mut Vec::new()), None);
            assert!(buffer.len() <= 1000);
        }
        buffer.push(b"\r\n");
        assert_eq!(reader.next_frame(&mut buffer, 510, &mut Vec::new()), Some(Frame::LineTooLong { length: 100_000 }));
    }

    #[test]
    fn data_ends_only_at_crlf_dot_crlf() {
        let (ended, content, report, left) = data(&[b"Subject: x\r\n\r\n..dot\r\nbody\r\n.\r\nQUIT\r\n"]);
        assert!(ended);
        assert_eq!(content, b"Subject: x\r\n\r\n.dot\r\nbody\r\n");
        assert_eq!(report.unstuffed_lines, 1);
        assert_eq!(left, 6);
    }

    #[test]
    fn a_lone_dot_first_ends_an_empty_message() {
        let (ended, content, _, _) = data(&[b".\r\n"]);
        assert!(ended);
        assert!(content.is_empty());
    }

    #[test]
    fn a_server_that_ends_lines_at_lf_ends_the_message_at_a_bare_lf_dot() {
        for input in [&b"a\n.\r\nMAIL FROM:<x@y>\r\n"[..], b"a\n.\nMAIL FROM:<x@y>\r\n"] {
            let mut buffer = InputBuffer::default();
            buffer.push(input);
            let mut reader = DataReader::new(1 << 20).lf_ends_lines(true);
            assert!(reader.feed(&mut buffer), "{:?} ends the message", String::from_utf8_lossy(input));
            assert_eq!(buffer.as_slice(), b"MAIL FROM:<x@y>\r\n", "what follows is read as a command: smuggled");
            let (content, report) = reader.finish();
            assert_eq!(content, b"a\n");
            assert_eq!(report.bare_line_feeds, 1);
        }
    }

    #[test]
    fn smuggling_vectors_do_not_end_data() {
        for vector in [&b"a\n.\nMAIL FROM:<x@y>\r\n"[..], b"a\r.\r\nb\r\n", b"a\n.\r\nb\r\n", b"a\r\n.\nb\r\n", b"a\r\n.\rb\r\n"] {
            let (ended, _, _, _) = data(&[vector]);
            assert!(!ended, "{:?} ended DATA", String::from_utf8_lossy(vector));
        }
    }

    #[test]
    fn end_marker_split_across_reads() {
        let (ended, content, _, _) = data(&[b"hi\r", b"\n", b".", b"\r", b"\n"]);
        assert!(ended);
        assert_eq!(content, b"hi\r\n");
    }

    #[test]
    fn oversize_content_is_counted_not_stored() {
        let mut buffer = InputBuffer::default();
        let mut reader = DataReader::new(100);
        for _ in 0..50 {
            buffer.push(&[b'z'; 998]);
            buffer.push(b"\r\n");
            assert!(!reader.feed(&mut buffer));
        }
        buffer.push(b".\r\n");
        assert!(reader.feed(&mut buffer));
        let (content, report) = reader.finish();
        assert!(report.too_big);
        assert!(content.len() <= 100);
        assert_eq!(report.size, 50_000);
        assert_eq!(report.longest_line, 1000);
    }
}
