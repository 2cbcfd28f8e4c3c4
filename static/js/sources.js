// SPDX-License-Identifier: MIT
/**
 * Data-source pages: upload with a progress bar (XHR upload progress, then polling the source's
 * status until ready or failed), connect a database (with "Test connection"), connect a REST API,
 * rename / refresh / delete a source, and column overrides on a table page.
 * Everything goes through the JSON API; errors show the API's message, never a stack trace.
 */

import { api, csrfToken, errorMessage } from "./api.js";

const POLL_MS = 700;

function showError(root, message) {
  const target = root.querySelector("[data-form-error]");
  if (!target) return;
  target.textContent = message || "";
  target.hidden = !message;
}

function showStatus(root, message) {
  const target = root.querySelector("[data-form-status]");
  if (target) target.textContent = message || "";
}

/* --- progress -------------------------------------------------------------------------------- */

class Progress {
  constructor(root) {
    this.root = root;
    this.bar = root.querySelector("[data-progress-bar]");
    this.label = root.querySelector("[data-progress-label]");
    this.detail = root.querySelector("[data-progress-detail]");
    this.error = root.querySelector("[data-progress-error]");
    this.done = root.querySelector("[data-progress-done]");
    this.percent = root.querySelector("[data-progress-percent]");
  }

  show(label) {
    this.root.hidden = false;
    this.error.hidden = true;
    this.done.hidden = true;
    this.bar.hidden = false;
    for (const part of this.root.querySelectorAll("[data-progress-read-as], [data-progress-warnings]")) part.hidden = true;
    delete this.root.dataset.state;
    this.set(0, label, "");
  }

  set(percent, label, detail) {
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    this.bar.querySelector("span").style.width = `${value}%`;
    this.bar.setAttribute("aria-valuenow", String(value));
    if (this.percent) {
      this.percent.textContent = `${value} %`;
      this.percent.hidden = false;
    }
    if (label !== undefined) this.label.textContent = label;
    if (detail !== undefined) this.detail.textContent = detail;
  }

  fail(message) {
    this.root.dataset.state = "failed";
    this.label.textContent = "Failed";
    this.bar.hidden = true;
    if (this.percent) this.percent.hidden = true;
    this.detail.textContent = "";
    this.error.textContent = message;
    this.error.hidden = false;
  }

  /** What ingestion decided (encoding, delimiter, number format, date order) and its warnings. */
  showReading(config) {
    const readAs = this.root.querySelector("[data-progress-read-as]");
    const warnings = this.root.querySelector("[data-progress-warnings]");
    if (!readAs || !warnings) return;
    const labels = { encoding: "Encoding", delimiter: "Fields split on", number_format: "Numbers written like", date_order: "Dates written as" };
    readAs.replaceChildren();
    for (const [key, label] of Object.entries(labels)) {
      const value = (config.read_as || {})[key];
      if (!value) continue;
      const term = document.createElement("dt");
      term.textContent = label;
      const detail = document.createElement("dd");
      detail.textContent = value;
      detail.dataset.readAs = key;
      readAs.append(term, detail);
    }
    readAs.hidden = !readAs.children.length;
    warnings.replaceChildren(
      ...(config.warnings || []).map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
    );
    warnings.hidden = !warnings.children.length;
  }

  succeed(url, detail) {
    this.root.dataset.state = "ready";
    this.set(100, "Ready", detail);
    this.done.querySelector("a").href = url;
    this.done.hidden = false;
  }
}

function uploadWithProgress(url, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null;
      }
      if (request.status >= 200 && request.status < 300) resolve(body);
      else reject(new Error(errorMessage(body, request.status)));
    });
    request.addEventListener("error", () => reject(new Error("The upload was interrupted; check the connection.")));
    request.send(formData);
  });
}

