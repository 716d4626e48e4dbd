//! The timeline's rows, as plain data: one per line exchanged, reply or notice, each with the
//! time since the row before and the server's state after it, and the standalone SVG export.

use super::entry::{Entry, EntryKind, Tone, shown_line};
use smtp_protocol::reply::ReplyClass;
use smtp_protocol::session::SessionState;
use std::sync::Arc;

pub const ROW: f64 = 30.0;

pub const WIDTH: f64 = 540.0;
pub const CLIENT_X: f64 = 70.0;
pub const SERVER_X: f64 = 420.0;

#[derive(Debug, Clone, PartialEq)]
pub enum RowKind {
    ToServer { label: String },
    ToClient { label: String, class: ReplyClass },
    Marker { label: String, tone: Tone },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub entry: usize,
    pub kind: RowKind,
    /// Milliseconds since the previous row.
    pub delta: u64,
    pub state: String,
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { format!("{}…", text.chars().take(max - 1).collect::<String>()) }
}

/// The state band's words: the phase, and TLS once it is on.
pub fn state_label(state: &SessionState) -> String {
    if state.tls { format!("{} · TLS", state.phase.label()) } else { state.phase.label().to_string() }
}

/// Rows for `entries[range]`. The state at the start of the range is the one after the last
/// reply before it, so a window costs what it shows.
pub fn rows(entries: &[Arc<Entry>], range: std::ops::Range<usize>) -> Vec<Row> {
    let range = range.start.min(entries.len())..range.end.min(entries.len());
    let mut out = Vec::with_capacity(range.len());
    let mut previous = range.start.checked_sub(1).and_then(|i| entries.get(i)).or(entries.first()).map(|e| e.at.0).unwrap_or(0);
    let mut state = entries[..range.start]
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EntryKind::Reply { state, .. } => Some(state_label(state)),
            _ => None,
        })
        .unwrap_or_else(|| "connected".to_string());
    for entry in &entries[range] {
        let kind = match &entry.kind {
            EntryKind::Command { text, .. } | EntryKind::Data { text, .. } => RowKind::ToServer { label: shorten(&shown_line(text, false), 44) },
            EntryKind::AuthAnswer { text, secret, .. } => RowKind::ToServer { label: shorten(&shown_line(text, *secret), 44) },
            EntryKind::Reply { reply, explanation, state: after } => {
                state = state_label(after);
                let first = reply.lines.first().cloned().unwrap_or_default();
                let enhanced = reply.enhanced.map(|e| format!("{e} ")).unwrap_or_default();
                RowKind::ToClient { label: shorten(&format!("{} {enhanced}{first}", reply.code), 44), class: explanation.class }
            }
            EntryKind::Notice { text, tone } => RowKind::Marker { label: shorten(text, 48), tone: *tone },
            EntryKind::TlsStarted { text, tone } => {
                // The handshake's end starts a new session inside TLS, before any reply says so.
                state = "connected · TLS".to_string();
                RowKind::Marker { label: shorten(text, 48), tone: *tone }
            }
        };
        out.push(Row { entry: entry.id, kind, delta: entry.at.0.saturating_sub(previous), state: state.clone() });
        previous = entry.at.0;
    }
    out
}

