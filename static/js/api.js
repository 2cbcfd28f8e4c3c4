// SPDX-License-Identifier: MIT
/**
 * The one way the pages talk to the JSON API: same-origin credentials, Django's CSRF token, and the
 * API's `{"error": {"message": ...}}` turned into an Error whose message can be shown as it is.
 */

/** Django's CSRF token: from the page's `{% csrf_token %}` input, else from the `csrftoken` cookie. */
export function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Headers for a request to the API that expects `accept` back, with a JSON body when `json`. */
export function requestHeaders({ accept = "application/json", json = true } = {}) {
  const headers = { Accept: accept, "X-CSRFToken": csrfToken() };
  if (json) headers["Content-Type"] = "application/json";
  return headers;
}

/** The message to show for a failed response: the API's own, else one that says what to do. */
export function errorMessage(payload, status) {
  if (payload?.error?.message) return payload.error.message;
  if (status === 413) return "The file is larger than the upload limit.";
  return `The request failed (HTTP ${status}). Try again in a moment.`;
}

/**
 * Send a JSON request and return the parsed answer (null for 204 No Content).
 * Throws an Error with a message a person can act on; `timeout` (ms) gives up on a slow server.
 */
export async function api(url, { method = "GET", body, timeout } = {}) {
  const controller = timeout ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), timeout) : null;
  try {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      signal: controller?.signal,
      headers: requestHeaders({ json: body !== undefined }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new Error(errorMessage(payload, response.status));
    return payload;
  } catch (error) {
    if (error.name === "AbortError") throw new Error("The server took too long to answer. Try again.");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
