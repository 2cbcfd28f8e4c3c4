// SPDX-License-Identifier: MIT
/**
 * The collection pages: pin, move, archive and restore a chart or dashboard, and make a collection.
 * Each change goes through the API and then reloads the page, which lists things in their new place.
 */
import { api } from "./api.js";

const config = JSON.parse(document.getElementById("collection-config").textContent);
const errorBox = document.getElementById("collection-error");

function itemUrl(row) {
  return config.urls.item.replace("KIND", row.dataset.kind).replace("ID", row.dataset.id);
}

async function change(row, body) {
  errorBox.hidden = true;
  try {
    await api(itemUrl(row), { method: "PATCH", body });
    window.location.reload();
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  }
}

const CHANGES = {
  pin: () => ({ pinned: true }),
  unpin: () => ({ pinned: false }),
  archive: () => ({ archived: true }),
  restore: () => ({ archived: false }),
};

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  const row = button?.closest("tr[data-kind]");
  if (!row || !CHANGES[button.dataset.action]) return;
  change(row, CHANGES[button.dataset.action]());
});

document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-action=move]");
  const row = select?.closest("tr[data-kind]");
  if (!row) return;
  change(row, { collection: select.value === "" ? null : Number(select.value) });
});

document.getElementById("collection-new")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = event.currentTarget.elements.name.value;
  errorBox.hidden = true;
  try {
    const made = await api(config.urls.collections, { method: "POST", body: { name } });
    window.location.assign(made.url);
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  }
});
