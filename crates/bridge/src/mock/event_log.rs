//! A session's kept events, oldest first: a queue in blocks of [`BLOCK`] events, each event in
//! its compact [`Kept`] form and each block with the [`Contents`] its events point into. A
//! session of ten thousand events grows a block at a time instead of doubling and copying one
//! buffer (that copy, and the fresh pages it touched, were a third of mock mode's CPU under
//! load), and forgetting its oldest events gives their memory back a block at a time, each block
//! in a few pieces. Full blocks are shared (`Arc`): a copy of a log, taken under the store's lock
//! for the API or a page that opens, costs a count per full block and a copy of the one being
//! filled, and the transcript is written after the lock is let go. The block being filled is the
//! log's own: adding an event takes no atomic operation (asking whether a shared block was still
//! the log's alone was a locked instruction per event, 2% of mock mode's CPU).

use super::kept::{Contents, Kept};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smtp_protocol::command::Leniency;
use smtp_protocol::event::Event;
use std::collections::VecDeque;
use std::sync::Arc;

/// Events per block.
const BLOCK: usize = 256;
/// Room in a log's first block, which grows to `BLOCK` if need be: most sessions (a student's,
/// a mail client's one message) have a few dozen events, and a class's mock keeps a thousand.
const FIRST_SLOTS: usize = 32;
/// A log's first block's text buffer; later ones begin with what the one before held (and as
/// many slots).
const FIRST_TEXT: usize = 2 * 1024;

#[derive(Debug, Clone)]
struct Block {
    /// The slots of every event ever pushed into the block, at most `BLOCK` events (a slot may
    /// hold several lines of a message; made with the room the block before used, so adding
    /// seldom reallocates); the log's `head` says how many of the oldest block's events are
    /// forgotten (they go with the block).
    kept: Vec<Kept>,
    /// The events the slots hold.
    events: usize,
    /// The text of the events in `kept`, and what they do not hold themselves.
    contents: Contents,
}

impl Block {
    /// A block with room for `slots` slots and `text` octets of text (no copy as it fills when
    /// a session's blocks are alike).
    fn new(slots: usize, text: usize) -> Block {
        Block { kept: Vec::with_capacity(slots), events: 0, contents: Contents::with_capacity(text) }
    }

    /// The octets the block holds: its slots' room and its contents.
    fn octets(&self) -> usize {
        self.kept.capacity() * std::mem::size_of::<Kept>() + self.contents.octets()
    }

    /// The slots holding the block's events but its first `skip`, each with how many of its own
    /// to skip.
    fn slots_after(&self, mut skip: usize) -> impl Iterator<Item = (&Kept, usize)> {
        self.kept.iter().filter_map(move |kept| {
            let count = kept.count();
            if skip >= count {
                skip -= count;
                return None;
            }
            Some((kept, std::mem::take(&mut skip)))
        })
    }

    /// The block's events but its first `skip`.
    fn events_after(&self, skip: usize) -> Vec<Event> {
        let mut out = Vec::with_capacity(self.events.saturating_sub(skip));
        for (kept, skip) in self.slots_after(skip) {
            kept.events_into(&self.contents, skip, &mut out);
        }
        out
    }
}

/// Forgetting an event touches only counters: its memory goes when its whole block does, so the
/// octets a log holds drop a block at a time.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    /// Full blocks, oldest first (a block is dropped when its last event is forgotten).
    sealed: VecDeque<Arc<Block>>,
    /// The newest block, being filled; None when it has no events.
    tail: Option<Block>,
    /// The events of the oldest block that are forgotten.
    head: usize,
    len: usize,
    /// The sum of the blocks' octets.
    octets: usize,
}

