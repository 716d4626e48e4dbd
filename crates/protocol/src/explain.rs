//! The explanation catalog: for every reply, what its class, code and enhanced code mean, why
//! the server sent it here, and where the RFC says so; for every command, what it does.
//!
//! Replies from the simulator are explained from their [`Situation`]. Replies from a real server
//! (through the bridge) are explained by code and enhanced code alone, and marked expected or
//! unexpected for the command they answer by [`crate::expected`].

mod commands;
mod headline;
mod why;

use crate::reply::meaning::{class_meaning, class_name, code_meaning, enhanced_class, enhanced_detail, enhanced_subject};
pub use commands::{CommandNote, command_note};
pub use headline::headline;

use crate::command::{SyntaxError, Tolerance, Verb};
use crate::expected::{Answering, Expectation, expectation};
use crate::preset::ProfileName;
use crate::profile::ServerPolicy;
use crate::reply::{EnhancedCode, Reply, ReplyClass};
use crate::situation::Situation;
use base64::Engine;
use serde::Serialize;

/// A section of an RFC, linkable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RfcRef {
    pub rfc: u16,
    pub section: &'static str,
}

impl RfcRef {
    pub fn label(&self) -> String {
        format!("RFC {} §{}", self.rfc, self.section)
    }
    pub fn url(&self) -> String {
        format!("https://www.rfc-editor.org/rfc/rfc{}#section-{}", self.rfc, self.section)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnhancedNote {
    pub code: String,
    pub class: &'static str,
    pub subject: &'static str,
    pub detail: &'static str,
}

/// What an explanation is keyed on: the simulator's situation, or a real server's reply code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ExplanationId {
    Situation(Situation),
    Code(u16),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub id: ExplanationId,
    pub class: ReplyClass,
    pub class_name: &'static str,
    pub class_meaning: &'static str,
    /// What the reply means here, in a few words (the folded explanation's summary).
    pub headline: String,
    pub code_meaning: &'static str,
    pub enhanced: Option<EnhancedNote>,
    pub why: String,
    pub rfc: RfcRef,
    /// The base64 of a 334 challenge, decoded (`VXNlcm5hbWU6` = `Username:`).
    pub decoded: Option<String>,
    /// Whether RFC 5321 4.3.2 (and the extension RFCs) list this code for the command.
    pub expectation: Expectation,
    /// Forms outside RFC 5321 that the server let pass, said in words.
    pub tolerated: Vec<String>,
    /// The fault rule or what-if choice that produced the reply, said in words.
    pub fault: Option<String>,
}

/// What the explanation of a simulated reply may refer to.
pub struct WhyContext<'a> {
    pub verb: Option<Verb>,
    /// The first word of the line, even when it is not a known verb.
    pub verb_text: Option<&'a str>,
    /// The command line as typed.
    pub line: Option<&'a str>,
    pub error: Option<&'a SyntaxError>,
    pub tolerated: &'a [Tolerance],
    pub address: Option<&'a str>,
    pub profile: ProfileName,
    /// What to call the server: its persona's name, else its profile's title.
    pub server: &'a str,
    pub policy: &'a ServerPolicy,
    /// STARTTLS completed and no HELO/EHLO came since: the session was reset (RFC 3207 4.2).
    pub tls_restarted: bool,
    /// An AUTH answer decoded to text with a line break in it (`echo` adds one).
    pub auth_newline: bool,
}

/// After 221 or 421 the connection is gone: "the client may send its next command" would be wrong.
const CLOSING_MEANING: &str = "The server closes the connection after this reply: nothing more can be sent on it. Connect again to go on.";

fn enhanced_note(code: EnhancedCode) -> EnhancedNote {
    EnhancedNote { code: code.to_string(), class: enhanced_class(code.class), subject: enhanced_subject(code.subject), detail: enhanced_detail(code) }
}

