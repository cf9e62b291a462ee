// Starts the GOV.UK Frontend components; a module, so it runs only in browsers GOV.UK Frontend supports.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

initAll();

// After htmx swaps in a fragment, move focus to its error summary so screen readers hear the problem.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const summary = event.detail.target.querySelector(".govuk-error-summary");
  if (summary) {
    summary.focus();
  }
});

// "Print or save as PDF" on the HCSP report: shown only here, where script runs; the print stylesheet does the rest.
for (const button of document.querySelectorAll("[data-app-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
