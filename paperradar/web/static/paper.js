// The paper page. Its like / dislike / save buttons post to /feedback like a card's; the card
// that comes back gives only its buttons, which replace these (whichever form sent the post).
document.addEventListener("htmx:beforeSwap", function (event) {
  var config = event.detail.requestConfig;
  var elt = config && config.elt;
  var box = elt && elt.closest ? elt.closest(".paper-feedback") : null;
  var form = box ? box.querySelector("form.actions") : null;
  if (!form) {
    return;
  }
  event.detail.target = form;
  event.detail.selectOverride = "form.actions";
  event.detail.swapOverride = "outerHTML";
});

// "Copy" buttons (data-copy="ID") copy the text of the element ID; without clipboard access
// they select it instead, for Ctrl+C.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
  if (!button) {
    return;
  }
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) {
    return;
  }
  var label = button.textContent;
  var text = source.tagName === "TEXTAREA" ? source.value : source.textContent;
  function selectIt() {
    if (source.tagName === "TEXTAREA") {
      source.select();
    } else {
      window.getSelection().selectAllChildren(source);
    }
    button.textContent = "Selected: press Ctrl+C";
  }
  if (!navigator.clipboard || !window.isSecureContext) {
    selectIt();
    return;
  }
  navigator.clipboard.writeText(text).then(function () {
    button.textContent = "Copied";
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }, selectIt);
});
