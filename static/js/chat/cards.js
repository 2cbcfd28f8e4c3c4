// SPDX-License-Identifier: MIT
/**
 * The conversation's log: question bubbles and answer cards. A card fills in as the answer's events
 * arrive (stage, explanation, chart, narrative, chips) and is redrawn whole from the finished message.
 * All user-supplied text is set with textContent, never innerHTML.
 */
import { renderChart } from "../charts.js";

/** A DOM element with attributes (`text` sets textContent, `on<event>` adds a listener) and children. */
export function el(tag, attrs = {}, ...children) {
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

/** The display name of a chart type, from the server's list of chart types. */
export function chartNamer(config) {
  const names = Object.fromEntries((config.chartTypes || []).map((t) => [t.id, t.name]));
  return (type) => names[type] || type;
}

function cellText(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number" && !Number.isInteger(value)) {
    return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  return String(value);
}

function dataDetails(data) {
  const details = el("details", { class: "chat__details" }, el("summary", { text: `Show data (${rowsText(data.row_count ?? data.rows.length)})` }));
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

/**
 * The answer cards of one log. `actions` are what the cards' controls do:
 * ask(text), rerun(message, body, control), switchChart(message, type, control, previous),
 * saveChart(card, message), addToDashboard(card, message), editQuery(card, message, button), editQuestion(text).
 */
export class Cards {
  constructor({ log, config, actions }) {
    this.log = log;
    this.config = config;
    this.actions = actions;
    this.chartName = chartNamer(config);
    this.byId = new Map(); // message id -> card
    this.pending = null; // the card of the answer being streamed before its id is known
    this.charts = new Map(); // chart container -> {dispose}
  }

  clear() {
    for (const { dispose } of this.charts.values()) dispose();
    this.charts.clear();
    this.byId.clear();
    this.pending = null;
    this.log.replaceChildren();
  }

  /** A question's bubble; `id` (the user message's id, when known) keeps it from being shown twice. */
  userBubble(text, id) {
    return el(
      "div",
      { class: "chat__msg chat__msg--user", "data-message-id": id || null },
      el("span", { text }),
      el("button", {
        type: "button",
        class: "link",
        text: "Edit",
        "aria-label": `Edit and resend: ${text}`,
        onclick: () => this.actions.editQuestion(text),
      }),
    );
  }

  /** Show the question `message` (a user message body) at the end of the log unless it is there already. */
  showQuestion(message) {
    if (this.log.querySelector(`[data-message-id="${Number(message.id)}"]`)) return;
    this.pending = null;
    this.log.append(this.userBubble(message.content, message.id));
  }

  newCard() {
    const card = {
      root: el("article", { class: "chat__msg chat__msg--assistant", "aria-busy": "true" }),
      rerunOf: el("p", { class: "chat__rerun", hidden: true }),
      stage: el("p", { class: "chat__stage", role: "status" }),
      explanation: el("p", { class: "chat__explanation", hidden: true }),
      notice: el("p", { class: "chat__notice", hidden: true }),
      error: el("p", { class: "error", role: "alert", hidden: true }),
      // A figure, not an image: the chart holds its own controls (download, full screen).
      chart: el("div", { class: "chat__chart", hidden: true, role: "figure" }),
      narrative: el("p", { class: "chat__narrative", "aria-live": "polite" }),
      tools: el("div", { class: "chat__tools", hidden: true }),
      chips: el("div", { class: "chat__chips", hidden: true }),
      sql: "",
      data: null,
      message: null,
    };
    card.root.append(card.rerunOf, card.stage, card.explanation, card.notice, card.error, card.chart, card.narrative, card.tools, card.chips);
    this.log.append(card.root);
    return card;
  }

  /** The card of message `id`, else the answer being streamed (made when there is none). */
  cardFor(id) {
    if (id && this.byId.has(id)) {
      // Redrawn from a history while it ran: its later events (which carry no id) belong to it too.
      this.pending = this.byId.get(id);
      return this.pending;
    }
    const card = this.pending || this.newCard();
    this.pending = card;
    if (id) {
      this.byId.set(id, card);
      card.id = id;
    }
    return card;
  }

  get(id) {
    return this.byId.get(id);
  }

  drawChart(card, chart, data) {
    this.charts.get(card.chart)?.dispose();
    card.chart.hidden = false;
    card.chart.setAttribute("aria-label", `${this.chartName(chart.type || chart.chart_type)} chart`);
    try {
      this.charts.set(card.chart, renderChart(card.chart, chart.option, { data }));
    } catch (error) {
      card.chart.hidden = true;
      this.showError(card, `The chart could not be drawn: ${error.message}`);
    }
  }

  showError(card, message) {
    card.error.textContent = message;
    card.error.hidden = !message;
  }

  /** Draw the finished `message` (a message body from the API) in its card. */
  showMessage(message) {
    const card = this.byId.get(message.id) || this.newCard();
    this.byId.set(message.id, card);
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
    this.showError(card, message.status === "error" ? message.error : "");
    if (message.status === "cancelled") card.stage.textContent = "Cancelled.";
    card.stage.hidden = message.status !== "cancelled";
    if (message.status === "running" || message.status === "pending") {
      // Still being made (here or on another node): its events, or a reconnection, finish it.
      card.root.setAttribute("aria-busy", "true");
      card.stage.textContent = "Answering…";
      card.stage.hidden = false;
    }
    card.sql = message.sql || "";
    card.data = message.data;
    if (message.chart?.option) this.drawChart(card, message.chart, message.data);
    else {
      this.charts.get(card.chart)?.dispose();
      card.chart.hidden = true;
    }
    card.narrative.textContent = message.kind === "clarification" ? message.content : message.narrative || "";
    this.renderChips(card, message.suggestions || []);
    this.renderTools(card, message);
    return card;
  }

  renderChips(card, suggestions) {
    card.chips.replaceChildren(
      ...suggestions.map((s) => el("button", { type: "button", class: "chip", text: s, onclick: () => this.actions.ask(s, card.id) })),
    );
    card.chips.hidden = !suggestions.length;
    if (suggestions.length) card.chips.setAttribute("aria-label", "Suggested follow-up questions");
  }

  renderTools(card, message) {
    card.tools.replaceChildren();
    const tools = [];
    if (message.sql) {
      tools.push(el("details", { class: "chat__details" }, el("summary", { text: "Show SQL" }), el("pre", {}, el("code", { text: message.sql }))));
    }
    if (message.data?.columns?.length) tools.push(dataDetails(message.data));
    // Switching the chart type re-runs the answer: only where the page can re-run (not in embeds).
    if (message.chart && message.status === "done" && this.actions.rerun) tools.push(this.switchControl(message));
    // A saved chart keeps a table query; an answer from a model's members cannot be saved as one yet.
    if (message.chart && message.query && !("model" in message.query) && this.config.canSaveChart) {
      tools.push(el("button", { type: "button", class: "button secondary", "data-tool": "save", text: "Save chart", onclick: () => this.actions.saveChart(card, message) }));
      tools.push(el("button", { type: "button", class: "button secondary", "data-tool": "add-to-dashboard", text: "Add to dashboard", onclick: () => this.actions.addToDashboard(card, message) }));
    }
    if (message.kind === "answer" && (message.query || message.sql) && message.status !== "running") {
      tools.push(
        el("button", {
          type: "button",
          class: "button secondary",
          text: "Edit query",
          "aria-expanded": "false",
          onclick: (e) => this.actions.editQuery(card, message, e.currentTarget),
        }),
      );
    }
    card.tools.append(...tools);
    card.tools.hidden = !tools.length;
  }

  switchControl(message) {
    const id = `switch-${message.id}`;
    const current = message.chart.type;
    const types = [current, ...(message.chart.alternatives || [])].filter((t, i, all) => t && all.indexOf(t) === i);
    const select = el("select", { id }, ...types.map((t) => new Option(this.chartName(t), t, false, t === current)));
    select.disabled = types.length < 2;
    // Switching redraws this answer in place (with an undo), rather than adding a new answer below.
    select.addEventListener("change", () => {
      if (select.value !== current) this.actions.switchChart(message, select.value, select, current);
    });
    return el("span", { class: "row", style: "margin:0" }, el("label", { for: id, text: "Chart type" }), select);
  }
}

/** "1 row", "2 rows", "1,234 rows". */
function rowsText(count) {
  return `${Number(count).toLocaleString("en-US")} ${count === 1 ? "row" : "rows"}`;
}
