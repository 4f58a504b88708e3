// The SPARQL query page: examples into the editor, Ctrl+Enter, and results shown without
// reloading the page. Without this script the form still works (the server renders the table).
// Everything from the server is written with textContent, never as HTML.
(function () {
  "use strict";

  var form = document.getElementById("sparql-form");
  if (!form || !window.fetch) {
    return;
  }
  var editor = document.getElementById("sparql-query");
  var formatChoice = document.getElementById("sparql-format");
  var output = document.getElementById("sparql-output");
  var status = document.getElementById("sparql-status");
  var base = form.getAttribute("data-base") || "";
  var root = form.getAttribute("data-root") || "";
  var examples = JSON.parse(document.getElementById("sparql-example-data").textContent);
  var prefixes = JSON.parse(document.getElementById("sparql-prefix-data").textContent);
  var RESULT_FORMATS = [["SPARQL JSON", "json", "srj"], ["SPARQL XML", "xml", "srx"],
    ["CSV", "csv", "csv"], ["TSV", "tsv", "tsv"]];
  var GRAPH_FORMATS = [["Turtle", "turtle", "ttl"], ["N-Triples", "ntriples", "nt"],
    ["RDF/XML", "rdfxml", "rdf"], ["JSON-LD", "jsonld", "jsonld"], ["N-Quads", "nquads", "nq"],
    ["TriG", "trig", "trig"]];
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var XSD_STRING = XSD + "string";
  var NUMERIC = ["integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"].map(function (local) {
    return XSD + local;
  });

  function element(name, text, className) {
    var node = document.createElement(name);
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function curie(iri) {
    for (var prefix in prefixes) {
      var namespace = prefixes[prefix];
      if (iri.indexOf(namespace) === 0 && iri.length > namespace.length) {
        var local = iri.slice(namespace.length);
        if (/^[A-Za-z0-9_\-.\/]+$/.test(local)) {
          return prefix + ":" + local;
        }
      }
    }
    return iri;
  }

  function link(iri) {
    if (base && iri.indexOf(base) === 0) {
      return root + "/" + iri.slice(base.length);
    }
    return /^https?:\/\//.test(iri) ? iri : null;
  }

  // A term as SPARQL JSON writes it: {type, value, "xml:lang", datatype}.
  function cell(term) {
    var td = element("td");
    if (!term) {
      td.className = "sparql-unbound";
      return td;
    }
    if (term.type === "uri") {
      td.className = "sparql-iri";
      var href = link(term.value);
      var label = curie(term.value);
      if (href) {
        var anchor = element("a", label);
        anchor.href = href;
        anchor.title = term.value;
        td.appendChild(anchor);
      } else {
        td.textContent = label;
      }
    } else if (term.type === "bnode") {
      td.className = "sparql-bnode";
      td.textContent = "_:" + term.value;
    } else if (term.type === "literal" || term.type === "typed-literal") {
      td.className = "sparql-literal";
      td.textContent = term.value;
      var note = term["xml:lang"] ? "@" + term["xml:lang"] :
        (term.datatype && term.datatype !== XSD_STRING ? curie(term.datatype) : null);
      if (note) {
        td.appendChild(document.createTextNode(" "));
        td.appendChild(element("span", note, "sparql-note"));
      }
    } else {
      td.className = "sparql-triple";
      td.textContent = JSON.stringify(term.value);
    }
    return td;
  }

  function unescapeNT(text) {
    return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g, function (m, u4, u8, c) {
      if (u4 || u8) {
        return String.fromCodePoint(parseInt(u4 || u8, 16));
      }
      return {t: "\t", b: "\b", n: "\n", r: "\r", f: "\f"}[c] || c;
    });
  }

  // N-Triples as the server writes it: one triple per line, IRIs, blank nodes, literals.
  var TERM = /\s*(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9\-]+)|\^\^<([^>]*)>)?)/y;
  function parseNTriples(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      if (!line.trim()) {
        return;
      }
      var terms = [];
      TERM.lastIndex = 0;
      for (var i = 0; i < 3; i += 1) {
        var m = TERM.exec(line);
        if (!m) {
          return;
        }
        if (m[1] !== undefined) {
          terms.push({type: "uri", value: unescapeNT(m[1])});
        } else if (m[2] !== undefined) {
          terms.push({type: "bnode", value: m[2]});
        } else {
          var term = {type: "literal", value: unescapeNT(m[3])};
          if (m[4]) {
            term["xml:lang"] = m[4];
          }
          if (m[5]) {
            term.datatype = m[5];
          }
          terms.push(term);
        }
      }
      rows.push(terms);
    });
    return rows;
  }

  function downloads(query, formats) {
    var paragraph = element("p", "Download: ", "sparql-downloads");
    formats.forEach(function (format) {
      var anchor = element("a", format[0]);
      anchor.href = root + "/sparql?" + new URLSearchParams({query: query, format: format[1]});
      anchor.setAttribute("download", "results." + format[2]);
      paragraph.appendChild(anchor);
      paragraph.appendChild(document.createTextNode(" "));
    });
    return paragraph;
  }

  function table(columns, rows, truncated, kind) {
    var summary = rows.length + (kind === "graph" ? " triple" : " row") + (rows.length === 1 ? "" : "s");
    if (truncated) {
      summary += " (cut after " + rows.length + ": download the results for more)";
    }
    var result = document.createDocumentFragment();
    result.appendChild(element("p", summary, "sparql-summary"));
    var tableNode = element("table", null, "sparql-results");
    tableNode.id = "sparql-results";
    var head = tableNode.createTHead().insertRow();
    columns.forEach(function (name) {
      head.appendChild(element("th", name));
    });
    var body = tableNode.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      row.forEach(function (term) {
        tr.appendChild(cell(term));
      });
    });
    // The table scrolls inside its own box on a narrow screen, not the page.
    var box = element("div", null, "sparql-table-box");
    box.appendChild(tableNode);
    result.appendChild(box);
    return result;
  }

  function isNumber(term) {
    return term && term.type !== "uri" && term.type !== "bnode" &&
      NUMERIC.indexOf(term.datatype) >= 0;
  }

  // Whether some column holds numbers only: then the server can draw it as a bar chart.
  function hasNumericColumn(columns, rows) {
    return columns.some(function (name, at) {
      var bound = rows.map(function (row) { return row[at]; }).filter(Boolean);
      return bound.length > 0 && bound.every(isNumber);
    });
  }

  // The views of the results: this table, and the bar chart the server draws (a page of its own).
  function views(query) {
    var nav = element("nav", null, "sparql-views");
    nav.setAttribute("aria-label", form.getAttribute("data-views") || "Views");
    var current = element("a", form.getAttribute("data-view-table") || "Table");
    current.href = root + "/sparql?" + new URLSearchParams({query: query, view: "table"});
    current.setAttribute("aria-current", "page");
    var chart = element("a", form.getAttribute("data-view-chart") || "Bar chart");
    chart.href = root + "/sparql?" + new URLSearchParams({query: query, view: "chart"});
    nav.appendChild(current);
    nav.appendChild(document.createTextNode(" "));
    nav.appendChild(chart);
    return nav;
  }

  function show(nodes) {
    while (output.firstChild) {
      output.removeChild(output.firstChild);
    }
    nodes.forEach(function (node) {
      output.appendChild(node);
    });
  }

  function showError(message) {
    var pre = element("pre", message, "sparql-error");
    pre.id = "sparql-error";
    // A long message scrolls in its box: the box takes the focus so a keyboard can scroll it.
    pre.tabIndex = 0;
    show([pre]);
  }

  function render(query, response, text) {
    var truncated = response.headers.get("X-Paxsilica-Truncated") === "true";
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/n-triples") === 0) {
      var triples = parseNTriples(text);
      show([table(["subject", "predicate", "object"], triples, truncated, "graph"),
        downloads(query, GRAPH_FORMATS)]);
      return;
    }
    var results = JSON.parse(text);
    if (typeof results.boolean === "boolean") {
      var answer = {type: "literal", value: String(results.boolean)};
      show([table(["boolean"], [[answer]], false, "boolean"), downloads(query, RESULT_FORMATS)]);
      return;
    }
    var columns = results.head.vars || [];
    var rows = results.results.bindings.map(function (binding) {
      return columns.map(function (name) {
        return binding[name];
      });
    });
    var shown = [table(columns, rows, truncated, "solutions"), downloads(query, RESULT_FORMATS)];
    if (hasNumericColumn(columns, rows)) {
      shown.unshift(views(query));
    }
    show(shown);
  }

  function run() {
    var query = editor.value;
    var started = Date.now();
    status.textContent = "Running…";
    var address = root + "/sparql?" + new URLSearchParams({query: query});
    if (address.length < 8000) {  // a link to the query, if it fits in a URL
      history.replaceState(null, "", address);
    }
    fetch(root + "/sparql", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json, application/n-triples;q=0.9"
      },
      body: new URLSearchParams({query: query})
    }).then(function (response) {
      return response.text().then(function (text) {
        status.textContent = "Answered in " + (Date.now() - started) + " ms";
        if (!response.ok) {
          showError(text);
        } else {
          render(query, response, text);
        }
      });
    }).catch(function (error) {
      status.textContent = "";
      showError("The request failed: " + error.message);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-example]"), function (anchor) {
    anchor.addEventListener("click", function (event) {
      event.preventDefault();
      editor.value = examples[Number(anchor.getAttribute("data-example"))];
      formatChoice.value = "html";
      editor.focus();
      run();
    });
  });

  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (formatChoice.value === "html") {
        run();
      } else {
        form.submit();
      }
    }
  });

  form.addEventListener("submit", function (event) {
    if (formatChoice.value === "html") {
      event.preventDefault();
      run();
    }
  });
}());
