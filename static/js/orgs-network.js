// The network page: fetch the graph JSON for the chosen filters and draw it with Cytoscape.
(function () {
  var box = document.getElementById("network-graph");
  var form = document.getElementById("network-filters");
  var summary = document.getElementById("network-summary");
  if (!box || typeof cytoscape === "undefined") return;
  var colors = { emc: "#0b5cad", me: "#2e8b57", partner: "#d9822b" };
  var cy = null;

  function load() {
    var params = new URLSearchParams(new FormData(form));
    Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) params.delete(k); });
    history.replaceState(null, "", "?" + params.toString());
    fetch(box.dataset.url + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(draw);
  }

  function draw(graph) {
    summary.textContent = summary.dataset.template
      .replace("%(shown)s", graph.emc_shown).replace("%(total)s", graph.emc_total).replace("%(limit)s", graph.limit);
    if (cy) cy.destroy();
    cy = cytoscape({
      container: box,
      elements: graph.nodes.concat(graph.edges),
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 9, "text-valign": "bottom", "text-margin-y": 3,
          "background-color": function (n) { return colors[n.data("type")] || "#888"; } } },
        { selector: "node[type = 'emc']", style: { shape: "round-rectangle", width: 34, height: 22, "font-weight": "bold" } },
        { selector: "node[type = 'me']", style: { shape: "ellipse", width: 18, height: 18 } },
        { selector: "node[type = 'partner']", style: { shape: "diamond", width: 14, height: 14 } },
        { selector: "node[state = 'phased_out'], node[state = 'rejected']", style: { opacity: 0.4 } },
        { selector: "edge", style: { width: 1, "line-color": "#bbb", "curve-style": "haystack" } },
        { selector: "edge[type = 'participation']", style: { "line-style": "dashed", "line-color": "#e0b080" } },
        { selector: "edge[?ended]", style: { opacity: 0.3 } }
      ],
      layout: { name: graph.nodes.length > 400 ? "grid" : "cose", animate: false, nodeRepulsion: 8000 }
    });
    cy.on("tap", "node", function (e) { var url = e.target.data("url"); if (url) window.location = url; });
  }

  form.addEventListener("change", load);
  load();
})();
