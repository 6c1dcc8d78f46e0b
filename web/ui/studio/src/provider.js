/* govflow's properties provider: the groups and typed fields of engine/modeling/extensions.json
 * (served in the studio's context.json), with pickers filled from the jurisdiction: roles for lanes,
 * forms for user tasks (with a preview of the rendered Chinese form), citations for the legal basis
 * (the article text shown), outcomes for end events; `pattern`s checked as typed with a Chinese
 * error under the field. Plus the Python bits SpiffWorkflow executes (conditions, scripts, the
 * decision a business rule task calls). */
import { h } from '@bpmn-io/properties-panel/preact';
import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import {
  SelectEntry, TextAreaEntry, TextFieldEntry,
  isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited
} from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

import { getBodyElement, getProperty, setBodyElement, setProperty } from './extension.js';
import { laneRole, lanePrefix, laneOf, lanesBeside, moveToLane } from './lanes.js';

const PATTERN_MESSAGES = {
  duration: '格式应为 数字+单位：10wd（法定工作日）、30d（自然日）或 1m（月），如 10wd',
  clock: '只能用小写字母、数字和下划线，以字母开头，如 tech_review',
  outputKey: '只能用字母、数字和下划线，不能以数字开头'
};

function appliesTo(def, element) {
  return isAny(getBusinessObject(element), def.elements || []);
}

function isRequired(def, element) {
  return def.required || (def.required_on && isAny(getBusinessObject(element), def.required_on));
}

function patternError(key, def, value) {
  if (!value || !def.pattern) { return null; }
  if (new RegExp(def.pattern).test(value)) { return null; }
  return PATTERN_MESSAGES[def.kind === 'duration' ? 'duration' : key] || ('格式不正确：' + def.description);
}

function requiredError(def, element, value) {
  if (value || !isRequired(def, element)) { return null; }
  return '必填：' + def.label + '不能为空';
}

// -- one field per extension property ------------------------------------------------------------

function usePropertyAccess(element, key) {
  const injector = useService('injector');
  const studio = useService('config.govflow');
  const ns = studio.context.extensions.namespace;
  return {
    studio,
    get: () => getProperty(element, ns, key),
    set: (value) => setProperty(injector, element, ns, key, value)
  };
}

function TextProperty(props) {
  const { element, id, propKey, def } = props;
  const translate = useService('translate');
  const debounce = useService('debounceInput');
  const { get, set } = usePropertyAccess(element, propKey);
  const validate = (value) => requiredError(def, element, value) || patternError(propKey, def, (value || '').trim());
  return h(TextFieldEntry, {
    element, id, label: def.label, description: def.description, debounce, translate,
    getValue: () => get(),
    setValue: (value, error) => { if (!error || !value) { set((value || '').trim()); } },
    validate
  });
}

function ExpressionProperty(props) {
  const { element, id, propKey, def } = props;
  const debounce = useService('debounceInput');
  const { get, set } = usePropertyAccess(element, propKey);
  return h(TextAreaEntry, {
    element, id, label: def.label, description: def.description, debounce, rows: 2, monospace: true,
    getValue: () => get(), setValue: (value) => set((value || '').trim()),
    validate: (value) => requiredError(def, element, value)
  });
}

function FormProperty(props) {
  const { element, id, propKey, def } = props;
  const { studio, get, set } = usePropertyAccess(element, propKey);
  const forms = studio.context.forms;
  const local = forms.filter((f) => !f.name.startsWith('common/'));
  const common = forms.filter((f) => f.name.startsWith('common/'));
  const current = get();
  const option = (f) => ({ value: f.name, label: `${f.title}（${f.name}）` });
  const getOptions = () => {
    const options = [{ value: '', label: '（请选择表单）' }];
    if (current && !forms.some((f) => f.name === current)) {
      options.push({ value: current, label: `${current}（表单不存在）` });
    }
    options.push({ label: studio.context.process.jurisdiction_name + '的表单', children: local.map(option) });
    options.push({ label: '通用表单', children: common.map(option) });
    return options;
  };
  return h('div', { class: 'gf-form-entry' },
    h(SelectEntry, {
      element, id, label: def.label, description: def.description, getOptions,
      getValue: () => get(), setValue: (value) => { set(value); studio.formChanged(value); },
      validate: (value) => requiredError(def, element, value) ||
        (value && !forms.some((f) => f.name === value) ? `表单不存在：forms/${value}.schema.json` : null)
    }),
    current && forms.some((f) => f.name === current) ? h('div', { class: 'gf-entry-actions' },
      h('button', { type: 'button', class: 'gf-link-button', 'data-action': 'preview-form',
        onClick: () => studio.previewForm(current) }, '预览表单'),
      h('button', { type: 'button', class: 'gf-link-button', 'data-action': 'edit-form',
        onClick: () => studio.editForm(current) }, '编辑表单结构')) : null);
}