pub fn seconds(ms: u64) -> String {
    if ms == 0 {
        String::new()
    } else if ms < 10_000 {
        format!("+{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("+{} s", ms / 1000)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The whole diagram as a standalone SVG document (for export).
pub fn svg_document(rows: &[Row]) -> String {
    let height = ROW * (rows.len() as f64 + 2.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"monospace\" font-size=\"11\">\
         <defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker></defs>\
         <text x=\"{CLIENT_X}\" y=\"16\" text-anchor=\"middle\">client</text><text x=\"{SERVER_X}\" y=\"16\" text-anchor=\"middle\">server</text>\
         <line x1=\"{CLIENT_X}\" y1=\"22\" x2=\"{CLIENT_X}\" y2=\"{height}\" stroke=\"#999\"/><line x1=\"{SERVER_X}\" y1=\"22\" x2=\"{SERVER_X}\" y2=\"{height}\" stroke=\"#999\"/>"
    );
    for (i, row) in rows.iter().enumerate() {
        let y = ROW * (i as f64 + 1.5);
        out.push_str(&format!("<text x=\"4\" y=\"{}\" fill=\"#666\">{}</text>", y + 4.0, seconds(row.delta)));
        match &row.kind {
            RowKind::ToServer { label } => out.push_str(&format!(
                "<line x1=\"{CLIENT_X}\" y1=\"{y}\" x2=\"{SERVER_X}\" y2=\"{y}\" stroke=\"#245bdb\" marker-end=\"url(#a)\"/><text x=\"{}\" y=\"{}\">{}</text>",
                CLIENT_X + 6.0,
                y - 4.0,
                escape(label)
            )),
            RowKind::ToClient { label, class } => {
                let colour = match class {
                    ReplyClass::PermanentFailure => "#b3261e",
                    ReplyClass::TransientFailure => "#a15c00",
                    _ => "#444",
                };
                out.push_str(&format!(
                    "<line x1=\"{SERVER_X}\" y1=\"{y}\" x2=\"{CLIENT_X}\" y2=\"{y}\" stroke=\"{colour}\" marker-end=\"url(#a)\"/><text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
                    CLIENT_X + 6.0,
                    y - 4.0,
                    escape(label)
                ))
            }
            RowKind::Marker { label, .. } => out.push_str(&format!("<text x=\"{CLIENT_X}\" y=\"{}\" font-style=\"italic\">{}</text>", y + 4.0, escape(label))),
        }
        out.push_str(&format!("<text x=\"{}\" y=\"{}\" fill=\"#666\">{}</text>", SERVER_X + 10.0, y + 4.0, escape(&row.state)));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::entry::TLS_STARTED;
    use crate::model::simulated::SimulatedSession;
    use smtp_protocol::{ProfileName, ServerConfig};

    fn session(lines: &str) -> SimulatedSession {
        let mut session = SimulatedSession::new(ServerConfig::new(ProfileName::Postfix), 1_000);
        session.send(lines, 2_000);
        session
    }

    #[test]
    fn rows_follow_the_simulators_state_and_show_tls() {
        let s = session("EHLO a\r\nSTARTTLS\r\n");
        let mut s2 = s;
        s2.send("EHLO a\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<bob@playground.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n", 3_000);
        let rows = s2.console.rows(0..s2.console.entries.len());
        let states: Vec<&str> = rows.iter().filter(|r| matches!(r.kind, RowKind::ToClient { .. })).map(|r| r.state.as_str()).collect();
        assert_eq!(states, ["connected", "greeted", "tls handshake", "greeted · TLS", "mail · TLS", "recipients · TLS", "data · TLS", "greeted · TLS"]);
        assert_eq!(s2.console.lines_exchanged(), rows.iter().filter(|r| !matches!(r.kind, RowKind::Marker { .. })).count());
    }

    #[test]
    fn the_end_of_the_handshake_moves_the_band_before_the_next_reply() {
        let s = session("EHLO a\r\nSTARTTLS\r\n");
        let rows = s.console.rows(0..s.console.entries.len());
        let marker = rows.iter().find(|r| matches!(&r.kind, RowKind::Marker { label, .. } if label.starts_with(TLS_STARTED))).unwrap();
        assert_eq!(marker.state, "connected · TLS");
    }

    #[test]
    fn a_window_of_rows_starts_from_the_state_before_it() {
        let s = session("EHLO a\r\nMAIL FROM:<a@b.example>\r\nNOOP\r\n");
        let all = s.console.rows(0..s.console.entries.len());
        let tail = s.console.rows(all.len() - 2..all.len());
        assert_eq!(tail, all[all.len() - 2..]);
        assert_eq!(tail[0].state, "mail");
    }

    #[test]
    fn the_reply_to_quit_leaves_the_session_closed() {
        let s = session("EHLO a\r\nQUIT\r\n");
        let rows = s.console.rows(0..s.console.entries.len());
        let last_reply = rows.iter().rev().find(|r| matches!(r.kind, RowKind::ToClient { .. })).unwrap();
        assert_eq!(last_reply.state, "closed");
    }

    #[test]
    fn the_svg_export_colours_refusals() {
        let s = session("RCPT TO:<bob@playground.test>\r\n");
        let svg = svg_document(&s.console.rows(0..s.console.entries.len()));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("fill=\"#b3261e\">503"), "{svg}");
    }
}
