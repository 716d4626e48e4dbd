//! Guided exercises: the list with each one's state, and the exercise being worked on, checked
//! step by step from the session's events.

use crate::model::course::State;
use crate::model::simulated::SimulatedSession;
use crate::state::{Mode, Playground, now_ms};
use leptos::prelude::*;
use smtp_protocol::exercise::{Check, Exercise, Progress, answer_verdict, evaluate, evaluate_observed};
use smtp_protocol::script::Directive;

fn progress_of(pg: Playground, exercise: &Exercise) -> Progress {
    let id = exercise.id.clone();
    let answers = pg.course.with(|c| c.answers.get(&id).cloned().unwrap_or_default());
    if exercise.needs_bridge {
        return pg.real.with(|real| evaluate_observed(exercise, &real.observed, &|step| answers.get(&step).cloned()));
    }
    pg.simulated.with(|session| {
        let messages = |queue_id: &str| session.messages().iter().find(|m| m.queue_id == queue_id).map(|m| m.raw.clone());
        evaluate(exercise, &session.console.events, &messages, &|step| answers.get(&step).cloned())
    })
}

/// Starts (or restarts) an exercise: a fresh session on the server it needs.
/// An exercise that needs the bridge switches the console to the real-server mode instead.
pub(super) fn start(pg: Playground, exercise: &Exercise) {
    let Ok(config) = exercise.config() else { return };
    pg.course.update(|c| c.start(&exercise.id));
    if exercise.needs_bridge {
        pg.reset_real();
        pg.choose_mode(Mode::Real);
    } else {
        let kept = pg.simulated.with_untracked(|s| s.messages().len());
        pg.choose_mode(Mode::Simulated);
        pg.simulated.set(SimulatedSession::new(config, now_ms()));
        if kept > 0 {
            pg.banner.set(Some(format!(
                "The exercise started a new session with its own server ({}), so the Mailbox starts empty: the {kept} earlier message(s) went with the old session.",
                exercise.profile.title()
            )));
        }
    }
    pg.selected.set(None);
}

