// Light and dark themes. Without a choice the page follows the system (prefers-color-scheme);
// the header's theme button (`[data-theme-toggle]`) switches to the other one and remembers
// it in this browser (localStorage: a display preference, nothing else is stored there).
// Loaded in <head> without `defer`, so the remembered theme applies before the first paint.
(() => {
  "use strict";
  const KEY = "roccavina-theme";
  const root = document.documentElement;
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);
  } catch (e) {
    // Storage may be blocked: the system theme applies.
  }
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  const current = () => root.getAttribute("data-theme") || (system.matches ? "dark" : "light");
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-theme-toggle]");
    if (!button) return;
    const next = current() === "dark" ? "light" : "dark";
    root.setAttribute("data-theme", next);
    try {
      localStorage.setItem(KEY, next);
    } catch (e) {
      // Not remembered; it still applies to this page.
    }
  });
})();
