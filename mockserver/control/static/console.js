/* mockserver console: enhances the server-rendered page; no framework, no build step.
 * Each control is one control-API call (data-call="METHOD /path"), sent as JSON with the token
 * in X-Mockserver-Token. Journal data is attacker-controlled: it only ever goes in as text. */
"use strict";

const TOKEN_KEY = "mockserver-token";
const POLL_MS = 1000; // one journal poll a second at most (five seconds after a failure)
const KEEP = 100; // rows kept in the live journal, and the most one poll asks for
const NOTES = 5; // server notes a closed journal row shows; the open row lists them all
const SOURCES = new Map([["mock", ""], ["replay", "replayed"], ["proxy", "proxied"]]); // who answered

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** An element with attributes and children; strings become text nodes, never markup. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const pairs = (map) => Object.entries(map).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]);
const statusClass = (status) => `code s${String(status)[0]}`;

function notice(message, kind = "info") {
  const box = $("#notice");
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = !message;
}

/* ---- the control API ---- */
function tokenHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { "X-Mockserver-Token": token } : {};
}

async function control(method, path, body) {
  const headers = tokenHeaders();
  if (method !== "GET") headers["Content-Type"] = "application/json";
  const init = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(document.body.dataset.prefix + path, init);
  const answer = await response.json().catch(() => ({}));
  if (response.ok) return answer;
  if (response.status === 404 && !answer.error) {
    throw new Error("The control plane is off: the mock was started with --no-control.");
  }
  if (response.status === 403) sessionStorage.removeItem(TOKEN_KEY);
  const reasons = (answer.reasons || []).filter((reason) => reason !== answer.error);
  const why = [answer.error || `HTTP ${response.status}`, ...reasons].join("; ");
  throw new Error(`${method} ${path}: ${why}`);
}

/* ---- Try it ---- */
const encode = (value) => encodeURIComponent(value).replace(/%2C/gi, ",");
const shellQuote = (text) => `'${text.replace(/'/g, "'\\''")}'`;

/** A control's text as JSON, by the type the spec gives (a bad number goes as text, for the
 * API to refuse); as bodyform.typed does for the server's curl line. */
function scalar(text, type) {
  if (type === "boolean") return text === "true";
  if (type !== "integer" && type !== "number") return text;
  const number = Number(text);
  return Number.isFinite(number) ? number : text;
}

/** The JSON body a Try-it form sends: the raw editor's text as written, or the fields' object
 * (empty fields are not sent; an array field is comma-separated). */
function bodyOf(form) {
  if (!form.elements.json) return undefined;
  if (form.elements.raw.checked) return form.elements.json.value;
  const body = {};
  for (const field of $$(".field[data-prop]", form)) {
    const { prop, type, items } = field.dataset;
    const text = $("input, select, textarea", field).value.trim();
    if (!text) continue;
    body[prop] =
      type === "array"
        ? text.split(",").map((item) => item.trim()).filter(Boolean).map((item) => scalar(item, items))
        : scalar(text, type);
  }
  return JSON.stringify(body);
}

function toggleRaw(form) {
  const raw = form.elements.raw.checked;
  $(".body-fields", form).hidden = raw;
  $(".body-json", form).hidden = !raw;
}

/** The request a Try-it form describes; empty parameters are not sent. */
function requestOf(form) {
  let path = form.dataset.path;
  const query = [];
  const headers = {};
  for (const field of $$(".field[data-in]", form)) {
    const { in: where, name, kind, explode } = field.dataset;
    let values = $$("input, select", field).map((input) => input.value.trim()).filter(Boolean);
    if (kind === "checkbox") {
      const checked = $("input", field).checked;
      values = checked === (field.dataset.default === "true") ? [] : [String(checked)];
    }
    if (!values.length) continue;
    if (where === "path") path = path.replace(`{${name}}`, encodeURIComponent(values[0]));
    else if (where === "header") headers[name] = values[0];
    else if (explode === "true") values.forEach((v) => query.push(`${encode(name)}=${encode(v)}`));
    else query.push(`${encode(name)}=${values.map(encode).join(",")}`);
  }
  if (form.elements.prefer.value) headers.Prefer = form.elements.prefer.value;
  const body = bodyOf(form);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const { method } = form.dataset;
  return { method, url: path + (query.length ? `?${query.join("&")}` : ""), headers, body };
}

