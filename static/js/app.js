// Small progressive enhancements on top of htmx; every page works without this file.
document.addEventListener("htmx:afterSettle", function (event) {
  // After boosted navigation, move focus to the new content so screen readers start there.
  if (event.detail.boosted) {
    var main = document.getElementById("main");
    if (main) { main.focus({ preventScroll: false }); }
  }
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
