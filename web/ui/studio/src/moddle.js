/* The moddle descriptor of SpiffWorkflow's namespace, built from engine/modeling/extensions.json's
 * `namespace` (prefix + URI), so that bpmn-js reads and writes what the five procedures use:
 *
 *   <bpmn:extensionElements>
 *     <spiffworkflow:properties><spiffworkflow:property name="form" value="suqian/declare"/></…>
 *     <spiffworkflow:calledDecisionId>suqian_ndrc_approval</spiffworkflow:calledDecisionId>
 *   </bpmn:extensionElements>
 *
 * Elements of that namespace not described here (preScript, postScript, instructionsForEndUser …) are
 * kept by bpmn-moddle as generic elements and written back as they were. */

export function spiffDescriptor(namespace) {
  const body = (name) => ({
    name,
    superClass: ['Element'],
    properties: [{ name: 'value', type: 'String', isBody: true }]
  });
  return {
    name: 'SpiffWorkflow',
    prefix: namespace.prefix,
    uri: namespace.uri,
    xml: { tagAlias: 'lowerCase' },
    associations: [],
    types: [
      {
        name: 'Properties',
        superClass: ['Element'],
        properties: [{ name: 'properties', type: 'Property', isMany: true }]
      },
      {
        name: 'Property',
        superClass: ['Element'],
        properties: [
          { name: 'name', type: 'String', isAttr: true },
          { name: 'value', type: 'String', isAttr: true }
        ]
      },
      body('CalledDecisionId'),
      body('PreScript'),
      body('PostScript'),
      body('InstructionsForEndUser')
    ]
  };
}

export function typeName(namespace, local) {
  return namespace.prefix + ':' + local;
}
