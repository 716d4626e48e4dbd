//! What outlives connections, as a real server keeps it across clients: the accepted mail, the
//! greylist's first sightings and the random sequence behind queue ids and session tags.

use super::Server;
use crate::mailbox::StoredMessage;
use crate::time::Timestamp;
use std::collections::HashMap;

/// What outlives connections, as a real server keeps it across clients.
#[derive(Debug)]
pub(super) struct Host {
    pub(super) messages: Vec<StoredMessage>,
    pub(super) greylist: HashMap<(String, String, String), Timestamp>,
    pub(super) rng: u64,
}

impl Server {
    /// Messages accepted on every connection so far, oldest first.
    pub fn messages(&self) -> &[StoredMessage] {
        &self.host.messages
    }

    /// Removes and returns the accepted messages (a host that keeps its own store uses this).
    pub fn take_messages(&mut self) -> Vec<StoredMessage> {
        std::mem::take(&mut self.host.messages)
    }

    /// The greylist's first sightings: (client address, sender, recipient) and when. A host that
    /// runs one `Server` per connection carries them from one connection to the next, as a real
    /// server's greylist outlives connections.
    pub fn greylist(&self) -> &HashMap<(String, String, String), Timestamp> {
        &self.host.greylist
    }

    /// Sightings from earlier connections (the earliest of two for the same triple counts).
    pub fn remember_greylist(&mut self, entries: impl IntoIterator<Item = ((String, String, String), Timestamp)>) {
        for (key, first) in entries {
            let seen = self.host.greylist.entry(key).or_insert(first);
            *seen = (*seen).min(first);
        }
    }

    pub fn delete_message(&mut self, queue_id: &str) {
        self.host.messages.retain(|m| m.queue_id != queue_id);
    }

    pub fn clear_messages(&mut self) {
        self.host.messages.clear();
    }

    pub(super) fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic from the configured seed.
        self.host.rng ^= self.host.rng >> 12;
        self.host.rng ^= self.host.rng << 25;
        self.host.rng ^= self.host.rng >> 27;
        self.host.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A Postfix-style queue id: ten upper-case hex digits.
    pub(super) fn queue_id(&mut self) -> String {
        format!("{:010X}", self.next_random() & 0xFF_FFFF_FFFF)
    }

    /// Gmail appends a per-session tag to its replies.
    pub(super) fn session_tag(&mut self) -> String {
        let a = self.next_random();
        let b = self.next_random();
        format!("{:013x}-{:011x}sm{:07}", a & 0x1F_FFFF_FFFF_FFFF, b & 0x7FF_FFFF_FFFF, (a >> 40) % 10_000_000)
    }
}
