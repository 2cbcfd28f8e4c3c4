// SPDX-License-Identifier: MIT
/**
 * A saved chart's page: re-runs the chart's query through its data endpoint and draws it with
 * charts.js; fills the "Chart type" select from the recommend endpoint and redraws the same result
 * as the chosen type; editors can save the type. A chart that groups a date offers a "Grain" select
 * (day … year) that re-runs the query at that grain for this view; the choice is kept in the page's
 * address (`?grain=week`), so a reload or a shared link shows the same grain. Every failure is shown
 * inline, as text.
 */
import { api } from "./api.js";
import { renderChart } from "./charts.js";

const config = JSON.parse(document.getElementById("chart-config").textContent);
const container = document.getElementById("chart");
const select = document.getElementById("chart-type");
const saveButton = document.getElementById("chart-save-type");
const errorBox = document.getElementById("chart-error");
const status = document.getElementById("chart-status");
const sqlBox = document.getElementById("chart-sql");
const grainSelect = document.getElementById("chart-grain");
const grainField = document.getElementById("chart-grain-field");

// Display options that carry over when the type changes; layout options belong to the old type.
const KEPT_OPTIONS = ["number_format", "date_format", "theme", "show_labels", "top_n"];

const state = { data: null, drawn: null, savedSpec: config.spec, shownSpec: config.spec };

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

function draw(option) {
  state.drawn?.dispose();
  // The page's heading is the chart's title: the chart does not repeat it.
  state.drawn = renderChart(container, option, { data: state.data, showTitle: false });
}

function fillTypes(recommendations) {
  const current = state.shownSpec.type;
  const options = recommendations.map(({ type, name }) => new Option(name, type, false, type === current));
  if (!recommendations.some(({ type }) => type === current)) {
    options.unshift(new Option(current, current, true, true));
  }
  select.replaceChildren(...options);
  select.disabled = options.length < 2;
}

function updateSaveButton() {
  saveButton.hidden = !config.canEdit || state.shownSpec.type === state.savedSpec.type;
}

function fillGrains(grain, grains) {
  grainField.hidden = !grain;
  if (!grain) return;
  grainSelect.replaceChildren(...grains.map((value) => new Option(value, value, false, value === grain)));
}

async function load({ grain = null, rankTypes = true } = {}) {
  container.setAttribute("aria-busy", "true");
  try {
    const url = grain ? `${config.urls.data}?grain=${encodeURIComponent(grain)}` : config.urls.data;
    const result = await api(url);
    state.data = result.data;
    draw(result.option);
    fillGrains(result.grain, result.grains || []);
    status.textContent = result.cached ? "From cache" : "";
    if (result.truncated) status.textContent = "Showing the first rows only";
    if (result.sql) {
      sqlBox.querySelector("code").textContent = result.sql;
      sqlBox.hidden = false;
    }
  } catch (error) {
    showError(`This chart could not be drawn: ${error.message}`);
    return false;
  } finally {
    container.setAttribute("aria-busy", "false");
  }
  if (!rankTypes) return true;
  try {
    const ranked = await api(config.urls.recommend, {
      method: "POST",
      body: { columns: state.data.columns, row_count: state.data.rows.length },
    });
    fillTypes(ranked.recommendations);
  } catch (error) {
    showError(`Other chart types are not available: ${error.message}`);
  }
  return true;
}

async function switchType() {
  const type = select.value;
  const kept = Object.fromEntries(
    Object.entries(state.savedSpec.options || {}).filter(([key]) => KEPT_OPTIONS.includes(key)),
  );
  select.disabled = true;
  try {
    const result = await api(config.urls.render, {
      method: "POST",
      body: { type, data: state.data, title: state.savedSpec.title || "", options: kept },
    });
    showError("");
    state.shownSpec = result.spec;
    draw(result.option);
  } catch (error) {
    showError(`Cannot draw this result as that type: ${error.message}`);
    select.value = state.shownSpec.type;
  } finally {
    select.disabled = false;
    updateSaveButton();
  }
}

async function saveType() {
  saveButton.disabled = true;
  try {
    const saved = await api(config.urls.detail, { method: "PATCH", body: { spec: state.shownSpec } });
    state.savedSpec = saved.spec;
    status.textContent = "Saved";
    showError("");
  } catch (error) {
    showError(`The chart type was not saved: ${error.message}`);
  } finally {
    saveButton.disabled = false;
    updateSaveButton();
  }
}

function rememberGrain(grain) {
  const address = new URL(window.location.href);
  address.searchParams.set("grain", grain);
  window.history.replaceState(null, "", address);
}

async function switchGrain() {
  grainSelect.disabled = true;
  showError("");
  rememberGrain(grainSelect.value);
  // The other chart types are ranked on the first result; a new grain keeps the same columns.
  await load({ grain: grainSelect.value, rankTypes: false });
  grainSelect.disabled = false;
}

select.addEventListener("change", switchType);
grainSelect.addEventListener("change", switchGrain);
saveButton.addEventListener("click", saveType);
/** The first draw, at the address's grain. A grain the chart no longer offers (an old link, a typo, a
 * chart re-saved without its date) is dropped from the address and the chart is drawn as saved, with a
 * note, instead of leaving an empty chart with no grain to pick. */
async function start() {
  const grain = new URLSearchParams(window.location.search).get("grain");
  if (await load({ grain })) return;
  if (!grain) return;
  const address = new URL(window.location.href);
  address.searchParams.delete("grain");
  window.history.replaceState(null, "", address);
  if (await load()) {
    showError(`The grain "${grain.slice(0, 40)}" in the link does not apply to this chart; it is shown as saved.`);
  }
}

start();
