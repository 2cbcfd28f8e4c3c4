// SPDX-License-Identifier: MIT
/**
 * The dialogs for saving a chart (name, description, collection) and for adding one to a dashboard
 * (an existing dashboard or a new one), shared by the chat page and the chart page. Each returns a
 * promise of what the person chose, or null when they cancelled. Text is set with textContent only.
 */
import { api } from "./api.js";

const URLS = { collections: "/api/v1/collections/", dashboards: "/api/v1/dashboards/", charts: "/api/v1/charts/" };
let counter = 0;

function node(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") element.textContent = value;
    else if (key === "class") element.className = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  element.append(...children.filter(Boolean));
  return element;
}

function field(label, control) {
  control.id ||= `dialog-field-${++counter}`;
  return node("p", { class: "stack" }, node("label", { for: control.id, text: label }), control);
}

/** A modal <dialog> with `fields`; resolves with `collect()` on submit, null on cancel or Escape. */
function modal(heading, fields, submitText, collect) {
  const headingId = `dialog-heading-${++counter}`;
  const error = node("p", { class: "error", role: "alert", hidden: true });
  const cancel = node("button", { type: "button", class: "button secondary", text: "Cancel" });
  const submit = node("button", { type: "submit", class: "button", text: submitText });
  const form = node("form", { method: "dialog" }, ...fields, error, node("p", { class: "row" }, submit, cancel));
  const dialog = node("dialog", { class: "save-dialog", "aria-labelledby": headingId }, node("h2", { id: headingId, text: heading }), form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener("click", () => done(null));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      done(null);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      error.hidden = true;
      try {
        done(await collect());
      } catch (problem) {
        error.textContent = problem.message;
        error.hidden = false;
        submit.disabled = false;
      }
    });
    dialog.showModal();
    dialog.querySelector("input, select, textarea")?.focus();
  });
}

async function collectionOptions() {
  const body = await api(URLS.collections);
  const options = [new Option("Our analytics (top level)", "")];
  if (body.personal) options.push(new Option("My personal collection", body.personal.id));
  for (const collection of body.collections) options.push(new Option(collection.name, collection.id));
  return options;
}

/**
 * Ask for a saved chart's name, description and collection. `save({title, description, collection})`
 * does the saving; its error is shown in the dialog. Resolves with what `save` returned, or null.
 */
export async function saveChartDialog({ title = "", description = "", save }) {
  const name = node("input", { required: true, maxlength: "200", value: title });
  name.value = title;
  const about = node("textarea", { rows: "3", maxlength: "5000" });
  about.value = description;
  const collection = node("select", {});
  try {
    collection.replaceChildren(...(await collectionOptions()));
  } catch {
    collection.replaceChildren(new Option("Our analytics (top level)", ""));
  }
  return modal(
    "Save chart",
    [field("Name", name), field("Description (optional)", about), field("Collection", collection)],
    "Save",
    () => save({ title: name.value.trim(), description: about.value.trim(), collection: collection.value === "" ? null : Number(collection.value) }),
  );
}

/**
 * Ask which dashboard to add a chart to (or the name of a new one), then add it. `chartId()` returns
 * the saved chart's id (saving it first when it is an answer). Resolves with the dashboard, or null.
 */
export async function addToDashboardDialog({ chartId, fields = [] }) {
  const choice = node("select", {});
  const { dashboards } = await api(URLS.dashboards);
  choice.replaceChildren(new Option("A new dashboard…", ""), ...dashboards.map((d) => new Option(d.title, d.id)));
  if (dashboards.length) choice.value = String(dashboards[0].id);
  const newName = node("input", { maxlength: "200", placeholder: "Name of the new dashboard" });
  const newField = field("New dashboard name", newName);
  newField.hidden = Boolean(dashboards.length);
  choice.addEventListener("change", () => {
    newField.hidden = choice.value !== "";
  });
  return modal("Add to dashboard", [...fields, field("Dashboard", choice), newField], "Add", async () => {
    let dashboard = dashboards.find((d) => String(d.id) === choice.value);
    if (!dashboard) {
      if (!newName.value.trim()) throw new Error("Name the new dashboard, or choose one.");
      dashboard = await api(URLS.dashboards, { method: "POST", body: { title: newName.value.trim() } });
    }
    const chart = await chartId();
    await api(`${URLS.dashboards}${dashboard.id}/widgets/`, { method: "POST", body: { kind: "chart", chart_id: chart } });
    return dashboard;
  });
}

/** A labelled text input for a dialog (the chat's "Add to dashboard" names the chart it saves). */
export function textField(label, value) {
  const input = node("input", { required: true, maxlength: "200" });
  input.value = value;
  return { element: field(label, input), input };
}

/**
 * Ask which collection to move a chart or dashboard to; `current` is its collection id (null: the top
 * level). Resolves with the chosen id (null for the top level), or undefined when cancelled.
 */
export async function moveDialog({ current = null }) {
  const collection = node("select", {});
  collection.replaceChildren(...(await collectionOptions()));
  collection.value = current === null ? "" : String(current);
  const chosen = await modal("Move to collection", [field("Collection", collection)], "Move", async () => ({
    collection: collection.value === "" ? null : Number(collection.value),
  }));
  return chosen === null ? undefined : chosen.collection;
}
