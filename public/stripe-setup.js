// Stripe mode only: mounts Stripe's Payment Element to save a card or a
// SEPA mandate on /portal/methods. Card numbers and IBANs go from this page
// to Stripe; our server only creates the SetupIntent (start_setup) and
// records the method Stripe confirms (finish_setup, which checks that the
// SetupIntent belongs to the signed-in client's account).
(function () {
  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: new URLSearchParams(body),
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw j; return j; });
    });
  }

  function start() {
    var root = document.getElementById("stripe-setup");
    if (!root || root.dataset.started) return;
    root.dataset.started = "1";
    var error = document.getElementById("stripe-setup-error");
    var button = document.getElementById("stripe-setup-submit");
    function show(message) {
      error.textContent = message || root.dataset.errorText || "Error";
      error.hidden = false;
    }
    function finish(setupIntentId) {
      return post("/api/payments/finish_setup", { setup_intent: setupIntentId })
        .then(function () { window.location.replace("/portal/methods?added=1"); })
        .catch(function () { show(); });
    }
    var stripe = Stripe(root.dataset.publishableKey, { locale: root.dataset.locale || "auto" });

    // Back from the bank's page (3-D Secure) or a redirecting method.
    var params = new URLSearchParams(window.location.search);
    var returned = params.get("setup_intent");
    if (returned) {
      if (params.get("redirect_status") === "failed") { show(); return; }
      button.disabled = true;
      finish(returned);
      return;
    }

    button.disabled = true;
    post("/api/payments/start_setup", { kind: root.dataset.kind || "card" }).then(function (clientSecret) {
      var elements = stripe.elements({ clientSecret: clientSecret, locale: root.dataset.locale || "auto" });
      elements.create("payment").mount("#payment-element");
      button.disabled = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        error.hidden = true;
        var back = window.location.origin + "/portal/methods?add=" + encodeURIComponent(root.dataset.kind || "card");
        stripe.confirmSetup({ elements: elements, confirmParams: { return_url: back }, redirect: "if_required" })
          .then(function (result) {
            if (result.error) { show(result.error.message); button.disabled = false; return; }
            return finish(result.setupIntent.id);
          }, function () { show(); button.disabled = false; });
      });
    }).catch(function () { show(); });
  }

  // Inserted by client-side navigation, this script may run before
  // Stripe.js has loaded.
  if (typeof Stripe !== "undefined") { start(); return; }
  var tag = document.querySelector('script[src^="https://js.stripe.com/"]');
  if (tag) tag.addEventListener("load", start);
})();
