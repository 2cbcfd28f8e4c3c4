// SPDX-License-Identifier: MIT
/**
 * The embedded chat (the iframe page of `<aiser-chat>`): one conversation of a customer's end user, with
 * the chat page's cards, answer events and transport. No SQL, query editor, chart saving or re-runs.
 *
 * Its config (the `chat-config` json_script) gives the endpoints with the token in the conversation's
 * place, the locale's strings and whether the charts' CSV download is offered. Cosmetic options come in the URL:
 * `?accent=#0a7&font=Inter&theme=dark` (set by the web component's attributes). Each finished answer
 * and each error is posted to the framing page (`answer` / `error`), at the origin the component
 * named in the URL's `#parent=` when that origin may frame the chat.
 */
import { api } from "../api.js";
import { answerEventHandler } from "./answers.js";
import { Cards, el } from "./cards.js";
import { Transport } from "./transport.js";

const COLOUR = /^#[0-9a-fA-F]{3,8}$/;
const FONT = /^[\w\s,"'-]{1,80}$/;

function applyLook(root, params) {
  const accent = params.get("accent");
  const font = params.get("font");
  const theme = params.get("theme");
  if (accent && COLOUR.test(accent)) {
    root.style.setProperty("--accent", accent);
    root.style.setProperty("--accent-dark", `color-mix(in srgb, ${accent} 82%, black)`);
  }
  if (font && FONT.test(font)) root.style.setProperty("font-family", font);
  if (theme === "dark" || theme === "light") document.body.classList.toggle("dark", theme === "dark");
}

function parentOrigin(config) {
  const named = new URLSearchParams(window.location.hash.slice(1)).get("parent");
  return named && (config.parentOrigins || []).includes(named) ? named : null;
}

/** Start the embedded chat described by `config`. */
export function init(config = JSON.parse(document.getElementById("chat-config").textContent)) {
  const $ = (id) => document.getElementById(id);
  const els = { log: $("chat-log"), first: $("chat-first"), announce: $("chat-announce"), form: $("chat-ask"), question: $("chat-question"), send: $("chat-send"), cancel: $("chat-cancel"), status: $("chat-status") };
  const strings = config.strings;
  const state = { busy: false, abort: null };
  const parent = parentOrigin(config);
  const tell = (type, detail) => {
    if (parent && window.parent !== window) window.parent.postMessage({ source: "aiser-chat", type, detail }, parent);
  };
  applyLook(document.documentElement, new URLSearchParams(window.location.search));

  const announce = (text) => {
    els.announce.textContent = text;
  };
  const setStatus = (text) => {
    els.status.textContent = text || "";
  };
  // The charts' own "Download CSV" button is offered only when the token allows it.
  document.body.classList.toggle("no-csv", !config.csv);
  const cards = new Cards({
    log: els.log,
    config,
    actions: {
      ask: (text, follows) => ask(text, follows),
      editQuestion: (text) => {
        els.question.value = text;
        els.question.focus();
      },
    },
  });

  function renderHistory(messages) {
    cards.clear();
    for (const message of messages) {
      if (message.role === "user") els.log.append(cards.userBubble(message.content, message.id));
      else cards.showMessage(message);
    }
    els.first.hidden = messages.length > 0 || !els.first.children.length;
    els.log.lastElementChild?.scrollIntoView({ block: "end" });
  }

  function setBusy(busy, abort) {
    state.busy = busy;
    state.abort = busy ? abort : null;
    els.send.disabled = busy;
    els.cancel.hidden = !busy || !abort;
    if (!busy) cards.pending = null;
  }

  const handleEvent = answerEventHandler({
    cards,
    stages: config.events.stages,
    terminal: new Set(config.events.terminal),
    setStatus,
    announce,
    isBusy: () => state.busy,
    renderHistory,
    strings,
    onEnd: (event) => {
      if (event.type === "error") tell("error", { code: event.code, message: event.message });
      else if (event.type === "done" && event.message) {
        const { id, question, narrative, data, chart } = event.message;
        tell("answer", { id, question, narrative, data, chartType: chart?.type || null });
      }
    },
  });

  const transport = new Transport({
    config,
    conversationId: config.conversation,
    onEvent: handleEvent,
    onMessage: (message) => {
      cards.showMessage(message);
      tell("answer", { id: message.id, question: message.question, narrative: message.narrative, data: message.data, chartType: message.chart?.type || null });
    },
    onProblem: (text) => {
      cards.showError(cards.cardFor(null), text);
      announce(text);
      tell("error", { code: "transport", message: text });
    },
    setBusy,
  });

  async function ask(text, follows) {
    const question = (text || "").trim();
    if (!question || state.busy) return;
    els.first.hidden = true;
    els.question.value = "";
    els.log.append(cards.userBubble(question));
    const card = cards.cardFor(null);
    card.stage.textContent = strings.planning;
    card.root.scrollIntoView({ block: "nearest" });
    await transport.ask(question, follows);
    setStatus("");
    els.question.focus();
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(els.question.value);
  });
  els.question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      ask(els.question.value);
    }
  });
  els.cancel.addEventListener("click", () => state.abort?.());

  api(config.urls.history)
    .then((conversation) => {
      els.first.replaceChildren(...(conversation.first_questions || []).map((q) => el("button", { type: "button", class: "chip", text: q, onclick: () => ask(q) })));
      renderHistory(conversation.messages || []);
      els.first.hidden = (conversation.messages || []).length > 0 || !els.first.children.length;
    })
    .catch((error) => {
      setStatus(error.message);
      tell("error", { code: "history", message: error.message });
    })
    .finally(() => {
      transport.connect();
      document.body.dataset.ready = "true";
    });
}

document.addEventListener("DOMContentLoaded", () => init());
