// Charts of the league page (league.html), from the json_script "league-charts-data": one indicator's values
// of every branch the viewer may see against the target (bars + a target line), the branch × indicator
// heatmap of points lost, and small multiples of each branch's total over the windows.
(function () {
  "use strict";
  var source = document.getElementById("league-charts-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var charts = [];
  function make(id) {
    var element = document.getElementById(id);
    if (!element) return null;
    var chart = echarts.init(element);
    charts.push(chart);
    return chart;
  }
  var barsElement = document.getElementById("chart-bars");
  var bars = make("chart-bars");
  var select = document.getElementById("chart-indicator");
  function drawBars() {
    if (!bars) return;
    var indicator = data.indicators[Number(select ? select.value : 0)];
    var lines = [];
    if (indicator.target !== null) lines.push({ name: barsElement.dataset.target, yAxis: indicator.target, lineStyle: { color: "#dc3545" } });
    if (indicator.average !== null) lines.push({ name: barsElement.dataset.average, yAxis: indicator.average, lineStyle: { color: "#6c757d", type: "dotted" } });
    bars.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 70, bottom: 70, top: 30 },
      xAxis: { type: "category", data: data.branches, axisLabel: { rotate: 45 } },
      yAxis: { type: "value", name: indicator.unit, scale: true },
      series: [{
        name: indicator.name, type: "bar", data: indicator.values,
        markLine: { symbol: "none", label: { formatter: "{b} {c}" }, data: lines },
      }],
    }, true);
  }
  if (select) select.addEventListener("change", drawBars);
  drawBars();

  var heatElement = document.getElementById("chart-heat");
  var heat = make("chart-heat");
  if (heat) {
    var max = data.heat.reduce(function (m, p) { return Math.max(m, p[2]); }, 0) || 1;
    heatElement.style.height = Math.max(200, 150 + 24 * data.branches.length) + "px";
    heat.resize();
    heat.setOption({
      tooltip: { formatter: function (p) { return data.branches[p.value[1]] + " · " + data.columns[p.value[0]] + "：" + heatElement.dataset.lost + " " + p.value[2]; } },
      grid: { left: 90, right: 20, top: 10, bottom: 110 },
      xAxis: { type: "category", data: data.columns, axisLabel: { rotate: 60, fontSize: 10 } },
      yAxis: { type: "category", data: data.branches, inverse: true, axisLabel: { interval: 0 } },
      visualMap: { min: 0, max: max, orient: "horizontal", left: "center", bottom: 0, itemHeight: 80, inRange: { color: ["#d1e7dd", "#fff3cd", "#f8d7da", "#b02a37"] } },
      series: [{ type: "heatmap", data: data.heat, label: { show: true, fontSize: 9, formatter: function (p) { return p.value[2] ? p.value[2] : ""; } } }],
    });
  }

  var multiples = make("chart-multiples");
  if (multiples) {
    var columns = 5, n = data.history.length, rows = Math.ceil(n / columns);
    var element = document.getElementById("chart-multiples");
    element.style.height = (rows * 110 + 20) + "px";
    multiples.resize();
    var grids = [], xs = [], ys = [], series = [], titles = [];
    data.history.forEach(function (branch, i) {
      var left = (i % columns) * (100 / columns), top = Math.floor(i / columns) * 110;
      grids.push({ left: (left + 3) + "%", width: (100 / columns - 5) + "%", top: top + 25, height: 60 });
      xs.push({ gridIndex: i, type: "category", data: data.windows, axisLabel: { show: false }, axisTick: { show: false } });
      ys.push({ gridIndex: i, type: "value", scale: true, splitNumber: 2, axisLabel: { fontSize: 9 } });
      series.push({ type: "line", xAxisIndex: i, yAxisIndex: i, data: branch.totals, symbolSize: 3, name: branch.name });
      titles.push({ text: branch.name, left: (left + 3) + "%", top: top + 5, textStyle: { fontSize: 11 } });
    });
    multiples.setOption({ title: titles, grid: grids, xAxis: xs, yAxis: ys, series: series, tooltip: { trigger: "axis" } });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
