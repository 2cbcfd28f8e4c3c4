// SPDX-License-Identifier: MIT
/**
 * A dashboard in edit mode: drag and resize widgets on gridstack's 12-column grid, add a saved
 * chart (as a chart, a KPI or a table) or a text block, remove widgets, save the layout, and change
 * the dashboard's title, auto-refresh and filters. Every change goes through the dashboards API.
 * gridstack is the global `GridStack` from static/vendor/gridstack/gridstack-all.js.
 */
import { api as request } from "./api.js";
import { loadWidget } from "./dashboard.js";

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

const api = (url, method, body) => request(url, { method, body });

function say(node, message, isError = false) {
  node.textContent = message;
  node.className = isError ? "error" : "muted";
}

function widgetTitle(widget, charts) {
  if (widget.title) return widget.title;
  const chart = charts.find((c) => c.id === widget.chart_id);
  if (chart) return chart.title;
  return widget.kind === "text" ? "Text" : "";
}

/** The grid item for a widget: a header with its title and a remove button, and a live preview. */
function gridItem(widget, charts, onRemove) {
  const item = element("div", {
    class: "grid-stack-item", "gs-id": String(widget.id), "gs-x": String(widget.x), "gs-y": String(widget.y),
    "gs-w": String(widget.w), "gs-h": String(widget.h),
  });
  const content = element("section", {
    class: `grid-stack-item-content widget widget--${widget.kind}`, "data-widget-id": String(widget.id),
    "aria-label": widgetTitle(widget, charts) || widget.kind,
  });
  const head = element("div", { class: "widget__head" });
  head.append(element("h2", { class: "widget__title" }, widgetTitle(widget, charts)));
  const remove = element("button", { type: "button", class: "link danger", "aria-label": "Remove widget" }, "Remove");
  remove.addEventListener("click", () => onRemove(item, widget));
  head.append(remove);
  const body = element("div", { class: "widget__body", "data-widget-body": "" });
  body.append(element("p", { class: "widget__status" }, "Loading…"));
  content.append(head, body);
  item.append(content);
  return item;
}

/** A filter definition row; the field is picked from the columns of the dashboard's tables (`fields`,
 * from the fields endpoint), never typed, so a misspelled field cannot be saved. */
function filterRow(fields, filter = { field: "", kind: "values", label: "" }) {
  const row = element("div", { class: "row filter-def" });
  const field = element("select", { "aria-label": "Field" });
  field.append(element("option", { value: "" }, fields.length ? "Pick a field" : "Add a widget first"));
  for (const f of fields) {
    const option = element("option", { value: f.name }, `${f.name} (${f.type})`);
    option.selected = f.name === filter.field;
    field.append(option);
  }
  if (filter.field && !fields.some((f) => f.name === filter.field)) {
    const stale = element("option", { value: filter.field }, `${filter.field} (no widget has it)`);
    stale.selected = true;
    field.append(stale);
  }
  field.dataset.part = "field";
  const kind = element("select", { "aria-label": "Kind" });
  for (const [value, label] of [["values", "Values of a dimension"], ["date_range", "Date range"]]) {
    const option = element("option", { value }, label);
    option.selected = filter.kind === value;
    kind.append(option);
  }
  kind.dataset.part = "kind";
  const label = element("input", { "aria-label": "Label", placeholder: "label (optional)", value: filter.label || "" });
  label.dataset.part = "label";
  const remove = element("button", { type: "button", class: "link danger" }, "Remove");
  remove.addEventListener("click", () => row.remove());
  row.append(field, kind, label, remove);
  return row;
}

function readFilters(list) {
  return [...list.querySelectorAll(".filter-def")]
    .map((row) => ({
      field: row.querySelector("[data-part=field]").value.trim(),
      kind: row.querySelector("[data-part=kind]").value,
      label: row.querySelector("[data-part=label]").value.trim(),
    }))
    .filter((filter) => filter.field);
}