function splitArticles(value) {
  return (value || '').replace(/，/g, ',').split(',').map((s) => s.trim()).filter(Boolean);
}

function CitationsProperty(props) {
  const { element, id, propKey, def } = props;
  const { studio, get, set } = usePropertyAccess(element, propKey);
  const [picked, setPicked] = useState('');
  const citations = studio.context.citations;
  const text = Object.fromEntries(citations.map((c) => [c.article, c.text]));
  const chosen = splitArticles(get());
  const error = requiredError(def, element, chosen.join(',')) ||
    (chosen.filter((a) => !(a in text)).length
      ? '条款未在辖区条文表中：' + chosen.filter((a) => !(a in text)).join('、') : null);
  const remove = (article) => set(chosen.filter((a) => a !== article).join(','));
  const add = (article) => { if (article && !chosen.includes(article)) { set(chosen.concat([article]).join(',')); } };
  const selectId = 'bio-properties-panel-' + id;
  return h('div', { class: 'bio-properties-panel-entry gf-citations' + (error ? ' has-error' : ''), 'data-entry-id': id },
    h('label', { class: 'bio-properties-panel-label', for: selectId }, def.label),
    h('ul', { class: 'gf-citation-list' }, chosen.map((article) =>
      h('li', { key: article, 'data-article': article },
        h('div', { class: 'gf-citation-head' },
          h('strong', null, article),
          h('button', { type: 'button', class: 'gf-link-button', title: '移除 ' + article,
            'aria-label': '移除 ' + article, onClick: () => remove(article) }, '移除')),
        h('p', { class: 'gf-citation-text' }, text[article] || '（条文表中没有此条）')))),
    h('select', { id: selectId, class: 'bio-properties-panel-input', value: picked,
      onInput: (e) => { add(e.target.value); setPicked(''); e.target.value = ''; } },
    h('option', { value: '' }, chosen.length ? '添加条款…' : '选择条款…'),
    citations.filter((c) => !chosen.includes(c.article)).map((c) =>
      h('option', { value: c.article, key: c.article }, c.article + '　' + c.text.slice(0, 28) + (c.text.length > 28 ? '…' : '')))),
    error ? h('div', { class: 'bio-properties-panel-error' }, error) : null,
    h('div', { class: 'bio-properties-panel-description' }, def.description));
}

function OutcomeProperty(props) {
  const { element, id, propKey, def } = props;
  const { studio, get, set } = usePropertyAccess(element, propKey);
  const outcomes = studio.context.outcomes;
  const current = get();
  const getOptions = () => {
    const options = [{ value: '', label: '（未设置）' }];
    if (current && !outcomes.some((o) => o.code === current)) {
      options.push({ value: current, label: `${current}（未在结果表中）` });
    }
    return options.concat(outcomes.map((o) => ({ value: o.code, label: `${o.label}（${o.code}）` })));
  };
  return h(SelectEntry, {
    element, id, label: def.label, description: def.description, getOptions,
    getValue: () => get(), setValue: (value) => set(value),
    validate: (value) => requiredError(def, element, value)
  });
}

const COMPONENTS = {
  form: FormProperty, citations: CitationsProperty, outcome: OutcomeProperty,
  duration: TextProperty, text: TextProperty, expression: ExpressionProperty
};

function propertyEntries(element, extensions) {
  const entries = [];
  for (const [key, def] of Object.entries(extensions.properties)) {
    if (!appliesTo(def, element)) { continue; }
    entries.push({
      id: 'govflow-' + key, propKey: key, def, component: COMPONENTS[def.kind] || TextProperty,
      isEdited: (node) => !!(node && (node.value || node.querySelector && node.querySelector('li')))
    });
  }
  return entries;
}

