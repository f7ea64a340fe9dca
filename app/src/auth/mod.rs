//! Signing in and out, password set-up and reset, and the `Principal` every
//! server function starts from (see `ssr`).

use crate::components::{ErrorMessage, FieldError};
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, use_locale, Msg};
use crate::shell::PageCtx;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "ssr")]
pub mod ssr;

/// State and caller of the current server function; `Unauthorized` when
/// nobody is signed in. Called inside `answer::serve`, which sets the
/// status code for API callers.
#[cfg(feature = "ssr")]
pub async fn ssr_context() -> Result<(crate::state::AppState, ssr::Principal), AppError> {
    let state = crate::state::app_state()?;
    let principal = ssr::require_principal().await?;
    Ok((state, principal))
}

/// Only same-site relative paths may be used as a destination after login
/// or a language switch: a leading `/`, no `//` or `/\\` (another host), and
/// only URL-safe characters (browsers drop tabs and newlines, which would
/// otherwise turn `/\t/evil` into `//evil`).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/-_.~?=&%+,;:@!$'()*".contains(c);
    (next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2000
        && next.chars().all(allowed))
    .then(|| next.to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/portal/invoices?filter=all&page=2")).as_deref(),
            Some("/portal/invoices?filter=all&page=2")
        );
        for bad in
            ["//evil.example", "/\\evil.example", "https://evil.example", "/\t/evil.example", "/\n/x", "evil", "/é", ""]
        {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?} accepted");
        }
        assert_eq!(safe_next(None), None);
    }
}

pub fn home_for(role: Role) -> &'static str {
    if role.is_staff() {
        "/back/accounts"
    } else {
        "/portal"
    }
}

/// The caller's address, as the throttles see it.
#[cfg(feature = "ssr")]
fn request_ip(state: &crate::state::AppState) -> String {
    use_context::<leptos_actix::Request>().map(|req| ssr::client_ip(&state.auth, &req)).unwrap_or_default()
}

/// Signs in; returns where to go next.
#[server(endpoint = "auth/login")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<crate::answer::Done, AppError> {
    crate::answer::serve(async move {
        use crate::with_db;
        use actix_web::http::header::{HeaderValue, SET_COOKIE};

        let state = crate::state::app_state()?;
        let req = use_context::<leptos_actix::Request>().ok_or(AppError::Internal)?;
        let ip = ssr::client_ip(&state.auth, &req);
        let user_agent = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let email_norm = email.trim().to_lowercase();
        if email_norm.is_empty() || password.is_empty() {
            return Err(AppError::Refused(Msg::BadCredentials));
        }
        let now = state.clock.now();
        let ip_attempt = ssr::attempt(&state.db, ssr::Limit::LoginIp, &ip, now).await?;
        let email_attempt = ssr::attempt(&state.db, ssr::Limit::LoginEmail, &email_norm, now).await?;

        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            password_hash: Option<String>,
            role: String,
            active: bool,
        }
        let row: Option<Row> = with_db!(&state.db, |pool| {
            sqlx::query_as("SELECT id, password_hash, role, active FROM users WHERE email = $1")
                .bind(&email_norm)
                .fetch_optional(pool)
                .await
        })?;
        let hash = row.as_ref().filter(|r| r.active).and_then(|r| r.password_hash.clone());
        let ok = ssr::verify_password(password, hash).await?;
        let Some(user) = row.filter(|_| ok) else {
            // The attempts stay recorded: they are the failures that throttle.
            tracing::info!(ip = %ip, "failed login");
            return Err(AppError::Refused(Msg::BadCredentials));
        };
        ssr::forgive(&state.db, &email_attempt, true).await?;
        ssr::forgive(&state.db, &ip_attempt, false).await?;
        let token = ssr::create_session(&state, user.id, &ip, &user_agent).await?;
        let entry =
            ssr::Audit::new(Some(user.id), crate::audit::AuditAction::AuthLogin, ("user", Some(user.id))).ip(&ip);
        ssr::audit((&state.db).into(), state.clock.now(), entry).await?;

        let opts = expect_context::<leptos_actix::ResponseOptions>();
        let cookie = ssr::session_cookie(&state.auth, &token, state.auth.session_ttl.num_seconds());
        opts.append_header(SET_COOKIE, HeaderValue::from_str(&cookie).map_err(AppError::internal)?);
        let role = Role::parse(&user.role).ok_or(AppError::Internal)?;
        let target = safe_next(next.as_deref()).unwrap_or_else(|| home_for(role).to_string());
        Ok(crate::answer::Done::new((), target))
    })
    .await
}

#[component]
pub fn HomeRedirect() -> impl IntoView {
    let ctx = PageCtx::current();
    let path = match ctx.viewer {
        Some(v) => home_for(v.role).to_string(),
        None => "/login".to_string(),
    };
    view! { <Redirect path=path/> }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = PageCtx::current();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let reset_done = move || query.read().get("done").is_some();
    let login = ServerAction::<Login>::new();
    let error = move || login.value().get().and_then(|r| r.err());
    // With wasm loaded the action runs in the background: load the next page
    // fully so the header reflects the new session.
    crate::components::follow_target!(login);
    if let Some(v) = ctx.viewer {
        return view! { <Redirect path=home_for(v.role)/> }.into_any();
    }
    let locale = ctx.locale;
    view! {
        <Title text=Msg::LoginTitle.text(locale)/>
        <main id="main" class="auth-card">
            <div class="lang-corner"><crate::components::LanguageSwitch/></div>
            <h1>"Relance"</h1>
            <h2>{t(Msg::LoginTitle)}</h2>
            <p class="muted">{t(Msg::LoginIntro)}</p>
            {move || reset_done().then(|| view! { <p class="alert ok" role="status">{t(Msg::PasswordSaved)}</p> })}
            {move || error().map(|e| view! { <ErrorMessage error=e/> })}
            <ActionForm action=login attr:class="stack" attr:data-testid="login-form">
                <input type="hidden" name="next" value=next/>
                <label>{t(Msg::Email)}
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>{t(Msg::Password)}
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" class="primary" disabled=move || login.pending().get()>{t(Msg::SignIn)}</button>
            </ActionForm>
            <p><a href="/forgot">{t(Msg::ForgotPassword)}</a></p>
        </main>
    }
    .into_any()
}

