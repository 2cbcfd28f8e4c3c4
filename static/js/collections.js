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

// Moving takes a button press after choosing, so arrowing through the list never moves anything.
function moveTo(row) {
  const target = row.querySelector("select[data-move-target]").value;
  if (target === "-") throw new Error("Choose where to move it first.");
  return { collection: target === "" ? null : Number(target) };
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  const row = button?.closest("tr[data-kind]");
  if (!row) return;
  const action = button.dataset.action;
  try {
    if (action === "move") change(row, moveTo(row));
    else if (CHANGES[action]) change(row, CHANGES[action]());
  } catch (error) {
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  }
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
