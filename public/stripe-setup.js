// Stripe mode only: mounts Stripe's Payment Element to save a card or a
// SEPA mandate. Card numbers go from this page to Stripe; our server only
// creates the SetupIntent and records the method Stripe confirms.
(function () {
  var root = document.getElementById("stripe-setup");
  if (!root || typeof Stripe === "undefined") return;
  var stripe = Stripe(root.dataset.publishableKey);
  var error = document.getElementById("stripe-setup-error");
  function show(message) { error.textContent = message; error.hidden = false; }
  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: new URLSearchParams(body),
    }).then(function (r) { return r.json().then(function (j) { if (!r.ok) throw j; return j; }); });
  }
  var params = new URLSearchParams(window.location.search);
  var returned = params.get("setup_intent");
  if (returned) {
    post("/api/payments/finish_setup", { setup_intent: returned })
      .then(function () { window.location.replace("/portal/methods?added=1"); })
      .catch(function () { show(root.dataset.errorText || "Error"); });
    return;
  }
  post("/api/payments/start_setup", { kind: "card" }).then(function (clientSecret) {
    var elements = stripe.elements({ clientSecret: clientSecret });
    elements.create("payment").mount("#payment-element");
    document.getElementById("stripe-setup-submit").addEventListener("click", function () {
      stripe.confirmSetup({ elements: elements, confirmParams: { return_url: window.location.origin + "/portal/methods" } })
        .then(function (result) { if (result.error) show(result.error.message); });
    });
  }).catch(function () { show(root.dataset.errorText || "Error"); });
})();
