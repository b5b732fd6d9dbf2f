// Small progressive enhancements on top of htmx; every page works without this file.
document.addEventListener("htmx:afterSettle", function (event) {
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

// "Copy link" buttons (data-copy = id of a read-only field) exist only where this script runs.
function showCopyButtons() {
  document.querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
    button.hidden = false;
  });
}
document.addEventListener("DOMContentLoaded", showCopyButtons);
document.addEventListener("htmx:afterSettle", showCopyButtons);
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) { return; }
  var label = button.querySelector(".kern-label") || button;
  var done = function () { label.textContent = button.getAttribute("data-copied-text"); };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, function () {
      if (document.execCommand("copy")) { done(); }
    });
  } else if (document.execCommand("copy")) {
    done();
  }
});
