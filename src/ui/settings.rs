//! The server settings: the profile and every policy knob, each with one line of explanation and
//! whether it applies now or at the next connection.

use crate::state::Playground;
use leptos::prelude::*;
use smtp_protocol::profile::DeliveryMode;
use smtp_protocol::profile::{Account, Applies, BareLineFeed, VrfyPolicy};
use smtp_protocol::{ProfileName, ServerConfig, ServerPolicy};

fn applies_text(field: &str) -> &'static str {
    match ServerPolicy::applies(field) {
        Applies::Now => "applies now",
        Applies::NextConnection => "applies at the next connection",
    }
}

/// Applies a change to the policy, unless the server could not run with it (the reason is
/// returned, for the knob to show, and nothing changes).
fn update(pg: Playground, change: impl FnOnce(&mut ServerPolicy)) -> Result<(), String> {
    let mut config = untrack(|| pg.with_config(ServerConfig::clone));
    change(&mut config.policy);
    config.policy.check().map_err(|problem| problem.message)?;
    pg.configure(config);
    Ok(())
}

#[component]
fn Toggle(field: &'static str, label: &'static str, help: &'static str, get: fn(&ServerPolicy) -> bool, set: fn(&mut ServerPolicy, bool)) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let id = format!("knob-{field}");
    view! {
        <div class="knob">
            <input
                type="checkbox"
                id=id.clone()
                prop:checked=move || pg.with_config(|c| get(&c.policy))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    // A switch alone cannot make a policy unusable.
                    let _ = update(pg, |p| set(p, on));
                }
            />
            <label for=id>{label}</label>
            <p class="help">{help} " " <span class="applies">{format!("({})", applies_text(field))}</span></p>
        </div>
    }
}

