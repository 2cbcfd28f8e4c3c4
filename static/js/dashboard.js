// SPDX-License-Identifier: MIT
/**
 * A dashboard in view mode, for members, embeds and public links alike: the filter bar, each
 * widget's data loaded on its own (one request per widget, so one failure never hides the others),
 * and auto-refresh. Charts are drawn by charts.js; text widgets arrive as HTML the server sanitised.
 *
 * Also: tabs, a note on each widget of the filters that apply to it, date presets shown in the
 * page's locale, value pickers with search and row counts, and a click on a chart element to filter
 * the dashboard by it (cross-filtering) or list the rows behind it (drill-through, when drillUrl is set).
 *
 * config: {dataUrl, optionsUrl, drillUrl?, widgets: [{id, kind, title, tab, filters, dimensions}],
 *          filters: [{field, kind, label}], tabs, today, locale, refreshSeconds}
 */
import { renderChart } from "./charts.js";

const PREFIX = "filter.";

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function status(body, message, className = "widget__status") {
  const p = element("p", { class: className, role: className === "widget__error" ? "alert" : "status" }, message);
  body.replaceChildren(p);
}

/** The picked filter values as query parameters (`filter.region=North&filter.month=2024-01-01..`). */
export function filterParams(picked) {
  const params = new URLSearchParams();
  for (const [field, value] of Object.entries(picked)) {
    if (Array.isArray(value)) {
      for (const item of value) params.append(PREFIX + field, item);
    } else if (value && (value.from || value.to)) {
      params.append(PREFIX + field, `${value.from || ""}..${value.to || ""}`);
    }
  }
  return params;
}

function pickedFromUrl(filters) {
  const search = new URLSearchParams(window.location.search);
  const picked = {};
  for (const filter of filters) {
    const values = search.getAll(PREFIX + filter.field).filter(Boolean);
    if (!values.length) continue;
    if (filter.kind === "date_range") {
      const [from, to] = values[0].split("..");
      picked[filter.field] = { from: from || "", to: to || "" };
    } else {
      picked[filter.field] = values;
    }
  }
  return picked;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

/** Fetch and draw one widget into its section; returns a disposer for what it drew. */
export async function loadWidget(section, config, params = new URLSearchParams()) {
  const body = section.querySelector("[data-widget-body]");
  const query = new URLSearchParams(params);
  query.set("widget", section.dataset.widgetId);
  section.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(`${config.dataUrl}?${query}`, { headers: { Accept: "application/json" } });
    const payload = await readJson(response);
    if (!response.ok) {
      status(body, payload.error?.message || "This widget could not be loaded.", "widget__error");
      return null;
    }
    const result = (payload.widgets || [])[0];
    if (!result) {
      status(body, "This widget is no longer on the dashboard.", "widget__error");
      return null;
    }
    if (result.error) {
      status(body, result.error.message, "widget__error");
      return null;
    }
    if (result.heading !== undefined) return null; // drawn by the template
    if (result.html !== undefined) {
      // Markdown rendered and cleaned with nh3 on the server: no scripts, no event handlers.
      const text = element("div", { class: "widget__text" });
      text.innerHTML = result.html;
      body.replaceChildren(text);
      return null;
    }
    const holder = element("div", { class: "widget__chart" });
    holder.style.height = "100%";
    const notice = (result.not_filtered_by || []).length
      ? element("p", { class: "widget__notice", role: "note" }, `Not filtered by ${result.not_filtered_by.join(", ")}`)
      : null;
    // Incomplete first or last periods the server left out of a time series, named.
    const partial = (result.partial_periods || []).length
      ? element("p", { class: "widget__notice", role: "note" }, result.partial_periods.join(" "))
      : null;
    // Analysis widgets (forecast, unusual values, what changed, insight) say their finding above the chart.
    const insight = result.insight ? element("p", { class: "widget__insight" }, result.insight) : null;
    const hasChart = result.option && Object.keys(result.option).length > 0;
    if (insight) holder.style.height = "calc(100% - 3.5rem)";
    body.replaceChildren(...[notice, partial, insight, hasChart ? holder : null].filter(Boolean));
    // A widget with its own heading does not repeat it inside the chart.
    const headed = Boolean(section.querySelector(".widget__title"));
    const handle = hasChart ? renderChart(holder, result.option, { data: result.data, showTitle: !headed }) : null;
    if (handle) handle.data = result.data; // the clicked element's raw value, for cross-filter and drill
    return handle;
  } catch (error) {
    status(body, "This widget could not be loaded. Check your connection and refresh.", "widget__error");
    return null;
  } finally {
    section.setAttribute("aria-busy", "false");
    section.dataset.loaded = "true";
  }
}

