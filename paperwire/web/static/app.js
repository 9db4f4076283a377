/* Paperwire's progressive enhancements. Pages work without this file; with it:
   math rendered by KaTeX, keyboard navigation through paper lists, a copy button for BibTeX.
   Loaded as a file (the Content-Security-Policy forbids inline scripts). */
(function () {
  "use strict";

  var MATH_DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false }
  ];

  function renderMath(root) {
    if (typeof window.renderMathInElement !== "function") return;
    root.querySelectorAll(".math").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: MATH_DELIMITERS,
        throwOnError: false,
        strict: "ignore",
        // text that only looks like math (prices, stray dollars) stays as it was written
        errorCallback: function () {},
        ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"]
      });
      el.classList.add("math-rendered");
    });
  }

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function setupKeys() {
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-paper]"));
    function currentIndex() {
      var active = document.activeElement && document.activeElement.closest
        ? document.activeElement.closest("[data-paper]") : null;
      if (active) return items.indexOf(active);
      for (var i = 0; i < items.length; i++) if (items[i].classList.contains("current")) return i;
      return -1;
    }
    function move(step) {
      if (!items.length) return;
      var next = Math.max(0, Math.min(items.length - 1, currentIndex() + step));
      items.forEach(function (el) { el.classList.remove("current"); });
      var item = items[next];
      item.classList.add("current");
      var link = item.querySelector(".paper-title a");
      if (link) link.focus({ preventScroll: true });
      item.scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      if (isTyping(event.target)) {
        if (event.key === "Escape") event.target.blur();
        return;
      }
      if (event.key === "/") {
        var box = document.getElementById("q");
        if (box) { event.preventDefault(); box.focus(); box.select(); }
      } else if (event.key === "j") {
        move(1);
      } else if (event.key === "k") {
        move(-1);
      }
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function setupCopy() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(source.textContent).then(function () {
          button.textContent = "Copied";
        }, function () {
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          button.textContent = "Press Ctrl+C to copy";
        });
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  }

  renderMath(document);
  setupKeys();
  setupCopy();
})();
