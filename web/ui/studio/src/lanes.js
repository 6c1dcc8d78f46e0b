/* Lanes are roles: a lane's id is lane_<role> (or <SubProcessId>_lane_<role> inside a phase); a user
 * task is done by the role of the lane it lies in. Moving a task to another lane moves its shape
 * vertically into that lane; bpmn-js then updates the lanes' flowNodeRef lists. */
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

export function laneRole(id, pattern) {
  const m = new RegExp(pattern).exec(id || '');
  return m ? m[1] : null;
}

/** '' for a lane of the pool's process, '<SubProcessId>_' for a lane inside a sub-process. */
export function lanePrefix(laneBo) {
  let node = laneBo.$parent;
  while (node && !is(node, 'bpmn:Process') && !is(node, 'bpmn:SubProcess')) { node = node.$parent; }
  return node && is(node, 'bpmn:SubProcess') ? node.id + '_' : '';
}

function isLeafLane(shape) {
  const bo = getBusinessObject(shape);
  const children = bo.childLaneSet && bo.childLaneSet.lanes;
  return is(shape, 'bpmn:Lane') && !(children && children.length);
}

function participantOf(shape) {
  let node = shape.parent;
  while (node && !is(node, 'bpmn:Participant')) { node = node.parent; }
  return node || null;
}

/** The lanes a flow node can be moved into: leaf lanes on its plane, in its pool. */
export function lanesBeside(injector, element) {
  const canvas = injector.get('canvas');
  const registry = injector.get('elementRegistry');
  const root = canvas.findRoot(element);
  const pool = participantOf(element);
  return registry.filter((shape) => isLeafLane(shape) && canvas.findRoot(shape) === root &&
      (!pool || participantOf(shape) === pool))
    .sort((a, b) => a.y - b.y || a.x - b.x);
}

export function laneOf(injector, element) {
  const cx = element.x + element.width / 2, cy = element.y + element.height / 2;
  return lanesBeside(injector, element).find((lane) =>
    cx >= lane.x && cx <= lane.x + lane.width && cy >= lane.y && cy <= lane.y + lane.height) || null;
}

export function moveToLane(injector, element, lane) {
  const modeling = injector.get('modeling');
  const dy = Math.round(lane.y + lane.height / 2 - (element.y + element.height / 2));
  if (dy) { modeling.moveElements([element], { x: 0, y: dy }); }
}
