// SPDX-License-Identifier: MIT
/**
 * The search box in the top bar: `/` focuses it from anywhere on the page (not while typing in a field),
 * results appear as you type (a combobox: arrow keys move, Enter opens, Escape closes), and submitting
 * the form opens the search page with every result.
 */
import { api } from "./api.js";

const DEBOUNCE_MS = 150;

const form = document.querySelector(".nav-search");
if (form) setUp(form);

function setUp(form) {
  const input = form.querySelector("input[type=search]");
  const list = form.querySelector('[role="listbox"]');
  const status = form.querySelector('[role="status"]');
  let active = -1;
  let timer = null;
  let asked = 0;

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => lookUp(input.value.trim()), DEBOUNCE_MS);
  });

  input.addEventListener("keydown", (event) => {
    const options = [...list.querySelectorAll('[role="option"]')];
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!options.length) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      select(options, (active + step + options.length) % options.length);
    } else if (event.key === "Enter" && active >= 0 && options[active]) {
      event.preventDefault();
      window.location.assign(options[active].dataset.href);
    } else if (event.key === "Escape") {
      close();
    }
  });

  // Options are not links (a link inside an option is a control nested in a control): a click opens one.
  list.addEventListener("mousedown", (event) => event.preventDefault());
  list.addEventListener("click", (event) => {
    const option = event.target.closest('[role="option"][data-href]');
    if (option) window.location.assign(option.dataset.href);
  });

  form.addEventListener("focusout", (event) => {
    if (!form.contains(event.relatedTarget)) close();
  });

  async function lookUp(text) {
    const ticket = ++asked;
    if (!text) return close();
    try {
      const url = `${form.dataset.api}?q=${encodeURIComponent(text)}&limit=5`;
      const body = await api(url);
      if (ticket === asked) show(body.results, text);
    } catch (error) {
      if (ticket === asked) showEmpty(`Search failed: ${error.message}`);
    }
  }

  function show(results, text) {
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!results.length) return showEmpty(`Nothing you can see matches “${text}”.`);
    const items = results.map((hit, index) => {
      const item = document.createElement("li");
      item.id = `nav-search-option-${index}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dataset.href = hit.url;
      const detail = document.createElement("span");
      detail.className = "hit-detail";
      detail.textContent = hit.detail;
      item.append(hit.title, detail);
      return item;
    });
    const all = document.createElement("li");
    all.setAttribute("role", "option");
    all.id = "nav-search-option-all";
    all.setAttribute("aria-selected", "false");
    all.dataset.href = `${form.action}?q=${encodeURIComponent(text)}`;
    all.textContent = "See all results";
    list.replaceChildren(...items, all);
    open();
    status.textContent = `${results.length} result${results.length === 1 ? "" : "s"}.`;
  }

  function showEmpty(message) {
    const item = document.createElement("li");
    item.className = "empty";
    item.textContent = message;
    list.replaceChildren(item);
    open();
    status.textContent = message;
  }

  function select(options, index) {
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    input.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function open() {
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    list.hidden = true;
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
}

function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}