#[component]
pub(super) fn ExercisePanel() -> impl IntoView {
    let pg = expect_context::<Playground>();
    pg.load_teacher_exercises();
    let active = move || {
        let id = pg.course.with(|c| c.active.clone())?;
        pg.all_exercises().into_iter().filter_map(Result::ok).find(|e| e.id == id)
    };
    view! {
        <div class="exercises">
            {move || match active() {
                Some(exercise) => view! { <ExerciseView exercise=exercise/> }.into_any(),
                None => view! { <ExerciseList/> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn ExerciseList() -> impl IntoView {
    let pg = expect_context::<Playground>();
    view! { {move || view! { <ExerciseItems all=pg.all_exercises()/> }} }
}

/// The list, built again when the teacher's exercises arrive.
#[component]
fn ExerciseItems(all: Vec<Result<Exercise, smtp_protocol::exercise::ExerciseError>>) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let ids: Vec<String> = all.iter().filter_map(|e| e.as_ref().ok()).map(|e| e.id.clone()).collect();
    let next = move || pg.course.with(|c| c.next(ids.iter().map(String::as_str)).map(str::to_string));
    let done = move || pg.course.with(|c| c.states.values().filter(|s| **s == State::Done).count());
    // A broken file is shown, not counted.
    let total = all.iter().filter(|e| e.is_ok()).count();
    view! {
        <p class="course-summary">{move || format!("{} of {total} exercises done.", done())}</p>
        <ol class="exercise-list" aria-label="Exercises">
            {all
                .into_iter()
                .map(|item| match item {
                    Ok(exercise) => {
                        let id = exercise.id.clone();
                        let id_for_state = id.clone();
                        let state = Memo::new(move |_| pg.course.with(|c| c.state(&id_for_state)));
                        let is_next = {
                            let next = next.clone();
                            Memo::new(move |_| next().as_deref() == Some(id.as_str()))
                        };
                        let title = exercise.title.clone();
                        let goal = exercise.goal.clone();
                        let label = format!("Start: {title}");
                        view! {
                            <li class="exercise-item" class:next=move || is_next.get()>
                                <div>
                                    <strong>{title}</strong>
                                    <span class=move || format!("state {:?}", state.get()).to_lowercase()>{move || state.get().label()}</span>
                                    {move || is_next.get().then(|| view! { <span class="state next-badge">"Next"</span> })}
                                    <p>{goal}</p>
                                </div>
                                <button type="button" aria-label=label on:click=move |_| start(pg, &exercise)>
                                    {move || if state.get() == State::NotStarted { "Start" } else { "Open" }}
                                </button>
                            </li>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <li class="exercise-item broken" role="alert">{format!("This exercise could not be loaded: {error}")}</li> }.into_any(),
                })
                .collect_view()}
        </ol>
    }
}

#[component]
fn ExerciseView(exercise: Exercise) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let stored = StoredValue::new(exercise.clone());
    let progress = Memo::new(move |_| stored.with_value(|e| progress_of(pg, e)));
    // Record completion once the last step is done.
    Effect::new(move |_| {
        if progress.with(|p| p.complete) {
            let id = stored.with_value(|e| e.id.clone());
            if pg.course.with_untracked(|c| c.state(&id)) != State::Done {
                pg.course.update(|c| c.finish(&id));
            }
        }
    });
    let next_exercise = move || {
        let all: Vec<Exercise> = pg.all_exercises().into_iter().filter_map(Result::ok).collect();
        let next_id = pg.course.with(|c| c.next(all.iter().map(|e| e.id.as_str())).map(str::to_string))?;
        all.into_iter().find(|e| e.id == next_id)
    };
    let steps = exercise.steps.clone();
    let solution = exercise.solution.clone();
    view! {
        <article class="exercise" aria-label=format!("Exercise: {}", exercise.title)>
            <div class="exercise-bar">
                <button type="button" on:click=move |_| pg.course.update(|c| c.active = None)>"All exercises"</button>
                <button type="button" on:click=move |_| stored.with_value(|e| start(pg, e))>"Restart exercise"</button>
            </div>
            <h2>{exercise.title.clone()}</h2>
            {exercise.needs_bridge.then(|| view! {
                <p class="bridge-note" role="note">
                    "This exercise runs against a real server through smtp-bridge: the console is in "
                    <strong>"Real server (bridge)"</strong>
                    " mode. Without a bridge, the console says how to start one."
                </p>
            })}
            <p class="goal">{exercise.goal.clone()}</p>
            <details class="background" open=true>
                <summary>"Background"</summary>
                <p>{exercise.background.clone()}</p>
                <p class="help">{exercise.rfc.join(" · ")}</p>
            </details>
            <ol class="steps" aria-label="Steps">
                {steps
                    .into_iter()
                    .enumerate()
                    .map(|(index, step)| {
                        let status = move || {
                            let done = progress.with(|p| p.done);
                            if index < done { "done" } else if index == done { "current" } else { "todo" }
                        };
                        let question = match step.check.clone() {
                            Check::Answer { question, accept } => Some((question, accept)),
                            _ => None,
                        };
                        view! {
                            <li class=move || format!("step {}", status())>
                                <span class="mark" aria-hidden="true">{move || match status() { "done" => "✓", "current" => "→", _ => "·" }}</span>
                                <span>{step.text.clone()}</span>
                                <span class="visually-hidden">{move || match status() { "done" => " (done)", "current" => " (current step)", _ => " (to do)" }}</span>
                                {question.map(|(q, accept)| view! { <AnswerBox index=index question=q accept=accept exercise_id=stored.with_value(|e| e.id.clone())/> })}
                                {step.hint.clone().map(|h| view! { <Show when=move || status() == "current"><p class="step-hint">{h.clone()}</p></Show> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <div class="exercise-feedback" role="status">
                {move || progress.with(|p| p.hint.clone()).map(|h| view! { <p class="hint">{h}</p> })}
                {move || progress.with(|p| p.stuck.clone()).map(|why| view! {
                    <div class="stuck">
                        <p>{why}</p>
                        <button type="button" on:click=move |_| stored.with_value(|e| start(pg, e))>"Restart exercise"</button>
                        {(!stored.with_value(|e| e.needs_bridge)).then(|| view! {
                            <button type="button" on:click=move |_| pg.apply(crate::model::simulated::Input::Reconnect { at: now_ms() })>"Reconnect"</button>
                        })}
                    </div>
                })}
                {move || progress.with(|p| p.complete).then(|| view! {
                    <p class="complete">"Exercise complete. Well done!"</p>
                    {next_exercise().map(|e| {
                        let title = e.title.clone();
                        view! { <button type="button" class="primary" on:click=move |_| start(pg, &e)>{format!("Next: {title}")}</button> }
                    })}
                })}
            </div>
            <details class="solution">
                <summary>"Show solution"</summary>
                <pre>
                    {solution
                        .iter()
                        .map(|entry| match Directive::parse(entry) {
                            Ok(step) => format!("{}\n", step.for_student()),
                            Err(_) => format!("{entry}\n"),
                        })
                        .collect::<String>()}
                </pre>
            </details>
        </article>
    }
}

#[component]
fn AnswerBox(index: usize, question: String, accept: Vec<String>, exercise_id: String) -> impl IntoView {
    let pg = expect_context::<Playground>();
    let id = format!("answer-{index}");
    let given = {
        let exercise_id = exercise_id.clone();
        move || pg.course.with(|c| c.answer(&exercise_id, index))
    };
    let value = RwSignal::new(given().unwrap_or_default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let answer = value.get_untracked();
        let exercise_id = exercise_id.clone();
        pg.course.update(|c| {
            c.answers.entry(exercise_id).or_default().insert(index, answer);
        });
    };
    // A wrong answer is said to be wrong (the step's hint stands under it while it is current).
    let verdict = move || {
        let answer = given();
        match answer_verdict(&accept, answer.as_deref()) {
            Some(true) => Some(("right", "Right.".to_string())),
            Some(false) => Some(("wrong", format!("\u{201c}{}\u{201d} is not it: look again, the hint below says where.", answer.unwrap_or_default().trim()))),
            None => None,
        }
    };
    view! {
        <form class="answer" on:submit=submit>
            <label for=id.clone()>{question}</label>
            <input type="text" id=id prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            <button type="submit">"Check answer"</button>
            <span class="verdict" role="status">{move || verdict().map(|(class, text)| view! { <span class=class>{text}</span> })}</span>
        </form>
    }
}
