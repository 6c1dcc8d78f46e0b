/* Planes of a diagram with collapsed sub-processes (the phases): which phases hold an element. */

/** The collapsed sub-processes (phases) holding an element, innermost first, as their shapes on the
 * outer planes; `viewer` is a bpmn-js Viewer or Modeler. */
export function phasesOf(viewer, element) {
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const found = [];
  let node = element;
  for (;;) {
    const plane = canvas.findRoot(node);
    const shape = plane && plane.businessObject && registry.get(plane.businessObject.id);
    if (!shape || shape === node || found.includes(shape) || !/SubProcess|Transaction/.test(plane.type)) { break; }
    found.push(shape);
    node = shape;
  }
  return found;
}