export function mountEditor(root, config) {
  const status = root.querySelector("[data-status]");
  const gridNode = root.querySelector(".grid-stack");
  const grid = globalThis.GridStack.init(
    { column: 12, cellHeight: config.cellHeight, margin: 6, float: true, handle: ".widget__head" },
    gridNode,
  );
  let dirty = false;

  async function removeWidget(item, widget) {
    if (!confirm("Remove this widget from the dashboard?")) return;
    try {
      await api(`${config.widgetsUrl}${widget.id}/`, "DELETE");
      grid.removeWidget(item);
      const index = config.widgets.findIndex((w) => w.id === widget.id);
      if (index >= 0) config.widgets.splice(index, 1);
      say(status, "Widget removed.");
    } catch (error) {
      say(status, error.message, true);
    }
  }

  function place(widget) {
    const item = gridItem(widget, config.charts, removeWidget);
    gridNode.append(item);
    grid.makeWidget(item);
    loadWidget(item.querySelector("[data-widget-id]"), config);
  }

  // Tabs: the grid holds one tab's widgets at a time (positions are per tab).
  const tabPicker = root.querySelector("[data-edit-tab]");
  const shownTab = () => Number(tabPicker?.value || 0);
  const showTab = () => {
    grid.removeAll();
    grid.batchUpdate();
    for (const widget of config.widgets) if ((widget.tab || 0) === shownTab()) place(widget);
    grid.batchUpdate(false);
    dirty = false;
  };
  tabPicker?.addEventListener("change", showTab);
  showTab();
  grid.on("change", () => {
    dirty = true;
    say(status, "Layout changed: save it to keep it.");
  });

  root.querySelector("[data-save-layout]").addEventListener("click", async () => {
    const widgets = grid.save(false).map(({ id, x, y, w, h }) => ({ id: Number(id), x, y, w, h }));
    try {
      await api(config.layoutUrl, "PUT", { widgets });
      dirty = false;
      say(status, "Layout saved.");
    } catch (error) {
      say(status, error.message, true);
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) event.preventDefault();
  });

  // Adding widgets: a saved chart (or a data model's members) drawn as a chart, KPI or table, their
  // analytics (a forecast, unusual values, what changed, an insight), or a text block.
  const addForm = root.querySelector("[data-add-widget]");
  const kind = addForm.querySelector("[name=kind]");
  const origin = addForm.querySelector("[name=origin]");
  const chartSelect = addForm.querySelector("[name=chart_id]");
  for (const chart of config.charts) chartSelect.append(element("option", { value: String(chart.id) }, chart.title));
  const models = config.models || [];
  const modelSelect = addForm.querySelector("[name=model]");
  const measureSelect = addForm.querySelector("[name=measures]");
  const dimensionSelect = addForm.querySelector("[name=dimension]");
  const granularity = addForm.querySelector("[data-for-granularity]");
  const breakdownSelect = addForm.querySelector("[name=breakdown]");
  const fromModelKinds = ["chart", "kpi", "table", "forecast", "anomalies", "drivers", "insight"];
  for (const model of models) modelSelect.append(element("option", { value: String(model.id) }, model.name));
  const pickedModel = () => models.find((model) => String(model.id) === modelSelect.value);
  const showMembers = () => {
    const model = pickedModel();
    measureSelect.replaceChildren(
      ...(model ? model.measures : []).map((m) => element("option", { value: m.name }, m.title)),
    );
    if (measureSelect.options.length) measureSelect.options[0].selected = true;
    dimensionSelect.replaceChildren(
      element("option", { value: "" }, "(nothing: one total)"),
      ...(model ? model.dimensions : []).map((d) => element("option", { value: d.name }, d.title)),
    );
    breakdownSelect.replaceChildren(
      ...(model ? model.dimensions : [])
        .filter((d) => d.type !== "time")
        .map((d) => element("option", { value: d.name }, d.title)),
    );
    showGranularity();
  };
  const showGranularity = () => {
    const model = pickedModel();
    const dimension = model && model.dimensions.find((d) => d.name === dimensionSelect.value);
    granularity.hidden = !(dimension && dimension.type === "time");
  };
  modelSelect.addEventListener("change", showMembers);
  dimensionSelect.addEventListener("change", showGranularity);
  showMembers();
  const fromModel = () => fromModelKinds.includes(kind.value) && models.length && origin.value === "model";
  const showFields = () => {
    const isText = ["text", "heading"].includes(kind.value);
    addForm.querySelector("[data-for-origin]").hidden = !(models.length && fromModelKinds.includes(kind.value));
    addForm.querySelector("[data-for-breakdown]").hidden = !["drivers", "insight"].includes(kind.value);
    addForm.querySelector("[data-for-chart]").hidden = isText || fromModel();
    addForm.querySelector("[data-for-model]").hidden = !fromModel();
    addForm.querySelector("[data-for-text]").hidden = !isText;
  };
  kind.addEventListener("change", showFields);
  origin.addEventListener("change", showFields);
  showFields();
  const memberQuery = () => {
    const measures = [...measureSelect.selectedOptions].map((option) => option.value);
    const query = { model: Number(modelSelect.value), measures, dimensions: [] };
    if (dimensionSelect.value) {
      query.dimensions.push(
        granularity.hidden
          ? dimensionSelect.value
          : { member: dimensionSelect.value, granularity: addForm.querySelector("[name=granularity]").value },
      );
    }
    if (["drivers", "insight"].includes(kind.value)) {
      for (const option of breakdownSelect.selectedOptions) query.dimensions.push(option.value);
    }
    return query;
  };
  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const isText = ["text", "heading"].includes(kind.value);
    const body = { kind: kind.value, title: addForm.querySelector("[name=title]").value.trim() };
    body.tab = Number(addForm.querySelector("[name=tab]")?.value || 0);
    if (isText) body.text = addForm.querySelector("[name=text]").value;
    else if (fromModel()) {
      body.query = memberQuery();
      if (!body.query.measures.length) {
        say(status, "Pick at least one measure.", true);
        return;
      }
    } else body.chart_id = Number(chartSelect.value) || null;
    if (kind.value === "kpi") Object.assign(body, { w: 3, h: 3 });
    if (kind.value === "text") Object.assign(body, { w: 4, h: 3 });
    if (kind.value === "heading") Object.assign(body, { w: 12, h: 1, title: "" });
    try {
      const widget = await api(config.widgetsUrl, "POST", body);
      config.widgets.push(widget);
      if (tabPicker && tabPicker.value !== String(widget.tab || 0)) {
        tabPicker.value = String(widget.tab || 0);
        showTab();
      } else place(widget);
      // Keep the kind and chart picked (a person often adds several); clear what was typed.
      addForm.querySelector("[name=title]").value = "";
      addForm.querySelector("[name=text]").value = "";
      say(status, "Widget added.");
    } catch (error) {
      say(status, error.message, true);
    }
  });
  if (!config.charts.length) {
    addForm.querySelector("[data-no-charts]").hidden = false;
  }

  // Settings: title, description, auto-refresh, filter definitions.
  const settings = root.querySelector("[data-settings]");
  const filterList = settings.querySelector("[data-filter-list]");
  let fields = [];
  const loadFields = async () => {
    try {
      fields = (await request(config.fieldsUrl)).fields || [];
    } catch (error) {
      say(status, error.message, true);
    }
  };
  loadFields().then(() => {
    for (const filter of config.dashboard.filters) filterList.append(filterRow(fields, filter));
  });
  settings.querySelector("[data-add-filter]").addEventListener("click", async () => {
    await loadFields(); // widgets added since the page opened bring their columns
    filterList.append(filterRow(fields));
  });
  const tabsInput = settings.querySelector("[name=tabs]");
  settings.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      title: settings.querySelector("[name=title]").value,
      description: settings.querySelector("[name=description]").value,
      refresh_seconds: Number(settings.querySelector("[name=refresh_seconds]").value) || null,
      filters: readFilters(filterList),
    };
    const tabs = tabsInput.value.split(",").map((name) => name.trim()).filter(Boolean);
    body.layout = { ...(config.dashboard.layout || {}), tabs };
    try {
      await api(config.apiUrl, "PATCH", body);
      say(status, tabs.length !== (config.tabs || []).length ? "Settings saved. Reload to see the tabs." : "Settings saved.");
    } catch (error) {
      say(status, error.message, true);
    }
  });
  return grid;
}
