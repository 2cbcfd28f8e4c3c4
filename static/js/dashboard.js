// SPDX-License-Identifier: MIT
/**
 * A dashboard in view mode, for members, embeds and public links alike: the filter bar, each
 * widget's data loaded on its own (one request per widget, so one failure never hides the others),
 * and auto-refresh. Charts are drawn by charts.js; text widgets arrive as HTML the server sanitised.
 *
 * config: {dataUrl, optionsUrl, widgets: [{id, kind, title}], filters: [{field, kind, label}],
 *          refreshSeconds}
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
    return hasChart ? renderChart(holder, result.option, { data: result.data }) : null;
  } catch (error) {
    status(body, "This widget could not be loaded. Check your connection and refresh.", "widget__error");
    return null;
  } finally {
    section.setAttribute("aria-busy", "false");
    section.dataset.loaded = "true";
  }
}

function dateRangeControl(filter, picked, onChange) {
  const fieldset = element("fieldset");
  fieldset.append(element("legend", {}, filter.label || filter.field));
  const current = picked[filter.field] || {};
  for (const [end, label] of [["from", "From"], ["to", "To"]]) {
    const id = `filter-${filter.field}-${end}`;
    const wrap = element("div");
    const input = element("input", { type: "date", id, name: `${filter.field}-${end}` });
    input.value = current[end] || "";
    input.addEventListener("change", () => {
      const value = { ...(picked[filter.field] || {}), [end]: input.value };
      if (!value.from && !value.to) delete picked[filter.field];
      else picked[filter.field] = value;
      onChange();
    });
    wrap.append(element("label", { for: id }, label), input);
    fieldset.append(wrap);
  }
  return fieldset;
}

function valuesControl(filter, picked, config, onChange) {
  const id = `filter-${filter.field}`;
  const wrap = element("div");
  const select = element("select", { id, multiple: "" });
  wrap.append(element("label", { for: id }, filter.label || filter.field), select);
  const chosen = new Set((picked[filter.field] || []).map(String));
  fetch(`${config.optionsUrl}?field=${encodeURIComponent(filter.field)}`)
    .then((response) => (response.ok ? response.json() : { values: [] }))
    .then((payload) => {
      for (const value of payload.values || []) {
        const option = element("option", { value: String(value) }, String(value));
        option.selected = chosen.has(String(value));
        select.append(option);
      }
    })
    .catch(() => select.setAttribute("title", "The values could not be loaded."));
  select.addEventListener("change", () => {
    const values = [...select.selectedOptions].map((option) => option.value);
    if (values.length) picked[filter.field] = values;
    else delete picked[filter.field];
    onChange();
  });
  return wrap;
}

/** Mount a dashboard page: filter bar, widgets, refresh. Returns {reload, picked}. */
export function mountDashboard(root, config) {
  const sections = [...root.querySelectorAll("[data-widget-id]")];
  const drawn = new Map();
  const picked = pickedFromUrl(config.filters || []);

  async function reload() {
    const params = filterParams(picked);
    await Promise.all(sections.map(async (section) => {
      drawn.get(section)?.dispose();
      drawn.delete(section);
      const handle = await loadWidget(section, config, params);
      if (handle) drawn.set(section, handle);
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
      bar.append(filter.kind === "date_range"
        ? dateRangeControl(filter, picked, filtersChanged)
        : valuesControl(filter, picked, config, filtersChanged));
    }
    const reset = element("button", { type: "button", class: "button secondary" }, "Clear filters");
    reset.addEventListener("click", () => {
      for (const key of Object.keys(picked)) delete picked[key];
      for (const input of bar.querySelectorAll("input")) input.value = "";
      for (const option of bar.querySelectorAll("option")) option.selected = false;
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