// -- lanes are roles ----------------------------------------------------------------------------

function roleOptions(studio, current) {
  const roles = studio.context.roles;
  const options = [{ value: '', label: '（请选择角色）' }];
  if (current && !roles.some((r) => r.key === current)) {
    options.push({ value: current, label: `${current}（辖区未声明此角色）` });
  }
  return options.concat(roles.map((r) => ({ value: r.key, label: `${r.label}（${r.key}）` })));
}

function LaneRole(props) {
  const { element, id } = props;
  const studio = useService('config.govflow');
  const modeling = useService('modeling');
  const registry = useService('elementRegistry');
  const pattern = studio.context.extensions.lanes.id_pattern;
  const bo = getBusinessObject(element);
  const current = laneRole(bo.id, pattern);
  const validate = (value) => {
    if (!value) { return '请选择泳道对应的角色（泳道 id 为 lane_<角色>）'; }
    if (!studio.context.roles.some((r) => r.key === value)) {
      return `角色 ${value} 未在 processes/${studio.context.process.jurisdiction}/jurisdiction.json 的 roles 中声明`;
    }
    const wanted = lanePrefix(bo) + 'lane_' + value;
    const other = registry.get(wanted);
    if (wanted !== bo.id && other) { return '已有此角色的泳道：' + (other.businessObject.name || wanted); }
    return null;
  };
  return h(SelectEntry, {
    element, id, label: '角色', getOptions: () => roleOptions(studio, current),
    description: studio.context.extensions.lanes.description,
    getValue: () => current || '',
    setValue: (value, error) => {
      if (error || !value) { return; }
      const role = studio.context.roles.find((r) => r.key === value);
      modeling.updateProperties(element, { id: lanePrefix(bo) + 'lane_' + value, name: role.label });
    },
    validate
  });
}

function TaskLane(props) {
  const { element, id } = props;
  const studio = useService('config.govflow');
  const injector = useService('injector');
  const pattern = studio.context.extensions.lanes.id_pattern;
  const lanes = lanesBeside(injector, element);
  const current = laneOf(injector, element);
  const label = (lane) => {
    const role = laneRole(lane.id, pattern);
    const name = lane.businessObject.name || lane.id;
    return role ? `${name}（${role}）` : `${name}（${lane.id}：不是角色泳道）`;
  };
  const getOptions = () => (current ? [] : [{ value: '', label: '（不在任何泳道中）' }])
    .concat(lanes.map((lane) => ({ value: lane.id, label: label(lane) })));
  return h(SelectEntry, {
    element, id, label: '办理角色（所在泳道）', getOptions,
    description: '选择另一条泳道即把任务移入该泳道，由该角色办理',
    getValue: () => (current ? current.id : ''),
    setValue: (value) => {
      const target = lanes.find((lane) => lane.id === value);
      if (target) { moveToLane(injector, element, target); }
    },
    validate: (value) => {
      if (!value) { return '用户任务须位于按角色命名的泳道中'; }
      const lane = lanes.find((l) => l.id === value);
      return lane && !laneRole(lane.id, pattern) ? '泳道 id 应为 lane_<角色> 或 <子流程id>_lane_<角色>' : null;
    }
  });
}

// -- what SpiffWorkflow executes ------------------------------------------------------------------

function ConditionEntry(props) {
  const { element, id } = props;
  const debounce = useService('debounceInput');
  const modeling = useService('modeling');
  const bpmnFactory = useService('bpmnFactory');
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element, id, label: '条件（Python 表达式）', debounce, rows: 2, monospace: true,
    description: '在流程数据上求值，如 decision == "approve" 或 total_investment > 400',
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || '',
    setValue: (value) => {
      value = (value || '').trim();
      if (!value) { modeling.updateProperties(element, { conditionExpression: undefined }); return; }
      if (bo.conditionExpression) {
        modeling.updateModdleProperties(element, bo.conditionExpression, { body: value });
      } else {
        modeling.updateProperties(element, { conditionExpression: bpmnFactory.create('bpmn:FormalExpression', { body: value }) });
      }
    }
  });
}

