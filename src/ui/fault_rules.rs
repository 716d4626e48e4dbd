//! The Server tab's fault rules: the server answers what they say, first match wins. Add, edit,
//! remove, or start from a preset for the usual lessons.

use crate::state::Playground;
use leptos::prelude::*;
use smtp_protocol::ServerConfig;
use smtp_protocol::fault::FaultRule;

/// The usual lessons: (what it shows, the rule).
const PRESETS: [(&str, &str); 8] = [
    ("Mailbox full on the second recipient (4xx: the client keeps the others)", "rcpt#2 => 452 4.2.2 Mailbox full"),
    ("A full domain refuses for good (5xx)", "rcpt *@full.example => 552 5.2.2 Mailbox full"),
    ("Server busy at the greeting (421, then it hangs up)", "greeting => 421 4.3.2 Try again later"),
    ("Slow server: 2 s before MAIL is answered", "mail => delay 2000"),
    ("Connection dropped in the middle of DATA", "data after 1000 octets => close"),
    ("Greylisting: the first try of each recipient", "rcpt => greylist 60"),
    ("The message refused as spam after the final dot", "message => 554 5.7.1 Message rejected as spam"),
    ("Too many messages on one connection", "mail after 2 messages => 421 4.7.0 Too many messages, reconnect"),
];

/// Replaces the teacher's rules (what-if rules of a branch are kept after them); `Err` says why
/// not, and nothing changes.
fn set_rules(pg: Playground, change: impl FnOnce(&mut Vec<FaultRule>) -> Result<(), String>) -> Result<(), String> {
    let mut config = untrack(|| pg.with_config(ServerConfig::clone));
    let (what_ifs, mut rules): (Vec<FaultRule>, Vec<FaultRule>) = config.policy.faults.drain(..).partition(|r| r.what_if);
    change(&mut rules)?;
    config.policy.faults = what_ifs.into_iter().chain(rules).collect();
    config.policy.check().map_err(|problem| problem.message)?;
    pg.configure(config);
    Ok(())
}

fn parse(text: &str) -> Result<FaultRule, String> {
    FaultRule::parse(text.trim()).map_err(|e| e.to_string())
}

#[component]
pub(super) fn FaultRules() -> impl IntoView {
    let pg = expect_context::<Playground>();
    let rules = Memo::new(move |_| pg.with_config(|c| c.policy.faults.iter().filter(|r| !r.what_if).map(|r| r.rule.clone()).collect::<Vec<_>>()));
    let new_rule = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let preset = RwSignal::new(PRESETS[0].1.to_string());
    let add = move |text: String| {
        let result = parse(&text).and_then(|rule| {
            set_rules(pg, |rules| {
                rules.push(rule);
                Ok(())
            })
        });
        match result {
            Ok(()) => {
                error.set(None);
                new_rule.set(String::new());
            }
            Err(why) => error.set(Some(why)),
        }
    };
    view! {
        <fieldset class="fault-rules">
            <legend>"Fault rules"</legend>
            <p class="help">
                "Make the server fail on purpose, the same way every time: the first rule that matches a command or moment decides the reply. "
                "A rule reads " <code>"TRIGGER => ACTION"</code> ", e.g. " <code>"rcpt#2 => 452 4.2.2 Mailbox full"</code> ", "
                <code>"greeting => 421 4.3.2 Try again later"</code> ", " <code>"mail => delay 2000"</code> ", " <code>"data after 1000 octets => close"</code>
                ". (applies from the next command; a greeting rule at the next connection)"
            </p>
            <ol class="rule-list">
                {move || rules.get().into_iter().enumerate().map(|(i, text)| view! { <RuleRow index=i text=text error=error/> }).collect_view()}
            </ol>
            <form class="rule-add" on:submit=move |ev| { ev.prevent_default(); add(new_rule.get_untracked()); }>
                <label>"New fault rule " <input type="text" placeholder="rcpt#2 => 452 4.2.2 Mailbox full" prop:value=move || new_rule.get() on:input=move |ev| new_rule.set(event_target_value(&ev))/></label>
                <button type="submit">"Add rule"</button>
            </form>
            <div class="rule-presets">
                <label>
                    "Preset "
                    <select on:change=move |ev| preset.set(event_target_value(&ev))>
                        {PRESETS.into_iter().map(|(what, rule)| view! { <option value=rule>{format!("{what}: {rule}")}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" on:click=move |_| add(preset.get_untracked())>"Add preset"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </fieldset>
    }
}

/// One rule: its text, editable in place, and its Remove button.
#[component]
fn RuleRow(index: usize, text: String, error: RwSignal<Option<String>>) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let number = index + 1;
    view! {
        <li>
            <input
                type="text"
                aria-label=format!("Fault rule {number}")
                value=text
                on:change=move |ev| {
                    let result = parse(&event_target_value(&ev)).and_then(|rule| set_rules(pg, |rules| {
                        let slot = rules.get_mut(index).ok_or("That rule is gone.")?;
                        *slot = rule;
                        Ok(())
                    }));
                    error.set(result.err().map(|why| format!("Rule {number} unchanged: {why}")));
                }
            />
            <button type="button" aria-label=format!("Remove fault rule {number}") on:click=move |_| {
                let result = set_rules(pg, |rules| {
                    if index < rules.len() {
                        rules.remove(index);
                    }
                    Ok(())
                });
                error.set(result.err());
            }>"Remove"</button>
        </li>
    }
}
