// The partner page's charts: health, rubric scores over time, and the radar of the six characteristics.
// Each chart's data comes from a json_script block; the table beside each chart holds the same
// figures for readers without JavaScript, so a chart's box stays hidden until it is drawn.
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    return;
  }

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function show(canvas, config) {
    canvas.parentElement.hidden = false;
    var chart = new Chart(canvas, config);
    canvas.dataset.drawn = "true";
    return chart;
  }

  // Chart.js draws a radar label on one line; long item titles are wrapped at word boundaries.
  function wrap(text, width) {
    var lines = [];
    var line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) {
      lines.push(line);
    }
    return lines;
  }

  function healthChart() {
    var data = readJson("health-chart-data");
    var canvas = document.getElementById("health-chart");
    if (!data || !canvas) {
      return;
    }
    var t = data.thresholds;
    var thresholds = [
      [t.at_risk, "at risk ≥ " + t.at_risk],
      [t.watch, "watch ≥ " + t.watch],
      [t.healthy, "healthy ≥ " + t.healthy],
    ];

    // Dashed lines at the band thresholds, so position is read against named bands. The lines are
    // drawn under the data, and their names are ticks of an axis of their own beside the plot: a
    // label inside the plot sat on the health line whenever health was near a threshold.
    var bandLines = {
      id: "bandLines",
      beforeDatasetsDraw: function (chart) {
        var ctx = chart.ctx;
        var area = chart.chartArea;
        var y = chart.scales.y;
        ctx.save();
        ctx.setLineDash([4, 4]);
        ctx.strokeStyle = "#6c757d";
        thresholds.forEach(function (line) {
          var py = y.getPixelForValue(line[0]);
          ctx.beginPath();
          ctx.moveTo(area.left, py);
          ctx.lineTo(area.right, py);
          ctx.stroke();
        });
        ctx.restore();
      },
    };

    show(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          {
            label: "Health (0–100)",
            data: data.health,
            borderColor: "#0d6efd",
            backgroundColor: "#0d6efd",
            pointRadius: 4,
            pointStyle: "circle",
            tension: 0.2,
            spanGaps: false,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: "Health" } },
          bands: {
            display: true,
            position: "right",
            min: 0,
            max: 100,
            grid: { drawOnChartArea: false, drawTicks: false },
            border: { display: false },
            afterBuildTicks: function (axis) {
              axis.ticks = thresholds.map(function (line) {
                return { value: line[0] };
              });
            },
            ticks: {
              autoSkip: false,
              color: "#495057",
              font: { size: 11 },
              callback: function (value) {
                var found = thresholds.find(function (line) {
                  return line[0] === value;
                });
                return found ? found[1] : "";
              },
            },
          },
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (context) {
                var band = data.bands[context.dataIndex];
                return "Health " + context.parsed.y.toFixed(1) + (band ? " (" + band + ")" : "");
              },
            },
          },
        },
      },
      plugins: [bandLines],
    });
  }

  // Colour, marker and dash all differ between the lines, so no line is told apart by colour alone.
  var RUBRIC_STYLES = [
    { colour: "#0d6efd", point: "circle", dash: [] },
    { colour: "#6f42c1", point: "rectRot", dash: [6, 3] },
    { colour: "#b02a37", point: "triangle", dash: [2, 2] },
  ];

  function rubricChart() {
    var data = readJson("rubric-chart-data");
    var canvas = document.getElementById("rubric-chart");
    if (!data || !canvas) {
      return;
    }
    show(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          var style = RUBRIC_STYLES[index % RUBRIC_STYLES.length];
          return {
            label: series.short + (series.inverted ? " (100 = none)" : ""),
            data: series.values,
            borderColor: style.colour,
            backgroundColor: style.colour,
            borderDash: style.dash,
            pointStyle: style.point,
            pointRadius: 4,
            tension: 0.2,
            spanGaps: false,
          };
        }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { min: 0, max: 100, title: { display: true, text: "Score" } },
        },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 8, boxHeight: 7 } },
          tooltip: {
            callbacks: {
              label: function (context) {
                return context.dataset.label + ": " + context.parsed.y.toFixed(1);
              },
            },
          },
        },
      },
    });
  }

  function radarChart() {
    var data = readJson("radar-chart-data");
    var canvas = document.getElementById("radar-chart");
    if (!data || !canvas || !data.latest) {
      return;
    }
    var datasets = [
      {
        label: data.latest.code,
        data: data.latest.values,
        borderColor: "#0d6efd",
        backgroundColor: "rgba(13, 110, 253, 0.15)",
        pointBackgroundColor: "#0d6efd",
        pointStyle: "circle",
        pointRadius: 3,
        fill: true,
      },
    ];
    if (data.previous) {
      datasets.push({
        label: data.previous.code,
        data: data.previous.values,
        borderColor: "#495057",
        backgroundColor: "rgba(0, 0, 0, 0)",
        pointBackgroundColor: "#495057",
        borderDash: [5, 4],
        pointStyle: "rect",
        pointRadius: 3,
        fill: false,
      });
    }
    show(canvas, {
      type: "radar",
      data: {
        labels: data.labels.map(function (label) {
          return wrap(label, 18);
        }),
        datasets: datasets,
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          r: {
            // One ring below the scale's lowest rating, so a "1 · Poor" still shows as a point
            // on a ring of its own instead of vanishing into the centre.
            min: data.min - 1,
            max: data.max,
            ticks: {
              stepSize: 1,
              z: 1,
              backdropColor: "rgba(255, 255, 255, 0.8)",
              callback: function (value) {
                return value < data.min ? "" : value;
              },
            },
            pointLabels: { font: { size: 11 } },
          },
        },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, boxWidth: 8, boxHeight: 7 } },
          tooltip: {
            callbacks: {
              title: function (items) {
                return data.labels[items[0].dataIndex];
              },
              label: function (context) {
                var value = context.parsed.r;
                return context.dataset.label + ": " + (value === null ? "not scored" : value.toFixed(1));
              },
            },
          },
        },
      },
    });
  }

  // One chart failing must not leave the others undrawn; its table still carries the figures.
  [healthChart, rubricChart, radarChart].forEach(function (draw) {
    try {
      draw();
    } catch (error) {
      window.console.error(error);
    }
  });
})();
