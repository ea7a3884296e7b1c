// Every htmx request carries the page's CSRF token (the server refuses a POST without it).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
  }
});

// A clamped abstract opens (and closes) on a click.
document.addEventListener("click", function (event) {
  var target = event.target;
  if (!(target instanceof Element)) {
    return;
  }
  var abstract = target.closest(".card .abstract.clamp");
  if (abstract && !window.getSelection().toString()) {
    abstract.classList.toggle("open");
  }
});

// Keys on pages with paper cards: j/k move between cards, l/d/s press like/dislike/save,
// o or Enter opens the paper, x opens the abstract, ? shows the key list. Ignored while
// typing in a field or with a modifier key held.
(function () {
  var currentId = null;

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("main article.card"));
  }

  function current() {
    if (currentId === null) {
      return null;
    }
    return cards().find(function (c) { return c.dataset.paperId === currentId; }) || null;
  }

  function select(card) {
    cards().forEach(function (c) { c.classList.remove("current"); });
    if (!card) {
      currentId = null;
      return;
    }
    currentId = card.dataset.paperId;
    card.classList.add("current");
    if (!card.hasAttribute("tabindex")) {
      card.setAttribute("tabindex", "-1");
    }
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = cards();
    if (!all.length) {
      return;
    }
    var at = all.indexOf(current());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(at + step, 0), all.length - 1);
    select(all[next]);
  }

  function press(selector) {
    var card = current();
    var button = card && card.querySelector(selector);
    if (button) {
      button.click();
    }
  }

  function open() {
    var card = current();
    var link = card && card.querySelector("h3 a, h2 a");
    if (link) {
      window.location.href = link.href;
    }
  }

  // the whole abstract: a clamped one opens, a folded one (under the best sentences) unfolds
  function unfold() {
    var card = current();
    var clamped = card && card.querySelector(".abstract.clamp");
    var folded = card && card.querySelector("details.whole-abstract");
    if (clamped) {
      clamped.classList.toggle("open");
    } else if (folded) {
      folded.open = !folded.open;
    }
  }

  function toggleHelp(show) {
    var help = document.getElementById("key-help");
    if (help) {
      help.hidden = show === undefined ? !help.hidden : !show;
    }
  }

  function typing(target) {
    return target instanceof Element &&
      (target.closest("input, textarea, select, [contenteditable]") !== null);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "Enter") {
      // only on a card itself: on a button or link inside it, Enter does what it always does
      if (event.target instanceof Element && event.target.matches("article.card")) {
        event.preventDefault();
        open();
      }
      return;
    }
    var actions = {
      j: function () { move(1); },
      k: function () { move(-1); },
      l: function () { press("button.like"); },
      d: function () { press("button.dislike"); },
      s: function () { press("button.save"); },
      o: open,
      x: unfold,
      "?": function () { toggleHelp(); },
      Escape: function () { toggleHelp(false); }
    };
    if (Object.prototype.hasOwnProperty.call(actions, key)) {
      event.preventDefault();
      actions[key]();
    }
  });

  // a pressed button's card is swapped for a new one: keep it current (and focused), unless
  // the reader has gone on to type somewhere meanwhile: their field keeps the focus
  document.addEventListener("htmx:load", function (event) {
    var card = event.target;
    if (card instanceof Element && card.matches("article.card") && card.dataset.paperId === currentId) {
      if (typing(document.activeElement)) {
        cards().forEach(function (c) { c.classList.toggle("current", c === card); });
      } else {
        select(card);
      }
    }
  });

  // a click inside a card makes it the current one
  document.addEventListener("click", function (event) {
    var card = event.target instanceof Element ? event.target.closest("main article.card") : null;
    if (card) {
      currentId = card.dataset.paperId;
      cards().forEach(function (c) { c.classList.toggle("current", c === card); });
    }
  });
})();
