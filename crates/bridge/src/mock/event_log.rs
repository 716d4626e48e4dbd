//! A session's kept events, oldest first: a queue in blocks of [`BLOCK`] events. A session of
//! ten thousand events grows a block at a time instead of doubling and copying one buffer (that
//! copy, and the fresh pages it touched, were a third of mock mode's CPU under load), and a session
//! whose oldest events are dropped gives their memory back a block at a time (one buffer kept its
//! largest size for as long as the session was kept).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smtp_protocol::event::Event;
use std::collections::VecDeque;

/// Events per block: 32 KB of events at their 128 bytes.
const BLOCK: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct EventLog {
    /// Every block holds at most `BLOCK` events and none is empty; each was made with room for
    /// `BLOCK`, so adding to one never reallocates.
    blocks: VecDeque<VecDeque<Event>>,
    len: usize,
}

impl EventLog {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push_back(&mut self, event: Event) {
        match self.blocks.back_mut() {
            Some(block) if block.len() < BLOCK => block.push_back(event),
            _ => {
                let mut block = VecDeque::with_capacity(BLOCK);
                block.push_back(event);
                self.blocks.push_back(block);
            }
        }
        self.len += 1;
    }

    pub fn pop_front(&mut self) -> Option<Event> {
        let block = self.blocks.front_mut()?;
        let event = block.pop_front();
        if block.is_empty() {
            self.blocks.pop_front();
        }
        self.len -= 1;
        event
    }

    pub fn back(&self) -> Option<&Event> {
        self.blocks.back().and_then(VecDeque::back)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> {
        self.into_iter()
    }
}

impl<'a> IntoIterator for &'a EventLog {
    type Item = &'a Event;
    type IntoIter = std::iter::Flatten<std::collections::vec_deque::Iter<'a, VecDeque<Event>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.blocks.iter().flatten()
    }
}

impl FromIterator<Event> for EventLog {
    fn from_iter<I: IntoIterator<Item = Event>>(events: I) -> Self {
        let mut log = EventLog::default();
        for event in events {
            log.push_back(event);
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
        Ok(Vec::<Event>::deserialize(deserializer)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_protocol::Timestamp;
    use smtp_protocol::event::Closer;

    fn event(i: u64) -> Event {
        Event::Closed { at: Timestamp(i), by: Closer::Client, reason: String::new() }
    }

    /// Against a plain queue: pushes and pops across block edges, the length, the newest, the
    /// order, and the JSON.
    #[test]
    fn it_keeps_the_order_and_length_of_a_plain_queue() {
        let (mut log, mut plain) = (EventLog::default(), VecDeque::new());
        let mut next = 0;
        // Grow past a few blocks, shrink to nothing, grow again, in uneven steps.
        for (push, pop) in [(3 * BLOCK + 7, 0), (0, BLOCK + 1), (BLOCK - 1, 2 * BLOCK), (0, 10 * BLOCK), (5, 0), (2 * BLOCK, 3)] {
            for _ in 0..push {
                log.push_back(event(next));
                plain.push_back(event(next));
                next += 1;
            }
            for _ in 0..pop {
                assert_eq!(log.pop_front(), plain.pop_front());
            }
            assert_eq!((log.len(), log.is_empty(), log.back()), (plain.len(), plain.is_empty(), plain.back()));
            assert!(log.iter().eq(plain.iter()));
            assert!(log.iter().rev().eq(plain.iter().rev()));
            assert!(log.blocks.iter().all(|b| !b.is_empty() && b.len() <= BLOCK));
            let json = serde_json::to_string(&log).unwrap();
            assert_eq!(json, serde_json::to_string(&plain).unwrap());
            assert!(serde_json::from_str::<EventLog>(&json).unwrap().iter().eq(plain.iter()));
        }
    }
}
