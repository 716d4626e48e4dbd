//! Replies as the server writes them: a situation in the persona's words with its placeholders
//! filled, the bad-command count, a fault rule's substitute, and the record of each reply.

use super::Server;
use crate::event::{Closer, Event};
use crate::reply::Reply;
use crate::session::Phase;
use crate::situation::Situation;
use crate::time::Timestamp;
use crate::wording::render_with;

impl Server {
    /// Sends the reply for `situation` in this profile's words. Client errors count toward the
    /// bad-command limit; past it, the reply is 421 and the connection is closed.
    pub(super) fn reply(&mut self, now: Timestamp, situation: Situation, values: &[(&str, &str)]) {
        let mut situation = situation;
        if situation.is_client_error() {
            self.conn.errors += 1;
            if self.conn.errors > self.config.policy.bad_command_limit {
                situation = Situation::TooManyErrors;
            }
        }
        let reply = self.render(now, situation, values);
        self.send(now, reply, situation);
        if situation == Situation::TooManyErrors {
            self.close(now, Closer::Server, "too many errors");
        }
    }

    pub(super) fn render(&self, now: Timestamp, situation: Situation, values: &[(&str, &str)]) -> Reply {
        render_with(self.persona().template(situation), |name, out| {
            if let Some((_, value)) = values.iter().find(|(n, _)| *n == name) {
                out.push_str(value);
                return true;
            }
            match name {
                "host" => out.push_str(&self.config.policy.hostname),
                "ip" => out.push_str(&self.peer.ip),
                "client" => match &self.conn.client_name {
                    Some(name) => out.push_str(name),
                    None => {
                        out.push('[');
                        out.push_str(&self.peer.ip);
                        out.push(']');
                    }
                },
                "tag" => out.push_str(&self.conn.tag),
                "date" => {
                    let _ = std::fmt::Write::write_fmt(out, format_args!("{}", now.rfc5322_date()));
                }
                "epoch" => out.push_str(&(now.0 / 1000).to_string()),
                _ => return false,
            }
            true
        })
    }

    pub(super) fn send(&mut self, now: Timestamp, reply: Reply, situation: Situation) {
        // After poll_transmit took the buffer, one allocation of the right size rather than
        // growing from nothing a few bytes at a time.
        if self.transmit.capacity() == 0 {
            self.transmit.reserve_exact(reply.lines.iter().map(|line| line.len() + 20).sum());
        }
        let (reply, situation) = match self.take_unsent_substitute() {
            Some(substitute) => (self.substituted(reply, situation, substitute), None),
            None => (reply, Some(situation)),
        };
        let closes = situation.is_some_and(Situation::closes_connection);
        self.emit(now, reply, situation, closes);
    }

    /// Writes a reply and records it, with the rule behind it if a fault rule chose it.
    pub(super) fn emit(&mut self, now: Timestamp, reply: Reply, situation: Option<Situation>, closes: bool) {
        reply.write_wire_bytes(&mut self.transmit);
        let mut state = self.state();
        if closes {
            // The server hangs up right after this reply: that is the state it leaves.
            state.phase = Phase::Closed;
        }
        let fault = self.conn.fault.take().map(Box::new);
        self.events.push_back(Event::ReplySent { at: now, reply, situation, state, envelope: self.txn.envelope.clone(), fault });
    }
}
