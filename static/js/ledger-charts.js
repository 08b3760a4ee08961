// Progress to target: cumulative user-paid value per day (the EMC's and the ME's part) against
// the period target, the floor and the tier inflection points. Data comes from json_script; the
// chart's height follows the width of the page (static/css/app.css), its axis the data.
(function () {
  if (typeof Chart === "undefined") return;
  function days(first, last) {
    var out = [], d = new Date(first + "T00:00:00Z"), end = new Date(last + "T00:00:00Z");
    while (d <= end) { out.push(d.toISOString().slice(0, 10)); d.setUTCDate(d.getUTCDate() + 1); }
    return out;
  }
  function flat(labels, value) { return labels.map(function () { return Number(value); }); }
  document.querySelectorAll("canvas[data-ledger-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.ledgerChart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    if (!data.series.length) return;
    var labels = days(data.series[0].day, data.period_end);
    var byDay = {}, meByDay = {};
    data.series.forEach(function (p) { byDay[p.day] = Number(p.value); });
    data.me_series.forEach(function (p) { meByDay[p.day] = Number(p.value); });
    var datasets = [
      { label: data.emc, data: labels.map(function (d) { return d in byDay ? byDay[d] : null; }),
        borderColor: "#0b5cad", backgroundColor: "rgba(11,92,173,.12)", fill: true, tension: 0.15, pointRadius: 0 },
      { label: data.me, data: labels.map(function (d) { return d in meByDay ? meByDay[d] : null; }),
        borderColor: "#2e8b57", borderWidth: 1.5, pointRadius: 0, tension: 0.15 },
      { label: "target " + data.target, data: flat(labels, data.target), borderColor: "#c0392b", borderWidth: 1.5, pointRadius: 0 }
    ];
    if (Number(data.floor) > 0) {
      datasets.push({ label: "floor " + data.floor, data: flat(labels, data.floor), borderColor: "#7f8c8d", borderDash: [2, 3], borderWidth: 1, pointRadius: 0 });
    }
    data.tiers.forEach(function (t, i) {
      datasets.push({ label: t.label, data: flat(labels, t.value), borderColor: ["#d9822b", "#8e44ad", "#16a085"][i % 3], borderDash: [6, 4], borderWidth: 1, pointRadius: 0 });
    });
    new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        // the value axis comes from the data and the target (ledger.ui_selectors.progress_axis):
        // a tier point beyond both is named in the legend, not allowed to flatten the line
        scales: { y: { min: Number(data.axis.min), max: Number(data.axis.max), title: { display: true, text: data.currency } },
                  x: { ticks: { maxTicksLimit: 8 } } },
        plugins: { legend: { labels: { boxWidth: 12, font: { size: 11 } } } }
      }
    });
  });
})();
