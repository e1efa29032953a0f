// Draws the dashboard's two charts from the data the page embeds (the same numbers as the
// tables beneath them, which stay the page's content when scripts do not run).
(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var red = "#b8232f", colours = [red, "#1f5fa8", "#2e9d5b", "#e0a100", "#7a4fa0"];

  function show(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    el.hidden = false;
    return echarts.init(el, null, { renderer: "canvas" });
  }

  var trend = show("trend-chart");
  if (trend) {
    trend.setOption({
      animation: false,
      color: colours,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 50, right: 50, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.months },
      yAxis: [
        { type: "value", name: "件" },
        { type: "value", name: "%", min: 0, max: 100 }
      ],
      series: [
        { name: "收件量", type: "bar", data: data.received },
        { name: "办件量", type: "bar", data: data.dispatched },
        { name: "收件及时率", type: "line", yAxisIndex: 1, data: data.intake },
        { name: "办理及时率", type: "line", yAxisIndex: 1, data: data.processing },
        { name: "办结率", type: "line", yAxisIndex: 1, data: data.completion }
      ]
    });
  }
  var byDimension = show("dimension-chart");
  if (byDimension) {
    byDimension.setOption({
      animation: false,
      color: [red],
      tooltip: { trigger: "axis" },
      grid: { left: 160, right: 30, top: 20, bottom: 30 },
      xAxis: { type: "value", name: "办件量" },
      yAxis: { type: "category", inverse: true, data: data.labels },
      series: [{ name: "办件量", type: "bar", data: data.volumes }]
    });
  }
  window.addEventListener("resize", function () {
    if (trend) { trend.resize(); }
    if (byDimension) { byDimension.resize(); }
  });
  document.documentElement.dataset.chartsReady = "yes";
})();
