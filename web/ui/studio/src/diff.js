/* The diff page (/design/<key>/diff?from=&to=): the `to` version drawn with added elements green and
 * changed ones orange, the `from` version beside it (or toggled) with the removed ones red. The
 * lists of added / removed / changed elements (what changed, DMN cells included) are the page's own
 * HTML; this script only draws. */
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import { text } from './api.js';
import { phasesOf } from './planes.js';
import { spiffDescriptor } from './moddle.js';
import { TranslateModule } from './translate.js';

function mark(viewer, items, file, marker, label) {
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  items.filter((item) => item.file === file).forEach((item) => {
    const element = registry.get(item.id);
    if (!element || element.type === 'bpmn:Process' || element.type === 'bpmn:Collaboration' || !element.parent) { return; }
    canvas.addMarker(element, marker);
    phasesOf(viewer, element).forEach((phase) => canvas.addMarker(phase, 'gf-inside-' + marker.slice(3)));
    if (!element.waypoints) {
      const badge = document.createElement('span');
      badge.className = 'gf-diff-badge ' + marker;
      badge.textContent = label;
      try { overlays.add(element, { position: { top: -10, right: 10 }, html: badge }); } catch (ignored) { /* no shape */ }
    }
  });
}

async function draw(container, url, ns, fill) {
  container.replaceChildren();
  if (!url) {
    const p = document.createElement('p');
    p.className = 'diagram-missing';
    p.textContent = '此版本没有这个文件。';
    container.append(p);
    return null;
  }
  const viewer = new NavigatedViewer({ container, additionalModules: [TranslateModule],
    moddleExtensions: { [ns.prefix]: spiffDescriptor(ns) } });
  await viewer.importXML(await text(url));
  viewer.gfTop = viewer.get('canvas').getRootElement();
  fill(viewer);
  viewer.get('canvas').zoom('fit-viewport', 'auto');
  return viewer;
}

export async function initDiff(root) {
  const state = JSON.parse(document.getElementById('diff-state').textContent);
  const tabs = document.getElementById('diff-files');
  const fromBox = document.getElementById('diff-from');
  const toBox = document.getElementById('diff-to');
  const canvases = root.querySelector('.diff-canvases');
  let viewers = [];

  const phaseNav = document.getElementById('diff-phases');

  // one 阶段 list for both sides: a phase opens on both diagrams (where it exists)
  function buildPhases() {
    const list = phaseNav.querySelector('[data-phase-list]');
    list.replaceChildren();
    const seen = new Map();
    viewers.filter(Boolean).forEach((viewer) => {
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      canvas.getRootElements().filter((r) => r !== viewer.gfTop && /SubProcess|Transaction/.test(r.type)).forEach((plane) => {
        const shape = registry.get(plane.businessObject.id);
        const changed = shape && ['gf-inside-added', 'gf-inside-changed', 'gf-inside-removed'].some((m) => canvas.hasMarker(shape, m));
        const entry = seen.get(plane.businessObject.id) || { id: plane.businessObject.id,
          name: (shape && shape.businessObject.name) || plane.businessObject.id, changed: false };
        entry.changed = entry.changed || changed;
        seen.set(entry.id, entry);
      });
    });
    const back = phaseNav.querySelector('[data-phase-back]');
    const go = (id) => {
      viewers.filter(Boolean).forEach((viewer) => {
        const canvas = viewer.get('canvas');
        const plane = id ? canvas.getRootElements().find((r) => r !== viewer.gfTop && r.businessObject &&
          r.businessObject.id === id) : viewer.gfTop;
        if (plane) { canvas.setRootElement(plane); canvas.zoom('fit-viewport', 'auto'); }
      });
      back.hidden = !id;
      list.querySelectorAll('[data-phase]').forEach((b) => b.toggleAttribute('aria-current', b.dataset.phase === id));
      root.setAttribute('data-plane', id || '');
    };
    seen.forEach((entry) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'btn btn-small phase' + (entry.changed ? ' phase-changed' : '');
      button.dataset.phase = entry.id;
      button.textContent = entry.name + (entry.changed ? '（有改动）' : '');
      button.addEventListener('click', () => go(entry.id));
      const item = document.createElement('li');
      item.append(button);
      list.append(item);
    });
    back.onclick = () => go(null);
    back.hidden = true;
    phaseNav.hidden = !seen.size;
  }

  async function open(file) {
    tabs.querySelectorAll('[role=tab]').forEach((b) => b.setAttribute('aria-selected', b.dataset.file === file.name ? 'true' : 'false'));
    viewers.forEach((v) => v && v.destroy());
    root.setAttribute('data-ready', 'false');
    try {
      viewers = await Promise.all([
        draw(fromBox, file.from, state.namespace, (viewer) => mark(viewer, state.removed, file.name, 'gf-removed', '删除')),
        draw(toBox, file.to, state.namespace, (viewer) => {
          mark(viewer, state.added, file.name, 'gf-added', '新增');
          mark(viewer, state.changed, file.name, 'gf-changed', '修改');
        })
      ]);
      buildPhases();
      root.setAttribute('data-ready', 'true');
    } catch (error) {
      const p = document.createElement('p');
      p.className = 'alert alert-error';
      p.textContent = '流程图加载失败：' + error.message;
      toBox.replaceChildren(p);
      root.setAttribute('data-ready', 'error');
    }
  }

  state.files.forEach((file, index) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'studio-tab';
    button.setAttribute('role', 'tab');
    button.dataset.file = file.name;
    const count = ['added', 'changed', 'removed'].reduce((n, k) => n + state[k].filter((i) => i.file === file.name).length, 0);
    button.textContent = file.name + (count ? `（${count} 处改动）` : '');
    button.setAttribute('aria-selected', index === 0 ? 'true' : 'false');
    button.addEventListener('click', () => open(file));
    tabs.append(button);
  });

  root.querySelectorAll('[data-layout]').forEach((button) => {
    if (button.closest('.diff-canvases')) { return; }
    button.addEventListener('click', () => {
      canvases.setAttribute('data-layout', button.dataset.layout);
      root.querySelectorAll('button[data-layout]').forEach((b) => b.setAttribute('aria-pressed', b === button ? 'true' : 'false'));
      viewers.forEach((v) => v && v.get('canvas').zoom('fit-viewport', 'auto'));
    });
  });

  const first = state.files.find((f) => ['added', 'changed', 'removed'].some((k) => state[k].some((i) => i.file === f.name))) ||
    state.files[0];
  if (first) {
    tabs.querySelectorAll('[role=tab]').forEach((b) => b.setAttribute('aria-selected', b.dataset.file === first.name ? 'true' : 'false'));
    await open(first);
  } else {
    root.setAttribute('data-ready', 'true');
  }
}
