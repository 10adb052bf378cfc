/* Draws the dashboard's and account page's charts from the JSON the view embeds, and lets
   the period pickers switch a chart's period without reloading (their links work without
   script). Plotly is served from our own static files. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Plotly === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var config = { displaylogo: false, responsive: true, displayModeBar: false };
  var base = {
    margin: { l: 55, r: 10, t: 10, b: 30 },
    hovermode: "x unified",
    legend: { orientation: "h", x: 0, y: 1.12 },
    font: { family: "system-ui, sans-serif", size: 12 },
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
  };
  function layout(extra) { return Object.assign({}, base, extra); }
  function line(x, y, name, extra) {
    return Object.assign({ x: x, y: y, name: name, type: "scatter", mode: "lines" }, extra || {});
  }

  var draw = {
    value: function (period) {
      var lines = data.lines[period];
      if (!lines || !document.getElementById("chart-value")) { return; }
      Plotly.react("chart-value", [
        line(lines.x, lines.value, "Value", { line: { color: "#b4532a", width: 2 },
          hovertemplate: "$%{y:,.0f}" }),
        line(lines.x, lines.contributions, "Start value + net deposits", { line: { color: "#616e7c", dash: "dot" },
          hovertemplate: "$%{y:,.0f}" }),
      ], layout({ yaxis: { tickprefix: "$", tickformat: "~s" } }), config);
    },
    twr: function (period) {
      var lines = data.lines[period];
      if (!lines || !document.getElementById("chart-twr")) { return; }
      var traces = [line(lines.x, lines.twr, "Portfolio", { line: { color: "#b4532a", width: 2 },
        hovertemplate: "%{y:+.2%}" })];
      if (lines.benchmark) {
        traces.push(line(lines.x, lines.benchmark, data.benchmark || "Benchmark",
          { line: { color: "#3182ce", dash: "dash" }, hovertemplate: "%{y:+.2%}", connectgaps: true }));
      }
      Plotly.react("chart-twr", traces, layout({ yaxis: { tickformat: ".0%", zeroline: true } }), config);
    },
  };

  Object.keys(draw).forEach(function (chart) { draw[chart](data.period); });

  if (data.sunburst && document.getElementById("chart-sunburst")) {
    Plotly.newPlot("chart-sunburst", data.sunburst.data,
      Object.assign({}, data.sunburst.layout, { font: base.font, paper_bgcolor: "#fff" }), config);
  }
  if (data.income && document.getElementById("chart-income")) {
    var income = data.income;
    // One legend entry a source: its received bars carry it, its projected bars join them.
    var received = {};
    income.data.forEach(function (trace) {
      var match = / \((received|projected)\)$/.exec(trace.name || "");
      if (!match) { return; }
      trace.legendgroup = trace.name.slice(0, match.index);
      if (match[1] === "received") { received[trace.legendgroup] = true; }
    });
    income.data.forEach(function (trace) {
      if (!trace.legendgroup) { return; }
      trace.showlegend = !/\(projected\)$/.test(trace.name) || !received[trace.legendgroup];
      trace.name = trace.legendgroup;
    });
    var months = income.data.length ? income.data[0].x : [];
    var box = document.getElementById("chart-income");
    var step = box.clientWidth < 520 ? 6 : 3;  // a phone fits four month labels
    var ticks = months.filter(function (_, i) { return i % step === 0; });
    var incomeLayout = Object.assign({}, income.layout, {
      margin: { l: 50, r: 10, t: 10, b: 30 }, showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.18, font: { size: 11 } },
      xaxis: { tickmode: "array", tickvals: ticks, tickangle: 0,
        ticktext: ticks.map(function (m) { return m.replace(/ (\d\d)(\d\d)$/, " ’$2"); }) },
      yaxis: Object.assign({}, income.layout.yaxis, { title: null }),
    });
    Plotly.newPlot("chart-income", income.data, incomeLayout, config);
  }

  document.querySelectorAll(".periods[data-chart]").forEach(function (picker) {
    picker.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-period]");
      if (!link) { return; }
      event.preventDefault();
      picker.querySelectorAll("a").forEach(function (a) { a.classList.toggle("on", a === link); });
      draw[picker.dataset.chart](link.dataset.period);
      if (window.history && history.replaceState) { history.replaceState(null, "", link.href); }
    });
  });
})();
