"use strict";
// tracekit-view's page: the list of traces, one trace as a waterfall, two
// traces compared. Everything recorded is put in the page as text
// (textContent), never as HTML. Routes live in the URL's hash:
// #/ (the list), #/trace/ID, #/compare/A/B.

const ROW_HEIGHT = 24;
const OVERSCAN = 20;

const app = document.getElementById("app");

/// An element with attributes and children (strings become text).
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function millis(nanos) {
  const ms = Number(nanos) / 1e6;
  if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
  if (ms >= 10) return ms.toFixed(1) + " ms";
  return ms.toFixed(2) + " ms";
}

function when(nanos) {
  return new Date(Number(BigInt(nanos) / 1000000n)).toLocaleString();
}

async function fetchJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  return response.json();
}

function show(...nodes) {
  app.replaceChildren(...nodes);
}

function failure(error) {
  show(el("p", { class: "failure", role: "alert" }, String(error.message || error)), el("p", {}, el("a", { href: "#/" }, "back to the list")));
  document.body.dataset.ready = "failure";
}

// --- the list ---

const searchFields = ["service", "name", "tag", "min_ms", "max_ms"];
let lastSearch = new URLSearchParams();
let picked = [];

async function showList(query) {
  document.body.dataset.ready = "";
  lastSearch = query;
  const data = await fetchJson("/api/traces?" + query.toString());
  const form = el("form", { class: "search", onsubmit: (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of searchFields) {
      const value = form.elements[name].value.trim();
      if (value) next.set(name, value);
    }
    if (form.elements.error.checked) next.set("error", "1");
    location.hash = "#/?" + next.toString();
  } },
    ...searchFields.map((name) => el("label", {}, name.replace("_", " ") + " ",
      el("input", { name, value: query.get(name) || "", placeholder: placeholders[name] }))),
    el("label", {}, el("input", { type: "checkbox", name: "error", checked: query.get("error") === "1" }), " errors only"),
    el("button", { type: "submit" }, "Search"));
  const stats = data.stats;
  const kept = el("p", { class: "stats", id: "stats" },
    `${stats.traces} traces, ${stats.spans} spans kept (${(stats.bytes / 1048576).toFixed(1)} of ${(stats.max_bytes / 1048576).toFixed(0)} MB); `
    + `${stats.evicted_traces} traces (${stats.evicted_spans} spans) evicted to stay within it.`);
  picked = [];
  const compareButton = el("button", { id: "compare", disabled: true, onclick: () => {
    location.hash = `#/compare/${picked[0]}/${picked[1]}`;
  } }, "Compare the two picked");
  const rows = data.traces.map((trace) => el("tr", { class: trace.errors > 0 ? "trace error" : "trace", "data-trace-id": trace.trace_id },
    el("td", {}, el("input", { type: "checkbox", "aria-label": "pick for comparison", onchange: (event) => {
      if (event.target.checked) picked.push(trace.trace_id);
      else picked = picked.filter((id) => id !== trace.trace_id);
      compareButton.disabled = picked.length !== 2;
    } })),
    el("td", {}, el("a", { href: `#/trace/${trace.trace_id}` }, trace.root_name || "(no root)")),
    el("td", {}, trace.services.join(", ")),
    el("td", {}, when(trace.start)),
    el("td", { class: "number" }, millis(trace.duration)),
    el("td", { class: "number" }, trace.span_count),
    el("td", { class: "number" }, trace.errors > 0 ? `${trace.errors} failed` : "")));
  show(el("h1", {}, "Traces"), form, kept,
    rows.length === 0
      ? el("p", { id: "empty" }, "No trace matches.")
      : el("table", { class: "traces" },
        el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, "root"), el("th", {}, "services"), el("th", {}, "started"),
          el("th", {}, "duration"), el("th", {}, "spans"), el("th", {}, "errors"))),
        el("tbody", {}, rows)),
    compareButton);
  document.body.dataset.ready = "list";
}

const placeholders = { service: "inventory", name: "SELECT", tag: "http.route=/stock/{item}", min_ms: "0", max_ms: "" };

// --- one trace ---

/// The spans in tree order (depth first, children by start), each with
/// its depth; spans whose parent is missing are roots.
function treeOrder(spans) {
  const byId = new Map(spans.map((span) => [span.span_id, span]));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    if (span.parent_id && byId.has(span.parent_id)) {
      if (!children.has(span.parent_id)) children.set(span.parent_id, []);
      children.get(span.parent_id).push(span);
    } else {
      roots.push(span);
    }
  }
  const byStart = (a, b) => (BigInt(a.start) < BigInt(b.start) ? -1 : BigInt(a.start) > BigInt(b.start) ? 1 : 0);
  roots.sort(byStart);
  const ordered = [];
  const stack = roots.reverse().map((span) => [span, 0]);
  while (stack.length > 0) {
    const [span, depth] = stack.pop();
    ordered.push({ span, depth });
    const kids = (children.get(span.span_id) || []).slice().sort(byStart).reverse();
    for (const kid of kids) stack.push([kid, depth + 1]);
  }
  return ordered;
}

