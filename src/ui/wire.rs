//! The Wire tab: the session byte by byte ([`crate::model::wire`]): CR and LF as glyphs, a bare
//! LF or CR flagged, dot-stuffing, base64 decoded, lengths against their limits, where TLS starts.

use crate::model::wire::{Piece, Side, WireLine, WireRow, rows};
use crate::state::{Playground, Tab};
use leptos::prelude::*;

/// Rows drawn at most; a longer session says how many more there are.
const SHOWN: usize = 2000;

#[component]
pub(super) fn WireView() -> impl IntoView {
    let pg = expect_context::<Playground>();
    // Computed only while the tab is open: the rows cost a pass over the whole session.
    let wire = move || (pg.tab.get() == Tab::Wire).then(|| pg.with_console(|console| rows(&console.events)));
    view! {
        <div class="wire">
            <p class="help">
                "What crossed the connection, byte for byte: "
                <span class="glyph">"CRLF"</span> " is the line end; "
                <span class="glyph flag">"LF"</span> " a bare LF and " <span class="glyph flag">"CR"</span> " a bare CR are flagged. "
                "Each line's length is held against its RFC 5321 limit. To send a bare LF, choose \u{201c}LF only\u{201d} beside the console's Send button."
            </p>
            {move || wire().map(|rows| {
                let more = rows.len().saturating_sub(SHOWN);
                view! {
                    <ol class="wire-lines" aria-label="Bytes on the wire">
                        {rows.into_iter().take(SHOWN).map(row).collect_view()}
                    </ol>
                    {(more > 0).then(|| view! { <p class="help">{format!("{more} more lines: export the session (Timeline tab) to see them all.")}</p> })}
                }
            })}
        </div>
    }
}

fn row(row: WireRow) -> AnyView {
    match row {
        WireRow::Marker(text) => view! { <li class="wire-marker">{text}</li> }.into_any(),
        WireRow::Line(line) => line_view(line),
    }
}

fn line_view(line: WireLine) -> AnyView {
    let WireLine { side, pieces, octets, limit, notes, flagged } = line;
    let (who, class) = match side {
        Side::Client => ("C:", "wire-line client"),
        Side::Server => ("S:", "wire-line server"),
    };
    let length = match limit {
        Some((max, rule)) => {
            let class = if octets > max { "length over" } else { "length" };
            view! { <span class=class title=rule>{format!("{octets}/{max}")}</span> }.into_any()
        }
        None => view! { <span class="length">{octets.to_string()}</span> }.into_any(),
    };
    view! {
        <li class=class class:flagged=flagged>
            <span class="who" aria-label=if side == Side::Client { "client" } else { "server" }>{who}</span>
            <code class="bytes">{pieces.into_iter().map(piece).collect_view()}</code>
            {length}
            {(!notes.is_empty()).then(|| view! { <ul class="wire-notes">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul> })}
        </li>
    }
    .into_any()
}

fn piece(piece: Piece) -> AnyView {
    match piece {
        Piece::Text(text) => text.into_any(),
        // Letters, not the Control Pictures block (U+240x), which many fonts lack.
        Piece::CrLf => view! { <span class="glyph" title="CR LF (0x0D 0x0A): the line end">"CRLF"</span> }.into_any(),
        Piece::BareLf => view! { <span class="glyph flag" title="bare LF (0x0A) without CR">"LF"</span> }.into_any(),
        Piece::BareCr => view! { <span class="glyph flag" title="bare CR (0x0D) without LF">"CR"</span> }.into_any(),
        Piece::Nul => view! { <span class="glyph flag" title="NUL (0x00)">"NUL"</span> }.into_any(),
        Piece::Control(byte) => view! { <span class="glyph flag" title=format!("control character 0x{byte:02X}")>{format!("\\x{byte:02X}")}</span> }.into_any(),
        Piece::EightBit { text, bytes } => view! { <span class="eight-bit" title=format!("8-bit: {bytes}")>{text}<sub>{bytes.clone()}</sub></span> }.into_any(),
        Piece::Invalid => view! { <span class="glyph flag" title="bytes that are not UTF-8">"\u{fffd}"</span> }.into_any(),
    }
}
