/* The designer's studio: the modeler page (/design/<key>) and the diff page (/design/<key>/diff),
 * bundled by esbuild (npm run build → web/ui/static/build/studio.js + studio.css). The page says
 * which one it is: <div id="studio" data-mode="modeler|diff" data-context="…">. */
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-js-boxed-expression.css';
import 'dmn-js/dist/assets/dmn-js-boxed-expression-controls.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';

import { initDiff } from './diff.js';
import { initModeler } from './modeler.js';

function start() {
  const root = document.getElementById('studio');
  if (!root) { return; }
  const run = root.dataset.mode === 'diff' ? initDiff : initModeler;
  run(root).catch((error) => {
    const box = document.getElementById('studio-alert');
    if (box) {
      box.hidden = false;
      box.textContent = '页面脚本出错，请刷新后重试。（' + error.message + '）';
    }
    root.setAttribute('data-ready', 'error');
    throw error;
  });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