fn decode_challenge(reply: &Reply) -> Option<String> {
    if reply.code != 334 {
        return None;
    }
    let text = reply.lines.first()?.trim();
    if text.is_empty() {
        return Some("(empty: send your base64 credentials)".into());
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    String::from_utf8(bytes).ok().filter(|s| s.chars().all(|c| !c.is_control()))
}

fn base(reply: &Reply, id: ExplanationId, answering: Answering) -> Explanation {
    let class = reply.class();
    Explanation {
        id,
        class,
        class_name: class_name(class),
        class_meaning: if matches!(reply.code, 221 | 421) { CLOSING_MEANING } else { class_meaning(class) },
        headline: code_meaning(reply.code).to_string(),
        code_meaning: code_meaning(reply.code),
        enhanced: reply.enhanced.map(enhanced_note),
        why: String::new(),
        rfc: RfcRef { rfc: 5321, section: "4.2" },
        decoded: decode_challenge(reply),
        expectation: expectation(answering, reply.code),
        tolerated: vec![],
        fault: None,
    }
}

/// Explains a reply of the simulator.
pub(crate) fn explain_simulated(reply: &Reply, situation: Situation, ctx: &WhyContext<'_>) -> Explanation {
    let answering = match (situation, ctx.verb) {
        (Situation::Greeting | Situation::IdleTimeout, _) => Answering::Connection,
        (_, Some(verb)) => Answering::Command(verb),
        (_, None) => Answering::Unrecognized,
    };
    let mut explanation = base(reply, ExplanationId::Situation(situation), answering);
    let (why, rfc) = why::why(situation, ctx);
    explanation.why = why;
    // Gmail's 530 "Must issue a STARTTLS command first" is RFC 3207's reply, not RFC 4954's.
    explanation.rfc = if situation == Situation::AuthNeedsTls && reply.code == 530 { RfcRef { rfc: 3207, section: "4" } } else { rfc };
    explanation.headline = headline(situation).to_string();
    explanation.tolerated = ctx
        .tolerated
        .iter()
        .map(|t| match t {
            Tolerance::BareAddress => format!("RFC 5321 requires the address in angle brackets, <user@domain>; {} accepted it without them anyway.", ctx.server),
            Tolerance::SpaceAfterColon => format!("RFC 5321 allows no space after the colon; {} tolerated it.", ctx.server),
            Tolerance::HeloNotHostName => {
                format!("HELO/EHLO should name the client's host (a domain, or an address literal such as [192.0.2.1]), not an e-mail address; {} accepted it anyway.", ctx.server)
            }
            Tolerance::QuitArgument => format!("QUIT takes no argument in RFC 5321; {} does not check QUIT's syntax and said goodbye anyway.", ctx.server),
        })
        .collect();
    explanation
}

/// Explains a real server's reply, by class, code and enhanced code, for what it answers. A
/// reply to a line the server did not recognise is measured against what RFC 5321 4.3.2 allows
/// then (500, 501, 502, ...), not against any command's list. Where the code, the enhanced code
/// and the command identify a situation beyond doubt, its specific explanation follows.
pub fn explain_real(reply: &Reply, answering: Answering, address: Option<&str>) -> Explanation {
    let mut explanation = base(reply, ExplanationId::Code(reply.code), answering);
    let what = match &explanation.enhanced {
        Some(note) => format!("{} ({}: {})", code_meaning(reply.code), note.code, note.detail),
        None => code_meaning(reply.code).to_string(),
    };
    let answering_text = match answering {
        Answering::Connection => String::new(),
        Answering::Command(verb) => format!(" in answer to {}", verb.name()),
        Answering::MessageContent => " to the message content (after its final dot)".to_string(),
        Answering::Unrecognized => " to a line it did not recognise as a command".to_string(),
    };
    explanation.why = format!("The server replied {}{answering_text}: {what}. {}", reply.code, class_meaning(reply.class()));
    if let Some(situation) = recognise(answering, reply) {
        let policy = ServerPolicy::default();
        let verb = match answering {
            Answering::Command(verb) => Some(verb),
            Answering::MessageContent => Some(Verb::Data),
            _ => None,
        };
        let ctx = WhyContext {
            verb,
            verb_text: None,
            line: None,
            error: None,
            tolerated: &[],
            address,
            profile: ProfileName::Mock,
            server: ProfileName::Mock.title(),
            policy: &policy,
            tls_restarted: false,
            auth_newline: false,
        };
        let (why, rfc) = why::why(situation, &ctx);
        explanation.why = format!("The server replied {}{answering_text}. {why}", reply.code);
        explanation.rfc = rfc;
        explanation.headline = headline(situation).to_string();
    }
    explanation
}

/// The situation a real server's reply is in, where code, enhanced code and command leave no
/// doubt — and only situations whose explanation says nothing of this playground's own servers.
fn recognise(answering: Answering, reply: &Reply) -> Option<Situation> {
    use Situation::*;
    let first = reply.lines.first().map(String::as_str).unwrap_or_default();
    let enhanced = reply.enhanced.map(|e| (e.class, e.subject, e.detail));
    Some(match (answering, reply.code) {
        (Answering::Connection, 220) => Greeting,
        (Answering::Command(Verb::Helo), 250) => HeloAccepted,
        (Answering::Command(Verb::Ehlo), 250) => EhloAccepted,
        (Answering::Command(Verb::Mail), 250) => SenderAccepted,
        (Answering::Command(Verb::Rcpt), 250 | 251) => RecipientAccepted,
        (Answering::Command(Verb::Data), 354) => StartMailInput,
        (Answering::MessageContent, 250) => MessageQueued,
        (Answering::Command(Verb::Rset), 250) => ResetDone,
        (Answering::Command(Verb::Noop), 250) => NoopDone,
        (Answering::Command(Verb::Quit), 221) => Closing,
        (Answering::Command(Verb::StartTls), 220) => TlsReady,
        (Answering::Command(Verb::Auth), 235) => AuthSucceeded,
        (Answering::Command(Verb::Auth), 334) if first.trim() == "VXNlcm5hbWU6" => AuthUsernamePrompt,
        (Answering::Command(Verb::Auth), 334) if first.trim() == "UGFzc3dvcmQ6" => AuthPasswordPrompt,
        (Answering::Command(Verb::Auth), 535) => AuthFailed,
        (Answering::Command(Verb::Rcpt), 503) => MailRequired,
        (Answering::Command(Verb::Data), 503) => RecipientRequired,
        (Answering::Command(Verb::Data), 554) if enhanced == Some((5, 5, 1)) => NoValidRecipients,
        (Answering::Command(Verb::Rcpt), 452) if enhanced == Some((4, 5, 3)) => TooManyRecipients,
        (Answering::MessageContent, 552) => MessageTooBig,
        (Answering::Command(Verb::Vrfy), 252) => VrfyAmbiguous,
        _ => return None,
    })
}
