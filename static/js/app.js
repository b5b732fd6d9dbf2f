// Small progressive enhancements on top of htmx; every page works without this file.
document.addEventListener("htmx:afterSettle", function (event) {
  // After boosted navigation, move focus to the new content so screen readers start there.
  if (event.detail.boosted) {
    var main = document.getElementById("main");
    if (main) { main.focus({ preventScroll: false }); }
  }
});