async function followSource(sourceId, progress) {
  const url = `/api/v1/sources/${sourceId}/`;
  for (;;) {
    const source = await api(url);
    // null for a member limited to some of the rows: the whole count is not theirs to see.
    const rows = source.progress.rows == null ? null : source.progress.rows.toLocaleString();
    if (source.status === "failed") {
      progress.fail(source.error || "The data could not be read.");
      return source;
    }
    if (source.status === "ready") {
      const tables = source.tables.length === 1 ? "1 table" : `${source.tables.length} tables`;
      progress.succeed(`/sources/${source.id}/`, rows == null ? `${tables}.` : `${rows} rows in ${tables}.`);
      progress.showReading(source.config || {});
      return source;
    }
    const detail = source.status === "pending" ? "Waiting for a worker…" : source.progress.rows ? `${rows} rows so far` : "Starting…";
    progress.set(50 + source.progress.percent / 2, "Reading the data…", detail);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function discardSource(sourceId, progress) {
  try {
    await api(`/api/v1/sources/${sourceId}/`, { method: "DELETE" });
    progress.detail.textContent = "Nothing was saved. Fix the file and upload it again.";
  } catch {
    progress.detail.textContent = "The failed upload is listed under Data sources, where you can remove it.";
  }
}

function initUpload(form) {
  const progress = new Progress(document.querySelector("[data-progress]"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    if (data.get("name") === "") data.delete("name");
    progress.show("Uploading…");
    form.querySelector("button[type=submit]").disabled = true;
    try {
      const source = await uploadWithProgress(form.dataset.endpoint, data, (fraction) =>
        progress.set(fraction * 50, fraction < 1 ? "Uploading…" : "Reading the data…", `${Math.round(fraction * 100)}% uploaded`),
      );
      const done = await followSource(source.id, progress);
      // A new version on the source's own page: show its new tables.
      if (done.status === "ready" && form.dataset.reloadWhenReady !== undefined) window.location.reload();
      // A new upload the server could not read leaves nothing behind: the failed source goes, the
      // message stays. (A failed new version keeps the source, whose current version is untouched.)
      if (done.status === "failed" && form.dataset.reloadWhenReady === undefined) await discardSource(source.id, progress);
    } catch (error) {
      progress.fail(error.message);
    } finally {
      form.querySelector("button[type=submit]").disabled = false;
    }
  });
}

/* --- connect forms ----------------------------------------------------------------------------- */

const DEFAULT_PORTS = { postgres: "5432", mysql: "3306", spark: "15002" };

function databaseConfig(form) {
  const kind = form.elements.kind.value;
  const config = {
    host: form.elements.host.value.trim(),
    port: Number(form.elements.port.value || DEFAULT_PORTS[kind]),
    database: form.elements.database.value.trim(),
    user: form.elements.user.value.trim(),
    password: form.elements.password.value,
  };
  if (kind === "spark") {
    // Spark needs neither: the database defaults to `default`, the user name is only a label.
    if (!config.database) delete config.database;
    if (!config.user) delete config.user;
    if (!config.password) delete config.password;
  }
  if (kind === "postgres") {
    if (form.elements.schema.value.trim()) config.schema = form.elements.schema.value.trim();
    config.sslmode = form.elements.sslmode.value;
  } else {
    config.ssl = form.elements.ssl.checked;
  }
  return { kind, config };
}

function refreshInterval(form) {
  const value = form.elements.refresh_interval_minutes.value;
  return value ? Number(value) : null;
}

function initConnect(form) {
  const kind = form.querySelector("[data-kind]");
  const syncKind = () => {
    const postgres = kind.value === "postgres";
    const spark = kind.value === "spark";
    form.querySelector("[data-postgres-only]").hidden = !postgres;
    form.querySelector("[data-ssl-option]").hidden = postgres;
    form.querySelector("[data-spark-only]").hidden = !spark;
    form.elements.database.required = !spark;
    form.elements.user.required = !spark;
    const port = form.querySelector("[data-port]");
    if (Object.values(DEFAULT_PORTS).includes(port.value) || !port.value) port.value = DEFAULT_PORTS[kind.value];
  };
  kind.addEventListener("change", syncKind);
  syncKind();

  form.querySelector("[data-test-connection]").addEventListener("click", async () => {
    showError(form, "");
    showStatus(form, "Testing…");
    try {
      const result = await api(form.dataset.testEndpoint, { method: "POST", body: databaseConfig(form) });
      showStatus(form, result.message || "Connected.");
    } catch (error) {
      showStatus(form, "");
      showError(form, error.message);
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, "");
    showStatus(form, "Connecting and reading the tables…");
    try {
      const { kind: chosen, config } = databaseConfig(form);
      const body = { name: form.elements.name.value, kind: chosen, config, refresh_interval_minutes: refreshInterval(form) };
      const source = await api(form.dataset.endpoint, { method: "POST", body });
      window.location.assign(`/sources/${source.id}/`);
    } catch (error) {
      showStatus(form, "");
      showError(form, error.message);
    }
  });
}

function parseHeaders(text) {
  const headers = {};
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const at = line.indexOf(":");
    if (at < 1) throw new Error(`Header line "${line.trim()}" must look like "Name: value".`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

function initRest(form) {
  const progress = new Progress(document.querySelector("[data-progress]"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, "");
    try {
      const config = {
        url: form.elements.url.value.trim(),
        records_path: form.elements.records_path.value.trim(),
        pagination: form.elements.pagination.value,
        page_param: form.elements.page_param.value.trim() || "page",
        headers: parseHeaders(form.elements.headers.value),
      };
      if (form.elements.next_path.value.trim()) config.next_path = form.elements.next_path.value.trim();
      const body = { name: form.elements.name.value, kind: "rest", config, refresh_interval_minutes: refreshInterval(form) };
      progress.show("Fetching the records…");
      const source = await api(form.dataset.endpoint, { method: "POST", body });
      await followSource(source.id, progress);
    } catch (error) {
      progress.root.hidden = true;
      showError(form, error.message);
    }
  });
}

/* --- a source, a table ------------------------------------------------------------------------- */

function initSourcePage(root) {
  const url = root.dataset.api;
  const rename = root.querySelector("[data-rename-form]");
  if (rename) {
    rename.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api(url, { method: "PATCH", body: { name: rename.elements.name.value } });
        window.location.reload();
      } catch (error) {
        showError(root, error.message);
      }
    });
  }
  const refresh = root.querySelector("[data-refresh]");
  if (refresh) {
    refresh.addEventListener("click", async () => {
      refresh.disabled = true;
      try {
        await api(refresh.dataset.endpoint, { method: "POST" });
        window.location.reload();
      } catch (error) {
        showError(root, error.message);
        refresh.disabled = false;
      }
    });
  }
  const remove = root.querySelector("[data-delete]");
  if (remove) {
    remove.addEventListener("click", async () => {
      if (!window.confirm("Delete this source and its stored data? Charts built on it stop working.")) return;
      try {
        await api(url, { method: "DELETE" });
        window.location.assign(remove.dataset.listUrl);
      } catch (error) {
        showError(root, error.message);
      }
    });
  }
}

