// SPDX-License-Identifier: MIT
/**
 * How an answer's events show in a conversation's cards: shared by the chat page and the embedded chat.
 * The event names and stages come from the page's config (the server's vocabulary).
 */

// Errors about the request itself, before any answer started: the running answer goes on.
const REQUEST_ERRORS = new Set(["busy", "invalid"]);

/**
 * A handler of answer events for `cards`. `stages` labels the status stages; `terminal` lists the events
 * that end an answer; `setStatus(text)` and `announce(text)` tell the person; `renderHistory(messages)`
 * redraws the log when the server sends the history and no answer runs (`isBusy()`); `onEnd(event)`
 * (optional) hears every event that ended an answer. The handler returns true when `event` ended it.
 */
export function answerEventHandler({ cards, stages, terminal, setStatus, announce, isBusy, renderHistory, onEnd, strings = {} }) {
  const ended = (event) => {
    onEnd?.(event);
    cards.pending = null; // the next answer (perhaps asked elsewhere) gets a card of its own
    setStatus(""); // an answer asked elsewhere leaves no stage behind either
    return true;
  };
  return function handleEvent(event) {
    switch (event.type) {
      case "history":
        // A reconnection's history (`resync`) is drawn even while an answer runs: it is the latest word.
        if (event.resync || !isBusy()) renderHistory(event.messages);
        return false;
      case "question":
        // Asked elsewhere (another tab or node, the API): its bubble, once, before its answer's card.
        cards.showQuestion(event.message);
        return false;
      case "status": {
        const card = cards.cardFor(event.message_id);
        card.stage.textContent = stages[event.stage] || "";
        setStatus(stages[event.stage] || "");
        return false;
      }
      case "plan": {
        const card = cards.cardFor(null);
        card.explanation.textContent = event.explanation;
        card.explanation.hidden = !event.explanation;
        card.notice.textContent = event.fallback_reason || "";
        card.notice.hidden = !event.fallback_reason;
        return false;
      }
      case "clarification": {
        const card = cards.cardFor(null);
        card.narrative.textContent = event.message;
        cards.renderChips(card, event.suggestions);
        return false;
      }
      case "sql":
        cards.cardFor(null).sql = event.sql;
        return false;
      case "data":
        cards.cardFor(null).data = { columns: event.columns, rows: event.rows, row_count: event.row_count, truncated: event.truncated };
        return false;
      case "chart": {
        const card = cards.cardFor(null);
        cards.drawChart(card, { type: event.chart_type, option: event.option }, card.data);
        return false;
      }
      case "token":
        cards.cardFor(null).narrative.textContent += event.text;
        return false;
      case "suggestions":
        cards.renderChips(cards.cardFor(null), event.suggestions);
        return false;
      case "error": {
        if (REQUEST_ERRORS.has(event.code)) {
          setStatus(event.message);
          return false;
        }
        const card = cards.cardFor(event.message_id);
        card.root.removeAttribute("aria-busy");
        card.stage.hidden = true;
        cards.showError(card, event.message);
        announce(event.message);
        return ended(event);
      }
      default:
        if (!terminal.has(event.type)) return false;
        if (event.message) cards.showMessage(event.message);
        announce(event.type === "done" ? strings.ready || "The answer is ready." : strings.cancelled || "The answer was cancelled.");
        return ended(event);
    }
  };
}