impl EventLog {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The octets the log holds, roughly (its blocks' slots and text, and what events kept
    /// whole own).
    pub fn octets(&self) -> usize {
        self.octets
    }

    /// Keeps `event` as the newest. `leniency` is what the session's server parses commands
    /// with (without it, commands are kept whole).
    pub fn push_back(&mut self, event: Event, leniency: Option<Leniency>) {
        if let Some(mut full) = self.tail.take_if(|tail| tail.events >= BLOCK) {
            full.contents.forget_states();
            self.sealed.push_back(Arc::new(full));
        }
        if self.tail.is_none() {
            let block = match self.sealed.back() {
                // Sized by the one before (lines of a message share a slot, so a block of a
                // session sending mail fills a fraction of its `BLOCK` slots).
                Some(last) => Block::new((last.kept.len() + last.kept.len() / 8).clamp(FIRST_SLOTS, BLOCK), last.contents.bytes.len() + last.contents.bytes.len() / 8),
                None => Block::new(FIRST_SLOTS, FIRST_TEXT),
            };
            self.octets += block.octets();
            self.tail = Some(block);
        }
        let block = self.tail.as_mut().expect("a block with room");
        let before = block.octets();
        // A line of content joins the lines that came in with it, in their slot.
        if !block.kept.last_mut().is_some_and(|last| last.absorb(&event, &mut block.contents)) {
            let kept = Kept::new(event, &mut block.contents, leniency);
            block.kept.push(kept);
        }
        block.events += 1;
        self.octets += block.octets() - before;
        self.len += 1;
    }

    /// Forgets the oldest event, if there is one (its memory goes with its block).
    pub fn pop_front(&mut self) -> bool {
        let Some(oldest) = self.blocks().next().map(|block| block.events) else { return false };
        self.head += 1;
        self.len -= 1;
        if self.head == oldest {
            self.pop_front_block();
        }
        true
    }

    /// The session ended: the block being filled forgets the states it remembers for replies to
    /// come.
    pub fn forget_states(&mut self) {
        if let Some(tail) = &mut self.tail {
            tail.contents.forget_states();
        }
    }

    /// Forgets the oldest block's events; how many, and the octets that frees.
    pub fn pop_front_block(&mut self) -> Option<(usize, usize)> {
        let (held, freed) = match self.sealed.pop_front() {
            Some(block) => (block.events, block.octets()),
            None => self.tail.take().map(|block| (block.events, block.octets()))?,
        };
        let events = held - self.head;
        self.head = 0;
        self.len -= events;
        self.octets -= freed;
        Some((events, freed))
    }

    /// The blocks, oldest first.
    fn blocks(&self) -> impl DoubleEndedIterator<Item = &Block> + '_ {
        self.sealed.iter().map(|block| &**block).chain(&self.tail)
    }

    /// The blocks, oldest first, each with how many of its events are forgotten.
    fn live_blocks(&self) -> impl Iterator<Item = (&Block, usize)> + '_ {
        self.blocks().enumerate().map(|(i, block)| (block, if i == 0 { self.head } else { 0 }))
    }

    /// The events, oldest first, each made again from its kept form (a block at a time).
    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        self.live_blocks().flat_map(|(block, skip)| block.events_after(skip))
    }

    /// Appends the events' `C:`/`S:` lines, as [`smtp_protocol::Transcript::write_event`] writes them.
    pub fn write_transcript(&self, out: &mut String) {
        for (block, skip) in self.live_blocks() {
            for (kept, skip) in block.slots_after(skip) {
                kept.write_transcript(&block.contents, skip, out);
            }
        }
    }
}

/// Events read back (a Maildir's session file): kept with commands whole, since the leniency
/// they were parsed with is not known.
impl FromIterator<Event> for EventLog {
    fn from_iter<I: IntoIterator<Item = Event>>(events: I) -> Self {
        let mut log = EventLog::default();
        for event in events {
            log.push_back(event, None);
        }
        log
    }
}

/// A plain list of events, as the Maildir's session files and the API always had it.
impl Serialize for EventLog {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for EventLog {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Read back from a file: a session that ended, whose replies are all there.
        let mut log: EventLog = Vec::<Event>::deserialize(deserializer)?.into_iter().collect();
        log.forget_states();
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::kept::LineKind;
    use smtp_protocol::command::Leniency;
    use smtp_protocol::event::ClientLine;
    use smtp_protocol::fault::FaultRule;
    use smtp_protocol::{Peer, ProfileName, Server, ServerConfig, Timestamp, Transcript};

    /// What students and mail clients send, the odd with the usual: every kind of line and
    /// reply a session has, in each profile, strict and tolerant.
    fn sessions() -> Vec<(Leniency, Vec<Event>)> {
        let input: &[&[u8]] = &[
            b"helo lower.example\r\n",
            b"EHLO client.example\r\n",
            b"MAIL FROM: <a@b.example> SIZE=100\r\n",
            b"MAIL FROM:a@b.example\r\n",
            b"MAIL FROM:<a@b.example>\r\n",
            b"RCPT TO:<x\xff@d.example>\r\n",
            b"RCPT TO:<c@d.example> NOTIFY=NEVER\r\n",
            b"RCPT TO:<e@d.example>\r\n",
            b"NOOP\n",
            b"VRFY student\r\n",
            b"XYZZY\r\n",
            b"\r\n",
            b"DATA\r\n",
            b"Subject: \xc3\xa9t\xc3\xa9\r\n\r\n..a dot\r\nbare\nline\r\n.\r\n",
            b"BDAT 5 LAST\r\nhello",
            b"AUTH PLAIN AHN0dWRlbnQAc2VjcmV0\r\n",
            b"AUTH LOGIN\r\n",
            b"c3R1ZGVudA==\r\n",
            b"d3Jvbmc=\r\n",
            b"RSET\r\n",
            b"QUIT now\r\n",
            b"QUIT\r\n",
        ];
        let long = [b"NOOP ".as_slice(), &[b'x'; 3000], b"\r\n"].concat();
        let mut out = vec![];
        for profile in [ProfileName::Mock, ProfileName::Postfix, ProfileName::Exchange, ProfileName::Gmail] {
            for leniency in [Leniency::STRICT, Leniency::TOLERANT] {
                let mut config = ServerConfig::new(profile);
                config.policy.leniency = leniency;
                config.policy.faults = vec![FaultRule::parse("rcpt c@d.example => 452 4.2.2 Mailbox full").unwrap()];
                let mut server = Server::new(config, Peer::default(), Timestamp(1_000));
                server.handle_input(&long, Timestamp(1_001));
                for (i, line) in input.iter().enumerate() {
                    server.handle_input(line, Timestamp(1_002 + i as u64));
                }
                out.push((leniency, std::iter::from_fn(|| server.poll_event()).collect()));
            }
        }
        out
    }

