// SPDX-License-Identifier: MIT
/**
 * How an answer reaches the page: over the conversation's websocket (ws/conversations/<id>/) when it
 * opens, else from the API as Server-Sent Events, else as the finished JSON answer. Every wait has a
 * client-side timeout. Events are handed on as they come; their shapes are the server's answer events
 * (docs/answer-events.schema.json).
 */
import { errorMessage, requestHeaders } from "../api.js";

export const IDLE_TIMEOUT_MS = 90_000; // no event for this long: the answer is given up on
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The answer stream of one conversation.
 * `onEvent(event)` shows an event and returns true when it ended the answer; `onMessage(body)` shows a
 * finished message; `onProblem(text)` shows why an answer stopped; `setBusy(busy, abort)` tells the
 * page an answer is running and how to cancel it.
 */
export class Transport {
  constructor({ config, conversationId, onEvent, onMessage, onProblem, setBusy }) {
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
  }

  socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${window.location.host}${this.urls.websocket}${this.conversationId}/`;
  }

  connect() {
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
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (this.listener) this.listener.onEvent(event);
      else this.onEvent(event);
    });
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.socket = null;
      this.listener?.onClosed();
    });
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
        onEvent: (event) => {
          this.touchWatchdog(timeout);
          if (this.onEvent(event)) finish();
        },
        onClosed: () => {
          if (finished) return;
          this.onProblem("The connection was lost. Reload the page to see the finished answer.");
          finish();
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
