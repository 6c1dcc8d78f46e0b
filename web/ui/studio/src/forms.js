/* A form's JSON Schema in the studio: checked as JSON and as the part of JSON Schema (draft
 * 2020-12) govflow's forms use, and drawn read-only as the Chinese form a user will see — the same
 * widget per property as web/ui/formkit.py picks. */

const TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];
const WIDGETS = ['textarea', 'attachment', 'radio', 'select'];
const FORMATS = ['date', 'date-time', 'email', 'time', 'uri'];

export function widgetOf(prop) {
  const hint = prop['x-widget'];
  if (hint === 'textarea' || hint === 'attachment') { return hint; }
  if (Array.isArray(prop.enum)) {
    return hint === 'radio' || (hint !== 'select' && prop.enum.length <= 4) ? 'radio' : 'select';
  }
  if (prop.type === 'boolean') { return hint === 'radio' ? 'yesno' : 'checkbox'; }
  if (prop.type === 'integer' || prop.type === 'number') { return prop.type; }
  if (prop.type === 'array') {
    if (prop.items && Array.isArray(prop.items.enum)) { return 'multichoice'; }
    return prop.items && prop.items.type === 'object' ? 'rows' : 'lines';
  }
  if (prop.format === 'date' || prop.format === 'email') { return prop.format; }
  return 'text';
}

function jsonError(text, error) {
  const message = String(error.message || error);
  let line = null, column = null;
  const lc = /line (\d+) column (\d+)/.exec(message);
  const pos = /position (\d+)/.exec(message);
  if (lc) {
    line = Number(lc[1]); column = Number(lc[2]);
  } else if (pos) {
    const before = text.slice(0, Number(pos[1]));
    line = before.split('\n').length;
    column = before.length - before.lastIndexOf('\n');
  }
  return (line ? `第 ${line} 行第 ${column} 列` : '') + 'JSON 语法错误，请检查逗号、引号和括号是否成对';
}

function checkProperty(path, prop, problems) {
  const where = `字段 ${path}`;
  if (!prop || typeof prop !== 'object' || Array.isArray(prop)) {
    problems.push(`${where}：应为对象（{…}）`);
    return;
  }
  if (!prop.title || typeof prop.title !== 'string') { problems.push(`${where}：缺少中文标题 title`); }
  const types = Array.isArray(prop.type) ? prop.type : (prop.type === undefined ? [] : [prop.type]);
  types.forEach((t) => { if (!TYPES.includes(t)) { problems.push(`${where}：未知类型 type "${t}"`); } });
  if (!types.length && !Array.isArray(prop.enum) && prop.const === undefined) {
    problems.push(`${where}：缺少类型 type（string、number、integer、boolean、array、object）`);
  }
  if (prop.enum !== undefined) {
    if (!Array.isArray(prop.enum) || !prop.enum.length) {
      problems.push(`${where}：enum 应为非空数组`);
    } else if (prop['x-enumNames'] !== undefined &&
      (!Array.isArray(prop['x-enumNames']) || prop['x-enumNames'].length !== prop.enum.length)) {
      problems.push(`${where}：x-enumNames 的个数应与 enum 相同（${prop.enum.length} 个）`);
    }
  }
  if (prop['x-widget'] !== undefined && !WIDGETS.includes(prop['x-widget'])) {
    problems.push(`${where}：未知的 x-widget "${prop['x-widget']}"（可用：${WIDGETS.join('、')}）`);
  }
  if (prop.format !== undefined && !FORMATS.includes(prop.format)) {
    problems.push(`${where}：未知的 format "${prop.format}"`);
  }
  ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'].forEach((k) => {
    if (prop[k] !== undefined && typeof prop[k] !== 'number') { problems.push(`${where}：${k} 应为数字`); }
  });
  ['minLength', 'maxLength', 'minItems', 'maxItems'].forEach((k) => {
    if (prop[k] !== undefined && !(Number.isInteger(prop[k]) && prop[k] >= 0)) {
      problems.push(`${where}：${k} 应为非负整数`);
    }
  });
  if (types.includes('array')) {
    if (!prop.items || typeof prop.items !== 'object') {
      problems.push(`${where}：数组字段缺少 items`);
    } else if (prop.items.type === 'object') {
      checkObject(path, prop.items, problems);
    }
  }
  if (types.includes('object') && prop.properties) { checkObject(path, prop, problems); }
}

function checkObject(path, node, problems) {
  const props = node.properties;
  if (props !== undefined && (typeof props !== 'object' || Array.isArray(props))) {
    problems.push(`${path || '表单'}：properties 应为对象`);
    return;
  }
  Object.entries(props || {}).forEach(([key, prop]) => checkProperty(path ? `${path}.${key}` : key, prop, problems));
  if (node.required !== undefined) {
    if (!Array.isArray(node.required) || node.required.some((r) => typeof r !== 'string')) {
      problems.push(`${path || '表单'}：required 应为字段名的数组`);
    } else {
      node.required.filter((r) => !(props && r in props))
        .forEach((r) => problems.push(`${path || '表单'}：required 中的 ${r} 不是已定义的字段`));
    }
  }
}