/// Starts a password reset. Answers the same whether or not the address is
/// known, so it cannot be used to discover accounts.
#[server(endpoint = "auth/request_reset")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn request_reset(email: String) -> Result<(), AppError> {
    crate::answer::serve(async move {
        let state = crate::state::app_state()?;
        let Some(email) = crate::domain::EmailAddress::parse(&email) else {
            return Err(AppError::field("email", Msg::InvalidEmail));
        };
        let now = state.clock.now();
        ssr::attempt(&state.db, ssr::Limit::LinkIp, &request_ip(&state), now).await?;
        ssr::attempt(&state.db, ssr::Limit::ResetEmail, email.as_ref(), now).await?;
        ssr::start_reset(&state, &email).await?;
        Ok(())
    })
    .await
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let action = ServerAction::<RequestReset>::new();
    let locale = use_locale();
    let result = move || action.value().get();
    view! {
        <Title text=move || Msg::ResetTitle.text(locale.get())/>
        <main id="main" class="auth-card">
            <h1>{t(Msg::ResetTitle)}</h1>
            <p class="muted">{t(Msg::ResetIntro)}</p>
            {move || match result() {
                Some(Ok(())) => Some(view! { <p class="alert ok" role="status">{t(Msg::ResetSent)}</p> }.into_any()),
                Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                None => None,
            }}
            <ActionForm action=action attr:class="stack">
                <label>{t(Msg::Email)}<input type="email" name="email" required autocomplete="email"/></label>
                <button type="submit" class="primary">{t(Msg::SendResetLink)}</button>
            </ActionForm>
            <p><a href="/login">{t(Msg::BackToLogin)}</a></p>
        </main>
    }
}

/// Sets a password from an invitation or reset link (single use, expiring).
#[server(endpoint = "auth/complete_token")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn complete_token(token: String, password: String, confirm: String) -> Result<crate::answer::Done, AppError> {
    crate::answer::serve(async move {
        let state = crate::state::app_state()?;
        ssr::attempt(&state.db, ssr::Limit::LinkIp, &request_ip(&state), state.clock.now()).await?;
        ssr::validate_new_password(&password, &confirm)?;
        ssr::complete_token(&state, &token, password).await?;
        Ok(crate::answer::Done::new((), "/login?done=1"))
    })
    .await
}

#[component]
pub fn TokenPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let action = ServerAction::<CompleteToken>::new();
    let locale = use_locale();
    let err = move || action.value().get().and_then(|r| r.err());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(Ok(done)) = action.value().get() {
            let _ = window().location().assign(&done.next);
        }
    });
    view! {
        <Title text=move || Msg::ChooseNewPassword.text(locale.get())/>
        <main id="main" class="auth-card">
            <h1>{t(Msg::ChooseNewPassword)}</h1>
            {move || err().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            <ActionForm action=action attr:class="stack">
                <input type="hidden" name="token" value=token/>
                <PasswordFields err=Signal::derive(err)/>
                <button type="submit" class="primary">{t(Msg::SavePassword)}</button>
            </ActionForm>
        </main>
    }
}

#[component]
fn PasswordFields(err: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <label>{t(Msg::NewPassword)}
            <input type="password" name="password" required minlength="10" autocomplete="new-password"/>
            <FieldError error=err name="password"/>
        </label>
        <label>{t(Msg::ConfirmPassword)}
            <input type="password" name="confirm" required minlength="10" autocomplete="new-password"/>
            <FieldError error=err name="confirm"/>
        </label>
    }
}

/// Changes the caller's password and signs out its other sessions.
#[server(endpoint = "auth/change_password")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn change_password(current: String, password: String, confirm: String) -> Result<(), AppError> {
    crate::answer::serve(async move {
        let (state, principal) = ssr_context().await?;
        ssr::validate_new_password(&password, &confirm)?;
        ssr::change_password(&state, &principal, current, password).await
    })
    .await
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let err = move || action.value().get().and_then(|r| r.err());
    const ALL: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant, Role::Client];
    view! {
        <crate::components::Page roles=ALL title=Msg::ChangePassword>
            <section class="narrow">
                <h1>{t(Msg::ChangePassword)}</h1>
                {move || match action.value().get() {
                    Some(Ok(())) => Some(view! { <p class="alert ok" role="status">{t(Msg::PasswordChanged)}</p> }.into_any()),
                    Some(Err(e)) if !matches!(e, AppError::Validation(_)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                    _ => None,
                }}
                <ActionForm action=action attr:class="stack">
                    <label>{t(Msg::CurrentPassword)}
                        <input type="password" name="current" required autocomplete="current-password"/>
                        <FieldError error=Signal::derive(err) name="current"/>
                    </label>
                    <PasswordFields err=Signal::derive(err)/>
                    <button type="submit" class="primary">{t(Msg::SavePassword)}</button>
                </ActionForm>
            </section>
        </crate::components::Page>
    }
}
