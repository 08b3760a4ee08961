// Dashboard charts: data comes from json_script blocks rendered by the server.
(function () {
  const palette = ["#0b5cad", "#2e8b57", "#e07b24", "#8e44ad", "#c0392b", "#16a085"];
  const daily = JSON.parse(document.getElementById("daily-value-data").textContent);
  const dailyCanvas = document.getElementById("daily-value-chart");
  if (dailyCanvas && window.Chart) {
    new Chart(dailyCanvas, {
      type: "bar",
      data: {
        labels: daily.labels.map((d) => d.slice(5)),
        datasets: Object.entries(daily.series).map(([currency, values], i) => ({
          label: currency,
          data: values.map(Number),
          backgroundColor: palette[i % palette.length],
        })),
      },
      options: { plugins: { legend: { display: Object.keys(daily.series).length > 1 } }, scales: { y: { beginAtZero: true } } },
    });
  }
  const states = JSON.parse(document.getElementById("partner-state-data").textContent);
  const stateCanvas = document.getElementById("partner-state-chart");
  if (stateCanvas && window.Chart) {
    new Chart(stateCanvas, {
      type: "doughnut",
      data: {
        labels: states.labels,
        datasets: [{ data: states.values, backgroundColor: ["#6c757d", "#f0ad4e", "#2e8b57", "#e07b24", "#343a40", "#c0392b"] }],
      },
      options: { plugins: { legend: { position: "bottom" } } },
    });
  }
})();
