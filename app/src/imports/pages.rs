//! `/back/imports`: upload a file and see the latest imports;
//! `/back/imports/:id`: map its columns, check every row, import, follow
//! the progress and read what it did.

use super::{
    get_import, list_imports, upload_import, ImportKind, ImportStatus, ImportView, Outcome, PreviewImport, RunImport,
};
use crate::components::follow_target as follow;
use crate::components::{Day, ErrorMessage, Loaded, Page};
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

const BOOKKEEPERS: &[Role] = &[Role::Owner, Role::Accountant];

impl crate::components::Status for ImportStatus {
    const TESTID: &'static str = "import-status";

    fn tone(self) -> crate::components::Tone {
        use crate::components::Tone;
        match self {
            ImportStatus::Done => Tone::Good,
            ImportStatus::Failed => Tone::Bad,
            ImportStatus::Running => Tone::Partial,
            ImportStatus::Uploaded => Tone::Open,
        }
    }

    fn label(self) -> Msg {
        self.msg()
    }
}

#[component]
pub fn ImportsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_imports());
    view! {
        <Page roles=BOOKKEEPERS title=Msg::Imports>
            <h1>{t(Msg::Imports)}</h1>
            <UploadForm/>
            <Loaded resource=list view=|items| view! { <ImportsTable items=items/> }.into_any()/>
        </Page>
    }
}

#[component]
fn UploadForm() -> impl IntoView {
    use wasm_bindgen::JsCast;
    use web_sys::FormData;
    let action = Action::new_local(|data: &FormData| upload_import(data.clone().into()));
    follow!(action);
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        if let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) {
            if let Ok(data) = FormData::new_with_form(&form) {
                action.dispatch_local(data);
            }
        }
    };
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        <section class="card">
            <h2>{t(Msg::NewImport)}</h2>
            <form method="post" action="/api/imports/upload" enctype="multipart/form-data" class="stack narrow"
                data-testid="import-upload-form" on:submit=submit>
                <p class="muted small">{t(Msg::ImportHint)}</p>
                <label>{t(Msg::ImportKindLabel)}
                    <select name="kind" data-testid="import-kind">
                        {ImportKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{t(k.msg())}</option> }).collect_view()}
                        <option value="einvoices">{t(Msg::ImportEInvoices)}</option>
                    </select>
                </label>
                <label>{t(Msg::ImportFile)}
                    <input type="file" name="file" required multiple
                        accept=".csv,.txt,.xlsx,.xml,.pdf,text/csv,application/xml,text/xml,application/pdf,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        data-testid="import-file"/>
                </label>
                <p class="muted small">{t(Msg::EInvoiceUploadHint)}</p>
                <crate::components::FieldError error=Signal::derive(err) name="file"/>
                <button type="submit" class="primary" data-testid="import-upload" disabled=move || action.pending().get()>{t(Msg::Upload)}</button>
                {move || err().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            </form>
        </section>
    }
}

