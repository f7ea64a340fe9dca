// A local stand-in for Stripe's API, for stripe-mode.spec.ts (a port of
// server/tests/api/mock_stripe.rs): form-encoded requests in, Stripe-shaped
// JSON out with every field async-stripe requires, idempotency keys replayed
// as Stripe does, every request recorded.
//
// Two kinds of callers, as at Stripe:
//  - the Relance server, with the secret key (`Authorization: Bearer sk_…`):
//    customers, SetupIntents, PaymentMethods, PaymentIntents, refunds;
//  - the fake Stripe.js in the browser, with the publishable key and the
//    intent's client secret in the body: POST /v1/setup_intents/:id/confirm
//    and /v1/payment_intents/:id/confirm, which carry the card typed into
//    the (fake) Payment Element. Its requests to https://api.stripe.com are
//    routed here by the spec (page.route), never to the network.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SECRET_KEY = 'sk_test_51RelanceE2eMock00000000000000';
export const PUBLISHABLE_KEY = 'pk_test_51RelanceE2eMock';
export const WEBHOOK_SECRET = 'whsec_relance_e2e_mock';

const CREATED = 1_795_000_000;

type Json = Record<string, unknown>;

export interface Recorded {
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  form: [string, string][];
}

export function field(rec: Recorded, name: string): string | undefined {
  return rec.form.find(([k]) => k === name)?.[1];
}

/** `name[0]`, `name[1]`, … (or `name[]`) in order. */
export function array(rec: Recorded, name: string): string[] {
  return rec.form.filter(([k]) => k.startsWith(`${name}[`)).map(([, v]) => v);
}

function metadata(rec: Recorded): Json {
  const out: Json = {};
  for (const [k, v] of rec.form) {
    const m = /^metadata\[(.+)\]$/.exec(k);
    if (m) out[m[1]] = v;
  }
  return out;
}

function opt(v: string | undefined): string | null {
  return v ?? null;
}

// ---------------------------------------------------------------------------
// Stripe-shaped objects (the shapes of mock_stripe.rs).

