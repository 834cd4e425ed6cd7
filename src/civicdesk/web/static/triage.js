// Triage suggestions on the intake form while the operator types (docs/triage.md).
// Plain JavaScript, no library: posts the text to /api/triage/suggest (nothing is written)
// and offers the category, place and unit; "采用" fills the form's selects.
(function () {
  "use strict";
  var form = document.querySelector("form[data-triage]");
  var box = document.getElementById("triage-suggest");
  if (!form || !box) return;
  var timer = null, seq = 0;
  function field(name) { return form.elements.namedItem(name); }
  function text(tag, content, cls) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (cls) el.className = cls;
    return el;
  }
  function pick(name, value) {
    var select = field(name);
    if (!select || !value) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) { select.value = value; return; }
    }
  }
  function show(s) {
    box.textContent = "";
    var pct = function (p) { return p === null ? "" : "（" + Math.round(p * 100) + "%）"; };
    var line = text("p", "建议类别：" + (s.category_name || "未能分类") + pct(s.confidence));
    if (s.low_confidence) line.appendChild(text("span", " 低置信度，请确认", "badge overdue"));
    if (s.in_remit === false) line.appendChild(text("span", " 非城管事项", "badge"));
    box.appendChild(line);
    if (s.alternatives.length) {
      box.appendChild(text("p", "其他可能：" + s.alternatives.map(function (a) {
        return a.name + pct(a.confidence);
      }).join("；"), "muted"));
    }
    var where = s.location.name || "未能定位";
    if (s.location.unresolved.length) where += "（" + s.location.unresolved.join("；") + "）";
    box.appendChild(text("p", "建议地点：" + where));
    box.appendChild(text("p", "建议单位：" + (s.route || "—")));
    var use = text("button", "采用建议");
    use.type = "button";
    use.id = "triage-apply";
    use.addEventListener("click", function () {
      pick("category", s.category);
      pick("area", s.location.community || s.location.street);
    });
    box.appendChild(use);
    box.hidden = false;
  }
  function ask() {
    var body = {
      title: field("title").value || null,
      text: field("text").value || "",
      address: field("address").value || null
    };
    if (!body.text && !body.title && !body.address) { box.hidden = true; return; }
    var mine = ++seq;
    fetch("/api/triage/suggest", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s && mine === seq) show(s); })
      .catch(function () { /* suggestions are a help, never a blocker */ });
  }
  ["title", "text", "address"].forEach(function (name) {
    var el = field(name);
    if (el) el.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 400);
    });
  });
})();
