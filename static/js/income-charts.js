// Draw every income chart: a div.chart whose id + "-data" names its figure's JSON script.
// Charts follow their container's width (responsive); on a phone the legend goes below the
// plot and the tool bar is left out, so the bars keep the width.
(function () {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll("div.chart").forEach(function (div) {
    var source = document.getElementById(div.id + "-data");
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    var layout = Object.assign({}, figure.layout, { autosize: true });
    var narrow = div.clientWidth < 600;
    if (narrow) {
      layout.legend = Object.assign({}, layout.legend, { orientation: "h", x: 0, y: -0.25, yanchor: "top" });
      layout.margin = Object.assign({}, layout.margin, { l: 48, r: 8, t: 8 });
      layout.height = Math.max(layout.height || 0, 460);
      layout.xaxis = Object.assign({}, layout.xaxis, { tickangle: -60, automargin: true });
    }
    Plotly.newPlot(div, figure.data, layout, {
      responsive: true, displaylogo: false, displayModeBar: narrow ? false : "hover",
    });
  });
})();