function addressNull(): Json {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

function cardPm(id: string, brand: string, last4: string, expMonth: number, expYear: number, customer: string | null): Json {
  return {
    id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: { address: addressNull(), email: null, name: null, phone: null, tax_id: null },
    card: {
      brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: brand,
      exp_month: expMonth,
      exp_year: expYear,
      fingerprint: 'Xt5EWLLDS7FJjR1c',
      funding: 'credit',
      generated_from: null,
      last4,
      networks: { available: [brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: CREATED,
    customer,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

function customerJson(id: string, name: string | null, email: string | null, meta: Json): Json {
  return {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created: CREATED,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email,
    invoice_prefix: '7D3F2A1B',
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: meta,
    name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

function setupIntentJson(id: string, customer: string | null, status: string, types: string[]): Json {
  return {
    id,
    object: 'setup_intent',
    application: null,
    automatic_payment_methods: null,
    cancellation_reason: null,
    client_secret: `${id}_secret_Q1w2E3r4T5y6U7i8`,
    created: CREATED,
    customer,
    description: null,
    flow_directions: null,
    last_setup_error: null,
    latest_attempt: null,
    livemode: false,
    mandate: null,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_types: types,
    single_use_mandate: null,
    status,
    usage: 'off_session',
  };
}

function paymentIntentJson(id: string, amount: number, currency: string, customer: string | null): Json {
  return {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${id}_secret_Mk9zLr3QvWc7Xb2N`,
    confirmation_method: 'automatic',
    created: CREATED,
    currency,
    customer,
    description: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

function refundJson(id: string, amount: number, currency: string, paymentIntent: string, status: string, meta: Json): Json {
  return {
    id,
    object: 'refund',
    amount,
    balance_transaction: `txn_${id}`,
    charge: `ch_${paymentIntent}`,
    created: CREATED,
    currency,
    destination_details: null,
    metadata: meta,
    payment_intent: paymentIntent,
    reason: null,
    receipt_number: null,
    source_transfer_reversal: null,
    status,
    transfer_reversal: null,
  };
}

function errorJson(type: string, code: string | null, param: string | null, message: string): Json {
  const e: Json = { type, message };
  if (code) {
    e.code = code;
    e.doc_url = `https://stripe.com/docs/error-codes/${code}`;
  }
  if (param) e.param = param;
  return { error: e };
}

function missing(what: string, id: string): [number, Json] {
  return [404, errorJson('invalid_request_error', 'resource_missing', what, `No such ${what}: '${id}'`)];
}

interface Decline {
  code: string;
  decline: string;
  message: string;
}

/** What a test card number does, as in Stripe's test mode. */
function cardOutcome(number: string): { brand: string; decline?: Decline } {
  const brand = number.startsWith('4')
    ? 'visa'
    : /^(5[1-5]|2[2-7])/.test(number)
      ? 'mastercard'
      : /^3[47]/.test(number)
        ? 'amex'
        : 'unknown';
  switch (number) {
    case '4000000000000002':
      return { brand, decline: { code: 'card_declined', decline: 'generic_decline', message: 'Your card was declined.' } };
    case '4000000000009995':
      return {
        brand,
        decline: { code: 'card_declined', decline: 'insufficient_funds', message: 'Your card has insufficient funds.' },
      };
    default:
      return { brand };
  }
}

function cardError(code: string, declineCode: string, message: string, charge: string | null, pm: Json): Json {
  return {
    type: 'card_error',
    charge,
    code,
    decline_code: declineCode,
    doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`,
    message,
    payment_method: pm,
  };
}

// ---------------------------------------------------------------------------

export class StripeMock {
  readonly requests: Recorded[] = [];
  private replays = new Map<string, [number, string]>();
  readonly paymentMethods = new Map<string, Json>();
  readonly setupIntents = new Map<string, Json>();
  readonly paymentIntents = new Map<string, Json>();
  /** Cards whose charges decline (by their test number), by PaymentMethod id. */
  private declines = new Map<string, Decline>();
  private seq = 0;
  private server: Server | undefined;
  base = '';

  /** Starts the HTTP server on a free local port; returns its base URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const [status, body] = this.handle(req.method ?? 'GET', url.pathname + url.search, headers, Buffer.concat(chunks).toString('utf8'));
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_MockRelanceE2e' });
    res.end(body);
  }

  /** One request, from the Relance server (HTTP) or the browser (routed). */
  handle(method: string, pathAndQuery: string, headers: Record<string, string>, body: string): [number, string] {
    const url = new URL(pathAndQuery, 'http://127.0.0.1');
    const rec: Recorded = {
      method: method.toUpperCase(),
      path: url.pathname,
      query: [...url.searchParams.entries()],
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      form: [...new URLSearchParams(body).entries()],
    };
    this.requests.push(rec);
    const browser = /^\/v1\/(setup|payment)_intents\/[^/]+\/confirm$/.test(rec.path);
    if (browser) {
      // Stripe.js: the publishable key in the body, never a secret key.
      if (field(rec, 'key') !== PUBLISHABLE_KEY || rec.headers.authorization) {
        return [401, JSON.stringify(errorJson('invalid_request_error', null, null, 'Invalid API Key provided.'))];
      }
    } else if (rec.headers.authorization !== `Bearer ${SECRET_KEY}`) {
      return [401, JSON.stringify(errorJson('invalid_request_error', null, null, 'Invalid API Key provided.'))];
    }
    const key = rec.method === 'POST' ? rec.headers['idempotency-key'] : undefined;
    if (key && this.replays.has(key)) return this.replays.get(key)!;
    const [status, json] = this.route(rec);
    const answer: [number, string] = [status, JSON.stringify(json)];
    if (key && status < 500) this.replays.set(key, answer);
    return answer;
  }

  /** Requests with this method and path (exact, or matching a RegExp). */
  find(method: string, path: string | RegExp): Recorded[] {
    return this.requests.filter(
      (r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)),
    );
  }

  private nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}_3MockRelanceE2e${String(this.seq).padStart(6, '0')}`;
  }

  private route(rec: Recorded): [number, Json] {
    const parts = rec.path.replace(/^\//, '').split('/');
    const m = rec.method;
    const [v1, kind, id, action] = parts;
    if (v1 === 'v1' && kind === 'customers' && m === 'POST' && !id) {
      return [200, customerJson(this.nextId('cus'), opt(field(rec, 'name')), opt(field(rec, 'email')), metadata(rec))];
    }
    if (v1 !== 'v1') return [404, errorJson('invalid_request_error', null, null, `Unrecognized request URL (${rec.path}).`)];
    if (kind === 'setup_intents') {
      if (m === 'POST' && !id) return this.createSetupIntent(rec);
      if (m === 'GET' && id && !action) return this.getSetupIntent(id, rec);
      if (m === 'POST' && id && action === 'confirm') return this.confirmSetupIntent(id, rec);
    }
    if (kind === 'payment_methods' && id) {
      const pm = this.paymentMethods.get(id);
      if (m === 'GET' && !action) return pm ? [200, pm] : missing('payment_method', id);
      if (m === 'POST' && action === 'detach') {
        if (!pm) return missing('payment_method', id);
        pm.customer = null;
        return [200, pm];
      }
    }
    if (kind === 'payment_intents') {
      if (m === 'POST' && !id) return this.createPaymentIntent(rec);
      if (m === 'GET' && id && !action) {
        const pi = this.paymentIntents.get(id);
        return pi ? [200, pi] : missing('payment_intent', id);
      }
      if (m === 'POST' && id && action === 'confirm') return this.confirmPaymentIntent(id, rec);
    }
    if (kind === 'refunds' && m === 'POST' && !id) return this.createRefund(rec);
    return [404, errorJson('invalid_request_error', null, null, `Unrecognized request URL (${rec.method} ${rec.path}).`)];
  }

  private createSetupIntent(rec: Recorded): [number, Json] {
    const id = this.nextId('seti');
    let types = array(rec, 'allowed_payment_method_types');
    if (types.length === 0) types = ['card'];
    const si = setupIntentJson(id, opt(field(rec, 'customer')), 'requires_payment_method', types);
    si.usage = field(rec, 'usage') ?? 'off_session';
    si.metadata = metadata(rec);
    this.setupIntents.set(id, si);
    return [200, si];
  }

  private getSetupIntent(id: string, rec: Recorded): [number, Json] {
    const si = this.setupIntents.get(id);
    if (!si) return missing('setup_intent', id);
    const out = { ...si };
    const expand = rec.query.some(([k, v]) => k.startsWith('expand') && v === 'payment_method');
    if (expand && typeof out.payment_method === 'string') {
      out.payment_method = this.paymentMethods.get(out.payment_method) ?? out.payment_method;
    }
    return [200, out];
  }

  /** A card typed into the (fake) Payment Element becomes a PaymentMethod. */
  private cardFromBrowser(rec: Recorded, customer: string | null): { pm?: Json; error?: [number, Json]; outcome?: ReturnType<typeof cardOutcome> } {
    if (field(rec, 'payment_method_data[type]') !== 'card') {
      return { error: [400, errorJson('invalid_request_error', 'parameter_missing', 'payment_method_data[type]', 'Missing required param: payment_method_data[type].')] };
    }
    const number = (field(rec, 'payment_method_data[card][number]') ?? '').replace(/\D/g, '');
    const expMonth = Number(field(rec, 'payment_method_data[card][exp_month]'));
    let expYear = Number(field(rec, 'payment_method_data[card][exp_year]'));
    if (expYear < 100) expYear += 2000;
    if (number.length < 12 || !(expMonth >= 1 && expMonth <= 12) || !expYear) {
      return { error: [402, { error: { type: 'card_error', code: 'incorrect_number', message: 'Your card number is incorrect.' } }] };
    }
    const outcome = cardOutcome(number);
    const pm = cardPm(this.nextId('pm'), outcome.brand, number.slice(-4), expMonth, expYear, customer);
    this.paymentMethods.set(pm.id as string, pm);
    if (outcome.decline) this.declines.set(pm.id as string, outcome.decline);
    return { pm, outcome };
  }

  private confirmSetupIntent(id: string, rec: Recorded): [number, Json] {
    const si = this.setupIntents.get(id);
    if (!si || field(rec, 'client_secret') !== si.client_secret) return missing('setup_intent', id);
    if (si.status === 'succeeded') {
      return [400, errorJson('invalid_request_error', 'setup_intent_unexpected_state', null, 'You cannot confirm this SetupIntent because it has already succeeded.')];
    }
    const { pm, error, outcome } = this.cardFromBrowser(rec, null);
    if (error) return error;
    if (outcome!.decline) {
      const d = outcome!.decline;
      si.last_setup_error = cardError(d.code, d.decline, d.message, null, pm!);
      si.status = 'requires_payment_method';
      return [402, { error: { ...(si.last_setup_error as Json), setup_intent: si } }];
    }
    pm!.customer = si.customer;
    si.status = 'succeeded';
    si.payment_method = pm!.id;
    si.last_setup_error = null;
    si.next_action = null;
    return [200, si];
  }

  private createPaymentIntent(rec: Recorded): [number, Json] {
    const amount = Number(field(rec, 'amount'));
    if (!Number.isInteger(amount)) {
      return [400, errorJson('invalid_request_error', 'parameter_missing', 'amount', 'Missing required param: amount.')];
    }
    const currency = field(rec, 'currency');
    if (!currency) {
      return [400, errorJson('invalid_request_error', 'parameter_missing', 'currency', 'Missing required param: currency.')];
    }
    const pmId = field(rec, 'payment_method');
    const pm = pmId ? this.paymentMethods.get(pmId) : undefined;
    if (pmId && !pm) return missing('payment_method', pmId);
    const id = this.nextId('pi');
    const pi = paymentIntentJson(id, amount, currency, opt(field(rec, 'customer')));
    pi.metadata = metadata(rec);
    pi.description = opt(field(rec, 'description'));
    pi.setup_future_usage = opt(field(rec, 'setup_future_usage'));
    const allowed = array(rec, 'allowed_payment_method_types');
    if (allowed.length > 0) pi.payment_method_types = allowed;
    if (field(rec, 'automatic_payment_methods[enabled]') === 'true') {
      pi.automatic_payment_methods = { allow_redirects: 'always', enabled: true };
      pi.payment_method_types = ['card', 'sepa_debit'];
    }
    if (pm) {
      // A saved card, confirmed by the server: succeeds (or declines like its number would).
      pi.payment_method = pm.id;
      const decline = this.declines.get(pm.id as string);
      if (field(rec, 'confirm') !== 'true') {
        pi.status = 'requires_confirmation';
      } else if (decline) {
        pi.last_payment_error = cardError(decline.code, decline.decline, decline.message, `ch_${id}`, pm);
        pi.latest_charge = `ch_${id}`;
        pi.payment_method = null;
        this.paymentIntents.set(id, pi);
        return [402, { error: { ...(pi.last_payment_error as Json), payment_intent: pi } }];
      } else {
        pi.status = 'succeeded';
        pi.amount_received = amount;
        pi.latest_charge = `ch_${id}`;
      }
    }
    this.paymentIntents.set(id, pi);
    return [200, pi];
  }

  private confirmPaymentIntent(id: string, rec: Recorded): [number, Json] {
    const pi = this.paymentIntents.get(id);
    if (!pi || field(rec, 'client_secret') !== pi.client_secret) return missing('payment_intent', id);
    if (pi.status === 'succeeded' || pi.status === 'processing' || pi.status === 'canceled') {
      return [
        400,
        errorJson('invalid_request_error', 'payment_intent_unexpected_state', null, `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`),
      ];
    }
    const { pm, error, outcome } = this.cardFromBrowser(rec, pi.setup_future_usage ? (pi.customer as string | null) : null);
    if (error) return error;
    const charge = `ch_${id}`;
    if (outcome!.decline) {
      // As at Stripe: back to requires_payment_method, the decline kept.
      const d = outcome!.decline;
      pi.status = 'requires_payment_method';
      pi.payment_method = null;
      pi.latest_charge = charge;
      pi.last_payment_error = cardError(d.code, d.decline, d.message, charge, pm!);
      return [402, { error: { ...(pi.last_payment_error as Json), payment_intent: pi } }];
    }
    pi.status = 'succeeded';
    pi.payment_method = pm!.id;
    pi.amount_received = pi.amount;
    pi.latest_charge = charge;
    pi.last_payment_error = null;
    pi.next_action = null;
    return [200, pi];
  }

  private createRefund(rec: Recorded): [number, Json] {
    const piId = field(rec, 'payment_intent') ?? '';
    const pi = this.paymentIntents.get(piId);
    if (!pi) return missing('payment_intent', piId);
    const amount = Number(field(rec, 'amount') ?? pi.amount);
    const sepa = JSON.stringify(pi.payment_method_types) === '["sepa_debit"]';
    return [200, refundJson(this.nextId('re'), amount, pi.currency as string, piId, sepa ? 'pending' : 'succeeded', metadata(rec))];
  }
}