    /// Every event comes back as it was given, as the same JSON and the same transcript; lines
    /// and replies are kept as text, not whole.
    #[test]
    fn every_event_comes_back_as_it_was() {
        let (mut commands, mut replies, mut whole, mut faults, mut joined) = (0, 0, 0, 0, 0);
        for (leniency, events) in sessions() {
            faults += events.iter().filter(|e| matches!(e, Event::ReplySent { fault: Some(_), .. })).count();
            let mut log = EventLog::default();
            for event in &events {
                log.push_back(event.clone(), Some(leniency));
            }
            assert!(log.iter().eq(events.iter().cloned()));
            assert_eq!(serde_json::to_string(&log).unwrap(), serde_json::to_string(&events).unwrap());
            let mut text = String::new();
            log.write_transcript(&mut text);
            assert_eq!(text, Transcript { events: events.clone() }.to_text());
            for kept in log.blocks().flat_map(|block| &block.kept) {
                match kept {
                    Kept::Line { kind: LineKind::Command(_), .. } => commands += 1,
                    Kept::Reply { .. } | Kept::Accepted { .. } => replies += 1,
                    Kept::Whole(_) => whole += 1,
                    Kept::DataLines { count, .. } if *count > 1 => joined += 1,
                    _ => {}
                }
            }
            // Read back from a file, without the leniency: the same events.
            let read: EventLog = serde_json::from_str(&serde_json::to_string(&events).unwrap()).unwrap();
            assert!(read.iter().eq(events.iter().cloned()));
        }
        assert!(commands > 100 && replies > 100, "{commands} commands and {replies} replies kept as text");
        // The corpus has what is kept whole (the greeting's connection, AUTH answers, the line
        // that was not UTF-8) and replies a fault rule shaped.
        assert!(whole >= 8 * 3 && faults >= 8, "{whole} kept whole, {faults} faults");
        // Lines of content that came in together share a slot (the one ended by a bare LF not).
        assert!(joined >= 2, "{joined} slots of several lines");
    }

    /// A session's block remembers the states it wrote while replies may share them; once the
    /// session has ended (or the block is full) it remembers none, and what was kept reads back
    /// the same, as do replies kept after.
    #[test]
    fn states_are_remembered_only_while_replies_may_share_them() {
        let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer::default(), Timestamp(1_000));
        server.handle_input(
            b"EHLO client.example
MAIL FROM:<a@b.example>
RCPT TO:<c@d.example>
RSET
",
            Timestamp(1_001),
        );
        let mut events: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
        let mut log = EventLog::default();
        for event in &events {
            log.push_back(event.clone(), Some(Leniency::STRICT));
        }
        let remembered = |log: &EventLog| log.blocks().map(|b| b.contents.remembered_states()).sum::<usize>();
        assert_eq!(remembered(&log), 3, "the empty envelope, the sender, the recipient");
        log.forget_states();
        assert_eq!(remembered(&log), 0);
        assert!(log.iter().eq(events.iter().cloned()));
        server.handle_input(
            b"MAIL FROM:<a@b.example>
NOOP
",
            Timestamp(1_002),
        );
        for event in std::iter::from_fn(|| server.poll_event()) {
            log.push_back(event.clone(), Some(Leniency::STRICT));
            events.push(event);
        }
        assert!(log.iter().eq(events.iter().cloned()));
        // A full block remembers none.
        for i in 0..BLOCK as u64 {
            server.handle_input(
                b"NOOP
",
                Timestamp(1_003 + i),
            );
        }
        for event in std::iter::from_fn(|| server.poll_event()) {
            log.push_back(event.clone(), Some(Leniency::STRICT));
            events.push(event);
        }
        assert!(!log.sealed.is_empty());
        assert!(log.sealed.iter().all(|block| block.contents.remembered_states() == 0));
        assert!(log.iter().eq(events.iter().cloned()));
    }

