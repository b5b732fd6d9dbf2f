// Small progressive enhancements on top of htmx; every page works without this file.

// An element the server marked with data-focus-here (a confirmation next to the button that
// was pressed, a new agenda item, an error summary) takes the focus after a page load or a
// swap, so that keyboard and screen reader users land where the answer is.
function focusMarked(root) {
  var marked = root && root.querySelector("[data-focus-here]");
  if (!marked) { return false; }
  marked.focus({ preventScroll: true });
  marked.scrollIntoView({ block: "center" });
  return true;
}

document.addEventListener("DOMContentLoaded", function () { focusMarked(document); });

document.addEventListener("htmx:afterSettle", function (event) {
  // Boosted navigation swaps the body only: take the new page's language over to <html lang>
  // (the language may have just been switched), so screen readers pronounce it right.
  var frame = document.getElementById("frame");
  if (frame && frame.dataset.lang && document.documentElement.lang !== frame.dataset.lang) {
    document.documentElement.lang = frame.dataset.lang;
  }
  // After boosted navigation, move focus to the new content so screen readers start there,
  // without scrolling the header out of view: a new page starts at its top.
  if (event.detail.boosted) {
    if (focusMarked(document)) { return; }
    var main = document.getElementById("main");
    if (main) { main.focus({ preventScroll: true }); }
  }
});

// A boosted page starts at its top as soon as it is in place, before it settles, so it is
// never shown at the scroll position where the last page ended.
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.boosted && !document.querySelector("[data-focus-here]")) {
    window.scrollTo({ top: 0, left: 0, behavior: "instant" });
  }
});

// Text boxes marked data-autogrow grow with their text. Browsers with CSS `field-sizing` do it
// themselves (app.css); for the others the box takes the height of its content while typing.
// Without either, the rows the server counted for the saved text still show all of it.
var growsByItself = window.CSS && CSS.supports && CSS.supports("field-sizing", "content");
function grow(box) {
  box.style.height = "auto";
  box.style.height = box.scrollHeight + 4 + "px";
}
function growAll(root) {
  if (growsByItself) { return; }
  root.querySelectorAll("textarea[data-autogrow]").forEach(grow);
}
document.addEventListener("input", function (event) {
  if (!growsByItself && event.target.matches && event.target.matches("textarea[data-autogrow]")) {
    grow(event.target);
  }
});
document.addEventListener("DOMContentLoaded", function () { growAll(document); });
document.addEventListener("htmx:afterSettle", function (event) { growAll(event.detail.elt || document); });

// Keyboard focus must survive a fragment swap: the button that was pressed (same id in the
// new markup) gets focus back; if it is gone or disabled, the swapped region's heading does.
var lastFocusedId = null;
document.addEventListener("htmx:beforeRequest", function () {
  var active = document.activeElement;
  lastFocusedId = active && active.id ? active.id : null;
});
document.addEventListener("htmx:afterSettle", function (event) {
  if (event.detail.boosted) { return; }
  var target = event.detail.target;
  if (!target || !target.id) { return; }
  var swapped = document.getElementById(target.id) || target;
  if (focusMarked(swapped)) { return; }
  var again = lastFocusedId && document.getElementById(lastFocusedId);
  if (again && !again.disabled) { again.focus(); return; }
  // A month swap: announce the new month by focusing its heading.
  var heading = swapped.querySelector("h2[tabindex='-1']");
  if (heading) { heading.focus(); }
});

document.addEventListener("htmx:afterSettle", function () {
  // The contact search replaces its results; the count lives outside them in a live region,
  // so screen readers hear the new number without losing their place in the search box.
  var results = document.getElementById("contact-results");
  var count = document.getElementById("contact-count");
  if (results && count) {
    var text = results.getAttribute("data-count-text") || "";
    if (count.textContent !== text) { count.textContent = text; }
  }
});

// "Select all" / "None" for a list of checkboxes: without JavaScript these buttons send the
// form back to be shown again with all or none ticked; with it they tick in place.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-check-all]");
  if (!button) { return; }
  var list = document.getElementById(button.getAttribute("data-check-all"));
  if (!list) { return; }
  event.preventDefault();
  var checked = button.value === "all";
  list.querySelectorAll("input[type='checkbox']").forEach(function (box) {
    if (!box.disabled) { box.checked = checked; }
  });
});

// Copy buttons (the calendar feed address, an invitation text when mail is off): hidden in the
// markup, because without this file the text is selected in its read-only field by hand.
function revealCopyButtons(root) {
  root.querySelectorAll("button[data-copy-target][hidden]").forEach(function (button) {
    button.hidden = false;
  });
}
revealCopyButtons(document);

