// Scoring charts (Chart.js): data comes from json_script blocks the server renders; each canvas
// names its block in data-scoring-chart and its kind in data-kind.
(function () {
  if (typeof Chart === "undefined") return;
  var palette = ["#0b5cad", "#2e8b57", "#e07b24", "#8e44ad", "#c0392b", "#16a085"];
  function num(v) { return v === null || v === undefined ? null : Number(v); }
  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  var base = { responsive: true, maintainAspectRatio: false, animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { labels: { boxWidth: 12, font: { size: 11 } } } } };
  function options(extra) { return Object.assign({}, base, extra); }

  var builders = {
    index: function (data) {
      var names = read("perspective-labels") || {};
      var datasets = Object.keys(data.series).map(function (metric, i) {
        var code = metric.replace("index.perspective.", "");
        return { label: metric === "index" ? (names.index || "Index") : (names[code] || code), data: data.series[metric].map(num),
          borderColor: palette[i % palette.length], borderWidth: metric === "index" ? 2.5 : 1.2, pointRadius: 0, spanGaps: false };
      });
      return { type: "line", data: { labels: data.labels, datasets: datasets },
        options: options({ scales: { y: { min: 0, max: 100 }, x: { ticks: { maxTicksLimit: 8 } } } }) };
    },
    classes: function (data) {
      var names = read("perspective-labels") || {};
      var kinds = ["lifelong", "interactive", "transactional"].map(function (k) { return [k, names[k] || k]; });
      return { type: "line", data: { labels: data.labels, datasets: kinds.map(function (k, i) {
        return { label: k[1], data: (data[k[0]] || []).map(num), fill: true, borderColor: palette[i], backgroundColor: palette[i] + "55", pointRadius: 0 };
      }) }, options: options({ scales: { y: { stacked: true, beginAtZero: true }, x: { ticks: { maxTicksLimit: 6 } } } }) };
    },
    bars: function (data, canvas) {
      return { type: "bar", data: { labels: data.labels, datasets: [{ label: canvas.dataset.label || "", data: data.values.map(num), backgroundColor: palette[0] }] },
        options: options({ indexAxis: "y", plugins: { legend: { display: false } } }) };
    },
    metric: function (data) {
      var datasets = [
        { label: data.unit, data: data.value.map(num), borderColor: palette[0], pointRadius: 0, yAxisID: "y" },
        { label: data.score_label || "score", data: data.score.map(num), borderColor: palette[2], borderDash: [4, 3], pointRadius: 0, yAxisID: "score" }
      ];
      if (data.emc) {
        datasets.push({ label: data.emc, data: data.labels.map(function (d) { return num(data.emc_value[d]); }), borderColor: palette[1], pointRadius: 0, yAxisID: "y" });
      }
      return { type: "line", data: { labels: data.labels, datasets: datasets },
        options: options({ scales: { y: { beginAtZero: true }, score: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } }, x: { ticks: { maxTicksLimit: 8 } } } }) };
    }
  };

  document.querySelectorAll("canvas[data-scoring-chart]").forEach(function (canvas) {
    var data = read(canvas.dataset.scoringChart);
    var build = builders[canvas.dataset.kind];
    if (!data || !build || !data.labels || !data.labels.length) return;
    new Chart(canvas, build(data, canvas));
    canvas.dataset.drawn = "1";
  });
})();
