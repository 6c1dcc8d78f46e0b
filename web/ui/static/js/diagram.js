/* The instance on its diagram: bpmn-js NavigatedViewer draws the deployed version; completed steps,
 * active steps (the parallel reviews together), waiting timers and the path taken are marked.
 * Phases (collapsed sub-processes, each drawn on a plane of its own) are marked like steps from what
 * happens inside them; the 阶段 list above the canvas (and bpmn-js's drill-down) opens a phase's plane,
 * 返回总图 the top one. The page opens on the plane where the project waits. */
(function () {
  'use strict';

  var host = document.getElementById('diagram');
  var stateNode = document.getElementById('diagram-state');
  if (!host || !stateNode || typeof window.BpmnJS !== 'function') { return; }
  var state = JSON.parse(stateNode.textContent);

  // Elements the engine runs through on its own: a path crosses them between two visited steps.
  var PASS_THROUGH = /^bpmn:(\w+Gateway|ScriptTask|ServiceTask|BusinessRuleTask|SendTask|Task|IntermediateThrowEvent|CallActivity|SubProcess)$/;

  var viewer = new window.BpmnJS({ container: host, keyboard: { bind: true } });
  var nav = document.getElementById('diagram-phases');
  var mainRoot = null;       // the top plane (collaboration / process)
  var phaseState = {};       // phase id → 'active' | 'waiting' | 'done'

  function isPlane(root) { return !!root && root !== mainRoot && /SubProcess|Transaction/.test(root.type); }

  // The collapsed sub-processes holding an element, innermost first (their shapes on the outer planes).
  function phasesOf(element) {
    var canvas = viewer.get('canvas'), registry = viewer.get('elementRegistry');
    var found = [], current = element;
    while (current) {
      var root = canvas.findRoot(current);
      var shape = isPlane(root) ? registry.get(root.businessObject.id) : null;
      if (!shape || found.indexOf(shape) >= 0) { break; }
      found.push(shape);
      current = shape;
    }
    return found;
  }

  // Every phase with a plane of its own: outer ones first, then left to right, top to bottom.
  function allPhases() {
    var canvas = viewer.get('canvas'), registry = viewer.get('elementRegistry');
    return canvas.getRootElements().filter(isPlane)
      .map(function (root) { return { root: root, shape: registry.get(root.businessObject.id) }; })
      .filter(function (p) { return p.shape; })
      .map(function (p) { p.depth = phasesOf(p.shape).length; return p; })
      .sort(function (a, b) { return a.depth - b.depth || a.shape.x - b.shape.x || a.shape.y - b.shape.y; });
  }

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

  function markPhases(canvas, registry, overlays) {
    // A phase is active (or waiting) while a step inside it is, done once a step inside it was done.
    function note(id, what) {
      var el = registry.get(id);
      if (!el) { return; }
      phasesOf(el).forEach(function (shape) {
        var now = phaseState[shape.id];
        if (what === 'active' || (what === 'waiting' && now !== 'active') || !now) { phaseState[shape.id] = what; }
      });
    }
    state.visited.forEach(function (id) { note(id, 'done'); });
    state.waiting.forEach(function (w) { note(w.name, 'waiting'); });
    state.active.forEach(function (t) { note(t.name, 'active'); });
    var overdue = {};
    state.active.forEach(function (t) {
      var el = registry.get(t.name);
      if (el && t.overdue) { phasesOf(el).forEach(function (shape) { overdue[shape.id] = true; }); }
    });
    Object.keys(phaseState).forEach(function (id) {
      var what = phaseState[id];
      canvas.addMarker(id, 'gf-' + what);
      if (what === 'active') {
        badge(overlays, id, overdue[id] ? '已逾期' : '办理中', overdue[id] ? 'overdue' : '');
      } else if (what === 'waiting') {
        badge(overlays, id, '等待中', 'waiting');
      }
    });
  }

  function mark() {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    var anchors = {};
    var left = state.visited.slice();
    markPhases(canvas, registry, overlays);
    // Start events were left: the top plane's, and those of the phases the project entered.
    registry.filter(function (el) {
      if (el.type !== 'bpmn:StartEvent') { return false; }
      if (isPlane(el.parent)) { return !!phaseState[el.parent.businessObject.id]; }
      return !el.parent.type.match(/SubProcess/);
    }).forEach(function (el) { left.push(el.id); anchors[el.id] = true; });
    Object.keys(phaseState).forEach(function (id) {
      anchors[id] = true;
      if (phaseState[id] === 'done') { left.push(id); }
    });
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

  // What is current on a plane: the current steps drawn on it, and the phases on it holding some.
  function currentOn(root) {
    var canvas = viewer.get('canvas'), registry = viewer.get('elementRegistry');
    var names = state.active.map(function (t) { return t.name; })
      .concat(state.waiting.map(function (w) { return w.name; }));
    var shapes = [];
    names.forEach(function (name) {
      var el = registry.get(name);
      if (!el) { return; }
      [el].concat(phasesOf(el)).forEach(function (s) {
        if (canvas.findRoot(s) === root && shapes.indexOf(s) < 0) { shapes.push(s); }
      });
    });
    return shapes;
  }

  // The plane where the project waits: that of its first current step (the top one when it ended).
  function waitingRoot() {
    var canvas = viewer.get('canvas'), registry = viewer.get('elementRegistry');
    if (state.ended) { return mainRoot; }
    var names = state.active.map(function (t) { return t.name; })
      .concat(state.waiting.map(function (w) { return w.name; }));
    for (var i = 0; i < names.length; i++) {
      var el = registry.get(names[i]);
      if (el) { return canvas.findRoot(el); }
    }
    return mainRoot;
  }

  function setRoot(root) {
    var canvas = viewer.get('canvas');
    if (root && canvas.getRootElement() !== root) { canvas.setRootElement(root); }
  }

  // Open on the current steps at a readable scale (the whole plane is one "适应窗口" away).
  function focusCurrent(root) {
    var canvas = viewer.get('canvas');
    var registry = viewer.get('elementRegistry');
    root = root || waitingRoot();
    setRoot(root);
    var shapes = currentOn(root);
    var recent = state.recent && registry.get(state.recent);
    if (recent && canvas.findRoot(recent) === root) { shapes.push(recent); }  // where the project came from
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

  // The 阶段 list: one button per phase (its state in words), 返回总图 while a phase is open.
  var PHASE_WORDS = { active: '办理中', waiting: '等待中', done: '已办结' };

  function buildNav() {
    if (!nav) { return; }
    var phases = allPhases();
    if (!phases.length) { return; }  // a diagram without phases: no list
    var list = nav.querySelector('[data-phase-list]');
    phases.forEach(function (p) {
      var item = document.createElement('li');
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-small phase' + (phaseState[p.shape.id] ? ' phase-' + phaseState[p.shape.id] : '');
      button.setAttribute('data-phase', p.shape.id);
      button.textContent = p.shape.businessObject.name || p.shape.id;
      if (phaseState[p.shape.id]) {
        var tag = document.createElement('span');
        tag.className = 'phase-state';
        tag.textContent = '（' + PHASE_WORDS[phaseState[p.shape.id]] + '）';
        button.appendChild(tag);
      }
      button.addEventListener('click', function () { focusCurrent(p.root); });
      item.appendChild(button);
      list.appendChild(item);
    });
    nav.querySelector('[data-phase-back]').addEventListener('click', function (event) {
      event.preventDefault();
      focusCurrent(mainRoot);
    });
    nav.hidden = false;
    viewer.on('root.set', updateNav);
    updateNav();
  }

  function updateNav() {
    var root = viewer.get('canvas').getRootElement();
    var open = isPlane(root) ? root.businessObject.id : null;
    nav.querySelectorAll('[data-phase]').forEach(function (button) {
      if (button.getAttribute('data-phase') === open) {
        button.setAttribute('aria-current', 'true');
      } else {
        button.removeAttribute('aria-current');
      }
    });
    nav.querySelector('[data-phase-back]').hidden = !open;
    host.setAttribute('data-plane', open || '');
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
      mainRoot = viewer.get('canvas').getRootElement();
      mark();
      buildNav();
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
