// SPDX-License-Identifier: MIT
// Phone-width navigation: the links fold behind a "Menu" button. Without this script the links stay
// visible (the button is `hidden` in the markup), so the page works with scripts off.
const toggle = document.querySelector(".nav-toggle");
const nav = document.getElementById("main-nav");
if (toggle && nav) {
  toggle.hidden = false;
  document.documentElement.classList.add("nav-js");
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("is-open", open);
  };
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && nav.classList.contains("is-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
}
