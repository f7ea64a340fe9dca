//! The one error type of server functions. It crosses the wire, so it holds
//! translation keys, never database text; internal causes are logged on the
//! server and reach the user as a generic message.

use crate::i18n::Msg;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Field name -> message keys.
    #[error("invalid input")]
    Validation(Vec<(String, Msg)>),
    #[error("conflict")]
    Conflict(Msg),
    /// A user-facing refusal with its own message (bad credentials, throttling).
    #[error("refused")]
    Refused(Msg),
    #[error("internal error")]
    Internal,
    #[error("request error: {0}")]
    Request(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // Malformed arguments and the like: the caller's fault, a 400.
        let err = AppError::Request(value.to_string());
        #[cfg(feature = "ssr")]
        let err = respond(err);
        err
    }
}

impl AppError {
    pub fn field(field: &str, msg: Msg) -> AppError {
        AppError::Validation(vec![(field.to_string(), msg)])
    }

    /// The headline message to show the user.
    pub fn message(&self) -> Msg {
        match self {
            AppError::Unauthorized => Msg::NotSignedIn,
            AppError::Forbidden => Msg::Forbidden,
            AppError::NotFound => Msg::NotFound,
            AppError::Validation(_) => Msg::InvalidInput,
            AppError::Conflict(m) | AppError::Refused(m) => *m,
            AppError::Internal | AppError::Request(_) => Msg::InternalError,
        }
    }

    pub fn field_message(&self, field: &str) -> Option<Msg> {
        match self {
            AppError::Validation(fields) => fields.iter().find(|(f, _)| f == field).map(|(_, m)| *m),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Validation(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::Refused(Msg::TooManyAttempts) => 429,
            AppError::Refused(_) => 400,
            AppError::Request(_) => 400,
            AppError::Internal => 500,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    impl AppError {
        /// Logs the full cause chain and hides it from the user.
        pub fn internal(err: impl Into<anyhow::Error>) -> AppError {
            let err = err.into();
            tracing::error!(error = ?err, "internal error");
            AppError::Internal
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(err: sqlx::Error) -> Self {
            if let sqlx::Error::RowNotFound = err {
                return AppError::NotFound;
            }
            AppError::internal(err)
        }
    }
}

/// Whether the current request is a plain HTML form post or page load (as
/// opposed to a `fetch` from the wasm bundle).
#[cfg(feature = "ssr")]
pub fn wants_html() -> bool {
    leptos::prelude::use_context::<leptos_actix::Request>()
        .and_then(|req| req.headers().get("accept").and_then(|v| v.to_str().ok()).map(|a| a.contains("text/html")))
        .unwrap_or(false)
}

/// Sets the HTTP status of an API call to match the error. Plain form posts
/// keep the redirect server functions use to report errors without wasm.
#[cfg(feature = "ssr")]
pub fn respond(err: AppError) -> AppError {
    if !wants_html() {
        if let Some(opts) = leptos::prelude::use_context::<leptos_actix::ResponseOptions>() {
            if let Ok(code) = actix_web::http::StatusCode::from_u16(err.status()) {
                opts.set_status(code);
            }
        }
    }
    err
}

/// Plain actix routes (PDF download, language switch) answer with the same
/// error type; the body is a translated-neutral short text.
#[cfg(feature = "ssr")]
impl actix_web::ResponseError for AppError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::build(self.status_code()).content_type("text/plain; charset=utf-8").body(format!(
            "{} / {}",
            self.message().text(crate::domain::Locale::Fr),
            self.message().text(crate::domain::Locale::En)
        ))
    }
}
