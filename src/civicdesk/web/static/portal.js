// The portal's location picker: "use my position", and a map drawn from the configured
// boundaries (SVG) or tile server, when either is configured. No external libraries.
(function () {
  "use strict";
  var lat = document.getElementById("f-lat");
  var lon = document.getElementById("f-lon");
  var box = document.getElementById("map");
  var me = document.getElementById("locate-me");
  if (!lat || !lon || !box) { return; }

  function setPoint(y, x) {
    lat.value = y.toFixed(6);
    lon.value = x.toFixed(6);
    if (box.onpoint) { box.onpoint(y, x); }
  }

  if (me) {
    if (!navigator.geolocation) { me.hidden = true; }
    me.addEventListener("click", function () {
      me.disabled = true;
      navigator.geolocation.getCurrentPosition(function (p) {
        me.disabled = false;
        setPoint(p.coords.latitude, p.coords.longitude);
      }, function () { me.disabled = false; alert("无法获取当前位置，请填写地址或选择街道"); },
      { enableHighAccuracy: true, timeout: 10000 });
    });
  }

  var bounds = [];
  try { bounds = JSON.parse(box.dataset.bounds || "[]"); } catch (e) { bounds = []; }
  if (box.dataset.boundaries) { drawBoundaries(box.dataset.boundaries); }
  else if (box.dataset.tiles && bounds.length === 4) { drawTiles(box.dataset.tiles); }

  function drawBoundaries(url) {
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
      var b = bounds.length === 4 ? bounds : extent(geo);
      var k = Math.cos((b[1] + b[3]) / 2 * Math.PI / 180);
      var w = 1000, h = Math.round(w * (b[3] - b[1]) / ((b[2] - b[0]) * k));
      var ns = "http://www.w3.org/2000/svg";
      var svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "0 0 " + w + " " + h);
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", "区划边界图，点击选择位置");
      function px(c) { return [(c[0] - b[0]) / (b[2] - b[0]) * w, (b[3] - c[1]) / (b[3] - b[1]) * h]; }
      (geo.features || []).forEach(function (f) {
        var g = f.geometry || {}; var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
        var d = "";
        polys.forEach(function (poly) { poly.forEach(function (ring) { ring.forEach(function (c, i) { var p = px(c); d += (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1); }); d += "Z"; }); });
        var path = document.createElementNS(ns, "path");
        path.setAttribute("d", d);
        var title = document.createElementNS(ns, "title");
        title.textContent = (f.properties && f.properties.name) || "";
        path.appendChild(title);
        svg.appendChild(path);
      });
      var dot = document.createElementNS(ns, "circle");
      dot.setAttribute("r", "6"); dot.setAttribute("class", "p-marker"); dot.style.display = "none";
      svg.appendChild(dot);
      svg.addEventListener("click", function (ev) {
        var r = svg.getBoundingClientRect();
        var x = (ev.clientX - r.left) / r.width * w, y = (ev.clientY - r.top) / r.height * h;
        setPoint(b[3] - y / h * (b[3] - b[1]), b[0] + x / w * (b[2] - b[0]));
      });
      box.onpoint = function (y, x) {
        var p = px([x, y]); dot.setAttribute("cx", p[0]); dot.setAttribute("cy", p[1]); dot.style.display = "";
      };
      box.appendChild(svg);
    }).catch(function () { box.insertAdjacentHTML("beforeend", "<p class=\"p-hint\">边界图载入失败</p>"); });
  }

  function extent(geo) {
    var b = [180, 90, -180, -90];
    JSON.stringify(geo.features.map(function (f) { return f.geometry; }), function (k, v) {
      if (Array.isArray(v) && v.length >= 2 && typeof v[0] === "number") {
        b[0] = Math.min(b[0], v[0]); b[1] = Math.min(b[1], v[1]); b[2] = Math.max(b[2], v[0]); b[3] = Math.max(b[3], v[1]);
      }
      return v;
    });
    return b;
  }

  // Web Mercator tiles at a zoom where the city box fits the width; click to pick a point.
  function drawTiles(template) {
    var layer = document.createElement("div");
    layer.className = "p-tiles";
    box.appendChild(layer);
    var width = layer.clientWidth || 320, height = layer.clientHeight || 280;
    function wx(x, z) { return (x + 180) / 360 * 256 * Math.pow(2, z); }
    function wy(y, z) { var s = Math.sin(y * Math.PI / 180); return (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)) * 256 * Math.pow(2, z); }
    var z = 16;
    while (z > 3 && wx(bounds[2], z) - wx(bounds[0], z) > width) { z--; }
    var cx = (wx(bounds[0], z) + wx(bounds[2], z)) / 2, cy = (wy(bounds[1], z) + wy(bounds[3], z)) / 2;
    var left = cx - width / 2, top = cy - height / 2;
    for (var tx = Math.floor(left / 256); tx <= Math.floor((left + width) / 256); tx++) {
      for (var ty = Math.floor(top / 256); ty <= Math.floor((top + height) / 256); ty++) {
        var img = document.createElement("img");
        img.alt = "";
        img.src = template.replace("{z}", z).replace("{x}", tx).replace("{y}", ty).replace("{s}", "a");
        img.style.left = (tx * 256 - left) + "px"; img.style.top = (ty * 256 - top) + "px";
        layer.appendChild(img);
      }
    }
    layer.addEventListener("click", function (ev) {
      var r = layer.getBoundingClientRect();
      var px = left + ev.clientX - r.left, py = top + ev.clientY - r.top, n = 256 * Math.pow(2, z);
      var x = px / n * 360 - 180;
      var y = Math.atan(Math.sinh(Math.PI * (1 - 2 * py / n))) * 180 / Math.PI;
      setPoint(y, x);
    });
  }
})();
