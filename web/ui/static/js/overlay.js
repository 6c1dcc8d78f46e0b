/* The portfolio on the diagram: bpmn-js NavigatedViewer draws a deployed version and every user task,
 * timer and phase (a collapsed sub-process, drawn on a plane of its own) carries the number of
 * projects waiting there and, in red, how many of them are overdue — each a link to the list of
 * those projects. The counts come from GET /api/v1/manage/processes/{key}/statistics; a phase's
 * shape on the outer plane shows the projects waiting anywhere inside it. */
(function () {
  'use strict';

  var host = document.getElementById('overlay-diagram');
  var stateNode = document.getElementById('overlay-state');
  if (!host || !stateNode || typeof window.BpmnJS !== 'function') { return; }
  var state = JSON.parse(stateNode.textContent);
  var viewer = new window.BpmnJS({ container: host, keyboard: { bind: true } });
  var nav = document.getElementById('overlay-phases');
  var mainRoot = null;
  var counts = {};

  function get(url, accept) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: accept } }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return accept === 'application/json' ? response.json() : response.text();
    });
  }

  function link(row) {
    var a = document.createElement('a');
    a.className = 'gf-count';
    a.href = state.waiting_url + '&element=' + encodeURIComponent(row.element);
    a.setAttribute('data-element', row.element);
    a.title = row.title + '：在办 ' + row.active + ' 个项目' + (row.overdue ? '，其中逾期 ' + row.overdue + ' 个' : '');
    a.setAttribute('aria-label', a.title);
    var active = document.createElement('span');
    active.textContent = row.active;
    a.appendChild(active);
    if (row.overdue) {
      var late = document.createElement('span');
      late.className = 'late';
      late.textContent = row.overdue;
      a.appendChild(late);
    }
    return a;
  }

  function mark(rows) {
    var registry = viewer.get('elementRegistry');
    var overlays = viewer.get('overlays');
    rows.forEach(function (row) {
      counts[row.element] = row;
      if (!row.active || !registry.get(row.element)) { return; }
      overlays.add(row.element, 'gf-count', { position: { top: -10, right: 10 }, html: link(row) });
    });
  }

  function isPlane(root) { return !!root && root !== mainRoot && /SubProcess|Transaction/.test(root.type); }

  // Show a plane around the steps where projects wait (the whole plane when none does).
  function open(root) {
    var canvas = viewer.get('canvas'), registry = viewer.get('elementRegistry');
    canvas.setRootElement(root);
    var busy = registry.filter(function (el) {
      return counts[el.id] && counts[el.id].active && !el.waypoints && canvas.findRoot(el) === root;
    });
    canvas.zoom('fit-viewport', 'auto');
    if (!busy.length) { return; }
    var x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    busy.forEach(function (el) {
      x1 = Math.min(x1, el.x); y1 = Math.min(y1, el.y);
      x2 = Math.max(x2, el.x + el.width); y2 = Math.max(y2, el.y + el.height);
    });
    var size = canvas.getSize();
    var scale = Math.max(0.3, Math.min(1.1, size.width / (x2 - x1 + 400), size.height / (y2 - y1 + 240)));
    var width = size.width / scale, height = size.height / scale;
    canvas.viewbox({ x: (x1 + x2) / 2 - width / 2, y: (y1 + y2) / 2 - height / 2, width: width, height: height });
  }

  function buildNav() {
    var canvas = viewer.get('canvas');
    var phases = canvas.getRootElements().filter(isPlane);
    if (!nav || !phases.length) { return; }
    var list = nav.querySelector('[data-phase-list]');
    phases.forEach(function (root) {
      var id = root.businessObject.id, row = counts[id];
      var item = document.createElement('li');
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-small phase' + (row && row.active ? ' phase-active' : '');
      button.setAttribute('data-phase', id);
      button.textContent = (root.businessObject.name || id) + (row && row.active ? '（' + row.active + '）' : '');
      button.addEventListener('click', function () { open(root); });
      item.appendChild(button);
      list.appendChild(item);
    });
    nav.querySelector('[data-phase-back]').addEventListener('click', function (event) {
      event.preventDefault();
      open(mainRoot);
    });
    viewer.on('root.set', function () {
      var current = canvas.getRootElement();
      var openId = isPlane(current) ? current.businessObject.id : null;
      nav.querySelectorAll('[data-phase]').forEach(function (b) {
        if (b.getAttribute('data-phase') === openId) { b.setAttribute('aria-current', 'true'); } else { b.removeAttribute('aria-current'); }
      });
      nav.querySelector('[data-phase-back]').hidden = !openId;
      host.setAttribute('data-plane', openId || '');
    });
    nav.hidden = false;
  }

  Promise.all([get(state.diagram_url, 'application/xml'), get(state.statistics_url, 'application/json')])
    .then(function (answers) {
      return viewer.importXML(answers[0]).then(function () { return answers[1]; });
    })
    .then(function (rows) {
      mainRoot = viewer.get('canvas').getRootElement();
      mark(rows);
      buildNav();
      open(mainRoot);
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