// Print buttons (the recovery codes): hidden without this file, where the browser's own print
// command does the same.
document.querySelectorAll("button[data-print][hidden]").forEach(function (button) {
  button.hidden = false;
});
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-print]") : null;
  if (button) { window.print(); }
});
document.addEventListener("htmx:afterSettle", function () { revealCopyButtons(document);

// Print buttons (the recovery codes): hidden without this file, where the browser's own print
// command does the same.
document.querySelectorAll("button[data-print][hidden]").forEach(function (button) {
  button.hidden = false;
});
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-print]") : null;
  if (button) { window.print(); }
}); });
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-copy-target]") : null;
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy-target"));
  var status = document.getElementById(button.getAttribute("data-copy-status"));
  if (!field) { return; }
  function say(text) { if (status) { status.textContent = text; } }
  function byHand() {
    // The older way still works where the clipboard API is missing (plain http, old browsers).
    field.focus();
    field.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    say(button.getAttribute(copied ? "data-copied" : "data-copy-failed"));
  }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(field.value).then(function () {
      say(button.getAttribute("data-copied"));
    }, byHand);
  } else {
    byHand();
  }
});

// The warning before the session ends (WCAG 2.2.1, the dialog in base.html): it opens shortly
// before the idle limit and offers to extend the sign-in. Every answer of the server says how
// long the session has left (X-Session-Remaining), so any request restarts the count.
var sessionWarning = { deadline: 0, timers: [], returnFocus: null };

function sessionDialog() { return document.getElementById("session-warning"); }

function scheduleSessionWarning(remaining) {
  var dialog = sessionDialog();
  sessionWarning.timers.forEach(clearTimeout);
  sessionWarning.timers = [];
  if (!dialog || isNaN(remaining)) { return; }
  var lead = parseInt(dialog.getAttribute("data-warning"), 10) || 120;
  sessionWarning.deadline = Date.now() + remaining * 1000;
  if (dialog.open && remaining > lead) { dialog.close(); }
  sessionWarning.timers.push(
    setTimeout(function () { openSessionWarning(false); }, Math.max(0, remaining - lead) * 1000),
    // A second late, so that the server has surely ended the session when the text says so.
    setTimeout(function () { openSessionWarning(true); }, (remaining + 1) * 1000)
  );
}

function openSessionWarning(ended) {
  var dialog = sessionDialog();
  if (!dialog) { return; }
  var text = document.getElementById("session-warning-text");
  var extend = document.getElementById("session-extend");
  text.textContent = text.getAttribute(ended ? "data-ended-text" : "data-warning-text");
  if (!dialog.open) {
    sessionWarning.returnFocus = document.activeElement;
    dialog.showModal();
  }
  if (extend && !extend.hidden) { extend.focus(); }
}

// Timers of a background tab run late: look again when the tab comes back.
document.addEventListener("visibilitychange", function () {
  if (document.visibilityState === "visible" && sessionWarning.deadline) {
    scheduleSessionWarning(Math.max(0, Math.round((sessionWarning.deadline - Date.now()) / 1000)));
  }
});

document.addEventListener("DOMContentLoaded", function () {
  var dialog = sessionDialog();
  if (dialog) { scheduleSessionWarning(parseInt(dialog.getAttribute("data-remaining"), 10)); }
});

document.addEventListener("htmx:afterRequest", function (event) {
  var xhr = event.detail.xhr;
  var remaining = xhr && xhr.getResponseHeader("X-Session-Remaining");
  if (remaining !== null && remaining !== undefined) {
    scheduleSessionWarning(parseInt(remaining, 10));
  }
  if (!event.detail.elt || event.detail.elt.id !== "session-extend") { return; }
  var status = document.getElementById("session-status");
  if (xhr && xhr.status === 200) {
    if (status) { status.textContent = status.getAttribute("data-extended-text"); }
  } else {
    // Too late: the session has ended meanwhile. Say so; there is nothing left to extend.
    openSessionWarning(true);
    event.detail.elt.hidden = true;
    var close = sessionDialog() && sessionDialog().querySelector("[data-close-dialog]");
    if (close) { close.focus(); }
  }
});

document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-close-dialog]");
  var dialog = button && button.closest("dialog");
  if (dialog) { dialog.close(); }
});

// A dialog's "close" does not bubble: listen while it goes down. Focus goes back where it was.
document.addEventListener("close", function (event) {
  if (event.target.id !== "session-warning") { return; }
  var back = sessionWarning.returnFocus;
  sessionWarning.returnFocus = null;
  if (back && document.contains(back) && back.focus) { back.focus(); }
}, true);
