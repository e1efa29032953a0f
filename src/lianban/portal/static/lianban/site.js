// Small behaviours that pages need beyond htmx; kept out of the markup so a strict
// Content-Security-Policy can forbid inline script.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-action=print]");
  if (target) {
    window.print();
  }
});