/** {schema, problems}: problems are Chinese sentences; schema is null when the JSON does not parse. */
export function checkSchema(text) {
  let schema;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    return { schema: null, problems: [jsonError(text, error)] };
  }
  const problems = [];
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    return { schema: null, problems: ['表单结构应为 JSON 对象（{…}）'] };
  }
  if (schema.type !== 'object') { problems.push('顶层应为 "type": "object"'); }
  if (!schema.title) { problems.push('缺少表单的中文标题 title'); }
  if (schema.$schema && !/2020-12/.test(schema.$schema)) { problems.push('$schema 应为 draft 2020-12'); }
  checkObject('', schema, problems);
  return { schema, problems };
}

// -- the read-only preview --------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (v === false || v == null) { return; }
    if (k === 'class') { node.className = v; } else { node.setAttribute(k, v === true ? '' : v); }
  });
  children.flat().forEach((c) => { if (c != null) { node.append(c.nodeType ? c : document.createTextNode(String(c))); } });
  return node;
}

let counter = 0;

function control(prop, widget, id) {
  const source = widget === 'multichoice' ? { ...prop.items, 'x-enumNames': prop['x-enumNames'] || prop.items['x-enumNames'] } : prop;
  const options = (source.enum || []).map((v, i) => [String(v), (source['x-enumNames'] || [])[i] || String(v)]);
  switch (widget) {
    case 'textarea': case 'lines':
      return el('textarea', { id, rows: 2, disabled: true, placeholder: widget === 'lines' ? '每行一项' : null });
    case 'checkbox':
      return el('input', { id, type: 'checkbox', disabled: true });
    case 'yesno': case 'radio':
      return el('span', { class: 'gf-preview-choices' }, (widget === 'yesno' ? [['true', '是'], ['false', '否']] : options)
        .map(([, label]) => el('label', null, el('input', { type: 'radio', disabled: true }), ' ', label)));
    case 'multichoice':
      return el('span', { class: 'gf-preview-choices' },
        options.map(([, label]) => el('label', null, el('input', { type: 'checkbox', disabled: true }), ' ', label)));
    case 'select':
      return el('select', { id, disabled: true }, el('option', null, '请选择'), options.map(([v, l]) => el('option', { value: v }, l)));
    case 'attachment':
      return el('span', { class: 'gf-preview-file' },
        el('button', { id, type: 'button', disabled: true }, '选择文件'), ' 未选择文件（PDF、Word、WPS、OFD 等）');
    case 'date':
      return el('input', { id, type: 'date', disabled: true });
    default:
      return el('input', { id, type: 'text', disabled: true, inputmode: widget === 'integer' ? 'numeric' : null });
  }
}

function field(key, prop, required) {
  const widget = widgetOf(prop);
  const id = `gf-preview-${++counter}`;
  const label = el('label', { for: id }, prop.title || key, required ? el('span', { class: 'req', 'aria-label': '必填' }, ' *') : null);
  if (widget === 'rows') {
    const columns = Object.entries((prop.items && prop.items.properties) || {});
    const req = (prop.items && prop.items.required) || [];
    const rows = Math.max(1, prop.minItems || 0);
    return el('div', { class: 'gf-preview-field gf-preview-rows' },
      el('span', { class: 'gf-preview-label' }, prop.title || key, required ? ' *' : ''),
      el('table', null,
        el('thead', null, el('tr', null, columns.map(([k, c]) => el('th', null, (c.title || k) + (req.includes(k) ? ' *' : ''))))),
        el('tbody', null, Array.from({ length: rows }, () =>
          el('tr', null, columns.map(([, c]) => el('td', null, control(c, widgetOf(c), null))))))),
      prop.description ? el('small', null, prop.description) : null);
  }
  return el('div', { class: 'gf-preview-field gf-preview-' + widget },
    widget === 'checkbox' ? [control(prop, widget, id), ' ', label] : [label, control(prop, widget, id)],
    prop['x-unit'] ? el('span', { class: 'gf-preview-unit' }, prop['x-unit']) : null,
    prop.description ? el('small', null, prop.description) : null);
}

/** Draw the form read-only into `container` (replacing what was there). */
export function renderPreview(container, schema, name) {
  container.replaceChildren();
  if (!schema) { return; }
  const required = schema.required || [];
  container.append(el('form', { class: 'gf-preview-form', 'aria-label': '表单预览：' + (schema.title || name || ''), 'data-form': name || '' },
    el('h3', null, schema.title || name || '表单'),
    name ? el('p', { class: 'gf-preview-name' }, `forms/${name}.schema.json`) : null,
    schema.description ? el('p', { class: 'gf-preview-description' }, schema.description) : null,
    Object.entries(schema.properties || {}).map(([key, prop]) =>
      (prop && typeof prop === 'object' ? field(key, prop, required.includes(key)) : null)),
    Object.keys(schema.properties || {}).length ? null : el('p', { class: 'muted' }, '（此表单没有字段）')));
}
