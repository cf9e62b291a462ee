// Starts the GOV.UK Frontend components; a module, so it runs only in browsers GOV.UK Frontend supports.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

initAll();

// ---------------------------------------------------------------------------------------------
// Focus and announcements after htmx swaps (WCAG 2.2: 2.4.3 focus order, 4.1.3 status messages).
// One place for every page, so templates only carry hooks: the GOV.UK error summary and success
// banner classes, and data-app-announce / data-app-title on a swapped region. After a swap:
//   1. an error summary in the new content gets focus, and the page title gains "Error: ";
//   2. otherwise a notification banner (success, or "Important") gets focus, and "Error: " is dropped;
//   3. otherwise the region's data-app-announce text is read out by the live region in base.html;
//   and in every case focus never falls back to <body>: if the focused element was swapped out,
//   focus goes to the new region.
// ---------------------------------------------------------------------------------------------

const ERROR_PREFIX = "Error: ";

function liveRegion() {
  return document.getElementById("app-live-region");
}

// Clearing first and writing a moment later makes screen readers announce a repeated message too.
function announce(text) {
  const region = liveRegion();
  if (!region || !text) {
    return;
  }
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = text;
  }, 100);
}

function setErrorTitle(hasError) {
  const title = document.title;
  if (hasError && !title.startsWith(ERROR_PREFIX)) {
    document.title = ERROR_PREFIX + title;
  } else if (!hasError && title.startsWith(ERROR_PREFIX)) {
    document.title = title.slice(ERROR_PREFIX.length);
  }
}

function focusAndReveal(element) {
  if (!element.hasAttribute("tabindex")) {
    element.setAttribute("tabindex", "-1");
  }
  // preventScroll then an explicit scroll keeps the whole summary or banner in view, not only its top edge.
  element.focus({ preventScroll: true });
  element.scrollIntoView({ block: "start" });
}

function focusLost() {
  const active = document.activeElement;
  return !active || active === document.body || !active.isConnected;
}

let swapTargetId = null;

document.body.addEventListener("htmx:beforeSwap", (event) => {
  // outerHTML swaps replace the target, so remember its id to find the new element afterwards.
  swapTargetId = event.detail.target ? event.detail.target.id : null;
});

document.body.addEventListener("htmx:afterSettle", (event) => {
  const region = (swapTargetId && document.getElementById(swapTargetId)) || event.detail.elt;
  swapTargetId = null;
  if (!region || !region.isConnected) {
    return;
  }
  // Components in swapped-in HTML need starting too: the error summary's links then move focus to their
  // field, and buttons get double-click protection. Scoped, so nothing already on the page starts twice.
  initAll({ scope: region });
  const summary = region.querySelector(".govuk-error-summary");
  if (summary) {
    setErrorTitle(true);
    focusAndReveal(summary);
    return;
  }
  setErrorTitle(false);
  const banner = region.querySelector(".govuk-notification-banner");
  if (banner) {
    focusAndReveal(banner);
    return;
  }
  const title = region.getAttribute("data-app-title");
  if (title) {
    document.title = title;
    document.querySelectorAll("[data-app-heading]").forEach((heading) => {
      heading.textContent = region.getAttribute("data-app-heading-text") || heading.textContent;
    });
  }
  announce(region.getAttribute("data-app-announce"));
  if (focusLost()) {
    focusAndReveal(region);
  }
});

// "Print or save as PDF" on the HCSP report: shown only here, where script runs; the print stylesheet does the rest.
for (const button of document.querySelectorAll("[data-app-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
// A failed request (network error, 5xx) would otherwise leave the user waiting in silence.
document.body.addEventListener("htmx:responseError", () => {
  announce("Sorry, there is a problem with the service. Nothing was saved. Try again.");
});

// ---------------------------------------------------------------------------------------------
// Confirmations for consequential buttons (lock, re-open, refresh). A form with
// data-app-confirm="question" asks in a modal <dialog> before it submits. The dialog keeps focus
// inside until it is closed (Tab and Shift+Tab wrap; Escape cancels), and focus then returns to
// the button that opened it. Without JavaScript the form submits straight away, and the server
// still validates everything.
// ---------------------------------------------------------------------------------------------

function tabbables(container) {
  return Array.from(container.querySelectorAll("button, a[href], input, select, textarea, [tabindex]"))
    .filter((el) => !el.disabled && el.tabIndex >= 0);
}

function confirmBeforeSubmit(form, submitter) {
  const dialog = document.createElement("dialog");
  dialog.className = "app-dialog";
  dialog.setAttribute("aria-labelledby", "app-dialog-title");
  dialog.setAttribute("aria-describedby", "app-dialog-body");

  const heading = document.createElement("h2");
  heading.className = "govuk-heading-m";
  heading.id = "app-dialog-title";
  heading.textContent = "Are you sure?";
  const body = document.createElement("p");
  body.className = "govuk-body";
  body.id = "app-dialog-body";
  body.textContent = form.getAttribute("data-app-confirm");

  const buttons = document.createElement("div");
  buttons.className = "govuk-button-group";
  const yes = document.createElement("button");
  yes.type = "button";
  yes.className = submitter && submitter.classList.contains("govuk-button--warning")
    ? "govuk-button govuk-button--warning" : "govuk-button";
  // "Yes, lock the quarter": says what happens, and differs from the button that opened the dialog.
  const label = submitter && (submitter.tagName === "INPUT" ? submitter.value : submitter.textContent);
  const action = (label || "").trim() || "continue";
  yes.textContent = "Yes, " + action.charAt(0).toLowerCase() + action.slice(1);
  const no = document.createElement("button");
  no.type = "button";
  no.className = "govuk-button govuk-button--secondary";
  no.textContent = "Cancel";
  buttons.append(yes, no);
  dialog.append(heading, body, buttons);
  document.body.append(dialog);

  let confirmed = false;
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") {
      return;
    }
    const items = tabbables(dialog);
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (confirmed) {
      form.dataset.appConfirmed = "true";
      form.requestSubmit(submitter || undefined);
    } else if (submitter) {
      submitter.focus();
    }
  });
  yes.addEventListener("click", () => {
    confirmed = true;
    dialog.close();
  });
  no.addEventListener("click", () => dialog.close());

  dialog.showModal();
  no.focus();
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-app-confirm")) {
    return;
  }
  if (form.dataset.appConfirmed === "true") {
    delete form.dataset.appConfirmed;
    return;
  }
  event.preventDefault();
  confirmBeforeSubmit(form, event.submitter);
}, true);
