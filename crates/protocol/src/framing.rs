//! Cuts the client's byte stream into command lines, DATA content and BDAT chunks *before* any
//! parsing, so that message content is never read as commands and memory stays bounded.
//!
//! - Command lines end at LF (a preceding CR is removed). A line longer than the limit is dropped
//!   as it arrives and reported once as [`Frame::LineTooLong`].
//! - DATA ends only at CRLF "." CRLF (RFC 5321 4.1.1.4). A bare LF or bare CR never starts a line,
//!   so `\n.\n` or `\r.\r` inside the content cannot end it (the SMTP smuggling vectors).
//!   A leading dot is removed from lines that start with one (RFC 5321 4.5.2).
//! - Content beyond the size limit is counted but not stored.
//!
//! Public under the `internals` feature (the throughput bench), private otherwise: its items
//! are written `pub` for the first and allowed as unreachable for the second.
//!
//! Over 500 lines with its tests, and one concept: the three readers share the input buffer and
//! its bounds, and the tests pin the smuggling vectors against all three.

use memchr::{memchr, memmem, memrchr};

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
    /// The first text line longer than RFC 5321's limit (4.5.3.1.6: 1000 octets with its CRLF):
    /// its length. Every line is held against the limit; only the first over it is measured.
    pub overlong_line: Option<usize>,
    /// Lines whose leading dot was removed (transparency).
    pub unstuffed_lines: usize,
}

/// Lines the transcript records, in one buffer: one allocation for many lines, not one each.
#[derive(Debug, Default)]
pub struct RecordedLines {
    bytes: Vec<u8>,
    /// Where each line ends in `bytes`.
    ends: Vec<usize>,
}

impl RecordedLines {
    /// How many lines.
    pub fn count(&self) -> usize {
        self.ends.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let line = &self.bytes[start..end];
            start = end;
            line
        })
    }
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
    /// The first lines, for the transcript (bounded); the line being read at their end.
    lines: RecordedLines,
    line_budget: usize,
    /// A bare LF ends a line, so that `<LF>.<CR><LF>` or `<LF>.<LF>` ends the message (what
    /// Postfix before 3.9 does: the receiving half of SMTP smuggling).
    lf_ends_lines: bool,
}

/// Lines of one message that the transcript records; the rest are counted only.
pub const RECORDED_LINES: usize = 2000;

/// What the reader jumps to past the recorded lines: a dot after a line end. (Built once: building
/// a searcher costs more than a short search.)
static LINE_START_DOT: std::sync::LazyLock<memmem::Finder<'static>> = std::sync::LazyLock::new(|| memmem::Finder::new(b"\n."));

