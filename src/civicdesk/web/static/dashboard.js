// Draws every chart of a dashboard or report page: each <script type="application/json"
// data-chart="ID"> holds a plotly figure for the element with that id. No inline script, so the
// pages' Content-Security-Policy can allow scripts from this server only.
(function () {
  "use strict";
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  function draw() {
    var nodes = document.querySelectorAll("script[type='application/json'][data-chart]");
    Array.prototype.forEach.call(nodes, function (node) {
      var target = document.getElementById(node.getAttribute("data-chart"));
      if (!target || !window.Plotly) { return; }
      var figure = JSON.parse(node.textContent);
      window.Plotly.newPlot(target, figure.data, figure.layout, config).then(function () {
        target.setAttribute("data-rendered", "true");
      });
    });
  }
  // Before printing, fit the charts to the page width.
  window.addEventListener("beforeprint", function () {
    var charts = document.querySelectorAll(".chart[data-rendered]");
    Array.prototype.forEach.call(charts, function (c) { window.Plotly.Plots.resize(c); });
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
(function () {
  "use strict";
  var button = document.getElementById("print-report");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
