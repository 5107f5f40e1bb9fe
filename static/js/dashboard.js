// Leadership dashboard: sparklines and the segment chart, drawn from json_script data.
// The tables carry the same numbers, so the page reads fine with JavaScript off.
(function () {
  "use strict";

  var BAND_COLOURS = {
    healthy: "#198754",
    watch: "#e0a800",
    at_risk: "#fd7e14",
    critical: "#dc3545"
  };
  // Keep in step with the HEALTH_BAND_* settings' defaults; only the dot colour depends on it.
  var THRESHOLDS = [[75, "healthy"], [60, "watch"], [40, "at_risk"]];

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function bandFor(value) {
    for (var i = 0; i < THRESHOLDS.length; i++) {
      if (value >= THRESHOLDS[i][0]) { return THRESHOLDS[i][1]; }
    }
    return "critical";
  }

  function drawSparkline(canvas, values) {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.width, height = canvas.height;
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    var pad = 3;
    var step = values.length > 1 ? (width - 2 * pad) / (values.length - 1) : 0;
    var y = function (v) { return height - pad - (v / 100) * (height - 2 * pad); };

    // Faint guide at the "watch" threshold so a line reads against the bands.
    ctx.strokeStyle = "#ced4da";
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 2]);
    ctx.beginPath();
    ctx.moveTo(pad, y(60));
    ctx.lineTo(width - pad, y(60));
    ctx.stroke();
    ctx.setLineDash([]);

    ctx.strokeStyle = "#495057";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    var drawing = false, last = null;
    values.forEach(function (v, i) {
      if (v === null) { drawing = false; return; }
      var x = pad + i * step;
      if (drawing) { ctx.lineTo(x, y(v)); } else { ctx.moveTo(x, y(v)); drawing = true; }
      last = [x, v];
    });
    ctx.stroke();
    if (last) {
      ctx.fillStyle = BAND_COLOURS[bandFor(last[1])];
      ctx.beginPath();
      ctx.arc(last[0], y(last[1]), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  function sparklines() {
    var data = readJson("sparkline-data");
    if (!data) { return; }
    document.querySelectorAll("canvas.sparkline").forEach(function (canvas) {
      var values = data.rows[canvas.dataset.partner];
      if (!values) { return; }
      drawSparkline(canvas, values);
      canvas.dataset.drawn = "true";
      // The numbers stay in the page for screen readers; sighted readers now have the line.
      var text = canvas.parentElement.querySelector(".sparkline-text");
      if (text) { text.classList.add("visually-hidden"); }
    });
  }

  function segmentChart() {
    var data = readJson("segment-chart-data");
    var canvas = document.getElementById("segment-chart");
    if (!data || !canvas || typeof Chart === "undefined") { return; }
    // Hidden until drawn, so a reader without JavaScript gets the table without an empty box above it.
    var box = document.getElementById("segment-chart-box");
    if (box) { box.classList.remove("d-none"); }
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.bands.map(function (band) {
          return { label: band.label, data: band.counts, backgroundColor: BAND_COLOURS[band.key], stack: "bands" };
        })
      },
      options: {
        indexAxis: "y",
        animation: false,
        maintainAspectRatio: false,
        responsive: true,
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Partners" } },
          y: { stacked: true }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    canvas.dataset.drawn = "true";
  }

  document.addEventListener("DOMContentLoaded", function () {
    sparklines();
    segmentChart();
  });
})();
