// Suggestions as one types in a search-by-name box (an input with data-suggest): the first
// names from /search/suggest, as links under the box. Without this script the box still
// works: it submits to /search, which answers with a page of results.
// Everything from the server is written with textContent, never as HTML.
(function () {
  "use strict";

  if (!window.fetch || !document.querySelectorAll) {
    return;
  }
  var WAIT_MS = 150;

  function enhance(input, index) {
    var form = input.form;
    var list = document.createElement("ul");
    list.className = "search-suggestions";
    list.id = "search-suggestions-" + index;
    list.hidden = true;
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(status);
    form.appendChild(list);
    input.setAttribute("aria-controls", list.id);
    var timer = null;
    var asked = "";

    function links() {
      return list.querySelectorAll("a");
    }

    function show(answer) {
      if (answer.q !== input.value.trim()) {
        return; // an older answer, arrived after the reader typed on
      }
      list.textContent = "";
      answer.results.forEach(function (result) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = result.href || result.iri;
        link.textContent = result.label;
        item.appendChild(link);
        if (result["class"]) {
          var kind = document.createElement("span");
          kind.className = "tag";
          kind.textContent = result["class"];
          item.appendChild(document.createTextNode(" "));
          item.appendChild(kind);
        }
        list.appendChild(item);
      });
      list.hidden = answer.results.length === 0;
      status.textContent = answer.q ? String(answer.results.length) : "";
    }

    function ask() {
      var text = input.value.trim();
      if (text === asked) {
        return;
      }
      asked = text;
      if (!text || text.length > 48 || /^https?:/.test(text)) {
        show({q: text, results: []});
        return;
      }
      var url = input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(text) +
        "&lang=" + encodeURIComponent(input.getAttribute("data-lang") || "en");
      fetch(url, {headers: {Accept: "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer) { show(answer); } })
        .catch(function () { /* no suggestions: the form still submits */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, WAIT_MS);
    });
    // The list closes when the focus leaves the box and its suggestions.
    form.addEventListener("focusout", function (event) {
      if (!event.relatedTarget || !form.contains(event.relatedTarget)) {
        list.hidden = true;
      }
    });
    input.addEventListener("focus", function () {
      list.hidden = list.childElementCount === 0;
    });
    form.addEventListener("keydown", function (event) {
      var found = Array.prototype.slice.call(links());
      var at = found.indexOf(document.activeElement);
      if (event.key === "Escape") {
        list.hidden = true;
        input.focus();
      } else if (event.key === "ArrowDown" && found.length) {
        event.preventDefault();
        list.hidden = false;
        found[Math.min(at + 1, found.length - 1)].focus();
      } else if (event.key === "ArrowUp" && at >= 0) {
        event.preventDefault();
        (at === 0 ? input : found[at - 1]).focus();
      }
    });
  }

  var inputs = document.querySelectorAll("input[data-suggest]");
  for (var i = 0; i < inputs.length; i++) {
    enhance(inputs[i], i);
  }
})();