#[component]
fn ImportsTable(items: Vec<super::ImportSummary>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">{t(Msg::NoImports)}</p> }.into_any();
    }
    view! {
        <table class="data" data-testid="imports">
            <thead><tr>
                <th scope="col">{t(Msg::Date)}</th>
                <th scope="col">{t(Msg::ImportKindLabel)}</th>
                <th scope="col">{t(Msg::ImportFile)}</th>
                <th scope="col" class="num">{t(Msg::RowsInFile)}</th>
                <th scope="col">{t(Msg::CreatedBy)}</th>
                <th scope="col">{t(Msg::Status)}</th>
            </tr></thead>
            <tbody>
                {items.into_iter().map(|i| view! {
                    <tr>
                        <td data-label=t(Msg::Date)><Day date=i.created_at.date_naive()/></td>
                        <td data-label=t(Msg::ImportKindLabel)>{t(i.kind.msg())}</td>
                        <td data-label=t(Msg::ImportFile)><a href=format!("/back/imports/{}", i.id)>{i.file_name}</a></td>
                        <td data-label=t(Msg::RowsInFile) class="num">{i.rows}</td>
                        <td data-label=t(Msg::CreatedBy)>{i.created_by}</td>
                        <td data-label=t(Msg::Status)><crate::components::StatusBadge status=i.status/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let preview = ServerAction::<PreviewImport>::new();
    let detail = Resource::new(move || (id(), preview.version().get()), |(id, _)| get_import(id));
    view! {
        <Page roles=BOOKKEEPERS title=Msg::Imports>
            <p><a href="/back/imports">"← " {t(Msg::Imports)}</a></p>
            <Loaded resource=detail view=move |v| view! { <ImportBody v=v preview=preview/> }.into_any()/>
        </Page>
    }
}

fn field_label(kind: ImportKind, key: &str) -> Msg {
    kind.fields().iter().find(|f| f.key == key).map(|f| f.label).unwrap_or(Msg::Column)
}

#[component]
fn ImportBody(v: ImportView, preview: ServerAction<PreviewImport>) -> impl IntoView {
    let s = v.summary.clone();
    let kind = s.kind;
    let editable = matches!(s.status, ImportStatus::Uploaded | ImportStatus::Failed);
    let running = s.status == ImportStatus::Running;
    let run = ServerAction::<RunImport>::new();
    follow!(run);
    let headers = v.headers.clone();
    let mapping = v.mapping.clone();
    view! {
        {running.then(|| view! { <leptos_meta::Meta http_equiv="refresh" content="2"/> })}
        <div class="title-row">
            <h1>{t(kind.msg())} " — " {s.file_name.clone()}</h1>
            <crate::components::StatusBadge status=s.status/>
        </div>
        <p class="muted">{s.rows} " " {t(Msg::RowsInFile)} " · " {s.created_by.clone()} " · " <Day date=s.created_at.date_naive()/></p>
        {v.progress.map(|done| view! {
            <p class="alert" role="status" data-testid="import-progress">{t(Msg::ImportProgress)} " " {done} " / " {s.rows}
                <progress max=s.rows.to_string() value=done.to_string()></progress></p>
        })}
        {v.outcome.clone().map(|o| view! { <OutcomeView kind=kind outcome=o/> })}
        {editable.then(|| {
            let headers2 = headers.clone();
            view! {
                <ActionForm action=preview attr:class="stack" attr:data-testid="import-mapping">
                    <input type="hidden" name="id" value=s.id.to_string()/>
                    <table class="data">
                        <thead><tr><th scope="col">{t(Msg::Field)}</th><th scope="col">{t(Msg::Column)}</th></tr></thead>
                        <tbody>
                            {kind.fields().iter().map(|f| {
                                let chosen = mapping.get(f.key).copied();
                                view! {
                                    <tr>
                                        <td data-label=t(Msg::Field)>{t(f.label)} {f.required.then(|| view! { " " <span class="muted small">"(" {t(Msg::Required)} ")"</span> })}</td>
                                        <td data-label=t(Msg::Column)>
                                            <select name=format!("map[{}]", f.key) data-testid=format!("map-{}", f.key)>
                                                <option value="">{t(Msg::NotImported)}</option>
                                                {headers2.iter().enumerate().map(|(i, h)| view! {
                                                    <option value=i.to_string() selected=chosen == Some(i)>{h.clone()}</option>
                                                }).collect_view()}
                                            </select>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <button type="submit" data-testid="import-preview" disabled=move || preview.pending().get()>{t(Msg::Preview)}</button>
                </ActionForm>
            }
        })}
        {editable.then(|| view! {
            {move || preview.value().get().map(|r| match r {
                Ok(o) => view! { <OutcomeView kind=kind outcome=o/> }.into_any(),
                Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
            })}
        })}
        {editable.then(|| {
            let mapping = v.mapping.clone();
            let ready = move || preview.value().get().is_some_and(|r| r.is_ok_and(|o| o.problem_count == 0 && o.created + o.updated > 0));
            let id = s.id;
            view! {
                {move || ready().then(|| {
                    let hidden = mapping.iter().map(|(k, i)| view! { <input type="hidden" name=format!("map[{k}]") value=i.to_string()/> }).collect_view();
                    view! {
                        <ActionForm action=run attr:class="inline" attr:data-testid="import-run-form">
                            <input type="hidden" name="id" value=id.to_string()/>
                            {hidden}
                            <button type="submit" class="primary" data-testid="import-run" disabled=move || run.pending().get()>{t(Msg::ImportNow)}</button>
                        </ActionForm>
                    }
                })}
                {move || run.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
            }
        })}
        {(!v.sample.is_empty()).then(|| view! {
            <table class="data small" data-testid="import-sample">
                <thead><tr>{headers.iter().map(|h| view! { <th scope="col">{h.clone()}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {v.sample.iter().map(|row| view! { <tr>{row.iter().enumerate().map(|(i, c)| view! { <td data-label=headers.get(i).cloned().unwrap_or_default()>{c.clone()}</td> }).collect_view()}</tr> }).collect_view()}
                </tbody>
            </table>
        })}
    }
    .into_any()
}

#[component]
fn OutcomeView(kind: ImportKind, outcome: Outcome) -> impl IntoView {
    let o = outcome;
    view! {
        <dl class="facts" data-testid="import-counts">
            <div><dt>{t(Msg::RowsInFile)}</dt><dd>{o.rows}</dd></div>
            <div><dt>{t(Msg::WillCreate)}</dt><dd data-testid="count-created">{o.created}</dd></div>
            <div><dt>{t(Msg::WillUpdate)}</dt><dd data-testid="count-updated">{o.updated}</dd></div>
            <div><dt>{t(Msg::Unchanged)}</dt><dd data-testid="count-unchanged">{o.unchanged}</dd></div>
        </dl>
        {(o.problem_count > 0).then(|| view! {
            <h2>{t(Msg::ImportProblems)} " (" {o.problem_count} ")"</h2>
            <p class="alert error" role="alert">{t(Msg::ImportNothingWritten)}</p>
            <table class="data" data-testid="import-problems">
                <thead><tr><th scope="col">{t(Msg::Row)}</th><th scope="col">{t(Msg::Field)}</th><th scope="col">{t(Msg::Description)}</th></tr></thead>
                <tbody>
                    {o.problems.iter().map(|p| view! {
                        <tr data-testid="problem-row">
                            <td data-label=t(Msg::Row) class="num">{p.row}</td>
                            <td data-label=t(Msg::Field)>{if p.field.is_empty() { None } else { Some(t(field_label(kind, &p.field))) }}</td>
                            <td data-label=t(Msg::Description)>{t(p.msg)}{(!p.detail.is_empty()).then(|| view! { " " <span class="muted" data-testid="problem-detail">{p.detail.clone()}</span> })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(o.problem_count > o.problems.len()).then(|| view! { <p class="muted">{t(Msg::MoreProblems)}</p> })}
        })}
        {(!o.proposals.is_empty()).then(|| view! {
            <h2>{t(Msg::ProposedAccounts)}</h2>
            <ul data-testid="proposed-accounts">
                {o.proposals.iter().map(|p| {
                    let ids = [p.siren.clone(), p.vat_number.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ");
                    view! {
                        <li>
                            <strong>{p.name.clone()}</strong> " " <span class="muted">{ids}</span> " "
                            <a class="button" href=p.href.clone() data-testid="create-proposed-account">{t(Msg::CreateProposedAccount)}</a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}
