// SPDX-License-Identifier: MIT
/**
 * The query editor under an answer: its measures, groupings and filters as rows of selects, a chart
 * type, and (editors) the SQL. Aggregations, granularities and filter operators come from the page's
 * config (the server's own lists). A row left as it was sends back the query's own item (with its
 * alias) and keeps the sort on its output column, whose name the server sent in `query_outputs`:
 * no column name is derived here.
 */
import { chartNamer, el } from "./cards.js";

function fieldSelect(columns, value, { allowNone = false, label }) {
  const select = el("select", { "aria-label": label });
  if (allowNone) select.append(new Option("(rows)", ""));
  for (const column of columns) select.append(new Option(column.name, column.name, false, column.name === value));
  if (value && !columns.some((c) => c.name === value)) select.append(new Option(value, value, true, true));
  return select;
}

function choiceSelect(values, value, label, names = {}) {
  const choices = value && !values.includes(value) ? [...values, value] : values; // never drop a value
  return el("select", { "aria-label": label }, ...choices.map((v) => new Option(names[v] || v || "(none)", v, false, v === (value ?? ""))));
}

function removable(row, container) {
  row.append(el("button", { type: "button", class: "link danger", text: "Remove", onclick: () => { row.remove(); container.dispatchEvent(new Event("change")); } }));
  return row;
}

/** A row made from the query's item remembers it, and its output name, to tell whether it changed. */
function remember(row, item, output, shown) {
  if (output === undefined) return;
  row.dataset.original = JSON.stringify(item);
  row.dataset.output = output;
  row.dataset.shown = JSON.stringify(shown);
}

function values(row) {
  return [...row.querySelectorAll("select, input")].map((c) => c.value);
}

function unchanged(row, shown) {
  return row.dataset.shown !== undefined && row.dataset.shown === JSON.stringify(shown);
}

