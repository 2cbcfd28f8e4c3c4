// SPDX-License-Identifier: MIT
/**
 * The chart page's management bar: edit the name, description and collection; duplicate; add to a
 * dashboard; archive or restore; delete, after a warning that names the dashboards using the chart.
 * Reads the page's `chart-config` (the server says what this person may do).
 */
import { api } from "./api.js";
import { filingButtons } from "./filing.js";
import { addToDashboardDialog, saveChartDialog } from "./save_dialogs.js";

const config = JSON.parse(document.getElementById("chart-config").textContent);
const bar = document.getElementById("chart-manage");
const errorBox = document.getElementById("chart-error");

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

function button(text, onClick, className = "button secondary") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.addEventListener("click", async () => {
    showError("");
    try {
      await onClick();
    } catch (error) {
      showError(error.message);
    }
  });
  return element;
}

async function editDetails() {
  const saved = await saveChartDialog({
    title: config.title,
    description: config.description,
    save: async ({ title, description, collection }) => {
      const chart = await api(config.urls.detail, { method: "PATCH", body: { title, description } });
      if (collection !== config.collection) await api(config.urls.item, { method: "PATCH", body: { collection } });
      return chart;
    },
  });
  if (saved) window.location.reload();
}

async function duplicate() {
  const copy = await api(config.urls.duplicate, { method: "POST", body: {} });
  window.location.assign(`${config.urls.list}${copy.id}/`);
}

async function addToDashboard() {
  const dashboard = await addToDashboardDialog({ chartId: async () => config.id });
  if (dashboard) window.location.assign(`/dashboards/${dashboard.id}/`);
}

async function setArchived(archived) {
  await api(config.urls.item, { method: "PATCH", body: { archived } });
  window.location.reload();
}

/** The warning before deleting: which dashboards use the chart and what their widgets will say. */
function deleteWarning() {
  const used = config.dashboards || [];
  if (!used.length) return `Delete “${config.title}”? This cannot be undone.`;
  const names = used.map((d) => `“${d.title}”`).join(", ");
  const count = used.length === 1 ? "1 dashboard" : `${used.length} dashboards`;
  return `“${config.title}” is used in ${count}: ${names}. Deleting it leaves a widget on each that says the chart was removed. Delete it anyway? This cannot be undone. (Archive it instead to keep them working.)`;
}

async function remove() {
  if (!window.confirm(deleteWarning())) return;
  await api(config.urls.detail, { method: "DELETE" });
  window.location.assign(config.urls.list);
}

if (bar) {
  const tools = [];
  if (config.canEdit) tools.push(button("Edit details", editDetails));
  if (config.canDuplicate) tools.push(button("Duplicate", duplicate));
  if (config.canEdit && !config.archived) tools.push(button("Add to dashboard", addToDashboard));
  if (config.canEdit && !config.archived) {
    tools.push(...filingButtons({ kind: "chart", id: config.id, pinned: config.pinned, collection: config.collection, onError: showError }));
  }
  if (config.canEdit) tools.push(config.archived ? button("Restore", () => setArchived(false)) : button("Archive", () => setArchived(true)));
  if (config.canDelete) {
    const used = (config.dashboards || []).length;
    const label = used ? `Delete (used in ${used} dashboard${used === 1 ? "" : "s"})` : "Delete";
    tools.push(button(label, remove, "button danger"));
  }
  bar.replaceChildren(...tools);
  bar.hidden = !tools.length;
}
