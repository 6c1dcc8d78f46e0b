/* The modeler page (/design/<key>): one tab per file of the version's bundle (the BPMN files in a
 * bpmn-js Modeler with the properties panel and bpmnlint, each DMN file in dmn-js) and a 表单 tab
 * for the forms' JSON Schemas. 检查 posts the bundle to the validate call; each problem is listed
 * in Chinese and marked on its element. 部署新版本 posts it with a change note (and the edited
 * forms); an invalid bundle is refused with its problems and nothing is deployed. */
import BpmnModeler from 'bpmn-js/lib/Modeler';
import DmnModeler from 'dmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import lintModule from 'bpmn-js-bpmnlint';
import lintConfig from 'bpmnlint-config';

import { request, RequestFailed } from './api.js';
import { checkSchema, renderPreview } from './forms.js';
import { spiffDescriptor } from './moddle.js';
import { phasesOf } from './planes.js';
import { GovflowPropertiesModule } from './provider.js';
import { TranslateModule } from './translate.js';

function $(selector, root = document) { return root.querySelector(selector); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (v === false || v == null) { return; }
    if (k === 'class') { node.className = v; } else if (k.startsWith('on')) { node.addEventListener(k.slice(2), v); } else { node.setAttribute(k, v === true ? '' : v); }
  });
  children.flat().forEach((c) => { if (c != null) { node.append(c.nodeType ? c : document.createTextNode(String(c))); } });
  return node;
}

function decisionsOf(name, xml) {
  const found = [];
  const re = /<(?:\w+:)?decision\s[^>]*?id="([^"]+)"[^>]*>/g;
  let m;
  while ((m = re.exec(xml))) {
    const nameMatch = /\sname="([^"]*)"/.exec(m[0]);
    found.push({ id: m[1], name: nameMatch ? nameMatch[1] : m[1], file: name });
  }
  return found;
}

function xmlHasId(xml, id) {
  return xml.indexOf(`id="${id}"`) >= 0;
}

const PROBLEM_MARK = 'gf-problem';

// Put an element in the middle of the canvas, at a readable scale.
function centerOn(canvas, element) {
  const box = canvas.viewbox();
  const scale = Math.min(Math.max(box.scale, 0.6), 0.85);
  const size = canvas.getSize();
  const width = size.width / scale, height = size.height / scale;
  canvas.viewbox({ x: element.x + element.width / 2 - width / 2, y: element.y + element.height / 2 - height / 2, width, height });
}

// The whole plane when it is readable so; a wide procedure opens at its start, lanes fully visible.
function readableView(canvas) {
  canvas.zoom('fit-viewport', 'auto');
  const box = canvas.viewbox();
  if (box.scale >= 0.6) { return; }
  const size = canvas.getSize();
  const scale = Math.max(0.6, Math.min(1, size.height / (box.inner.height + 80)));
  canvas.viewbox({ x: box.inner.x - 20, y: box.inner.y - 40, width: size.width / scale, height: size.height / scale });
}

