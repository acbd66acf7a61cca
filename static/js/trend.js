// A branch's total and rank over the year-to-date windows (branch_scores.html): data from json_script,
// labels from the chart's data attributes, so the page needs no inline script.
(function () {
  "use strict";
  var element = document.getElementById("trend");
  var data = document.getElementById("trend-data");
  if (!element || !data || typeof echarts === "undefined") return;
  var rows = JSON.parse(data.textContent);
  var total = element.dataset.total, rank = element.dataset.rank;
  var chart = echarts.init(element);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [total, rank] },
    xAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
    yAxis: [{ type: "value", name: total, scale: true },
            { type: "value", name: rank, inverse: true, minInterval: 1, min: 1 }],
    series: [{ name: total, type: "line", data: rows.map(function (r) { return Number(r.total); }) },
             { name: rank, type: "line", yAxisIndex: 1, step: "middle", data: rows.map(function (r) { return r.rank; }) }],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