function showCurl(form) {
  const { method, url, headers, body } = requestOf(form);
  const words = method === "GET" ? ["curl"] : ["curl", "-X", method];
  words.push(...Object.entries(headers).map(([k, v]) => `-H ${shellQuote(`${k}: ${v}`)}`));
  if (body !== undefined) words.push("-d", shellQuote(body));
  $(".curl code", form).textContent = [...words, shellQuote(location.origin + url)].join(" ");
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

async function send(form) {
  const { method, url, headers, body } = requestOf(form);
  const answer = form.nextElementSibling;
  const status = $(".status", answer);
  showCurl(form);
  if (method === "DELETE" && !window.confirm(`Send DELETE ${url}?`)) return;
  answer.hidden = false;
  status.textContent = "Sending…";
  const started = performance.now();
  try {
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    const ms = Math.round(performance.now() - started);
    const line = `${response.status} ${response.statusText}`.trim();
    status.replaceChildren(el("span", { class: statusClass(response.status) }, line), ` in ${ms} ms`);
    $(".headers", answer).replaceChildren(...pairs(Object.fromEntries(response.headers)));
    $(".body", answer).textContent = text ? pretty(text) : "(no body)";
  } catch (error) {
    status.textContent = `No answer: ${error.message}`;
  }
}

function addItem(button) {
  const item = button.previousElementSibling.cloneNode();
  item.value = "";
  button.before(item);
  item.focus();
}

/** A Data id fills its field in the linked form and in the other forms of that resource (the
 * same API and path: its GET, PATCH, DELETE), then opens the linked one. */
function fill(link) {
  const op = document.getElementById(link.hash.slice(1));
  const { api, path } = $("form", op).dataset;
  const field = `.field[data-name="${CSS.escape(link.dataset.fill)}"] :is(input, select)`;
  for (const form of $$("form.try")) {
    const input = $(field, form);
    if (form.dataset.api !== api || form.dataset.path !== path || !input) continue;
    input.value = link.dataset.value;
    showCurl(form);
  }
  op.open = true;
  op.scrollIntoView({ block: "start" });
  $(field, op).focus({ preventScroll: true });
}

/* ---- live journal ---- */
let cursor = 0;
let timer = null;
let busy = false;

/** The server's notes on an entry, as [kind, text]: spec violations, then warnings. The page
 * derives nothing from the spec itself; it only says so when no operation answered. */
function notesOf(entry) {
  const notes = [
    ...entry.violations.map((v) => ["violation", `spec violation in ${`${v.where} ${v.path}`.trim()}: ${v.message}`]),
    ...entry.warnings.map((warning) => ["warn", warning]),
  ];
  if (!entry.operation && entry.method !== "OPTIONS") notes.push(["note", "no operation"]);
  return notes;
}

const noteOf = ([kind, text], tag = "span") => el(tag, { class: `note ${kind}` }, text);

function entryRow(entry) {
  const notes = notesOf(entry);
  const source = SOURCES.get(entry.source) ?? entry.source;
  const when = new Date(entry.time * 1000);
  const params = Object.fromEntries(Object.entries(entry.params).map(([k, v]) => [k, v.join(", ")]));
  const summary = el(
    "summary", {},
    el("span", { class: "method" }, entry.method), " ",
    el("code", {}, entry.path + (entry.query ? `?${entry.query}` : "")), " ",
    el("span", { class: statusClass(entry.status) }, String(entry.status)), " ",
    el("span", { class: "ms" }, `${entry.ms.toFixed(1)} ms`), " ",
    el("time", { datetime: when.toISOString() }, when.toTimeString().slice(0, 8)),
    ...(source ? [" ", el("span", { class: "source" }, source)] : []),
    ...notes.slice(0, NOTES).map((note) => noteOf(note)),
  );
  if (notes.length > NOTES) summary.append(noteOf(["note", `${notes.length - NOTES} more notes`]));
  const operation = { api: entry.api ?? "none", operation: entry.operation ?? "none" };
  const details = el(
    "details", {}, summary,
    el("dl", { class: "headers" }, ...pairs(operation)),
    el("p", {}, "Headers (secrets masked)"), el("dl", { class: "headers" }, ...pairs(entry.headers)),
    el("p", {}, "Parameters"), el("dl", { class: "headers" }, ...pairs(params)),
  );
  if (entry.body) details.append(el("p", {}, "Body (secrets masked)"), el("pre", { class: "body" }, pretty(entry.body)));
  if (notes.length > NOTES) details.append(el("ul", { class: "notes" }, ...notes.map((n) => noteOf(n, "li"))));
  const status = `${String(entry.status)[0]}xx`;
  const noted = String(entry.warnings.length + entry.violations.length > 0);
  const attrs = { "data-api": entry.api ?? "-", "data-status": status, "data-source": entry.source, "data-noted": noted };
  return el("li", { class: "entry", ...attrs }, details);
}

function filterJournal() {
  const { api, status, noted } = $("#journal-filter").elements;
  let shown = 0;
  for (const row of $$("#entries > li")) {
    row.hidden = Boolean(
      (api.value && row.dataset.api !== api.value) ||
        (status.value && row.dataset.status !== status.value) ||
        (noted.checked && row.dataset.noted !== "true"),
    );
    shown += row.hidden ? 0 : 1;
  }
  $("#no-entries").hidden = shown > 0;
}

function schedule(delay = POLL_MS) {
  if (!document.hidden && timer === null && !busy && $("#entries")) timer = setTimeout(poll, delay);
}

async function poll() {
  timer = null;
  busy = true;
  let delay = POLL_MS;
  try {
    const { requests } = await control("GET", `/requests?since=${cursor}&limit=${KEEP}`);
    if (requests.length) {
      cursor = requests[requests.length - 1].id;
      const list = $("#entries");
      list.prepend(...requests.reverse().map(entryRow));
      while (list.children.length > KEEP) list.lastElementChild.remove();
      filterJournal();
      await refreshScenarios(); // scenarios count down as requests arrive
      if (requests.some(wrote)) await refreshData();
    }
  } catch (error) {
    notice(error.message, "error");
    delay = POLL_MS * 5;
  } finally {
    busy = false;
  }
  schedule(delay);
}

/* ---- the Data section and the mock clock ---- */
const READS = new Set(["GET", "HEAD", "OPTIONS"]);
/** A journal entry that may have changed the data: an API's write that succeeded. */
const wrote = (entry) => entry.api && !READS.has(entry.method) && entry.status < 300;

/** The Data section's inventory again, as the server renders it (escaped there). */
async function refreshData() {
  const shown = $("#inventory");
  if (!shown) return;
  const response = await fetch(`${document.body.dataset.prefix}/?part=data`, { headers: tokenHeaders() });
  const part = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = part.getElementById("inventory");
  if (response.ok && fresh) shown.replaceWith(document.adoptNode(fresh));
}

/** The mock clock ticks on in the page from the instant the server last said (ms ahead of this
 * browser's own clock), so neither clocks' disagreement nor page age shows. */
let clockAhead = 0;
const second = (date) => date.toISOString().replace(/\.\d+Z$/, "Z");

function tickClock() {
  const output = $("#clock-now");
  if (output && output.dataset.frozen !== "true") output.textContent = second(new Date(Date.now() + clockAhead));
}

/** The clock as the control API answers it: to the second, and how it runs. */
function showClock({ now, frozen, offset_seconds: offset }) {
  const output = $("#clock-now");
  clockAhead = Date.parse(now) - Date.now();
  output.dataset.frozen = String(frozen);
  output.textContent = second(new Date(now));
  const whole = Math.round(offset);
  const mode = whole ? `real time ${whole > 0 ? "+" : ""}${whole} s` : "real time";
  $("#clock-mode").textContent = frozen ? "frozen" : mode;
}

/* ---- scenarios, faults, reset ---- */
function describe(scenario) {
  const parts = [];
  if (scenario.code) parts.push(`code ${scenario.code}`);
  if (scenario.example) parts.push(`example ${scenario.example}`);
  if (scenario.dynamic) parts.push("dynamic");
  const left = scenario.remaining == null ? ", until cleared" : `, next ${scenario.remaining}`;
  return parts.join(" ") + left;
}

async function refreshScenarios() {
  const { scenarios } = await control("GET", "/scenarios");
  for (const form of $$("form.scenario")) {
    const scenario = scenarios[form.dataset.key];
    $("output", form).textContent = scenario ? describe(scenario) : "";
  }
}

/** The JSON body of a control form. */
const BODIES = {
  scenario(form) {
    const choice = form.elements.answer.value;
    const name = choice.slice(0, choice.indexOf("="));
    const value = choice.slice(choice.indexOf("=") + 1);
    const body = { [name]: name === "code" ? Number(value) : name === "dynamic" ? true : value };
    if (form.elements.times.value) body.times = Number(form.elements.times.value);
    return body;
  },
  clock: (form) => ({ advance: form.elements.advance.value.trim() }),
  real: () => ({ real: true }),
  fault(form) {
    const body = {};
    if (form.elements.latency.value.trim()) body.latency = form.elements.latency.value.trim();
    if (form.elements.error_rate.value !== "") body.error_rate = Number(form.elements.error_rate.value);
    return body;
  },
};

/** What the page shows after a control call succeeded, from that call's answer alone. */
const AFTER = {
  scenario(form, answer) {
    $("output", form).textContent = "cleared" in answer ? "" : describe(answer);
  },
  /** /faults answers every fault; PUT /faults/{op} its own; DELETE /faults/{op} {cleared}. */
  fault(form, answer) {
    const show = (target, { latency_ms: latency, error_rate: rate } = {}) => {
      target.elements.latency.value = latency ? [...new Set(latency)].join("-") : ""; // 3-3 is 3
      target.elements.error_rate.value = rate ?? "";
    };
    if (!("global" in answer)) return show(form, "cleared" in answer ? {} : answer);
    show($("#faults"), answer.global);
    $$("form.fault[data-key]").forEach((each) => show(each, answer.operations[each.dataset.key]));
  },
  cleared() {
    $("#entries").replaceChildren();
    filterJournal();
  },
  clock(form, answer) {
    showClock(answer);
  },
  async reset() {
    AFTER.cleared();
    $$("form.scenario output").forEach((output) => (output.textContent = ""));
    $$("form.fault input").forEach((input) => (input.value = ""));
    if ($("#clock")) showClock(await control("GET", "/clock")); // the clock is real again
    await refreshData(); // created things are gone
  },
};

async function run(element, form) {
  const [method, path] = element.dataset.call.split(" ");
  const body = element.dataset.body ? BODIES[element.dataset.body](form) : undefined;
  try {
    const answer = await control(method, path, body);
    await AFTER[element.dataset.after]?.(form, answer);
    notice(`${method} ${path}: done`);
  } catch (error) {
    notice(error.message, "error");
  }
}

/* ---- the control token ---- */
let ticking = null;

async function unlock(token) {
  const response = await fetch(location.pathname, { headers: { "X-Mockserver-Token": token } });
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  if (!response.ok || page.body.dataset.locked) {
    sessionStorage.removeItem(TOKEN_KEY);
    notice("That control token was refused.", "error");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  document.body.replaceWith(document.adoptNode(page.body)); // the server's escaped page
  start();
}

function start() {
  const { locked } = document.body.dataset;
  document.documentElement.dataset.console = locked ? "locked" : "ready";
  if (locked) {
    const stored = sessionStorage.getItem(TOKEN_KEY);
    if (locked === "token" && stored) unlock(stored);
    return;
  }
  schedule(0);
  const clock = $("#clock-now");
  if (clock) clockAhead = Date.parse(clock.dataset.now) - Date.now();
  ticking ??= setInterval(tickClock, 1000);
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  event.preventDefault();
  if (form.id === "unlock") unlock(form.elements.token.value);
  else if (form.classList.contains("try")) send(form);
  else if (form.dataset.call) run(form, form);
});
document.addEventListener("click", (event) => {
  const target = event.target.closest("button[data-call], button.add, a[data-fill]");
  if (!target) return;
  event.preventDefault();
  if (target.matches("button[data-call]")) run(target, target.form);
  else if (target.matches("button.add")) addItem(target);
  else fill(target);
});
for (const type of ["input", "change"]) {
  document.addEventListener(type, (event) => {
    const form = event.target.closest("form");
    if (form?.classList.contains("try") && event.target.name === "raw") toggleRaw(form);
    if (form?.classList.contains("try")) showCurl(form);
    else if (form?.id === "journal-filter") filterJournal();
  });
}
document.addEventListener("visibilitychange", () => schedule());
start();
