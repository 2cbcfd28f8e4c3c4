// SPDX-License-Identifier: MIT
/**
 * The model list's "Import a Cube project" form: a zip goes up as it is, YAML files are read and sent
 * as {path: text}. The per-file report of what was not imported (and the model's problems, when it is
 * not valid) is shown as text; a valid import opens the new model's editor.
 */
import { errorMessage, requestHeaders } from "../api.js";

const config = JSON.parse(document.getElementById("model-list-config").textContent);
const form = document.getElementById("cube-import");
const errorBox = document.getElementById("import-error");
const report = document.getElementById("import-report");

function item(text) {
  const li = document.createElement("li");
  li.textContent = text;
  return li;
}

function showReport(details) {
  const skipped = details?.skipped || {};
  const problems = details?.problems || [];
  const lines = [];
  for (const [file, reasons] of Object.entries(skipped)) {
    for (const reason of reasons) lines.push(item(`${file} — ${reason}`));
  }
  document.getElementById("import-skipped").replaceChildren(...lines);
  document.getElementById("import-problems").replaceChildren(
    ...problems.map((p) => item([p.cube, p.member, p.field].filter(Boolean).join(".") + `: ${p.message}`)),
  );
  document.getElementById("import-summary").textContent = lines.length
    ? `${lines.length} part${lines.length === 1 ? " was" : "s were"} left out:`
    : "Everything in the project's model folder was imported.";
  report.hidden = false;
}

async function body(files, name, source) {
  if (files.length === 1 && files[0].name.toLowerCase().endsWith(".zip")) {
    const data = new FormData();
    data.append("file", files[0]);
    data.append("name", name);
    if (source) data.append("source", source);
    return { body: data, headers: requestHeaders({ json: false }) };
  }
  const texts = {};
  for (const file of files) texts[file.name] = await file.text();
  const payload = { files: texts, name, source: source ? Number(source) : null };
  return { body: JSON.stringify(payload), headers: requestHeaders() };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  errorBox.hidden = true;
  report.hidden = true;
  const files = [...form.elements.files.files];
  const request = await body(files, form.elements.name.value, form.elements.source.value);
  const response = await fetch(config.importUrl, { method: "POST", credentials: "same-origin", ...request });
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    errorBox.textContent = errorMessage(payload, response.status);
    errorBox.hidden = false;
    const details = payload?.error?.details;
    if (details) showReport(Array.isArray(details) ? { problems: details } : details);
    return;
  }
  showReport(payload.report);
  const link = document.createElement("a");
  link.href = config.editUrl.replace("/0/", `/${payload.model.id}/`);
  link.textContent = `Open '${payload.model.name}'`;
  report.append(link);
});
