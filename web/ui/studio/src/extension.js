/* Reading and writing govflow's extension properties on a BPMN element:
 * <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name value/>…
 * and the body-valued SpiffWorkflow elements (<spiffworkflow:calledDecisionId>).
 * Every change is one command on the modeler's command stack (one undo step). */
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

function values(bo) {
  const ext = bo.get('extensionElements');
  return (ext && ext.get('values')) || [];
}

function containers(bo, ns) {
  return values(bo).filter((v) => v.$type === ns.prefix + ':Properties');
}

export function getProperty(element, ns, name) {
  const bo = getBusinessObject(element);
  for (const container of containers(bo, ns)) {
    const found = (container.get('properties') || []).find((p) => p.get('name') === name);
    if (found) { return found.get('value') || ''; }
  }
  return '';
}

export function allProperties(element, ns) {
  const bo = getBusinessObject(element);
  const result = {};
  for (const container of containers(bo, ns)) {
    for (const p of container.get('properties') || []) { result[p.get('name')] = p.get('value') || ''; }
  }
  return result;
}

function ensureExtensionElements(element, bo, bpmnFactory, commands) {
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  return ext;
}

export function setProperty(injector, element, ns, name, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const bo = getBusinessObject(element);
  const commands = [];
  value = value == null ? '' : String(value);
  const existing = containers(bo, ns);
  const holder = existing.find((c) => (c.get('properties') || []).some((p) => p.get('name') === name));
  if (holder) {
    const prop = holder.get('properties').find((p) => p.get('name') === name);
    if (value === '') {
      commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: holder,
        properties: { properties: holder.get('properties').filter((p) => p !== prop) } } });
    } else {
      commands.push({ cmd: 'element.updateModdleProperties',
        context: { element, moddleElement: prop, properties: { value } } });
    }
  } else if (value !== '') {
    const ext = ensureExtensionElements(element, bo, bpmnFactory, commands);
    let container = existing[0];
    const prop = bpmnFactory.create(ns.prefix + ':Property', { name, value });
    if (!container) {
      container = bpmnFactory.create(ns.prefix + ':Properties', { properties: [prop] });
      container.$parent = ext;
      prop.$parent = container;
      commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: ext,
        properties: { values: [...(ext.get('values') || []), container] } } });
    } else {
      prop.$parent = container;
      commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: container,
        properties: { properties: [...container.get('properties'), prop] } } });
    }
  }
  if (commands.length) { commandStack.execute('properties-panel.multi-command-executor', commands); }
}

export function getBodyElement(element, ns, local) {
  const bo = getBusinessObject(element);
  const found = values(bo).find((v) => v.$type === ns.prefix + ':' + local);
  return found ? (found.get('value') || '').trim() : '';
}

export function setBodyElement(injector, element, ns, local, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const bo = getBusinessObject(element);
  const commands = [];
  const type = ns.prefix + ':' + local;
  const found = values(bo).find((v) => v.$type === type);
  if (found && !value) {
    const ext = bo.get('extensionElements');
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: ext,
      properties: { values: ext.get('values').filter((v) => v !== found) } } });
  } else if (found) {
    commands.push({ cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: found, properties: { value } } });
  } else if (value) {
    const ext = ensureExtensionElements(element, bo, bpmnFactory, commands);
    const created = bpmnFactory.create(type, { value });
    created.$parent = ext;
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: ext,
      properties: { values: [...(ext.get('values') || []), created] } } });
  }
  if (commands.length) { commandStack.execute('properties-panel.multi-command-executor', commands); }
}