async function showTrace(traceId) {
  document.body.dataset.ready = "";
  const started = performance.now();
  const data = await fetchJson(`/api/traces/${encodeURIComponent(traceId)}`);
  const rows = treeOrder(data.spans);
  const first = rows.reduce((min, { span }) => (BigInt(span.start) < min ? BigInt(span.start) : min), BigInt(rows[0].span.start));
  const last = rows.reduce((max, { span }) => (BigInt(span.end) > max ? BigInt(span.end) : max), BigInt(rows[0].span.end));
  const total = Number(last - first) || 1;
  const errors = rows.map((row, index) => (row.span.error ? index : -1)).filter((index) => index >= 0);
  const services = [...new Set(rows.map((row) => row.span.service))];
  const detail = el("aside", { class: "detail", id: "detail" }, el("p", {}, "Pick a span to see its tags, logs and links."));
  let selected = -1;
  let errorAt = -1;

  const viewport = el("div", { class: "waterfall", id: "waterfall", tabindex: "0" });
  const spacer = el("div", { class: "spacer" });
  spacer.style.height = `${rows.length * ROW_HEIGHT}px`;
  const layer = el("div", { class: "rows" });
  spacer.append(layer);
  viewport.append(spacer);

  function rowNode(index) {
    const { span, depth } = rows[index];
    const offset = Number(BigInt(span.start) - first) / total;
    const width = Math.max(Number(BigInt(span.end) - BigInt(span.start)) / total, 0.001);
    const bar = el("div", { class: `bar service-${services.indexOf(span.service) % 8}${span.critical ? " critical" : ""}`, title: millis(BigInt(span.end) - BigInt(span.start)) });
    bar.style.left = `${(offset * 100).toFixed(3)}%`;
    bar.style.width = `${(width * 100).toFixed(3)}%`;
    const classes = ["row"];
    if (span.error) classes.push("error");
    if (span.critical) classes.push("critical");
    if (index === selected) classes.push("selected");
    const node = el("div", { class: classes.join(" "), role: "row", "data-span-id": span.span_id, "data-depth": depth, "data-index": index,
      "aria-selected": index === selected ? "true" : "false", onclick: () => select(index) },
      el("div", { class: "label" },
        el("span", { class: "indent" }),
        el("span", { class: "name" }, span.name),
        el("span", { class: "service" }, span.service),
        span.error ? el("span", { class: "badge" }, "error") : null),
      el("div", { class: "timeline" }, bar),
      el("div", { class: "duration" }, millis(BigInt(span.end) - BigInt(span.start))));
    node.querySelector(".indent").style.width = `${depth * 14}px`;
    node.style.top = `${index * ROW_HEIGHT}px`;
    return node;
  }

  // Only the rows in view (and a few around) are in the page.
  function paint() {
    const top = Math.max(0, Math.floor(viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const bottom = Math.min(rows.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const nodes = [];
    for (let index = top; index < bottom; index++) nodes.push(rowNode(index));
    layer.replaceChildren(...nodes);
  }

  function select(index) {
    selected = index;
    const { span } = rows[index];
    const rowTop = index * ROW_HEIGHT;
    if (rowTop < viewport.scrollTop || rowTop > viewport.scrollTop + viewport.clientHeight - ROW_HEIGHT) {
      viewport.scrollTop = Math.max(0, rowTop - viewport.clientHeight / 3);
    }
    paint();
    detail.replaceChildren(...spanDetail(span));
  }

  function jumpToError(step) {
    if (errors.length === 0) return;
    errorAt = (errorAt + step + errors.length) % errors.length;
    select(errors[errorAt]);
    position.textContent = `error ${errorAt + 1} of ${errors.length}`;
  }

  const position = el("span", { id: "error-position" }, errors.length === 0 ? "no errors" : `${errors.length} errors`);
  viewport.addEventListener("scroll", paint);
  viewport.addEventListener("keydown", (event) => {
    if (event.key === "n") jumpToError(1);
    else if (event.key === "p") jumpToError(-1);
    else if (event.key === "ArrowDown" && selected < rows.length - 1) select(selected + 1);
    else if (event.key === "ArrowUp" && selected > 0) select(selected - 1);
    else return;
    event.preventDefault();
  });
  show(
    el("p", {}, el("a", { href: "#/?" + lastSearch.toString() }, "← traces")),
    el("h1", {}, rows[0].span.name),
    el("p", { class: "summary" }, `${millis(total)}, ${rows.length} spans, ${services.join(", ")}; `,
      el("span", { class: "critical-key" }, "outlined"), " bars are the critical path. ",
      el("button", { id: "next-error", onclick: () => jumpToError(1), disabled: errors.length === 0 }, "Next error (n)"), " ",
      el("button", { id: "previous-error", onclick: () => jumpToError(-1), disabled: errors.length === 0 }, "Previous (p)"), " ",
      position),
    el("div", { class: "trace-view" }, viewport, detail));
  paint();
  viewport.focus();
  document.body.dataset.ready = "trace";
  document.body.dataset.paintMs = (performance.now() - started).toFixed(1);
}

function table(object) {
  const entries = Object.entries(object || {});
  if (entries.length === 0) return el("p", { class: "none" }, "none");
  return el("table", { class: "fields" }, el("tbody", {}, entries.map(([key, value]) =>
    el("tr", {}, el("th", {}, key), el("td", {}, typeof value === "string" ? value : JSON.stringify(value))))));
}

function spanDetail(span) {
  const detail = span.detail || {};
  const logs = (detail.logs || []).map((log) => el("li", {},
    el("strong", {}, log.name || "log"), " ", el("span", { class: "when" }, log.time ? when(log.time) : ""), table(log.fields)));
  const links = (detail.links || []).map((link) => el("li", {},
    link.trace_id ? el("a", { href: `#/trace/${link.trace_id}` }, `${link.trace_id} / ${link.span_id}`) : "", table(link.attributes)));
  return [
    el("h2", {}, span.name),
    el("p", {}, `${span.service}, ${span.kind}, ${millis(BigInt(span.end) - BigInt(span.start))}${span.error ? ", failed" : ""}${span.critical ? ", on the critical path" : ""}`),
    detail.status_message ? el("p", { class: "failure" }, detail.status_message) : null,
    el("h3", {}, "Tags"), table(detail.tags),
    el("h3", {}, "Logs"), logs.length ? el("ul", { class: "logs" }, logs) : el("p", { class: "none" }, "none"),
    el("h3", {}, "Links"), links.length ? el("ul", {}, links) : el("p", { class: "none" }, "none"),
    el("h3", {}, "Baggage"), table(detail.baggage),
    el("h3", {}, "Resource"), table(detail.resource),
  ];
}

// --- two traces ---

async function showCompare(a, b) {
  document.body.dataset.ready = "";
  const data = await fetchJson(`/api/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  const rows = data.rows.map((row) => {
    const delta = row.a !== null && row.b !== null ? row.b - row.a : null;
    const state = row.a === null ? "appeared" : row.b === null ? "disappeared" : delta > 0 ? "slower" : delta < 0 ? "faster" : "same";
    const nameCell = el("td", {}, el("span", { class: "indent" }), row.name, " ", el("span", { class: "service" }, row.service));
    nameCell.firstChild.style.width = `${row.depth * 14}px`;
    return el("tr", { class: `diff ${state}`, "data-state": state, "data-path": row.path },
      nameCell,
      el("td", { class: "number" }, row.a === null ? "—" : millis(row.a)),
      el("td", { class: "number" }, row.b === null ? "—" : millis(row.b)),
      el("td", { class: "number" }, delta === null ? state : (delta > 0 ? "+" : "") + millis(delta)));
  });
  show(
    el("p", {}, el("a", { href: "#/?" + lastSearch.toString() }, "← traces")),
    el("h1", {}, "Two traces compared"),
    el("p", {}, "A: ", el("a", { href: `#/trace/${a}` }, a), " — B: ", el("a", { href: `#/trace/${b}` }, b)),
    el("table", { class: "compare" },
      el("thead", {}, el("tr", {}, el("th", {}, "span"), el("th", {}, "A"), el("th", {}, "B"), el("th", {}, "B − A"))),
      el("tbody", {}, rows)));
  document.body.dataset.ready = "compare";
}

// --- routing ---

async function route() {
  const hash = location.hash || "#/";
  try {
    let match;
    if ((match = hash.match(/^#\/trace\/([0-9a-fA-F]{32})$/))) await showTrace(match[1]);
    else if ((match = hash.match(/^#\/compare\/([0-9a-fA-F]{32})\/([0-9a-fA-F]{32})$/))) await showCompare(match[1], match[2]);
    else await showList(new URLSearchParams(hash.replace(/^#\/\??/, "")));
  } catch (error) {
    failure(error);
  }
}

window.addEventListener("hashchange", route);
route();
