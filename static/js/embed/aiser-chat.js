// SPDX-License-Identifier: MIT
/**
 * <aiser-chat token="…">: the embedded chat as a web component, for a customer's page with no build step.
 *
 *   <script src="https://your-aiser-host/embed/chat.js" defer></script>
 *   <aiser-chat token="SIGNED_CHAT_TOKEN" theme="dark" accent="#0a7d5a" font="Inter, sans-serif"></aiser-chat>
 *
 * It frames the chat page of the host this script came from (the token is verified there, on every
 * request). Attributes: `token` (required), `theme` ("light" | "dark"), `accent` (a #hex colour),
 * `font` (a font-family list), `height` (CSS length, default 100%). Events (CustomEvent, bubbling and
 * composed): `answer` (detail: {id, question, narrative, data, chartType}) and `error` (detail:
 * {code, message}). A classic script on purpose: `document.currentScript` names the host.
 */
(() => {
  const script = document.currentScript;
  const host = script ? new URL(script.src, document.baseURI).origin : window.location.origin;

  class AiserChat extends HTMLElement {
    static get observedAttributes() {
      return ["token", "theme", "accent", "font", "height"];
    }

    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.onMessage = this.onMessage.bind(this);
    }

    connectedCallback() {
      window.addEventListener("message", this.onMessage);
      this.render();
    }

    disconnectedCallback() {
      window.removeEventListener("message", this.onMessage);
    }

    attributeChangedCallback() {
      if (this.isConnected) this.render();
    }

    src() {
      const token = this.getAttribute("token") || "";
      const params = new URLSearchParams();
      for (const name of ["theme", "accent", "font"]) {
        const value = this.getAttribute(name);
        if (value) params.set(name, value);
      }
      const query = params.toString();
      const parent = encodeURIComponent(window.location.origin);
      return `${host}/embed/chat/${encodeURIComponent(token)}${query ? `?${query}` : ""}#parent=${parent}`;
    }

    render() {
      const token = this.getAttribute("token");
      const height = this.getAttribute("height") || "100%";
      this.shadowRoot.replaceChildren();
      const style = document.createElement("style");
      style.textContent = `:host { display: block; min-width: 280px; height: ${CSS.supports("height", height) ? height : "100%"}; } iframe { border: 0; width: 100%; height: 100%; min-height: 420px; display: block; }`;
      this.shadowRoot.append(style);
      if (!token) {
        this.emit("error", { code: "no_token", message: "Set the token attribute to a signed chat token." });
        return;
      }
      this.frame = document.createElement("iframe");
      this.frame.title = this.getAttribute("title") || "Chat about your data";
      this.frame.src = this.src();
      this.frame.allow = "clipboard-write";
      this.shadowRoot.append(this.frame);
    }

    onMessage(event) {
      if (event.origin !== host || !this.frame || event.source !== this.frame.contentWindow) return;
      const data = event.data;
      if (!data || data.source !== "aiser-chat" || !["answer", "error"].includes(data.type)) return;
      this.emit(data.type, data.detail);
    }

    emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
    }
  }

  if (!customElements.get("aiser-chat")) customElements.define("aiser-chat", AiserChat);
})();
