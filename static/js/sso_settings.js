// SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
/**
 * The single sign-on settings page: identity providers (SAML or OpenID Connect), claimed email domains
 * and "require SSO", all through `/api/v1/sso/` so the API's validation is the only one.
 */
import { api } from "./api.js";

const status = document.getElementById("sso-status");
const failure = document.getElementById("sso-error");
const form = document.getElementById("provider-form");
const protocol = document.getElementById("idp-protocol");

function say(message) {
  failure.hidden = true;
  status.textContent = message;
}

function fail(error) {
  status.textContent = "";
  failure.textContent = error.message;
  failure.hidden = false;
}

/** "group = role" lines → {group: role}; a line without "=" is an error naming it. */
export function parsePairs(text, what) {
  const pairs = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    if (at < 1) throw new Error(`${what}: write each line as "name = value" ("${line}" has no "=").`);
    pairs[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return pairs;
}

function pairsText(pairs) {
  return Object.entries(pairs || {}).map(([name, value]) => `${name} = ${value}`).join("\n");
}

function cell(row, text) {
  const td = row.insertCell();
  td.textContent = text;
  return td;
}

function button(label, onClick, kind = "secondary") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = `button ${kind}`;
  element.textContent = label;
  element.addEventListener("click", onClick);
  return element;
}

function showProtocol() {
  for (const fieldset of form.querySelectorAll("fieldset[data-protocol]")) {
    fieldset.hidden = fieldset.dataset.protocol !== protocol.value;
  }
}

function fill(provider) {
  form.reset();
  document.getElementById("provider-form-heading").textContent = `Change ${provider.name}`;
  for (const [name, value] of Object.entries(provider)) {
    const input = form.elements.namedItem(name);
    if (!input || typeof value === "object") continue;
    if (input.type === "checkbox") input.checked = Boolean(value);
    else input.value = value ?? "";
  }
  form.elements.namedItem("slug").readOnly = true;
  form.elements.namedItem("group_roles").value = pairsText(provider.group_roles);
  form.elements.namedItem("attribute_map").value = pairsText(provider.attribute_map);
  showProtocol();
  form.scrollIntoView({ behavior: "smooth" });
}

function providerRows(providers) {
  const body = document.querySelector("#sso-providers tbody");
  body.replaceChildren();
  if (!providers.length) {
    const row = body.insertRow();
    const td = cell(row, "No identity provider yet. Add one below.");
    td.colSpan = 5;
    td.className = "muted";
    return;
  }
  for (const provider of providers) {
    const row = body.insertRow();
    row.dataset.slug = provider.slug;
    cell(row, provider.name);
    cell(row, provider.protocol === "saml" ? "SAML 2.0" : "OpenID Connect");
    cell(row, provider.enabled ? "Enabled" : "Disabled");
    const urls = cell(row, "");
    for (const [name, value] of Object.entries(provider.sp || {})) {
      const line = document.createElement("div");
      const label = document.createElement("strong");
      label.textContent = `${name.replaceAll("_", " ")}: `;
      const code = document.createElement("code");
      code.textContent = value;
      line.append(label, code);
      urls.append(line);
    }
    const actions = cell(row, "");
    actions.append(
      button(`Change ${provider.name}`, () => fill(provider)),
      button(`Remove ${provider.name}`, () => removeProvider(provider)),
    );
  }
}

function domainRows(domains) {
  const body = document.querySelector("#sso-domains tbody");
  body.replaceChildren();
  for (const entry of domains) {
    const row = body.insertRow();
    row.dataset.domain = entry.domain;
    cell(row, entry.domain);
    cell(row, entry.verified ? "Verified" : "Waiting for verification");
    const record = cell(row, "");
    const code = document.createElement("code");
    code.textContent = entry.dns_record;
    record.append(code);
    cell(row, "").append(button(`Remove ${entry.domain}`, () => removeDomain(entry.domain)));
  }
}

async function load() {
  const settings = await api("/api/v1/sso/");
  document.getElementById("require-sso").checked = settings.require_sso;
  providerRows(settings.providers);
  domainRows(settings.domains);
}

function payload() {
  const body = {};
  for (const input of form.querySelectorAll("input, select, textarea")) {
    if (!input.name || input.name === "slug" || input.closest("fieldset[hidden]")) continue;
    if (input.type === "checkbox") body[input.name] = input.checked;
    else if (input.value.trim() !== "") body[input.name] = input.value.trim();
  }
  body.protocol = protocol.value;
  body.group_roles = parsePairs(form.elements.namedItem("group_roles").value, "Groups to roles");
  body.attribute_map = parsePairs(form.elements.namedItem("attribute_map").value, "Attributes");
  return body;
}

async function saveProvider(event) {
  event.preventDefault();
  const slug = form.elements.namedItem("slug").value.trim();
  try {
    if (!/^[a-z0-9-]{1,50}$/.test(slug)) throw new Error("Give a short name of lower-case letters, digits and dashes.");
    const saved = await api(`/api/v1/sso/providers/${slug}/`, { method: "PUT", body: payload(), timeout: 30000 });
    await load();
    say(`Saved ${saved.name}.`);
  } catch (error) {
    fail(error);
  }
}

async function removeProvider(provider) {
  if (!window.confirm(`Remove ${provider.name}? Members who sign in through it will need another way in.`)) return;
  try {
    await api(`/api/v1/sso/providers/${provider.slug}/`, { method: "DELETE" });
    await load();
    say(`Removed ${provider.name}.`);
  } catch (error) {
    fail(error);
  }
}

async function removeDomain(domain) {
  try {
    await api(`/api/v1/sso/domains/${encodeURIComponent(domain)}/`, { method: "DELETE" });
    await load();
    say(`Removed ${domain}.`);
  } catch (error) {
    fail(error);
  }
}

protocol.addEventListener("change", showProtocol);
form.addEventListener("submit", saveProvider);
form.addEventListener("reset", () => {
  form.elements.namedItem("slug").readOnly = false;
  document.getElementById("provider-form-heading").textContent = "Add an identity provider";
  setTimeout(showProtocol);
});
document.getElementById("require-sso").addEventListener("change", async (event) => {
  try {
    await api("/api/v1/sso/", { method: "PATCH", body: { require_sso: event.target.checked } });
    say(event.target.checked ? "Single sign-on is now required." : "Single sign-on is no longer required.");
  } catch (error) {
    event.target.checked = !event.target.checked;
    fail(error);
  }
});
document.getElementById("domain-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("domain-name");
  try {
    await api("/api/v1/sso/domains/", { method: "POST", body: { domain: input.value.trim() } });
    input.value = "";
    await load();
    say("Domain claimed. Publish the DNS record shown.");
  } catch (error) {
    fail(error);
  }
});
load().catch(fail);
