// The "Print" button of the patient's printed plan (careplans/print.html). A static file because the
// Content-Security-Policy allows no inline script; without JavaScript the button stays hidden and the
// browser's own Print command works as usual.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
