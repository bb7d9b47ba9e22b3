// Member statistics charts. The CSP forbids inline scripts, and htmx (allowScriptTags=false)
// strips every <script> from swapped content, JSON blocks included, so a chart is declared as
//   <div data-chart='{"kind": "donut|pie|bar", "name", "labels", "values"}'
//        data-echarts-src="/static/vendor/echarts.min.js"></div>
// and drawn here, on the first page load and after every htmx swap; ECharts loads on first use.
(function () {
  "use strict";
  var COLORS = ["#b7191f", "#f5c242", "#e8743b", "#7a0d12", "#4299e1", "#6b7785",
    "#2fb344", "#ae3ec9", "#f76707", "#17a2b8"];
  var FONT = '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
  var loading = null;

  function loadEcharts(src) {
    if (window.echarts) return Promise.resolve(window.echarts);
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = src;
        s.onload = function () { resolve(window.echarts); };
        s.onerror = function () { loading = null; reject(new Error("echarts")); };
        document.head.appendChild(s);
      });
    }
    return loading;
  }

  function pieOption(data, donut) {
    // Counts go in the legend and shares on the slices: both stay short on a 375 px screen.
    var counts = {};
    data.labels.forEach(function (label, i) { counts[label] = data.values[i]; });
    return {
      color: COLORS,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: "{b}：{c} 人（{d}%）" },
      legend: {
        bottom: 0,
        type: "scroll",
        formatter: function (name) { return name + " " + counts[name] + " 人"; }
      },
      series: [{
        name: data.name,
        type: "pie",
        radius: donut ? ["38%", "58%"] : "56%",
        center: ["50%", "45%"],
        avoidLabelOverlap: true,
        label: {
          overflow: "none",  // short labels; ECharts would otherwise truncate them near the edge
          formatter: function (p) { return p.name + " " + p.percent.toFixed(1) + "%"; }
        },
        data: data.labels.map(function (label, i) { return { name: label, value: data.values[i] }; })
          .filter(function (d) { return d.value > 0; })
      }]
    };
  }

  function barOption(data) {
    // Horizontal bars: category names stay readable on a 375 px screen.
    return {
      color: COLORS,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: "{b}：{c} 人" },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      // Every bar carries its value, so the value axis needs no labels (they crowd at 375 px).
      xAxis: {
        type: "value", minInterval: 1, axisLabel: { show: false },
        splitLine: { lineStyle: { type: "dashed" } }
      },
      yAxis: { type: "category", inverse: true, data: data.labels, axisTick: { show: false } },
      series: [{
        name: data.name,
        type: "bar",
        data: data.values,
        barMaxWidth: 18,
        itemStyle: { color: COLORS[0], borderRadius: [0, 3, 3, 0] },
        label: { show: true, position: "right" }
      }]
    };
  }

  function optionFor(data, width) {
    if (data.kind === "bar") return barOption(data);
    var option = pieOption(data, data.kind === "donut");
    // Too narrow for labels beside the slices: the legend still carries every count.
    if (width < 320) option.series[0].label.show = false;
    return option;
  }

  function draw(el, echarts) {
    if (!el.isConnected) return;
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-chart"));
    } catch (e) {
      return;
    }
    var chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: "svg" });
    chart.setOption(optionFor(data, el.clientWidth), true);
    if (window.ResizeObserver && !el._memberChartObserver) {
      el._memberChartObserver = new ResizeObserver(function () { chart.resize(); });
      el._memberChartObserver.observe(el);
    }
  }

  function init(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var els = Array.prototype.slice.call(scope.querySelectorAll("[data-chart]"));
    if (scope.matches && scope.matches("[data-chart]")) els.push(scope);
    els = els.filter(function (el) { return !el.hasAttribute("data-chart-ready"); });
    if (!els.length) return;
    els.forEach(function (el) { el.setAttribute("data-chart-ready", ""); });
    loadEcharts(els[0].getAttribute("data-echarts-src")).then(function (echarts) {
      els.forEach(function (el) { draw(el, echarts); });
    }, function () {
      els.forEach(function (el) {
        el.textContent = "图表加载失败，请展开下方“查看数据”。";
        el.classList.add("text-secondary", "small");
      });
    });
  }

  function dispose(root) {
    if (!window.echarts || !root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-chart-ready]").forEach(function (el) {
      if (el._memberChartObserver) el._memberChartObserver.disconnect();
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) chart.dispose();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // The whole document, not the swap target: an outerHTML swap's target is the old element.
  document.addEventListener("htmx:afterSettle", function () { init(document); });
  document.addEventListener("htmx:beforeSwap", function (evt) { dispose(evt.detail.target); });
})();
