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
  // After boosted navigation, move focus to the new content so screen readers start there,
  // without scrolling the header out of view: a new page starts at its top.
  if (event.detail.boosted) {
    if (focusMarked(document)) { return; }
    var main = document.getElementById("main");
    window.scrollTo(0, 0);
    if (main) { main.focus({ preventScroll: true }); }
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

// A copy button for a read-only text (the invitation text when mail is off). It is hidden
// in the markup and shown here, since it only works with JavaScript.
function showCopyButtons(root) {
  root.querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
    button.hidden = false;
  });
}
document.addEventListener("DOMContentLoaded", function () { showCopyButtons(document); });
document.addEventListener("htmx:afterSettle", function () { showCopyButtons(document); });
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-copy]");
  if (!button) { return; }
  var source = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById(button.getAttribute("data-copy") + "-copied");
  if (!source) { return; }
  function done() { if (status) { status.textContent = button.getAttribute("data-copied") || ""; } }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(source.value).then(done, function () {
      source.select();
      if (document.execCommand("copy")) { done(); }
    });
  } else {
    source.select();
    if (document.execCommand("copy")) { done(); }
  }
});
