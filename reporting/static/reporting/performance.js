/* Draws the performance page's charts from the JSON the view embeds (already thinned to
   at most 1,500 points per series). Plotly is served from our own static files. */
(function () {
  "use strict";
  var source = document.getElementById("performance-chart-data");
  if (!source || typeof Plotly === "undefined") { return; }
  var charts = JSON.parse(source.textContent);
  var narrow = window.matchMedia("(max-width: 640px)").matches;
  var layout = function (yFormat) {
    return {
      autosize: true,
      margin: narrow ? { l: 48, r: 8, t: 8, b: 36 } : { l: 60, r: 20, t: 10, b: 40 },
      hovermode: "x unified",
      legend: { orientation: "h", y: -0.2 },
      yaxis: { tickformat: yFormat },
    };
  };
  var config = { displaylogo: false, responsive: true, displayModeBar: narrow ? false : "hover" };
  var line = function (points, name, extra) {
    return Object.assign({ x: points.x, y: points.y, name: name, type: "scatter", mode: "lines" }, extra || {});
  };

  Plotly.newPlot("chart-value", [
    line(charts.value, "Value"),
    line(charts.contributions, "Net contributions", { line: { dash: "dot" } }),
  ], layout(",.0f"), config);

  var twr = [line(charts.twr, "Portfolio")];
  if (charts.benchmark) { twr.push(line(charts.benchmark, "Benchmark", { line: { dash: "dash" } })); }
  Plotly.newPlot("chart-twr", twr, layout(".1%"), config);

  Plotly.newPlot("chart-drawdown", [
    line(charts.drawdown, "Drawdown", { fill: "tozeroy", line: { color: "#c53030" } }),
  ], layout(".1%"), config);
})();