#[component]
fn Number(field: &'static str, label: &'static str, help: &'static str, get: fn(&ServerPolicy) -> u64, set: fn(&mut ServerPolicy, u64)) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let id = format!("knob-{field}");
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="knob">
            <label for=id.clone()>{label}</label>
            <input
                type="number"
                min="0"
                id=id
                prop:value=move || pg.with_config(|c| get(&c.policy).to_string())
                on:change=move |ev| {
                    match event_target_value(&ev).trim().parse::<u64>() {
                        Ok(n) => error.set(update(pg, |p| set(p, n)).err()),
                        Err(_) => error.set(Some("Enter a whole number (0 or more).".into())),
                    }
                }
            />
            <p class="help">{help} " " <span class="applies">{format!("({})", applies_text(field))}</span></p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

#[component]
fn List(field: &'static str, label: &'static str, help: &'static str, get: fn(&ServerPolicy) -> String, set: fn(&mut ServerPolicy, &str)) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let id = format!("knob-{field}");
    let error = RwSignal::new(None::<String>);
    view! {
        <div class="knob wide">
            <label for=id.clone()>{label}</label>
            <input
                type="text"
                id=id
                prop:value=move || pg.with_config(|c| get(&c.policy))
                on:change=move |ev| {
                    let text = event_target_value(&ev);
                    error.set(update(pg, |p| set(p, &text)).err());
                }
            />
            <p class="help">{help} " " <span class="applies">{format!("({})", applies_text(field))}</span></p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

fn accounts_text(p: &ServerPolicy) -> String {
    p.accounts.iter().map(|a| format!("{}:{}", a.user, a.password)).collect::<Vec<_>>().join(", ")
}

fn set_accounts(p: &mut ServerPolicy, text: &str) {
    p.accounts = split(text).iter().filter_map(|a| a.split_once(':')).map(|(u, pw)| Account { user: u.into(), password: pw.into() }).collect();
}

fn split(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

#[component]
pub(super) fn ServerSettings() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let profile = Memo::new(move |_| pg.with_config(|c| c.profile));
    view! {
        <form class="settings" on:submit=|ev| ev.prevent_default()>
            <Show when=move || pg.mode.get() == crate::state::Mode::Mock>
                <p class="settings-scope" role="note">
                    {move || pg.watched.with(|m| if m.config.is_some() {
                        format!("These are the live mock server's settings ({}): a change applies to its next client connection, and every page watching it sees it.", m.reachable_smtp())
                    } else {
                        "Not connected to a live mock server: changes here cannot reach it.".to_string()
                    })}
                </p>
            </Show>
            <ReadOnlyNote/>
            <fieldset class="settings-knobs" disabled=move || pg.read_only().is_some()>
            <legend class="visually-hidden">"Server settings"</legend>
            <div class="knob wide">
                <label for="profile">"Server profile"</label>
                <select
                    id="profile"
                    on:change=move |ev| {
                        if let Some(p) = ProfileName::from_id(&event_target_value(&ev)) {
                            pg.configure(ServerConfig::new(p));
                        }
                    }
                >
                    {ProfileName::ALL.into_iter().map(|p| view! { <option value=p.id() selected=move || profile.get() == p>{p.title()}</option> }).collect_view()}
                </select>
                <p class="help">"Whose wording and defaults the simulator uses. Choosing one resets every knob below to its defaults; replies use its wording at once, its banner at the next connection."</p>
            </div>
            <ProfileFile/>
            <fieldset>
                <legend>"Domains, mailboxes and accounts"</legend>
                <List field="hostname" label="Host name" help="The name in the banner, EHLO reply and Received header." get=|p| p.hostname.clone() set=|p, v| p.hostname = v.trim().to_string()/>
                <List field="local_domains" label="Local domains (comma-separated)" help="Mail to these domains is delivered here; anything else is relaying." get=|p| p.local_domains.join(", ") set=|p, v| p.local_domains = split(v)/>
                <List field="mailboxes" label="Mailboxes (comma-separated, empty: any user exists)" help="Users of the local domains; others get 550 5.1.1." get=|p| p.mailboxes.join(", ") set=|p, v| p.mailboxes = split(v)/>
                <List
                    field="accounts"
                    label="AUTH accounts (user:password, comma-separated)"
                    help="Who can log in with AUTH PLAIN or LOGIN."
                    get=accounts_text
                    set=set_accounts
                />
            </fieldset>
            <fieldset>
                <legend>"Authentication, TLS and relaying"</legend>
                <Toggle field="auth_enabled" label="Offer AUTH" help="Advertise AUTH PLAIN LOGIN in the EHLO reply." get=|p| p.auth_enabled set=|p, v| p.auth_enabled = v/>
                <Toggle field="auth_required" label="Require AUTH before MAIL (port 587)" help="A submission server: MAIL FROM gets 530 until the client logs in." get=|p| p.auth_required set=|p, v| p.auth_required = v/>
                <Toggle field="starttls" label="Offer STARTTLS" help="Advertise STARTTLS; the simulator completes the handshake at once." get=|p| p.starttls set=|p, v| p.starttls = v/>
                <Toggle field="tls_required_for_auth" label="Require TLS before AUTH" help="Passwords only over TLS: AUTH gets 538 (or the profile's wording) in clear text." get=|p| p.tls_required_for_auth set=|p, v| p.tls_required_for_auth = v/>
                <Toggle field="open_relay" label="Open relay (accept every recipient)" help="Deliver to any domain for anyone, as a mock server does. Never do this on the Internet." get=|p| p.open_relay set=|p, v| p.open_relay = v/>
                <Toggle field="relay_when_authenticated" label="Relay for authenticated users" help="Logged-in users may send to any domain." get=|p| p.relay_when_authenticated set=|p, v| p.relay_when_authenticated = v/>
            </fieldset>
            <fieldset>
                <legend>"Limits and defences"</legend>
                <Number field="max_message_size" label="Message size limit (octets)" help="Advertised as SIZE; larger messages get 552 5.3.4. 0 advertises no fixed limit (RFC 1870); the simulator then holds up to 64 MiB." get=|p| p.max_message_size set=|p, v| p.max_message_size = v/>
                <Number field="max_recipients" label="Recipients per message" help="Beyond this, RCPT TO gets 452 4.5.3." get=|p| p.max_recipients as u64 set=|p, v| p.max_recipients = v as usize/>
                <Number field="idle_timeout_secs" label="Idle timeout (seconds)" help="Silence for this long ends the session with 421 4.4.2." get=|p| p.idle_timeout_secs set=|p, v| p.idle_timeout_secs = v/>
                <Number field="bad_command_limit" label="Bad command limit" help="After this many errors the server says 421 and hangs up." get=|p| u64::from(p.bad_command_limit) set=|p, v| p.bad_command_limit = v.min(u64::from(u32::MAX)) as u32/>
                <Toggle field="greylisting" label="Greylisting" help="Refuse a first attempt with 451 4.7.1; accept a retry after the delay." get=|p| p.greylisting set=|p, v| p.greylisting = v/>
                <Number field="greylist_delay_secs" label="Greylisting delay (seconds)" help="How long a retry must wait." get=|p| p.greylist_delay_secs set=|p, v| p.greylist_delay_secs = v/>
                <Toggle field="require_message_id" label="Require a Message-ID header" help="Refuse messages without one, as a large provider does." get=|p| p.require_message_id set=|p, v| p.require_message_id = v/>
                <Toggle field="helo_required" label="Require HELO/EHLO first" help="MAIL before a greeting gets 503." get=|p| p.helo_required set=|p, v| p.helo_required = v/>
                <Toggle
                    field="delivery"
                    label="Deliver after the 250"
                    help="Route remote recipients through the simulated zone (accepts.example, nouser.example, full.example, greylist.example ...) with SPF, DKIM and DMARC at the receiver, and bounce failures to MAIL FROM. Off: keep every message and stop there, as a capture server does."
                    get=|p| p.delivery == DeliveryMode::Simulate
                    set=|p, v| p.delivery = if v { DeliveryMode::Simulate } else { DeliveryMode::Capture }
                />
                <Toggle
                    field="bare_line_feed"
                    label="A bare LF ends a line in DATA"
                    help="As Postfix 3.7 does: LF . CR LF then ends the message and what follows is read as commands (SMTP smuggling). Off: only CR LF . CR LF ends it."
                    get=|p| p.bare_line_feed == BareLineFeed::LineEnd
                    set=|p, v| p.bare_line_feed = if v { BareLineFeed::LineEnd } else { BareLineFeed::Content }
                />
            </fieldset>
            <super::fault_rules::FaultRules/>
            <fieldset>
                <legend>"VRFY"</legend>
                <div class="knob wide">
                    <label for="knob-vrfy">"How VRFY answers"</label>
                    <select
                        id="knob-vrfy"
                        on:change=move |ev| {
                            let v = match event_target_value(&ev).as_str() {
                                "disabled" => VrfyPolicy::Disabled,
                                "verify" => VrfyPolicy::Verify,
                                _ => VrfyPolicy::Ambiguous,
                            };
                            let _ = update(pg, |p| p.vrfy = v);
                        }
                    >
                        {[("verify", "Truthfully (250/252 or 550): enumeration possible"), ("ambiguous", "252 for everyone: cannot verify"), ("disabled", "Disabled (502)")]
                            .into_iter()
                            .map(|(value, text)| {
                                let selected = move || pg.with_config(|c| {
                                    let v = c.policy.vrfy;
                                    matches!((v, value), (VrfyPolicy::Verify, "verify") | (VrfyPolicy::Ambiguous, "ambiguous") | (VrfyPolicy::Disabled, "disabled"))
                                });
                                view! { <option value=value selected=selected>{text}</option> }
                            })
                            .collect_view()}
                    </select>
                    <p class="help">"VRFY lets anyone check which accounts exist; most servers hide that. (applies now)"</p>
                </div>
            </fieldset>
            </fieldset>
        </form>
    }
}

/// In mock mode on a server the teacher keeps read-only: why, and (with an admin token) a way in.
/// "Load a profile file": a teacher's own server (TOML: a base profile, the settings and the
/// persona that differ), read here and applied as a profile is; a broken file is named with its
/// line or field, and nothing changes.
#[component]
fn ProfileFile() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let said = RwSignal::new(None::<Result<String, String>>);
    let own = move || pg.with_config(|c| c.persona.as_ref().map(|_| c.profile.id()));
    let load = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        let name = file.name();
        leptos::task::spawn_local(async move {
            let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|text| text.as_string()) {
                Some(text) => text,
                None => return said.set(Some(Err(format!("{name}: the file could not be read; choose it again")))),
            };
            match crate::model::profile_file::read(&name, &text) {
                Ok(loaded) => {
                    let title = loaded.title.clone().unwrap_or_else(|| name.clone());
                    let base = loaded.config.profile.id();
                    pg.configure(loaded.config);
                    said.set(Some(Ok(format!("Loaded {title} (based on {base}): replies use its words at once, its banner and EHLO list at the next connection."))));
                }
                Err(problem) => said.set(Some(Err(format!("{problem}. Nothing was changed.")))),
            }
        });
    };
    view! {
        <div class="knob wide">
            <label for="profile-file">"Load a profile file (TOML)"</label>
            <input id="profile-file" type="file" accept=".toml,text/plain" on:change=load/>
            <p class="help">"Your own server, described as data: a base profile, the settings and the reply words that differ (docs/profiles.md; profiles/exim-strict.toml is an example). Share links and saved sessions carry it."</p>
            {move || own().map(|base| view! { <p class="help" role="note">{format!("This server speaks with its own words and EHLO list, from a profile file (based on {base}).")}</p> })}
            {move || said.get().map(|said| match said {
                Ok(text) => view! { <p class="loaded" role="status">{text}</p> }.into_any(),
                Err(text) => view! { <p class="error" role="alert">{text}</p> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn ReadOnlyNote() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let token = RwSignal::new(String::new());
    view! {
        {move || pg.read_only().map(|(reason, unlockable)| view! {
            <div class="read-only" role="note">
                <p>{reason}</p>
                {unlockable.then(|| view! {
                    <div class="unlock">
                        <label>"Admin token " <input type="password" autocomplete="off" aria-label="Admin token" on:input=move |ev| token.set(event_target_value(&ev))/></label>
                        <button type="button" on:click=move |_| pg.unlock(token.get_untracked())>"Unlock"</button>
                    </div>
                })}
            </div>
        })}
    }
}