function ScriptEntry(props) {
  const { element, id } = props;
  const debounce = useService('debounceInput');
  const modeling = useService('modeling');
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element, id, label: '脚本（Python）', debounce, rows: 6, monospace: true,
    description: '在沙箱中执行：不能 import，不能使用下划线开头的属性',
    getValue: () => bo.get('script') || '',
    setValue: (value) => modeling.updateProperties(element, { script: value || undefined })
  });
}

function DecisionEntry(props) {
  const { element, id } = props;
  const studio = useService('config.govflow');
  const injector = useService('injector');
  const ns = studio.context.extensions.namespace;
  const current = getBodyElement(element, ns, 'CalledDecisionId');
  const decisions = studio.decisions();
  const getOptions = () => {
    const options = [{ value: '', label: '（请选择决策表）' }];
    if (current && !decisions.some((d) => d.id === current)) {
      options.push({ value: current, label: `${current}（本流程的文件中没有此决策表）` });
    }
    return options.concat(decisions.map((d) => ({ value: d.id, label: `${d.name}（${d.file}）` })));
  };
  return h('div', null,
    h(SelectEntry, {
      element, id, label: '调用的决策表', getOptions,
      getValue: () => current, setValue: (value) => setBodyElement(injector, element, ns, 'CalledDecisionId', value),
      validate: (value) => (value ? null : '业务规则任务须选择决策表')
    }),
    current && decisions.some((d) => d.id === current) ? h('div', { class: 'gf-entry-actions' },
      h('button', { type: 'button', class: 'gf-link-button', onClick: () => studio.openDecision(current) },
        '打开决策表')) : null);
}

function CalledElementEntry(props) {
  const { element, id } = props;
  const debounce = useService('debounceInput');
  const modeling = useService('modeling');
  const bo = getBusinessObject(element);
  return h(TextFieldEntry, {
    element, id, label: '调用的流程（流程标识）', debounce,
    description: '同一辖区的流程标识，如 yaohai.collective_decision（与本流程一同部署）',
    getValue: () => bo.get('calledElement') || '',
    setValue: (value) => modeling.updateProperties(element, { calledElement: (value || '').trim() || undefined }),
    validate: (value) => (value ? null : '调用活动须填写被调用流程的标识')
  });
}

function flowNeedsCondition(element) {
  const bo = getBusinessObject(element);
  return is(bo, 'bpmn:SequenceFlow') && bo.sourceRef &&
    isAny(bo.sourceRef, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway']) && bo.sourceRef.default !== bo;
}

export default class GovflowPropertiesProvider {
  constructor(propertiesPanel, injector) {
    this._injector = injector;
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const studio = this._injector.get('config.govflow');
      const extensions = studio.context.extensions;
      const added = [];
      if (is(element, 'bpmn:Lane')) {
        added.push({ id: 'govflow-lane', label: '泳道（角色）', entries: [
          { id: 'govflow-lane-role', component: LaneRole, isEdited: isSelectEntryEdited }] });
      }
      const own = propertyEntries(element, extensions);
      if (is(element, 'bpmn:UserTask')) {
        own.unshift({ id: 'govflow-task-lane', component: TaskLane, isEdited: isSelectEntryEdited });
      }
      if (is(element, 'bpmn:BusinessRuleTask')) {
        own.unshift({ id: 'govflow-decision', component: DecisionEntry, isEdited: isSelectEntryEdited });
      }
      if (is(element, 'bpmn:CallActivity')) {
        own.unshift({ id: 'govflow-called-element', component: CalledElementEntry, isEdited: isTextFieldEntryEdited });
      }
      if (is(element, 'bpmn:ScriptTask')) {
        own.push({ id: 'govflow-script', component: ScriptEntry, isEdited: isTextAreaEntryEdited });
      }
      if (flowNeedsCondition(element)) {
        own.push({ id: 'govflow-condition', component: ConditionEntry, isEdited: isTextAreaEntryEdited });
      }
      if (own.length) {
        added.push({ id: 'govflow', label: '办理属性（govflow）', entries: own });
      }
      const general = groups.findIndex((g) => g.id === 'general');
      groups.splice(general + 1, 0, ...added);
      return groups;
    };
  }
}
GovflowPropertiesProvider.$inject = ['propertiesPanel', 'injector'];

export const GovflowPropertiesModule = {
  __init__: ['govflowPropertiesProvider'],
  govflowPropertiesProvider: ['type', GovflowPropertiesProvider]
};