    /// A message's lines that came in together share a slot: read back, forgotten one at a time
    /// from the front (into the middle of a slot), and written out, they are the events.
    #[test]
    fn lines_of_content_in_one_slot_come_back_one_by_one() {
        let mut server = Server::new(ServerConfig::new(ProfileName::Mock), Peer::default(), Timestamp(1_000));
        server.handle_input(b"EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n", Timestamp(1_001));
        let body: String = (0..300).map(|i| format!("line {i}\r\n")).collect();
        // The content in three reads, one line split between two of them, a bare LF in one.
        let (first, rest) = body.split_at(1_000);
        server.handle_input(first.as_bytes(), Timestamp(1_002));
        server.handle_input(format!("{rest}bare\nlast\r\n").as_bytes(), Timestamp(1_003));
        server.handle_input(b"\r\n.\r\nQUIT\r\n", Timestamp(1_004));
        let events: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
        assert!(events.iter().filter(|e| matches!(e, Event::LineReceived { line: ClientLine::Data, .. })).count() > 300);
        let mut log = EventLog::default();
        for event in &events {
            log.push_back(event.clone(), Some(Leniency::STRICT));
        }
        assert!(log.blocks().flat_map(|b| &b.kept).any(|k| matches!(k, Kept::DataLines { count, .. } if *count > 100)));
        assert!(log.blocks().map(|b| b.kept.len()).sum::<usize>() < events.len() / 4, "the lines share slots");
        let mut plain: VecDeque<Event> = events.into_iter().collect();
        while !plain.is_empty() {
            assert!(log.iter().eq(plain.iter().cloned()));
            assert_eq!(log.iter().last().as_ref(), plain.back());
            let mut text = String::new();
            log.write_transcript(&mut text);
            assert_eq!(text, Transcript { events: plain.iter().cloned().collect() }.to_text());
            assert!(log.pop_front());
            plain.pop_front();
        }
        assert!(log.is_empty() && log.blocks().next().is_none());
    }

    /// Against a plain queue: pushes and pops across block edges, the length, the octets, the
    /// newest, the order, and the JSON.
    #[test]
    fn it_keeps_the_order_and_length_of_a_plain_queue() {
        let corpus: Vec<(Leniency, Event)> = sessions().into_iter().flat_map(|(leniency, events)| events.into_iter().map(move |e| (leniency, e))).collect();
        let (mut log, mut plain) = (EventLog::default(), VecDeque::new());
        let mut next = 0;
        // Grow past a few blocks, shrink to nothing, grow again, in uneven steps.
        for (push, pop) in [(3 * BLOCK + 7, 0), (0, BLOCK + 1), (BLOCK - 1, 2 * BLOCK), (0, 10 * BLOCK), (5, 0), (2 * BLOCK, 3)] {
            for _ in 0..push {
                let (leniency, event) = corpus[next % corpus.len()].clone();
                log.push_back(event.clone(), Some(leniency));
                plain.push_back(event);
                next += 1;
            }
            for _ in 0..pop {
                assert_eq!(log.pop_front(), plain.pop_front().is_some());
            }
            assert_eq!((log.len(), log.is_empty(), log.iter().last().as_ref()), (plain.len(), plain.is_empty(), plain.back()));
            assert!(log.iter().eq(plain.iter().cloned()));
            assert!(
                log.blocks().next().is_none_or(|b| log.head < b.events) && log.blocks().all(|b| b.events <= BLOCK && b.kept.iter().map(Kept::count).sum::<usize>() == b.events)
            );
            // A copy is what the log was, whatever the log does next.
            let copy = log.clone();
            log.push_back(corpus[0].1.clone(), Some(corpus[0].0));
            log.pop_front();
            assert!(copy.iter().eq(plain.iter().cloned()));
            plain.push_back(corpus[0].1.clone());
            plain.pop_front();
            assert_eq!(log.octets(), log.blocks().map(|b| b.octets()).sum::<usize>());
            let json = serde_json::to_string(&log).unwrap();
            assert_eq!(json, serde_json::to_string(&plain).unwrap());
            assert!(serde_json::from_str::<EventLog>(&json).unwrap().iter().eq(plain.iter().cloned()));
        }
        assert_eq!(log.octets() == 0, log.is_empty());
        // A log kept shorter than a block, popping as it pushes, still moves on to new blocks:
        // the text it holds stays bounded.
        let mut short = EventLog::default();
        for (leniency, event) in corpus.iter().cycle().take(20 * BLOCK) {
            short.push_back(event.clone(), Some(*leniency));
            if short.len() > 10 {
                short.pop_front();
            }
        }
        assert!(short.blocks().count() <= 2 && short.blocks().all(|b| b.events <= BLOCK && b.contents.bytes.len() <= 256 * BLOCK), "{} blocks", short.blocks().count());
    }
}
