// 数据驾驶舱: draws each chart the page describes in a <script type="application/json"
// class="chart-data"> next to its <canvas>, with Chart.js (served by the product itself). The
// figures are also on the page as text, so a phone without scripts still reads them.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  var palette = ["#2f6fbf", "#e07b39", "#7a9a3a", "#9b59b6", "#c0392b", "#16a085"];
  document.querySelectorAll("script.chart-data").forEach(function (el) {
    var spec;
    try {
      spec = JSON.parse(el.textContent);
    } catch (e) {
      return;
    }
    var canvas = document.getElementById(spec.canvas);
    if (!canvas) return;
    var datasets = spec.series.map(function (s, i) {
      var colour = palette[i % palette.length];
      return {
        label: s.name,
        data: s.values,
        backgroundColor: spec.kind === "line" ? colour + "33" : colour,
        borderColor: colour,
        borderWidth: spec.kind === "line" ? 2 : 0,
        tension: 0.2,
        fill: false,
        pointRadius: 3,
      };
    });
    var chart = new Chart(canvas, {
      type: spec.kind === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: {
          legend: { display: datasets.length > 1, position: "bottom" },
          title: { display: false },
        },
        // Counts: whole numbers on the value axis, whichever way the bars run.
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
        onClick: function (evt, items) {
          // A bar of a place or a kind opens its records, where the page gave their links.
          if (!spec.links || !items.length) return;
          var link = spec.links[items[0].index];
          if (link) window.location.href = link;
        },
      },
    });
    canvas.setAttribute("data-drawn", String(chart.data.labels.length));
  });
})();
