//! Debtor accounts entered by staff: create, edit, archive; identifiers
//! checked, duplicates refused, bad input changing nothing; on both
//! databases.

use crate::helpers::{created, spawn_app, Session, TestApp, BACKENDS};
use crate::money::text;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A valid form for a new French business account; tests change fields.
pub(crate) fn account_form(name: &str) -> Value {
    json!({
        "code": "",
        "legal_name": name,
        "kind": "business",
        "siren": "552 100 554",
        "siret": "55210055400021",
        "vat_number": "FR 96 552100554",
        "billing_emails": "Compta@Martin.fr, direction@martin.fr",
        "phone": "01 23 45 67 89",
        "address": "3 rue des Lilas",
        "postal_code": "75011",
        "city": "Paris",
        "country": "FR",
        "language": "fr",
        "currency": "EUR",
        "segment": "key",
        "terms_days": "45",
        "terms_basis": "end_of_month",
        "credit_limit": "5 000,00",
        "collector_id": "",
        "external_id": "CRM-17",
        "notes": "Appeler le lundi",
    })
}

/// The form's fields as a browser posts them (`form[legal_name]`…).
pub(crate) fn form_fields(id: Option<i64>, form: &Value) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = id.map(|id| ("id".to_string(), id.to_string())).into_iter().collect();
    for (k, v) in form.as_object().expect("a form object") {
        fields.push((format!("form[{k}]"), v.as_str().unwrap_or_default().to_string()));
    }
    fields
}

pub(crate) async fn save(s: &Session, id: Option<i64>, form: Value) -> reqwest::Response {
    let fields = form_fields(id, &form);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    s.post_form("/api/accounts/save", &fields).await
}

/// The field errors of a refused save: (field, message key).
async fn field_errors(res: reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    body["Validation"]
        .as_array()
        .unwrap_or_else(|| panic!("not a validation error: {body}"))
        .iter()
        .map(|f| (f[0].as_str().unwrap().to_string(), f[1].as_str().unwrap().to_string()))
        .collect()
}

async fn accounts(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM accounts").await
}

