//! Reads a session's events in order and explains each: the command notes of client lines and
//! the [`Explanation`] of every reply, with the context of the command it answers. The page, the
//! mock server and the transcript tests all explain sessions through this one reader.

mod reaction;
pub use reaction::Reaction;

use crate::command::{ParsedCommand, SyntaxError, Tolerance, Verb};
use crate::event::{ClientLine, Event};
use crate::expected::Answering;
use crate::explain::{CommandNote, Explanation, WhyContext, command_note, explain_real, explain_simulated};
use crate::preset::ProfileName;
use crate::profile::ServerPolicy;
use crate::session::path_address;

/// What the reader has to say about one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A parsed command: what it does.
    Command(CommandNote),
    /// A command line that could not be parsed: what is wrong, where, and the expected form.
    Unparsed { problem: String, column: usize, expected: Option<&'static str> },
    /// A reply of the simulated server.
    Reply(Box<Explanation>),
}

#[derive(Debug, Default)]
pub struct Narration {
    /// What to call the server in explanations when it is not its profile's own (a profile
    /// file's title); `None`: the profile's title.
    pub server_name: Option<String>,
    /// A command line has been read (before it, a reply answers the connection).
    commanded: bool,
    verb: Option<Verb>,
    verb_text: Option<String>,
    line: Option<String>,
    error: Option<SyntaxError>,
    tolerated: Vec<Tolerance>,
    address: Option<String>,
    /// TLS started in this session (the client must greet again).
    tls_restarted: bool,
    /// The last AUTH answer decoded to text ending in a line break (`echo` without `-n`).
    auth_newline: bool,
    /// A message's content ended since the last reply (the next answers the content).
    content_ended: bool,
}

impl Narration {
    pub fn read(&mut self, event: &Event, profile: ProfileName, policy: &ServerPolicy) -> Option<Note> {
        match event {
            Event::LineReceived { line: ClientLine::AuthResponse { decoded, .. }, .. } => {
                self.auth_newline |= decoded.as_deref().is_some_and(|d| d.contains('⏎') || d.contains('␍'));
                None
            }
            Event::LineReceived { line: ClientLine::Command { parsed }, raw, .. } => {
                self.commanded = true;
                // `get`, not slicing: the line's fifth byte may fall inside a character.
                self.auth_newline = raw.len() > 5
                    && raw.get(..5).is_some_and(|prefix| prefix.eq_ignore_ascii_case("AUTH "))
                    && raw.split(' ').nth(2).is_some_and(|b64| crate::server::visible(&String::from_utf8_lossy(&base64_decode(b64))).contains('⏎'));
                self.verb_text = raw.split(' ').next().map(str::to_string);
                self.line = Some(raw.to_string());
                match &**parsed {
                    Ok(ParsedCommand { command, tolerated }) => {
                        self.verb = Some(command.verb());
                        self.error = None;
                        self.tolerated = tolerated.clone();
                        self.address = match command {
                            crate::command::Command::Mail { from, .. } => Some(path_address(from)),
                            crate::command::Command::Rcpt { to, .. } => Some(path_address(to)),
                            crate::command::Command::Vrfy { argument } => Some(argument.to_string()),
                            _ => None,
                        };
                        Some(Note::Command(command_note(command.verb())))
                    }
                    Err(error) => {
                        self.verb = error.verb;
                        self.error = Some(error.clone());
                        self.tolerated.clear();
                        self.address = None;
                        let problem = match error.hint(raw) {
                            Some(hint) => format!("{}. {hint}", error.describe()),
                            None => error.describe(),
                        };
                        Some(Note::Unparsed { problem, column: error.column, expected: error.expected() })
                    }
                }
            }
            Event::LineReceived { line: ClientLine::DataEnd | ClientLine::Chunk, .. } => {
                self.content_ended = true;
                None
            }
            Event::ReplySent { reply, situation, state, fault, .. } => {
                let ctx = WhyContext {
                    tls_restarted: self.tls_restarted && state.client_name.is_none(),
                    auth_newline: self.auth_newline,
                    verb: self.verb,
                    verb_text: self.verb_text.as_deref(),
                    line: self.line.as_deref(),
                    error: self.error.as_ref(),
                    tolerated: &self.tolerated,
                    address: self.address.as_deref(),
                    profile,
                    server: self.server_name.as_deref().unwrap_or(profile.title()),
                    policy,
                };
                let mut explanation = match situation {
                    Some(situation) => explain_simulated(reply, *situation, &ctx),
                    None => explain_real(reply, self.answering(), self.address.as_deref()),
                };
                self.content_ended = false;
                if let Some(fault) = fault {
                    let said = fault.describe();
                    explanation.why = format!("{said} {}", explanation.why);
                    explanation.fault = Some(said);
                }
                Some(Note::Reply(Box::new(explanation)))
            }
            Event::TlsStarted { .. } => {
                self.tls_restarted = true;
                None
            }
            _ => None,
        }
    }

    /// What the next reply answers, for a reply explained without its situation.
    fn answering(&self) -> Answering {
        if self.content_ended {
            return Answering::MessageContent;
        }
        match (self.commanded, self.verb) {
            (false, _) => Answering::Connection,
            (true, Some(verb)) => Answering::Command(verb),
            (true, None) => Answering::Unrecognized,
        }
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap_or_default()
}
