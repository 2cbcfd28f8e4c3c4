// SPDX-License-Identifier: MIT
/**
 * The chat page: pick a source and table, ask questions, watch answers stream in.
 *
 * Answers arrive over the conversation's websocket (ws/conversations/<id>/) as events: status, plan,
 * sql, data, chart, token…, suggestions, then done | error | cancelled. When the socket cannot be opened
 * the same events are read from the API as Server-Sent Events, and as a last resort the finished answer
 * is fetched as JSON. Every wait has a client-side timeout, and every failure is shown as text in the
 * conversation. All user-supplied text is set with textContent, never innerHTML.
 */
import { renderChart } from "./charts.js";

const config = JSON.parse(document.getElementById("chat-config").textContent);
const $ = (id) => document.getElementById(id);
const els = {
  sourceSelect: $("chat-source"),
  tableSelect: $("chat-table"),
  newForm: $("chat-new"),
  newError: $("chat-new-error"),
  list: $("chat-list"),
  title: $("chat-title"),
  subtitle: $("chat-subtitle"),
  first: $("chat-first"),
  log: $("chat-log"),
  announce: $("chat-announce"),
  composer: $("chat-composer"),
  askForm: $("chat-ask"),
  question: $("chat-question"),
  send: $("chat-send"),
  cancel: $("chat-cancel"),
  status: $("chat-status"),
  editing: $("chat-editing"),
};

const IDLE_TIMEOUT_MS = 90_000; // no event for this long: the answer is given up on
const CONNECT_TIMEOUT_MS = 5_000;
const STAGES = { planning: "Understanding the question…", querying: "Running the query…", rendering: "Drawing the chart…" };
const AGGREGATIONS = ["sum", "avg", "count", "count_distinct", "min", "max", "median"];
const GRANULARITIES = ["", "day", "week", "month", "quarter", "year", "weekday", "month_of_year"];
const FILTER_OPS = { eq: "is", neq: "is not", in: "is one of", gt: ">", gte: "≥", lt: "<", lte: "≤", contains: "contains", between: "between" };
const COMMON_TYPES = ["column", "bar", "line", "area", "pie", "donut", "scatter", "table", "kpi"];

const state = {
  conversation: null,
  columns: [],
  chartNames: {},
  socket: null,
  socketReady: null,
  busy: false,
  abort: null, // cancels the running answer, whatever carries it
  watchdog: null,
  cards: new Map(), // message id -> card
  pending: null, // the card of the answer being streamed before its id is known
  charts: new Map(), // container -> {dispose}
};

// --- small helpers -------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
}