/// RFC 5321 4.5.3.1.6: a text line is at most 1000 octets, its CRLF included.
pub const MAX_TEXT_LINE: usize = 1000;

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
            // Room for a short message's lines, so that the first read does not grow them in
            // six steps.
            lines: RecordedLines { bytes: Vec::with_capacity(512), ends: Vec::with_capacity(16) },
            line_budget: RECORDED_LINES,
            lf_ends_lines: false,
        }
    }

    /// Takes a bare LF as the end of a line ([`crate::profile::BareLineFeed::LineEnd`]).
    pub fn lf_ends_lines(mut self, yes: bool) -> Self {
        self.lf_ends_lines = yes;
        self
    }

    /// Complete content lines seen since the last call (for the transcript), as received.
    pub fn take_lines(&mut self) -> RecordedLines {
        if self.lines.ends.is_empty() {
            // Nothing complete yet (the read at DATA): the reserved room stays.
            return RecordedLines::default();
        }
        let complete = self.lines.ends.last().copied().unwrap_or(0);
        let partial = self.lines.bytes.split_off(complete);
        std::mem::replace(&mut self.lines, RecordedLines { bytes: partial, ends: Vec::new() })
    }

    /// Consumes input; returns true once the terminating line has been read.
    ///
    /// Content is stored in contiguous spans between stuffed dots. While the transcript records
    /// lines, each line costs one `memchr`; past them, the reader jumps from one possible dot at
    /// a line start to the next (`memmem` for LF "."), as smtp-proto's does, and holds the lines
    /// in between against the length limit with one `memrchr` per 1000 octets.
    pub fn feed(&mut self, input: &mut InputBuffer) -> bool {
        let (ended, used) = self.read(input.as_slice());
        input.consume(used);
        ended
    }

    /// As [`DataReader::feed`], from the caller's bytes: whether the message ended, and how many
    /// octets were used (the rest, a partial end marker or what follows the message, is the
    /// caller's to keep).
    pub fn read(&mut self, available: &[u8]) -> (bool, usize) {
        let mut pos = 0;
        let mut span = 0;
        let ended = loop {
            if pos == available.len() {
                break false; // (nothing read changes nothing: a CR before an empty read still counts)
            }
            if self.at_line_start {
                let rest = &available[pos..];
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
            if self.line_budget == 0 {
                // Past the recorded lines: on to the next LF "." that starts a line, or the end.
                let mut from = 0;
                let line_start = loop {
                    match LINE_START_DOT.find(&rest[from..]) {
                        Some(at) => {
                            let lf = from + at;
                            let crlf = if lf > 0 { rest[lf - 1] == b'\r' } else { self.previous_cr };
                            if crlf || self.lf_ends_lines {
                                break Some(lf);
                            }
                            from = lf + 1; // a dot after a bare LF is text here
                        }
                        None => break None,
                    }
                };
                match line_start {
                    Some(lf) => {
                        self.measure(&rest[..=lf]);
                        self.at_line_start = true;
                        self.previous_cr = false;
                        pos += lf + 1;
                    }
                    None => {
                        self.measure(rest);
                        let last = rest[rest.len() - 1];
                        let crlf = if rest.len() >= 2 { rest[rest.len() - 2] == b'\r' } else { self.previous_cr };
                        self.at_line_start = last == b'\n' && (crlf || self.lf_ends_lines);
                        self.previous_cr = last == b'\r';
                        pos = available.len();
                        break false;
                    }
                }
                continue;
            }
            match memchr(b'\n', rest) {
                Some(lf) => {
                    let crlf = if lf > 0 { rest[lf - 1] == b'\r' } else { self.previous_cr };
                    self.line_length += lf + 1;
                    self.check_length();
                    self.record(&rest[..=lf], true);
                    self.line_length = 0;
                    self.at_line_start = crlf || self.lf_ends_lines;
                    self.previous_cr = false;
                    pos += lf + 1;
                }
                None => {
                    self.line_length += rest.len();
                    self.previous_cr = rest.last() == Some(&b'\r');
                    self.record(rest, false);
                    self.at_line_start = false;
                    pos = available.len();
                    break false;
                }
            }
        };
        // (When the marker was found, everything before it was stored already and span == pos.)
        self.store(&available[span..pos]);
        (ended, pos)
    }

    /// Notes the line just ended (`line_length` counts its LF) when it is over the limit.
    fn check_length(&mut self) {
        if self.line_length > MAX_TEXT_LINE && self.report.overlong_line.is_none() {
            self.report.overlong_line = Some(self.line_length);
        }
    }

    /// Holds the lines in `bytes` (which continue the line being read) against the limit without
    /// visiting each: from a line's start, the last LF within the next 1000 octets ends the lines
    /// begun before it, each shorter than the limit; no LF there means a line over the limit.
    fn measure(&mut self, bytes: &[u8]) {
        let Some(first) = memchr(b'\n', bytes) else {
            self.line_length += bytes.len();
            return;
        };
        self.line_length += first + 1;
        self.check_length();
        let mut start = first + 1;
        while self.report.overlong_line.is_none() && start + MAX_TEXT_LINE < bytes.len() {
            match memrchr(b'\n', &bytes[start..start + MAX_TEXT_LINE]) {
                Some(lf) => start += lf + 1,
                None => {
                    // Measure the line over the limit exactly (it may end past `bytes`).
                    self.line_length = match memchr(b'\n', &bytes[start + MAX_TEXT_LINE..]) {
                        Some(lf) => MAX_TEXT_LINE + lf + 1,
                        None => bytes.len() - start,
                    };
                    if start + self.line_length > bytes.len() || bytes[start + self.line_length - 1] != b'\n' {
                        return; // it goes on in the next read
                    }
                    self.check_length();
                    start += self.line_length;
                }
            }
        }
        self.line_length = match memrchr(b'\n', &bytes[start.min(bytes.len())..]) {
            Some(lf) => bytes.len() - start - lf - 1,
            None => bytes.len() - start,
        };
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
        let current = self.lines.bytes.len() - self.lines.ends.last().copied().unwrap_or(0);
        if current < 1100 {
            self.lines.bytes.extend_from_slice(&bytes[..bytes.len().min(1100 - current)]);
        }
        if complete {
            self.lines.ends.push(self.lines.bytes.len());
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
            assert_eq!(reader.take_lines().iter().next(), Some(&b"a\n"[..]), "the transcript keeps the bare LF");
            let (content, _) = reader.finish();
            assert_eq!(content, b"a\n");
        }
    }

    #[test]
    fn recorded_lines_come_whole_however_the_reads_cut_them() {
        let mut reader = DataReader::new(1 << 20);
        let mut buffer = InputBuffer::default();
        let mut taken: Vec<Vec<Vec<u8>>> = Vec::new();
        for piece in [&b"ab"[..], b"c\r\nde", b"f\r\n..g\r", b"\n.\r\n"] {
            buffer.push(piece);
            reader.feed(&mut buffer);
            taken.push(reader.take_lines().iter().map(<[u8]>::to_vec).collect());
        }
        let expected: [&[&[u8]]; 4] = [&[], &[b"abc\r\n"], &[b"def\r\n"], &[b"..g\r\n", b".\r\n"]];
        assert_eq!(taken, expected.map(|lines| lines.iter().map(|l| l.to_vec()).collect::<Vec<_>>()));
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
        assert_eq!(report.overlong_line, None, "998 octets and CRLF are within the limit");
    }

    /// What the reader must do, byte by byte: the content (dots unstuffed), whether and where
    /// the message ended, the first line over 1000 octets.
    fn reference(input: &[u8], lf_ends_lines: bool) -> (bool, Vec<u8>, Option<usize>, usize) {
        let (mut content, mut line, mut overlong, mut line_start, mut i) = (Vec::new(), 0usize, None, true, 0);
        while i < input.len() {
            if line_start && input[i] == b'.' {
                let rest = &input[i..];
                if rest.starts_with(b".\r\n") || lf_ends_lines && rest.starts_with(b".\n") {
                    return (true, content, overlong, i + if rest[1] == b'\r' { 3 } else { 2 });
                }
                if rest.len() < 3 && (rest.len() < 2 || rest[1] == b'\r') {
                    return (false, content, overlong, i);
                }
                line = 1;
                line_start = false;
                i += 1;
                continue;
            }
            let b = input[i];
            content.push(b);
            line += 1;
            if line > 1000 && overlong.is_none() && b == b'\n' {
                overlong = Some(line);
            }
            if b == b'\n' {
                line_start = lf_ends_lines || i > 0 && input[i - 1] == b'\r';
                line = 0;
            } else {
                line_start = false;
            }
            i += 1;
        }
        (false, content, overlong, input.len())
    }

    #[test]
    fn past_the_recorded_lines_the_reader_reads_what_the_reference_reads() {
        // Random messages of short and long lines, dots, bare CRs and LFs, cut at random reads,
        // read with few lines recorded (so that most is read by the jumping path).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for case in 0..3000 {
            let mut input = Vec::new();
            for _ in 0..next(40) {
                match next(10) {
                    0 => input.push(b'.'),
                    1 => input.extend_from_slice(b"\r\n"),
                    2 => input.push(b'\n'),
                    3 => input.push(b'\r'),
                    4 => input.extend(std::iter::repeat_n(b'x', 400 + next(800))),
                    5 => input.extend_from_slice(b"\r\n.."),
                    _ => input.extend(std::iter::repeat_n(b'a', next(80))),
                }
            }
            if next(2) == 0 {
                input.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
            }
            for lf_ends_lines in [false, true] {
                let (ended, content, overlong, used) = reference(&input, lf_ends_lines);
                let mut reader = DataReader::new(u64::MAX).lf_ends_lines(lf_ends_lines);
                reader.line_budget = next(4);
                let mut buffer = InputBuffer::default();
                let (mut at, mut got) = (0, false);
                while at < input.len() && !got {
                    // Now and then an empty read, as a host may feed when nothing came.
                    let take = if next(8) == 0 { 0 } else { (1 + next(700)).min(input.len() - at) };
                    buffer.push(&input[at..at + take]);
                    at += take;
                    got = reader.feed(&mut buffer);
                }
                let left = buffer.len() + input.len() - at;
                let (read, report) = reader.finish();
                let what = format!("case {case}, lf_ends_lines {lf_ends_lines}: {:?}", String::from_utf8_lossy(&input));
                assert_eq!(got, ended, "{what}");
                assert_eq!(read, content, "{what}");
                assert_eq!(report.overlong_line, overlong, "{what}");
                if ended {
                    assert_eq!(input.len() - left, used, "{what}");
                }
            }
        }
    }
}
