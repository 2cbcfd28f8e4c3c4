// SPDX-License-Identifier: MIT
/**
 * How an answer reaches the page: over the conversation's websocket (ws/conversations/<id>/) when it
 * opens, else from the API as Server-Sent Events, else as the finished JSON answer. Every wait has a
 * client-side timeout. Events are handed on as they come; their shapes are the server's answer events
 * (docs/answer-events.schema.json).
 *
 * A socket that was open and closes (a node went away, the network dropped) is opened again after a
 * backoff: 0.5 s, 1 s, 2 s … capped at 10 s, each with "equal jitter" (half fixed, half random), so many
 * pages do not come back at once. The server sends the conversation's history first on every connection:
 * the page redraws from it (message ids key the cards, so nothing is shown twice). An answer the history
 * shows still running that sends nothing for `STALL_MS` (past the server's 15 s answer lease,
 * chat2chart/conversations/broadcast.py) may have lost its node: the socket is opened once more, and that
 * connection's server answers it again ("resume") and streams the finished answer.
 */
import { errorMessage, requestHeaders } from "../api.js";

export const IDLE_TIMEOUT_MS = 90_000; // no event for this long: the answer is given up on
const CONNECT_TIMEOUT_MS = 5_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_CAP_MS = 10_000;
export const STALL_MS = 20_000; // the server's answer lease (15 s) and a margin
const UNFINISHED = new Set(["pending", "running"]);

/** The wait before reconnect attempt `attempt` (0, 1, …): 0.5 s doubling, capped at 10 s, equal jitter. */
export function reconnectDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return base / 2 + random() * (base / 2);
}

/** The latest answer of `messages` when it is still being made, else null. */
function unfinishedAnswer(messages) {
  const answers = (messages || []).filter((m) => m.role === "assistant");
  const last = answers[answers.length - 1];
  return last && UNFINISHED.has(last.status) ? last : null;
}

/**
 * The answer stream of one conversation.
 * `onEvent(event)` shows an event and returns true when it ended the answer; `onMessage(body)` shows a
 * finished message; `onProblem(text)` shows why an answer stopped; `setBusy(busy, abort)` tells the
 * page an answer is running and how to cancel it. `onConnection(state)` (optional) hears "connected" or
 * "reconnecting" (a socket that had been open closed; it is being opened again).
 */
export class Transport {
  constructor({ config, conversationId, onEvent, onMessage, onProblem, setBusy, onConnection }) {
    this.urls = config.urls;
    this.conversationId = conversationId;
    this.onEvent = onEvent;
    this.onMessage = onMessage;
    this.onProblem = onProblem;
    this.setBusy = setBusy;
    this.socket = null;
    this.socketReady = null;
    this.listener = null; // the running answer's handlers while one runs
    this.watchdog = null;
    this.onConnection = onConnection || (() => {});
    this.everOpened = false; // only a socket that once opened is reconnected (else the HTTP fallback)
    this.attempt = 0;
    this.retry = null;
    this.stall = null;
  }

  socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${window.location.host}${this.urls.websocket}${this.conversationId}/`;
  }

  connect() {
    clearTimeout(this.retry);
    this.retry = null;
    let socket;
    try {
      socket = new WebSocket(this.socketUrl());
    } catch {
      this.socketReady = Promise.resolve(null);
      return;
    }
    this.socket = socket;
    this.socketReady = new Promise((resolve) => {
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
    socket.addEventListener("open", () => {
      this.everOpened = true;
      this.attempt = 0;
      this.onConnection("connected");
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      this.watchStall(event);
      // The history of a socket opened after the question was sent is a reconnection's.
      if (this.listener && event.type === "history" && this.listener.socket !== socket) this.listener.onHistory(event);
      else if (this.listener) this.listener.onEvent(event);
      else this.onEvent(event);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return; // replaced already
      this.socket = null;
      clearTimeout(this.stall);
      if (!this.everOpened) {
        this.listener?.onClosed();
        return;
      }
      // The running answer (if any) goes on on the server: the next connection's history and events
      // finish it, so its listener keeps waiting (its watchdog still gives up in the end).
      this.onConnection("reconnecting");
      this.retry = setTimeout(() => this.connect(), reconnectDelay(this.attempt++));
    });
  }

  /** Arm (on a history showing an unfinished answer), re-arm (on its events) or clear the stall timer. */
  watchStall(event) {
    if (event.type === "history") {
      clearTimeout(this.stall);
      this.stall = null;
      if (!unfinishedAnswer(event.messages)) return;
    } else if (this.stall === null) {
      return;
    } else {
      clearTimeout(this.stall);
      this.stall = null;
      if (event.type === "done" || event.type === "error" || event.type === "cancelled") return;
    }
    const socket = this.socket;
    this.stall = setTimeout(() => {
      this.stall = null;
      if (socket && this.socket === socket) socket.close(); // reconnects: the server may answer it again
    }, STALL_MS);
  }

  touchWatchdog(onTimeout) {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(onTimeout, IDLE_TIMEOUT_MS);
  }

  stopWatchdog() {
    clearTimeout(this.watchdog);
  }

  async openSocket() {
    const socket = this.socket && (await this.socketReady);
    if (socket && socket.readyState === WebSocket.OPEN) return socket;
    this.connect();
    const fresh = await this.socketReady;
    return fresh && fresh.readyState === WebSocket.OPEN ? fresh : null;
  }

  /** Ask `text`; resolves when the answer has ended, however it was carried. */
  async ask(text, follows) {
    const sent = await this.askOverSocket(text, follows);
    if (!sent) await this.askOverHttp(text, follows);
  }

  /** Ask over the websocket; resolves false when the socket is unusable (the caller falls back). */
  async askOverSocket(text, follows) {
    const socket = await this.openSocket();
    if (!socket) return false;
    const cancel = () => socket.send(JSON.stringify({ type: "cancel" }));
    return new Promise((resolve) => {
      let finished = false;
      const finish = () => {
        finished = true;
        this.listener = null;
        this.stopWatchdog();
        this.setBusy(false);
        resolve(true);
      };
      const timeout = () => {
        if (finished) return;
        this.onProblem("No answer arrived in time. The server may be busy: try again in a moment.");
        cancel();
        finish();
      };
      this.listener = {
        socket,
        onEvent: (event) => {
          this.touchWatchdog(timeout);
          if (this.onEvent(event)) finish();
        },
        onClosed: () => {
          if (finished) return;
          this.onProblem("The connection was lost. Reload the page to see the finished answer.");
          finish();
        },
        // A reconnection's history: redraw from it; the answer asked for is either finished in it
        // (the wait is over) or still running (its events come on the new socket).
        onHistory: (event) => {
          this.onEvent({ ...event, resync: true });
          if (!unfinishedAnswer(event.messages)) finish();
        },
      };
      this.setBusy(true, cancel);
      this.touchWatchdog(timeout);
      socket.send(JSON.stringify({ type: "ask", content: text, follows: follows || null }));
    });
  }

  /** Ask through the API and read its Server-Sent Events; falls back to the JSON answer. */
  async askOverHttp(text, follows) {
    const controller = new AbortController();
    const url = `${this.urls.conversations}${this.conversationId}/messages/`;
    this.setBusy(true, () => controller.abort());
    const timeout = () => controller.abort();
    this.touchWatchdog(timeout);
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        // The embedded chat page has a no-referrer policy, under which a POST's Origin would read
        // "null"; the embed endpoints refuse changes without this page's own Origin.
        referrerPolicy: "origin",
        signal: controller.signal,
        headers: requestHeaders({ accept: "text/event-stream" }),
        body: JSON.stringify({ content: text, follows: follows || null }),
      });
      if (!response.ok) throw new Error(errorMessage(await response.json().catch(() => null), response.status));
      if (!response.body || !(response.headers.get("Content-Type") || "").includes("event-stream")) {
        this.onMessage(await response.json());
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.touchWatchdog(timeout);
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split("\n").find((line) => line.startsWith("data: "));
          if (data) this.onEvent(JSON.parse(data.slice(6)));
        }
      }
    } catch (error) {
      this.onProblem(error.name === "AbortError" ? "The answer was stopped." : error.message);
    } finally {
      this.stopWatchdog();
      this.setBusy(false);
    }
  }
}
