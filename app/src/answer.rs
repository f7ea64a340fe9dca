//! How every server function answers, in one place. Its body runs inside
//! [`serve`], which sets the HTTP status of an error for API callers (and
//! leaves plain HTML forms their error redirect) and, when a plain form
//! posted a write, redirects to the page the write names. A write answers
//! [`Done`]: what it created or changed, and that page.
//!
//! `serve` only accepts an [`Answer`], so a new output type says once
//! whether it names a next page; a server function cannot forget either
//! half (the authorization matrix asserts every denial's exact status).

use crate::i18n::Msg;
use serde::{Deserialize, Serialize};

/// What a server function returns.
pub trait Answer {
    /// The page a plain HTML form lands on after this write.
    fn next(&self) -> Option<&str> {
        None
    }
}

/// A write's answer: what it created or changed, then where to look.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Done<T = ()> {
    pub value: T,
    /// A same-site path (the created object's page, or the list it joined).
    pub next: String,
}

impl<T> Done<T> {
    pub fn new(value: T, next: impl Into<String>) -> Self {
        Done { value, next: next.into() }
    }
}

impl<T> Answer for Done<T> {
    fn next(&self) -> Option<&str> {
        Some(&self.next)
    }
}

/// An object a write created or changed: its id and the status it now has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created<S> {
    pub id: i64,
    pub status: S,
}

// Reads and writes that stay on their page (a plain form lands back on it).
impl Answer for () {}
impl Answer for Msg {}
impl Answer for String {}
impl<T> Answer for Vec<T> {}

/// Declares read models as answers without a next page.
#[macro_export]
macro_rules! reads {
    ($($t:ty),* $(,)?) => { $(impl $crate::answer::Answer for $t {})* };
}

/// Runs a server function's body: the error's HTTP status for API callers,
/// and for a plain form's write the redirect to its next page.
#[cfg(feature = "ssr")]
pub async fn serve<T: Answer>(
    body: impl std::future::Future<Output = crate::error::AppResult<T>>,
) -> crate::error::AppResult<T> {
    match body.await {
        Ok(answer) => {
            if let Some(next) = answer.next().filter(|_| crate::error::wants_html()) {
                leptos_actix::redirect(next);
            }
            Ok(answer)
        }
        Err(err) => {
            if let Some(req) = leptos::prelude::use_context::<leptos_actix::Request>() {
                use actix_web::HttpMessage;
                req.extensions_mut().insert(RenderFailed);
            }
            Err(crate::error::respond(err))
        }
    }
}

/// Left in the request by a server function that failed: a page rendered
/// with that error in it is not kept (`server::page_cache`).
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug)]
pub struct RenderFailed;