export async function initModeler(root) {
  const status = $('#studio-status');
  const alertBox = $('#studio-alert');
  const say = (text) => { alertBox.hidden = true; status.textContent = text; };
  const fail = (text) => { alertBox.hidden = false; alertBox.textContent = text; };

  let context;
  try {
    ({ data: context } = await request('GET', root.dataset.context));
  } catch (error) {
    fail('无法载入流程设计数据：' + error.message);
    root.setAttribute('data-ready', 'error');
    return;
  }

  const ns = context.extensions.namespace;
  const tabs = $('#studio-tabs');
  const editors = $('#studio-editors');
  const problemList = $('#studio-problems');
  const problemSection = $('#studio-problem-section');
  const files = context.files.map((f) => ({ ...f, modeler: null, baseline: null, problems: [], view: null }));
  const forms = Object.fromEntries(context.forms.map((f) => [f.name, { ...f, text: JSON.stringify(f.schema, null, 2) }]));
  const editedForms = {};   // form name → schema text typed in the 表单 tab
  let current = null;

  // -- the studio API the properties provider calls ------------------------------------------------
  const studio = {
    context,
    decisions: () => files.filter((f) => f.kind === 'dmn').flatMap((f) => decisionsOf(f.name, f.text)),
    previewForm: (name) => openDrawer(name),
    formChanged: (name) => {
      if (current && current.drawer && !current.drawer.hidden) {
        if (name && forms[name]) { openDrawer(name); } else { closeDrawer(current); }
      }
    },
    editForm: (name) => { showFormTab(name); },
    openDecision: (id) => {
      const file = files.find((f) => f.kind === 'dmn' && decisionsOf(f.name, f.text).some((d) => d.id === id));
      if (file) { show(file); }
    }
  };

  // -- tabs -----------------------------------------------------------------------------------------
  function tabButton(label, kind, key) {
    const button = el('button', { type: 'button', role: 'tab', class: 'studio-tab tab-' + kind, 'data-tab': key,
      'aria-selected': 'false', id: 'tab-' + key.replace(/[^\w-]/g, '_') }, label);
    tabs.append(button);
    return button;
  }

  files.forEach((file) => {
    file.tab = tabButton(file.name, file.kind, file.name);
    file.pane = el('section', { class: 'studio-pane pane-' + file.kind, role: 'tabpanel', hidden: true,
      'data-file': file.name, 'aria-labelledby': file.tab.id });
    editors.append(file.pane);
    file.tab.addEventListener('click', () => show(file));
  });
  const formsTab = tabButton('表单', 'forms', '__forms__');
  const formsPane = $('#studio-forms');
  formsPane.setAttribute('aria-labelledby', formsTab.id);
  formsTab.addEventListener('click', () => showFormTab());

  function selectTab(button) {
    tabs.querySelectorAll('[role=tab]').forEach((b) => b.setAttribute('aria-selected', b === button ? 'true' : 'false'));
  }

  async function ensureEditor(file) {
    if (file.modeler) { return file.modeler; }
    file.pane.hidden = false;
    if (file.kind === 'bpmn') {
      const canvas = el('div', { class: 'studio-canvas', 'data-canvas': file.name });
      const panel = el('div', { class: 'studio-panel', 'aria-label': '属性面板' });
      const phases = el('nav', { class: 'phase-nav', 'aria-label': '阶段', hidden: true },
        el('span', { class: 'phase-nav-label', 'aria-hidden': 'true' }, '阶段：'),
        el('button', { type: 'button', class: 'btn btn-small phase-back', 'data-phase-back': '', hidden: true }, '返回总图'),
        el('ul', { class: 'phase-list', 'data-phase-list': '' }));
      file.drawer = el('aside', { class: 'form-drawer', hidden: true, 'aria-label': '表单预览' },
        el('div', { class: 'form-drawer-head' },
          el('h2', { 'data-drawer-title': '' }, '表单预览'),
          el('button', { type: 'button', class: 'btn btn-small', 'data-drawer-close': '',
            onclick: () => closeDrawer(file) }, '关闭')),
        el('div', { class: 'form-preview', 'data-drawer-body': '' }));
      file.pane.append(phases, el('div', { class: 'studio-split' }, canvas, file.drawer, panel));
      file.modeler = new BpmnModeler({
        container: canvas,
        propertiesPanel: { parent: panel, layout: { groups: { general: { open: true }, govflow: { open: true },
          'govflow-lane': { open: true } } } },
        additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, GovflowPropertiesModule,
          lintModule, TranslateModule],
        moddleExtensions: { [ns.prefix]: spiffDescriptor(ns) },
        linting: { bpmnlint: lintConfig, active: true },
        govflow: studio
      });
      const result = await file.modeler.importXML(file.text);
      if (result.warnings && result.warnings.length) {
        console.warn('bpmn import warnings', file.name, result.warnings);
      }
      file.baseline = (await file.modeler.saveXML({ format: true })).xml;
      readableView(file.modeler.get('canvas'));
      const svg = canvas.querySelector('.djs-container > svg');
      if (svg) { svg.setAttribute('aria-label', `流程图编辑区：${file.name}（Ctrl+F 搜索元素）`); }
      file.modeler.on('commandStack.changed', () => markDirty());
      setUpPhases(file, phases);
      applyMarks(file);
    } else {
      const container = el('div', { class: 'studio-dmn', 'data-dmn': file.name });
      file.pane.append(container);
      const views = { additionalModules: [TranslateModule] };
      file.modeler = new DmnModeler({ container, drd: views, decisionTable: views, literalExpression: views,
        boxedExpression: views });
      await file.modeler.importXML(file.text);
      const table = file.modeler.getViews().find((v) => v.type === 'decisionTable');
      if (table) { await file.modeler.open(table); }
      file.baseline = (await file.modeler.saveXML({ format: true })).xml;
      file.modeler.on('views.changed', () => applyMarks(file));
      container.addEventListener('input', () => markDirty());
      applyMarks(file);
    }
    return file.modeler;
  }

  async function show(file) {
    current = file;
    files.forEach((f) => { f.pane.hidden = f !== file; });
    formsPane.hidden = true;
    selectTab(file.tab);
    try {
      await ensureEditor(file);
    } catch (error) {
      file.pane.append(el('p', { class: 'alert alert-error' }, `无法打开 ${file.name}：${error.message}`));
    }
    root.setAttribute('data-active', file.name);
    return file;
  }

  // -- collapsed sub-processes (phases) -----------------------------------------------------------
  function setUpPhases(file, nav) {
    const canvas = file.modeler.get('canvas');
    const registry = file.modeler.get('elementRegistry');
    const top = canvas.getRootElement();
    const planes = canvas.getRootElements().filter((r) => r !== top && /SubProcess|Transaction/.test(r.type));
    if (!planes.length) { return; }
    const list = $('[data-phase-list]', nav);
    planes.forEach((plane) => {
      const shape = registry.get(plane.businessObject.id);
      list.append(el('li', null, el('button', { type: 'button', class: 'btn btn-small phase', 'data-phase': plane.businessObject.id,
        onclick: () => { canvas.setRootElement(plane); readableView(canvas); } },
      (shape && shape.businessObject.name) || plane.businessObject.id)));
    });
    const back = $('[data-phase-back]', nav);
    back.addEventListener('click', () => { canvas.setRootElement(top); readableView(canvas); });
    const update = () => {
      const open = canvas.getRootElement() !== top ? canvas.getRootElement().businessObject.id : null;
      back.hidden = !open;
      root.setAttribute('data-plane', open || '');
      nav.querySelectorAll('[data-phase]').forEach((b) => b.toggleAttribute('aria-current', b.getAttribute('data-phase') === open));
    };
    file.modeler.on('root.set', update);
    nav.hidden = false;
    update();
  }

  // -- the form drawer and the 表单 tab -----------------------------------------------------------
  function schemaOf(name) {
    if (editedForms[name] !== undefined) { return checkSchema(editedForms[name]).schema; }
    return forms[name] ? forms[name].schema : null;
  }

  // beside the properties panel, in the pane of the diagram being edited
  function openDrawer(name) {
    if (!current || !current.drawer) { return; }
    const drawer = current.drawer;
    $('[data-drawer-title]', drawer).textContent = '表单预览：' + ((forms[name] && forms[name].title) || name);
    renderPreview($('[data-drawer-body]', drawer), schemaOf(name), name);
    drawer.hidden = false;
    drawer.setAttribute('data-form', name);
    current.pane.classList.add('with-drawer');
    const canvas = current.modeler.get('canvas');
    canvas.resized();
    const [selected] = current.modeler.get('selection').get();
    if (selected && !selected.waypoints) { centerOn(canvas, selected); }
  }

  function closeDrawer(file) {
    file.drawer.hidden = true;
    file.pane.classList.remove('with-drawer');
    file.modeler.get('canvas').resized();
  }

  const formSelect = $('#form-select');
  const formText = $('#form-schema');
  const formProblems = $('#form-problems');
  const formPreview = $('#form-preview');
  const formNames = Object.keys(forms);
  const localForms = formNames.filter((n) => !n.startsWith('common/'));
  [[context.process.jurisdiction_name + '的表单', localForms], ['通用表单', formNames.filter((n) => n.startsWith('common/'))]]
    .forEach(([label, names]) => {
      formSelect.append(el('optgroup', { label }, names.map((n) =>
        el('option', { value: n }, `${forms[n].title}（${n}）${forms[n].used ? ' · 本流程在用' : ''}`))));
    });

  function loadForm(name) {
    formSelect.value = name;
    formText.value = editedForms[name] !== undefined ? editedForms[name] : forms[name].text;
    checkForm();
  }

  function checkForm() {
    const name = formSelect.value;
    const { schema, problems } = checkSchema(formText.value);
    formProblems.replaceChildren(...problems.map((p) => el('li', null, p)));
    formProblems.hidden = !problems.length;
    formText.setAttribute('aria-invalid', problems.length ? 'true' : 'false');
    $('#form-check-ok').hidden = !!problems.length;
    if (schema) { renderPreview(formPreview, schema, name); }
    const changed = formText.value !== forms[name].text;
    if (changed) { editedForms[name] = formText.value; } else { delete editedForms[name]; }
    $('#form-edited-count').textContent = Object.keys(editedForms).length
      ? `已修改 ${Object.keys(editedForms).length} 个表单，将随新版本一同部署：${Object.keys(editedForms).join('、')}` : '';
    markDirty();
  }

  function showFormTab(name) {
    files.forEach((f) => { f.pane.hidden = true; });
    formsPane.hidden = false;
    selectTab(formsTab);
    root.setAttribute('data-active', '__forms__');
    loadForm(name || formSelect.value || localForms[0] || formNames[0]);
  }

  formSelect.addEventListener('change', () => loadForm(formSelect.value));
  formText.addEventListener('input', checkForm);
  $('#form-reset').addEventListener('click', () => {
    delete editedForms[formSelect.value];
    loadForm(formSelect.value);
  });

  // -- the bundle as it is now -------------------------------------------------------------------
  async function currentText(file) {
    if (!file.modeler) { return file.text; }
    const { xml } = await file.modeler.saveXML({ format: true });
    return xml === file.baseline ? file.text : xml;
  }

  async function bundle() {
    const result = {};
    for (const file of files) { result[file.name] = await currentText(file); }
    return result;
  }

  function formsToDeploy() {
    const bad = [];
    const result = {};
    Object.entries(editedForms).forEach(([name, text]) => {
      const { schema, problems } = checkSchema(text);
      if (problems.length) { bad.push(name); } else { result[name] = schema; }
    });
    return { forms: result, bad };
  }

  function markDirty() {
    root.setAttribute('data-dirty', 'true');
  }

  // -- problems: listed and marked ---------------------------------------------------------------
  function fileForProblem(problem) {
    const id = problem.element;
    const named = files.find((f) => f.name === problem.file);
    if (id && named && xmlHasId(named.text, id)) { return named; }
    return (id && files.find((f) => xmlHasId(f.text, id))) || named || null;
  }

  function clearMarks(file) {
    if (!file.modeler) { return; }
    if (file.kind === 'bpmn') {
      const canvas = file.modeler.get('canvas');
      const overlays = file.modeler.get('overlays');
      overlays.remove({ type: PROBLEM_MARK });
      file.modeler.get('elementRegistry').forEach((e) => {
        canvas.removeMarker(e, PROBLEM_MARK);
        canvas.removeMarker(e, 'gf-problem-inside');
      });
    } else {
      file.pane.querySelectorAll('.' + PROBLEM_MARK).forEach((n) => n.classList.remove(PROBLEM_MARK));
    }
  }

  function applyMarks(file) {
    if (!file.modeler) { return; }
    clearMarks(file);
    if (file.kind === 'bpmn') {
      const canvas = file.modeler.get('canvas');
      const overlays = file.modeler.get('overlays');
      const registry = file.modeler.get('elementRegistry');
      const byElement = {};
      file.problems.forEach((p) => { (byElement[p.element] = byElement[p.element] || []).push(p); });
      Object.entries(byElement).forEach(([id, problems]) => {
        const element = registry.get(id);
        if (!element) { return; }
        canvas.addMarker(element, PROBLEM_MARK);
        phasesOf(file.modeler, element).forEach((phase) => canvas.addMarker(phase, 'gf-problem-inside'));
        const badge = el('button', { type: 'button', class: 'gf-problem-badge', 'data-problem-element': id,
          title: problems.map((p) => p.message).join('\n'), 'aria-label': '问题：' + problems.map((p) => p.message).join('；') },
        String(problems.length));
        badge.addEventListener('click', (event) => { event.stopPropagation(); focusElement(file, id); });
        overlays.add(element, PROBLEM_MARK, { position: { top: -12, left: -12 }, html: badge });
      });
    } else {
      file.problems.forEach((p) => {
        file.pane.querySelectorAll(`[data-element-id="${CSS.escape(p.element || '')}"]`)
          .forEach((n) => n.classList.add(PROBLEM_MARK));
      });
    }
  }

  async function focusElement(file, id) {
    await show(file);
    if (file.kind !== 'bpmn') { return; }
    const registry = file.modeler.get('elementRegistry');
    const canvas = file.modeler.get('canvas');
    const element = registry.get(id);
    if (!element) { return; }
    const plane = canvas.findRoot(element);
    if (plane && plane !== canvas.getRootElement()) { canvas.setRootElement(plane); }
    file.modeler.get('selection').select(element);
    if (!element.waypoints) { centerOn(canvas, element); }
  }

  function elementName(file, id) {
    if (file && file.modeler && file.kind === 'bpmn') {
      const element = file.modeler.get('elementRegistry').get(id);
      if (element && element.businessObject.name) { return element.businessObject.name; }
    }
    if (file) {
      const m = new RegExp(`id="${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*?\\sname="([^"]*)"`).exec(file.text);
      if (m) { return m[1]; }
    }
    return '';
  }

  function showProblems(problems, heading) {
    files.forEach((f) => { f.problems = []; });
    problemList.replaceChildren();
    problems.forEach((problem) => {
      const file = fileForProblem(problem);
      if (file) { file.problems.push(problem); }
      const name = problem.element && problem.element !== '?' ? elementName(file, problem.element) : '';
      const where = [file ? file.name : problem.file,
        problem.element && problem.element !== '?' ? (name ? `${name}（${problem.element}）` : problem.element) : null,
        problem.line ? `第 ${problem.line} 行` : null].filter(Boolean).join(' · ');
      const item = el('li', { 'data-element': problem.element || '', 'data-file': file ? file.name : problem.file || '' },
        el('button', { type: 'button', class: 'problem-link', onclick: () => { if (file) { focusElement(file, problem.element); } } },
          el('span', { class: 'problem-where' }, where), el('span', { class: 'problem-message' }, problem.message)));
      problemList.append(item);
    });
    $('#studio-problem-heading').textContent = heading;
    problemSection.hidden = false;
    problemSection.classList.toggle('has-problems', problems.length > 0);
    files.forEach(applyMarks);
  }

  // -- validate and deploy -----------------------------------------------------------------------
  async function validate() {
    say('正在检查…');
    const { forms: formsOut, bad } = formsToDeploy();
    if (bad.length) {
      fail('以下表单的结构有误，请先在“表单”页改正：' + bad.join('、'));
      return null;
    }
    try {
      const { status: code, data } = await request('POST', context.urls.validate,
        { files: await bundle(), forms: formsOut }, { accept: [422] });
      const problems = (data && data.problems) || [];
      showProblems(problems, problems.length ? `检查发现 ${problems.length} 个问题` : '检查通过：没有发现问题');
      say(problems.length ? `检查发现 ${problems.length} 个问题，请逐一改正。` : '检查通过，可以部署。');
      root.setAttribute('data-validated', code === 200 && !problems.length ? 'ok' : 'problems');
      return problems;
    } catch (error) {
      fail(error instanceof RequestFailed ? error.message : '检查失败：' + error.message);
      return null;
    }
  }

  const deployDialog = $('#deploy-dialog');
  const noteField = $('#deploy-note');
  const noteError = $('#deploy-note-error');

  async function deploy(event) {
    event.preventDefault();
    const note = noteField.value.trim();
    if (!note) {
      noteError.hidden = false;
      noteField.setAttribute('aria-invalid', 'true');
      noteField.focus();
      return;
    }
    noteError.hidden = true;
    noteField.removeAttribute('aria-invalid');
    const { forms: formsOut, bad } = formsToDeploy();
    if (bad.length) {
      deployDialog.close();
      fail('以下表单的结构有误，请先在“表单”页改正：' + bad.join('、'));
      return;
    }
    const submit = $('#deploy-submit');
    submit.disabled = true;
    say('正在部署…');
    try {
      const files_ = await bundle();
      const body = { files: files_, note };
      if (Object.keys(formsOut).length) { body.forms = formsOut; }
      const { status: code, data } = await request('POST', context.urls.deploy, body, { accept: [422] });
      deployDialog.close();
      if (code === 422) {
        const problems = (data && data.problems) || [];
        showProblems(problems, `未部署：发现 ${problems.length} 个问题`);
        fail(`未部署：流程有 ${problems.length} 个问题，请改正后再部署。线上版本未作任何改动。`);
        root.setAttribute('data-deployed', 'refused');
        return;
      }
      if (data.created === false) {
        say(`没有改动：与第 ${data.version} 版相同，未生成新版本。`);
        root.setAttribute('data-deployed', 'unchanged');
        return;
      }
      // the deployed texts are the new starting point
      for (const file of files) {
        file.text = files_[file.name];
        if (file.modeler) { file.baseline = (await file.modeler.saveXML({ format: true })).xml; }
      }
      Object.entries(formsOut).forEach(([name, schema]) => {
        forms[name].text = editedForms[name]; forms[name].schema = schema; delete editedForms[name];
      });
      $('#form-edited-count').textContent = '';
      context.version = data.version;
      $('#studio-version').textContent = `第 ${data.version} 版`;
      showProblems([], '检查通过：没有发现问题');
      root.setAttribute('data-dirty', 'false');
      root.setAttribute('data-deployed', String(data.version));
      noteField.value = '';
      say(`已部署第 ${data.version} 版。新发起的项目按新版本办理，办理中的项目仍按原版本。`);
    } catch (error) {
      deployDialog.close();
      fail(error instanceof RequestFailed ? error.message : '部署失败：' + error.message);
    } finally {
      submit.disabled = false;
    }
  }

  $('#studio-validate').addEventListener('click', validate);
  $('#studio-deploy').addEventListener('click', () => {
    noteError.hidden = true;
    deployDialog.showModal();
    noteField.focus();
  });
  $('#deploy-form').addEventListener('submit', deploy);
  $('#deploy-cancel').addEventListener('click', () => deployDialog.close());

  // the files as they are now, for a download or a check by hand
  window.gfStudio = {
    xml: async (name) => currentText(files.find((f) => f.name === name)),
    // the file as the editor writes it (opening it if need be), for checking the round trip
    exported: async (name) => {
      const file = files.find((f) => f.name === name);
      await show(file);
      return (await file.modeler.saveXML({ format: true })).xml;
    },
    bundle
  };

  const main = files.find((f) => f.name === context.main) || files[0];
  await show(main);
  root.setAttribute('data-ready', 'true');
  say('');
}