// --- filters ---------------------------------------------------------------------------------------

const isoDate = (date) =>
  `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;

/** Date presets as {from, to} (inclusive) counted from `today` ("YYYY-MM-DD", the workspace's today). */
export function datePresets(today) {
  const [y, m, d] = today.split("-").map(Number);
  const day = (year, month, date) => new Date(year, month, date);
  const ago = (days) => isoDate(day(y, m - 1, d - days + 1));
  const quarter = Math.floor((m - 1) / 3);
  return {
    last_7_days: { label: "Last 7 days", from: ago(7), to: today },
    last_30_days: { label: "Last 30 days", from: ago(30), to: today },
    last_90_days: { label: "Last 90 days", from: ago(90), to: today },
    this_month: { label: "This month", from: isoDate(day(y, m - 1, 1)), to: today },
    last_month: { label: "Last month", from: isoDate(day(y, m - 2, 1)), to: isoDate(day(y, m - 1, 0)) },
    this_quarter: { label: "This quarter", from: isoDate(day(y, quarter * 3, 1)), to: today },
    last_quarter: {
      label: "Last quarter", from: isoDate(day(y, quarter * 3 - 3, 1)), to: isoDate(day(y, quarter * 3, 0)),
    },
    this_year: { label: "This year", from: `${y}-01-01`, to: today },
    last_year: { label: "Last year", from: `${y - 1}-01-01`, to: `${y - 1}-12-31` },
  };
}

function shownRange(value, locale) {
  if (!value || (!value.from && !value.to)) return "All dates";
  let format;
  try {
    format = new Intl.DateTimeFormat(locale || undefined, { dateStyle: "medium" });
  } catch {
    format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
  }
  const show = (text) => (text ? format.format(new Date(`${text}T00:00:00`)) : "…");
  return `${show(value.from)} – ${show(value.to)}`;
}

function dateRangeControl(filter, picked, config, onChange) {
  const fieldset = element("fieldset", { class: "filter-dates" });
  fieldset.append(element("legend", {}, filter.label || filter.field));
  const presets = datePresets(config.today || isoDate(new Date()));
  const presetId = `filter-${filter.field}-preset`;
  const presetWrap = element("div");
  const preset = element("select", { id: presetId });
  preset.append(element("option", { value: "" }, "Any time"));
  for (const [key, range] of Object.entries(presets)) preset.append(element("option", { value: key }, range.label));
  preset.append(element("option", { value: "custom" }, "Custom range"));
  presetWrap.append(element("label", { for: presetId }, "Period"), preset);
  fieldset.append(presetWrap);
  const inputs = {};
  const shown = element("p", { class: "filter-dates__shown", "aria-live": "polite" });
  const show = () => { shown.textContent = shownRange(picked[filter.field], config.locale); };
  for (const [end, label] of [["from", "From"], ["to", "To"]]) {
    const id = `filter-${filter.field}-${end}`;
    const wrap = element("div");
    const input = element("input", { type: "date", id, name: `${filter.field}-${end}` });
    input.value = (picked[filter.field] || {})[end] || "";
    input.addEventListener("change", () => {
      const value = { ...(picked[filter.field] || {}), [end]: input.value };
      if (!value.from && !value.to) delete picked[filter.field];
      else picked[filter.field] = value;
      preset.value = picked[filter.field] ? "custom" : "";
      show();
      onChange();
    });
    inputs[end] = input;
    wrap.append(element("label", { for: id }, label), input);
    fieldset.append(wrap);
  }
  const current = picked[filter.field];
  const match = current && Object.entries(presets).find(([, r]) => r.from === current.from && r.to === current.to);
  preset.value = match ? match[0] : current ? "custom" : "";
  preset.addEventListener("change", () => {
    const range = presets[preset.value];
    if (range) picked[filter.field] = { from: range.from, to: range.to };
    else if (!preset.value) delete picked[filter.field];
    if (preset.value === "custom") return;
    inputs.from.value = (picked[filter.field] || {}).from || "";
    inputs.to.value = (picked[filter.field] || {}).to || "";
    show();
    onChange();
  });
  fieldset.append(shown);
  show();
  fieldset.setValue = (value) => {
    if (value) picked[filter.field] = value;
    else delete picked[filter.field];
    inputs.from.value = value?.from || "";
    inputs.to.value = value?.to || "";
    preset.value = value ? "custom" : "";
    show();
  };
  return fieldset;
}

function valuesControl(filter, picked, config, onChange) {
  const id = `filter-${filter.field}`;
  const wrap = element("fieldset", { class: "filter-values" });
  wrap.append(element("legend", {}, filter.label || filter.field));
  const search = element("input", { type: "search", id: `${id}-search`, placeholder: "Search values" });
  const list = element("div", { class: "filter-values__list", role: "group", "aria-label": filter.label || filter.field });
  wrap.append(element("label", { for: `${id}-search`, class: "visually-hidden" }, `Search ${filter.label || filter.field}`), search, list);
  const chosen = () => new Set((picked[filter.field] || []).map(String));
  const changed = () => {
    const values = [...list.querySelectorAll("input:checked")].map((box) => box.value);
    if (values.length) picked[filter.field] = values;
    else delete picked[filter.field];
    onChange();
  };
  fetch(`${config.optionsUrl}?field=${encodeURIComponent(filter.field)}`)
    .then((response) => (response.ok ? response.json() : { values: [] }))
    .then((payload) => {
      const options = payload.options || (payload.values || []).map((value) => ({ value, count: null }));
      const selected = chosen();
      options.forEach((option, index) => {
        const label = element("label");
        const box = element("input", { type: "checkbox", value: String(option.value), id: `${id}-${index}` });
        box.checked = selected.has(String(option.value));
        box.addEventListener("change", changed);
        label.append(box, element("span", {}, String(option.value)));
        if (option.count !== null && option.count !== undefined) {
          label.append(element("span", { class: "filter-values__count" }, Number(option.count).toLocaleString(config.locale || undefined)));
        }
        list.append(label);
      });
      if (!options.length) list.append(element("p", { class: "muted" }, "No values."));
    })
    .catch(() => list.replaceChildren(element("p", { class: "widget__error" }, "The values could not be loaded.")));
  search.addEventListener("input", () => {
    const needle = search.value.trim().toLocaleLowerCase();
    for (const label of list.querySelectorAll("label")) {
      label.hidden = needle !== "" && !label.textContent.toLocaleLowerCase().includes(needle);
    }
  });
  wrap.setValue = (values) => {
    if (values?.length) picked[filter.field] = values.map(String);
    else delete picked[filter.field];
    const now = chosen();
    for (const box of list.querySelectorAll("input")) box.checked = now.has(box.value);
  };
  return wrap;
}

// --- tabs, filter notes, cross-filtering and drill-through ---------------------------------------------

function mountTabs(root, sections) {
  const tabs = [...root.querySelectorAll("[data-tabs] [role=tab]")];
  if (!tabs.length) return;
  const panel = root.querySelector("[data-dashboard-grid]");
  const select = (tab) => {
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      other.tabIndex = on ? 0 : -1;
    }
    panel.setAttribute("aria-labelledby", tab.id);
    for (const section of sections) section.hidden = section.dataset.tab !== tab.dataset.tab;
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      select(next);
    });
  });
  select(tabs[0]);
}

/** Under each widget's title: the dashboard filters that apply to it (its table has the field). */
function noteFilters(sections, config) {
  const labels = Object.fromEntries((config.filters || []).map((f) => [f.field, f.label || f.field]));
  const byId = Object.fromEntries((config.widgets || []).map((w) => [String(w.id), w]));
  for (const section of sections) {
    const widget = byId[section.dataset.widgetId];
    if (!widget || !(config.filters || []).length || ["text", "heading"].includes(widget.kind)) continue;
    const applied = (widget.filters || []).map((field) => labels[field] || field);
    const text = applied.length ? `Filtered by ${applied.join(", ")}` : "No dashboard filter applies";
    const note = element("p", { class: "widget__filters", "data-widget-filters": "" }, text);
    section.querySelector("[data-widget-body]").before(note);
  }
}

function clickedValue(params, widget, data) {
  const dimension = (widget.dimensions || [])[0];
  if (!dimension) return null;
  const columns = (data?.columns || []).map((c) => c.name);
  const index = columns.indexOf(dimension.column);
  const rows = data?.rows || [];
  const byName = rows.find((row) => index >= 0 && String(row[index]) === String(params.name));
  const row = byName || rows[params.dataIndex];
  const value = row && index >= 0 ? row[index] : params.name;
  return { dimension, value };
}

function periodRange(value, granularity) {
  const start = String(value).slice(0, 10);
  const [y, m, d] = start.split("-").map(Number);
  const months = { month: 1, quarter: 3, year: 12 }[granularity];
  const end = months ? new Date(y, m - 1 + months, 0) : new Date(y, m - 1, d + (granularity === "week" ? 6 : 0));
  return { from: start, to: isoDate(end) };
}

function showDrill(root, config, widget, clicked, params) {
  const dialog = root.querySelector("[data-drill-dialog]");
  if (!dialog) return;
  const body = dialog.querySelector("[data-drill-body]");
  dialog.querySelector("[data-drill-title]").textContent = `Rows where ${clicked.dimension.field} is ${clicked.value}`;
  body.replaceChildren(element("p", { class: "widget__status", role: "status" }, "Loading…"));
  dialog.showModal();
  const query = new URLSearchParams(params);
  query.set("field", clicked.dimension.field);
  if (clicked.value !== null && clicked.value !== undefined) query.set("value", String(clicked.value));
  const url = config.drillUrl.replace(/\/0\/drill\/$/, `/${widget.id}/drill/`);
  fetch(`${url}?${query}`, { headers: { Accept: "application/json" } })
    .then(async (response) => {
      const payload = await readJson(response);
      if (!response.ok) throw new Error(payload.error?.message || "The rows could not be loaded.");
      // Narrow screens let a table scroll itself (site CSS): it must then be focusable for the keyboard.
      const table = element("table", { tabindex: "0" });
      const head = element("tr");
      for (const column of payload.columns) head.append(element("th", { scope: "col" }, column.name));
      table.append(element("thead"), element("tbody"));
      table.tHead.append(head);
      for (const row of payload.rows) {
        const tr = element("tr");
        for (const cell of row) tr.append(element("td", {}, cell === null ? "" : String(cell)));
        table.tBodies[0].append(tr);
      }
      const count = payload.rows.reduce((sum, row) => sum + Number(row[row.length - 1] || 0), 0);
      const note = element("p", { class: "muted", role: "status" },
        `${count.toLocaleString(config.locale || undefined)} rows${payload.truncated ? " (first 500 kinds shown)" : ""}; identical rows are shown once with their number in “rows”.`);
      // Keyboard users can scroll a wide table: the scroller is focusable and named.
      const scroller = element("div", { class: "drill-dialog__rows", tabindex: "0", role: "region", "aria-label": "Rows" });
      scroller.append(table);
      body.replaceChildren(note, scroller);
    })
    .catch((error) => body.replaceChildren(element("p", { class: "widget__error", role: "alert" }, error.message)));
}

/** A small menu at the clicked point: filter the dashboard by the value, or see the rows behind it. */
function clickMenu(root, config, widget, clicked, event, controls, getParams) {
  root.querySelector(".drill-menu")?.remove();
  const menu = element("div", { class: "drill-menu", role: "menu", "aria-label": "Chart element" });
  const field = clicked.dimension.field;
  const filter = (config.filters || []).find((f) => f.field.toLocaleLowerCase() === field.toLocaleLowerCase());
  if (filter && controls[filter.field]) {
    const label = filter.kind === "date_range" && clicked.dimension.granularity
      ? `Filter the dashboard to this ${clicked.dimension.granularity}`
      : `Filter the dashboard by ${clicked.value}`;
    const item = element("button", { type: "button", role: "menuitem", "data-cross-filter": "" }, label);
    item.addEventListener("click", () => {
      menu.remove();
      const control = controls[filter.field];
      control.setValue(filter.kind === "date_range"
        ? periodRange(clicked.value, clicked.dimension.granularity || "day")
        : [clicked.value]);
      control.onChange();
    });
    menu.append(item);
  }
  if (config.drillUrl) {
    const item = element("button", { type: "button", role: "menuitem", "data-drill": "" }, "See the rows behind this");
    item.addEventListener("click", () => {
      menu.remove();
      showDrill(root, config, widget, clicked, getParams());
    });
    menu.append(item);
  }
  if (!menu.children.length) return;
  const x = event?.event?.clientX ?? 20;
  const y = event?.event?.clientY ?? 20;
  menu.style.left = `${Math.min(x, window.innerWidth - 260)}px`;
  menu.style.top = `${y}px`;
  document.body.append(menu);
  menu.querySelector("button").focus();
  const close = (e) => {
    if (!menu.contains(e.target)) menu.remove();
    if (!menu.isConnected) document.removeEventListener("pointerdown", close);
  };
  document.addEventListener("pointerdown", close);
  menu.addEventListener("keydown", (e) => { if (e.key === "Escape") menu.remove(); });
}

/** Mount a dashboard page: filter bar, widgets, refresh. Returns {reload, picked}. */
export function mountDashboard(root, config) {
  const sections = [...root.querySelectorAll("[data-widget-id]")];
  const drawn = new Map();
  const picked = pickedFromUrl(config.filters || []);
  const controls = {};
  const widgetsById = Object.fromEntries((config.widgets || []).map((w) => [String(w.id), w]));
  mountTabs(root, sections);
  noteFilters(sections, config);

  function listenForClicks(section, handle) {
    const widget = widgetsById[section.dataset.widgetId];
    if (!handle?.chart || !widget || !(widget.dimensions || []).length) return;
    handle.chart.on("click", (params) => {
      const clicked = clickedValue(params, widget, handle.data);
      if (clicked) clickMenu(root, config, widget, clicked, params, controls, () => filterParams(picked));
    });
  }

  async function reload() {
    const params = filterParams(picked);
    for (const section of sections) section.dataset.loaded = "false"; // tests and tools wait on this
    await Promise.all(sections.map(async (section) => {
      if (section.classList.contains("widget--heading")) {
        section.dataset.loaded = "true";
        return;
      }
      drawn.get(section)?.dispose();
      drawn.delete(section);
      const handle = await loadWidget(section, config, params);
      if (handle) {
        drawn.set(section, handle);
        listenForClicks(section, handle);
      }
    }));
    root.dataset.loaded = "true";
  }

  function filtersChanged() {
    const params = filterParams(picked);
    const url = new URL(window.location.href);
    for (const key of [...url.searchParams.keys()]) if (key.startsWith(PREFIX)) url.searchParams.delete(key);
    for (const [key, value] of params) url.searchParams.append(key, value);
    window.history.replaceState(null, "", url);
    reload();
  }

  const bar = root.querySelector("[data-filter-bar]");
  if (bar && config.filters?.length) {
    for (const filter of config.filters) {
      const control = filter.kind === "date_range"
        ? dateRangeControl(filter, picked, config, filtersChanged)
        : valuesControl(filter, picked, config, filtersChanged);
      control.onChange = filtersChanged;
      controls[filter.field] = control;
      bar.append(control);
    }
    const reset = element("button", { type: "button", class: "button secondary" }, "Clear filters");
    reset.addEventListener("click", () => {
      for (const control of Object.values(controls)) control.setValue(null);
      filtersChanged();
    });
    bar.append(reset);
  }

  root.querySelector("[data-refresh]")?.addEventListener("click", reload);
  if (config.refreshSeconds > 0) {
    setInterval(() => {
      if (!document.hidden) reload();
    }, config.refreshSeconds * 1000);
  }
  reload();
  return { reload, picked };
}

// Exports carry the filters picked on the page (they live in the page's query string).
for (const link of document.querySelectorAll("a[data-export]")) {
  link.addEventListener("click", () => {
    link.search = window.location.search;
  });
}
