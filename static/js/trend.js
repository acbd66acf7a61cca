// A branch's total and rank over the year-to-date windows (branch_scores.html): data from json_script,
// labels from the chart's data attributes, so the page needs no inline script. The rank axis runs from 1
// (on top) to the number of branches; qualitative points are drawn only in windows where they were scored.
(function () {
  "use strict";
  var element = document.getElementById("trend");
  var data = document.getElementById("trend-data");
  if (!element || !data || typeof echarts === "undefined") return;
  var rows = JSON.parse(data.textContent);
  var d = element.dataset;
  var branches = Number(d.branches) || undefined;
  var chart = echarts.init(element);
  var series = [
    { name: d.total, type: "line", data: rows.map(function (r) { return Number(r.total); }) },
    { name: d.rank, type: "line", yAxisIndex: 1, step: "middle", data: rows.map(function (r) { return r.rank; }) },
  ];
  var names = [d.total, d.rank];
  if (d.quantitative) {
    names.push(d.quantitative);
    series.push({ name: d.quantitative, type: "line", lineStyle: { type: "dashed" }, data: rows.map(function (r) { return Number(r.quantitative); }) });
  }
  if (d.qualitative && rows.some(function (r) { return r.qualitative !== null && r.qualitative !== undefined; })) {
    names.push(d.qualitative);
    series.push({ name: d.qualitative, type: "scatter", data: rows.map(function (r) { return r.qualitative === null ? null : Number(r.qualitative); }) });
  }
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: names },
    xAxis: { type: "category", data: rows.map(function (r) { return r.label; }) },
    yAxis: [{ type: "value", name: d.total, scale: true },
            { type: "value", name: d.rank, inverse: true, minInterval: 1, min: 1, max: branches, interval: branches && branches <= 15 ? 1 : undefined }],
    series: series,
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
