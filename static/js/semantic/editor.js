// SPDX-License-Identifier: MIT
/**
 * The semantic model editor page: the YAML is checked by the validate API as it is typed (problems
 * shown beside their lines), saved through the model API (every save is a version), the history is
 * listed with who, when and the diff, and any version can be rolled back. The rollups section shows
 * only when the rollups endpoint answers. Everything the server says is shown as text.
 */
import { api } from "../api.js";
import { tryItPanel } from "./try_it.js";
import { yamlEditor } from "./yaml_editor.js";

const config = JSON.parse(document.getElementById("model-config").textContent);
const text = document.getElementById("yaml-text");
const statusBox = document.getElementById("model-status");
const errorBox = document.getElementById("model-error");
const saveButton = document.getElementById("model-save");
const editor = yamlEditor({
  text,
  lines: document.getElementById("yaml-lines"),
  notes: document.getElementById("yaml-notes"),
  list: document.getElementById("yaml-problems"),
});
const tryIt = tryItPanel({ config, root: document });
let saved = config.state.model.yaml;
let checkTimer = null;
let checking = 0;

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
}

function showState(state) {
  saved = state.model.yaml;
  text.value = state.model.yaml;
  text.dispatchEvent(new Event("input"));
  document.getElementById("model-version").textContent = `version ${state.model.version}`;
  tryIt.setMembers(state.members);
  showHistory(state.versions, state.model.version);
  updateStatus();
}

function updateStatus() {
  statusBox.textContent = text.value === saved ? "Saved." : "Unsaved changes.";
  if (saveButton) saveButton.disabled = text.value === saved;
}

async function check() {
  const mine = ++checking;
  try {
    const result = await api(config.urls.validate, { method: "POST", body: { yaml: text.value } });
    if (mine !== checking) return; // a later check is on its way
    editor.setProblems(result.problems);
    if (result.valid) {
      const ok = document.createElement("li");
      ok.className = "ok";
      ok.textContent = "No problems found.";
      document.getElementById("yaml-problems").replaceChildren(ok);
    }
  } catch (error) {
    showError(error.message);
  }
}

async function save() {
  showError("");
  statusBox.textContent = "Saving…";
  try {
    await api(config.urls.detail, { method: "PUT", body: { yaml: text.value } });
  } catch (error) {
    statusBox.textContent = "Not saved.";
    showError(error.message);
    await check();
    return;
  }
  showState(await api(config.urls.state));
  statusBox.textContent = "Saved as a new version.";
  showRollups().catch(() => {}); // a model change makes its rollups stale until they are rebuilt
}

async function rollback(number) {
  if (!window.confirm(`Make version ${number} current again? It is saved as a new version.`)) return;
  showError("");
  try {
    await api(config.urls.rollback, { method: "POST", body: { version: number } });
  } catch (error) {
    showError(error.message);
    return;
  }
  showState(await api(config.urls.state));
  statusBox.textContent = `Rolled back to version ${number}.`;
  showRollups().catch(() => {});
}

function cell(content) {
  const td = document.createElement("td");
  td.append(content);
  return td;
}

function showHistory(versions, current) {
  const rows = versions.map((version) => {
    const tr = document.createElement("tr");
    const when = document.createElement("time");
    when.dateTime = version.created_at;
    when.textContent = new Date(version.created_at).toLocaleString();
    const diff = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = version.diff ? "Diff" : "First version";
    const pre = document.createElement("pre");
    pre.textContent = version.diff;
    diff.append(summary, pre);
    tr.append(cell(String(version.number)), cell(version.author), cell(when), cell(version.note || ""), cell(diff));
    if (config.canEdit && version.number === current) {
      tr.append(cell("Current version")); // rolling back to it would only copy it
    } else if (config.canEdit) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary";
      button.textContent = `Roll back to ${version.number}`;
      button.addEventListener("click", () => rollback(version.number));
      tr.append(cell(button));
    }
    return tr;
  });
  document.getElementById("history-rows").replaceChildren(...rows);
}

async function showRollups() {
  // The rollups endpoint may not exist in this build; the section stays hidden unless it answers 200.
  const response = await fetch(config.urls.rollups, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.status !== 200) return;
  const payload = await response.json().catch(() => null);
  const items = Array.isArray(payload) ? payload : payload?.rollups;
  if (!Array.isArray(items) || !items.length) return; // no rollups declared: nothing to show
  const rows = items.map((rollup) => {
    const tr = document.createElement("tr");
    const notes = [rollup.stale ? "stale: raw tables answer until it is rebuilt" : "", rollup.last_error || "", rollup.usable ? "" : rollup.unusable_reason || ""];
    const status = [rollup.status, ...notes.filter(Boolean)].join(" — ");
    const when = rollup.last_refresh_at ? new Date(rollup.last_refresh_at).toLocaleString() : "never";
    tr.append(
      cell(String(rollup.name ?? "")),
      cell(status),
      cell(Number(rollup.rows ?? 0).toLocaleString()),
      cell(`${Number(rollup.size_bytes ?? 0).toLocaleString()} bytes`),
      cell(when),
    );
    return tr;
  });
  document.getElementById("rollups-rows").replaceChildren(...rows);
  document.getElementById("rollups").hidden = false;
}

text.addEventListener("input", () => {
  updateStatus();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(check, 400);
});
saveButton?.addEventListener("click", save);
text.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "s" && saveButton) {
    event.preventDefault();
    save();
  }
});

showState(config.state);
check();
showRollups().catch(() => {});