function parseValue(text, column) {
  const numeric = ["integer", "decimal"].includes(column?.type);
  const convert = (v) => (numeric && v !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
  return text.split(",").map((v) => convert(v.trim())).filter((v) => v !== "");
}

/** The query editor for one answer; `rerun(message, body, control, onError)` sends the change. */
export class QueryEditor {
  constructor({ config, columns, rerun }) {
    this.config = config;
    this.columns = columns; // () => the table's columns
    this.rerun = rerun;
    this.chartName = chartNamer(config);
  }

  measureRow(measure = {}, container, output) {
    const { aggregations } = this.config.query;
    const row = el("div", { class: "row", "data-kind": "measure" });
    row.append(choiceSelect(aggregations, measure.agg || "sum", "Aggregation"), fieldSelect(this.columns(), measure.field, { allowNone: true, label: "Measured column" }));
    remember(row, measure, output, values(row));
    return removable(row, container);
  }

  groupingRow(dimension = {}, container, output) {
    const granularities = ["", ...this.config.query.granularities];
    const row = el("div", { class: "row", "data-kind": "dimension" });
    row.append(fieldSelect(this.columns(), dimension.field, { label: "Group by column" }), choiceSelect(granularities, dimension.granularity || "", "Date granularity"));
    remember(row, dimension, output, values(row));
    return removable(row, container);
  }

  filterRow(filter = {}, container) {
    const ops = this.config.query.filterOps;
    const row = el("div", { class: "row", "data-kind": "filter" });
    const value = Array.isArray(filter.value) ? filter.value.join(", ") : filter.value ?? "";
    row.append(
      fieldSelect(this.columns(), filter.field, { label: "Filtered column" }),
      choiceSelect(Object.keys(ops), filter.op || "eq", "Condition", ops),
      el("input", { type: "text", "aria-label": "Value (separate several with commas)", value: String(value), size: 18 }),
    );
    if (filter.op && !ops[filter.op]) row.dataset.raw = JSON.stringify(filter); // kept as it was
    return removable(row, container);
  }

  section(title, items, outputs, addLabel, makeRow) {
    const fieldset = el("fieldset", {}, el("legend", { text: title }));
    const list = el("div");
    items.forEach((item, i) => list.append(makeRow(item, list, outputs?.[i])));
    fieldset.append(list, el("button", { type: "button", class: "link", text: addLabel, onclick: () => list.append(makeRow({}, list)) }));
    return { fieldset, list };
  }

  /** The edited query: `base` with the rows' measures, groupings and filters, and its sort on kept columns. */
  readQuery(base, lists) {
    const kept = new Set();
    const fromRow = (row, made) => {
      const shown = values(row);
      if (!unchanged(row, shown)) return made(shown);
      kept.add(row.dataset.output);
      return JSON.parse(row.dataset.original);
    };
    const measures = [...lists.measures.children].map((row) => fromRow(row, ([agg, field]) => (field ? { agg, field } : { agg: "count" })));
    const dimensions = [...lists.dimensions.children].map((row) => fromRow(row, ([field, granularity]) => (granularity ? { field, granularity } : { field })));
    const filters = [...lists.filters.children].map((row) => {
      if (row.dataset.raw) return JSON.parse(row.dataset.raw);
      const [field, op, text] = values(row);
      const parsed = parseValue(text, this.columns().find((c) => c.name === field));
      const value = op === "in" || op === "between" ? parsed : parsed[0];
      return { field, op, value: value ?? null };
    });
    // A sort on a column that was changed or removed would name a column the query no longer has.
    const order = (base.order || []).filter((o) => kept.has(o.field));
    return { ...base, measures, dimensions, filters, order };
  }

  /** Open the editor under `card` (or close it when open). */
  toggle(card, message, button) {
    const open = card.root.querySelector(".chat__edit");
    if (open) {
      open.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    button.setAttribute("aria-expanded", "true");
    const form = el("form", { class: "chat__edit", "aria-label": "Edit the query" });
    const error = el("p", { class: "error", role: "alert", hidden: true });
    // A query of model members (it names its model) is re-run as SQL or redrawn as another type only.
    const fromModel = Boolean(message.query && "model" in message.query);
    const editable = fromModel ? null : message.query;
    const query = editable || {};
    const outputs = message.query_outputs || {};
    const lists = {};
    if (editable) {
      const measures = this.section("Measures", query.measures || [], outputs.measures, "Add a measure", (...a) => this.measureRow(...a));
      const dimensions = this.section("Group by", query.dimensions || [], outputs.dimensions, "Add a grouping", (...a) => this.groupingRow(...a));
      const filters = this.section("Filters", query.filters || [], null, "Add a filter", (...a) => this.filterRow(...a));
      Object.assign(lists, { measures: measures.list, dimensions: dimensions.list, filters: filters.list });
      form.append(measures.fieldset, dimensions.fieldset, filters.fieldset);
    }
    const typeId = `edit-type-${message.id}`;
    const types = [...new Set([message.chart?.type, ...(message.chart?.alternatives || []), ...this.config.editorChartTypes].filter(Boolean))];
    const typeSelect = el("select", { id: typeId }, new Option("(best fit)", ""), ...types.map((t) => new Option(this.chartName(t), t, false, t === message.chart?.type)));
    form.append(el("div", { class: "row" }, el("label", { for: typeId, text: "Chart type" }), typeSelect));
    let sqlArea = null;
    if (this.config.canEditSql) {
      const sqlId = `edit-sql-${message.id}`;
      sqlArea = el("textarea", { id: sqlId, rows: 5, spellcheck: "false" });
      sqlArea.value = message.sql || "";
      form.append(el("details", { class: "chat__details", open: editable ? null : true }, el("summary", { text: "Edit the SQL instead (editors)" }), el("label", { for: sqlId, class: "muted", text: "A single SELECT over this source's tables" }), sqlArea));
    }
    const submit = el("button", { type: "submit", class: "button", text: "Re-run" });
    form.append(el("div", { class: "row" }, submit, el("button", { type: "button", class: "button secondary", text: "Close", onclick: () => this.toggle(card, message, button) })), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const sqlChanged = sqlArea && sqlArea.value.trim() && sqlArea.value.trim() !== (message.sql || "").trim();
      let body = {}; // an answer from a model: only its chart type changes
      if (sqlChanged || (!editable && !fromModel)) body = { sql: sqlArea?.value || "" };
      else if (editable) body = { query: this.readQuery(query, lists) };
      if (typeSelect.value) body.chart_type = typeSelect.value;
      const ok = await this.rerun(message, body, submit, (text) => {
        error.textContent = text;
        error.hidden = false;
      });
      if (ok) form.remove();
    });
    card.root.append(form);
    form.querySelector("select, textarea")?.focus();
  }
}
