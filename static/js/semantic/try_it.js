// SPDX-License-Identifier: MIT
/**
 * The model editor's "Try it" panel: chosen measures by one dimension (a time dimension with a
 * granularity) go to the semantic query API; the result is drawn with the chart type the chart
 * recommender ranks first and the chart render API. Columns are shown under the members' titles.
 */
import { api } from "../api.js";
import { renderChart } from "../charts.js";

/** Wire the panel; returns {setMembers(members)} to refill the choices after a save. */
export function tryItPanel({ config, root }) {
  const form = root.querySelector("#try-form");
  if (!form) return { setMembers() {} };
  const measureBox = root.querySelector("#try-measures");
  const dimension = root.querySelector("#try-dimension");
  const granularity = root.querySelector("#try-granularity");
  const granularityLabel = root.querySelector("#try-granularity-label");
  const chart = root.querySelector("#try-chart");
  const errorBox = root.querySelector("#try-error");
  const sqlBox = root.querySelector("#try-sql");
  let members = { measures: [], dimensions: [] };
  let drawn = null;

  granularity.replaceChildren(...config.granularities.map((g) => new Option(g.replaceAll("_", " "), g)));
  granularity.value = "month";

  function setMembers(next) {
    const checked = new Set([...measureBox.querySelectorAll("input:checked")].map((i) => i.value));
    const chosen = dimension.value;
    members = { measures: next.measures || [], dimensions: next.dimensions || [] };
    measureBox.replaceChildren(
      ...members.measures.map((measure, position) => {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = measure.name;
        box.checked = checked.size ? checked.has(measure.name) : position === 0;
        label.append(box, ` ${measure.title}`);
        return label;
      }),
    );
    dimension.replaceChildren(
      new Option("(nothing: totals)", ""),
      ...members.dimensions.map((d) => new Option(d.title, d.name, false, d.name === chosen)),
    );
    showGranularity();
  }

  function showGranularity() {
    const chosen = members.dimensions.find((d) => d.name === dimension.value);
    const isTime = chosen?.type === "time";
    granularity.hidden = !isTime;
    granularityLabel.hidden = !isTime;
  }

  function label(name) {
    // Result columns are "cube.member", or "cube.member.granularity" for a bucketed time dimension.
    const parts = name.split(".");
    const member = parts.slice(0, 2).join(".");
    const grain = parts[2] || null;
    const found = [...members.measures, ...members.dimensions].find((m) => m.name === member);
    const title = found?.label || name;
    return grain ? `${title} (${grain.replaceAll("_", " ")})` : title;
  }

  async function run() {
    errorBox.hidden = true;
    const measures = [...measureBox.querySelectorAll("input:checked")].map((i) => i.value);
    if (!measures.length) throw new Error("Choose at least one measure.");
    const dims = [];
    if (dimension.value) {
      const chosen = members.dimensions.find((d) => d.name === dimension.value);
      dims.push(chosen?.type === "time" ? { member: dimension.value, granularity: granularity.value } : dimension.value);
    }
    const query = { measures, dimensions: dims, limit: 500 };
    if (dims.length) {
      const first = dims[0];
      query.order =
        typeof first === "object"
          ? [{ field: `${first.member}.${first.granularity}`, dir: "asc" }]
          : [{ field: measures[0], dir: "desc" }];
    }
    const result = await api(config.urls.query, { method: "POST", body: { model: config.id, query } });
    const columns = result.columns.map((column) => ({
      ...column,
      name: label(column.name),
      member: column.name,
      role: measures.includes(column.name) ? "measure" : column.type === "date" || column.type === "datetime" ? "time" : "dimension",
    }));
    const data = { columns, rows: result.rows };
    const ranked = await api(config.urls.recommend, {
      method: "POST",
      body: { columns, row_count: result.rows.length },
    });
    const type = ranked.recommendations[0]?.type || "table";
    const title = dims.length
      ? `${measures.map(label).join(", ")} by ${label(dims[0].member || dims[0])}`
      : measures.map(label).join(", ");
    const rendered = await api(config.urls.render, { method: "POST", body: { type, data, title } });
    drawn?.dispose();
    drawn = renderChart(chart, rendered.option, { data });
    chart.dataset.rows = JSON.stringify(result.rows);
    chart.dataset.columns = JSON.stringify(columns.map((c) => c.name));
    sqlBox.querySelector("code").textContent = result.sql;
    root.querySelector("#try-explain").textContent = explainText(result.explain);
    sqlBox.hidden = false;
  }

  dimension.addEventListener("change", showGranularity);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    chart.setAttribute("aria-busy", "true");
    try {
      await run();
    } catch (error) {
      errorBox.textContent = error.message;
      errorBox.hidden = false;
    } finally {
      chart.removeAttribute("aria-busy");
    }
  });
  return { setMembers, run: () => form.requestSubmit() };
}

/** Which rollup answered and why the others did not, as the server explained it (text only). */
function explainText(explain) {
  if (!explain) return "";
  const answered = explain.rollup ? `Answered from rollup ${explain.rollup}.` : "Answered from the source's tables.";
  const why = explain.reason ? ` ${explain.reason}` : "";
  const rejected = Object.entries(explain.rejected || {}).map(([name, reason]) => `${name}: ${reason}`);
  return `${answered}${why}${rejected.length ? ` Not used: ${rejected.join("; ")}.` : ""}`;
}
