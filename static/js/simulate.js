// The simulator page (templates/kpi/simulate/page.html): htmx posts the form and swaps the results;
// this draws the sensitivity chart (each branch's rank per value) from the swapped-in data attribute.
(function () {
  "use strict";

  function draw(root) {
    var element = root.querySelector ? root.querySelector("#sens-chart") : null;
    if (!element && root.id === "sens-chart") element = root;
    if (!element || typeof echarts === "undefined") return;
    var data = JSON.parse(element.dataset.chart);
    var chart = echarts.init(element);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { top: 40, left: 40, right: 20, bottom: 40 },
      xAxis: { type: "category", name: element.dataset.x, data: data.values },
      yAxis: { type: "value", name: element.dataset.y, inverse: true, min: 1, max: data.branches, minInterval: 1 },
      series: data.series.map(function (s) { return { name: s.name, type: "line", step: "middle", data: s.data }; }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.body.addEventListener("htmx:afterSwap", function (event) { draw(event.detail.target); });
})();
