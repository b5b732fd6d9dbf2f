// Small progressive enhancements on top of htmx; every page works without this file.
document.addEventListener("htmx:afterSettle", function (event) {
  // Boosted navigation swaps the body only: take the new page's language over to <html lang>
  // (the language may have just been switched), so screen readers pronounce it right.
  var frame = document.getElementById("frame");
  if (frame && frame.dataset.lang && document.documentElement.lang !== frame.dataset.lang) {
    document.documentElement.lang = frame.dataset.lang;
  }
  // After boosted navigation, move focus to the new content so screen readers start there.
  if (event.detail.boosted) {
    var main = document.getElementById("main");
    if (main) { main.focus({ preventScroll: false }); }
  }
});

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
  var again = lastFocusedId && document.getElementById(lastFocusedId);
  if (again && !again.disabled) { again.focus(); return; }
  // A month swap: announce the new month by focusing its heading.
  var swapped = document.getElementById(target.id) || target;
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

// "Copy address" buttons (the calendar feed on /account): hidden in the markup, because
// without this file the address is selected in its read-only field and copied by hand.
function revealCopyButtons(root) {
  root.querySelectorAll("button[data-copy-target][hidden]").forEach(function (button) {
    button.hidden = false;
  });
}
revealCopyButtons(document);
document.addEventListener("htmx:afterSettle", function () { revealCopyButtons(document); });
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
