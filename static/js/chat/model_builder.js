// SPDX-License-Identifier: MIT
/**
 * The "Data model" builder on the chat page: pick a model of the workspace, its measures, one
 * dimension (with a granularity for a time dimension) and one filter, draw the chart, save it.
 *
 * The models and their members come from the page config (`models`, the server's member catalogue);
 * granularities and filter operators from `query`. The query sent is a model query,
 * {model, measures, dimensions, filters}, which the chart render API runs through the semantic layer
 * (rollups, the model's cache policy, row access) and draws with the members' titles and formats.
 */
import { api } from "../api.js";
import { renderChart } from "../charts.js";
import { addToDashboardDialog, saveChartDialog } from "../save_dialogs.js";
import { el } from "./cards.js";

const $ = (id) => document.getElementById(id);

/** Start the builder from the parsed `chat-config`; it stays hidden when there is no model. */
export function initModelBuilder(config = JSON.parse($("chat-config").textContent)) {
  const models = config.models || [];
  const form = $("model-form");
  if (!form || !models.length) return;
  form.hidden = false;
  const pick = $("model-pick");
  const dimension = $("model-dimension");
  const granularity = $("model-granularity");
  const filterField = $("model-filter-field");
  const filterOp = $("model-filter-op");
  const filterValue = $("model-filter-value");
  const type = $("model-type");
  const result = $("model-result");
  const error = $("model-error");
  const tools = $("model-tools");
  let drawn = null;

  pick.replaceChildren(...models.map((m) => new Option(m.name, String(m.id))));
  granularity.replaceChildren(...(config.query?.granularities || []).map((g) => new Option(g, g, false, g === "month")));
  filterOp.replaceChildren(...Object.entries(config.query?.filterOps || { eq: "is" }).map(([op, name]) => new Option(name, op)));
  type.replaceChildren(...(config.editorChartTypes || ["bar"]).map((t) => new Option(t, t, false, t === "bar")));

  const current = () => models.find((m) => String(m.id) === pick.value) || models[0];
  const dimensionOf = (name) => current().dimensions.find((d) => d.name === name);

  function fillMembers() {
    const model = current();
    const box = $("model-measures");
    box.replaceChildren(
      el("legend", { text: "Measures" }),
      ...model.measures.map((m, i) =>
        el("label", { class: "row" }, el("input", { type: "checkbox", name: "measure", value: m.name, checked: i === 0 }), ` ${m.title}`),
      ),
    );
    const dims = model.dimensions.map((d) => new Option(d.title, d.name));
    dimension.replaceChildren(new Option("(nothing)", ""), ...dims);
    filterField.replaceChildren(new Option("(no filter)", ""), ...model.dimensions.map((d) => new Option(d.title, d.name)));
    showGranularity();
  }

  function showGranularity() {
    const isTime = dimensionOf(dimension.value)?.type === "time";
    granularity.hidden = !isTime;
    $("model-granularity-label").hidden = !isTime;
  }

  function query() {
    const measures = [...form.querySelectorAll('input[name="measure"]:checked')].map((c) => c.value);
    const dimensions = [];
    if (dimension.value) {
      dimensions.push(dimensionOf(dimension.value)?.type === "time" ? { member: dimension.value, granularity: granularity.value } : dimension.value);
    }
    const body = { model: Number(pick.value), measures, dimensions };
    if (filterField.value && filterValue.value.trim()) {
      const many = ["in", "not_in", "between"].includes(filterOp.value);
      const numeric = dimensionOf(filterField.value)?.type === "number";
      const parse = (v) => (numeric && v !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
      const values = filterValue.value.split(",").map((v) => parse(v.trim())).filter((v) => v !== "");
      body.filters = [{ field: filterField.value, op: filterOp.value, value: many ? values : values[0] }];
    }
    return body;
  }

  function showError(text) {
    error.textContent = text || "";
    error.hidden = !text;
  }

  async function draw(event) {
    event.preventDefault();
    const sent = query();
    result.hidden = false;
    showError("");
    tools.replaceChildren();
    try {
      const answer = await api(config.urls.render, { method: "POST", body: { query: sent, type: type.value || "bar", title: "" } });
      drawn = { query: sent, spec: answer.spec };
      $("model-result-title").textContent = answer.spec.title || suggestedTitle();
      renderChart($("model-chart"), answer.option, { data: answer.data, showTitle: false });
      if (config.canSaveChart) tools.append(el("button", { type: "button", class: "button secondary", text: "Save chart", onclick: save }));
    } catch (failure) {
      showError(failure.message);
    }
  }

  function suggestedTitle() {
    const label = (list, name) => list.find((m) => m.name === name)?.label || name;
    const measures = drawn.query.measures.map((name) => label(current().measures, name)).join(" and ");
    const by = drawn.query.dimensions.map((d) => label(current().dimensions, d.member || d)).join(" and ");
    return by ? `${measures || "Rows"} by ${by}` : measures;
  }

  async function save(event) {
    const button = event.currentTarget;
    const chart = await saveChartDialog({
      title: suggestedTitle(),
      save: (given) => api(config.urls.charts, { method: "POST", body: { ...given, spec: drawn.spec, query: drawn.query } }),
    });
    if (!chart) return;
    button.replaceWith(
      el("a", { href: `${config.urls.chartPage}${chart.id}/`, text: `Saved as “${chart.title}”` }),
      el("button", { type: "button", class: "link", text: "Add to dashboard", onclick: () => addToDashboardDialog({ chartId: async () => chart.id }) }),
    );
  }

  pick.addEventListener("change", fillMembers);
  dimension.addEventListener("change", showGranularity);
  form.addEventListener("submit", draw);
  fillMembers();
}

document.addEventListener("DOMContentLoaded", () => initModelBuilder());