async function api(url, { method = "GET", body, timeout = 60_000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  try {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      signal: controller.signal,
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(payload.error?.message || `The server answered ${response.status}.`);
    return payload;
  } catch (error) {
    if (error.name === "AbortError") throw new Error("The server took too long to answer. Try again.");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function announce(text) {
  els.announce.textContent = text;
}

function setStatus(text) {
  els.status.textContent = text || "";
}

function chartName(type) {
  return state.chartNames[type] || type;
}

// --- sources, tables and the conversation list ----------------------------------------------------

async function loadSources() {
  try {
    const sources = await api(config.urls.sources);
    const ready = (Array.isArray(sources) ? sources : sources.sources || []).filter(
      (s) => s.status === "ready" && s.tables?.length,
    );
    const options = ready.map((s) => {
      const option = new Option(s.name, s.id);
      option.dataset.tables = JSON.stringify(s.tables);
      return option;
    });
    if (!options.length) {
      els.sourceSelect.replaceChildren(new Option("No ready data sources yet", ""));
      els.sourceSelect.disabled = true;
      return;
    }
    els.sourceSelect.replaceChildren(new Option("Choose a data source", ""), ...options);
    if (options.length === 1) {
      els.sourceSelect.value = options[0].value;
      fillTables();
    }
  } catch (error) {
    showNewError(`Could not load the data sources: ${error.message}`);
  }
}

function fillTables() {
  const option = els.sourceSelect.selectedOptions[0];
  const tables = option?.dataset.tables ? JSON.parse(option.dataset.tables) : [];
  els.tableSelect.replaceChildren(...tables.map((t) => new Option(t, t)));
  els.tableSelect.disabled = !tables.length;
}

function showNewError(message) {
  els.newError.textContent = message;
  els.newError.hidden = !message;
}

async function startConversation(event) {
  event.preventDefault();
  showNewError("");
  if (!els.sourceSelect.value || !els.tableSelect.value) {
    showNewError("Choose a data source and a table first.");
    return;
  }
  try {
    const conversation = await api(config.urls.conversations, {
      method: "POST",
      body: { source: Number(els.sourceSelect.value), table: els.tableSelect.value },
    });
    window.location.assign(`${config.urls.page}${conversation.id}/`);
  } catch (error) {
    showNewError(error.message);
  }
}

async function loadConversationList() {
  try {
    const { conversations } = await api(config.urls.conversations);
    if (!conversations.length) {
      els.list.replaceChildren(el("li", { class: "muted", text: "No conversations yet." }));
      return;
    }
    els.list.replaceChildren(
      ...conversations.map((c) =>
        el(
          "li",
          {},
          el(
            "a",
            { href: `${config.urls.page}${c.id}/`, "aria-current": c.id === config.conversation ? "page" : null },
            c.title,
            el("small", { text: `${c.source_name} · ${c.table}` }),
          ),
        ),
      ),
    );
  } catch (error) {
    els.list.replaceChildren(el("li", { class: "error", text: error.message }));
  }
}

async function loadChartNames() {
  try {
    const { types } = await api("/api/v1/charts/types/");
    for (const type of types) state.chartNames[type.id] = type.name;
  } catch {
    // Names are a nicety: ids are shown instead.
  }
}

// --- one conversation -------------------------------------------------------------------------------

async function openConversation(id) {
  const conversation = await api(`${config.urls.conversations}${id}/`);
  state.conversation = conversation;
  els.title.textContent = conversation.title;
  els.subtitle.textContent = `${conversation.source_name} · ${conversation.table}`;
  els.composer.hidden = false;
  renderFirstQuestions(conversation.first_questions || []);
  renderHistory(conversation.messages || []);
  loadColumns(conversation);
  connectSocket(id);
  els.question.focus();
}

async function loadColumns(conversation) {
  try {
    const table = await api(
      `${config.urls.sources}${conversation.source}/tables/${encodeURIComponent(conversation.table)}/`,
    );
    state.columns = table.columns || [];
  } catch {
    state.columns = [];
  }
}

function renderFirstQuestions(questions) {
  els.first.replaceChildren(...questions.map((q) => el("button", { type: "button", class: "chip", text: q, onclick: () => ask(q) })));
  els.first.hidden = !questions.length || els.log.children.length > 0;
}

function renderHistory(messages) {
  for (const { dispose } of state.charts.values()) dispose();
  state.charts.clear();
  state.cards.clear();
  els.log.replaceChildren();
  for (const message of messages) {
    if (message.role === "user") els.log.append(userBubble(message.content));
    else showMessage(message);
  }
  els.first.hidden = messages.length > 0 || !els.first.children.length;
  els.log.lastElementChild?.scrollIntoView({ block: "end" });
}

function userBubble(text) {
  return el(
    "div",
    { class: "chat__msg chat__msg--user" },
    el("span", { text }),
    el("button", {
      type: "button",
      class: "link",
      text: "Edit",
      "aria-label": `Edit and resend: ${text}`,
      onclick: () => editQuestion(text),
    }),
  );
}

function editQuestion(text) {
  els.question.value = text;
  els.editing.textContent = "Editing an earlier question: change it and press Ask to send it again.";
  els.editing.hidden = false;
  els.question.focus();
}

// --- an assistant message's card ------------------------------------------------------------------

function newCard() {
  const card = {
    root: el("article", { class: "chat__msg chat__msg--assistant", "aria-busy": "true" }),
    rerunOf: el("p", { class: "chat__rerun", hidden: true }),
    stage: el("p", { class: "chat__stage", role: "status" }),
    explanation: el("p", { class: "chat__explanation", hidden: true }),
    notice: el("p", { class: "chat__notice", hidden: true }),
    error: el("p", { class: "error", role: "alert", hidden: true }),
    chart: el("div", { class: "chat__chart", hidden: true, role: "img" }),
    narrative: el("p", { class: "chat__narrative", "aria-live": "polite" }),
    tools: el("div", { class: "chat__tools", hidden: true }),
    chips: el("div", { class: "chat__chips", hidden: true }),
    sql: "",
    data: null,
    message: null,
  };
  card.root.append(card.rerunOf, card.stage, card.explanation, card.notice, card.error, card.chart, card.narrative, card.tools, card.chips);
  els.log.append(card.root);
  return card;
}

function cardFor(id) {
  if (id && state.cards.has(id)) return state.cards.get(id);
  const card = state.pending || newCard();
  state.pending = card;
  if (id) {
    state.cards.set(id, card);
    card.id = id;
  }
  return card;
}

function drawChart(card, chart, data) {
  const previous = state.charts.get(card.chart);
  previous?.dispose();
  card.chart.hidden = false;
  card.chart.setAttribute("aria-label", `${chartName(chart.type || chart.chart_type)} chart`);
  try {
    state.charts.set(card.chart, renderChart(card.chart, chart.option, { data }));
  } catch (error) {
    card.chart.hidden = true;
    showCardError(card, `The chart could not be drawn: ${error.message}`);
  }
}

function showCardError(card, message) {
  card.error.textContent = message;
  card.error.hidden = !message;
}

function showMessage(message) {
  const card = state.cards.get(message.id) || newCard();
  state.cards.set(message.id, card);
  card.id = message.id;
  card.message = message;
  card.root.removeAttribute("aria-busy");
  card.stage.textContent = "";
  card.stage.hidden = true;
  card.rerunOf.textContent = message.rerun_of ? `Re-run of the answer to “${message.question}”` : "";
  card.rerunOf.hidden = !message.rerun_of;
  card.explanation.textContent = message.explanation || "";
  card.explanation.hidden = !message.explanation;
  card.notice.textContent = message.fallback_reason || "";
  card.notice.hidden = !message.fallback_reason;
  showCardError(card, message.status === "error" ? message.error : "");
  if (message.status === "cancelled") card.stage.textContent = "Cancelled.";
  card.stage.hidden = message.status !== "cancelled";
  card.sql = message.sql || "";
  card.data = message.data;
  if (message.chart?.option) drawChart(card, message.chart, message.data);
  else {
    state.charts.get(card.chart)?.dispose();
    card.chart.hidden = true;
  }
  card.narrative.textContent = message.kind === "clarification" ? message.content : message.narrative || "";
  renderChips(card, message.suggestions || []);
  renderTools(card, message);
}

function renderChips(card, suggestions) {
  card.chips.replaceChildren(
    ...suggestions.map((s) => el("button", { type: "button", class: "chip", text: s, onclick: () => ask(s) })),
  );
  card.chips.hidden = !suggestions.length;
  if (suggestions.length) card.chips.setAttribute("aria-label", "Suggested follow-up questions");
}

function renderTools(card, message) {
  card.tools.replaceChildren();
  const tools = [];
  if (message.sql) {
    tools.push(el("details", { class: "chat__details" }, el("summary", { text: "Show SQL" }), el("pre", {}, el("code", { text: message.sql }))));
  }
  if (message.data?.columns?.length) tools.push(dataDetails(message.data));
  if (message.chart && message.status === "done") tools.push(switchControl(card, message));
  if (message.chart && message.query && config.canSaveChart) {
    tools.push(el("button", { type: "button", class: "button secondary", text: "Save chart", onclick: () => saveChart(card, message) }));
  }
  if (message.kind === "answer" && (message.query || message.sql) && message.status !== "running") {
    tools.push(el("button", { type: "button", class: "button secondary", text: "Edit query", "aria-expanded": "false", onclick: (e) => toggleEditor(card, message, e.currentTarget) }));
  }
  card.tools.append(...tools);
  card.tools.hidden = !tools.length;
}

function dataDetails(data) {
  const details = el("details", { class: "chat__details" }, el("summary", { text: `Show data (${data.row_count ?? data.rows.length} rows)` }));
  details.addEventListener("toggle", () => {
    if (!details.open || details.querySelector("table")) return;
    const head = el("tr", {}, ...data.columns.map((c) => el("th", { scope: "col", text: c.name })));
    const rows = data.rows.map((row) => el("tr", {}, ...row.map((v) => el("td", { text: cellText(v) }))));
    const wrapper = el("div", { class: "chat__data" }, el("table", { class: "table" }, el("thead", {}, head), el("tbody", {}, ...rows)));
    details.append(wrapper);
    if (data.truncated) details.append(el("p", { class: "muted", text: `Showing the first ${data.rows.length} of ${data.row_count} rows.` }));
  });
  return details;
}

function cellText(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number" && !Number.isInteger(value)) {
    return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  return String(value);
}

function switchControl(card, message) {
  const id = `switch-${message.id}`;
  const current = message.chart.type;
  const types = [current, ...(message.chart.alternatives || [])].filter((t, i, all) => t && all.indexOf(t) === i);
  const select = el("select", { id }, ...types.map((t) => new Option(chartName(t), t, false, t === current)));
  select.disabled = types.length < 2;
  select.addEventListener("change", () => {
    if (select.value !== current) rerun(message, { chart_type: select.value }, select);
  });
  return el("span", { class: "row", style: "margin:0" }, el("label", { for: id, text: "Chart type" }), select);
}

async function saveChart(card, message) {
  const button = card.tools.querySelector("button.button");
  try {
    const chart = await api(config.urls.charts, {
      method: "POST",
      body: { title: message.chart.spec?.title || state.conversation.title, spec: message.chart.spec, query: message.query, source: state.conversation.source },
    });
    const link = el("a", { href: `/charts/${chart.id}/`, text: `Saved as “${chart.title}”` });
    button?.replaceWith(link);
    announce("Chart saved.");
  } catch (error) {
    showCardError(card, `The chart could not be saved: ${error.message}`);
  }
}

// --- edit query -------------------------------------------------------------------------------------

function fieldSelect(value, { numericOnly = false, allowNone = false, label }) {
  const columns = state.columns.filter((c) => !numericOnly || ["integer", "decimal"].includes(c.type));
  const select = el("select", { "aria-label": label });
  if (allowNone) select.append(new Option("(rows)", ""));
  for (const column of columns) select.append(new Option(column.name, column.name, false, column.name === value));
  if (value && !columns.some((c) => c.name === value)) select.append(new Option(value, value, true, true));
  return select;
}

function choiceSelect(values, value, label, names = {}) {
  return el("select", { "aria-label": label }, ...values.map((v) => new Option(names[v] || v || "(none)", v, false, v === (value ?? ""))));
}

function removable(row, container) {
  row.append(el("button", { type: "button", class: "link danger", text: "Remove", onclick: () => { row.remove(); container.dispatchEvent(new Event("change")); } }));
  return row;
}

function measureRow(measure = {}, container) {
  const row = el("div", { class: "row", "data-kind": "measure" });
  row.append(choiceSelect(AGGREGATIONS, measure.agg || "sum", "Aggregation"), fieldSelect(measure.field, { allowNone: true, label: "Measured column" }));
  return removable(row, container);
}

function groupingRow(dimension = {}, container) {
  const row = el("div", { class: "row", "data-kind": "dimension" });
  row.append(fieldSelect(dimension.field, { label: "Group by column" }), choiceSelect(GRANULARITIES, dimension.granularity || "", "Date granularity"));
  return removable(row, container);
}

function filterRow(filter = {}, container) {
  const row = el("div", { class: "row", "data-kind": "filter" });
  const value = Array.isArray(filter.value) ? filter.value.join(", ") : filter.value ?? "";
  row.append(
    fieldSelect(filter.field, { label: "Filtered column" }),
    choiceSelect(Object.keys(FILTER_OPS), filter.op || "eq", "Condition", FILTER_OPS),
    el("input", { type: "text", "aria-label": "Value (separate several with commas)", value: String(value), size: 18 }),
  );
  if (filter.op && !FILTER_OPS[filter.op]) row.dataset.raw = JSON.stringify(filter); // kept as it was
  return removable(row, container);
}

function section(title, rows, addLabel, makeRow) {
  const fieldset = el("fieldset", {}, el("legend", { text: title }));
  const list = el("div");
  for (const item of rows) list.append(makeRow(item, list));
  fieldset.append(list, el("button", { type: "button", class: "link", text: addLabel, onclick: () => list.append(makeRow({}, list)) }));
  return { fieldset, list };
}

function parseValue(text, column) {
  const numeric = ["integer", "decimal"].includes(column?.type);
  const convert = (v) => (numeric && v !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
  return text.split(",").map((v) => convert(v.trim())).filter((v) => v !== "");
}

function readQuery(base, lists) {
  const selects = (row) => [...row.querySelectorAll("select, input")].map((c) => c.value);
  const measures = [...lists.measures.children].map((row) => {
    const [agg, field] = selects(row);
    return field ? { agg, field } : { agg: "count" };
  });
  const dimensions = [...lists.dimensions.children].map((row) => {
    const [field, granularity] = selects(row);
    return granularity ? { field, granularity } : { field };
  });
  const filters = [...lists.filters.children].map((row) => {
    if (row.dataset.raw) return JSON.parse(row.dataset.raw);
    const [field, op, text] = selects(row);
    const values = parseValue(text, state.columns.find((c) => c.name === field));
    const value = op === "in" || op === "between" ? values : values[0];
    return { field, op, value: value ?? null };
  });
  const outputs = new Set([...dimensions.map((d) => (d.granularity ? `${d.field}_${d.granularity}` : d.field)), ...measures.map((m) => (m.field ? (m.agg === "sum" ? m.field : `${m.agg}_${m.field}`) : "count"))]);
  const order = (base.order || []).filter((o) => outputs.has(o.field));
  return { ...base, measures, dimensions, filters, order };
}

function toggleEditor(card, message, button) {
  const open = card.root.querySelector(".chat__edit");
  if (open) {
    open.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  button.setAttribute("aria-expanded", "true");
  const form = el("form", { class: "chat__edit", "aria-label": "Edit the query" });
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const query = message.query || {};
  const lists = {};
  if (message.query) {
    const measures = section("Measures", query.measures || [], "Add a measure", measureRow);
    const dimensions = section("Group by", query.dimensions || [], "Add a grouping", groupingRow);
    const filters = section("Filters", query.filters || [], "Add a filter", filterRow);
    Object.assign(lists, { measures: measures.list, dimensions: dimensions.list, filters: filters.list });
    form.append(measures.fieldset, dimensions.fieldset, filters.fieldset);
  }
  const typeId = `edit-type-${message.id}`;
  const types = [...new Set([message.chart?.type, ...(message.chart?.alternatives || []), ...COMMON_TYPES].filter(Boolean))];
  const typeSelect = el("select", { id: typeId }, new Option("(best fit)", ""), ...types.map((t) => new Option(chartName(t), t, false, t === message.chart?.type)));
  form.append(el("div", { class: "row" }, el("label", { for: typeId, text: "Chart type" }), typeSelect));
  let sqlArea = null;
  if (config.canEditSql) {
    const sqlId = `edit-sql-${message.id}`;
    sqlArea = el("textarea", { id: sqlId, rows: 5, spellcheck: "false" });
    sqlArea.value = message.sql || "";
    form.append(el("details", { class: "chat__details", open: message.query ? null : true }, el("summary", { text: "Edit the SQL instead (editors)" }), el("label", { for: sqlId, class: "muted", text: "A single SELECT over this source's tables" }), sqlArea));
  }
  const submit = el("button", { type: "submit", class: "button", text: "Re-run" });
  form.append(el("div", { class: "row" }, submit, el("button", { type: "button", class: "button secondary", text: "Close", onclick: () => toggleEditor(card, message, button) })), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const sqlChanged = sqlArea && sqlArea.value.trim() && sqlArea.value.trim() !== (message.sql || "").trim();
    const body = sqlChanged || !message.query ? { sql: sqlArea?.value || "" } : { query: readQuery(query, lists) };
    if (typeSelect.value) body.chart_type = typeSelect.value;
    const ok = await rerun(message, body, submit, (text) => {
      error.textContent = text;
      error.hidden = false;
    });
    if (ok) form.remove();
  });
  card.root.append(form);
  form.querySelector("select, textarea")?.focus();
}

async function rerun(message, body, control, onError) {
  if (state.busy) return false;
  setBusy(true, null);
  if (control) control.disabled = true;
  setStatus("Re-running…");
  try {
    const answer = await api(`${config.urls.conversations}${state.conversation.id}/messages/${message.id}/rerun/`, {
      method: "POST",
      body,
      timeout: IDLE_TIMEOUT_MS,
    });
    state.pending = null;
    showMessage(answer);
    state.cards.get(answer.id)?.root.scrollIntoView({ block: "start", behavior: "smooth" });
    announce(answer.status === "done" ? "The answer was re-run." : answer.error);
    return true;
  } catch (error) {
    if (onError) onError(error.message);
    else showCardError(state.cards.get(message.id), error.message);
    return false;
  } finally {
    if (control) control.disabled = false;
    // The earlier answer keeps its own chart: its chart-type choice goes back to what it shows.
    if (control?.tagName === "SELECT" && message.chart) control.value = message.chart.type;
    setBusy(false);
    setStatus("");
  }
}

// --- asking and streaming ------------------------------------------------------------------------

function setBusy(busy, abort) {
  state.busy = busy;
  state.abort = busy ? abort : null;
  els.send.disabled = busy;
  els.cancel.hidden = !busy || !abort;
  els.cancel.disabled = false;
  if (!busy) {
    clearTimeout(state.watchdog);
    state.pending = null;
  }
}

function touchWatchdog(onTimeout) {
  clearTimeout(state.watchdog);
  state.watchdog = setTimeout(onTimeout, IDLE_TIMEOUT_MS);
}

function handleEvent(event) {
  switch (event.type) {
    case "history":
      if (!state.busy) renderHistory(event.messages);
      return false;
    case "status": {
      const card = cardFor(event.message_id);
      card.stage.textContent = STAGES[event.stage] || "";
      setStatus(STAGES[event.stage] || "");
      return false;
    }
    case "plan": {
      const card = cardFor(null);
      card.explanation.textContent = event.explanation;
      card.explanation.hidden = !event.explanation;
      card.notice.textContent = event.fallback_reason || "";
      card.notice.hidden = !event.fallback_reason;
      return false;
    }
    case "clarification": {
      const card = cardFor(null);
      card.narrative.textContent = event.message;
      renderChips(card, event.suggestions);
      return false;
    }
    case "sql":
      cardFor(null).sql = event.sql;
      return false;
    case "data":
      cardFor(null).data = { columns: event.columns, rows: event.rows, row_count: event.row_count, truncated: event.truncated };
      return false;
    case "chart": {
      const card = cardFor(null);
      drawChart(card, { type: event.chart_type, option: event.option }, card.data);
      return false;
    }
    case "token":
      cardFor(null).narrative.textContent += event.text;
      return false;
    case "suggestions":
      renderChips(cardFor(null), event.suggestions);
      return false;
    case "done":
    case "cancelled":
      if (event.message) showMessage(event.message);
      announce(event.type === "done" ? "The answer is ready." : "The answer was cancelled.");
      return true;
    case "error": {
      if (event.code === "busy" || event.code === "invalid") {
        setStatus(event.message);
        return false;
      }
      const card = cardFor(event.message_id);
      card.root.removeAttribute("aria-busy");
      card.stage.hidden = true;
      showCardError(card, event.message);
      announce(event.message);
      return true;
    }
    default:
      return false;
  }
}

function socketUrl(id) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}${config.urls.websocket}${id}/`;
}

function connectSocket(id) {
  let socket;
  try {
    socket = new WebSocket(socketUrl(id));
  } catch {
    state.socketReady = Promise.resolve(null);
    return;
  }
  state.socket = socket;
  state.socketReady = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), CONNECT_TIMEOUT_MS);
    socket.addEventListener("open", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.addEventListener("close", () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  socket.addEventListener("message", (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (state.busy && state.onSocketEvent) state.onSocketEvent(event);
    else handleEvent(event);
  });
  socket.addEventListener("close", () => {
    if (state.socket === socket) state.socket = null;
    if (state.busy && state.onSocketClosed) state.onSocketClosed();
  });
}

async function openSocket() {
  const socket = state.socket && (await state.socketReady);
  if (socket && socket.readyState === WebSocket.OPEN) return socket;
  connectSocket(state.conversation.id);
  const fresh = await state.socketReady;
  return fresh && fresh.readyState === WebSocket.OPEN ? fresh : null;
}

/** Ask over the websocket; resolves false when the socket is unusable (the caller falls back). */
async function askOverSocket(text) {
  const socket = await openSocket();
  if (!socket) return false;
  return new Promise((resolve) => {
    let finished = false;
    const finish = () => {
      finished = true;
      state.onSocketEvent = null;
      state.onSocketClosed = null;
      setBusy(false);
      resolve(true);
    };
    const timeout = () => {
      if (finished) return;
      showCardError(cardFor(null), "No answer arrived in time. The server may be busy: try again in a moment.");
      socket.send(JSON.stringify({ type: "cancel" }));
      finish();
    };
    state.onSocketEvent = (event) => {
      touchWatchdog(timeout);
      if (handleEvent(event)) finish();
    };
    state.onSocketClosed = () => {
      if (finished) return;
      showCardError(cardFor(null), "The connection was lost. Reload the page to see the finished answer.");
      finish();
    };
    setBusy(true, () => socket.send(JSON.stringify({ type: "cancel" })));
    touchWatchdog(timeout);
    socket.send(JSON.stringify({ type: "ask", content: text }));
  });
}

/** Ask through the API and read its Server-Sent Events; falls back to the JSON answer. */
async function askOverHttp(text) {
  const controller = new AbortController();
  const url = `${config.urls.conversations}${state.conversation.id}/messages/`;
  setBusy(true, () => controller.abort());
  const timeout = () => controller.abort();
  touchWatchdog(timeout);
  try {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      signal: controller.signal,
      headers: { Accept: "text/event-stream", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ content: text }),
    });
    if (!response.ok) {
      const payload = await response.json().catch(() => ({}));
      throw new Error(payload.error?.message || `The server answered ${response.status}.`);
    }
    if (!response.body || !(response.headers.get("Content-Type") || "").includes("event-stream")) {
      showMessage(await response.json());
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      touchWatchdog(timeout);
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").find((line) => line.startsWith("data: "));
        if (data) handleEvent(JSON.parse(data.slice(6)));
      }
    }
  } catch (error) {
    const message = error.name === "AbortError" ? "The answer was stopped." : error.message;
    showCardError(cardFor(null), message);
    announce(message);
  } finally {
    setBusy(false);
  }
}

async function ask(text) {
  const question = (text || "").trim();
  if (!question || state.busy || !state.conversation) return;
  els.first.hidden = true;
  els.editing.hidden = true;
  els.question.value = "";
  els.log.append(userBubble(question));
  state.pending = newCard();
  state.pending.stage.textContent = "Sending…";
  state.pending.root.scrollIntoView({ block: "nearest" });
  const sent = await askOverSocket(question);
  if (!sent) await askOverHttp(question);
  setStatus("");
  loadConversationList();
  els.question.focus();
}

// --- wiring -------------------------------------------------------------------------------------------

els.sourceSelect.addEventListener("change", fillTables);
els.newForm.addEventListener("submit", startConversation);
els.askForm.addEventListener("submit", (event) => {
  event.preventDefault();
  ask(els.question.value);
});
els.question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    ask(els.question.value);
  }
});
els.cancel.addEventListener("click", () => {
  els.cancel.disabled = true;
  setStatus("Cancelling…");
  state.abort?.();
});

loadSources();
loadConversationList();
loadChartNames();
if (config.conversation) {
  openConversation(config.conversation).catch((error) => {
    els.title.textContent = "This conversation could not be opened";
    els.subtitle.textContent = error.message;
  });
}
