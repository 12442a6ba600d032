// 督办看板: renders the page's data (the snapshot in the page, then live ones: server-sent events, polling as
// fallback) — the per-department table, the trend chart (inline SVG at the width it is shown), the overdue and
// reopened lists — sorting, and the drill-down into a complaint's history. No libraries, no build step; every text
// goes in as text (textContent, attributes), never as markup.
(function () {
  "use strict";
  var refreshMs = parseInt(document.body.getAttribute("data-refresh-ms"), 10) || 5000;
  var source = null, pollTimer = null, sortState = null, lastTrend = [];

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function query() {
    var p = new URLSearchParams();
    ["from", "to", "policy"].forEach(function (name) { var v = $(name).value; if (v) p.set(name, v); });
    return p.toString();
  }

  // -- the per-department table: its columns are the headings the page carries (data-field, data-sort) ---------------
  function columns() {
    return Array.prototype.map.call($("departments").tHead.querySelectorAll("th[data-field]"), function (th) {
      return {field: th.getAttribute("data-field"), key: th.getAttribute("data-sort")};
    });
  }

  function renderDepartments(summary) {
    var body = $("departments").tBodies[0], cols = columns();
    body.textContent = "";
    summary.departments.concat([summary.total]).forEach(function (d) {
      var tr = el("tr", {"data-dept": d.department});
      if (d.department === "total") tr.className = "total";
      tr.appendChild(el("th", {scope: "row"}, d.name));
      cols.forEach(function (c) {
        var raw = d[c.key];
        var td = el("td", {"data-field": c.field, "data-value": raw === null ? "" : String(raw)}, d.display[c.field]);
        if ((c.field === "overdue" || c.field === "overdue_max") && d.overdue > 0) td.className = "late";
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    (summary.filer_kinds || []).forEach(function (k) {  // the county total split by who filed, under the total
      var tr = el("tr", {"data-filer": k.kind, "class": "total by-filer"});
      tr.appendChild(el("th", {scope: "row"}, "其中" + k.label));
      cols.forEach(function (c) { tr.appendChild(el("td", {"data-field": c.field}, k.display[c.field])); });
      body.appendChild(tr);
    });
    if (sortState) sortTable(sortState.key, sortState.dir, true);
  }

  function sortTable(key, dir, keep) {
    var body = $("departments").tBodies[0];
    var all = Array.prototype.slice.call(body.rows);
    var rows = all.filter(function (r) { return !r.classList.contains("total"); });
    var total = all.filter(function (r) { return r.classList.contains("total"); });
    var col = columns().map(function (c) { return c.key; }).indexOf(key);
    rows.sort(function (a, b) {
      if (col < 0) return dir * a.cells[0].textContent.localeCompare(b.cells[0].textContent, "zh-CN");
      var va = a.cells[col + 1].getAttribute("data-value"), vb = b.cells[col + 1].getAttribute("data-value");
      var na = va === "" ? -Infinity : parseFloat(va), nb = vb === "" ? -Infinity : parseFloat(vb);
      return dir * (na - nb);
    });
    rows.concat(total).forEach(function (r) { body.appendChild(r); });
    if (!keep) sortState = {key: key, dir: dir};
  }

  function bindSorting() {
    Array.prototype.forEach.call($("departments").tHead.querySelectorAll("th[data-sort]"), function (th) {
      th.addEventListener("click", function () {
        var key = th.getAttribute("data-sort");
        sortTable(key, sortState && sortState.key === key ? -sortState.dir : -1);
      });
    });
  }

  // -- the trend chart: drawn at the width it is shown, every label inside it -----------------------------------------
  var SERIES = [["received", "#1f6fb2"], ["answered", "#2e8b57"], ["overdue", "#c62828"]];
  var LABEL_SPACE = 44;  // px an axis label (MM-DD) needs, with a gap
  function renderTrend(points) {
    lastTrend = points;
    var box = $("trend"), ns = "http://www.w3.org/2000/svg";
    var W = Math.max(box.clientWidth, 240), H = 220, L = 36, R = 8, T = 10, B = 28;
    box.textContent = "";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var max = 1;
    points.forEach(function (p) { SERIES.forEach(function (s) { max = Math.max(max, p[s[0]]); }); });
    var n = Math.max(points.length - 1, 1);
    function x(i) { return L + (W - L - R) * i / n; }
    function y(v) { return T + (H - T - B) * (1 - v / max); }
    function add(tag, attrs, text) {
      var node = document.createElementNS(ns, tag);
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    }
    for (var g = 0; g <= 4; g++) {
      var v = Math.round(max * g / 4);
      add("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e3e3e3"});
      add("text", {x: L - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#666"}, String(v));
    }
    // Labels every `step` points, and the last one, anchored at its end so that it stays inside the chart; a label
    // too close to the last one gives way to it.
    var last = points.length - 1;
    var step = Math.max(1, Math.ceil(points.length / Math.max(1, Math.floor((W - L - R) / LABEL_SPACE))));
    points.forEach(function (p, i) {
      var isLast = i === last && last > 0;
      if (!isLast && (i % step !== 0 || (last > 0 && x(last) - x(i) < LABEL_SPACE * 1.25))) return;
      add("text", {x: x(i), y: H - 8, "text-anchor": isLast ? "end" : "middle", "font-size": 11, fill: "#666",
        "class": "axis-day"}, p.day.slice(5));
    });
    SERIES.forEach(function (s) {
      var d = points.map(function (p, i) { return (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p[s[0]]).toFixed(1); });
      if (d.length) add("path", {d: d.join(" "), fill: "none", stroke: s[1], "stroke-width": 2, "data-series": s[0]});
    });
    points.forEach(function (p, i) {
      var t = add("rect", {x: x(i) - 4, y: T, width: 8, height: H - T - B, fill: "transparent"});
      var title = document.createElementNS(ns, "title");
      title.textContent = p.day + " 登记 " + p.received + "，办结 " + p.answered + "，超期 " + p.overdue;
      t.appendChild(title);
    });
    box.appendChild(svg);
  }

  // -- the lists: overdue complaints and reopenings -----------------------------------------------------------------
  function drillCell(item) {
    var td = el("td");
    td.appendChild(el("a", {href: "#complaint-" + item.complaint_id, "class": "drill",
      "data-complaint": item.complaint_id}, item.tracking_number || item.complaint_id.slice(0, 8)));
    return td;
  }

  // A long text takes at most two lines; the whole of it is the cell's tooltip.
  function clampedCell(text, className) {
    var td = el("td", {"class": className});
    td.appendChild(el("div", {"class": "clamp", title: text || ""}, text || ""));
    return td;
  }

  function renderList(table, items, cells) {
    var body = table.tBodies[0];
    var labels = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) { return th.textContent; });
    body.textContent = "";
    if (!items.length) {
      var tr = el("tr", {"class": "empty"});
      tr.appendChild(el("td", {colspan: String(labels.length)}, table.getAttribute("data-empty")));
      body.appendChild(tr);
      return;
    }
    items.forEach(function (item) {
      var tr = el("tr", {"data-complaint": item.complaint_id});
      cells(item).forEach(function (td, i) { td.setAttribute("data-label", labels[i]); tr.appendChild(td); });
      body.appendChild(tr);
    });
  }

  function renderOverdue(items) {
    $("overdue-count").textContent = String(items.length);
    renderList($("overdue"), items, function (it) {
      return [drillCell(it), clampedCell(it.title, "title"), el("td", {}, it.department_name),
        el("td", {}, it.display.policy), el("td", {}, it.display.due_at),
        el("td", {"class": "late"}, it.display.overdue), el("td", {}, it.display.level)];
    });
  }

  function renderReopened(items) {
    $("reopened-count").textContent = String(items.length);
    renderList($("reopened"), items, function (it) {
      return [drillCell(it), clampedCell(it.title, "title"), el("td", {}, it.department_name),
        el("td", {}, it.display.reopened_at), clampedCell(it.reason, "reason"), el("td", {}, it.display.status)];
    });
  }

  function openComplaint(id) {
    fetch("/dashboard/api/complaints/" + encodeURIComponent(id), {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (c) {
        var facts = $("detail-facts"); facts.textContent = "";
        [["诉求编号", c.tracking_number], ["标题", c.title], ["渠道", c.channel_name], ["承办部门", c.department_name],
         ["时限政策", c.policy_name], ["状态", c.status_name], ["登记时间", c.received_at], ["办理时限", c.due_at],
         ["已超期", c.overdue], ["督办级别", c.escalation_level], ["重办次数", String(c.reopened_count)],
         ["回访评价", c.rating]].forEach(function (f) {
          if (!f[1]) return;
          facts.appendChild(el("dt", {}, f[0])); facts.appendChild(el("dd", {}, f[1]));
        });
        var list = $("timeline"); list.textContent = "";
        c.timeline.forEach(function (e) {
          var li = el("li", {"data-kind": e.kind});
          li.appendChild(el("time", {}, e.at));
          li.appendChild(el("strong", {}, e.label));
          if (e.actor) li.appendChild(el("span", {"class": "actor"}, e.actor));
          if (e.department) li.appendChild(el("span", {"class": "dept"}, e.department));
          if (e.detail) li.appendChild(el("span", {"class": "detail"}, e.detail));
          list.appendChild(li);
        });
        $("detail").hidden = false;
        $("detail").setAttribute("data-complaint", c.complaint_id);
        $("detail").scrollIntoView({block: "start"});
      })
      .catch(function () { alert("无法读取该投诉的办理过程"); });
  }

  // -- live refresh -------------------------------------------------------------------------------------------
  function apply(snap) {
    renderDepartments(snap.summary);
    renderTrend(snap.trend);
    renderOverdue(snap.overdue);
    renderReopened(snap.reopened);
    $("refreshed").textContent = snap.summary.now_display;
  }

  function setLive(ok) { $("live").className = ok ? "live on" : "live off"; }

  function connect() {
    if (source) { source.close(); source = null; }
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    if (window.EventSource) {
      source = new EventSource("/dashboard/api/stream?" + query());
      source.addEventListener("snapshot", function (ev) { setLive(true); apply(JSON.parse(ev.data)); });
      source.addEventListener("error", function () { setLive(false); });
    } else {
      var poll = function () {
        var q = query();
        Promise.all(["summary", "trend", "overdue", "reopened"].map(function (p) {
          return fetch("/dashboard/api/" + p + "?" + q, {credentials: "same-origin"}).then(function (r) { return r.json(); });
        })).then(function (r) {
          setLive(true);
          apply({summary: r[0], trend: r[1], overdue: r[2], reopened: r[3]});
        }).catch(function () { setLive(false); });
      };
      poll(); pollTimer = setInterval(poll, refreshMs);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    apply(JSON.parse($("snapshot").textContent));
    bindSorting();
    ["overdue", "reopened"].forEach(function (id) {
      $(id).addEventListener("click", function (ev) {
        var a = ev.target.closest("a.drill");
        if (a) { ev.preventDefault(); openComplaint(a.getAttribute("data-complaint")); }
      });
    });
    $("detail-close").addEventListener("click", function () { $("detail").hidden = true; });
    $("filters").addEventListener("submit", function (ev) {
      ev.preventDefault();
      history.replaceState(null, "", "/dashboard?" + query());
      connect();
    });
    var resizing = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizing);
      resizing = setTimeout(function () { renderTrend(lastTrend); }, 150);
    });
    connect();
  });
})();
