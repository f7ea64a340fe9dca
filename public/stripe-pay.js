// Stripe mode only: confirms a payment with Stripe's Payment Element (a new
// card or a SEPA debit), on the receipt page of a payment waiting for it and
// on a pay-by-link page. The amount and the PaymentIntent were fixed by our
// server; this page only hands the card or IBAN to Stripe. Afterwards the
// payer returns to `data-return-path`, whose server function asks Stripe
// where the payment stands (its webhook events say the same).
(function () {
  function start() {
    var root = document.getElementById("stripe-pay");
    if (!root || root.dataset.started) return;
    root.dataset.started = "1";
    var error = document.getElementById("stripe-pay-error");
    var button = document.getElementById("stripe-pay-submit");
    function show(message) {
      error.textContent = message || root.dataset.errorText || "Error";
      error.hidden = false;
    }
    var back = window.location.origin + root.dataset.returnPath;
    var stripe = Stripe(root.dataset.publishableKey, { locale: root.dataset.locale || "auto" });
    var elements = stripe.elements({ clientSecret: root.dataset.clientSecret, locale: root.dataset.locale || "auto" });
    elements.create("payment").mount("#stripe-pay-element");
    button.addEventListener("click", function () {
      button.disabled = true;
      error.hidden = true;
      stripe.confirmPayment({ elements: elements, confirmParams: { return_url: back }, redirect: "if_required" })
        .then(function (result) {
          if (result.error) { show(result.error.message); button.disabled = false; return; }
          window.location.assign(back);
        }, function () { show(); button.disabled = false; });
    });
  }

  if (typeof Stripe !== "undefined") { start(); return; }
  var tag = document.querySelector('script[src^="https://js.stripe.com/"]');
  if (tag) tag.addEventListener("load", start);
})();