/** "Remove" next to a failed source in the list. */
function initRemoveSource(button) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api(button.dataset.endpoint, { method: "DELETE" });
      button.closest("tr").remove();
      if (!document.querySelector("[data-sources-list] tbody tr")) window.location.reload();
    } catch (error) {
      showError(document, error.message);
      button.disabled = false;
    }
  });
}

function initOverrides(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(form, "");
    const columns = {};
    for (const row of form.querySelectorAll("tr[data-column]")) {
      const change = {};
      const name = row.querySelector("[data-rename]").value.trim();
      const type = row.querySelector("[data-type]");
      if (name) change.name = name;
      if (type.value !== type.dataset.current) change.type = type.value;
      const numberFormat = row.querySelector("[data-number-format]");
      if (numberFormat && numberFormat.value !== numberFormat.dataset.current) change.number_format = numberFormat.value;
      const dateOrder = row.querySelector("[data-date-order]");
      if (dateOrder && dateOrder.value !== dateOrder.dataset.current) change.date_order = dateOrder.value;
      if (Object.keys(change).length) columns[row.dataset.column] = change;
    }
    // "*" holds the choices for the whole file; an empty value goes back to what Aiser decided.
    const fileChange = {};
    for (const [selector, key] of [["[data-file-number-format]", "number_format"], ["[data-file-date-order]", "date_order"]]) {
      const select = form.querySelector(selector);
      if (select && select.value !== select.dataset.current) fileChange[key] = select.value || null;
    }
    if (Object.keys(fileChange).length) columns["*"] = fileChange;
    if (!Object.keys(columns).length) {
      showStatus(form, "Nothing to change.");
      return;
    }
    showStatus(form, "Reading the file again…");
    try {
      let source = await api(form.dataset.endpoint, { method: "PATCH", body: { columns } });
      while (source.status === "pending" || source.status === "ingesting") {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        source = await api(`/api/v1/sources/${source.id}/`);
      }
      if (source.status === "failed") throw new Error(source.error);
      const tableName = source.tables.length === 1 ? source.tables[0] : null;
      window.location.assign(tableName ? `/sources/${source.id}/tables/${tableName}/` : form.dataset.detailUrl);
    } catch (error) {
      showStatus(form, "");
      showError(form, error.message);
    }
  });
}

function init() {
  document.querySelectorAll("form[data-upload-form]").forEach(initUpload);
  document.querySelectorAll("form[data-connect-form]").forEach(initConnect);
  document.querySelectorAll("form[data-rest-form]").forEach(initRest);
  document.querySelectorAll("[data-source-page]").forEach(initSourcePage);
  document.querySelectorAll("form[data-override-form]").forEach(initOverrides);
  document.querySelectorAll("[data-remove-source]").forEach(initRemoveSource);
}

init();
