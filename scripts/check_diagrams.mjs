// Imports every BPMN file with bpmn-moddle (the parser bpmn-js uses) and fails on any warning,
// so each diagram opens in the modeler exactly as it is stored.
import { readFileSync } from 'node:fs';
import { BpmnModdle } from 'bpmn-moddle';

const files = process.argv.slice(2);
let failures = 0;
for (const file of files) {
  const { warnings } = await new BpmnModdle().fromXML(readFileSync(file, 'utf8'));
  if (warnings.length) {
    failures += 1;
    for (const w of warnings) console.error(`${file}: ${w.message}`);
  } else {
    console.log(`${file}: ok`);
  }
}
if (!files.length) { console.error('no files given'); process.exit(1); }
process.exit(failures ? 1 : 0);
