// SPDX-License-Identifier: MIT
/**
 * The chat page: pick a source and table, ask questions, watch answers stream in, re-run them.
 *
 * Everything the server decides (event names, stages, the query's vocabularies, chart types, endpoints)
 * comes from the page's `chat-config` json_script. Nothing runs on import: `init()` starts the page on
 * DOMContentLoaded. Every failure is shown as text in the conversation.
 */
import { api } from "../api.js";
import { addToDashboardDialog, saveChartDialog, textField } from "../save_dialogs.js";
import { answerEventHandler } from "./answers.js";
import { Cards, el } from "./cards.js";
import { QueryEditor } from "./editor.js";
import { IDLE_TIMEOUT_MS, Transport } from "./transport.js";

function elements() {
  const $ = (id) => document.getElementById(id);
  return {
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
    connection: $("chat-connection"),
    editing: $("chat-editing"),
  };
}

/** Start the chat page described by `config` (the parsed `chat-config`). */
export function init(config = JSON.parse(document.getElementById("chat-config").textContent)) {
  const els = elements();
  const terminal = new Set(config.events.terminal);
  const stages = config.events.stages;
  const state = { conversation: null, columns: [], busy: false, abort: null, transport: null, offline: false };

  const announce = (text) => {
    els.announce.textContent = text;
  };
  const setStatus = (text) => {
    els.status.textContent = text || "";
  };

  const cards = new Cards({
    log: els.log,
    config,
    actions: {
      ask: (text, follows) => ask(text, follows),
      rerun: (message, body, control) => rerun(message, body, control),
      saveChart: (card, message) => saveChart(card, message),
      addToDashboard: (card, message) => addToDashboard(card, message),
      switchChart: (message, type, control, previous) => switchChart(message, type, control, previous),
      editQuery: (card, message, button) => editor.toggle(card, message, button),
      editQuestion,
    },
  });
  const editor = new QueryEditor({
    config,
    columns: () => state.columns,
    rerun: (message, body, control, onError) => rerun(message, body, control, onError),
  });

  // --- sources, tables and the conversation list ---------------------------------------------------

  function showNewError(message) {
    els.newError.textContent = message;
    els.newError.hidden = !message;
  }

  async function loadSources() {
    try {
      const sources = await api(config.urls.sources);
      const ready = (Array.isArray(sources) ? sources : sources.sources || []).filter((s) => s.status === "ready" && s.tables?.length);
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

  // --- one conversation ------------------------------------------------------------------------------

  async function openConversation(id) {
    const conversation = await api(`${config.urls.conversations}${id}/`);
    state.conversation = conversation;
    els.title.textContent = conversation.title;
    els.subtitle.textContent = `${conversation.source_name} · ${conversation.table}`;
    els.composer.hidden = false;
    renderFirstQuestions(conversation.first_questions || []);
    renderHistory(conversation.messages || []);
    loadColumns(conversation);
    state.transport = new Transport({
      config,
      conversationId: id,
      onEvent: handleEvent,
      onMessage: (message) => cards.showMessage(message),
      onProblem: (text) => {
        cards.showError(cards.cardFor(null), text);
        announce(text);
      },
      setBusy,
      onConnection,
    });
    state.transport.connect();
    els.question.focus();
  }

  async function loadColumns(conversation) {
    try {
      const table = await api(`${config.urls.sources}${conversation.source}/tables/${encodeURIComponent(conversation.table)}/`);
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
    cards.clear();
    for (const message of messages) {
      if (message.role === "user") els.log.append(cards.userBubble(message.content, message.id));
      else cards.showMessage(message);
    }
    els.first.hidden = messages.length > 0 || !els.first.children.length;
    els.log.lastElementChild?.scrollIntoView({ block: "end" });
  }

  function editQuestion(text) {
    els.question.value = text;
    els.editing.textContent = "Editing an earlier question: change it and press Ask to send it again.";
    els.editing.hidden = false;
    els.question.focus();
  }

  function chartBody(message, extra) {
    return { spec: message.chart.spec, query: message.query, source: state.conversation.source, ...extra };
  }

  async function saveChart(card, message) {
    const button = card.tools.querySelector('[data-tool="save"]');
    const chart = await saveChartDialog({
      title: message.title || message.chart.spec?.title || "",
      save: (given) => api(config.urls.charts, { method: "POST", body: chartBody(message, given) }),
    });
    if (!chart) return;
    card.savedChart = chart;
    button?.replaceWith(el("a", { href: `${config.urls.chartPage}${chart.id}/`, text: `Saved as “${chart.title}”` }));
    announce("Chart saved.");
  }

  async function addToDashboard(card, message) {
    const name = textField("Chart name", card.savedChart?.title || message.title || message.chart.spec?.title || "");
    try {
      const dashboard = await addToDashboardDialog({
        fields: card.savedChart ? [] : [name.element],
        chartId: async () => {
          card.savedChart ||= await api(config.urls.charts, { method: "POST", body: chartBody(message, { title: name.input.value.trim() }) });
          return card.savedChart.id;
        },
      });
      if (!dashboard) return;
      const link = el("a", { href: `/dashboards/${dashboard.id}/`, text: `Added to “${dashboard.title}”` });
      card.tools.querySelector('[data-tool="add-to-dashboard"]')?.replaceWith(link);
      announce(`Added to the dashboard ${dashboard.title}.`);
    } catch (error) {
      cards.showError(card, `The chart could not be added: ${error.message}`);
    }
  }

  async function switchChart(message, type, control, previous) {
    if (control) control.disabled = true;
    const card = cards.get(message.id);
    try {
      const answer = await api(`${config.urls.conversations}${state.conversation.id}/messages/${message.id}/chart/`, {
        method: "POST",
        body: { chart_type: type },
      });
      const redrawn = cards.showMessage(answer);
      if (previous) {
        const undo = el("button", {
          type: "button",
          class: "link",
          "data-tool": "undo",
          text: `Undo (back to ${cards.chartName(previous)})`,
          onclick: () => switchChart(answer, previous, undo, null),
        });
        redrawn.tools.append(undo);
        redrawn.tools.hidden = false;
      }
      announce(`Drawn as ${cards.chartName(type)}.`);
    } catch (error) {
      if (card) cards.showError(card, error.message);
      if (control) {
        control.disabled = false;
        if (control.tagName === "SELECT") control.value = message.chart.type;
      }
    }
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
      cards.pending = null;
      cards.showMessage(answer).root.scrollIntoView({ block: "start", behavior: "smooth" });
      announce(answer.status === "done" ? "The answer was re-run." : answer.error);
      return true;
    } catch (error) {
      if (onError) onError(error.message);
      else cards.showError(cards.get(message.id), error.message);
      return false;
    } finally {
      if (control) control.disabled = false;
      // The earlier answer keeps its own chart: its chart-type choice goes back to what it shows.
      if (control?.tagName === "SELECT" && message.chart) control.value = message.chart.type;
      setBusy(false);
      setStatus("");
    }
  }

  // --- asking and streaming -------------------------------------------------------------------------

  function setBusy(busy, abort) {
    state.busy = busy;
    state.abort = busy ? abort : null;
    els.send.disabled = busy || state.offline;
    els.cancel.hidden = !busy || !abort;
    els.cancel.disabled = false;
    if (!busy) cards.pending = null;
  }

  /**
   * The socket closed and is being opened again ("reconnecting") or is open ("connected"). While it is
   * away the Ask button is disabled (questions are not queued) and a polite live region says so.
   */
  function onConnection(connection) {
    state.offline = connection === "reconnecting";
    els.connection.textContent = state.offline ? "Reconnecting…" : "";
    els.send.disabled = state.busy || state.offline;
  }

  /** Show one answer event; true when it ended the answer. */
  const handleEvent = answerEventHandler({
    cards,
    stages,
    terminal,
    setStatus,
    announce,
    isBusy: () => state.busy,
    renderHistory,
  });

  /** Ask `text`; `follows` is the id of the answer a suggestion belongs to (default: the latest). */
  async function ask(text, follows) {
    const question = (text || "").trim();
    if (!question || state.busy || state.offline || !state.conversation) return;
    els.first.hidden = true;
    els.editing.hidden = true;
    els.question.value = "";
    els.log.append(cards.userBubble(question));
    const card = cards.cardFor(null);
    card.stage.textContent = "Sending…";
    card.root.scrollIntoView({ block: "nearest" });
    await state.transport.ask(question, follows);
    setStatus("");
    loadConversationList();
    els.question.focus();
  }

  // --- wiring ----------------------------------------------------------------------------------------

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
  if (config.conversation) {
    openConversation(config.conversation).catch((error) => {
      els.title.textContent = "This conversation could not be opened";
      els.subtitle.textContent = error.message;
    });
  }
}

document.addEventListener("DOMContentLoaded", () => init());
