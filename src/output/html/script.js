// What the page adds when script runs: tooltips on the time charts,
// sorting tables by a column, and a time range for the charts and for
// the figures that can be summed from the time series. Everything shown
// is already in the page without it. Text goes into the page as text
// (textContent), never as markup.
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var Y_UNITS = 1000;
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var rows = report.timeseries.rows;
  var hourly = report.timeseries.bucket === "hour";

  function thousands(n) {
    return n.toLocaleString("en-US");
  }

  // As the summary's tiles: two decimals under 1 %.
  function percent(rate) {
    return (rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1) + " %";
  }

  function humanBytes(n) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    var unit = 0;
    var value = n;
    while (value >= 1024 && unit + 1 < units.length) {
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? n + " B" : value.toFixed(1) + " " + units[unit];
  }

  // As the Rust side draws them (svg.rs: nice_scale, compact, labels).
  function niceScale(max) {
    if (max <= 0) return [1, 1];
    var raw = Math.max(max / 5, 1);
    var magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = 10 * magnitude;
    [1, 2, 5, 10].some(function (m) {
      if (m * magnitude >= raw) {
        step = m * magnitude;
        return true;
      }
      return false;
    });
    step = Math.max(1, Math.round(step));
    return [Math.ceil(max / step) * step, step];
  }

  function compact(n) {
    if (n < 1000) return String(n);
    var scaled = n < 1e6 ? [n / 1e3, "k"] : n < 1e9 ? [n / 1e6, "M"] : [n / 1e9, "G"];
    return scaled[0].toFixed(1).replace(/\.0$/, "") + scaled[1];
  }

  function bucketLabel(start) {
    return hourly ? start.slice(0, 10) + " " + start.slice(11, 16) : start.slice(0, 10);
  }

  function axisLabel(start) {
    return hourly ? bucketLabel(start).slice(5) : bucketLabel(start);
  }

  function svgElement(name, attributes) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) {
      element.setAttribute(key, attributes[key]);
    });
    return element;
  }

  // ---- sorting tables by a column

  function sortBy(table, th, column) {
    var numeric = th.dataset.type === "num";
    var current = th.getAttribute("aria-sort");
    var descending = current ? current === "ascending" : numeric;
    Array.prototype.forEach.call(th.parentNode.cells, function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var body = table.tBodies[0];
    var keyed = Array.prototype.map.call(body.rows, function (tr, index) {
      var cell = tr.cells[column];
      var key = numeric
        ? cell.dataset.v === "" ? -Infinity : Number(cell.dataset.v)
        : cell.textContent;
      return { tr: tr, key: key, index: index };
    });
    keyed.sort(function (a, b) {
      var order = numeric ? a.key - b.key : a.key.localeCompare(b.key);
      if (descending) order = -order;
      return order || a.index - b.index;
    });
    keyed.forEach(function (k) {
      body.appendChild(k.tr);
    });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.title = "Sort by this column";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        sortBy(table, th, column);
      });
    });
  });

  // ---- the time charts: tooltips, and a range of buckets

  var plots = Array.prototype.slice.call(document.querySelectorAll("svg.plot"));
  var controls = document.querySelector("div.range");
  if (!plots.length || !controls || !rows.length) return;

  var from = 0;
  var to = rows.length - 1;
  var tip = document.createElement("div");
  tip.className = "tip";
  tip.hidden = true;
  document.body.appendChild(tip);

  // The SVG titles are the tooltips without script; with it, the same
  // text shows at once, beside the pointer, for both charts.
  var tips = [];
  plots.forEach(function (plot) {
    plot.querySelectorAll("rect.hover").forEach(function (rect) {
      var title = rect.querySelector("title");
      var i = Number(rect.dataset.i);
      if (title) {
        tips[i] = tips[i] ? tips[i] + "\n" + title.textContent.split("\n").slice(1).join("\n") : title.textContent;
        title.remove();
      }
    });
  });

  // Where the plot is on screen. Its own bounding box is that of its
  // shapes, those zoomed out of view included: the box is worked out
  // from the chart around it.
  function plotBox(plot) {
    var chart = plot.ownerSVGElement.getBoundingClientRect();
    var scale = chart.width / plot.ownerSVGElement.viewBox.baseVal.width;
    return {
      left: chart.left + Number(plot.getAttribute("x")) * scale,
      top: chart.top + Number(plot.getAttribute("y")) * scale,
      width: Number(plot.getAttribute("width")) * scale,
      height: Number(plot.getAttribute("height")) * scale,
    };
  }

  function bucketAt(plot, clientX) {
    var box = plotBox(plot);
    var count = to - from + 1;
    var i = from + Math.floor(((clientX - box.left) / box.width) * count);
    return Math.max(from, Math.min(to, i));
  }

  function highlight(i) {
    plots.forEach(function (plot) {
      plot.querySelectorAll("rect.hover.active").forEach(function (rect) {
        rect.classList.remove("active");
      });
      if (i !== null) {
        var rect = plot.querySelector('rect.hover[data-i="' + i + '"]');
        if (rect) rect.classList.add("active");
      }
    });
  }

  function showTip(i, clientX, clientY) {
    tip.textContent = tips[i] || "";
    tip.hidden = false;
    var width = tip.offsetWidth;
    var height = tip.offsetHeight;
    var x = clientX + 14;
    if (x + width > window.innerWidth - 4) x = clientX - width - 14;
    var y = Math.min(clientY + 14, window.innerHeight - height - 4);
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }

  var drag = null;

  function selection(plot, a, b) {
    var rect = plot.querySelector("rect.selection");
    if (!rect) {
      rect = svgElement("rect", { class: "selection", y: 0, height: Y_UNITS });
      plot.appendChild(rect);
    }
    if (a === null) {
      rect.remove();
      return;
    }
    rect.setAttribute("x", Math.min(a, b));
    rect.setAttribute("width", Math.abs(b - a) + 1);
  }

  plots.forEach(function (plot) {
    plot.addEventListener("pointermove", function (event) {
      var i = bucketAt(plot, event.clientX);
      highlight(i);
      showTip(i, event.clientX, event.clientY);
      if (drag && drag.plot === plot) selection(plot, drag.start, i);
    });
    plot.addEventListener("pointerleave", function () {
      highlight(null);
      tip.hidden = true;
    });
    plot.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      drag = { plot: plot, start: bucketAt(plot, event.clientX) };
      plot.setPointerCapture(event.pointerId);
      event.preventDefault();
    });
    plot.addEventListener("pointercancel", function () {
      drag = null;
      selection(plot, null);
    });
    plot.addEventListener("pointerup", function (event) {
      if (!drag || drag.plot !== plot) return;
      var end = bucketAt(plot, event.clientX);
      var start = drag.start;
      drag = null;
      selection(plot, null);
      if (end !== start) setRange(start, end);
    });
  });

  function redraw(plot) {
    var keys = plot.dataset.keys.split(" ");
    var max = 0;
    for (var i = from; i <= to; i++) {
      keys.forEach(function (key) {
        max = Math.max(max, rows[i][key]);
      });
    }
    var scale = niceScale(max);
    var top = scale[0];
    var step = scale[1];
    var height = (top / Number(plot.dataset.top)) * Y_UNITS;
    plot.setAttribute("viewBox", [from, Y_UNITS - height, to - from + 1, height].join(" "));

    var chart = plot.parentNode;
    var left = Number(plot.getAttribute("x"));
    var plotTop = Number(plot.getAttribute("y"));
    var width = Number(plot.getAttribute("width"));
    var plotHeight = Number(plot.getAttribute("height"));
    var yAxis = chart.querySelector(".y-axis");
    var xAxis = chart.querySelector(".x-axis");
    yAxis.textContent = "";
    for (var tick = 0; tick <= top; tick += step) {
      var y = (plotTop + plotHeight - (tick / top) * plotHeight).toFixed(1);
      yAxis.appendChild(svgElement("line", { x1: left, x2: left + width, y1: y, y2: y }));
      var label = svgElement("text", { x: left - 6, y: y, dy: "0.32em", "text-anchor": "end" });
      label.textContent = compact(tick);
      yAxis.appendChild(label);
    }
    xAxis.textContent = "";
    var count = to - from + 1;
    var every = Math.max(1, Math.ceil(count / 8));
    var bottom = chart.viewBox.baseVal.height - 8;
    for (var b = from; b <= to; b += every) {
      var x = (left + ((b - from + 0.5) / count) * width).toFixed(1);
      var text = svgElement("text", { x: x, y: bottom, "text-anchor": "middle" });
      text.textContent = axisLabel(rows[b].start);
      xAxis.appendChild(text);
    }
  }

  // The figures of the range that add up from the time series. Visitors
  // add up over days only: a visitor of two hours of one day is one.
  function rangeFigures() {
    var sum = { hits: 0, pageviews: 0, visitors: 0, bytes: 0, status_4xx: 0, status_5xx: 0 };
    for (var i = from; i <= to; i++) {
      Object.keys(sum).forEach(function (key) {
        sum[key] += rows[i][key];
      });
    }
    var rate = function (n) {
      return sum.hits ? " (" + percent(n / sum.hits) + ")" : "";
    };
    var parts = [
      ["hits", thousands(sum.hits)],
      ["page views", thousands(sum.pageviews)],
    ];
    if (!hourly) parts.push(["visitors", thousands(sum.visitors)]);
    parts.push(
      ["4xx", thousands(sum.status_4xx) + rate(sum.status_4xx)],
      ["5xx", thousands(sum.status_5xx) + rate(sum.status_5xx)],
      ["data sent", humanBytes(sum.bytes)]
    );
    var output = controls.querySelector("output");
    output.textContent =
      bucketLabel(rows[from].start) + " to " + bucketLabel(rows[to].start) + (hourly ? " (hours): " : ": ");
    parts.forEach(function (part, k) {
      if (k) output.appendChild(document.createTextNode(" · "));
      output.appendChild(document.createTextNode(part[0] + " "));
      var figure = document.createElement("b");
      figure.textContent = part[1];
      output.appendChild(figure);
    });
  }

  var seriesRows = Array.prototype.slice.call(
    document.querySelectorAll('[data-section="timeseries"] tbody tr')
  );
  seriesRows.forEach(function (tr, i) {
    tr.dataset.i = i;
  });

  var fromSelect = controls.querySelector('select[name="from"]');
  var toSelect = controls.querySelector('select[name="to"]');
  rows.forEach(function (row, i) {
    [fromSelect, toSelect].forEach(function (select) {
      var option = document.createElement("option");
      option.value = i;
      option.textContent = bucketLabel(row.start);
      select.appendChild(option);
    });
  });

  function setRange(a, b) {
    from = Math.max(0, Math.min(a, b));
    to = Math.min(rows.length - 1, Math.max(a, b));
    fromSelect.value = from;
    toSelect.value = to;
    plots.forEach(redraw);
    rangeFigures();
    seriesRows.forEach(function (tr) {
      var i = Number(tr.dataset.i);
      tr.hidden = i < from || i > to;
    });
  }

  fromSelect.addEventListener("change", function () {
    setRange(Number(fromSelect.value), Math.max(Number(fromSelect.value), to));
  });
  toSelect.addEventListener("change", function () {
    setRange(Math.min(from, Number(toSelect.value)), Number(toSelect.value));
  });
  controls.querySelector('button[name="all"]').addEventListener("click", function () {
    setRange(0, rows.length - 1);
  });
  controls.hidden = false;
  setRange(0, rows.length - 1);
})();
