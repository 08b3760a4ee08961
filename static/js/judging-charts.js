// Judging charts (Chart.js): sparklines of a partner's scorecard; the data comes from the
// json_script block "judging-spark", each canvas names its series in data-judging-spark.
(function () {
  if (typeof Chart === "undefined") return;
  var block = document.getElementById("judging-spark");
  if (!block) return;
  var data = JSON.parse(block.textContent);
  document.querySelectorAll("canvas[data-judging-spark]").forEach(function (canvas) {
    var values = (data[canvas.dataset.judgingSpark] || []).map(function (v) { return v === null ? null : Number(v); });
    if (!data.labels || !data.labels.length) return;
    new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: [{ data: values, borderColor: "#0b5cad", borderWidth: 1.5, pointRadius: 0, spanGaps: false }] },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: false }, tooltip: { intersect: false, mode: "index" } },
        scales: { x: { display: false }, y: { display: false } } }
    });
    canvas.dataset.drawn = "1";
  });
})();

// The ME matrix: a scatter of each ME (x: enterprise value, y: user value, % of target), its
// path over past periods as a faint line, and the quadrant bands as dashed lines.
(function () {
  if (typeof Chart === "undefined") return;
  var canvas = document.querySelector("canvas[data-judging-matrix]");
  var block = document.getElementById("judging-matrix");
  if (!canvas || !block) return;
  var data = JSON.parse(block.textContent);
  var colors = { leading: "#2e8b57", market: "#0b5cad", user: "#e07b24", lagging: "#c0392b" };
  var placed = (data.points || []).filter(function (p) { return p.x !== null && p.y !== null; });
  var datasets = Object.keys(colors).map(function (q) {
    return { label: q, data: placed.filter(function (p) { return p.quadrant === q; }).map(function (p) {
      return { x: Number(p.x), y: Number(p.y), me: p.name };
    }), backgroundColor: colors[q], pointRadius: 5 };
  });
  placed.forEach(function (p) {
    if (!p.path || !p.path.length) return;
    var line = p.path.map(function (s) { return { x: Number(s.x), y: Number(s.y) }; });
    line.push({ x: Number(p.x), y: Number(p.y) });
    datasets.push({ type: "line", label: "", data: line, borderColor: "#99999955", borderWidth: 1, pointRadius: 0, showLine: true });
  });
  var bands = data.bands || { x: 100, y: 100 };
  var xs = placed.map(function (p) { return Number(p.x); }).concat([bands.x]);
  var ys = placed.map(function (p) { return Number(p.y); }).concat([bands.y]);
  datasets.push({ type: "line", label: "", data: [{ x: bands.x, y: Math.min.apply(null, ys) }, { x: bands.x, y: Math.max.apply(null, ys) }], borderColor: "#666", borderDash: [4, 4], pointRadius: 0 });
  datasets.push({ type: "line", label: "", data: [{ x: Math.min.apply(null, xs), y: bands.y }, { x: Math.max.apply(null, xs), y: bands.y }], borderColor: "#666", borderDash: [4, 4], pointRadius: 0 });
  new Chart(canvas, { type: "scatter", data: { datasets: datasets }, options: {
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { labels: { filter: function (item) { return item.text; } } },
      tooltip: { callbacks: { label: function (ctx) { var r = ctx.raw || {}; return (r.me || "") + " (" + ctx.parsed.x + "%, " + ctx.parsed.y + "%)"; } } } },
    scales: { x: { title: { display: true, text: "%" } }, y: { title: { display: true, text: "%" } } } } });
  canvas.dataset.drawn = "1";
})();

// A partner's co-creation graph (Cytoscape): the partner and its direct co-creators, each link
// as thick as the events they shared in the window.
(function () {
  var box = document.getElementById("utility-graph");
  var block = document.getElementById("utility-graph-data");
  if (!box || !block || typeof cytoscape === "undefined") return;
  var graph = JSON.parse(block.textContent);
  cytoscape({
    container: box,
    elements: graph.nodes.concat(graph.edges),
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 9, "background-color": "#d9822b", width: 16, height: 16 } },
      { selector: "node[self = 1]", style: { "background-color": "#0b5cad", width: 26, height: 26, "font-weight": "bold" } },
      { selector: "edge", style: { width: function (e) { return 1 + Math.min(6, Math.log(1 + (e.data("w") || 0))); }, "line-color": "#bbb" } }
    ],
    layout: { name: "concentric", concentric: function (n) { return n.data("self") ? 2 : 1; }, levelWidth: function () { return 1; } }
  });
  box.dataset.drawn = "1";
})();
