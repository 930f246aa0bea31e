// Asks before a destructive submit: <input type="submit" data-confirm="Question?">. A static file
// rather than onclick="...", which the Content-Security-Policy (no inline scripts) would block.
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
