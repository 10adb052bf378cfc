// Draw every income chart: a div.chart whose id + "-data" names its figure's JSON script.
(function () {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll("div.chart").forEach(function (div) {
    var source = document.getElementById(div.id + "-data");
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(div, figure.data, figure.layout, { responsive: true, displaylogo: false });
  });
})();
