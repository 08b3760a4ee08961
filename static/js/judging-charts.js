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
