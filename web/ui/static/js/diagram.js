/* The instance on its diagram: bpmn-js NavigatedViewer draws the deployed version; completed steps,
 * active steps (the parallel reviews together), waiting timers and the path taken are marked. */
(function () {
  'use strict';

  var host = document.getElementById('diagram');
  var stateNode = document.getElementById('diagram-state');
  if (!host || !stateNode || typeof window.BpmnJS !== 'function') { return; }
  var state = JSON.parse(stateNode.textContent);

  // Elements the engine runs through on its own: a path crosses them between two visited steps.
  var PASS_THROUGH = /^bpmn:(\w+Gateway|ScriptTask|ServiceTask|BusinessRuleTask|SendTask|Task|IntermediateThrowEvent|CallActivity|SubProcess)$/;

  var viewer = new window.BpmnJS({ container: host, keyboard: { bind: true } });

  function badge(overlays, id, text, kind) {
    var span = document.createElement('span');
    span.className = 'gf-badge' + (kind ? ' ' + kind : '');
    span.textContent = text;
    try {
      overlays.add(id, { position: { top: -11, right: 14 }, html: span });
    } catch (ignored) { /* element not on this diagram */ }
  }

  function marker(canvas, registry, id, name) {
    if (registry.get(id)) { canvas.addMarker(id, name); }
  }

  function markPath(canvas, registry, anchors, leftNodes) {
    // From every step that was left, follow sequence flows through engine-only elements until another
    // visited or current step is reached; those flows (and the gateways between) are the path taken.
    leftNodes.forEach(function (id) {
      var start = registry.get(id);
      if (!start) { return; }
      var stack = (start.outgoing || []).map(function (flow) { return [flow, [flow]]; });
      var seen = {};
      while (stack.length) {
        var item = stack.pop(), flow = item[0], trail = item[1];
        if (seen[flow.id]) { continue; }
        seen[flow.id] = true;
        var target = flow.target;
        if (!target) { continue; }
        if (anchors[target.id]) {
          trail.forEach(function (el) {
            canvas.addMarker(el.id, el.waypoints ? 'gf-path' : 'gf-passed');
          });
        } else if (PASS_THROUGH.test(target.type)) {
          (target.outgoing || []).forEach(function (next) { stack.push([next, trail.concat([target, next])]); });
        }
      }
    });
  }

  function mark() {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    var anchors = {};
    var left = state.visited.slice();
    registry.filter(function (el) { return el.type === 'bpmn:StartEvent' && !el.parent.type.match(/SubProcess/); })
      .forEach(function (el) { left.push(el.id); anchors[el.id] = true; });
    state.visited.forEach(function (id) { anchors[id] = true; });
    state.active.forEach(function (t) { anchors[t.name] = true; });
    state.waiting.forEach(function (w) { anchors[w.name] = true; });

    state.visited.forEach(function (id) { marker(canvas, registry, id, 'gf-done'); });
    markPath(canvas, registry, anchors, left);
    state.active.forEach(function (t) {
      if (!registry.get(t.name)) { return; }
      canvas.removeMarker(t.name, 'gf-done');
      canvas.addMarker(t.name, 'gf-active');
      badge(overlays, t.name, t.overdue ? '已逾期' : '办理中', t.overdue ? 'overdue' : '');
    });
    state.waiting.forEach(function (w) {
      if (!registry.get(w.name)) { return; }
      canvas.addMarker(w.name, 'gf-waiting');
      badge(overlays, w.name, '等待中', 'waiting');
    });
  }

  // Open on the current steps at a readable scale (the whole procedure is one "适应窗口" away).
  function focusCurrent() {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var names = state.active.map(function (t) { return t.name; })
      .concat(state.waiting.map(function (w) { return w.name; }));
    if (state.recent) { names.push(state.recent); }  // where the project came from
    var shapes = names.map(function (n) { return registry.get(n); }).filter(Boolean);
    if (!shapes.length || state.ended) { canvas.zoom('fit-viewport', 'auto'); return; }
    var x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    shapes.forEach(function (s) {
      x1 = Math.min(x1, s.x); y1 = Math.min(y1, s.y);
      x2 = Math.max(x2, s.x + s.width); y2 = Math.max(y2, s.y + s.height);
    });
    var size = canvas.getSize();
    var scale = Math.min(1, size.width / (x2 - x1 + 520), size.height / (y2 - y1 + 140));
    scale = Math.max(scale, 0.3);
    var width = size.width / scale, height = size.height / scale;
    canvas.viewbox({ x: (x1 + x2) / 2 - width / 2, y: (y1 + y2) / 2 - height / 2, width: width, height: height });
  }

  function zoom(how) {
    var canvas = viewer.get('canvas');
    if (how === 'fit') { canvas.zoom('fit-viewport', 'auto'); return; }
    if (how === 'current') { focusCurrent(); return; }
    canvas.zoom(canvas.zoom() * (how === 'in' ? 1.2 : 1 / 1.2));
  }

  document.querySelectorAll('[data-zoom]').forEach(function (button) {
    button.addEventListener('click', function () { zoom(button.getAttribute('data-zoom')); });
  });

  fetch(state.url, { credentials: 'same-origin', headers: { Accept: 'application/xml' } })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      mark();
      focusCurrent();
      host.setAttribute('data-ready', 'true');
    })
    .catch(function (error) {
      var p = document.createElement('p');
      p.className = 'diagram-missing';
      p.textContent = '流程图加载失败，请刷新页面重试。（' + error.message + '）';
      host.appendChild(p);
      host.setAttribute('data-ready', 'error');
    });
})();
