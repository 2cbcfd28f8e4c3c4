// SPDX-License-Identifier: MIT
/**
 * "Pin"/"Unpin" and "Move…" for a chart or dashboard on its own page, through the collections API
 * (`PATCH /api/v1/collections/items/<kind>/<id>/`), so the rules are the collection pages' rules.
 * `filingButtons({kind, id, pinned, collection, onError})` returns the two buttons; after a change
 * the page reloads, so what it shows (its collection, the pin) is the server's.
 */
import { api } from "./api.js";
import { moveDialog } from "./save_dialogs.js";

function button(text, onClick, onError) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = "button secondary";
  element.textContent = text;
  element.addEventListener("click", async () => {
    onError("");
    try {
      await onClick();
    } catch (error) {
      onError(error.message);
    }
  });
  return element;
}

export function filingButtons({ kind, id, pinned, collection, onError = () => {} }) {
  const url = `/api/v1/collections/items/${kind}/${id}/`;
  const change = async (body) => {
    await api(url, { method: "PATCH", body });
    window.location.reload();
  };
  const pin = button(pinned ? "Unpin" : "Pin", () => change({ pinned: !pinned }), onError);
  pin.title = pinned ? "Stop showing it first in its collection" : "Show it first in its collection";
  const move = button(
    "Move…",
    async () => {
      const target = await moveDialog({ current: collection });
      if (target !== undefined && target !== collection) await change({ collection: target });
    },
    onError,
  );
  return [pin, move];
}