#[tokio::test]
async fn the_owner_creates_an_account_and_the_accountant_edits_it() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let (id, status) = created(save(&owner, None, account_form("Boulangerie Martin SARL")).await).await;
        assert_eq!(status, "active");
        // No code typed: one from the id.
        assert_eq!(text(&app, &format!("SELECT code FROM accounts WHERE id = {id}")).await, format!("C-{id:05}"));
        assert_eq!(text(&app, &format!("SELECT siren FROM accounts WHERE id = {id}")).await, "552100554");
        assert_eq!(text(&app, &format!("SELECT vat_number FROM accounts WHERE id = {id}")).await, "FR96552100554");
        assert_eq!(
            text(&app, &format!("SELECT billing_email FROM accounts WHERE id = {id}")).await,
            "compta@martin.fr"
        );
        assert_eq!(
            text(&app, &format!("SELECT billing_cc FROM accounts WHERE id = {id}")).await,
            "direction@martin.fr"
        );
        assert_eq!(app.count(&format!("SELECT credit_limit_minor FROM accounts WHERE id = {id}")).await, 500_000);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'account.created' AND account_id = {id}"
            ))
            .await,
            1
        );
        // Found by SIREN in the list, shown on its page.
        let list: Value = owner
            .post_json(
                "/api/back/accounts",
                json!({ "filter": { "search": "552100554", "overdue_only": false, "page": 1 } }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        let (status, html) = owner.get_html(&format!("/back/accounts/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("FR96552100554") && html.contains("45") && html.contains("Appeler le lundi"));

        // The accountant edits it: an empty code keeps the one it has.
        let acc = app.login("acc@test.example").await;
        let editor: Value =
            acc.post_form("/api/accounts/editor", &[("id", &id.to_string())]).await.json().await.unwrap();
        assert_eq!(editor["form"]["siren"], "552100554");
        assert_eq!(editor["form"]["terms_basis"], "end_of_month");
        let mut form = editor["form"].clone();
        form["code"] = json!("");
        form["legal_name"] = json!("Boulangerie Martin & Fils");
        form["collector_id"] = json!(app.fx.collector1.to_string());
        let (same, _) = created(save(&acc, Some(id), form).await).await;
        assert_eq!(same, id);
        assert_eq!(text(&app, &format!("SELECT code FROM accounts WHERE id = {id}")).await, format!("C-{id:05}"));
        assert_eq!(
            text(&app, &format!("SELECT legal_name FROM accounts WHERE id = {id}")).await,
            "Boulangerie Martin & Fils"
        );
        assert_eq!(app.count(&format!("SELECT collector_id FROM accounts WHERE id = {id}")).await, app.fx.collector1);
        // Now assigned to collector 1, who reads it but cannot edit it.
        let c1 = app.login("c1@test.example").await;
        let (status, _) = c1.get_html(&format!("/back/accounts/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let res = save(&c1, Some(id), account_form("Hijack")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_identifiers_and_duplicates_change_nothing() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let before = accounts(&app).await;
        let mut bad = account_form("Erreurs SA");
        bad["siren"] = json!("552100555");
        bad["vat_number"] = json!("DE12345");
        bad["billing_emails"] = json!("compta@");
        bad["terms_days"] = json!("50");
        let errors = field_errors(save(&owner, None, bad).await).await;
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["siren", "vat_number", "billing_emails", "terms_days"], "{errors:?}");
        assert_eq!(accounts(&app).await, before);

        let (first, _) = created(save(&owner, None, account_form("Original SARL")).await).await;
        // Same SIREN and same external id: both reported, nothing written.
        let errors = field_errors(save(&owner, None, account_form("Copie SARL")).await).await;
        assert_eq!(
            errors,
            [
                ("siren".to_string(), "DuplicateSiren".to_string()),
                ("external_id".to_string(), "DuplicateExternalId".to_string())
            ]
        );
        // A code already taken.
        let mut form = account_form("Autre SARL");
        form["siren"] = json!("");
        form["siret"] = json!("");
        form["vat_number"] = json!("");
        form["external_id"] = json!("");
        form["code"] = json!("A0001");
        let errors = field_errors(save(&owner, None, form).await).await;
        assert_eq!(errors, [("code".to_string(), "DuplicateAccountCode".to_string())]);
        assert_eq!(accounts(&app).await, before + 1);
        // Saving the first one again is not a duplicate of itself.
        let (same, _) = created(save(&owner, Some(first), account_form("Original SARL")).await).await;
        assert_eq!(same, first);
        app.finish().await;
    }
}

/// Two owners create the same company at once: the unique key lets one
/// through and the other gets the field message, on both databases.
#[tokio::test]
async fn concurrent_duplicates_make_one_account() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let before = accounts(&app).await;
        let owner = app.login("owner@test.example").await;
        let acc = app.login("acc@test.example").await;
        let (a, b) = tokio::join!(
            save(&owner, None, account_form("Course SARL")),
            save(&acc, None, account_form("Course SARL"))
        );
        let statuses = [a.status(), b.status()];
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count(), 1, "{statuses:?}");
        assert_eq!(accounts(&app).await, before + 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn currency_is_locked_once_invoiced_and_archiving_needs_a_zero_balance() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let account1 = app.fx.account1;
        let editor: Value =
            owner.post_form("/api/accounts/editor", &[("id", &account1.to_string())]).await.json().await.unwrap();
        assert_eq!(editor["currency_locked"], true);
        let mut form = editor["form"].clone();
        form["currency"] = json!("USD");
        let errors = field_errors(save(&owner, Some(account1), form).await).await;
        assert_eq!(errors, [("currency".to_string(), "CurrencyLocked".to_string())]);
        assert_eq!(text(&app, &format!("SELECT currency FROM accounts WHERE id = {account1}")).await, "EUR");

        // Account 1 owes money: it stays.
        let res = owner.post_form("/api/accounts/archive", &[("id", &account1.to_string()), ("archive", "true")]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE archived_at IS NOT NULL").await, 0);

        // A new account owes nothing: archived, out of the list and of the
        // invitation choices, in the archived list; then restored.
        let (id, _) = created(save(&owner, None, account_form("Ancien Client SARL")).await).await;
        let (_, status) =
            created(owner.post_form("/api/accounts/archive", &[("id", &id.to_string()), ("archive", "true")]).await)
                .await;
        assert_eq!(status, "archived");
        let names = |v: &Value| -> Vec<String> {
            v["items"].as_array().unwrap().iter().map(|a| a["legal_name"].as_str().unwrap().to_string()).collect()
        };
        let list: Value = owner
            .post_json("/api/back/accounts", json!({ "filter": { "overdue_only": false, "page": 1 } }))
            .await
            .json()
            .await
            .unwrap();
        assert!(!names(&list).contains(&"Ancien Client SARL".to_string()));
        let archived: Value = owner
            .post_json(
                "/api/back/accounts",
                json!({ "filter": { "overdue_only": false, "archived": true, "page": 1 } }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(names(&archived), ["Ancien Client SARL"]);
        let choices: Value = owner.post_form("/api/back/account_choices", &[]).await.json().await.unwrap();
        assert!(!choices.to_string().contains("Ancien Client SARL"));
        let (_, status) =
            created(owner.post_form("/api/accounts/archive", &[("id", &id.to_string()), ("archive", "false")]).await)
                .await;
        assert_eq!(status, "active");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE account_id = {id} AND action IN ('account.archived', 'account.restored')"
            ))
            .await,
            2
        );
        app.finish().await;
    }
}

/// The form without JavaScript: a plain post lands on the new account's
/// page; a bad one goes back to the form with nothing written.
#[tokio::test]
async fn the_account_form_works_without_javascript() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let (status, html) = owner.get_html("/back/accounts/new").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("form[legal_name]") && html.contains(r#"value="30""#), "merchant's default terms");
        let fields = [
            ("form[legal_name]", "Sans Script SARL"),
            ("form[kind]", "business"),
            ("form[billing_emails]", "compta@sansscript.fr"),
            ("form[country]", "FR"),
            ("form[language]", "fr"),
            ("form[currency]", "EUR"),
            ("form[segment]", "small"),
            ("form[terms_days]", "30"),
            ("form[terms_basis]", "net"),
        ];
        let res = owner.post_plain_form("/api/accounts/save", "/back/accounts/new", &fields).await;
        let id = app.count("SELECT id FROM accounts WHERE legal_name = 'Sans Script SARL'").await;
        assert_eq!(crate::helpers::redirected_to(&res), format!("/back/accounts/{id}"));
        let before = accounts(&app).await;
        let mut bad = fields.to_vec();
        bad[2] = ("form[billing_emails]", "pas-une-adresse");
        let res = owner.post_plain_form("/api/accounts/save", "/back/accounts/new", &bad).await;
        assert!(crate::helpers::redirected_to(&res).starts_with("/back/accounts/new"));
        assert_eq!(accounts(&app).await, before);
        app.finish().await;
    }
}
