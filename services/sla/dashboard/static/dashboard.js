// 督办看板: live refresh (server-sent events, polling as fallback), the trend chart (inline SVG), sorting,
// and the drill-down into a complaint's history. No libraries, no build step.
(function () {
  "use strict";
  var FIELDS = ["received", "open", "due_soon", "overdue", "overdue_max", "answered", "on_time_rate",
    "completion_rate", "avg_handling", "follow_up_rate", "satisfaction_rate", "reroute_rate"];
  var KEYS = {overdue_max: "overdue_max_hours", avg_handling: "avg_handling_hours"};
  var refreshMs = parseInt(document.body.getAttribute("data-refresh-ms"), 10) || 5000;
  var source = null, pollTimer = null, sortState = null;

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

  // -- the per-department table -------------------------------------------------------------------------------
  function renderDepartments(summary) {
    var body = $("departments").tBodies[0];
    var rows = summary.departments.concat([summary.total]);
    body.textContent = "";
    rows.forEach(function (d) {
      var tr = el("tr", {"data-dept": d.department});
      if (d.department === "total") tr.className = "total";
      tr.appendChild(el("th", {scope: "row"}, d.name));
      FIELDS.forEach(function (f) {
        var raw = d[KEYS[f] || f];
        var td = el("td", {"data-field": f, "data-value": raw === null ? "" : String(raw)}, d.display[f]);
        if ((f === "overdue" || f === "overdue_max") && d.overdue > 0) td.className = "late";
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (sortState) sortTable(sortState.key, sortState.dir, true);
  }

  function sortTable(key, dir, keep) {
    var table = $("departments"), body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.className !== "total"; });
    var total = Array.prototype.slice.call(body.rows).filter(function (r) { return r.className === "total"; });
    var col = FIELDS.indexOf(key);
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
    var heads = $("departments").tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      th.addEventListener("click", function () {
        var key = i === 0 ? "name" : FIELDS[i - 1];
        var dir = sortState && sortState.key === key ? -sortState.dir : -1;
        sortTable(key, dir);
      });
    });
  }

  // -- the trend chart ----------------------------------------------------------------------------------------
  var SERIES = [["received", "#1f6fb2"], ["answered", "#2e8b57"], ["overdue", "#c62828"]];
  function renderTrend(points) {
    var box = $("trend"), W = 640, H = 220, L = 40, R = 10, T = 10, B = 30;
    var ns = "http://www.w3.org/2000/svg";
    box.textContent = "";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("role", "img");
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
      add("text", {x: L - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10, fill: "#666"}, String(v));
    }
    points.forEach(function (p, i) {
      if (points.length <= 10 || i % Math.ceil(points.length / 10) === 0 || i === points.length - 1) {
        add("text", {x: x(i), y: H - 10, "text-anchor": "middle", "font-size": 10, fill: "#666"}, p.day.slice(5));
      }
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

  // -- the overdue list and the drill-down --------------------------------------------------------------------
  function renderOverdue(items) {
    var body = $("overdue").tBodies[0];
    body.textContent = "";
    $("overdue-count").textContent = String(items.length);
    if (!items.length) {
      var tr = el("tr", {"class": "empty"}); var td = el("td", {colspan: "7"}, "当前没有超期件");
      tr.appendChild(td); body.appendChild(tr); return;
    }
    items.forEach(function (it) {
      var tr = el("tr", {"data-complaint": it.complaint_id});
      var first = el("td");
      first.appendChild(el("a", {href: "#complaint-" + it.complaint_id, "class": "drill",
        "data-complaint": it.complaint_id}, it.tracking_number || it.complaint_id.slice(0, 8)));
      tr.appendChild(first);
      tr.appendChild(el("td", {}, it.title || ""));
      tr.appendChild(el("td", {}, it.department_name));
      tr.appendChild(el("td", {}, it.display.policy));
      tr.appendChild(el("td", {}, it.display.due_at));
      tr.appendChild(el("td", {"class": "late"}, it.display.overdue));
      tr.appendChild(el("td", {}, it.display.level));
      body.appendChild(tr);
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
    $("refreshed").textContent = snap.summary.now_display;
  }

  function setLive(ok) { $("live").className = ok ? "live on" : "live off"; }

  function connect() {
    if (source) { source.close(); source = null; }
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    if (window.EventSource) {
      source = new EventSource("/dashboard/api/stream?" + query());
      source.addEventListener("snapshot", function (ev) { setLive(true); apply(JSON.parse(ev.data)); });
      source.onerror = function () { setLive(false); };
    } else {
      var poll = function () {
        var q = query();
        Promise.all(["summary", "trend", "overdue"].map(function (p) {
          return fetch("/dashboard/api/" + p + "?" + q, {credentials: "same-origin"}).then(function (r) { return r.json(); });
        })).then(function (r) { setLive(true); apply({summary: r[0], trend: r[1], overdue: r[2]}); })
          .catch(function () { setLive(false); });
      };
      poll(); pollTimer = setInterval(poll, refreshMs);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var initial = JSON.parse($("snapshot").textContent);
    renderTrend(initial.trend);
    bindSorting();
    $("overdue").addEventListener("click", function (ev) {
      var a = ev.target.closest("a.drill");
      if (a) { ev.preventDefault(); openComplaint(a.getAttribute("data-complaint")); }
    });
    $("detail-close").addEventListener("click", function () { $("detail").hidden = true; });
    $("filters").addEventListener("submit", function (ev) {
      ev.preventDefault();
      history.replaceState(null, "", "/dashboard?" + query());
      connect();
    });
    connect();
  });
})();
