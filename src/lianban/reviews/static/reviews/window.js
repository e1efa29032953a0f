// Keys 1–5 press the matching rating button, for a screen with a keypad instead of touch.
document.addEventListener("keydown", function (event) {
  if (event.target && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) return;
  var button = document.querySelector('.level-buttons button[data-key="' + event.key + '"]');
  if (button) { event.preventDefault(); button.click(); }
});
