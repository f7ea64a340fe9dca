//! The collector's day: the calls, letters and tasks reminder steps left,
//! due today or before, for the caller's accounts (all of them for the
//! owner), the largest and latest debts first; an outcome in two clicks.

use crate::answer::Done;
use crate::domain::Money;
use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a task asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Call,
    Letter,
    Task,
}

impl TaskKind {
    pub const ALL: [TaskKind; 3] = [TaskKind::Call, TaskKind::Letter, TaskKind::Task];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Call => "call",
            TaskKind::Letter => "letter",
            TaskKind::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn msg(self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            TaskKind::Call => Msg::ChannelCall,
            TaskKind::Letter => Msg::ChannelLetter,
            TaskKind::Task => Msg::ChannelTask,
        }
    }
}

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Spoke to the client: what was agreed goes in the note; a date they
    /// promised records their promise on every overdue invoice at once.
    Reached,
    LeftMessage,
    WrongNumber,
    /// To call again on a date: a new task that day.
    CallBack,
    /// Done (a letter posted, a task carried out).
    Done,
}

impl Outcome {
    pub const ALL: [Outcome; 5] =
        [Outcome::Reached, Outcome::LeftMessage, Outcome::WrongNumber, Outcome::CallBack, Outcome::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Reached => "reached",
            Outcome::LeftMessage => "left_message",
            Outcome::WrongNumber => "wrong_number",
            Outcome::CallBack => "call_back",
            Outcome::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn msg(self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            Outcome::Reached => Msg::OutcomeReached,
            Outcome::LeftMessage => Msg::OutcomeLeftMessage,
            Outcome::WrongNumber => Msg::OutcomeWrongNumber,
            Outcome::CallBack => Msg::OutcomeCallBack,
            Outcome::Done => Msg::OutcomeDone,
        }
    }
}

/// One task of the day, with its account's context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    pub id: i64,
    pub kind: TaskKind,
    /// The reminder that left it (a letter's PDF), if one did.
    pub reminder_id: Option<i64>,
    pub due_on: NaiveDate,
    pub note: String,
    pub account_id: i64,
    pub account_name: String,
    pub phone: String,
    pub overdue: Money,
    /// Days since the oldest open invoice fell due.
    pub days_late: i64,
}

crate::reads!(TodoItem);

/// Today's open tasks, ranked by amount overdue × days late.
#[server(endpoint = "reminders/todo")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_todo() -> Result<Vec<TodoItem>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::todo::list(&state, &principal).await
    })
    .await
}

/// Records a task's outcome (the owner, or the account's collector).
#[server(endpoint = "reminders/task_done")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(task = id)))]
pub async fn complete_task(
    id: i64,
    outcome: String,
    #[server(default)] note: String,
    #[server(default)] call_back_on: String,
    #[server(default)] promised_on: String,
) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let form = super::ssr::todo::OutcomeForm { outcome, note, call_back_on, promised_on };
        super::ssr::todo::complete(&state, &principal, id, form).await?;
        Ok(Done::new((), "/back/todo"))
    })
    .await
}
